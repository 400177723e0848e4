#pragma once
// sd_notify: systemd's readiness and watchdog protocol, written here (no libsystemd): one datagram with
// "READY=1", "WATCHDOG=1", "STOPPING=1" or "STATUS=..." to the unix socket named by $NOTIFY_SOCKET (a path, or
// "@name" for the abstract namespace). Without NOTIFY_SOCKET (not started by systemd with Type=notify) every
// call does nothing. Never throws; thread-safe.
#include <chrono>
#include <string_view>

namespace paios {

// Sends `state`: true when a datagram went out, false when there is no socket or it could not be sent.
bool sd_notify(std::string_view state);

// The watchdog's ping interval: half of $WATCHDOG_USEC when it is set and $WATCHDOG_PID is unset or this
// process's pid; zero when systemd does not watch this process.
std::chrono::milliseconds sd_watchdog_interval();

}  // namespace paios
