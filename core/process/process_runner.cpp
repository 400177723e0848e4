#include "core/process/process_runner.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "core/process/child_reaper.hpp"
#include "core/process/process_containment.hpp"

extern char** environ;

namespace paios {
namespace {

using steady = std::chrono::steady_clock;

bool is_executable_file(const std::string& path) {
  struct stat st {};
  return stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && access(path.c_str(), X_OK) == 0;
}

std::vector<std::string> child_environment(const std::vector<std::pair<std::string, std::string>>& extra) {
  std::vector<std::string> env;
  for (char** e = environ; *e; ++e) {
    std::string_view entry{*e};
    bool replaced = false;
    for (auto& [k, v] : extra)
      if (entry.size() > k.size() && entry.compare(0, k.size(), k) == 0 && entry[k.size()] == '=') replaced = true;
    if (!replaced) env.emplace_back(entry);
  }
  for (auto& [k, v] : extra) env.push_back(k + "=" + v);
  return env;
}

std::vector<char*> pointers(std::vector<std::string>& v) {
  std::vector<char*> out;
  out.reserve(v.size() + 1);
  for (auto& s : v) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

void set_nonblocking(int fd) { fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK); }

// What the child could not do before its program ran, sent back over the report pipe.
struct spawn_failure {
  enum step : int { enter_cgroup, change_dir, execute } what;
  int error;
};

// In the child: tells the parent which step failed, with errno, and ends.
[[noreturn]] void fail_spawn(int report, spawn_failure::step what) {
  spawn_failure f{what, errno};
  [[maybe_unused]] auto n = write(report, &f, sizeof f);
  _exit(127);
}

// After fork, in the child: only async-signal-safe calls until execve.
[[noreturn]] void exec_child(int in, int out, int err, int report, int cgroup_procs, pid_t parent, const char* cwd,
                             const char* path, char* const* argv, char* const* envp) {
  setpgid(0, 0);
  // Into the call's cgroup before anything else runs, so that every descendant is born inside it.
  if (cgroup_procs >= 0 && write(cgroup_procs, "0", 1) != 1) fail_spawn(report, spawn_failure::enter_cgroup);
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (getppid() != parent) _exit(127);  // the daemon died between fork and prctl
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);  // the daemon blocks signals in its threads; the agent must not
  signal(SIGPIPE, SIG_DFL);
  dup2(in, 0);
  dup2(out, 1);
  dup2(err, 2);
  // Close everything else but the error-report pipe, moved to fd 3 (close-on-exec: it closes itself when
  // exec succeeds, and the parent's read sees EOF).
  if (report != 3) {
    dup2(report, 3);
    report = 3;
  }
  fcntl(report, F_SETFD, FD_CLOEXEC);
  if (syscall(SYS_close_range, 4u, ~0u, 0u) != 0) {
    int max_fd = static_cast<int>(sysconf(_SC_OPEN_MAX));
    for (int fd = 4; fd < max_fd && fd < 65536; ++fd) close(fd);
  }
  if (cwd && *cwd && chdir(cwd) != 0) fail_spawn(report, spawn_failure::change_dir);
  execve(path, argv, envp);
  fail_spawn(report, spawn_failure::execute);
}

std::string describe(const spawn_failure& f, const std::string& path, const std::string& cwd) {
  switch (f.what) {
    case spawn_failure::enter_cgroup: return std::string{"cannot enter the call's cgroup: "} + std::strerror(f.error);
    case spawn_failure::change_dir: return "cannot change to '" + cwd + "': " + std::strerror(f.error);
    case spawn_failure::execute: break;
  }
  return "cannot execute '" + path + "': " + std::strerror(f.error);
}

void append_tail(std::string& tail, const char* data, std::size_t n, std::size_t limit) {
  tail.append(data, n);
  if (tail.size() > limit * 2) tail.erase(0, tail.size() - limit);  // amortized: trim in big steps
}

}  // namespace

