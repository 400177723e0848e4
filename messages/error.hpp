#pragma once
// Error codes of the bus and the wire protocol. Each code is named once here; docs/protocol.md lists them
// with their meaning, and the wire carries the string form ("bad_json", ...).
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

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

// The one error type of the libraries and the bus, after LevelDB's Status: a `status` is ok, or an errc code
// and a sentence for a person; `expected<T>` is a value or a failed status. Convention: a status or expected
// converts to true when it SUCCEEDED (`if (!s) return s;`, as std::expected and std::optional), and `ok()`
// says the same in words. A function that can fail returns one of them and never throws, and its comment says
// which code it fails with. The codes are the wire's: a failure passed on to a client keeps its code.
class [[nodiscard]] status {
 public:
  status() = default;  // ok
  status(errc code, std::string message) : code_(code), message_(std::move(message)) {}
  static status error(errc code, std::string message) { return {code, std::move(message)}; }

  bool ok() const { return code_ == errc::none; }
  explicit operator bool() const { return ok(); }
  errc code() const { return code_; }
  // The sentence; empty when ok.
  const std::string& message() const { return message_; }

 private:
  errc code_ = errc::none;
  std::string message_;
};

// A value, or the status saying why there is none (never an ok status). Small on purpose (C++17 has no
// std::expected): check it (`if (!r) return r.error();`) before `*r` or `value()`.
template <class T>
class [[nodiscard]] expected {
 public:
  expected(T value) : value_(std::move(value)) {}  // NOLINT: implicit, as `return value;` reads best
  expected(status failed) : error_(std::move(failed)) {  // NOLINT: implicit, as `return error;` reads best
    if (error_.ok()) error_ = status{errc::internal, "expected<T> made from an ok status"};
  }

  bool ok() const { return value_.has_value(); }
  explicit operator bool() const { return ok(); }
  // value() on a failure throws std::bad_optional_access (a bug in the caller); `*` does not check. On a
  // temporary both return the value itself, so that `for (auto& x : f().value())` does not dangle.
  T& value() & { return value_.value(); }
  const T& value() const& { return value_.value(); }
  T value() && { return std::move(value_.value()); }
  T& operator*() & { return *value_; }
  const T& operator*() const& { return *value_; }
  T operator*() && { return std::move(*value_); }
  T* operator->() { return &*value_; }
  const T* operator->() const { return &*value_; }
  // The failure; an ok status when there is a value.
  const status& error() const { return error_; }
  errc code() const { return error_.code(); }
  const std::string& message() const { return error_.message(); }

 private:
  std::optional<T> value_;
  status error_;
};

}  // namespace paios
