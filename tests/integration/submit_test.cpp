// A real paiosd in a temporary PAIOS_HOME, driven through the real `ai` client: submit and stream, --json
// events, status, history, default brain failover and the errors a person sees.
#include <fstream>

#include <gtest/gtest.h>

#include "tests/support/test_support.hpp"

using nlohmann::json;
using paios::test::daemon_process;
using paios::test::json_lines;

namespace {

json echo_config() {
  return {{"tasks", {{"default_brain", "echo"}, {"failover", json::array()}}}};
}


}  // namespace

TEST(Submit, AiStreamsTheAnswerOfTheEchoBrain) {
  daemon_process d{echo_config()};
  d.start();
  auto r = d.ai({"hello", "mesh"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "hello mesh\n");
}

TEST(Submit, JsonPrintsOneEventPerLineWithTaskAndTraceIds) {
  daemon_process d{echo_config()};
  d.start();
  auto r = d.ai({"--json", "--brain", "echo", "a json task"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto lines = json_lines(r.out);
  ASSERT_EQ(lines.size(), 4u) << r.out;
  std::vector<std::string> types;
  for (auto& l : lines) types.push_back(l.value("type", ""));
  EXPECT_EQ(types, (std::vector<std::string>{"accepted", "routed", "chunk", "result"}));
  auto task_id = lines[0].value("task_id", "");
  auto trace_id = lines[0].value("trace_id", "");
  EXPECT_FALSE(task_id.empty());
  EXPECT_EQ(trace_id.size(), 32u);
  for (auto& l : lines) {
    EXPECT_EQ(l.value("task_id", ""), task_id);
    EXPECT_EQ(l.value("trace_id", ""), trace_id);
  }
  EXPECT_EQ(lines[1].value("brain", ""), "echo");
  EXPECT_EQ(lines[3].value("text", ""), "a json task");
}

TEST(Submit, PromptFromStdin) {
  daemon_process d{echo_config()};
  d.start();
  auto r = d.ai({"-"}, "from stdin\nsecond line\n");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "from stdin\nsecond line\n");
}

TEST(Submit, HistoryShowsEveryTask) {
  daemon_process d{echo_config()};
  d.start();
  auto first = json_lines(d.ai({"--json", "first task"}).out);
  d.ai({"second task"});
  auto id = first.at(0).value("task_id", "");
  auto one = d.ai({"task", id});
  EXPECT_EQ(one.exit_code, 0) << one.err;
  EXPECT_NE(one.out.find("succeeded"), std::string::npos) << one.out;
  EXPECT_NE(one.out.find("first task"), std::string::npos) << one.out;
  auto list = d.ai({"tasks", "--json"});
  ASSERT_EQ(list.exit_code, 0) << list.err;
  auto tasks = json::parse(list.out)["tasks"];
  ASSERT_EQ(tasks.size(), 2u);
  EXPECT_EQ(tasks[0].value("prompt_preview", ""), "second task");  // newest first
  EXPECT_EQ(tasks[1].value("task_id", ""), id);
}

TEST(Submit, StatusShowsBrainsAndTheSupervisorTree) {
  daemon_process d{echo_config()};
  d.start();
  auto r = d.ai({"status", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto st = json::parse(r.out);
  EXPECT_GT(st["daemon"].value("pid", 0), 0);
  bool echo_available = false;
  for (auto& b : st["brains"])
    if (b.value("name", "") == "echo") echo_available = b.value("available", false);
  EXPECT_TRUE(echo_available) << st.dump(2);
  std::vector<std::string> children;
  for (auto& c : st["tree"]["children"]) children.push_back(c.value("name", ""));
  EXPECT_EQ(children, (std::vector<std::string>{"state_store", "obs_store", "kb_store", "brains", "mcp", "autonomy", "hooks", "dispatcher",
                                                "notifier", "alerts", "scheduler", "pipelines", "watchers", "config", "zmq_bridge",
                                                "http_bridge"}));
  auto human = d.ai({"status"});
  EXPECT_EQ(human.exit_code, 0);
  EXPECT_NE(human.out.find("brain:echo"), std::string::npos) << human.out;
  EXPECT_NE(human.out.find("restarts"), std::string::npos) << human.out;
}

TEST(Submit, MissingProgramIsUnavailableAndTheTaskFailsOver) {
  json cfg = {{"brains", {{"ghost", {{"kind", "process"}, {"command", {"paios-no-such-program"}}}}}},
              {"tasks", {{"default_brain", "ghost"}, {"failover", {"echo"}}}}};
  daemon_process d{cfg};
  d.start();
  auto r = d.ai({"--json", "fail me over"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto lines = json_lines(r.out);
  std::vector<std::string> brains;
  for (auto& l : lines)
    if (l.value("type", "") == "routed") brains.push_back(l.value("brain", ""));
  EXPECT_EQ(brains, (std::vector<std::string>{"ghost", "echo"}));
  EXPECT_EQ(lines.back().value("text", ""), "fail me over");
  EXPECT_NE(lines.back().dump().find("echo"), std::string::npos);

  auto status = json::parse(d.ai({"status", "--json"}).out);
  for (auto& b : status["brains"])
    if (b.value("name", "") == "ghost") {
      EXPECT_FALSE(b.value("available", true));
      EXPECT_NE(b.value("reason", "").find("paios-no-such-program"), std::string::npos);
    }
}

TEST(Submit, ExplicitMissingBrainFailsNamingTheProgram) {
  json cfg = {{"brains", {{"ghost", {{"kind", "process"}, {"command", {"paios-no-such-program"}}}}}},
              {"tasks", {{"default_brain", "echo"}, {"failover", json::array()}}}};
  daemon_process d{cfg};
  d.start();
  auto r = d.ai({"--brain", "ghost", "hello"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("brain_unavailable"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("paios-no-such-program"), std::string::npos) << r.err;
}

TEST(Submit, UnknownBrainIsRefusedListingTheKnownOnes) {
  daemon_process d{echo_config()};
  d.start();
  auto r = d.ai({"--brain", "nope", "hello"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("unknown_brain"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("echo"), std::string::npos) << r.err;
  auto list = json::parse(d.ai({"tasks", "--json"}).out);
  EXPECT_TRUE(list["tasks"].empty()) << "a refused task must not be stored";
}

TEST(Submit, AiSaysHowToStartTheDaemonWhenItIsNotRunning) {
  daemon_process d{echo_config()};  // never started
  for (auto args : {std::vector<std::string>{"ping"}, std::vector<std::string>{"hello"},
                    std::vector<std::string>{"status"}}) {
    auto r = d.ai(args);
    EXPECT_EQ(r.exit_code, 3);
    EXPECT_NE(r.err.find("paiosd is not running"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("paiosd --home"), std::string::npos) << r.err;
  }
}

TEST(Submit, AiPingAnswers) {
  daemon_process d{echo_config()};
  d.start();
  auto r = d.ai({"ping"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("pong"), std::string::npos);
}

TEST(Submit, TheRouterPicksTheBrainAndExplainsWhy) {
  // Real routing: code review goes to codex first, and the decision is shown without running anything.
  json cfg = {{"brains", {{"codex", {{"command", {paios::test::fake_agent("fake-codex").string()}}}},
                          {"claude", {{"command", {paios::test::fake_agent("fake-claude").string()}}}}}},
              {"router", {{"threshold", 0.3}}}};
  daemon_process d{cfg};
  d.start();
  auto route = d.ai({"route", "--json", "review this Python function"});
  ASSERT_EQ(route.exit_code, 0) << route.err;
  auto r = json::parse(route.out);
  EXPECT_EQ(r.value("category", ""), "code_review");
  EXPECT_EQ(r.value("brain", ""), "codex");
  EXPECT_EQ(r["chain"], (json{"codex", "claude"}));
  EXPECT_GT(r.value("confidence", 0.0), 0.3);
  EXPECT_FALSE(r["rules"].empty());
  EXPECT_TRUE(r["scores"].contains("code_review"));
  // The real task goes the same way, and an override in the prompt wins and is removed from it.
  auto lines = json_lines(d.ai({"--json", "review this Python function"}).out);
  ASSERT_GE(lines.size(), 2u);
  EXPECT_EQ(lines[1].value("brain", ""), "codex");
  EXPECT_NE(lines[1].value("reason", "").find("code_review"), std::string::npos) << lines[1].dump();
  auto ask = json_lines(d.ai({"--json", "ask Claude to review this"}).out);
  ASSERT_GE(ask.size(), 4u);
  EXPECT_EQ(ask[1].value("brain", ""), "claude");
  EXPECT_EQ(ask.back().value("text", ""), "You asked: review this") << "the override phrase is not sent";
  // An unknown brain named in the prompt is refused, listing the known ones; nothing is stored.
  auto bad = d.ai({"@copilot write tests"});
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_NE(bad.err.find("unknown brain 'copilot'"), std::string::npos) << bad.err;
  // An image attachment goes to the vision brain (gemini, missing here, so the chain fails over to claude).
  paios::test::temp_dir dir;
  std::ofstream(dir.path() / "shot.png") << "png";
  auto vision = json::parse(d.ai({"route", "--json", "--attach", (dir.path() / "shot.png").string(), "what is this"}).out);
  EXPECT_EQ(vision.value("category", ""), "vision");
  EXPECT_EQ(vision.value("brain", ""), "gemini");
}
