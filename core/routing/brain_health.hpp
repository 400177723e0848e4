#pragma once
// brain_health: the circuit breakers of every brain, as the dispatcher sees them. It turns breaker
// transitions into records for the state store, restores them at start, and describes them for `ai status`.
// Owned by the dispatcher (one thread).
//
// A breaker that opened while its brain's program was missing (program_check says so at the transition) carries
// that cause, stored with it. Such a breaker is checked again, cheaply (a PATH lookup, at most once per
// kProgramRecheckMs for each brain): at restore, and on each call attempt while it is open; once the program is
// there, it closes at once instead of waiting out its open time.
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "core/routing/circuit_breaker.hpp"
#include "messages/routing.hpp"

namespace paios {

class brain_health {
 public:
  // "" when the brain's program is there (or it needs none), else what is missing ("no `claude` on PATH").
  using program_check = std::function<std::string(const std::string& brain)>;
  static constexpr std::int64_t kProgramRecheckMs = 1000;

  explicit brain_health(const std::map<std::string, breaker_config>& brains, program_check check = {});

  struct admission {
    std::optional<std::uint64_t> ticket;  // set when the call may go ahead
    std::optional<breaker_record> changed;  // the attempt moved the breaker (half-open, or closed: program found)
    std::string refusal;                  // why not: "circuit breaker open for another ... (6 of 10 calls failed ...)"
  };
  admission admit(const std::string& brain, std::int64_t now_ms);
  // Why a call would be refused now ("" when it would go ahead), without moving the breaker: for route.classify.
  std::string would_refuse(const std::string& brain, std::int64_t now_ms) const;
  // The end of an admitted call. Returns the record to persist when it moved the breaker.
  std::optional<breaker_record> record(const std::string& brain, std::uint64_t ticket, bool failed,
                                       std::int64_t duration_ms, std::int64_t now_ms, const std::string& failure);
  void release(const std::string& brain, std::uint64_t ticket);

  // Back to what the store kept; records of brains no longer configured are ignored. Returns the transitions
  // the restore itself made: breakers opened by a missing program that is there now, closed.
  std::vector<breaker_record> restore(const std::vector<breaker_record>& saved, std::int64_t now_ms);
  // Closed at once (`ai breaker reset`): the record to persist, or nullopt when the brain has no breaker.
  std::optional<breaker_record> reset(const std::string& brain, std::int64_t now_ms, const std::string& reason);
  bool has_breaker(const std::string& brain) const { return brains_.count(brain) > 0; }

  // {"state", "since_ms", "open_until_ms"?, "cause"?, "calls", "failures", "slow", "opened", "last_change"?}
  void describe(const std::string& brain, nlohmann::json& out) const;

 private:
  struct entry {
    circuit_breaker breaker;
    std::string last_reason;  // of the latest transition
    std::string last_from;
    std::int64_t last_ms = 0;
    std::string cause;               // breaker_record::cause while not closed
    std::int64_t checked_ms = -kProgramRecheckMs;  // the last program check (rate limit)
  };
  breaker_record to_record(const std::string& brain, const entry& e) const;
  static std::string refusal(const entry& e, std::int64_t now_ms);  // why a call is refused, once it is
  breaker_record note(const std::string& brain, entry& e, const breaker_transition& t);
  // A breaker opened by a missing program whose program is there now: closed. Rate-limited per brain.
  std::optional<breaker_record> recheck(const std::string& brain, entry& e, std::int64_t now_ms);

  std::map<std::string, entry> brains_;
  program_check check_;
};

}  // namespace paios
