#pragma once
// process_containment: every agent call's whole process tree lives inside a boundary that ends with the call,
// and that the next daemon on the same PAIOS_HOME ends when this one died first (kill -9 included).
//
// Two kinds of boundary:
//  - a cgroup v2 of its own per call (<cgroup root>/paios-<home id>/call-<n>), which the child enters before
//    exec, so every descendant is in it, setsid or not; cgroup.kill ends them all at once.
//  - an environment marker, PAIOS_CALL_<home id>=<n>, that descendants inherit. At the call's end /proc is
//    searched for it and whatever carries it is killed. The home is in the name, not the value, so that the
//    marker of a daemon started inside an agent's call is added to the outer one, not put in its place. A
//    descendant that replaces its environment, or runs as another user, escapes the marker (never the cgroup).
// Every call carries the marker, in both modes, so a restart finds what a dead daemon left whichever mode it
// used. While the daemon lives it is the child subreaper: orphaned descendants come back to it (child_reaper
// reaps them) instead of to init.
// Without configure_containment() (a test or tool that runs process_runner alone) calls are contained by the
// marker alone, named after this process.
//
// Threads: configure_containment() once, before other threads start; the rest from any thread.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <utility>

#include "messages/error.hpp"

namespace paios {

struct containment_config {
  std::filesystem::path home;         // PAIOS_HOME: names the markers and cgroups of this home
  std::filesystem::path record_file;  // remembers the boundary in use, for the next start
  // A writable cgroup2 directory (PAIOS_CGROUP_ROOT). Unset: this process's own cgroup when /sys/fs/cgroup is
  // cgroup2 and that cgroup is writable, else the marker alone.
  std::optional<std::filesystem::path> cgroup_root;
};

struct containment_started {
  // Failed: nothing was configured (bad_request: an explicit cgroup root that cannot be used; store_failed: the
  // record cannot be written). What was swept before is counted either way.
  status error;
  std::string boundary;  // for the log: "cgroup <dir>" or "environment marker PAIOS_CALL_<id>"
  std::size_t swept = 0;  // processes a previous daemon of this home left, now ended
};

// Ends what a previous daemon of this home left (its recorded cgroup, then its markers), chooses and records
// the boundary for this daemon's calls, and makes this process the child subreaper with its reaper thread.
containment_started configure_containment(const containment_config& config);

// One call's boundary, opened before the call's child is started. Ending it (end() or the destructor) kills
// every process of the call's tree that is still alive and waits, briefly, until they are gone.
class call_boundary {
 public:
  static call_boundary open();
  ~call_boundary();
  call_boundary(call_boundary&& other) noexcept;
  call_boundary& operator=(call_boundary&&) = delete;
  call_boundary(const call_boundary&) = delete;
  call_boundary& operator=(const call_boundary&) = delete;

  // The environment entry every process of the call carries.
  const std::pair<std::string, std::string>& marker() const { return marker_; }
  // An fd of the call's cgroup.procs (close-on-exec), or -1 without a cgroup: the child writes "0" to it
  // before exec to enter the cgroup.
  int cgroup_procs_fd() const { return procs_fd_; }
  void end();

 private:
  call_boundary(std::pair<std::string, std::string> marker, std::filesystem::path cgroup, int procs_fd)
      : marker_(std::move(marker)), cgroup_(std::move(cgroup)), procs_fd_(procs_fd) {}

  std::pair<std::string, std::string> marker_;
  std::filesystem::path cgroup_;  // empty: the marker alone
  int procs_fd_ = -1;
  bool ended_ = false;
};

}  // namespace paios
