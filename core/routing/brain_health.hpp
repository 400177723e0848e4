#pragma once
// brain_health: the circuit breakers of every brain, as the dispatcher sees them. It turns breaker
// transitions into records for the state store, restores them at start, and describes them for `ai status`.
// Owned by the dispatcher (one thread).
#include <cstdint>
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
  explicit brain_health(const std::map<std::string, breaker_config>& brains);

  struct admission {
    std::optional<std::uint64_t> ticket;  // set when the call may go ahead
    std::optional<breaker_record> changed;  // the attempt turned an open breaker half-open
    std::string refusal;                  // why not: "breaker open until ... (6 of 10 calls failed ...)"
  };
  admission admit(const std::string& brain, std::int64_t now_ms);
  // The end of an admitted call. Returns the record to persist when it moved the breaker.
  std::optional<breaker_record> record(const std::string& brain, std::uint64_t ticket, bool failed,
                                       std::int64_t duration_ms, std::int64_t now_ms, const std::string& failure);
  void release(const std::string& brain, std::uint64_t ticket);

  // Back to what the store kept; records of brains no longer configured are ignored.
  void restore(const std::vector<breaker_record>& saved);

  // {"state", "since_ms", "open_until_ms"?, "calls", "failures", "slow", "opened", "last_change"?}
  void describe(const std::string& brain, nlohmann::json& out) const;

 private:
  struct entry {
    circuit_breaker breaker;
    std::string last_reason;  // of the latest transition
    std::string last_from;
    std::int64_t last_ms = 0;
  };
  breaker_record to_record(const std::string& brain, const entry& e) const;

  std::map<std::string, entry> brains_;
};

}  // namespace paios
