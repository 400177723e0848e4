// Brains that drive agent CLIs as child processes, through a real daemon: the recorded output formats of
// Claude Code, Codex and Gemini CLI (tests/fake_agents), a 1 MB prompt on stdin, timeouts, cancellation
// within a second, and no child process left behind after many mixed calls.
#include <signal.h>

#include <filesystem>
#include <fstream>


#include <gtest/gtest.h>

#include "tests/support/test_support.hpp"

using paios::test::wire_peer;

using nlohmann::json;
using paios::test::daemon_process;
using paios::test::fake_agent;

namespace {

json brain(const std::string& agent, const std::string& format, json env = json::object()) {
  return {{"kind", "process"}, {"command", {fake_agent(agent).string()}}, {"format", format}, {"env", env},
          {"kill_grace_ms", 500}, {"max_concurrent", 4}, {"max_queue", 256}};
}

json agents_config() {
  return {{"brains",
           {{"claude", brain("fake-claude", "claude-stream-json")},
            {"codex", brain("fake-codex", "codex-jsonl")},
            {"gemini", brain("fake-gemini", "gemini-json")},
            {"text", brain("fake-text", "text")},
            {"hang", brain("fake-text", "text", {{"FAKE_MODE", "hang-ignore-term"}})},
            {"crash", brain("fake-claude", "claude-stream-json", {{"FAKE_MODE", "crash"}})},
            {"exit3", brain("fake-codex", "codex-jsonl", {{"FAKE_MODE", "exit3"}})},
            {"flood", brain("fake-text", "text", {{"FAKE_MODE", "flood-stderr"}, {"FAKE_STDERR_BYTES", "5000000"}})}}},
          {"tasks", {{"default_brain", "text"}, {"failover", json::array()}}}};
}

json run_json(const daemon_process& d, const std::vector<std::string>& args, const std::string& stdin_data = {}) {
  std::vector<std::string> all{"--json"};
  all.insert(all.end(), args.begin(), args.end());
  auto lines = paios::test::json_lines(d.ai(all, stdin_data).out);
  return lines.empty() ? json{} : lines.back();
}

}  // namespace

TEST(ProcessBrain, ParsesEachAgentsRecordedFormat) {
  daemon_process d{agents_config()};
  d.start();
  for (std::string b : {"claude", "codex", "gemini", "text"}) {
    auto result = run_json(d, {"--brain", b, "what is the mesh?"});
    EXPECT_EQ(result.value("type", ""), "result") << b << ": " << result.dump();
    EXPECT_EQ(result.value("brain", ""), b);
    EXPECT_NE(result.value("text", "").find("what is the mesh?"), std::string::npos) << b << ": " << result.dump();
  }
}

TEST(ProcessBrain, AMegabytePromptTravelsOnStdin) {
  daemon_process d{agents_config()};
  d.start();
  std::string prompt(1 << 20, 'x');
  for (std::size_t i = 0; i < prompt.size(); i += 100) prompt[i] = '\n';
  auto r = d.ai({"--brain", "text", "-"}, prompt);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out.size(), prompt.size() + (prompt.back() == '\n' ? 0 : 1));
}

TEST(ProcessBrain, FailuresAreNamedErrors) {
  daemon_process d{agents_config()};
  d.start();
  auto crash = run_json(d, {"--brain", "crash", "x"});
  EXPECT_EQ(crash.value("code", ""), "brain_failed") << crash.dump();
  EXPECT_NE(crash.value("message", "").find("signal"), std::string::npos) << crash.dump();
  auto exit3 = run_json(d, {"--brain", "exit3", "x"});
  EXPECT_EQ(exit3.value("code", ""), "brain_failed") << exit3.dump();
  EXPECT_NE(exit3.value("message", "").find("status 3"), std::string::npos) << exit3.dump();
  auto flood = run_json(d, {"--brain", "flood", "still answers"});
  EXPECT_EQ(flood.value("type", ""), "result") << flood.dump();
}

