#pragma once
// The `ai` client's side of the wire protocol (docs/protocol.md): one DEALER socket to paiosd, one JSON
// frame per request, replies read with a timeout. Deliberately small: `ai` links libzmq and nothing of the
// actor runtime, so that it starts in a few milliseconds.
#include <memory>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

namespace paios {

// Why connect() could not reach paiosd.
struct unreachable {
  bool denied = false;  // something may listen, but this user may not reach its socket (permissions)
  std::string detail;   // what was found: "no socket at ...", "Connection refused at ...", ...
};

class wire_client {
 public:
  // Connects; for an ipc endpoint first checks that a daemon is listening, so that "not running" (or "not
  // allowed") is reported at once instead of after a timeout. nullptr and `why` set on failure.
  static std::unique_ptr<wire_client> connect(const std::string& endpoint, unreachable& why);
  ~wire_client();
  // The client owns its context and socket: a copy would close them twice, so it is moved or not at all (a
  // moved-from client owns nothing).
  wire_client(const wire_client&) = delete;
  wire_client& operator=(const wire_client&) = delete;
  wire_client(wire_client&& other) noexcept;
  wire_client& operator=(wire_client&& other) noexcept;

  // Bytes of its strings that are not UTF-8 are sent as U+FFFD.
  bool send(const nlohmann::json& request);
  // The next reply, or nullopt after timeout_ms (or on an unreadable frame, with `error` set).
  std::optional<nlohmann::json> receive(int timeout_ms, std::string& error);
  // The DEALER socket, for a caller that polls it together with other descriptors (zmq_poll): `ai mcp`.
  void* socket() const { return socket_; }

 private:
  wire_client() = default;
  void close();
  void* ctx_ = nullptr;
  void* socket_ = nullptr;
};

// What `ai` says when it cannot reach paiosd on `home`: that it is not running, with the commands that start it;
// or that this user may not reach its socket, and whose it is. Several lines, each ending in a newline.
std::string unreachable_message(const std::string& home, const unreachable& why);

}  // namespace paios
