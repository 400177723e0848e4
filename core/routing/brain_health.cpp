#include "core/routing/brain_health.hpp"

#include <nlohmann/json.hpp>

namespace paios {

brain_health::brain_health(const std::map<std::string, breaker_config>& brains) {
  for (const auto& [name, config] : brains)
    if (config.enabled) brains_.emplace(name, entry{circuit_breaker{config}, {}, {}, 0});
}

breaker_record brain_health::to_record(const std::string& brain, const entry& e) const {
  auto s = e.breaker.snapshot();
  breaker_record r;
  r.brain = brain;
  r.state = std::string{to_string(s.state)};
  r.since_ms = s.since_ms;
  r.open_until_ms = s.open_until_ms;
  r.window = std::move(s.window);
  r.opened = s.opened;
  r.from = e.last_from;
  r.reason = e.last_reason;
  return r;
}

brain_health::admission brain_health::admit(const std::string& brain, std::int64_t now_ms) {
  admission a;
  auto it = brains_.find(brain);
  if (it == brains_.end()) {  // a brain without a breaker (disabled, or not configured): nothing to judge
    a.ticket = 0;
    return a;
  }
  auto& e = it->second;
  std::optional<breaker_transition> changed;
  a.ticket = e.breaker.try_acquire(now_ms, changed);
  if (changed) {
    e.last_from = std::string{to_string(changed->from)};
    e.last_reason = changed->reason;
    e.last_ms = changed->time_ms;
    a.changed = to_record(brain, e);
  }
  if (!a.ticket) {
    if (e.breaker.state() == breaker_state::open)
      a.refusal = "circuit breaker open for another " + std::to_string(e.breaker.open_until_ms() - now_ms) + " ms (" +
                  e.last_reason + ")";
    else
      a.refusal = "circuit breaker half-open, its " + std::to_string(e.breaker.config().half_open_calls) +
                  " probe call(s) already running";
  }
  return a;
}

std::optional<breaker_record> brain_health::record(const std::string& brain, std::uint64_t ticket, bool failed,
                                                   std::int64_t duration_ms, std::int64_t now_ms,
                                                   const std::string& failure) {
  auto it = brains_.find(brain);
  if (it == brains_.end()) return std::nullopt;
  auto& e = it->second;
  auto t = e.breaker.record(ticket, failed, duration_ms, now_ms, failure);
  if (!t) return std::nullopt;
  e.last_from = std::string{to_string(t->from)};
  e.last_reason = t->reason;
  e.last_ms = t->time_ms;
  return to_record(brain, e);
}

void brain_health::release(const std::string& brain, std::uint64_t ticket) {
  if (auto it = brains_.find(brain); it != brains_.end()) it->second.breaker.release(ticket);
}

void brain_health::restore(const std::vector<breaker_record>& saved) {
  for (const auto& r : saved) {
    auto it = brains_.find(r.brain);
    if (it == brains_.end()) continue;
    breaker_snapshot s;
    s.state = breaker_state_from_string(r.state).value_or(breaker_state::closed);
    s.since_ms = r.since_ms;
    s.open_until_ms = r.open_until_ms;
    s.window = r.window;
    s.opened = r.opened;
    auto& e = it->second;
    e.breaker.restore(s);
    e.last_from = r.from;
    e.last_reason = r.reason;
    e.last_ms = r.since_ms;
  }
}

void brain_health::describe(const std::string& brain, nlohmann::json& out) const {
  auto it = brains_.find(brain);
  if (it == brains_.end()) return;
  const auto& e = it->second;
  const auto& b = e.breaker;
  out = {{"state", to_string(b.state())}, {"calls", b.calls()},   {"failures", b.failures()},
         {"slow", b.slow()},             {"opened", b.snapshot().opened}};
  if (b.state() == breaker_state::open) out["open_until_ms"] = b.open_until_ms();
  if (!e.last_reason.empty())
    out["last_change"] = {{"from", e.last_from}, {"to", to_string(b.state())}, {"time_ms", e.last_ms}, {"reason", e.last_reason}};
}

}  // namespace paios
