#pragma once
// mcp_server: one MCP session (docs/mcp.md), the server side of the Model Context Protocol, versions
// 2025-11-25 (current), 2025-06-18 and 2025-03-26. It turns JSON-RPC lines from the client into bus requests to
// paiosd (docs/protocol.md) and the daemon's replies into JSON-RPC lines back. It owns no socket, no thread and
// no clock: the stdio loop (stdio_server.hpp) feeds it lines, daemon replies and the time, and tests do the same
// in memory.
//
// Receives (on_line)                        Answers
//   initialize                              the negotiated version (the client's if supported, else the
//                                           latest), capabilities {tools}, serverInfo, instructions
//   ping                                    {}
//   tools/list {cursor?}                    a page of tools, nextCursor while more remain (opaque; an unknown
//                                           one is -32602)
//   tools/call {name, arguments, _meta?}    the tool's bus operation with the arguments as its fields; the reply
//                                           as content (its JSON text) plus structuredContent; a bus error, or
//                                           paiosd not running, as a result with isError
//   notifications/initialized               nothing
//   notifications/cancelled {requestId}     nothing: the call's answer is dropped; a running task_submit's
//                                           task is cancelled on the bus (task.cancel)
//   any other method                        -32601; other notifications are ignored
// A tools/call never blocks the session: each is a bus request in flight, matched to its reply by id, so ping
// and other calls are answered while a task runs. Tool arguments are checked against the tool's inputSchema
// first; what fails is -32602 for sessions of 2025-06-18 and 2025-03-26, and a result with isError from
// 2025-11-25 on (its SEP-1303: so that the model reads the message and corrects its call). An unknown tool
// is -32602 in every version.
//
// The tool list is the daemon's (bus operation tools.list, asked once while paiosd is up), else the registry
// compiled in (tool_registry.hpp): initialize and tools/list answer whether or not paiosd runs.
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "bridges/mcp/tool_set.hpp"

namespace paios::mcp {

inline constexpr std::string_view kLatestVersion = "2025-11-25";
// Newest first.
inline constexpr std::string_view kSupportedVersions[] = {"2025-11-25", "2025-06-18", "2025-03-26"};

// The daemon's side as a session sees it. stdio_server.cpp implements it over the wire client; tests in memory.
class bus {
 public:
  virtual ~bus() = default;
  // True when requests can be sent, connecting first if needed; false with `why` (for a person: what is wrong
  // and the command that starts paiosd) when paiosd is not running. `idle`: no request waits for a reply, so
  // the link may replace its connection to notice a daemon that stopped or restarted meanwhile.
  virtual bool ready(bool idle, std::string& why) = 0;
  // Sends one request; false when it could not be sent.
  virtual bool send(const nlohmann::json& request) = 0;
  // After a request got no answer in time: forget the connection, so that the next ready() connects anew.
  virtual void reset() = 0;
};

struct session_options {
  std::size_t page_size = 100;                       // tools per tools/list page
  std::chrono::milliseconds registry_timeout{2000};  // wait for the daemon's tools.list before using our copy
  std::chrono::milliseconds quiet_check{5000};       // a task silent this long: ask the daemon about it
  std::chrono::milliseconds check_timeout{3000};     // ... and give up on the daemon after this much more
  std::chrono::milliseconds cancel_grace{10000};     // how long a cancelled call waits for its bus request to end
  std::function<void(std::string_view)> log;         // one line for stderr; none: silent
  bool verbose = false;                              // log every message
};

class session {
 public:
  using clock = std::chrono::steady_clock;

  // `write` sends one line (without its newline) to the client.
  session(bus& link, std::function<void(std::string)> write, session_options opts = {});
  ~session();
  session(const session&) = delete;
  session& operator=(const session&) = delete;

  void on_line(std::string_view line, clock::time_point now);
  void on_reply(const nlohmann::json& reply, clock::time_point now);  // one frame from paiosd
  // A message the transport would not read (too long): an invalid-request error without an id.
  void refuse(std::string_view why);
  void on_tick(clock::time_point now);                                // deadlines
  std::optional<clock::time_point> next_deadline() const;

  // The client closed its input: the calls in flight still finish and are answered.
  void on_input_closed() { input_closed_ = true; }
  // The session must end now (SIGTERM, the client is gone): running tasks are cancelled on the bus, and no call
  // is answered any more.
  void cancel_all(clock::time_point now);
  // The input is closed and nothing is in flight: the process may exit.
  bool finished() const;

  std::size_t in_flight() const;
  const std::string& version() const { return version_; }  // "" until initialize

 private:
  struct call;
  struct parked;

  void handle_request(const nlohmann::json& id, const std::string& method, nlohmann::json& params,
                      clock::time_point now);
  void handle_notification(const std::string& method, const nlohmann::json& params, clock::time_point now);
  void initialize(const nlohmann::json& id, const nlohmann::json& params);
  void list_tools(const nlohmann::json& id, const nlohmann::json& params, const tool_set& tools);
  void call_tool(const nlohmann::json& id, const nlohmann::json& params, const tool_set& tools, clock::time_point now);
  void cancel(const nlohmann::json& request_id, clock::time_point now);
  // Runs `p` with the tool list to use now: at once, or once the daemon's list has arrived (or not in time).
  void with_tools(parked p, clock::time_point now);
  void registry_arrived(const nlohmann::json* reply, clock::time_point now);
  void on_call_reply(call& c, const nlohmann::json& reply, clock::time_point now);
  void on_check_reply(call& c, const nlohmann::json& reply, clock::time_point now);
  void progress(call& c, std::string message);
  void finish_ok(call& c, const nlohmann::json& body);
  void finish_error(call& c, std::string text);
  void end(const std::string& bus_id);
  void send_cancel(call& c);

  void reply(const nlohmann::json& id, const nlohmann::json& result);
  void reply_error(const nlohmann::json& id, int code, std::string_view message);
  void answer_tool(const nlohmann::json& id, std::string_view text, bool is_error, std::string_view structured = {});
  bool at_least(std::string_view version) const;
  void log(std::string_view line) const;

  bus& bus_;
  std::function<void(std::string)> write_;
  session_options opts_;
  std::string version_;
  bool input_closed_ = false;

  std::optional<tool_set> daemon_tools_;  // the daemon's list, while paiosd stays up
  bool fetching_ = false;
  std::string fetch_id_;
  clock::time_point fetch_deadline_;
  std::vector<parked> waiting_;  // requests waiting for the tool list

  std::uint64_t next_bus_id_ = 0;
  std::map<std::string, std::unique_ptr<call>> calls_;  // by bus request id
  std::map<std::string, std::string> by_request_;       // JSON-RPC id (jsonrpc::id_key) -> bus request id
};

}  // namespace paios::mcp