TEST(ProcessBrain, TimeoutKillsAnAgentThatIgnoresSigterm) {
  daemon_process d{agents_config()};
  d.start();
  auto r = run_json(d, {"--brain", "hang", "--timeout", "1", "x"});
  EXPECT_EQ(r.value("code", ""), "timeout") << r.dump();
  EXPECT_EQ(r.value("state", ""), "timed_out");
  EXPECT_TRUE(d.agents_gone()) << "an agent that ignores SIGTERM never ends by itself: it was killed";
}

TEST(ProcessBrain, CancelIsObservedWithinOneSecond) {
  daemon_process d{agents_config()};
  d.start();
  paios::test::wire_peer peer{d.endpoint()};
  peer.send({{"v", 1}, {"op", "task.submit"}, {"prompt", "forever"}, {"brain", "hang"}});
  auto accepted = peer.receive();
  ASSERT_TRUE(accepted);
  auto id = accepted->value("task_id", "");
  ASSERT_TRUE(d.agent_runs("fake-text"));
  auto t0 = std::chrono::steady_clock::now();
  auto c = d.ai({"cancel", id});
  EXPECT_EQ(c.exit_code, 0) << c.err;
  std::optional<json> last;
  while (auto r = peer.receive(std::chrono::seconds(3))) {
    last = r;
    if (r->value("type", "") == "error" || r->value("type", "") == "result") break;
  }
  auto took = std::chrono::steady_clock::now() - t0;
  ASSERT_TRUE(last);
  EXPECT_EQ(last->value("code", ""), "cancelled") << last->dump();
  EXPECT_LT(took, std::chrono::milliseconds(1500));
  EXPECT_TRUE(d.agents().empty());
}

TEST(ProcessBrain, AThousandMixedCallsLeaveNoChildBehind) {
  auto cfg = agents_config();
  auto native = [](std::vector<std::string> cmd) {
    return json{{"kind", "process"}, {"command", cmd}, {"format", "text"}, {"kill_grace_ms", 200},
                {"max_concurrent", 4}, {"max_queue", 1000}, {"breaker", {{"enabled", false}}}};
  };
  // Every call reaches its brain once: no breaker opens, no failure is retried (both tested elsewhere).
  cfg["tasks"]["retry"] = {{"max_retries", 0}};
  cfg["brains"]["cat"] = native({"/bin/cat"});
  cfg["brains"]["segv"] = native({"/bin/sh", "-c", "kill -SEGV $$"});
  cfg["brains"]["sleepy"] = native({"/bin/sh", "-c", "sleep 30 & sleep 30"});
  daemon_process d{cfg};
  d.start();
  wire_peer peer{d.endpoint()};
  const int n = 1000;
  for (int i = 0; i < n; ++i) {
    json req{{"v", 1}, {"op", "task.submit"}, {"id", std::to_string(i)}, {"prompt", "call " + std::to_string(i)},
             {"stream", false}};
    switch (i % 5) {
      case 0: case 1: req["brain"] = "cat"; break;
      case 2: req["brain"] = "segv"; break;
      case 3: req["brain"] = "sleepy"; req["timeout_ms"] = 50; break;  // timeout
      case 4: req["brain"] = "sleepy"; break;                          // cancelled below
    }
    peer.send(req);
  }
  std::map<std::string, int> outcomes;
  int terminal = 0;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(240);
  while (terminal < n && std::chrono::steady_clock::now() < deadline) {
    auto r = peer.receive(std::chrono::seconds(20));
    if (!r) break;
    auto type = r->value("type", "");
    if (type == "accepted" && std::stoi(r->value("id", "0")) % 5 == 4)
      peer.send({{"v", 1}, {"op", "task.cancel"}, {"id", "c"}, {"task_id", r->value("task_id", "")}});
    if (type == "result") ++outcomes["succeeded"], ++terminal;
    if (type == "error" && r->value("id", "") != "c") ++outcomes[r->value("code", "?")], ++terminal;
  }
  EXPECT_EQ(terminal, n);
  EXPECT_EQ(outcomes["succeeded"], 400);
  EXPECT_EQ(outcomes["brain_failed"], 200);
  EXPECT_EQ(outcomes["timeout"], 200);
  EXPECT_EQ(outcomes["cancelled"], 200);
  EXPECT_TRUE(d.agents_gone()) << "an agent process outlived its call";
  EXPECT_TRUE(paios::test::children_of(d.pid()).empty()) << "zombies or orphans under paiosd";
}

