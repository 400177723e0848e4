// The daemon's life: one daemon per home, orderly shutdown that drains, kill -9 with tasks in flight and a
// restart that accounts for every task, configuration that is refused with the path of the bad key.
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <sys/wait.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <fstream>
#include <map>

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

using task_states = std::map<std::string, std::string>;  // task id -> state ("missing" when not found)

// Waits until `done` holds for the states of the tasks `ids` (as `ai task` shows them); returns the last read.
template <class Done>
task_states wait_for_states(daemon_process& d, const std::vector<std::string>& ids, Done done,
                            std::chrono::milliseconds within = std::chrono::seconds(60)) {
  auto read = [&] {
    task_states states;
    for (auto& id : ids) states[id] = get_task(d, id).value("state", "missing");
    return states;
  };
  return paios::test::poll_until(read, done, within);
}

int count_of(const task_states& states, const std::string& state) {
  int n = 0;
  for (auto& [id, s] : states) n += s == state;
  return n;
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
  auto in_flight = wait_for_states(d, ids, [](const task_states& s) { return count_of(s, "running") == 1; });
  ASSERT_EQ(in_flight[id], "running") << d.log();
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
  auto agents = paios::test::poll_until([&] { return d.agents(); },  // a Python fake takes a moment to start
                                        [](const std::vector<pid_t>& a) { return a.size() >= 3; },
                                        std::chrono::seconds(30), std::chrono::milliseconds(20));
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
  // The brain hangs until the kill, so what was running and what was queued at the kill is known; after the
  // restart it answers.
  paios::test::temp_dir files;
  const auto mode = files.path() / "mode";
  std::ofstream(mode) << "hang";
  auto cfg = slow_brain_config(50);
  cfg["brains"]["slow"]["env"]["FAKE_MODE_FILE"] = mode.string();
  daemon_process d{cfg};
  d.start();
  paios::test::wire_peer peer{d.endpoint()};
  auto ids = submit_all(peer, numbered("task", 12));
  ASSERT_EQ(ids.size(), 12u);
  // As many running as the brain takes at once (max_concurrent 4), the rest queued behind them.
  auto before = wait_for_states(d, ids, [](const task_states& s) { return count_of(s, "running") == 4; });
  ASSERT_EQ(count_of(before, "running"), 4);
  ASSERT_EQ(count_of(before, "queued"), 8);
  d.kill9();
  std::ofstream(mode) << "slow";
  d.start();
  // docs/architecture.md, "Durability and recovery": a task left running by the crash becomes interrupted (its
  // agent may have had side effects; tasks.on_restart_running is "interrupt"), and a task left queued is
  // dispatched again and runs to its end. Every task submitted is one or the other.
  auto after = wait_for_states(d, ids, [](const task_states& s) {
    return count_of(s, "queued") == 0 && count_of(s, "running") == 0;
  });
  for (auto& id : ids)
    EXPECT_EQ(after[id], before[id] == "running" ? "interrupted" : "succeeded") << id << " was " << before[id];
  EXPECT_EQ(count_of(after, "interrupted"), 4);
  EXPECT_EQ(count_of(after, "succeeded"), 8);
}

// A clean stop leaves no socket file in run/, and `ai` says the daemon is not running whether the file is gone or
// stale (left by a daemon that was killed: a socket file nothing listens on).
TEST(LifecycleSockets, ACleanStopRemovesTheSocketFiles) {
  daemon_process d{{{"tasks", {{"default_brain", "echo"}, {"failover", json::array()}}}}};
  d.start();
  const auto run = d.home() / "run";
  ASSERT_TRUE(std::filesystem::exists(run / "paiosd.sock"));
  ASSERT_TRUE(std::filesystem::exists(run / "events.sock"));
  EXPECT_EQ(d.stop(SIGTERM), 0) << d.log();
  EXPECT_FALSE(std::filesystem::exists(run / "paiosd.sock"));
  EXPECT_FALSE(std::filesystem::exists(run / "events.sock"));
  auto gone = d.ai({"status"});
  EXPECT_EQ(gone.exit_code, 3);
  EXPECT_EQ(gone.err.rfind("ai status: paiosd is not running on " + d.home().string(), 0), 0u) << gone.err;

  // A stale file: a unix socket bound, then closed without unlinking it.
  int fd = socket(AF_UNIX, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  const auto path = (run / "paiosd.sock").string();
  ASSERT_LT(path.size(), sizeof addr.sun_path);
  std::copy(path.begin(), path.end(), addr.sun_path);
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  close(fd);
  ASSERT_TRUE(std::filesystem::exists(run / "paiosd.sock"));
  auto stale = d.ai({"status"});
  EXPECT_EQ(stale.exit_code, 3);
  EXPECT_EQ(stale.err.rfind("ai status: paiosd is not running on " + d.home().string(), 0), 0u) << stale.err;
  // And a daemon starts over the stale file.
  d.start();
  EXPECT_EQ(d.ai({"ping"}).exit_code, 0);
}

namespace {

// paiosd's stderr on a terminal (a pseudo-terminal), from its start until it says it started; then it is stopped.
std::string daemon_on_a_terminal(bool no_color) {
  paios::test::temp_dir home;
  std::ofstream{home.path() / "config.json"} << R"({"tasks": {"default_brain": "echo", "failover": []}})";
  const auto paiosd = paios::test::paiosd_path().string(), home_dir = home.path().string();
  int terminal = -1;
  const pid_t pid = forkpty(&terminal, nullptr, nullptr, nullptr);
  if (pid == 0) {
    if (no_color) setenv("NO_COLOR", "1", 1);
    else unsetenv("NO_COLOR");
    execl(paiosd.c_str(), "paiosd", "--home", home_dir.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  EXPECT_GT(pid, 0);
  std::string out;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (out.find(" started (pid ") == std::string::npos && std::chrono::steady_clock::now() < deadline) {
    pollfd p{terminal, POLLIN, 0};
    if (poll(&p, 1, 1000) <= 0) continue;
    char buf[4096];
    const auto n = read(terminal, buf, sizeof buf);
    if (n <= 0) break;
    out.append(buf, static_cast<std::size_t>(n));
  }
  kill(pid, SIGTERM);
  waitpid(pid, nullptr, 0);
  close(terminal);
  return out;
}

}  // namespace

// Color on a terminal only, and never with NO_COLOR set.
TEST(LifecycleTerminal, ColorOnlyOnATerminalAndNeverWithNoColor) {
  const auto colored = daemon_on_a_terminal(false);
  ASSERT_NE(colored.find(" started (pid "), std::string::npos) << colored;
  EXPECT_NE(colored.find("\x1b["), std::string::npos) << "a terminal gets colored levels";
  const auto plain = daemon_on_a_terminal(true);
  ASSERT_NE(plain.find(" started (pid "), std::string::npos) << plain;
  EXPECT_EQ(plain.find("\x1b["), std::string::npos) << plain;
  daemon_process d{{{"tasks", {{"default_brain", "echo"}, {"failover", json::array()}}}}};
  d.start();
  EXPECT_NE(d.log().find(" started (pid "), std::string::npos) << d.log();
  EXPECT_EQ(d.log().find("\x1b["), std::string::npos) << "no terminal, no color";
}
