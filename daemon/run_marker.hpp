#pragma once
// run_marker: how a start knows the previous paiosd did not stop in order. Each start writes
// PAIOS_HOME/run/paiosd.running (its pid and start time) after it takes the home's lock; an orderly stop removes
// it last. A marker found at start was left by a daemon that crashed, was killed (kill -9, the OOM killer, a
// watchdog) or lost the machine's power: the alerts actor raises `unclean_exit` from it.
#include <cstdint>
#include <filesystem>
#include <string>

namespace paios {

// Reads the marker a previous daemon left ("" when there is none), then writes this run's own.
std::string take_run_marker(const std::filesystem::path& marker, int pid, std::int64_t started_ms);
// Removes the marker at an orderly stop.
void clear_run_marker(const std::filesystem::path& marker);

}  // namespace paios
