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

  bool send(const nlohmann::json& request);
  // The next reply, or nullopt after timeout_ms (or on an unreadable frame, with `error` set).
  std::optional<nlohmann::json> receive(int timeout_ms, std::string& error);

 private:
  wire_client() = default;
  void* ctx_ = nullptr;
  void* socket_ = nullptr;
};

}  // namespace paios
