#pragma once
// notifier: tells a person that something needs attention (the heartbeat's problems, failing jobs; file
// watchers later). Every notification is an event (category notify, action the severity, data {title, body,
// via, exit_code?}); besides, it runs `notify-send` when it is on PATH and notify.notify_send is true, else
// notify.command with the title and the body appended, if one is configured.
//
// Receives                                                  Replies
//   (notify_atom, string title, string body, string severity)  nothing (fire and forget); severity: "info",
//                                                              "warning" or "critical"
//   (status_atom)                                             std::string JSON {via, sent}
// Owns: nothing lasting. Each command runs in a detached helper actor of its own (argv, no shell, own process
// group, killed at notify.timeout_ms, reaped), so a hanging command never delays the notifier or the bus.
// A command that fails or times out is logged and counted; the event is emitted all the same.
#include <caf/fwd.hpp>

#include "config/scheduler_config.hpp"

namespace paios {

caf::actor spawn_notifier(caf::actor_system& sys, notify_config cfg);

}  // namespace paios