TEST(ProcessBrain, ConcurrencyLimitAndBoundedQueue) {
  // The first task holds the one slot long enough for the checks below to find the second still queued, on a
  // loaded machine too (1.5 s was not enough for a sanitizer build's `ai status` and `ai cancel` under ctest -j).
  json cfg = {{"brains", {{"slowecho", {{"kind", "echo"}, {"delay_ms", 6000}, {"max_concurrent", 1}, {"max_queue", 1}}}}},
              {"tasks", {{"default_brain", "echo"}, {"failover", json::array()}}}};
  daemon_process d{cfg};
  d.start();
  wire_peer peer{d.endpoint()};
  for (int i = 0; i < 3; ++i)
    peer.send({{"v", 1}, {"op", "task.submit"}, {"id", std::to_string(i)}, {"prompt", "p"}, {"brain", "slowecho"}});
  std::map<std::string, json> last;
  std::string queued_task;
  while (last.size() < 1) {  // the third finds the one slot running and the one queue place taken
    auto r = peer.receive(std::chrono::seconds(5));
    ASSERT_TRUE(r);
    if (r->value("type", "") == "accepted" && r->value("id", "") == "1") queued_task = r->value("task_id", "");
    if (r->value("type", "") == "error") last[r->value("id", "")] = *r;
  }
  ASSERT_TRUE(last.count("2")) << last.begin()->second.dump();
  EXPECT_EQ(last["2"].value("code", ""), "overloaded");
  EXPECT_NE(last["2"].value("message", "").find("1 queued"), std::string::npos) << last["2"].dump();
  auto status = json::parse(d.ai({"status", "--json"}).out);
  for (auto& b : status["brains"])
    if (b.value("name", "") == "slowecho") {
      EXPECT_EQ(b.value("running", -1), 1);
      EXPECT_EQ(b.value("queued", -1), 1);
    }
  // A queued task is cancelled without ever running.
  while (queued_task.empty()) {
    auto r = peer.receive(std::chrono::seconds(5));
    ASSERT_TRUE(r);
    if (r->value("type", "") == "accepted" && r->value("id", "") == "1") queued_task = r->value("task_id", "");
  }
  EXPECT_EQ(d.ai({"cancel", queued_task}).exit_code, 0);
  std::map<std::string, std::string> ends;
  while (ends.size() < 2) {
    auto r = peer.receive(std::chrono::seconds(10));
    ASSERT_TRUE(r);
    auto type = r->value("type", "");
    if (type == "result" || type == "error") ends[r->value("id", "")] = type + ":" + r->value("code", "");
  }
  EXPECT_EQ(ends["0"], "result:");
  EXPECT_EQ(ends["1"], "error:cancelled");
}

TEST(ProcessBrain, CtrlCInAiCancelsTheTask) {
  daemon_process d{agents_config()};
  d.start();
  auto r = paios::test::run_program({"/usr/bin/timeout", "--preserve-status", "-s", "INT", "1",
                                     paios::test::ai_path().string(), "--home", d.home().string(), "--brain", "hang",
                                     "wait forever"});
  EXPECT_EQ(r.exit_code, 130) << r.err;
  EXPECT_NE(r.err.find("cancelled"), std::string::npos) << r.err;
  auto tasks = json::parse(d.ai({"tasks", "--json"}).out);
  ASSERT_EQ(tasks["tasks"].size(), 1u);
  EXPECT_EQ(tasks["tasks"][0].value("state", ""), "cancelled");
  EXPECT_TRUE(d.agents_gone());
}

