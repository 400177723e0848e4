#pragma once
// zmq_bridge: the actor behind the daemon's ZeroMQ endpoints (docs/protocol.md). It starts the I/O thread
// (bridge_io) that owns the sockets, and turns each request into bus messages and each answer into a reply.
//
// Receives                                        Does
//   (wire_atom, identity, wire::request)          from its I/O thread: task.submit -> dispatcher; task.get,
//                                                 task.list, route.list -> state store; task.cancel,
//                                                 route.classify, route.weights, route.adjust, breaker.reset
//                                                 -> dispatcher;
//                                                 event.publish, obs.query, obs.trace -> event store; obs.score ->
//                                                 state store (the task must exist), then event store; status ->
//                                                 supervisors, dispatcher, event store, scheduler, itself;
//                                                 jobs.list, jobs.run, jobs.history -> scheduler; tools.list ->
//                                                 itself (the MCP tool registry compiled in) and every MCP
//                                                 client (its server's tools, mounted); tools.call,
//                                                 tools.cancel -> the MCP client of the tool's prefix (through
//                                                 the mcp supervisor); hook.event -> hook handler (its event
//                                                 then goes on the PUB stream too); approvals.list,
//                                                 approvals.decide, autonomy.show, .check, .demote -> the
//                                                 autonomy gate; backup.create -> a backup_run of its own
//                                                 (actors/backup, its own thread); alerts.list,
//                                                 alerts.ack, credentials.list -> the alerts actor; report.get
//                                                 -> a report_run of its own (actors/report)
//   (update_atom, task_update)                    from the dispatcher: one reply frame to the submitter, and
//                                                 lifecycle events on the PUB stream
//   (drain_atom)                                  stop accepting tasks (shutting_down), keep answering the rest
//                                                 (debug.fault, when enabled, ends a named actor abnormally)
//   (status_atom)                                 std::string JSON of its counters
// Every request leaves a span (category bridge, action its operation) from its arrival on the I/O thread to
// the reply that completes it; a task's span is the parent of the dispatcher's. The trace is the client's
// (traceparent) or a new one.
// Owns: the I/O thread and its sockets (closed when the actor exits). If an endpoint cannot be bound the
// actor exits with the reason, and its supervisor decides.
#include <cstdint>
#include <string>
#include <vector>

#include <caf/fwd.hpp>

#include "bridges/zmq/bridge_io.hpp"

namespace paios {

// A configured MCP server whose tools are mounted (actors/mcp_client): tools.call {name} goes to the server
// whose prefix begins the name (the longest, if several do).
struct mcp_mount {
  std::string server;
  std::string prefix;
  std::int64_t timeout_ms = 30000;  // the client's own limit for one call; the bridge waits a little longer
};

struct zmq_bridge_options {
  std::vector<mcp_mount> mcp;
  bridge_io_options io;
  std::string home;  // PAIOS_HOME, reported by status
  bool allow_fault_injection = false;  // debug.fault, for tests of supervision (PAIOS_FAULT_INJECTION=1)
  // How long hook.event waits for the hook handler: a PreToolUse of a daemon task may wait for a person
  // (autonomy.approval_timeout_ms), so this is that and a margin beyond the handler's own limit.
  std::int64_t hook_timeout_ms = 610000;
  std::string report_timezone;  // report.get: the zone the days are cut in (scheduler.timezone, resolved)
};

caf::actor spawn_zmq_bridge(caf::actor_system& sys, zmq_bridge_options opts);

}  // namespace paios
