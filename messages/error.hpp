#pragma once
// Error codes of the bus and the wire protocol. Each code is named once here; docs/protocol.md lists them
// with their meaning, and the wire carries the string form ("bad_json", ...).
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace paios {

enum class errc : std::uint8_t {
  none = 0,
  bad_frame,          // the ZeroMQ message did not have the one-frame shape the protocol requires
  bad_json,           // the frame is not a JSON object
  bad_request,        // a field is missing, of the wrong type or out of range
  bad_version,        // the protocol version "v" is not one this daemon speaks
  unknown_op,         // "op" names no operation
  too_large,          // the frame exceeds bridge.max_message_bytes
  not_found,          // no task (or other object) with that id
  unknown_brain,      // the named brain is not configured
  brain_unavailable,  // the brain's program is missing or it cannot run now
  overloaded,         // a queue is full; the request was refused, nothing was accepted
  timeout,            // the brain did not finish within the task's timeout
  cancelled,          // the task was cancelled
  brain_failed,       // the brain ran and failed (non-zero exit, crash, error output)
  interrupted,        // the daemon stopped while the task was running
  shutting_down,      // the daemon is draining and accepts nothing new
  store_failed,       // the state store could not write; nothing was accepted
  internal,           // a bug: the message says where
  tool_failed,        // a mounted MCP server's tool could not run: the server is down, died, or refused the call
};

std::string_view to_string(errc code);
std::optional<errc> errc_from_string(std::string_view text);

// An error as a value: a code and a sentence for a person.
struct error_info {
  errc code = errc::none;
  std::string message;

  explicit operator bool() const { return code != errc::none; }
};

}  // namespace paios