std::optional<std::string> resolve_program(const std::string& name) {
  if (name.empty()) return std::nullopt;
  if (name.find('/') != std::string::npos) return is_executable_file(name) ? std::optional{name} : std::nullopt;
  const char* path = std::getenv("PATH");
  std::string_view dirs = path ? path : "/usr/local/bin:/usr/bin:/bin";
  while (!dirs.empty()) {
    auto colon = dirs.find(':');
    auto dir = dirs.substr(0, colon);
    std::string candidate = (dir.empty() ? std::string{"."} : std::string{dir}) + "/" + name;
    if (is_executable_file(candidate)) return candidate;
    if (colon == std::string_view::npos) break;
    dirs.remove_prefix(colon + 1);
  }
  return std::nullopt;
}

std::string program_missing(const std::string& name) {
  if (resolve_program(name)) return {};
  return name.find('/') == std::string::npos ? "program '" + name + "' not found on PATH"
                                             : "cannot execute '" + name + "': not an executable file";
}

std::unique_ptr<process_runner> process_runner::start(process_spec spec, stdout_fn on_stdout, exit_fn on_exit) {
  std::unique_ptr<process_runner> r{new process_runner};
  r->wake_fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  r->thread_ = std::thread([p = r.get(), spec = std::move(spec), out = std::move(on_stdout),
                            ex = std::move(on_exit)]() mutable { p->run(std::move(spec), std::move(out), std::move(ex)); });
  return r;
}

process_runner::~process_runner() {
  cancel();
  if (thread_.joinable()) thread_.join();
  if (wake_fd_ >= 0) close(wake_fd_);
}

void process_runner::cancel() {
  if (finished_ || cancel_requested_.exchange(true)) return;
  std::uint64_t one = 1;
  [[maybe_unused]] auto n = ::write(wake_fd_, &one, sizeof one);
}

bool process_runner::write(std::string data) {
  {
    std::lock_guard lock{in_mu_};
    if (in_closed_ || finished_) return false;
    in_pending_ += data;
  }
  std::uint64_t one = 1;
  [[maybe_unused]] auto n = ::write(wake_fd_, &one, sizeof one);
  return true;
}

