// Failover, retries and circuit breakers in a real daemon, with fake brains that fail, hang and recover on
// command (tests/fake_agents: FAKE_MODE_FILE is read at each call, FAKE_CALLS_FILE counts the calls).
#include <fstream>

#include <gtest/gtest.h>

#include "tests/support/test_support.hpp"

using nlohmann::json;
using namespace paios::test;  // the tests' shared support (tests/support)

namespace {

// Two fake text brains: `flaky` first, `backup` after it. Each reads its mode from a file the test writes.
struct rig {
  temp_dir files;
  std::filesystem::path mode(const std::string& brain) const { return files.path() / (brain + ".mode"); }
  std::filesystem::path calls(const std::string& brain) const { return files.path() / (brain + ".calls"); }

  void set_mode(const std::string& brain, const std::string& m) const { std::ofstream(mode(brain)) << m; }
  int calls_of(const std::string& brain) const {
    std::ifstream in(calls(brain));
    int n = 0;
    for (std::string line; std::getline(in, line);) ++n;
    return n;
  }

  json brain(const std::string& name, json extra = json::object()) const {
    json b{{"kind", "process"},
           {"command", {fake_agent("fake-text").string()}},
           {"format", "text"},
           {"kill_grace_ms", 200},
           {"env", {{"FAKE_MODE_FILE", mode(name).string()}, {"FAKE_CALLS_FILE", calls(name).string()}}}};
    b.update(extra);
    return b;
  }

  // Breakers that judge after 2 calls; retries short enough for a test.
  json config(json flaky_extra = json::object(), int max_retries = 0) const {
    return {{"brains", {{"flaky", brain("flaky", flaky_extra)}, {"backup", brain("backup")}}},
            {"breaker", {{"window", 4}, {"min_calls", 2}, {"failure_rate", 0.5}, {"open_ms", 60000}, {"half_open_calls", 1}}},
            {"tasks",
             {{"default_brain", "flaky"},
              {"failover", {"backup"}},
              {"retry", {{"max_retries", max_retries}, {"base_delay_ms", 20}, {"max_delay_ms", 50}}}}}};
  }
};

// `ai --json PROMPT`: every line it printed, and the terminal one.
struct ask_result {
  std::vector<json> lines;
  json last;
  std::vector<std::string> routed;  // the brains of the routed events, in order
};

ask_result ask(const daemon_process& d, const std::string& prompt) {
  auto r = d.ai({"--json", prompt});
  ask_result out;
  out.lines = json_lines(r.out);
  if (!out.lines.empty()) out.last = out.lines.back();
  for (auto& l : out.lines)
    if (l.value("type", "") == "routed") out.routed.push_back(l.value("brain", ""));
  return out;
}

json status_of(const daemon_process& d) { return json::parse(d.ai({"--json", "status"}).out); }

json breaker_of(const daemon_process& d, const std::string& brain) {
  const auto status = status_of(d);  // kept: iterating a temporary's member would dangle
  for (auto& b : status["brains"])
    if (b.value("name", "") == brain) return b.value("breaker", json::object());
  return json::object();
}

}  // namespace

TEST(Failover, ATransientFailureIsRetriedWithBackoffThenTheChainMovesOn) {
  rig r;
  r.set_mode("flaky", "exit3");  // fails at once, printing nothing: the task may be retried and failed over
  daemon_process d{r.config({{"breaker", {{"enabled", false}}}}, 2)};  // retries alone, no breaker verdict
  d.start();
  auto a = ask(d, "hello there");
  EXPECT_EQ(a.last.value("type", ""), "result") << a.last.dump();
  EXPECT_EQ(a.last.value("brain", ""), "backup");
  EXPECT_EQ(r.calls_of("flaky"), 3) << "one call and two retries";
  EXPECT_EQ(r.calls_of("backup"), 1);
  EXPECT_EQ(a.routed, (std::vector<std::string>{"flaky", "flaky", "flaky", "backup"}));
  // The routed events say why: retries, then the failover with what went wrong.
  bool saw_retry = false, saw_failover = false;
  for (auto& l : a.lines) {
    auto reason = l.value("reason", "");
    saw_retry = saw_retry || reason.rfind("retry 1 after: flaky: ", 0) == 0;
    saw_failover = saw_failover || (reason.rfind("failover: ", 0) == 0 && reason.find("quota exceeded") != std::string::npos);
  }
  EXPECT_TRUE(saw_retry) << a.lines.size();
  EXPECT_TRUE(saw_failover);
}

