#pragma once
// Runs a short command and waits for it, bounded: argv without a shell, its own process group, stdin on
// /dev/null, stdout and stderr on /dev/null or kept (the first `keep_output` bytes of both, interleaved as
// written), killed (the whole group) at the deadline, always reaped. Blocks the calling thread (the notifier
// calls it from a detached actor; `ai doctor` reads agent CLIs' `--version` with it).
#include <chrono>
#include <cstddef>
#include <string>
#include <vector>

#include "messages/error.hpp"

namespace paios::sched {

struct command_result {
  bool started = false;
  bool timed_out = false;
  int exit_code = -1;  // the exit status, or 128 + the signal
  std::string output;  // stdout and stderr, up to keep_output bytes (empty when none were kept)
  // Why it did not start (bad_request: no command; not_found: no such program) or could not be waited for.
  status error;
};

command_result run_command(const std::vector<std::string>& argv, std::chrono::milliseconds timeout,
                           std::size_t keep_output = 0);

// The full path of `program` on PATH, "" when it is not there.
std::string find_on_path(const std::string& program);

}  // namespace paios::sched
