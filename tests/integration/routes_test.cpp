// The routing decision log (`ai routes`, route.list) and the router's weight adjustments (`ai weights`,
// route.weights, route.adjust), read from the state store at start: through a real daemon with the built-in
// rules.
#include <gtest/gtest.h>


#include "tests/support/test_support.hpp"

using nlohmann::json;
using paios::test::daemon_process;
using paios::test::wire_peer;

namespace {

// The built-in router (an explicit "router" key keeps the harness from pinning tasks to the default brain);
// only the echo brain ever runs anything here.
json router_config() { return {{"router", json::object()}, {"tasks", {{"default_brain", "echo"}, {"failover", json::array()}}}}; }

json route(const daemon_process& d, const std::string& prompt) {
  return json::parse(d.ai({"--json", "route", prompt}).out);
}

}  // namespace

TEST(Routes, EveryDecisionIsLoggedWithARedactedSummaryAndTheBrainsTried) {
  daemon_process d{router_config()};
  d.start();
  auto r = d.ai({"@echo deploy with password=hunter2 and key sk-abcdefghijklmnopqrstuv please"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = d.ai({"--brain", "echo", "second task"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto routes = json::parse(d.ai({"--json", "routes"}).out);
  ASSERT_EQ(routes["decisions"].size(), 2u) << routes.dump();
  const auto& newest = routes["decisions"][0];
  const auto& first = routes["decisions"][1];
  EXPECT_EQ(newest.value("summary", ""), "second task");
  EXPECT_EQ(newest.value("override", ""), "echo");
  EXPECT_EQ(newest.value("reason", ""), "requested by the client");
  for (auto key : {"task_id", "trace_id", "time_ms", "category", "confidence", "scores", "rules", "chain", "tried",
                   "brain", "outcome", "summary"})
    EXPECT_TRUE(first.contains(key)) << key << " missing from " << first.dump();
  EXPECT_EQ(first.value("override", ""), "echo");
  EXPECT_EQ(first.value("brain", ""), "echo");
  EXPECT_EQ(first.value("outcome", ""), "succeeded");
  auto summary = first.value("summary", "");
  EXPECT_EQ(summary.find("hunter2"), std::string::npos) << summary;
  EXPECT_EQ(summary.find("sk-abc"), std::string::npos) << summary;
  EXPECT_NE(summary.find("password=[REDACTED]"), std::string::npos) << summary;
  ASSERT_EQ(first["tried"].size(), 1u);
  EXPECT_EQ(first["tried"][0].value("brain", ""), "echo");
  EXPECT_EQ(first["tried"][0].value("outcome", ""), "succeeded");
  // The table for people.
  auto table = d.ai({"routes"}).out;
  EXPECT_NE(table.find(" echo  succeeded "), std::string::npos) << table;  // BRAIN and OUTCOME
  EXPECT_EQ(table.find("hunter2"), std::string::npos);
  // Kept across a restart, with the task's id and trace.
  ASSERT_EQ(d.stop(SIGTERM), 0);
  d.start();
  auto again = json::parse(d.ai({"--json", "routes", "--limit", "1"}).out);
  ASSERT_EQ(again["decisions"].size(), 1u);
  EXPECT_EQ(again["decisions"][0].value("task_id", ""), newest.value("task_id", ""));
}

TEST(Weights, AnAdjustmentChangesTheNextDecisionAndSurvivesARestart) {
  daemon_process d{router_config()};
  d.start();
  const std::string prompt = "review this Python function";
  auto before = route(d, prompt);
  ASSERT_EQ(before.value("category", ""), "code_review") << before.dump();
  EXPECT_EQ(d.ai({"weights"}).out, "no weight adjustments: every rule has its configured weight\n");
  // Silence every rule that made it a code review: it no longer is one.
  std::vector<std::string> silenced;
  for (auto& fired : before["rules"]) {
    auto id = fired.get<std::string>().substr(0, fired.get<std::string>().find(':'));
    if (before["scores"].contains("code_review") && id.find("review") != std::string::npos) silenced.push_back(id);
  }
  ASSERT_FALSE(silenced.empty()) << before.dump();
  for (auto& id : silenced) {
    auto r = d.ai({"weights", "set", id, "0", "--note", "test: silence"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  EXPECT_NE(route(d, prompt).value("category", ""), "code_review");
  auto listed = json::parse(d.ai({"--json", "weights"}).out);
  ASSERT_EQ(listed["weights"].size(), silenced.size());
  EXPECT_EQ(listed["weights"][0].value("factor", -1.0), 0.0);
  EXPECT_EQ(listed["weights"][0].value("note", ""), "test: silence");

  ASSERT_EQ(d.stop(SIGTERM), 0);
  d.start();
  EXPECT_NE(route(d, prompt).value("category", ""), "code_review") << "the adjustment is read from the store at start";
  for (auto& id : silenced) ASSERT_EQ(d.ai({"weights", "set", id, "1"}).exit_code, 0);
  EXPECT_EQ(route(d, prompt).value("category", ""), "code_review") << "factor 1 restores the rule";
  EXPECT_EQ(json::parse(d.ai({"--json", "weights"}).out)["weights"].size(), 0u);
}

TEST(Weights, BadAdjustmentsAreNamedErrors) {
  daemon_process d{router_config()};
  d.start();
  auto r = d.ai({"weights", "set", "no-such-rule", "2"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("not_found: no router rule 'no-such-rule'"), std::string::npos) << r.err;
  r = d.ai({"weights", "set", "review-words", "11"});
  EXPECT_EQ(r.exit_code, 2) << "refused by ai itself";
  wire_peer peer{d.endpoint()};
  auto replies = peer.exchange({{"v", 1}, {"op", "route.adjust"}, {"id", "a"}, {"rule", "review-words"}, {"factor", -1}});
  ASSERT_FALSE(replies.empty());
  EXPECT_EQ(replies.back().value("code", ""), "bad_request");
  EXPECT_NE(replies.back().value("message", "").find("factor"), std::string::npos);
  replies = peer.exchange({{"v", 1}, {"op", "route.adjust"}, {"id", "b"}, {"rule", "review-words"}});
  EXPECT_EQ(replies.back().value("message", ""), "missing field 'factor' (number from 0 to 10)");
}

TEST(Routes, ALongTaskIsLoggedWhileItRuns) {
  auto config = router_config();
  // Long enough to be seen running by a loaded machine's polls (a sanitizer build under ctest -j).
  config["brains"] = {{"slow", {{"kind", "echo"}, {"delay_ms", 6000}}}};
  daemon_process d{config};
  d.start();
  wire_peer peer{d.endpoint()};
  peer.send({{"v", 1}, {"op", "task.submit"}, {"prompt", "take your time"}, {"brain", "slow"}});
  auto accepted = peer.receive();
  ASSERT_TRUE(accepted);
  const auto id = accepted->value("task_id", "");
  auto decision_of_the_task = [&] {
    auto list = json::parse(d.ai({"--json", "routes"}).out)["decisions"];  // a copy: never a temporary's member
    for (const auto& dec : list)
      if (dec.value("task_id", "") == id) return dec;
    return json();
  };
  auto running = paios::test::poll_until(decision_of_the_task, [](const json& dec) { return !dec.is_null(); },
                                         std::chrono::seconds(10));
  ASSERT_FALSE(running.is_null()) << "no entry while the task runs: " << d.ai({"--json", "routes"}).out;
  EXPECT_EQ(running.value("outcome", "x"), "");
  EXPECT_EQ(running.value("override", ""), "slow");
  // And completed when it ends.
  auto done = paios::test::poll_until(
      [&] { return json::parse(d.ai({"--json", "routes"}).out)["decisions"]; },
      [](const json& list) { return !list.empty() && list[0].value("outcome", "") == "succeeded"; },
      std::chrono::seconds(30));
  ASSERT_EQ(done.size(), 1u) << done.dump();
  EXPECT_EQ(done[0].value("outcome", ""), "succeeded");
}