TEST(Failover, WhenEveryBrainFailsTheErrorNamesEachAndWhy) {
  rig r;
  r.set_mode("flaky", "exit3");
  r.set_mode("backup", "exit3");
  daemon_process d{r.config()};
  d.start();
  auto a = ask(d, "anyone?");
  ASSERT_EQ(a.last.value("type", ""), "error") << a.last.dump();
  auto message = a.last.value("message", "");
  EXPECT_EQ(a.last.value("code", ""), "brain_failed");
  EXPECT_NE(message.find("no brain could run the task"), std::string::npos) << message;
  EXPECT_NE(message.find("flaky: "), std::string::npos) << message;
  EXPECT_NE(message.find("backup: "), std::string::npos) << message;
}

TEST(Failover, AHangingBrainTimesOutAndTheTaskFailsOver) {
  rig r;
  r.set_mode("flaky", "hang");
  daemon_process d{r.config({{"timeout_ms", 300}}, 2)};
  d.start();
  auto a = ask(d, "still there?");
  EXPECT_EQ(a.last.value("type", ""), "result") << a.last.dump();
  EXPECT_EQ(a.last.value("brain", ""), "backup");
  EXPECT_EQ(r.calls_of("flaky"), 1) << "a timeout is not retried on the same brain";
}

TEST(Failover, AnAnswerThatBeganStreamingIsNeverRunAgain) {
  rig r;
  r.set_mode("flaky", "error");  // prints the answer, then exits 1
  daemon_process d{r.config(json::object(), 2)};
  d.start();
  auto a = ask(d, "tell me something");
  ASSERT_EQ(a.last.value("type", ""), "error") << a.last.dump();
  EXPECT_EQ(a.last.value("code", ""), "brain_failed");
  EXPECT_NE(a.last.value("message", "").find("not run again: flaky's answer had already begun streaming"),
            std::string::npos)
      << a.last.dump();
  EXPECT_EQ(r.calls_of("flaky"), 1);
  EXPECT_EQ(r.calls_of("backup"), 0);
}

TEST(Breaker, OpensOnFailuresSkipsTheBrainThenProbesAndCloses) {
  rig r;
  r.set_mode("flaky", "exit3");
  auto cfg = r.config();
  // Long enough that the checks below run while it is open on a loaded machine (a sanitizer build under
  // ctest -j took more than 1.5 s for them); the probe then waits for the breaker's own open_until_ms.
  cfg["brains"]["flaky"]["breaker"] = {{"open_ms", 8000}};
  daemon_process d{cfg};
  d.start();
  EXPECT_EQ(breaker_of(d, "flaky").value("state", ""), "closed");
  for (int i = 0; i < 2; ++i) EXPECT_EQ(ask(d, "task " + std::to_string(i)).last.value("brain", ""), "backup");
  EXPECT_EQ(r.calls_of("flaky"), 2);
  auto open = breaker_of(d, "flaky");
  EXPECT_EQ(open.value("state", ""), "open") << open.dump();
  EXPECT_EQ(open["last_change"].value("from", ""), "closed");
  EXPECT_NE(open["last_change"].value("reason", "").find("2 of the last 2 calls failed"), std::string::npos) << open.dump();
  EXPECT_NE(d.ai({"status"}).out.find("breaker open for another"), std::string::npos);

  // Open: the brain is not called at all, and the decision log says it was skipped and why.
  auto skipped = ask(d, "task while open");
  EXPECT_EQ(skipped.last.value("brain", ""), "backup");
  EXPECT_EQ(skipped.routed, (std::vector<std::string>{"backup"}));
  EXPECT_EQ(r.calls_of("flaky"), 2);
  auto routes = json::parse(d.ai({"--json", "routes", "--limit", "1"}).out);
  ASSERT_EQ(routes["decisions"].size(), 1u) << routes.dump();
  auto tried = routes["decisions"][0]["tried"];
  ASSERT_EQ(tried.size(), 2u) << tried.dump();
  EXPECT_EQ(tried[0].value("outcome", ""), "skipped");
  EXPECT_NE(tried[0].value("message", "").find("circuit breaker open"), std::string::npos);
  EXPECT_EQ(tried[1].value("outcome", ""), "succeeded");

  // The brain recovers; after the wait one probe goes through, succeeds, and the breaker closes.
  r.set_mode("flaky", "ok");
  const auto open_until = open.value("open_until_ms", std::int64_t{0});
  ASSERT_GT(open_until, 0) << open.dump();
  wait_past_wall_clock(open_until);
  auto probe = ask(d, "probe");
  EXPECT_EQ(probe.last.value("brain", ""), "flaky") << probe.last.dump();
  auto closed = breaker_of(d, "flaky");
  EXPECT_EQ(closed.value("state", ""), "closed") << closed.dump();
  EXPECT_EQ(closed["last_change"].value("from", ""), "half_open");
  EXPECT_EQ(closed.value("opened", 0), 1);
}

