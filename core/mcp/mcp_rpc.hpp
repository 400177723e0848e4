#pragma once
// mcp_rpc: the client half of MCP's stdio transport, without I/O or an actor runtime (so it is tested alone).
// It frames requests and notifications as JSON-RPC 2.0 lines, splits a server's output into lines, reads each
// line as a response, a request or a notification, and holds the protocol's client-side rules: the versions
// accepted from initialize, and how a server's tool is mounted in the mesh's registry under a prefix.
// Promises: nothing here throws on a server's bad output; it becomes a value (an `invalid` message, a failed
// expected) that the caller logs.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "messages/error.hpp"

namespace paios::mcp_rpc {

inline constexpr const char* kProtocolVersion = "2025-11-25";  // asked for in initialize

// Splits a byte stream into lines (without "\n"; a "\r" before it is dropped; blank lines are skipped).
// A line longer than max_line is dropped whole, and counted.
class line_splitter {
 public:
  explicit line_splitter(std::size_t max_line = 64u << 20) : max_line_(max_line) {}
  void feed(std::string_view bytes, std::vector<std::string>& lines);
  std::size_t dropped() const { return dropped_; }

 private:
  std::string buf_;
  std::size_t max_line_;
  bool skipping_ = false;  // inside a line being dropped, until its newline
  std::size_t dropped_ = 0;
};

// One line for the server, "\n" included.
std::string request_line(std::int64_t id, std::string_view method, const nlohmann::json& params);
std::string notification_line(std::string_view method, const nlohmann::json& params);
std::string result_line(const nlohmann::json& id, const nlohmann::json& result);
std::string error_line(const nlohmann::json& id, int code, std::string_view message);

// One line from the server.
struct message {
  enum class kind { response, error, request, notification, invalid } what = kind::invalid;
  nlohmann::json id;       // response, error, request
  nlohmann::json result;   // response
  int code = 0;            // error
  std::string text;        // error: its message; invalid: why
  std::string method;      // request, notification
  nlohmann::json params;   // request, notification (an object, or null)
};
message parse(std::string_view line);

// initialize's params, as this client sends them (no capabilities: it serves no sampling, roots or elicitation).
nlohmann::json initialize_params(std::string_view client_version);
// The protocolVersion of an initialize result when this client speaks it (2025-11-25, 2025-06-18,
// 2025-03-26); fails with tool_failed when there is none or it is another (the server's tools cannot be used).
expected<std::string> accepted_version(const nlohmann::json& init_result);

// A server's tool as the mesh's registry lists it (docs/protocol.md, tools.list): its name with the prefix,
// op "tools.call", the server's name, description, title, inputSchema, outputSchema and annotations as the
// server gave them, and how long a client should wait for the reply. Fails with tool_failed when the tool has
// no string name or no object inputSchema (the server described a tool that cannot be called).
expected<nlohmann::json> mount_tool(const nlohmann::json& tool, const std::string& prefix, const std::string& server,
                                    std::int64_t timeout_ms);

}  // namespace paios::mcp_rpc
