#pragma once
// circuit_breaker: one brain's health verdict, owned by the dispatcher, tested and benchmarked directly (the
// caller passes the time).
//
//   closed     every call goes through; the last `window` calls are judged, and once there are `min_calls`
//              of them a failure rate or a slow-call rate at its threshold opens the breaker;
//   open       calls are refused for `open_ms`; then the next call attempt turns it half-open;
//   half-open  `half_open_calls` probe calls go through, the rest are refused; a probe that fails (or is slow)
//              opens it again, and once every probe has succeeded it closes with an empty window.
//
// Each admitted call holds a ticket: the breaker's epoch when the call began. A call that began before the
// last transition (say, before the breaker opened) is not a probe, and its end counts for nothing.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/routing/breaker_config.hpp"

namespace paios {

enum class breaker_state : std::uint8_t { closed, open, half_open };
std::string_view to_string(breaker_state s);
std::optional<breaker_state> breaker_state_from_string(std::string_view s);

struct breaker_transition {
  breaker_state from = breaker_state::closed;
  breaker_state to = breaker_state::closed;
  std::int64_t time_ms = 0;
  std::string reason;  // "6 of 10 calls failed (60% >= 50%)", "a probe call failed: ...", ...
};

// What survives a restart: the state, when it began, when an open breaker may probe, and the window as one
// letter per call, oldest first ('o' ok, 'f' failed, 's' slow, 'x' failed and slow).
struct breaker_snapshot {
  breaker_state state = breaker_state::closed;
  std::int64_t since_ms = 0;
  std::int64_t open_until_ms = 0;
  std::string window;
  std::uint64_t opened = 0;  // times it has opened, ever
};

class circuit_breaker {
 public:
  explicit circuit_breaker(breaker_config config = {});

  // May a call start now? Returns its ticket, or nullopt when refused. Sets `changed` when the attempt itself
  // moved an open breaker past its wait to half-open.
  std::optional<std::uint64_t> try_acquire(std::int64_t now_ms, std::optional<breaker_transition>& changed);
  // The end of an admitted call: whether it failed (counts against the brain) and how long it took.
  std::optional<breaker_transition> record(std::uint64_t ticket, bool failed, std::int64_t duration_ms,
                                           std::int64_t now_ms, std::string_view failure = {});
  // An admitted call that ended saying nothing about the brain's health (cancelled, queue full): its probe
  // slot, if it held one, is given back.
  void release(std::uint64_t ticket);
  // Closed now, whatever its state, with an empty window: its cause is gone (the missing program is back) or
  // a person said so (`ai breaker reset`). Calls admitted before count for nothing.
  breaker_transition close_now(std::int64_t now_ms, std::string reason);

  breaker_state state() const { return state_; }
  std::int64_t open_until_ms() const { return open_until_ms_; }
  int calls() const { return static_cast<int>(window_.size()); }
  int failures() const { return failures_; }
  int slow() const { return slow_; }
  const breaker_config& config() const { return config_; }

  breaker_snapshot snapshot() const;
  // Back to a persisted state. A breaker saved half-open comes back open with its wait over, so that the
  // probes start afresh.
  void restore(const breaker_snapshot& s);

 private:
  enum flag : std::uint8_t { ok = 0, failed_flag = 1, slow_flag = 2 };
  breaker_transition move_to(breaker_state to, std::int64_t now_ms, std::string reason);
  void push(std::uint8_t flags);

  breaker_config config_;
  breaker_state state_ = breaker_state::closed;
  std::uint64_t epoch_ = 0;
  std::int64_t since_ms_ = 0;
  std::int64_t open_until_ms_ = 0;
  std::uint64_t opened_ = 0;
  std::vector<std::uint8_t> window_;  // a ring of the last `window` calls
  std::size_t head_ = 0;              // where the next call goes once the ring is full
  int failures_ = 0, slow_ = 0;
  int probes_admitted_ = 0, probes_passed_ = 0;
};

// How long to wait before retry number `retry` (1 for the first): with c = min(base * 2^(retry-1), max), a
// uniformly random delay in [c/2, c] ("equal jitter": the wait still grows, and retries of many tasks that
// failed together do not arrive together). `unit` is a random number in [0, 1).
std::int64_t retry_delay_ms(int retry, std::int64_t base_ms, std::int64_t max_ms, double unit);

}  // namespace paios
