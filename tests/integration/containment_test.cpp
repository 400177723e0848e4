// Containment of agent calls (docs/architecture.md, "Durability and recovery"): no process an agent starts
// outlives its call or the daemon. Background children and children that left the agent's process group with
// setsid are ended when the call ends; what a daemon killed with -9 left running is ended by the next start on
// the same home, before that daemon answers. Each test runs with the environment marker (the default where
// /sys/fs/cgroup is not a writable cgroup2) and again in a cgroup2 hierarchy the test mounts itself.
#include <sys/mount.h>
#include <unistd.h>

#include <atomic>
#include <fstream>
#include <iterator>

#include <gtest/gtest.h>

#include "tests/support/test_support.hpp"

using nlohmann::json;
using paios::test::daemon_process;
using paios::test::poll_until;
using paios::test::processes_with_cmdline;

namespace {

using namespace std::chrono_literals;

// A sleep of a duration no other process has names the test's processes in their command lines. The agent's
// script says `sleep $t`, so that only the sleeps, never the shell, match "sleep <duration>".
std::string unique_duration() {
  static std::atomic<int> n{0};
  return "3000." + std::to_string(getpid()) + std::to_string(n++);
}

std::string with_duration(const std::string& tag, const std::string& script) { return "t=" + tag + "; " + script; }

json brain_config(const std::string& script) {
  return {{"brains",
           {{"tree", {{"kind", "process"}, {"command", {"/bin/sh", "-c", script}}, {"format", "text"},
                      {"kill_grace_ms", 200}, {"max_concurrent", 4}}}}},
          {"tasks", {{"default_brain", "tree"}, {"failover", json::array()}}}};
}

std::string read_file(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// A cgroup2 hierarchy mounted on a temporary directory. At the end it removes the cgroups of the daemons'
// homes it was told of (cgroups outlive a mount: every mount shows the kernel's one cgroup2 tree) and
// unmounts.
class cgroup2_mount {
 public:
  cgroup2_mount() {
    if (geteuid() != 0) why_not_ = "mounting cgroup2 needs root";
    else if (mount("none", dir_.path().c_str(), "cgroup2", 0, nullptr) != 0)
      why_not_ = std::string{"cannot mount cgroup2: "} + std::strerror(errno);
  }
  ~cgroup2_mount() {
    if (!why_not_.empty()) return;
    std::error_code ec;
    for (auto& cgroups : left_)
      for (auto& call : std::filesystem::directory_iterator(cgroups, ec)) rmdir(call.path().c_str());
    for (auto& cgroups : left_) rmdir(cgroups.c_str());
    umount(dir_.path().c_str());
  }
  const std::string& why_not() const { return why_not_; }
  const std::filesystem::path& path() const { return dir_.path(); }
  // The cgroups that the stopped daemon of `home` recorded (PAIOS_HOME/run/containment) go at the end.
  void remove_later(const std::filesystem::path& home) {
    auto recorded = read_file(home / "run" / "containment");
    if (!recorded.empty()) left_.emplace_back(recorded.substr(0, recorded.find('\n')));
  }

 private:
  paios::test::temp_dir dir_;
  std::string why_not_;
  std::vector<std::filesystem::path> left_;
};

enum class boundary { marker, cgroup };

class Containment : public ::testing::TestWithParam<boundary> {
 protected:
  void SetUp() override {
    if (GetParam() == boundary::cgroup) {
      cgroups_.emplace();
      if (!cgroups_->why_not().empty()) GTEST_SKIP() << cgroups_->why_not();
    }
  }

  void TearDown() override {
    for (auto& d : daemons_) {
      d->kill9();  // a no-op for a daemon the test stopped
      if (cgroups_) cgroups_->remove_later(d->home());
    }
  }

  // A daemon whose calls are contained by this test's boundary; it lives until the test's end.
  daemon_process& daemon(const std::string& script) {
    auto& d = *daemons_.emplace_back(std::make_unique<daemon_process>(brain_config(script)));
    if (cgroups_) d.set_env("PAIOS_CGROUP_ROOT", cgroups_->path().string());
    return d;
  }

  // Whether `pid` is held by the boundary under test: a call cgroup of the mounted hierarchy, or the marker.
  bool contained(pid_t pid) const {
    auto proc = std::filesystem::path{"/proc"} / std::to_string(pid);
    if (cgroups_) return read_file(proc / "cgroup").find("0::/paios-") != std::string::npos;
    return read_file(proc / "environ").find("PAIOS_CALL_") != std::string::npos;
  }

  std::optional<cgroup2_mount> cgroups_;
  std::vector<std::unique_ptr<daemon_process>> daemons_;  // after cgroups_: they go first
};

}  // namespace

TEST_P(Containment, NoDescendantOutlivesACallThatEndsNormally) {
  const auto tag = unique_duration();
  // One grandchild in the agent's process group, one that leaves it with setsid; both keep stdout open. The
  // agent ends once the second is in a session of its own (field 6 of /proc/<pid>/stat is the session id).
  auto& d = daemon(with_duration(tag, "sleep $t & setsid sleep $t & p=$!; "
                                      "until [ \"$(cut -d' ' -f6 /proc/$p/stat)\" = \"$p\" ]; do sleep 0.01; done; "
                                      "echo done"));
  d.start();
  auto reply = paios::test::request(d, paios::test::bus_request("task.submit", {{"prompt", "p"}, {"stream", false}}));
  ASSERT_EQ(reply.value("type", ""), "result") << reply.dump();
  auto left = poll_until([&] { return processes_with_cmdline("sleep " + tag); },
                         [](const std::vector<pid_t>& pids) { return pids.empty(); }, 5s);
  EXPECT_TRUE(left.empty()) << left.size() << " grandchild(ren) outlived the call";
  EXPECT_EQ(d.stop(), 0);
}

TEST_P(Containment, TheRestartEndsWhatADaemonKilledWithMinus9LeftRunning) {
  const auto tag = unique_duration();
  // The agent is the last sleep itself (exec), so that it dies with the daemon (PR_SET_PDEATHSIG).
  auto& d = daemon(with_duration(tag, "sleep $t & setsid sleep $t & exec sleep $t"));
  d.start();
  paios::test::wire_peer peer{d.endpoint()};
  for (int i = 0; i < 2; ++i) peer.send(paios::test::bus_request("task.submit", {{"prompt", "p"}}, "s"));
  auto running = poll_until([&] { return processes_with_cmdline("sleep " + tag); },
                            [](const std::vector<pid_t>& pids) { return pids.size() == 6; }, 10s);
  ASSERT_EQ(running.size(), 6u) << "two calls of three sleeps each";
  for (auto pid : running) EXPECT_TRUE(contained(pid)) << "process " << pid << " is outside the call's boundary";

  d.kill9();
  // The agents die with the daemon; their descendants do not, until a daemon starts on this home again.
  auto orphans = poll_until([&] { return processes_with_cmdline("sleep " + tag); },
                            [](const std::vector<pid_t>& pids) { return pids.size() == 4; }, 5s);
  EXPECT_EQ(orphans.size(), 4u) << "the scenario: two grandchildren of each call survive the kill";

  d.start();
  EXPECT_TRUE(processes_with_cmdline("sleep " + tag).empty()) << "the restart left the old grandchildren running";
  EXPECT_EQ(d.stop(), 0);
}

INSTANTIATE_TEST_SUITE_P(Boundaries, Containment, ::testing::Values(boundary::marker, boundary::cgroup),
                         [](const auto& info) { return info.param == boundary::marker ? "marker" : "cgroup"; });
