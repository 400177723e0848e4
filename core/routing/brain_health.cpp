#include "core/routing/brain_health.hpp"

#include <nlohmann/json.hpp>

namespace paios {

brain_health::brain_health(const std::map<std::string, breaker_config>& brains, program_check check)
    : check_(std::move(check)) {
  for (const auto& [name, config] : brains)
    if (config.enabled) brains_.emplace(name, entry{circuit_breaker{config}, {}, {}, 0, {}});
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
  r.cause = e.cause;
  return r;
}

breaker_record brain_health::note(const std::string& brain, entry& e, const breaker_transition& t) {
  e.last_from = std::string{to_string(t.from)};
  e.last_reason = t.reason;
  e.last_ms = t.time_ms;
  if (t.to == breaker_state::closed) e.cause.clear();
  return to_record(brain, e);
}

std::optional<breaker_record> brain_health::recheck(const std::string& brain, entry& e, std::int64_t now_ms) {
  if (e.cause != kCauseProgramMissing || e.breaker.state() == breaker_state::closed || !check_) return std::nullopt;
  if (now_ms - e.checked_ms < kProgramRecheckMs) return std::nullopt;
  e.checked_ms = now_ms;
  if (!check_(brain).empty()) return std::nullopt;
  return note(brain, e, e.breaker.close_now(now_ms, "its program is there now (it had been missing)"));
}

brain_health::admission brain_health::admit(const std::string& brain, std::int64_t now_ms) {
  admission a;
  auto it = brains_.find(brain);
  if (it == brains_.end()) {  // a brain without a breaker (disabled, or not configured): nothing to judge
    a.ticket = 0;
    return a;
  }
  auto& e = it->second;
  a.changed = recheck(brain, e, now_ms);
  std::optional<breaker_transition> changed;
  a.ticket = e.breaker.try_acquire(now_ms, changed);
  if (changed) a.changed = note(brain, e, *changed);
  if (!a.ticket) a.refusal = refusal(e, now_ms);
  return a;
}

std::string brain_health::refusal(const entry& e, std::int64_t now_ms) {
  const auto& b = e.breaker;
  if (b.state() == breaker_state::open)
    return "circuit breaker open for another " + std::to_string(b.open_until_ms() - now_ms) + " ms (" + e.last_reason +
           ")";
  return "circuit breaker half-open, its " + std::to_string(b.config().half_open_calls) +
         " probe call(s) already running";
}

std::string brain_health::would_refuse(const std::string& brain, std::int64_t now_ms) const {
  auto it = brains_.find(brain);
  if (it == brains_.end()) return {};
  const auto& e = it->second;
  switch (e.breaker.state()) {
    case breaker_state::closed: return {};
    case breaker_state::open:
      // Past its wait, the next attempt is a probe; a missing program found again closes it at that attempt.
      if (now_ms >= e.breaker.open_until_ms()) return {};
      if (e.cause == kCauseProgramMissing && check_ && check_(brain).empty()) return {};
      break;
    case breaker_state::half_open: return {};  // a probe call, unless its probes are all running already
  }
  return refusal(e, now_ms);
}

std::optional<breaker_record> brain_health::record(const std::string& brain, std::uint64_t ticket, bool failed,
                                                   std::int64_t duration_ms, std::int64_t now_ms,
                                                   const std::string& failure) {
  auto it = brains_.find(brain);
  if (it == brains_.end()) return std::nullopt;
  auto& e = it->second;
  auto t = e.breaker.record(ticket, failed, duration_ms, now_ms, failure);
  if (!t) return std::nullopt;
  if (t->to == breaker_state::open) {
    // Why, as a fact that can be checked again: a program missing now is looked for on each later attempt.
    e.cause = check_ && !check_(brain).empty() ? kCauseProgramMissing : "";
    e.checked_ms = now_ms;
  }
  return note(brain, e, *t);
}

void brain_health::release(const std::string& brain, std::uint64_t ticket) {
  if (auto it = brains_.find(brain); it != brains_.end()) it->second.breaker.release(ticket);
}

std::vector<breaker_record> brain_health::restore(const std::vector<breaker_record>& saved, std::int64_t now_ms) {
  std::vector<breaker_record> changed;
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
    e.cause = s.state == breaker_state::closed ? std::string{} : r.cause;
    // The configuration (or the machine) may have changed since: a program that was missing may be there now.
    if (auto closed = recheck(r.brain, e, now_ms)) changed.push_back(std::move(*closed));
  }
  return changed;
}

std::optional<breaker_record> brain_health::reset(const std::string& brain, std::int64_t now_ms,
                                                  const std::string& reason) {
  auto it = brains_.find(brain);
  if (it == brains_.end()) return std::nullopt;
  return note(brain, it->second, it->second.breaker.close_now(now_ms, reason));
}

void brain_health::describe(const std::string& brain, nlohmann::json& out) const {
  auto it = brains_.find(brain);
  if (it == brains_.end()) return;
  const auto& e = it->second;
  const auto& b = e.breaker;
  out = {{"state", to_string(b.state())}, {"calls", b.calls()},   {"failures", b.failures()},
         {"slow", b.slow()},             {"opened", b.snapshot().opened}};
  if (b.state() == breaker_state::open) out["open_until_ms"] = b.open_until_ms();
  if (!e.cause.empty()) out["cause"] = e.cause;
  if (!e.last_reason.empty())
    out["last_change"] = {{"from", e.last_from}, {"to", to_string(b.state())}, {"time_ms", e.last_ms}, {"reason", e.last_reason}};
}

}  // namespace paios