// A claude brain runs Claude Code with the autonomy gate installed for that run (docs/autonomy.md, "Claude Code,
// end to end"): dontAsk and a PreToolUse hook whose command reaches this daemon, waiting past the approval
// timeout. The hook command the agent was given, run as Claude Code runs it, gets this daemon's decision.
TEST(ProcessBrain, ClaudeRunsWithTheAutonomyGate) {
  paios::test::temp_dir scratch;
  const auto argv_file = (scratch.path() / "argv.jsonl").string();
  auto cfg = agents_config();
  cfg["brains"]["claude"]["env"] = {{"FAKE_ARGV_FILE", argv_file}, {"PAIOS_HOME", "/elsewhere"}};
  cfg["brains"]["ungated"] = brain("fake-claude", "claude-stream-json", {{"FAKE_ARGV_FILE", argv_file}});
  cfg["autonomy"] = {{"approval_timeout_ms", 20000}};
  daemon_process d{cfg};
  d.start();
  for (std::string b : {"claude", "ungated"}) {
    auto result = run_json(d, {"--brain", b, "gated?"});
    ASSERT_EQ(result.value("type", ""), "result") << b << ": " << result.dump();
  }
  std::ifstream in(argv_file);
  std::vector<json> calls;
  for (std::string line; std::getline(in, line);) calls.push_back(json::parse(line));
  ASSERT_EQ(calls.size(), 2u);
  const auto gated = calls[0]["argv"].get<std::vector<std::string>>();
  ASSERT_EQ(gated.size(), 4u) << calls[0].dump();
  EXPECT_EQ(gated[0], "--permission-mode");
  EXPECT_EQ(gated[1], "dontAsk");
  EXPECT_EQ(gated[2], "--settings");
  auto settings = json::parse(gated[3]);
  auto& hook = settings["hooks"]["PreToolUse"][0];
  EXPECT_EQ(hook["matcher"], "*");
  const auto command = hook["hooks"][0].value("command", "");
  EXPECT_EQ(command, paios::test::ai_path().string() + " --home " + d.home().string() + " hook pre-tool-use");
  EXPECT_EQ(hook["hooks"][0].value("timeout", 0), 20 + 30) << "approval_timeout_ms and a margin, in seconds";
  EXPECT_EQ(calls[0].value("PAIOS_HOME", ""), d.home().string()) << "the daemon's home wins over the brain's env";
  EXPECT_TRUE(calls[1]["argv"].empty()) << "autonomy_gate is false by default: " << calls[1].dump();
  auto status = json::parse(d.ai({"status", "--json"}).out);
  for (auto& b : status["brains"])
    if (b.value("name", "") == "claude" || b.value("name", "") == "ungated")
      EXPECT_EQ(b.value("autonomy_gate", ""), b["name"] == "claude" ? paios::test::ai_path().string() : "") << b.dump();

  // The command, run by a shell as Claude Code runs it, is judged by this daemon: a never rule denies.
  json payload{{"hook_event_name", "PreToolUse"}, {"session_id", "s-gate"}, {"cwd", scratch.path().string()},
               {"tool_name", "Bash"}, {"tool_input", {{"command", "rm -rf /"}}}};
  auto r = paios::test::run_program({"/bin/sh", "-c", command}, {{"PAIOS_HOOK_DEADLINE_MS", "5000"}}, payload.dump());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto out = json::parse(r.out);
  EXPECT_EQ(out["hookSpecificOutput"].value("permissionDecision", ""), "deny") << r.out;
  auto events = run_json(d, {"obs", "--category", "autonomy"});
  EXPECT_NE(events.dump().find("s-gate"), std::string::npos) << "the decision is this daemon's: " << events.dump();
}

