// Failover, retries and circuit breakers in a real daemon, with fake brains that fail, hang and recover on
// command (tests/fake_agents: FAKE_MODE_FILE is read at each call, FAKE_CALLS_FILE counts the calls).
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>

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

// Two tasks that flaky fails (its mode exit3): both go to backup, and flaky's breaker opens (for 60 s in the
// rig's configuration).
void open_by_failures(const rig& r, const daemon_process& d) {
  r.set_mode("flaky", "exit3");
  ask(d, "one");
  ask(d, "two");
  ASSERT_EQ(breaker_of(d, "flaky").value("state", ""), "open");
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
  EXPECT_NE(d.ai({"status"}).out.find("breaker open until "), std::string::npos);

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
  daemon_process d{r.config()};  // open for 60 s
  d.start();
  open_by_failures(r, d);
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
  daemon_process d{r.config()};
  d.start();
  open_by_failures(r, d);
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

// ---- missing agents (issue 19): a breaker opened by a missing program recovers, failover explains itself --------

namespace {

std::int64_t wall_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

// The rig, but `flaky` runs `program`, which the test makes present or missing.
json with_program(const rig& r, const std::string& program) {
  auto cfg = r.config();
  cfg["brains"]["flaky"]["command"] = {program};
  return cfg;
}

// Two tasks while flaky's program is missing: both fail over to backup, and flaky's breaker opens.
void open_by_missing_program(const daemon_process& d) {
  for (int i = 0; i < 2; ++i) ASSERT_EQ(ask(d, "task " + std::to_string(i)).last.value("brain", ""), "backup");
  auto open = breaker_of(d, "flaky");
  ASSERT_EQ(open.value("state", ""), "open") << open.dump();
  ASSERT_EQ(open.value("cause", ""), "program_missing") << open.dump();
}

}  // namespace

TEST(Breaker, OneOpenedByAMissingProgramIsClosedAtStartOnceTheProgramIsConfigured) {
  rig r;
  r.set_mode("flaky", "ok");
  daemon_process d{with_program(r, "paios-no-such-agent")};  // open for 60 s once it opens
  d.start();
  open_by_missing_program(d);
  ASSERT_EQ(d.stop(SIGTERM), 0);
  d.write_config(r.config());  // the command fixed: flaky runs the fake agent
  d.start();
  auto after = breaker_of(d, "flaky");
  EXPECT_EQ(after.value("state", ""), "closed") << "no stale breaker survives the restart: " << after.dump();
  EXPECT_FALSE(after.contains("cause")) << after.dump();
  EXPECT_NE(after["last_change"].value("reason", "").find("program is there now"), std::string::npos) << after.dump();
  EXPECT_EQ(ask(d, "after the fix").last.value("brain", ""), "flaky");
  EXPECT_EQ(r.calls_of("flaky"), 1);
}

TEST(Breaker, OneOpenedByAMissingProgramClosesAtATaskOnceTheProgramIsThere) {
  rig r;
  r.set_mode("flaky", "ok");
  temp_dir bin;
  const auto program = bin.path() / "fake-text";  // not there yet (the fake agent acts by its own name)
  daemon_process d{with_program(r, program.string())};
  d.start();
  open_by_missing_program(d);
  const auto open_until = breaker_of(d, "flaky").value("open_until_ms", std::int64_t{0});
  std::filesystem::create_symlink(fake_agent("fake-text"), program);  // installed
  // Each task routed to it looks for the program (at most once a second): one soon reaches flaky.
  std::string brain;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (brain != "flaky" && std::chrono::steady_clock::now() < deadline) brain = ask(d, "again").last.value("brain", "");
  EXPECT_EQ(brain, "flaky");
  EXPECT_LT(wall_ms(), open_until) << "closed by the program check, not by the breaker's wait";
  auto closed = breaker_of(d, "flaky");
  EXPECT_EQ(closed.value("state", ""), "closed") << closed.dump();
  EXPECT_EQ(closed["last_change"].value("from", ""), "open") << closed.dump();
}

TEST(Breaker, AResetClosesItAndAnUnknownBrainIsNamed) {
  rig r;
  daemon_process d{r.config()};  // open for 60 s
  d.start();
  open_by_failures(r, d);
  r.set_mode("flaky", "ok");
  auto reset = d.ai({"breaker", "reset", "flaky"});
  EXPECT_EQ(reset.exit_code, 0) << reset.err;
  EXPECT_EQ(reset.out, "breaker of flaky: closed\n");
  auto closed = breaker_of(d, "flaky");
  EXPECT_EQ(closed.value("state", ""), "closed") << closed.dump();
  EXPECT_EQ(closed["last_change"].value("reason", ""), "reset by a client (breaker.reset)");
  EXPECT_EQ(ask(d, "after the reset").last.value("brain", ""), "flaky");

  auto unknown = d.ai({"breaker", "reset", "nobody"});
  EXPECT_EQ(unknown.exit_code, 1);
  EXPECT_NE(unknown.err.find("unknown brain 'nobody'; known brains: "), std::string::npos) << unknown.err;
  EXPECT_NE(unknown.err.find("flaky"), std::string::npos) << unknown.err;
  EXPECT_NE(unknown.err.find("backup"), std::string::npos) << unknown.err;

  // Stored: it stays closed across a restart.
  ASSERT_EQ(d.stop(SIGTERM), 0);
  d.start();
  EXPECT_EQ(breaker_of(d, "flaky").value("state", ""), "closed");
}

TEST(Breaker, StatusSaysWhyAndUntilWhenInWords) {
  rig r;
  daemon_process d{with_program(r, "paios-no-such-agent")};
  d.start();
  open_by_missing_program(d);
  auto status = d.ai({"status"}).out;
  EXPECT_NE(status.find("breaker open until "), std::string::npos) << status;
  EXPECT_EQ(status.find("breaker open for another"), std::string::npos) << status;
  EXPECT_NE(status.find("then it lets probe calls through\n"), std::string::npos) << status;
  EXPECT_NE(status.find("why: 2 of the last 2 calls failed"), std::string::npos) << status;
  EXPECT_NE(status.find("calls; opened once)"), std::string::npos) << status;
  EXPECT_NE(status.find("program 'paios-no-such-agent' not found on PATH"), std::string::npos) << status;
  EXPECT_NE(status.find("its program is missing: it closes as soon as the program is on PATH"), std::string::npos) << status;
  EXPECT_NE(status.find("`ai breaker reset flaky` closes it now"), std::string::npos) << status;
}

TEST(Failover, TheFirstTaskPastAMissingAgentSaysWhichAndHowToInstallIt) {
  rig r;
  auto cfg = with_program(r, "paios-no-such-agent");
  cfg["brains"]["flaky"]["description"] = "Flaky Agent CLI, non-interactive";
  daemon_process d{cfg};
  d.start();
  auto first = d.ai({"hello"});
  EXPECT_EQ(first.exit_code, 0) << first.err;
  EXPECT_EQ(first.out, "hello\n");
  const auto config_file = (d.home() / "config.json").string();
  EXPECT_NE(first.err.find("ai: flaky cannot run, so backup takes the task:\n  flaky: not installed (program "
                           "'paios-no-such-agent' not found on PATH); install Flaky Agent CLI or set "
                           "brains.flaky.command in " + config_file + "\n"),
            std::string::npos)
      << first.err;
  // Once per daemon run: the next task that fails over past it says nothing more.
  auto second = d.ai({"hello again"});
  EXPECT_EQ(second.exit_code, 0);
  EXPECT_EQ(second.err, "");
  // The routed reason names the brain once: no "flaky: flaky: program ...".
  auto a = ask(d, "third");
  bool saw = false;
  for (auto& l : a.lines) {
    auto reason = l.value("reason", "");
    EXPECT_EQ(reason.find("flaky: flaky"), std::string::npos) << reason;
    saw = saw || reason.find("failover: flaky: circuit breaker open") == 0 ||
          reason.find("failover: flaky: program 'paios-no-such-agent' not found on PATH") == 0;
  }
  EXPECT_TRUE(saw) << a.lines.size();
}

TEST(Failover, ATaskNoBrainCouldRunSaysHowToInstallTheMissingOnes) {
  rig r;
  auto cfg = with_program(r, "paios-no-such-agent");
  cfg["tasks"]["failover"] = json::array();
  daemon_process d{cfg};
  d.start();
  auto res = d.ai({"--brain", "flaky", "x"});
  EXPECT_EQ(res.exit_code, 1);
  EXPECT_EQ(res.err.rfind("ai: brain_unavailable: flaky: program 'paios-no-such-agent' not found on PATH\n  flaky: not "
                          "installed (program 'paios-no-such-agent' not found on PATH); install `paios-no-such-agent` or "
                          "set brains.flaky.command in ",
                          0),
            0u)
      << res.err;
}

TEST(Failover, AnErrorNamesEachBrainOnce) {
  rig r;
  r.set_mode("flaky", "exit3");
  auto cfg = r.config();
  cfg["tasks"]["failover"] = json::array();
  daemon_process d{cfg};
  d.start();
  auto res = d.ai({"--brain", "flaky", "x"});
  EXPECT_EQ(res.exit_code, 1);
  EXPECT_NE(res.err.find("ai: brain_failed: flaky: exited with status 3"), std::string::npos) << res.err;
  EXPECT_EQ(res.err.find("flaky: flaky"), std::string::npos) << res.err;
}

TEST(Route, MarksTheBrainsThatCannotRunAndSaysWhichWouldTakeTheTask) {
  rig r;
  daemon_process d{with_program(r, "paios-no-such-agent")};
  d.start();
  auto js = d.ai({"--json", "route", "hello there"});
  ASSERT_EQ(js.exit_code, 0) << js.err;
  auto route = json::parse(js.out);
  EXPECT_EQ(route.value("would_run", ""), "backup") << route.dump();
  ASSERT_GE(route["brains"].size(), 2u) << route.dump();
  std::map<std::string, json> by_name;
  for (auto& b : route["brains"]) by_name[b.value("name", "")] = b;
  EXPECT_FALSE(by_name["flaky"].value("can_run", true));
  EXPECT_EQ(by_name["flaky"].value("why", ""), "not installed: program 'paios-no-such-agent' not found on PATH");
  EXPECT_TRUE(by_name["backup"].value("can_run", false));

  // For a person, and with the prompt on stdin as `ai -` takes it.
  auto text = d.ai({"route", "-"}, "hello there");
  ASSERT_EQ(text.exit_code, 0) << text.err;
  EXPECT_NE(text.out.find("flaky (cannot run)"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("flaky: not installed: program 'paios-no-such-agent' not found on PATH"), std::string::npos)
      << text.out;
  EXPECT_NE(text.out.find("runs on   backup"), std::string::npos) << text.out;
}
