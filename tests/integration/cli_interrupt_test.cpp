// Ctrl-C on the real `ai` following a task on a real paiosd: whenever it comes (while the agent is silent too, and
// while `ai` is asking the daemon about the quiet task), `ai` cancels the task before it exits 130, and the agent
// is stopped.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include "tests/support/test_support.hpp"

using nlohmann::json;
using paios::test::daemon_process;
using paios::test::poll_until;
using paios::test::temp_dir;


namespace {

// `ai --json` running on its own, its stdout and stderr in files.
class ai_process {
 public:
  ai_process(const daemon_process& d, const std::vector<std::string>& args) {
    std::vector<std::string> argv{paios::test::ai_path().string(), "--home", d.home().string(), "--json"};
    argv.insert(argv.end(), args.begin(), args.end());
    pid_ = paios::test::spawn_to_files(argv, out_, err_);
  }
  ~ai_process() {
    if (pid_ > 0 && !exit_code_) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
  }
  ai_process(const ai_process&) = delete;
  ai_process& operator=(const ai_process&) = delete;

  bool started() const { return pid_ > 0; }
  void interrupt() const { kill(pid_, SIGINT); }
  // The task id from the `accepted` line, once it is printed.
  std::string task_id() const {
    for (const auto& line : paios::test::json_lines(read(out_)))
      if (line.value("type", "") == "accepted") return line.value("task_id", "");
    return {};
  }
  // The exit code (128 + signal when killed by one), or nullopt while it runs after `within`.
  std::optional<int> wait(std::chrono::milliseconds within) {
    poll_until([&] { return reap(); }, within, std::chrono::milliseconds(20));
    return exit_code_;
  }
  std::string err() const { return read(err_); }

 private:
  static std::string read(const std::filesystem::path& file) {
    std::ifstream in{file};
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }
  bool reap() {
    int status = 0;
    if (!exit_code_ && waitpid(pid_, &status, WNOHANG) == pid_)
      exit_code_ = WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status);
    return exit_code_.has_value();
  }
  temp_dir dir_;
  std::filesystem::path out_ = dir_.path() / "out", err_ = dir_.path() / "err";
  pid_t pid_ = -1;
  std::optional<int> exit_code_;
};

std::string task_state(const daemon_process& d, const std::string& task_id) {
  auto reply = paios::test::request(d, paios::test::bus_request("task.get", {{"task_id", task_id}}));
  return reply.value("task", json::object()).value("state", "");
}

}  // namespace

// The agent says nothing for 8 s; Ctrl-C comes 0.5 s, 3.5 s and 5 s after the task started running (past 3 s `ai`
// used to exit at once, its cancel unsent; at 5 s it asks the daemon about the quiet task).
TEST(CliInterrupt, CtrlCCancelsATaskWhoseAgentIsSilent) {
  json cfg = {{"tasks", {{"default_brain", "quiet"}, {"failover", json::array()}}},
              {"brains",
               {{"quiet",
                 {{"kind", "process"}, {"command", {"/bin/sh", "-c", "sleep 8; echo done"}}, {"format", "text"},
                  {"kill_grace_ms", 200}}}}}};
  daemon_process d{cfg};
  d.start();
  for (int moment_ms : {500, 3500, 5000}) {
    SCOPED_TRACE("Ctrl-C " + std::to_string(moment_ms) + " ms into the task");
    ai_process ai{d, {"a quiet task"}};
    ASSERT_TRUE(ai.started());
    auto task_id = poll_until([&] { return ai.task_id(); }, [](const std::string& id) { return !id.empty(); },
                              std::chrono::seconds(10));
    ASSERT_FALSE(task_id.empty()) << ai.err();
    ASSERT_EQ(poll_until([&] { return task_state(d, task_id); }, [](const std::string& s) { return s == "running"; },
                         std::chrono::seconds(10), std::chrono::milliseconds(20)),
              "running");
    ASSERT_TRUE(d.agent_runs("sleep"));
    std::this_thread::sleep_for(std::chrono::milliseconds(moment_ms));  // a moment inside the agent's silence
    ASSERT_EQ(task_state(d, task_id), "running") << "the task ended before Ctrl-C";
    ai.interrupt();
    EXPECT_EQ(ai.wait(std::chrono::seconds(10)), std::optional<int>{130}) << ai.err();
    EXPECT_EQ(poll_until([&] { return task_state(d, task_id); }, [](const std::string& s) { return s == "cancelled"; },
                         std::chrono::seconds(10)),
              "cancelled")
        << ai.err();
    EXPECT_TRUE(d.agents_gone()) << "the agent outlived the cancelled task";
  }
}