// Without an `ai` to run as its hook, a gated brain is unavailable: its agent never runs ungated.
TEST(ProcessBrain, AGatedBrainWithoutTheAiBinaryIsUnavailable) {
  paios::test::temp_dir scratch;
  const auto argv_file = (scratch.path() / "argv.jsonl").string();
  auto cfg = agents_config();
  cfg["brains"]["claude"]["env"] = {{"FAKE_ARGV_FILE", argv_file}};
  cfg["hooks"] = {{"ai_path", (scratch.path() / "no-such-ai").string()}};
  daemon_process d{cfg};
  d.start();
  auto result = run_json(d, {"--brain", "claude", "gated?"});
  EXPECT_EQ(result.value("code", ""), "brain_unavailable") << result.dump();
  EXPECT_NE(result.value("message", "").find("hooks.ai_path"), std::string::npos) << result.dump();
  EXPECT_FALSE(std::filesystem::exists(argv_file)) << "the agent did not run";
}

// Codex runs with its PreToolUse hook given on the command line; the hook, run as Codex runs it, answers in Codex's
// shape. Gemini's hook must sit in a settings file only root may write: under the temporary folder (writable by
// all) there is none, and the gated gemini brain is unavailable rather than run ungated.
TEST(ProcessBrain, CodexAndGeminiRunWithTheirGates) {
  paios::test::temp_dir scratch;
  const auto argv_file = (scratch.path() / "argv.jsonl").string();
  auto cfg = agents_config();
  cfg["brains"]["codex"]["env"] = {{"FAKE_ARGV_FILE", argv_file}};
  cfg["brains"]["gemini"]["env"] = {{"FAKE_ARGV_FILE", argv_file}};
  cfg["brains"]["gemini"]["autonomy_gate"] = true;
  cfg["autonomy"] = {{"approval_timeout_ms", 20000}};
  daemon_process d{cfg};
  d.start();
  auto result = run_json(d, {"--brain", "codex", "gated?"});
  ASSERT_EQ(result.value("type", ""), "result") << result.dump();
  std::ifstream in(argv_file);
  std::string line;
  ASSERT_TRUE(std::getline(in, line));
  const auto argv = json::parse(line)["argv"].get<std::vector<std::string>>();
  ASSERT_EQ(argv.size(), 5u) << line << " (autonomy_gate is on by default for codex)";
  EXPECT_EQ(argv[0], "--enable");
  EXPECT_EQ(argv[2], "--dangerously-bypass-hook-trust");
  const std::string prefix = "hooks.PreToolUse=[{matcher=\"*\",hooks=[{type=\"command\",command=";
  ASSERT_EQ(argv[4].rfind(prefix, 0), 0u) << argv[4];
  const auto rest = argv[4].substr(prefix.size());
  const auto command = json::parse(rest.substr(0, rest.find(",timeout="))).get<std::string>();
  EXPECT_EQ(command, paios::test::ai_path().string() + " --home " + d.home().string() +
                         " hook --agent codex --run-gate pre-tool-use");
  EXPECT_NE(rest.find(",timeout=50}]}]"), std::string::npos) << "approval_timeout_ms and a margin, in seconds: " << rest;

  json payload{{"hook_event_name", "PreToolUse"}, {"session_id", "s-codex"}, {"turn_id", "t"},
               {"cwd", scratch.path().string()}, {"tool_name", "Bash"}, {"tool_input", {{"command", "rm -rf ~"}}},
               {"tool_use_id", "call_1"}};
  auto r = paios::test::run_program({"/bin/sh", "-c", command}, {{"PAIOS_HOOK_DEADLINE_MS", "5000"}}, payload.dump());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto out = json::parse(r.out);
  EXPECT_EQ(out["hookSpecificOutput"].value("permissionDecision", ""), "deny") << r.out;
  EXPECT_NE(out["hookSpecificOutput"].value("permissionDecisionReason", "").find("rm-"), std::string::npos) << r.out;
  payload["tool_input"]["command"] = "ls";
  r = paios::test::run_program({"/bin/sh", "-c", command}, {{"PAIOS_HOOK_DEADLINE_MS", "5000"}}, payload.dump());
  EXPECT_EQ(r.out, "") << "Codex would reject an allow: a safe call gets no answer";
  // In such a run (PAIOS_RUN_GATE set), a person's own Codex hook (no --run-gate) steps aside: judged once.
  payload["tool_input"]["command"] = "rm -rf ~";
  const auto persons = paios::test::ai_path().string() + " --home " + d.home().string() + " hook --agent codex pre-tool-use";
  r = paios::test::run_program({"/bin/sh", "-c", persons}, {{"PAIOS_HOOK_DEADLINE_MS", "5000"}, {"PAIOS_RUN_GATE", "codex"}},
                               payload.dump());
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "") << "the run's own hook answers, not this one";
  auto events = run_json(d, {"obs", "--category", "autonomy"});
  EXPECT_NE(events.dump().find("\"brain\":\"codex\""), std::string::npos) << events.dump();

  auto gemini = run_json(d, {"--brain", "gemini", "gated?"});
  EXPECT_EQ(gemini.value("code", ""), "brain_unavailable") << gemini.dump();
  EXPECT_NE(gemini.value("message", "").find("root"), std::string::npos) << gemini.dump();
  std::ifstream again(argv_file);
  int calls = 0;
  while (std::getline(again, line)) ++calls;
  EXPECT_EQ(calls, 1) << "gemini did not run";
}

