// The daemon's life: one daemon per home, orderly shutdown that drains, kill -9 with tasks in flight and a
// restart that accounts for every task, configuration that is refused with the path of the bad key.
#include <signal.h>

#include <fstream>
#include <thread>

#include <gtest/gtest.h>

#include "tests/support/test_support.hpp"

using nlohmann::json;
using paios::test::daemon_process;
using paios::test::run_program;

namespace {

// A process brain that answers after FAKE_DELAY_MS per chunk (tests/fake_agents/fake-text).
json slow_brain_config(int delay_ms, std::int64_t drain_ms = 10000) {
  return {{"brains",
           {{"slow",
             {{"kind", "process"},
              {"command", {paios::test::fake_agent("fake-text").string()}},
              {"env", {{"FAKE_MODE", "slow"}, {"FAKE_DELAY_MS", std::to_string(delay_ms)}}},
              {"max_concurrent", 4}}}}},
          {"tasks", {{"default_brain", "slow"}, {"failover", json::array()}, {"drain_timeout_ms", drain_ms}}}};
}

json hanging_brain_config(std::int64_t drain_ms) {
  return {{"brains",
           {{"hang",
             {{"kind", "process"},
              {"command", {paios::test::fake_agent("fake-text").string()}},
              {"env", {{"FAKE_MODE", "hang"}}},
              {"kill_grace_ms", 500},
              {"max_concurrent", 8}}}}},
          {"tasks", {{"default_brain", "hang"}, {"failover", json::array()}, {"drain_timeout_ms", drain_ms}}}};
}

// Submits every prompt at once and returns the task ids in the order they were accepted.
std::vector<std::string> submit_all(paios::test::wire_peer& peer, const std::vector<std::string>& prompts) {
  for (auto& p : prompts) peer.send({{"v", 1}, {"op", "task.submit"}, {"prompt", p}});
  std::vector<std::string> ids;
  while (ids.size() < prompts.size()) {
    auto r = peer.receive();
    if (!r) break;
    if (r->value("type", "") == "accepted") ids.push_back(r->value("task_id", ""));
  }
  return ids;
}

std::vector<std::string> numbered(const std::string& stem, int n) {
  std::vector<std::string> out;
  for (int i = 0; i < n; ++i) out.push_back(stem + " " + std::to_string(i));
  return out;
}

json get_task(daemon_process& d, const std::string& id) {
  auto r = d.ai({"task", id, "--json"});
  return json::parse(r.out, nullptr, false)["task"];
}

}  // namespace

TEST(Lifecycle, ASecondDaemonOnTheSameHomeIsRefused) {
  daemon_process d{json::object()};
  d.start();
  auto r = run_program({paios::test::paiosd_path().string(), "--home", d.home().string()});
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_NE(r.err.find("already running"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find(std::to_string(d.pid())), std::string::npos) << r.err;
  EXPECT_TRUE(d.running());
}

TEST(Lifecycle, HomeIsPrivate) {
  daemon_process d{json::object()};
  d.start();
  for (auto dir : {d.home(), d.home() / "run", d.home() / "logs", d.home() / "data"}) {
    auto perms = std::filesystem::status(dir).permissions();
    EXPECT_EQ(perms & std::filesystem::perms::group_all, std::filesystem::perms::none) << dir;
    EXPECT_EQ(perms & std::filesystem::perms::others_all, std::filesystem::perms::none) << dir;
  }
  auto sock = std::filesystem::status(d.home() / "run" / "paiosd.sock").permissions();
  EXPECT_EQ(sock & (std::filesystem::perms::group_all | std::filesystem::perms::others_all), std::filesystem::perms::none);
  EXPECT_TRUE(std::filesystem::exists(d.home() / "logs" / "paiosd.log"));
  EXPECT_TRUE(std::filesystem::exists(d.home() / "data" / "state.sqlite"));
}

TEST(Lifecycle, InvalidConfigurationIsRefusedWithThePathOfTheBadKey) {
  daemon_process d{json{{"bridge", {{"bogus_key", 1}}}}};
  auto r = run_program({paios::test::paiosd_path().string(), "--home", d.home().string()});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("bridge.bogus_key"), std::string::npos) << r.err;

  auto check = run_program({paios::test::paiosd_path().string(), "--check-config", (d.home() / "config.json").string()});
  EXPECT_EQ(check.exit_code, 2);
  EXPECT_NE(check.err.find("bridge.bogus_key"), std::string::npos) << check.err;

  d.write_config({{"brains", {{"echo", {{"max_queue", "many"}}}}}});
  check = run_program({paios::test::paiosd_path().string(), "--check-config", (d.home() / "config.json").string()});
  EXPECT_EQ(check.exit_code, 2);
  EXPECT_NE(check.err.find("brains.echo.max_queue"), std::string::npos) << check.err;
}

