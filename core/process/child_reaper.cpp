#include "core/process/child_reaper.hpp"

#include "core/process/proc_file.hpp"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <string>
#include <thread>
#include <unordered_map>

namespace paios::child_reaper {
namespace {

// The registry is process-wide because children are: any thread's fork adds a child the reaper may see.
std::mutex registry_mutex;
std::unordered_map<pid_t, int> owned;  // pid -> how many owners (a reused pid may briefly have two)

// Whether /proc/<pid>/stat says the process is a zombie whose parent is `parent`.
bool is_zombie_child_of(const std::string& pid, pid_t parent) {
  const std::string stat = read_proc_file("/proc/" + pid + "/stat");
  auto comm_end = stat.rfind(')');  // the command name may itself hold ')' and spaces
  if (comm_end == std::string::npos || comm_end + 4 >= stat.size()) return false;
  const char state = stat[comm_end + 2];
  return state == 'Z' && std::atol(stat.c_str() + comm_end + 4) == parent;
}

}  // namespace

spawn_guard::spawn_guard() : lock_(registry_mutex) {}

void spawn_guard::own(pid_t child) { ++owned[child]; }

void release(pid_t child) {
  std::lock_guard lock{registry_mutex};
  auto it = owned.find(child);
  if (it != owned.end() && --it->second == 0) owned.erase(it);
}

int reap_orphans() {
  std::lock_guard lock{registry_mutex};
  const pid_t self = getpid();
  int reaped = 0;
  std::error_code ec;
  for (auto& entry : std::filesystem::directory_iterator("/proc", ec)) {
    auto name = entry.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    const pid_t pid = static_cast<pid_t>(std::stol(name));
    if (owned.count(pid) || !is_zombie_child_of(name, self)) continue;
    if (waitpid(pid, nullptr, WNOHANG) == pid) ++reaped;
  }
  return reaped;
}

void start_reaper_thread() {
  sigset_t chld;
  sigemptyset(&chld);
  sigaddset(&chld, SIGCHLD);
  pthread_sigmask(SIG_BLOCK, &chld, nullptr);
  // Signals coalesce: one SIGCHLD may stand for many exits, and each scan reaps every orphan zombie there is.
  std::thread([chld] {
    int sig = 0;
    while (sigwait(&chld, &sig) == 0) reap_orphans();
  }).detach();
}

}  // namespace paios::child_reaper
