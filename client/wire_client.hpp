#pragma once
// The `ai` client's side of the wire protocol (docs/protocol.md): one DEALER socket to paiosd, one JSON
// frame per request, replies read with a timeout. Deliberately small: `ai` links libzmq and nothing of the
// actor runtime, so that it starts in a few milliseconds.
#include <memory>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

namespace paios {

class wire_client {
 public:
  // Connects; for an ipc endpoint first checks that a daemon is listening, so that "not running" is
  // reported at once instead of after a timeout. nullptr and `error` set on failure.
  static std::unique_ptr<wire_client> connect(const std::string& endpoint, std::string& error);
  ~wire_client();
  // The client owns its context and socket: a copy would close them twice, so it is moved or not at all (a
  // moved-from client owns nothing).
  wire_client(const wire_client&) = delete;
  wire_client& operator=(const wire_client&) = delete;
  wire_client(wire_client&& other) noexcept;
  wire_client& operator=(wire_client&& other) noexcept;

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

// What `ai` says when paiosd is not running on `home` (`error`: what connect() found), ending with the commands
// that start it. Several lines, each ending in a newline.
std::string not_running_message(const std::string& home, const std::string& error);

}  // namespace paios
