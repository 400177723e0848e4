#pragma once
// daily_report: what the mesh did in one local day, computed from the events of that day (observability.sqlite;
// docs/protocol.md, "Traces and events"). No actor runtime and no clock of its own: the caller passes the day, the
// events and the time "now", so a report of a day that is not over yet says so, and tests run it on any day.
//
// What it reads, and from which events (report_sources() lists them, so the caller asks the event store for these
// only):
//   tasks by brain and state, latency p50/p95 per brain   task run (data brain, state; duration_us)
//   retries, failovers                                    task retry, task failover
//   breaker trips                                         breaker transition with status "open" (data brain)
//   starts, after an unclean exit or an orderly stop      config load (data previous_exit: "unclean" | "clean")
//   actor restarts                                        supervisor restart
//   alerts raised (by kind), acknowledged                 alerts raised (data kind), alerts acknowledged
//   approvals asked, approved, denied, expired, promoted  autonomy ask, approved, denied, expired, promoted
//   jobs run and failed, by job                           scheduler run (status its outcome; data job)
//   knowledge-base growth, by kind                        kb add with status ok and data added true (data kind)
//   usage: tokens and cost                                brain call data usage {input_tokens, output_tokens},
//                                                         cost_usd, when the events carry them; else "not recorded"
// Events whose data is not JSON count with what their category, action and status say.
#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "core/report/report_day.hpp"
#include "messages/event.hpp"

namespace paios::report {

// The (category, action) pairs the report reads: each one query of the event store for the day.
const std::vector<std::pair<std::string, std::string>>& report_sources();

struct brain_tasks {
  std::int64_t total = 0;
  std::map<std::string, std::int64_t> by_state;  // succeeded, failed, cancelled, timed_out, interrupted
  double p50_ms = 0, p95_ms = 0;                 // of the task run spans (acceptance to stored outcome)
};

struct job_runs {
  std::int64_t runs = 0;
  std::map<std::string, std::int64_t> by_outcome;  // ok, failed, timeout, interrupted
};

struct daily_report {
  report_day day;
  std::string timezone;
  bool complete = false;           // the day was over when the report was made
  std::int64_t made_us = 0;
  std::string made_local;          // when it was made, "HH:MM" local (the day's "so far" when not complete)

  std::int64_t tasks = 0;
  std::map<std::string, std::int64_t> task_states;
  std::map<std::string, brain_tasks> brains;  // "none": refused before a brain was chosen
  std::int64_t retries = 0, failovers = 0;
  std::map<std::string, std::int64_t> breaker_trips;  // by brain

  std::int64_t starts = 0, unclean_starts = 0, actor_restarts = 0;

  std::int64_t alerts_raised = 0, alerts_acknowledged = 0;
  std::map<std::string, std::int64_t> alerts_by_kind;

  std::int64_t approvals_asked = 0, approved = 0, denied = 0, expired = 0, promotions = 0;

  std::int64_t job_runs_total = 0, job_runs_failed = 0;  // failed: "failed" or "timeout"
  std::map<std::string, job_runs> jobs;

  std::int64_t kb_added = 0;
  std::map<std::string, std::int64_t> kb_by_kind;

  bool usage_recorded = false;
  std::int64_t input_tokens = 0, output_tokens = 0;
  double cost_usd = 0;
};

// The report of `day` from its events (any order; events outside the day or of other sources are ignored).
// `now_us` decides whether the day is complete.
daily_report compute(const report_day& day, const sched::time_zone& tz, const std::vector<event_record>& events,
                     std::int64_t now_us);

// The report as JSON (ai report --json, report.get's `report`).
nlohmann::json to_json(const daily_report& r);
// "PAIOS report YYYY-MM-DD": the knowledge-base entry's title and the notification's.
std::string title(const daily_report& r);
// The knowledge-base entry's body: Markdown, a section per subject.
std::string markdown(const daily_report& r);
// A few lines for the notifier.
std::string summary(const daily_report& r);

}  // namespace paios::report