// Codex and Gemini run a call their hook gave no answer for: in a gated run, `ai hook --run-gate` denies a call the
// daemon did not judge (here: no daemon at all), and a person's hook leaves it to the CLI, but for the built-in
// `never` rules, which `ai hook` judges itself.
TEST(ProcessBrain, AGatedRunsHookDeniesWhatNoOneJudged) {
  paios::test::temp_dir home;
  const auto ai = paios::test::ai_path().string();
  auto hook = [&](const std::string& agent, bool run_gate, const json& payload) {
    std::vector<std::string> argv{ai, "--home", home.path().string(), "hook", "--agent", agent};
    if (run_gate) argv.push_back("--run-gate");
    argv.push_back("pre-tool-use");
    auto r = paios::test::run_program(argv, {{"PAIOS_RUN_GATE", run_gate ? agent : ""}}, payload.dump());
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return r.out;
  };
  json codex{{"hook_event_name", "PreToolUse"}, {"session_id", "s"}, {"cwd", home.path().string()},
             {"tool_name", "Bash"}, {"tool_input", {{"command", "rm notes.txt"}}}};
  auto out = json::parse(hook("codex", true, codex));
  EXPECT_EQ(out["hookSpecificOutput"]["permissionDecision"], "deny");
  EXPECT_NE(out["hookSpecificOutput"].value("permissionDecisionReason", "").find("PAIOS could not judge this call (daemon down"),
            std::string::npos) << out.dump();
  EXPECT_EQ(hook("codex", false, codex), "") << "a person's session: Codex's own approval flow decides";
  codex["tool_input"]["command"] = "rm -rf ~";
  out = json::parse(hook("codex", false, codex));
  EXPECT_NE(out["hookSpecificOutput"].value("permissionDecisionReason", "").find("rule rm-"), std::string::npos) << out.dump();

  json gemini{{"hook_event_name", "BeforeTool"}, {"session_id", "g"}, {"cwd", home.path().string()},
              {"tool_name", "write_file"}, {"tool_input", {{"file_path", "notes.md"}, {"content", "x"}}}};
  out = json::parse(hook("gemini", true, gemini));
  EXPECT_EQ(out.value("decision", ""), "deny") << out.dump();
  EXPECT_EQ(hook("gemini", false, gemini), "");
}
