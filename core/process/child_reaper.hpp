#pragma once
// child_reaper: reaps the children of this process that nobody waits for. Once paiosd is the child subreaper
// (process_containment), the orphaned descendants of its agents become its children, and each must be reaped
// or it stays a zombie. A reaper that took any child, though, would steal the exit status that
// process_runner and run_command wait for by pid. So those two register the children they own, and the
// reaper takes only zombies that nobody owns. The fork and the registration happen under one lock that the
// reaper also takes, so the reaper never sees an owned child before it is registered.
//
// Threads: all of it may be called from any thread.
#include <sys/types.h>

#include <mutex>

namespace paios::child_reaper {

// Holds the registry's lock from before a fork (or posix_spawn) until the child is registered by own().
class spawn_guard {
 public:
  spawn_guard();
  void own(pid_t child);

 private:
  std::unique_lock<std::mutex> lock_;
};

// Ends the ownership of a child its owner has just reaped. A pid that a newer child already reuses stays
// owned by that child: ownership is counted per pid.
void release(pid_t child);

// Reaps every zombie child of this process that nobody owns; returns how many it reaped.
int reap_orphans();

// Starts the thread that calls reap_orphans() whenever SIGCHLD arrives. SIGCHLD is blocked in the calling
// thread, and must be blocked in every thread for the reaper's sigwait to receive it: call this before any
// other thread starts (threads inherit the mask). Once per process.
void start_reaper_thread();

}  // namespace paios::child_reaper
