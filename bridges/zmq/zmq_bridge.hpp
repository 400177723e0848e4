#pragma once
// zmq_bridge: the actor behind the daemon's ZeroMQ endpoints (docs/protocol.md). It starts the I/O thread
// (bridge_io) that owns the sockets, and turns each request into bus messages and each answer into a reply.
//
// Receives                                        Does
//   (wire_atom, identity, wire::request)          from its I/O thread: task.submit -> dispatcher; task.get,
//                                                 task.list, event.publish -> state store; task.cancel ->
//                                                 dispatcher; route.classify -> dispatcher; status ->
//                                                 supervisors, dispatcher, itself
//   (update_atom, task_update)                    from the dispatcher: one reply frame to the submitter, and
//                                                 lifecycle events on the PUB stream
//   (drain_atom)                                  stop accepting tasks (shutting_down), keep answering the rest
//                                                 (debug.fault, when enabled, ends a named actor abnormally)
//   (status_atom)                                 std::string JSON of its counters
// Owns: the I/O thread and its sockets (closed when the actor exits). If an endpoint cannot be bound the
// actor exits with the reason, and its supervisor decides.
#include <cstdint>
#include <string>

#include <caf/fwd.hpp>

#include "bridges/zmq/bridge_io.hpp"

namespace paios {

struct zmq_bridge_options {
  bridge_io_options io;
  std::string home;  // PAIOS_HOME, reported by status
  bool allow_fault_injection = false;  // debug.fault, for tests of supervision (PAIOS_FAULT_INJECTION=1)
};

caf::actor spawn_zmq_bridge(caf::actor_system& sys, zmq_bridge_options opts);

}  // namespace paios
