#pragma once
// JSON-RPC 2.0 as MCP uses it over stdio (docs/mcp.md): one message per line, each a JSON object. Reads a line
// into a request, a notification or a response, or into the error it deserves; writes results, errors and
// notifications as one line of JSON each (no newline inside: strings are escaped). No I/O here.
//
// What a line must be, and the error it gets otherwise (the reply's id is the request's when it could be read,
// else null, as JSON-RPC 2.0 says):
//   not JSON                                       -32700 parse error
//   a JSON array (a batch: not part of MCP since
//     2025-06-18), or anything but an object       -32600 invalid request
//   "jsonrpc" other than "2.0"; "method" not a
//     string; "id" neither a string nor an integer;
//     "params" neither an object nor an array       -32600 invalid request
//   "params" an array (MCP's methods take objects)  -32602 invalid params (a notification: no answer, and
//                                                   its params read as empty)
// A line of only white space is no message and gets no answer.
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace paios::jsonrpc {

enum code : int {
  parse_error = -32700,
  invalid_request = -32600,
  method_not_found = -32601,
  invalid_params = -32602,
  internal_error = -32603,
};

struct message {
  enum class kind { request, notification, response, invalid, blank };
  kind what = kind::blank;
  nlohmann::json id;             // request and response: a string or an integer; invalid: the id if readable, else null
  std::string method;            // request, notification
  nlohmann::json params;         // request, notification: always an object (empty when absent)
  int error_code = 0;            // invalid: the code of the error reply it deserves
  std::string error_message;     // invalid: why
};

// Never throws.
message parse(std::string_view line);

// One line each, without the newline.
std::string result(const nlohmann::json& id, const nlohmann::json& result);
std::string error(const nlohmann::json& id, int code, std::string_view message,
                  const nlohmann::json& data = nullptr);
std::string notification(std::string_view method, const nlohmann::json& params);

// The id as a map key that tells 1 from "1".
inline std::string id_key(const nlohmann::json& id) { return id.dump(); }

}  // namespace paios::jsonrpc
