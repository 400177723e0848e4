#include "core/process/tree_kill.hpp"

#include "core/process/proc_file.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <fstream>
#include <map>
#include <string>
#include <vector>

namespace paios {
namespace {

using steady = std::chrono::steady_clock;

// A search converges in two or three rounds; the cap only bounds a tree that forks faster than it is killed.
constexpr int kMaxRounds = 64;

bool environment_marked(pid_t pid, const std::function<bool(std::string_view)>& marked) {
  const auto env = read_proc_file("/proc/" + std::to_string(pid) + "/environ");  // a zombie's reads empty
  std::string_view rest{env};
  while (!rest.empty()) {
    auto end = rest.find('\0');
    if (marked(rest.substr(0, end))) return true;
    if (end == std::string_view::npos) break;
    rest.remove_prefix(end + 1);
  }
  return false;
}

bool exited(int pidfd) {
  pollfd p{pidfd, POLLIN, 0};
  return poll(&p, 1, 0) > 0;
}

// Waits until every pidfd is readable (its process has exited) or the deadline passes.
void wait_exited(const std::vector<int>& pidfds, steady::time_point deadline) {
  for (int fd : pidfds) {
    while (!exited(fd) && steady::now() < deadline) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - steady::now()).count();
      pollfd p{fd, POLLIN, 0};
      poll(&p, 1, static_cast<int>(std::max<long long>(1, left)));
    }
  }
}

std::vector<pid_t> numbered_entries(const std::filesystem::path& dir) {
  std::vector<pid_t> pids;
  std::error_code ec;
  for (auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    auto name = entry.path().filename().string();
    if (name.find_first_not_of("0123456789") == std::string::npos) pids.push_back(static_cast<pid_t>(std::stol(name)));
  }
  return pids;
}

std::vector<pid_t> cgroup_members(const std::filesystem::path& dir) {
  std::vector<pid_t> pids;
  std::ifstream in(dir / "cgroup.procs");
  for (pid_t pid = 0; in >> pid;) pids.push_back(pid);
  return pids;
}

bool write_file(const std::filesystem::path& file, std::string_view text) {
  int fd = open(file.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) return false;
  bool ok = write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  close(fd);
  return ok;
}

}  // namespace

std::size_t kill_marked(const std::function<bool(std::string_view entry)>& marked, std::chrono::milliseconds within) {
  const pid_t self = getpid();
  std::map<pid_t, int> killed;  // pid -> its pidfd
  for (int round = 0; round < kMaxRounds; ++round) {
    bool found = false;
    for (pid_t pid : numbered_entries("/proc")) {
      if (pid == self) continue;
      if (auto it = killed.find(pid); it != killed.end()) {
        if (!exited(it->second)) continue;  // killed, still dying
        close(it->second);                  // it died, and its pid is in use again
        killed.erase(it);
      }
      int fd = static_cast<int>(syscall(SYS_pidfd_open, pid, 0));
      if (fd < 0) continue;
      if (!environment_marked(pid, marked) || syscall(SYS_pidfd_send_signal, fd, SIGKILL, nullptr, 0) != 0) {
        close(fd);
        continue;
      }
      killed.emplace(pid, fd);
      found = true;
    }
    if (!found) break;
  }
  std::vector<int> fds;
  for (auto& [pid, fd] : killed) fds.push_back(fd);
  wait_exited(fds, steady::now() + within);
  for (int fd : fds) close(fd);
  return fds.size();
}

std::size_t kill_cgroup(const std::filesystem::path& dir, std::chrono::milliseconds within) {
  const auto members = cgroup_members(dir);
  // cgroup.kill (Linux 5.14) ends the whole cgroup at once; without it, members are killed one by one, again
  // until none is left.
  const bool kill_file = write_file(dir / "cgroup.kill", "1");
  const auto deadline = steady::now() + within;
  for (auto left = members; !left.empty() && steady::now() < deadline; left = cgroup_members(dir)) {
    if (!kill_file)
      for (pid_t pid : left) kill(pid, SIGKILL);
    // cgroup.events changes ("populated 0") when the last member exits: poll wakes with POLLPRI.
    int events = open((dir / "cgroup.events").c_str(), O_RDONLY | O_CLOEXEC);
    if (events < 0) break;
    pollfd p{events, POLLPRI, 0};
    char buf[64];
    [[maybe_unused]] auto n = read(events, buf, sizeof buf);
    poll(&p, 1, 10);
    close(events);
  }
  rmdir(dir.c_str());
  return members.size();
}

}  // namespace paios
