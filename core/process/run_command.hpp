#pragma once
// Runs a short command and waits for it, bounded: argv without a shell, its own process group, stdin, stdout
// and stderr on /dev/null, killed (the whole group) at the deadline, always reaped. Blocks the calling thread
// (the notifier calls it from a detached actor).
#include <chrono>
#include <string>
#include <vector>

#include "messages/error.hpp"

namespace paios::sched {

struct command_result {
  bool started = false;
  bool timed_out = false;
  int exit_code = -1;  // the exit status, or 128 + the signal
  // Why it did not start (bad_request: no command; not_found: no such program) or could not be waited for.
  status error;
};

command_result run_command(const std::vector<std::string>& argv, std::chrono::milliseconds timeout);

// The full path of `program` on PATH, "" when it is not there.
std::string find_on_path(const std::string& program);

}  // namespace paios::sched
