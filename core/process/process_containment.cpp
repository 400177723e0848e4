#include "core/process/process_containment.hpp"

#include <fcntl.h>
#include <linux/magic.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>

#include "core/process/child_reaper.hpp"
#include "core/process/tree_kill.hpp"

namespace paios {
namespace {

namespace fs = std::filesystem;

// SIGKILL ends a process within milliseconds; the bound only keeps a stuck exit (a process in
// uninterruptible sleep) from holding up a call's end or the daemon's start for long.
constexpr std::chrono::milliseconds kKillWait{3000};

// Set once by configure_containment(), before other threads exist; read by every call_boundary::open().
struct containment_state {
  std::string home_id = "p" + std::to_string(getpid());  // not configured: this process's calls
  fs::path cgroup_home;  // empty: the marker alone
  std::atomic<std::uint64_t> next_call{1};
};

containment_state& state() {
  static containment_state s;
  return s;
}

// A stable name for a home: FNV-1a of its absolute path, so that the restart on the same home finds the
// markers and cgroups of the daemon before it without reading anything.
std::string home_id_of(const fs::path& home) {
  std::uint64_t h = 14695981039346656037ull;
  for (unsigned char c : fs::absolute(home).lexically_normal().string()) h = (h ^ c) * 1099511628211ull;
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(h));
  return hex;
}

const std::string& home_id() { return state().home_id; }

std::string marker_prefix() { return "PAIOS_CALL_" + home_id() + "="; }

bool is_cgroup2(const fs::path& dir) {
  struct statfs fs_info {};
  return statfs(dir.c_str(), &fs_info) == 0 && fs_info.f_type == CGROUP2_SUPER_MAGIC;
}

// "" when `dir` can hold the calls' cgroups, else why not.
std::string usable_cgroup2(const fs::path& dir) {
  if (!is_cgroup2(dir)) return "not a directory of a cgroup2 file system";
  if (access(dir.c_str(), W_OK) != 0) return std::strerror(errno);
  return {};
}

// This process's own cgroup when /sys/fs/cgroup is the cgroup2 hierarchy, else empty.
fs::path own_cgroup() {
  if (!is_cgroup2("/sys/fs/cgroup")) return {};
  std::ifstream in("/proc/self/cgroup");
  for (std::string line; std::getline(in, line);)
    if (line.rfind("0::", 0) == 0) return fs::path{"/sys/fs/cgroup"} / fs::path{line.substr(3)}.relative_path();
  return {};
}

// The cgroup home for this daemon's calls, empty for the marker alone; fails with bad_request when an explicit
// root cannot be used.
expected<fs::path> choose_cgroup_home(const std::optional<fs::path>& explicit_root) {
  const fs::path root = explicit_root ? *explicit_root : own_cgroup();
  if (root.empty()) return fs::path{};
  auto why = usable_cgroup2(root);
  const fs::path home = root / ("paios-" + home_id());
  if (why.empty() && mkdir(home.c_str(), 0755) != 0 && errno != EEXIST)
    why = "cannot create " + home.string() + ": " + std::strerror(errno);
  if (why.empty()) return home;
  if (explicit_root)
    return status{errc::bad_request, "PAIOS_CGROUP_ROOT=" + root.string() + " cannot hold the agents' cgroups: " + why};
  return fs::path{};  // the default is only tried: where it cannot be used, the marker serves
}

// Ends every call cgroup under `home` and removes them, then `home` itself if nothing else is in it.
std::size_t sweep_cgroup_home(const fs::path& home) {
  std::size_t killed = 0;
  std::error_code ec;
  for (auto& entry : fs::directory_iterator(home, ec))
    if (entry.is_directory() && entry.path().filename().string().rfind("call-", 0) == 0)
      killed += kill_cgroup(entry.path(), kKillWait);
  rmdir(home.c_str());
  return killed;
}

std::optional<fs::path> read_record(const fs::path& file) {
  std::ifstream in(file);
  std::string line;
  if (!std::getline(in, line) || line.empty()) return std::nullopt;
  return fs::path{line};
}

// The record is replaced whole (write, then rename), so a kill -9 never leaves half of it. Fails with
// store_failed when it cannot be written.
status write_record(const fs::path& file, const fs::path& cgroup_home) {
  std::error_code ec;
  if (cgroup_home.empty()) {
    fs::remove(file, ec);
    if (ec) return {errc::store_failed, "cannot remove " + file.string() + ": " + ec.message()};
    return {};
  }
  auto tmp = file;
  tmp += ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << cgroup_home.string() << "\n";
    if (!out.flush()) return {errc::store_failed, "cannot write " + tmp.string()};
  }
  fs::rename(tmp, file, ec);
  if (ec) return {errc::store_failed, "cannot write " + file.string() + ": " + ec.message()};
  return {};
}

}  // namespace

containment_started configure_containment(const containment_config& config) {
  containment_started started;
  auto& s = state();
  s.home_id = home_id_of(config.home);
  if (auto recorded = read_record(config.record_file)) started.swept += sweep_cgroup_home(*recorded);
  const auto prefix = marker_prefix();
  started.swept += kill_marked([&](std::string_view entry) { return entry.rfind(prefix, 0) == 0; }, kKillWait);
  auto choice = choose_cgroup_home(config.cgroup_root);
  if (!choice) {
    started.error = choice.error();
    return started;
  }
  if (!choice->empty()) {  // what a previous daemon left there, should its record be lost
    started.swept += sweep_cgroup_home(*choice);
    mkdir(choice->c_str(), 0755);
  }
  if (started.error = write_record(config.record_file, *choice); !started.error) return started;
  s.cgroup_home = *choice;
  prctl(PR_SET_CHILD_SUBREAPER, 1);
  child_reaper::start_reaper_thread();
  started.boundary = s.cgroup_home.empty() ? "environment marker " + prefix + "<call>"
                                           : "cgroup " + (s.cgroup_home / "call-<n>").string();
  return started;
}

call_boundary call_boundary::open() {
  auto& s = state();
  const auto n = std::to_string(s.next_call++);
  std::pair<std::string, std::string> marker{"PAIOS_CALL_" + home_id(), n};
  if (s.cgroup_home.empty()) return call_boundary{std::move(marker), {}, -1};
  auto dir = s.cgroup_home / ("call-" + n);
  if (mkdir(dir.c_str(), 0755) != 0) return call_boundary{std::move(marker), {}, -1};  // the marker still holds
  int fd = ::open((dir / "cgroup.procs").c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) {
    rmdir(dir.c_str());
    return call_boundary{std::move(marker), {}, -1};
  }
  return call_boundary{std::move(marker), std::move(dir), fd};
}

call_boundary::call_boundary(call_boundary&& other) noexcept
    : marker_(std::move(other.marker_)), cgroup_(std::move(other.cgroup_)), procs_fd_(other.procs_fd_),
      ended_(other.ended_) {
  other.procs_fd_ = -1;
  other.ended_ = true;
}

call_boundary::~call_boundary() { end(); }

void call_boundary::end() {
  if (ended_) return;
  ended_ = true;
  if (procs_fd_ >= 0) close(procs_fd_);
  procs_fd_ = -1;
  if (!cgroup_.empty()) {
    kill_cgroup(cgroup_, kKillWait);
    return;
  }
  const auto entry = marker_.first + "=" + marker_.second;
  kill_marked([&](std::string_view e) { return e == entry; }, kKillWait);
}

}  // namespace paios