TEST(Lifecycle, TheDaemonNeverWritesTheUsersConfig) {
  json cfg = {{"tasks", {{"default_brain", "echo"}, {"failover", json::array()}}}};
  daemon_process d{cfg};
  auto file = d.home() / "config.json";
  std::string before;
  std::getline(std::ifstream(file), before, '\0');
  auto mtime = std::filesystem::last_write_time(file);
  d.start();
  d.ai({"hello"});
  EXPECT_EQ(d.stop(SIGTERM), 0);
  std::string after;
  std::getline(std::ifstream(file), after, '\0');
  EXPECT_EQ(before, after);
  EXPECT_EQ(mtime, std::filesystem::last_write_time(file));
}

TEST(Lifecycle, SigtermDrainsTasksInFlightThenExitsZero) {
  daemon_process d{slow_brain_config(300)};
  d.start();
  paios::test::wire_peer peer{d.endpoint()};
  auto ids = submit_all(peer, {"drain me"});
  ASSERT_EQ(ids.size(), 1u);
  auto id = ids[0];
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_EQ(d.stop(SIGTERM), 0) << d.log();
  // The task finished during the drain and its result reached the client.
  std::string last;
  while (auto r = peer.receive(std::chrono::seconds(2))) last = r->value("type", "");
  EXPECT_EQ(last, "result");
  d.start();
  EXPECT_EQ(get_task(d, id).value("state", ""), "succeeded");
}

TEST(Lifecycle, DrainDeadlineInterruptsAndKillsTheAgents) {
  daemon_process d{hanging_brain_config(500)};
  d.start();
  paios::test::wire_peer peer{d.endpoint()};
  auto ids = submit_all(peer, numbered("hang", 3));
  ASSERT_EQ(ids.size(), 3u);
  std::vector<pid_t> agents;
  for (int i = 0; i < 250 && agents.size() < 3; ++i) {  // the agents start (a Python fake takes a moment)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    agents = d.agents();
  }
  ASSERT_GE(agents.size(), 3u);
  auto t0 = std::chrono::steady_clock::now();
  EXPECT_EQ(d.stop(SIGTERM), 0) << d.log();
  auto took = std::chrono::steady_clock::now() - t0;
  EXPECT_LT(took, std::chrono::seconds(10));
  for (auto pid : agents) EXPECT_NE(kill(pid, 0), 0) << "agent " << pid << " outlived the daemon";
  d.start();
  for (auto& id : ids) EXPECT_EQ(get_task(d, id).value("state", ""), "interrupted") << id;
}

TEST(Lifecycle, KillNineWithTasksInFlightLosesNone) {
  daemon_process d{slow_brain_config(200)};
  d.start();
  paios::test::wire_peer peer{d.endpoint()};
  auto ids = submit_all(peer, numbered("task", 12));
  ASSERT_EQ(ids.size(), 12u);
  std::this_thread::sleep_for(std::chrono::milliseconds(150));
  d.kill9();
  d.start();
  // Every accepted task is accounted for: it finished, was interrupted while running, or was queued and has
  // been run again after the restart.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  std::map<std::string, std::string> states;
  for (;;) {
    bool settled = true;
    for (auto& id : ids) {
      auto s = get_task(d, id).value("state", "missing");
      states[id] = s;
      if (s == "queued" || s == "running") settled = false;
    }
    if (settled || std::chrono::steady_clock::now() > deadline) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  int interrupted = 0, succeeded = 0;
  for (auto& [id, s] : states) {
    EXPECT_TRUE(s == "succeeded" || s == "interrupted") << id << " is " << s;
    interrupted += s == "interrupted";
    succeeded += s == "succeeded";
  }
  EXPECT_GE(interrupted, 1) << "4 were running when the daemon was killed";
  EXPECT_GE(succeeded, 1) << "the queued ones run after the restart";
}