TEST(Breaker, AFailedProbeOpensItAgain) {
  rig r;
  r.set_mode("flaky", "exit3");
  auto cfg = r.config();
  cfg["brains"]["flaky"]["breaker"] = {{"open_ms", 300}};
  daemon_process d{cfg};
  d.start();
  ask(d, "one");
  ask(d, "two");
  const auto open = breaker_of(d, "flaky");
  ASSERT_EQ(open.value("state", ""), "open");
  wait_past_wall_clock(open.value("open_until_ms", std::int64_t{0}));
  EXPECT_EQ(ask(d, "probe").last.value("brain", ""), "backup");
  EXPECT_EQ(r.calls_of("flaky"), 3) << "the probe reached the brain";
  auto again = breaker_of(d, "flaky");
  EXPECT_EQ(again.value("state", ""), "open");
  EXPECT_EQ(again["last_change"].value("from", ""), "half_open");
  EXPECT_NE(again["last_change"].value("reason", "").find("a probe call failed"), std::string::npos);
}

TEST(Breaker, StateSurvivesARestart) {
  rig r;
  r.set_mode("flaky", "exit3");
  daemon_process d{r.config()};  // open for 60 s
  d.start();
  ask(d, "one");
  ask(d, "two");
  ASSERT_EQ(breaker_of(d, "flaky").value("state", ""), "open");
  auto until = breaker_of(d, "flaky").value("open_until_ms", std::int64_t{0});
  ASSERT_EQ(d.stop(SIGTERM), 0);
  r.set_mode("flaky", "ok");
  d.start();
  auto after = breaker_of(d, "flaky");
  EXPECT_EQ(after.value("state", ""), "open") << after.dump();
  EXPECT_EQ(after.value("open_until_ms", std::int64_t{0}), until);
  EXPECT_EQ(ask(d, "after the restart").last.value("brain", ""), "backup");
  EXPECT_EQ(r.calls_of("flaky"), 2) << "an open breaker stays open across a restart";
}

TEST(Breaker, AnExplicitBrainBehindAnOpenBreakerIsRefusedWithTheReason) {
  rig r;
  r.set_mode("flaky", "exit3");
  daemon_process d{r.config()};
  d.start();
  ask(d, "one");
  ask(d, "two");
  auto res = d.ai({"--brain", "flaky", "just you"});
  EXPECT_EQ(res.exit_code, 1);
  EXPECT_NE(res.err.find("brain_unavailable"), std::string::npos) << res.err;
  EXPECT_NE(res.err.find("flaky: circuit breaker open for another"), std::string::npos) << res.err;
}

TEST(Breaker, ADisabledBreakerNeverOpens) {
  rig r;
  r.set_mode("flaky", "exit3");
  auto cfg = r.config();
  cfg["brains"]["flaky"]["breaker"] = {{"enabled", false}};
  daemon_process d{cfg};
  d.start();
  for (int i = 0; i < 4; ++i) ask(d, "task " + std::to_string(i));
  EXPECT_EQ(r.calls_of("flaky"), 4);
  EXPECT_FALSE(breaker_of(d, "flaky").contains("state"));
}
