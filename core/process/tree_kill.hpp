#pragma once
// tree_kill: the two ways process_containment ends a process tree, whatever its members did to leave their
// process group. Both kill with SIGKILL (a contained tree gets no grace here: its leader has already been
// asked to stop, or has died) and wait, up to `within`, until the killed processes have exited.
#include <sys/types.h>

#include <chrono>
#include <cstddef>
#include <filesystem>
#include <functional>
#include <string_view>

namespace paios {

// Kills every live process (but this one) whose environment holds an entry that `marked` accepts, and searches
// again until a search finds none, so that what forked in between goes too. Returns how many it killed.
// Each process is signalled through a pidfd opened before its environment is read, so a pid reused in between
// is never hit. A process of another user, or that replaced its environment, is not found.
std::size_t kill_marked(const std::function<bool(std::string_view entry)>& marked, std::chrono::milliseconds within);

// Kills every process in the cgroup v2 directory `dir` (cgroup.kill: setsid and new forks included), waits
// until it is empty, and removes it. Returns how many processes it held. A cgroup that is not empty in time
// stays, for the next sweep.
std::size_t kill_cgroup(const std::filesystem::path& dir, std::chrono::milliseconds within);

}  // namespace paios
