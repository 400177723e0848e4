#pragma once
// process_runner: runs ONE agent CLI as a child process, from spawn to reaping, on a thread of its own.
// The prompt goes to the child's stdin (never its argv, so a prompt of any size works); stdout is delivered
// as it arrives; the last bytes of stderr are kept. The child runs in its own process group: a timeout or a
// cancel sends SIGTERM to the group, then SIGKILL after the grace period. The call's whole process tree is
// held by a call_boundary (process_containment.hpp): once the child has exited, every descendant still
// alive is killed, also one that left the group (setsid). The child also dies with the daemon
// (PR_SET_PDEATHSIG), even on kill -9; its descendants are then ended by the daemon's next start.
// With keep_stdin_open (a long-lived server speaking over its stdio, as an MCP server does) stdin stays open
// after stdin_data, and write() sends more; stderr may be handed over as it arrives (on_stderr).
//
// Threads: the callbacks run on the runner's thread, stdout in order, exit exactly once and last.
// cancel() and write() may be called from any thread. The destructor cancels a running child and joins the thread.
#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "messages/error.hpp"

namespace paios {

struct process_spec {
  std::vector<std::string> argv;  // argv[0] is looked up on PATH unless it contains '/'
  std::string stdin_data;         // written to stdin, then stdin is closed
  std::vector<std::pair<std::string, std::string>> env;  // added to (or overriding) this process's environment
  std::string cwd;                                       // empty: inherit
  std::chrono::milliseconds timeout{0};                  // 0: none
  std::chrono::milliseconds kill_grace{2000};
  std::size_t stderr_limit = 64 * 1024;  // keep the last this-many bytes of stderr
  bool keep_stdin_open = false;          // stdin stays open for write() after stdin_data is written
  std::function<void(std::string_view)> on_stderr;  // if set: stderr's bytes as they arrive (runner's thread)
};

struct process_exit {
  enum class how { exited, signaled, timed_out, cancelled, spawn_failed };
  how what = how::exited;
  int code = 0;    // the exit status, when exited
  int signal = 0;  // the signal, when signaled
  std::string stderr_tail;
  status error;             // spawn_failed: why (brain_unavailable: the program cannot run); ok otherwise
  std::int64_t run_us = 0;  // from spawn to reaping
};

class process_runner {
 public:
  using stdout_fn = std::function<void(std::string_view)>;
  using exit_fn = std::function<void(process_exit)>;

  // Never fails: a child that cannot be started is reported through on_exit as spawn_failed.
  static std::unique_ptr<process_runner> start(process_spec spec, stdout_fn on_stdout, exit_fn on_exit);
  ~process_runner();
  process_runner(const process_runner&) = delete;
  process_runner& operator=(const process_runner&) = delete;

  void cancel();
  // Queues bytes for the child's stdin (keep_stdin_open). False once the child's stdin is closed or it ended.
  bool write(std::string data);
  bool finished() const { return finished_; }
  pid_t pid() const { return pid_; }

 private:
  process_runner() = default;
  void run(process_spec spec, stdout_fn on_stdout, exit_fn on_exit);

  std::atomic<bool> cancel_requested_{false};
  std::atomic<bool> finished_{false};
  std::atomic<pid_t> pid_{-1};
  int wake_fd_ = -1;  // eventfd: cancel() and write() wake the runner's poll
  std::mutex in_mu_;
  std::string in_pending_;      // written by write(), taken by the runner's thread
  bool in_closed_ = false;      // under in_mu_: stdin is closed, write() refuses
  std::thread thread_;
};

// The executable `name` resolves to: itself when it contains '/', else the first match on PATH.
std::optional<std::string> resolve_program(const std::string& name);
// "" when `name` resolves, else why not, for a person: "program 'claude' not found on PATH", "cannot execute
// '/opt/x': not an executable file". One lookup on PATH: cheap enough to ask again at each call.
std::string program_missing(const std::string& name);

}  // namespace paios
