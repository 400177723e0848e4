#pragma once
// asked_calls: the calls the gate answered `ask` in sessions a person sits at, each waiting for the person's
// answer, which Claude Code never sends the hook: it shows as what follows. A PostToolUse (or
// PostToolUseFailure) with the same session and tool_use_id means the person let it run; the session's next
// PreToolUse for another call, its Stop or SessionEnd, or no word within a timeout means they did not
// (docs/autonomy.md, "Learning"). This keeps them, bounded: at most `per_session` calls per session and
// `sessions` sessions; past either the oldest is dropped, neither an approval nor a denial (nothing is known of
// it). Runtime-free, not thread-safe (one owner: the autonomy actor); `Call` is what the owner keeps of a call.
#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace paios::autonomy {

template <class Call>
class asked_calls {
 public:
  asked_calls(std::size_t per_session, std::size_t sessions) : per_session_(per_session), sessions_(sessions) {}

  // Records `call`, asked in `session` as Claude Code's `tool_use_id` at `now_ms` (asked again with the same id:
  // the newer replaces it). Returns the calls dropped to stay within the bounds.
  std::vector<Call> add(const std::string& session, const std::string& tool_use_id, Call call, std::int64_t now_ms) {
    std::vector<Call> dropped;
    auto& q = by_session_[session];
    for (auto it = q.begin(); it != q.end(); ++it)
      if (it->tool_use_id == tool_use_id) {
        q.erase(it);
        break;
      }
    q.push_back({tool_use_id, now_ms, std::move(call)});
    while (q.size() > per_session_) {
      dropped.push_back(std::move(q.front().call));
      q.pop_front();
    }
    while (by_session_.size() > sessions_) {  // the session whose newest call is oldest goes
      auto oldest = by_session_.end();
      for (auto it = by_session_.begin(); it != by_session_.end(); ++it)
        if (it->first != session && (oldest == by_session_.end() || newest(it->second) < newest(oldest->second)))
          oldest = it;
      for (auto& e : oldest->second) dropped.push_back(std::move(e.call));
      by_session_.erase(oldest);
    }
    return dropped;
  }

  // The call a PostToolUse of (session, tool_use_id) answers, taken out; nullopt when none waits.
  std::optional<Call> ran(const std::string& session, const std::string& tool_use_id) {
    auto s = by_session_.find(session);
    if (s == by_session_.end()) return std::nullopt;
    for (auto it = s->second.begin(); it != s->second.end(); ++it)
      if (it->tool_use_id == tool_use_id) {
        std::optional<Call> out{std::move(it->call)};
        s->second.erase(it);
        if (s->second.empty()) by_session_.erase(s);
        return out;
      }
    return std::nullopt;
  }

  // The session's calls but `except` (a tool_use_id; "" for none), taken out: not run, so not approved.
  std::vector<Call> unanswered(const std::string& session, const std::string& except = {}) {
    std::vector<Call> out;
    auto s = by_session_.find(session);
    if (s == by_session_.end()) return out;
    auto& q = s->second;
    for (auto it = q.begin(); it != q.end();)
      if (it->tool_use_id != except) {
        out.push_back(std::move(it->call));
        it = q.erase(it);
      } else {
        ++it;
      }
    if (q.empty()) by_session_.erase(s);
    return out;
  }

  // The calls asked at or before `now_ms - timeout_ms`, taken out, oldest of each session first.
  std::vector<Call> expired(std::int64_t now_ms, std::int64_t timeout_ms) {
    std::vector<Call> out;
    for (auto s = by_session_.begin(); s != by_session_.end();) {
      auto& q = s->second;
      while (!q.empty() && q.front().since_ms + timeout_ms <= now_ms) {
        out.push_back(std::move(q.front().call));
        q.pop_front();
      }
      s = q.empty() ? by_session_.erase(s) : std::next(s);
    }
    return out;
  }

  std::size_t size() const {
    std::size_t n = 0;
    for (const auto& [session, q] : by_session_) n += q.size();
    return n;
  }

 private:
  struct entry {
    std::string tool_use_id;
    std::int64_t since_ms = 0;
    Call call;
  };
  static std::int64_t newest(const std::deque<entry>& q) { return q.empty() ? 0 : q.back().since_ms; }

  std::size_t per_session_, sessions_;
  std::map<std::string, std::deque<entry>> by_session_;
};

}  // namespace paios::autonomy
