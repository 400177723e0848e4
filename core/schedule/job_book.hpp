#pragma once
// The scheduler's bookkeeping: for each job, when it is due next, whether it runs,
// its consecutive failures and their backoff, and what a missed run becomes. The scheduler actor asks it at
// each tick and tells it each run's end; tests drive it on a manual clock. Not thread-safe (one owner).
//
// Rules (docs/architecture.md, "Scheduler"):
// - A due job runs unless a run of it is still going and it does not allow overlap: then that time is refused.
// - After a run, the next due time is the schedule's next time after the due time that was served (an interval
//   keeps its phase); times that passed meanwhile are not caught up.
// - A failed run makes the job run again after the backoff (initial, doubling per consecutive failure, at most
//   max); scheduled times within it are skipped. A success returns the job to its schedule.
// - A missed run: a due time that passed while the daemon was down, or that a tick finds more than `grace`
//   late (the machine slept). "skip" drops it and waits for the next time; "run_once" runs it once now.
#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/schedule/clock.hpp"
#include "core/schedule/schedule.hpp"
#include "core/schedule/time_zone.hpp"

namespace paios::sched {

enum class missed_policy { skip, run_once };

struct backoff_policy {
  std::chrono::seconds initial{30};
  std::chrono::seconds max{3600};
  // The wait after the n-th consecutive failure (n >= 1).
  std::chrono::seconds delay(int failures) const;
};

struct job_def {
  std::string name;
  schedule when;
  missed_policy missed = missed_policy::skip;
  bool allow_overlap = false;
};

// What the store keeps of a job across restarts.
struct job_saved {
  std::string schedule;  // the text it was computed for: another schedule starts afresh
  std::optional<instant> next_due;
  int failures = 0;
};

struct job_status {
  std::optional<instant> next_due;
  int failures = 0;               // consecutive
  bool backing_off = false;       // next_due is a retry after a failure
  int running = 0;
};

class job_book {
 public:
  job_book(time_zone tz, backoff_policy backoff, std::chrono::seconds grace = std::chrono::seconds(60));

  void add(job_def def);
  // At start: each job's saved state, then the missed-run policy for a due time that passed while down.
  // Returns the names of the jobs whose missed run is dropped (skip).
  std::vector<std::string> restore(instant now, const std::map<std::string, job_saved>& saved);

  struct fire {
    enum kind_t { run, refused, skipped } kind;  // refused: still running; skipped: missed under "skip"
    std::string name;
    instant due;
  };
  // The jobs due at `now`, each started (kind run: the caller starts it and calls finished), refused or
  // skipped; their next due times are moved on.
  std::vector<fire> tick(instant now);
  // A run asked for now (jobs.run): false when a run is going and the job does not allow overlap.
  bool begin_now(const std::string& name);
  // A run's end; failures move the next due time to the backoff's end.
  void finished(const std::string& name, instant now, bool ok);
  // A run that ended without a verdict (the daemon stopped under it): neither a success nor a failure.
  void abandoned(const std::string& name);

  bool has(const std::string& name) const { return jobs_.count(name) > 0; }
  const job_status& status(const std::string& name) const { return jobs_.at(name).status; }
  job_saved saved(const std::string& name) const;
  std::vector<std::string> names() const;
  std::optional<instant> earliest_due() const;

 private:
  struct entry {
    job_def def;
    job_status status;
  };
  std::optional<instant> next_after(const entry& e, instant due, instant now) const;

  time_zone tz_;
  backoff_policy backoff_;
  std::chrono::seconds grace_;
  std::map<std::string, entry> jobs_;
};

}  // namespace paios::sched
