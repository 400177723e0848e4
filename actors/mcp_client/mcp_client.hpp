#pragma once
// mcp_client: one configured MCP server (mcp.servers.NAME), run as a child process and spoken to over its
// stdio (core/mcp/mcp_rpc). It starts the server in its own process group (process_runner: its own
// thread reads stdout and stderr, so no actor thread ever waits on the child; stderr goes to the daemon's log),
// initializes it (protocol 2025-11-25; 2025-06-18 and 2025-03-26 answers accepted), sends
// notifications/initialized, lists its tools (following nextCursor), and calls them.
//
// Receives                                           Replies
//   (mcp_call_atom, tool, arguments_json, key)       (code, message, result_json). code "" : result_json is the
//                                                    server's CallToolResult ({content, structuredContent?,
//                                                    isError?}; a tool's own failure is isError, not a code).
//                                                    Otherwise code is not_found (no such tool), timeout (no answer
//                                                    within timeout_ms: the server gets notifications/cancelled),
//                                                    cancelled (by the caller), bad_request (the server refused the
//                                                    arguments, -32602), tool_failed (the server is not running,
//                                                    died during the call, or answered with another error).
//                                                    A call that arrives while the server starts waits for it.
//   (cancel_atom, key)                               bool: a call with that key was in flight; it is answered
//                                                    `cancelled` and the server gets notifications/cancelled
//   (tools_atom)                                     std::string: JSON array of the server's tools as the mesh
//                                                    mounts them (mcp_rpc::mount_tool), from its last good list;
//                                                    while the server starts for the first time, after at most
//                                                    1.5 s of waiting for that list
//   (status_atom)                                    std::string JSON {name, state, pid, protocol_version, prefix,
//                                                    tools, restarts, calls, in_flight, last_error}
// Owns: the server's process group. When the server exits, its calls in flight fail (tool_failed, naming the
// exit) and it is started again after a backoff (0.5 s doubling to 30 s; back to 0.5 s once it has been ready
// for a minute): a crashing or missing server is a state in `ai status`, never a crash of the daemon. When the
// actor exits (daemon shutdown, or its supervisor's restart), the group gets SIGTERM, then SIGKILL, and is
// reaped before the actor is gone. An exception inside the actor ends it and the mcp supervisor restarts it
// (the tree's restart intensity applies).
#include <string>

#include <caf/fwd.hpp>

#include "config/mcp_config.hpp"

namespace paios {

caf::actor spawn_mcp_client(caf::actor_system& sys, mcp_server_config cfg, std::string daemon_version);

}  // namespace paios
