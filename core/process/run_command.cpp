#include "core/process/run_command.hpp"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <thread>

#include "core/process/child_reaper.hpp"

extern char** environ;

namespace paios::sched {

namespace {

// Reads what is ready on the nonblocking `fd` into `out`, keeping at most `keep` bytes (the rest is read and
// dropped, so that a chatty child never blocks on a full pipe). False once the pipe is at its end.
bool drain(int fd, std::string& out, std::size_t keep) {
  char buf[4096];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n > 0) {
      out.append(buf, std::min<std::size_t>(static_cast<std::size_t>(n), keep - std::min(keep, out.size())));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
  }
}

}  // namespace

command_result run_command(const std::vector<std::string>& argv, std::chrono::milliseconds timeout,
                           std::size_t keep_output) {
  command_result r;
  if (argv.empty()) {
    r.error = {errc::bad_request, "no command"};
    return r;
  }
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  posix_spawnattr_t attr;
  posix_spawn_file_actions_t files;
  posix_spawnattr_init(&attr);
  posix_spawn_file_actions_init(&files);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  posix_spawnattr_setpgroup(&attr, 0);  // its own group: a kill at the deadline reaches its children too
  sigset_t none, all;
  sigemptyset(&none);
  sigfillset(&all);
  posix_spawnattr_setsigmask(&attr, &none);  // the daemon blocks signals for its signal thread
  posix_spawnattr_setsigdefault(&attr, &all);
  int out_pipe[2] = {-1, -1};
  // Only our end is nonblocking: the child's writes block on a full pipe, as they would on a terminal.
  if (keep_output > 0 && (::pipe2(out_pipe, O_CLOEXEC) != 0 || ::fcntl(out_pipe[0], F_SETFL, O_NONBLOCK) != 0)) {
    r.error = {errc::internal, std::string("cannot make a pipe: ") + std::strerror(errno)};
    for (int fd : out_pipe)
      if (fd >= 0) ::close(fd);
    posix_spawn_file_actions_destroy(&files);
    posix_spawnattr_destroy(&attr);
    return r;
  }
  posix_spawn_file_actions_addopen(&files, 0, "/dev/null", O_RDONLY, 0);
  for (int fd = 1; fd < 3; ++fd) {
    if (keep_output > 0) posix_spawn_file_actions_adddup2(&files, out_pipe[1], fd);  // dup2 clears CLOEXEC
    else posix_spawn_file_actions_addopen(&files, fd, "/dev/null", O_WRONLY, 0);
  }
  pid_t pid = 0;
  int rc = 0;
  {
    child_reaper::spawn_guard guard;  // the reaper of orphans leaves this child to us
    rc = posix_spawnp(&pid, args[0], &files, &attr, args.data(), environ);
    if (rc == 0) guard.own(pid);
  }
  posix_spawn_file_actions_destroy(&files);
  posix_spawnattr_destroy(&attr);
  if (out_pipe[1] >= 0) ::close(out_pipe[1]);  // the child's end: the read end sees EOF once its writers are gone
  struct closer {
    int fd;
    ~closer() {
      if (fd >= 0) ::close(fd);
    }
  } read_end{out_pipe[0]};
  if (rc != 0) {
    r.error = {rc == ENOENT ? errc::not_found : errc::internal,
               std::string("cannot run ") + argv[0] + ": " + std::strerror(rc)};
    return r;
  }
  r.started = true;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  int status = 0;
  bool open_pipe = read_end.fd >= 0;
  for (;;) {
    if (open_pipe) open_pipe = drain(read_end.fd, r.output, keep_output);
    const pid_t done = ::waitpid(pid, &status, WNOHANG);
    if (done == pid) break;
    if (done < 0 && errno != EINTR) {
      r.error = {errc::internal, std::strerror(errno)};
      child_reaper::release(pid);
      return r;
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      r.timed_out = true;
      ::killpg(pid, SIGKILL);
      while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
      }
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  child_reaper::release(pid);
  ::killpg(pid, SIGKILL);  // whatever the leader left behind in its group
  if (open_pipe) drain(read_end.fd, r.output, keep_output);  // what it wrote just before it exited
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return r;
}

std::string find_on_path(const std::string& program) {
  const char* path = std::getenv("PATH");
  if (!path) return {};
  std::string dirs(path);
  std::size_t start = 0;
  while (start <= dirs.size()) {
    auto end = dirs.find(':', start);
    if (end == std::string::npos) end = dirs.size();
    const std::string dir = dirs.substr(start, end - start);
    const std::string full = (dir.empty() ? "." : dir) + "/" + program;
    if (::access(full.c_str(), X_OK) == 0) return full;
    start = end + 1;
  }
  return {};
}

}  // namespace paios::sched