void process_runner::run(process_spec spec, stdout_fn on_stdout, exit_fn on_exit) {
  // Writing to a child that closed its stdin must be an EPIPE, not a signal that ends the daemon.
  sigset_t pipe_set;
  sigemptyset(&pipe_set);
  sigaddset(&pipe_set, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &pipe_set, nullptr);

  process_exit result;
  auto close_input = [this] {
    std::lock_guard lock{in_mu_};
    in_closed_ = true;
  };
  auto finish = [&](process_exit x) {
    close_input();
    finished_ = true;
    on_exit(std::move(x));
  };
  if (spec.argv.empty()) {
    result.what = process_exit::how::spawn_failed;
    result.error = {errc::brain_unavailable, "no command to run"};
    return finish(std::move(result));
  }
  auto path = resolve_program(spec.argv[0]);
  if (!path) {
    result.what = process_exit::how::spawn_failed;
    result.error = {errc::brain_unavailable, program_missing(spec.argv[0])};
    return finish(std::move(result));
  }
  // The call's whole process tree lives inside this boundary, and ends with it (process_containment.hpp).
  auto boundary = call_boundary::open();
  spec.env.push_back(boundary.marker());
  auto argv_s = spec.argv;
  auto env_s = child_environment(spec.env);
  auto argv = pointers(argv_s);
  auto envp = pointers(env_s);
  int in[2], out[2], err[2], report[2];
  if (pipe2(in, O_CLOEXEC) || pipe2(out, O_CLOEXEC) || pipe2(err, O_CLOEXEC) || pipe2(report, O_CLOEXEC)) {
    result.what = process_exit::how::spawn_failed;
    result.error = {errc::brain_unavailable, std::string{"cannot create pipes: "} + std::strerror(errno)};
    return finish(std::move(result));
  }
  auto started = steady::now();
  pid_t parent = getpid();
  pid_t pid = -1;
  {
    child_reaper::spawn_guard guard;  // the reaper of orphans leaves this child to us
    pid = fork();
    if (pid == 0)
      exec_child(in[0], out[1], err[1], report[1], boundary.cgroup_procs_fd(), parent, spec.cwd.c_str(), path->c_str(),
                 argv.data(), envp.data());
    if (pid > 0) guard.own(pid);
  }
  // Reaps the child (blocking or not), and then ends our claim on its pid.
  auto reap = [pid](int* status, int options) {
    const bool done = waitpid(pid, status, options) == pid;
    if (done) child_reaper::release(pid);
    return done;
  };
  close(in[0]);
  close(out[1]);
  close(err[1]);
  close(report[1]);
  if (pid < 0) {
    for (int fd : {in[1], out[0], err[0], report[0]}) close(fd);
    result.what = process_exit::how::spawn_failed;
    result.error = {errc::brain_unavailable, std::string{"fork failed: "} + std::strerror(errno)};
    return finish(std::move(result));
  }
  pid_ = pid;
  setpgid(pid, pid);  // also from here, so that the group exists before any kill(-pid)
  // A pidfd becomes readable when the child exits, so the exit wakes the poll like output does (Linux 5.3+;
  // without it the loop polls the exit every few milliseconds).
  int exit_fd = static_cast<int>(syscall(SYS_pidfd_open, pid, 0));
  spawn_failure failure{};
  if (read(report[0], &failure, sizeof failure) == static_cast<ssize_t>(sizeof failure)) {
    close(report[0]);
    if (exit_fd >= 0) close(exit_fd);
    for (int fd : {in[1], out[0], err[0]}) close(fd);
    reap(nullptr, 0);
    result.what = process_exit::how::spawn_failed;
    result.error = {errc::brain_unavailable, describe(failure, *path, spec.cwd)};
    return finish(std::move(result));
  }
  close(report[0]);

  set_nonblocking(in[1]);
  set_nonblocking(out[0]);
  set_nonblocking(err[0]);
  int stdin_fd = in[1];
  std::size_t written = 0;
  const bool keep_stdin = spec.keep_stdin_open;
  if (spec.stdin_data.empty() && !keep_stdin) {
    close(stdin_fd);
    stdin_fd = -1;
  }
  auto close_stdin = [&] {
    close(stdin_fd);
    stdin_fd = -1;
    close_input();
  };
  bool out_open = true, err_open = true;
  std::optional<steady::time_point> deadline;
  if (spec.timeout.count() > 0) deadline = started + spec.timeout;
  std::optional<steady::time_point> kill_at;  // set once SIGTERM has been sent
  bool timed_out = false, cancelled = false;
  std::string buf(64 * 1024, '\0');

  auto terminate = [&] {
    if (kill_at) return;
    kill(-pid, SIGTERM);
    kill_at = steady::now() + spec.kill_grace;
  };

  int status = 0;
  bool reaped = false;
  std::optional<steady::time_point> drain_until;  // after the exit: how long remaining output may take
  while (!(reaped && !out_open && !err_open)) {
    if (cancel_requested_ && !cancelled && !timed_out && !reaped) {
      cancelled = true;
      terminate();
    }
    auto now = steady::now();
    if (deadline && now >= *deadline && !timed_out && !cancelled && !reaped) {
      timed_out = true;
      terminate();
    }
    if (kill_at && now >= *kill_at && !reaped) {
      kill(-pid, SIGKILL);
      kill_at = steady::time_point::max();
    }
    if (drain_until && now >= *drain_until) break;  // a descendant that left the group holds the pipes
    int timeout_ms = 100;
    auto next = std::min(deadline && !timed_out && !cancelled ? *deadline : steady::time_point::max(),
                         kill_at ? *kill_at : steady::time_point::max());
    if (next != steady::time_point::max()) {
      auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(next - now).count() + 1;
      timeout_ms = static_cast<int>(std::max<long long>(0, std::min<long long>(ms, 100)));
    }
    // With both pipes closed only the exit is awaited: without a pidfd to wake us, poll the clock often.
    if (!out_open && !err_open && exit_fd < 0) timeout_ms = std::min(timeout_ms, 2);
    if (keep_stdin && stdin_fd >= 0) {  // take what write() queued
      std::lock_guard lock{in_mu_};
      if (!in_pending_.empty()) {
        spec.stdin_data.erase(0, written);
        written = 0;
        spec.stdin_data += in_pending_;
        in_pending_.clear();
      }
    }
    const bool want_write = stdin_fd >= 0 && written < spec.stdin_data.size();
    pollfd fds[5] = {{out_open ? out[0] : -1, POLLIN, 0},
                     {err_open ? err[0] : -1, POLLIN, 0},
                     {want_write ? stdin_fd : -1, POLLOUT, 0},
                     {wake_fd_, POLLIN, 0},
                     {reaped ? -1 : exit_fd, POLLIN, 0}};
    if (poll(fds, 5, timeout_ms) < 0 && errno != EINTR) break;
    if (fds[0].revents & (POLLIN | POLLHUP | POLLERR)) {
      auto n = read(out[0], buf.data(), buf.size());
      if (n > 0) on_stdout(std::string_view{buf.data(), static_cast<std::size_t>(n)});
      else if (n == 0 || (errno != EAGAIN && errno != EINTR)) out_open = false;
    }
    if (fds[1].revents & (POLLIN | POLLHUP | POLLERR)) {
      auto n = read(err[0], buf.data(), buf.size());
      if (n > 0) {
        append_tail(result.stderr_tail, buf.data(), static_cast<std::size_t>(n), spec.stderr_limit);
        if (spec.on_stderr) spec.on_stderr(std::string_view{buf.data(), static_cast<std::size_t>(n)});
      } else if (n == 0 || (errno != EAGAIN && errno != EINTR)) err_open = false;
    }
    if (stdin_fd >= 0 && (fds[2].revents & (POLLOUT | POLLERR | POLLHUP))) {
      auto n = ::write(stdin_fd, spec.stdin_data.data() + written, spec.stdin_data.size() - written);
      if (n > 0) written += static_cast<std::size_t>(n);
      if (keep_stdin && written == spec.stdin_data.size()) {  // a long-lived child: keep no written bytes
        spec.stdin_data.clear();
        written = 0;
      }
      // All written (and no more to come), or the child stopped reading: either way, its input is over.
      if ((n < 0 && errno != EAGAIN && errno != EINTR) || (!keep_stdin && written == spec.stdin_data.size()))
        close_stdin();
    }
    if (fds[3].revents & POLLIN) {
      std::uint64_t v;
      [[maybe_unused]] auto n = read(wake_fd_, &v, sizeof v);
    }
    if (!reaped && reap(&status, WNOHANG)) {
      reaped = true;
      // The leader is gone; whatever it left running goes too, in its group or out of it, which also closes
      // the pipes a descendant may still hold. What is already in the pipes is still read.
      kill(-pid, SIGKILL);
      boundary.end();
      drain_until = steady::now() + std::chrono::seconds(1);
      if (stdin_fd >= 0) close_stdin();
    }
  }
  if (stdin_fd >= 0) close(stdin_fd);
  if (exit_fd >= 0) close(exit_fd);
  close(out[0]);
  close(err[0]);
  if (!reaped) {
    kill(-pid, SIGKILL);
    reap(&status, 0);
  }
  boundary.end();
  result.run_us = std::chrono::duration_cast<std::chrono::microseconds>(steady::now() - started).count();
  if (result.stderr_tail.size() > spec.stderr_limit)
    result.stderr_tail.erase(0, result.stderr_tail.size() - spec.stderr_limit);
  if (timed_out) result.what = process_exit::how::timed_out;
  else if (cancelled) result.what = process_exit::how::cancelled;
  else if (WIFSIGNALED(status)) result.what = process_exit::how::signaled;
  else result.what = process_exit::how::exited;
  result.code = WIFEXITED(status) ? WEXITSTATUS(status) : 0;
  result.signal = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
  finish(std::move(result));
}

}  // namespace paios
