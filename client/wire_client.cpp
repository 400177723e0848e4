#include "client/wire_client.hpp"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include <zmq.h>

#include "messages/json_writer.hpp"

namespace paios {
namespace {

// Whether something accepts connections on the ipc socket file. A stale file left by a killed daemon refuses
// the connection, a missing one does not exist: both mean "not running". A socket (or a folder on its path)
// this user may not use is a different answer: paiosd may well be running, as someone else.
bool ipc_listening(const std::string& path, unreachable& why) {
  sockaddr_un addr{};
  if (path.size() >= sizeof addr.sun_path) return true;  // let libzmq report it
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return true;
  bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  if (!ok) {
    why.denied = errno == EACCES || errno == EPERM;
    why.detail = errno == ENOENT ? "no socket at " + path : std::string{std::strerror(errno)} + " at " + path;
  }
  ::close(fd);
  return ok;
}

}  // namespace

std::unique_ptr<wire_client> wire_client::connect(const std::string& endpoint, unreachable& why) {
  if (endpoint.rfind("ipc://", 0) == 0 && !ipc_listening(endpoint.substr(6), why)) return nullptr;
  std::unique_ptr<wire_client> c{new wire_client};
  c->ctx_ = zmq_ctx_new();
  c->socket_ = zmq_socket(c->ctx_, ZMQ_DEALER);
  int zero = 0;
  zmq_setsockopt(c->socket_, ZMQ_LINGER, &zero, sizeof zero);
  if (zmq_connect(c->socket_, endpoint.c_str()) != 0) {
    why.detail = "cannot connect to " + endpoint + ": " + zmq_strerror(zmq_errno());
    return nullptr;
  }
  return c;
}

std::string unreachable_message(const std::string& home, const unreachable& why) {
  if (why.denied)
    return "paiosd on " + home + " cannot be reached by this user (" + why.detail + ").\n" +
           "It runs as another user, or the permissions of " + home + " changed: use that user, or --home a " +
           "PAIOS_HOME of your own.\n";
  return "paiosd is not running on " + home + " (" + why.detail + ").\n" + "Start it with:  paiosd --home " + home +
         " &\n" + "     or, as a service:  systemctl --user start paiosd\n";
}

wire_client::~wire_client() { close(); }

wire_client::wire_client(wire_client&& other) noexcept
    : ctx_(std::exchange(other.ctx_, nullptr)), socket_(std::exchange(other.socket_, nullptr)) {}

wire_client& wire_client::operator=(wire_client&& other) noexcept {
  if (this != &other) {
    close();
    ctx_ = std::exchange(other.ctx_, nullptr);
    socket_ = std::exchange(other.socket_, nullptr);
  }
  return *this;
}

void wire_client::close() {
  if (socket_) zmq_close(std::exchange(socket_, nullptr));
  if (ctx_) zmq_ctx_term(std::exchange(ctx_, nullptr));
}

bool wire_client::send(const nlohmann::json& request) {
  // What a person types, pipes or attaches may be any bytes: those that are not UTF-8 go as U+FFFD (as the
  // daemon writes them) instead of making nlohmann::json throw.
  auto frame = json_dump(request);
  return zmq_send(socket_, frame.data(), frame.size(), 0) >= 0;
}

std::optional<nlohmann::json> wire_client::receive(int timeout_ms, std::string& error) {
  zmq_pollitem_t item{socket_, 0, ZMQ_POLLIN, 0};
  int n = zmq_poll(&item, 1, timeout_ms);
  if (n <= 0) {
    if (n < 0) error = zmq_strerror(zmq_errno());
    return std::nullopt;
  }
  zmq_msg_t msg;
  zmq_msg_init(&msg);
  if (zmq_msg_recv(&msg, socket_, 0) < 0) {
    error = zmq_strerror(zmq_errno());
    zmq_msg_close(&msg);
    return std::nullopt;
  }
  auto data = static_cast<const char*>(zmq_msg_data(&msg));
  auto j = nlohmann::json::parse(data, data + zmq_msg_size(&msg), nullptr, false);
  zmq_msg_close(&msg);
  if (j.is_discarded() || !j.is_object()) {
    error = "the daemon sent a frame that is not a JSON object";
    return std::nullopt;
  }
  return j;
}

}  // namespace paios
