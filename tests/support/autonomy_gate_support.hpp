#pragma once
// What the autonomy gate's integration tests share (autonomy_gate_test, autonomy_cli_test): a daemon configured
// for the gate, a project folder with its PreToolUse payloads, `ai hook` run as Claude Code runs it, the pending
// approvals, one approval answered, and the autonomy events of the store.
#include <future>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tests/support/test_support.hpp"

namespace paios::test::gate {

using nlohmann::json;
using namespace std::chrono_literals;

// `ai hook` gets a generous deadline (a loaded CI machine); approvals wait at most `approval_ms`.
inline json gate_config(std::int64_t approval_ms = 120000) {
  return {{"hooks", {{"deadline_ms", 5000}}},
          {"autonomy", {{"approval_timeout_ms", approval_ms}}},
          {"notify", {{"notify_send", false}}}};  // the notification is an event only
}

struct project {
  paios::test::temp_dir dir;
  std::string cwd() const { return dir.path().string(); }
  json call(const std::string& command, const std::string& session = "session-1",
            const std::string& tool_use_id = "toolu_test") const {
    return {{"session_id", session},       {"transcript_path", (dir.path() / "t.jsonl").string()},
            {"cwd", cwd()},                {"permission_mode", "dontAsk"},
            {"hook_event_name", "PreToolUse"}, {"tool_name", "Bash"},
            {"tool_input", {{"command", command}, {"description", "a test call"}}},
            {"tool_use_id", tool_use_id}};
  }
  // The PostToolUse Claude Code sends once the call of a PreToolUse payload ran.
  static json ran(json pre) {
    pre["hook_event_name"] = "PostToolUse";
    pre["tool_response"] = {{"stdout", ""}, {"stderr", ""}, {"interrupted", false}};
    return pre;
  }
};

// Runs `ai hook EVENT` with the payload on stdin, as Claude Code runs it in a person's session.
inline run_result hook_event(const std::filesystem::path& home, const std::string& event, const json& payload) {
  return paios::test::run_program({paios::test::ai_path().string(), "--home", home.string(), "hook", event}, {},
                                  payload.dump(), 60s);
}

// Runs `ai hook PreToolUse` as an agent of a daemon task would (PAIOS_TASK_ID set) or as a person's session.
inline run_result hook(const std::filesystem::path& home, const json& payload, const std::string& task_id = {}) {
  std::vector<std::pair<std::string, std::string>> env;
  if (!task_id.empty()) env.emplace_back("PAIOS_TASK_ID", task_id);
  return paios::test::run_program({paios::test::ai_path().string(), "--home", home.string(), "hook", "PreToolUse"}, env,
                                  payload.dump(), 180s);
}

// The hookSpecificOutput the hook printed ({} when it printed nothing).
inline json decision_of(const run_result& r) {
  EXPECT_EQ(r.exit_code, 0) << r.err;
  if (r.out.empty()) return json::object();
  auto j = json::parse(r.out, nullptr, false);
  EXPECT_TRUE(j.is_object() && j.contains("hookSpecificOutput")) << r.out;
  if (!j.is_object() || !j.contains("hookSpecificOutput")) return json::object();
  EXPECT_EQ(j["hookSpecificOutput"].value("hookEventName", ""), "PreToolUse");
  return j["hookSpecificOutput"];
}

inline std::vector<json> pending(const daemon_process& d) {
  auto r = d.ai({"--json", "approvals"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  auto lines = paios::test::json_lines(r.out);
  if (lines.empty()) return {};
  return lines.back().value("approvals", std::vector<json>{});
}

// Waits until exactly one approval is pending and returns it.
inline json the_pending_approval(const daemon_process& d) {
  auto all = paios::test::poll_until([&] { return pending(d); }, [](const std::vector<json>& a) { return a.size() == 1; },
                                     30s, 20ms);
  EXPECT_EQ(all.size(), 1u);
  return all.empty() ? json::object() : all.front();
}

inline std::vector<json> autonomy_events(wire_peer& peer, const std::string& action = {}) {
  json q{{"category", "autonomy"}, {"limit", 1000}};
  if (!action.empty()) q["action"] = action;
  auto r = peer.exchange(bus_request("obs.query", q)).back();
  return r.value("events", std::vector<json>{});
}

// Events reach the store on its flush timer: waits for `n` of them.
inline std::vector<json> wait_autonomy_events(wire_peer& peer, const std::string& action, std::size_t n) {
  return paios::test::poll_until([&] { return autonomy_events(peer, action); },
                                 [n](const std::vector<json>& es) { return es.size() >= n; }, 10s, 20ms);
}

// Approves (or denies) the one pending approval of `command` in the project, run as a daemon task's hook in a
// session of its own (so that no session grant is involved); returns the hook's decision.
inline json answer_once(const daemon_process& d, const project& p, const std::string& command, const std::string& session,
                 bool approve) {
  auto waiting = std::async(std::launch::async, [&] { return hook(d.home(), p.call(command, session), "t-" + session); });
  auto a = the_pending_approval(d);
  if (approve) EXPECT_EQ(d.ai({"approve", a.value("id", "")}).exit_code, 0);
  else EXPECT_EQ(d.ai({"deny", a.value("id", ""), "--reason", "not now"}).exit_code, 0);
  return decision_of(waiting.get());
}

}  // namespace paios::test::gate
