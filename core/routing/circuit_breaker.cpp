#include "core/routing/circuit_breaker.hpp"

#include <algorithm>
#include <cmath>

namespace paios {

std::string_view to_string(breaker_state s) {
  switch (s) {
    case breaker_state::closed: return "closed";
    case breaker_state::open: return "open";
    case breaker_state::half_open: return "half_open";
  }
  return "closed";
}

std::optional<breaker_state> breaker_state_from_string(std::string_view s) {
  for (auto b : {breaker_state::closed, breaker_state::open, breaker_state::half_open})
    if (to_string(b) == s) return b;
  return std::nullopt;
}

namespace {

std::string percent(double share) { return std::to_string(static_cast<int>(std::lround(share * 100))) + "%"; }

}  // namespace

circuit_breaker::circuit_breaker(breaker_config config) : config_(config) {
  config_.window = std::max(1, config_.window);
  config_.half_open_calls = std::max(1, config_.half_open_calls);
  window_.reserve(static_cast<std::size_t>(config_.window));
}

breaker_transition circuit_breaker::move_to(breaker_state to, std::int64_t now_ms, std::string reason) {
  breaker_transition t{state_, to, now_ms, std::move(reason)};
  state_ = to;
  since_ms_ = now_ms;
  ++epoch_;  // calls admitted before this moment no longer count
  probes_admitted_ = probes_passed_ = 0;
  if (to == breaker_state::open) {
    open_until_ms_ = now_ms + config_.open_ms;
    ++opened_;
  }
  if (to == breaker_state::closed) {
    window_.clear();
    head_ = 0;
    failures_ = slow_ = 0;
  }
  return t;
}

void circuit_breaker::push(std::uint8_t flags) {
  if (window_.size() < static_cast<std::size_t>(config_.window)) {
    window_.push_back(flags);
  } else {
    auto& oldest = window_[head_];
    failures_ -= oldest & failed_flag ? 1 : 0;
    slow_ -= oldest & slow_flag ? 1 : 0;
    oldest = flags;
    head_ = (head_ + 1) % window_.size();
  }
  failures_ += flags & failed_flag ? 1 : 0;
  slow_ += flags & slow_flag ? 1 : 0;
}

std::optional<std::uint64_t> circuit_breaker::try_acquire(std::int64_t now_ms,
                                                          std::optional<breaker_transition>& changed) {
  changed.reset();
  switch (state_) {
    case breaker_state::closed:
      return epoch_;
    case breaker_state::open:
      if (now_ms < open_until_ms_) return std::nullopt;
      changed = move_to(breaker_state::half_open, now_ms,
                        "open for " + std::to_string(config_.open_ms) + " ms: letting " +
                            std::to_string(config_.half_open_calls) + " probe call(s) through");
      [[fallthrough]];
    case breaker_state::half_open:
      if (probes_admitted_ >= config_.half_open_calls) return std::nullopt;
      ++probes_admitted_;
      return epoch_;
  }
  return std::nullopt;
}

std::optional<breaker_transition> circuit_breaker::record(std::uint64_t ticket, bool failed, std::int64_t duration_ms,
                                                          std::int64_t now_ms, std::string_view failure) {
  if (ticket != epoch_) return std::nullopt;
  bool slow = duration_ms >= config_.slow_call_ms;
  if (state_ == breaker_state::half_open) {
    if (failed) return move_to(breaker_state::open, now_ms, "a probe call failed: " + std::string{failure});
    if (slow) return move_to(breaker_state::open, now_ms, "a probe call was slow (" + std::to_string(duration_ms) + " ms)");
    if (++probes_passed_ >= config_.half_open_calls)
      return move_to(breaker_state::closed, now_ms, std::to_string(probes_passed_) + " probe call(s) succeeded");
    return std::nullopt;
  }
  if (state_ != breaker_state::closed) return std::nullopt;
  push(static_cast<std::uint8_t>((failed ? failed_flag : ok) | (slow ? slow_flag : ok)));
  const int n = calls();
  if (n < config_.min_calls) return std::nullopt;
  const double failure_share = static_cast<double>(failures_) / n;
  const double slow_share = static_cast<double>(slow_) / n;
  if (failure_share >= config_.failure_rate)
    return move_to(breaker_state::open, now_ms,
                   std::to_string(failures_) + " of the last " + std::to_string(n) + " calls failed (" +
                       percent(failure_share) + " >= " + percent(config_.failure_rate) + ")" +
                       (failure.empty() ? "" : "; the last: " + std::string{failure}));
  if (slow_share >= config_.slow_rate)
    return move_to(breaker_state::open, now_ms,
                   std::to_string(slow_) + " of the last " + std::to_string(n) + " calls took " +
                       std::to_string(config_.slow_call_ms) + " ms or more (" + percent(slow_share) +
                       " >= " + percent(config_.slow_rate) + ")");
  return std::nullopt;
}

void circuit_breaker::release(std::uint64_t ticket) {
  if (ticket == epoch_ && state_ == breaker_state::half_open && probes_admitted_ > 0) --probes_admitted_;
}

breaker_transition circuit_breaker::close_now(std::int64_t now_ms, std::string reason) {
  return move_to(breaker_state::closed, now_ms, std::move(reason));
}

breaker_snapshot circuit_breaker::snapshot() const {
  breaker_snapshot s;
  s.state = state_;
  s.since_ms = since_ms_;
  s.open_until_ms = open_until_ms_;
  s.opened = opened_;
  s.window.reserve(window_.size());
  for (std::size_t i = 0; i < window_.size(); ++i) {
    auto f = window_[(head_ + i) % window_.size()];
    s.window.push_back("ofsx"[f & 3]);
  }
  return s;
}

void circuit_breaker::restore(const breaker_snapshot& s) {
  window_.clear();
  head_ = 0;
  failures_ = slow_ = 0;
  probes_admitted_ = probes_passed_ = 0;
  ++epoch_;
  state_ = s.state == breaker_state::half_open ? breaker_state::open : s.state;
  since_ms_ = s.since_ms;
  open_until_ms_ = s.state == breaker_state::half_open ? s.since_ms : s.open_until_ms;
  opened_ = s.opened;
  if (state_ != breaker_state::closed) return;
  // The newest calls are the ones that matter when the window has shrunk since.
  auto keep = std::min(s.window.size(), static_cast<std::size_t>(config_.window));
  for (auto c : std::string_view{s.window}.substr(s.window.size() - keep)) {
    auto pos = std::string_view{"ofsx"}.find(c);
    push(static_cast<std::uint8_t>(pos == std::string_view::npos ? 0 : pos));
  }
}

std::int64_t retry_delay_ms(int retry, std::int64_t base_ms, std::int64_t max_ms, double unit) {
  if (retry < 1 || base_ms <= 0 || max_ms <= 0) return 0;
  // base * 2^(retry-1), without overflow for any retry count.
  std::int64_t ceiling = base_ms;
  for (int i = 1; i < retry && ceiling < max_ms; ++i) ceiling *= 2;
  ceiling = std::min(ceiling, max_ms);
  unit = std::clamp(unit, 0.0, 1.0);
  return ceiling / 2 + static_cast<std::int64_t>(unit * static_cast<double>(ceiling - ceiling / 2));
}

}  // namespace paios
