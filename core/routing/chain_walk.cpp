#include "core/routing/chain_walk.hpp"

#include "messages/json_writer.hpp"

namespace paios {
namespace {

// Transient: the same brain may well succeed if asked again shortly.
bool transient(errc e) { return e == errc::brain_failed || e == errc::overloaded; }

// Another brain may run it: this one failed without the client seeing any of its answer.
bool may_fail_over(errc e) {
  return e == errc::brain_unavailable || e == errc::overloaded || e == errc::brain_failed || e == errc::timeout;
}

}  // namespace

call_verdict judge_call(bool is_result, errc error) {
  if (is_result) return call_verdict::success;
  switch (error) {
    case errc::brain_failed:
    case errc::timeout:
    case errc::brain_unavailable: return call_verdict::failure;
    default: return call_verdict::neutral;
  }
}

chain_walk::chain_walk(std::vector<std::string> chain, int max_retries, std::string route_reason)
    : chain_(std::move(chain)), max_retries_(max_retries), route_reason_(std::move(route_reason)) {}

void chain_walk::note_failure(const std::string& brain, std::string_view why, bool unavailable) {
  if (!failures_.empty()) failures_ += "; ";
  failures_ += brain;
  failures_ += ": ";
  failures_ += why;
  only_unavailable_ = only_unavailable_ && unavailable;
}

void chain_walk::note_refusal(const std::string& brain, std::string_view outcome, const std::string& why) {
  if (!tried_.empty()) tried_ += ',';
  tried_ += json_object{}.str("brain", brain).str("outcome", outcome).str("message", why).done();
  note_failure(brain, why, true);
  passed_over_.emplace_back(brain, why);
}

std::optional<std::string> chain_walk::next(const std::function<std::string(const std::string&)>& admit) {
  retries_ = 0;
  while (next_ < chain_.size()) {
    const auto& brain = chain_[next_++];
    auto refusal = admit(brain);
    if (refusal.empty()) return brain;
    note_refusal(brain, "skipped", refusal);
  }
  return std::nullopt;
}

bool chain_walk::readmit(const std::string& brain, const std::function<std::string(const std::string&)>& admit) {
  auto refusal = admit(brain);
  if (refusal.empty()) return true;
  note_refusal(brain, "skipped", refusal);
  return false;
}

void chain_walk::unreachable(const std::string& brain, const std::string& why) { note_refusal(brain, "unavailable", why); }

chain_walk::decision chain_walk::exhausted() const {
  decision d;
  d.error = only_unavailable_ ? errc::brain_unavailable : last_error_;
  if (d.error == errc::none) d.error = errc::brain_failed;
  d.message = "no brain could run the task: " + failures_;
  return d;
}

void chain_walk::record_call(const std::string& brain, std::string_view outcome, std::string_view message,
                             std::int64_t duration_ms) {
  json_object call;
  call.str("brain", brain).num("duration_ms", duration_ms).str("outcome", outcome);
  if (!message.empty()) call.str("message", message);
  if (!tried_.empty()) tried_ += ',';
  tried_ += call.done();
}

chain_walk::decision chain_walk::on_error(const std::string& brain, errc error, std::string message, bool streamed) {
  last_error_ = error;
  decision d;
  d.error = error;
  if (streamed) {
    // The client has seen part of this brain's answer: running the task again (here or on another brain)
    // would show it a second, different answer. It ends here, and says so.
    if (may_fail_over(error) && (next_ < chain_.size() || retries_ < max_retries_))
      message += " (not run again: " + brain + "'s answer had already begun streaming to the client)";
    d.message = brain + ": " + message;
    return d;
  }
  if (transient(error) && retries_ < max_retries_) {
    note_failure(brain, message, error == errc::overloaded);
    d.what = decision::kind::retry;
    d.retry = ++retries_;
    d.message = std::move(message);
    return d;
  }
  if (may_fail_over(error) && next_ < chain_.size()) {
    note_failure(brain, message, error == errc::brain_unavailable || error == errc::overloaded);
    if (error == errc::brain_unavailable) passed_over_.emplace_back(brain, message);
    d.what = decision::kind::fail_over;
    d.message = std::move(message);
    return d;
  }
  if (chain_.size() > 1 || !failures_.empty()) {
    note_failure(brain, message, error == errc::brain_unavailable);
    if (only_unavailable_) d.error = errc::brain_unavailable;
    d.message = "no brain could run the task: " + failures_;
    return d;
  }
  d.message = brain + ": " + message;
  return d;
}

std::string chain_walk::reason() const {
  if (retries_ > 0) return "retry " + std::to_string(retries_) + " after: " + failures_;
  if (next_ > 1) return "failover: " + failures_;
  return route_reason_.empty() ? std::string{"the default brain"} : route_reason_;
}

}  // namespace paios
