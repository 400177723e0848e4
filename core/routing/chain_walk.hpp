#pragma once
// chain_walk: one task's way along its failover chain, and the judgement of each brain's outcome. No actor
// runtime (like circuit_breaker): the dispatcher asks it what to do and carries the decision out, so the rules
// of retry, failover and the streaming rule are tested on their own (tests/unit/chain_walk_test.cpp).
//
// A walk starts at the chain's first brain. next() hands out the next brain whose breaker admits the task (the
// caller's admit() says); each refusal or outcome is noted, so that a task that fails names every brain it
// tried and why. After an error from the brain that had the task, on_error() decides: retry the same brain
// (a transient failure, retries left), fail over to the next brain (the client has seen none of the answer),
// or finish with the error. Once output has reached the client the task is never run again (docs/protocol.md,
// "the streaming rule").
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "messages/error.hpp"

namespace paios {

// What an outcome says about the brain's health, for its breaker: a failure, a success, or nothing at all
// (the task was cancelled, the daemon stopped, the brain's queue was full).
enum class call_verdict { success, failure, neutral };
call_verdict judge_call(bool is_result, errc error);

class chain_walk {
 public:
  struct decision {
    enum class kind { retry, fail_over, finish } what = kind::finish;
    errc error = errc::none;  // finish: the task's error
    std::string message;      // finish: what the client is told
    int retry = 0;            // retry: which retry of this brain (1, 2, ...)
  };

  // `chain`: the brains to try, in order; `max_retries`: extra calls on one brain after a transient failure;
  // `route_reason`: why the chain's first brain (the router's or the client's words, "" for the default).
  chain_walk(std::vector<std::string> chain, int max_retries, std::string route_reason);

  // The next brain of the chain whose breaker lets the task through: admit(brain) returns "" to admit, else why
  // not (the brain is noted as skipped). nullopt: no brain is left, and exhausted() says how the task ends.
  std::optional<std::string> next(const std::function<std::string(const std::string&)>& admit);
  // The brain handed out could not be reached (it is not running): noted, and the walk may go on with next().
  void unreachable(const std::string& brain, const std::string& why);
  // The task's end when next() found no brain: brain_unavailable when no brain could even start it, else the
  // last brain's error; the message names every brain and why.
  decision exhausted() const;

  // A call's end as the decision log keeps it: the brain, "succeeded" or the error's code, its message, how
  // long it took.
  void record_call(const std::string& brain, std::string_view outcome, std::string_view message,
                   std::int64_t duration_ms);
  // The brain that has the task ended it with `error` (recorded first). `streamed`: its output has reached the
  // client. `message` does not name the brain (actors/brain says so): every message the walk makes of it does,
  // once ("codex: exited with status 3").
  decision on_error(const std::string& brain, errc error, std::string message, bool streamed);
  // A retry's backoff has elapsed: the retried brain is admitted again (true) or refused and noted (false: go
  // on with next()).
  bool readmit(const std::string& brain, const std::function<std::string(const std::string&)>& admit);

  // Why the brain just handed out (or retried) runs the task, for the client's `routed` update.
  std::string reason() const;
  // The brains passed over because they could not run the task at all (a breaker refused it, the brain is not
  // running, its program is missing: brain_unavailable), each with why, in the order met.
  const std::vector<std::pair<std::string, std::string>>& passed_over() const { return passed_over_; }
  // Every call and skip so far, as the JSON array the decision log and the task's span keep.
  std::string tried_json() const { return "[" + tried_ + "]"; }

 private:
  void note_failure(const std::string& brain, std::string_view why, bool unavailable);
  void note_refusal(const std::string& brain, std::string_view outcome, const std::string& why);

  std::vector<std::string> chain_;
  int max_retries_ = 0;
  std::string route_reason_;
  std::size_t next_ = 0;          // index of the brain to hand out next
  int retries_ = 0;               // on the current brain
  std::string failures_;          // "brain: why; brain: why"
  bool only_unavailable_ = true;  // every brain so far was skipped or could not start the task
  errc last_error_ = errc::none;  // the last error a brain ended the task with
  std::string tried_;             // JSON objects, comma-separated: {brain, outcome, message?, duration_ms?}
  std::vector<std::pair<std::string, std::string>> passed_over_;
};

}  // namespace paios
