#pragma once
// `ai mcp`: an MCP server on stdin and stdout (docs/mcp.md) in front of paiosd.
//
// The transport: one JSON-RPC message per line, UTF-8, on stdin and stdout. Nothing but protocol messages ever
// reaches stdout: the server writes them on a duplicate of the original stdout, and points file descriptor 1
// at stderr, so that a stray print cannot corrupt the stream. Logs go to stderr.
//
// One thread. It polls stdin (file descriptor 0) and the wire client's DEALER socket together with zmq_poll,
// and hands each line and each daemon reply to the session (mcp_server.hpp), which keeps every tools/call in
// flight as a bus request matched by id: a long task_submit never holds up ping or other calls, and there is
// no lock because there is no second thread. (A reader thread for stdin would need a queue and a wake-up
// descriptor to reach the socket's thread, since ZeroMQ sockets are not thread-safe; zmq_poll reads both
// already.) paiosd is reached as `ai` reaches it: connected when a call needs it, and again after it stopped
// answering, so the server may start before the daemon.
//
// Ends: at the end of stdin, once the calls in flight are answered (exit 0); on SIGTERM, SIGINT or SIGHUP, or
// when the client closes stdout, at once: running tasks are cancelled on the bus first (exit 0).
#include <chrono>
#include <cstddef>
#include <string>

namespace paios::mcp {

struct stdio_options {
  std::string home;      // PAIOS_HOME, for the message that says how to start paiosd
  std::string endpoint;  // paiosd's request endpoint
  std::size_t page_size = 100;
  bool verbose = false;  // log every message on stderr
  // A connection heard from this recently is used as it is; after that, a call with nothing else in flight
  // connects anew first, which checks that paiosd listens (so a daemon that stopped is reported at once, not after
  // the call's timeout). Zero: that check before every such call.
  std::chrono::milliseconds trust_for{1000};
};

// Serves until the end of stdin; returns the process's exit code.
int serve_stdio(const stdio_options& opts);

}  // namespace paios::mcp
