#pragma once
// `ai doctor`'s checks that talk to the service (cli/cmd_doctor.cpp runs them): is paiosd reachable over its
// bridge (a ping, as `ai ping`), what systemd says of its unit, and, only on request (--smoke), one real task
// through each of the daemon's brains. Each returns core/doctor findings.
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "core/doctor/finding.hpp"

namespace paios {
class wire_client;
struct paios_home;
}  // namespace paios

namespace paios::cli {

// The daemon's answer to a ping: ok with its version and uptime, or an error saying why it cannot be reached.
// `client` is the connection when it answered (the smoke calls reuse it), else nullptr.
doctor::finding check_daemon(const paios_home& home, std::unique_ptr<wire_client>& client);

// The systemd user unit `unit` (`systemctl --user show`): ok when active, an error when failed, a warning when
// inactive while paiosd does not answer; ok and "skipped" with the reason when there is no systemctl, no user
// manager, or no such unit.
doctor::finding check_systemd_unit(const std::string& unit, bool daemon_answers);

// One short task per brain the daemon runs (from its status), all at once, each bounded by `timeout` (the task's
// timeout_ms): ok with the latency when the brain itself answered; an error when it failed, timed out, was
// unavailable (not sent: its reason), or another brain answered instead (a failover).
std::vector<doctor::finding> smoke_brains(wire_client& client, std::chrono::milliseconds timeout);

}  // namespace paios::cli
