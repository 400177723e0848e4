#pragma once
// bridge_io: the ZeroMQ I/O thread of the bridge. It owns the ROUTER socket (requests) and the PUB socket
// (event stream) and nothing else touches them. It reads frames, answers what needs no actor (ping, and
// every malformed, oversized or unknown request, with a structured error), and hands each valid request to
// `on_request` (called on this thread; it must not block). Replies come back through the outbox.
// It never blocks on a client: sends are non-blocking, and a client that is gone or over its high-water
// mark loses that frame (counted in stats) instead of stalling the daemon.
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "bridges/zmq/outbox.hpp"
#include "messages/wire.hpp"

namespace paios {

struct bridge_io_options {
  std::string endpoint;         // e.g. ipc:///home/u/.paios/run/paiosd.sock
  std::string events_endpoint;  // e.g. ipc:///home/u/.paios/run/events.sock
  std::size_t max_message_bytes = 4 << 20;
  int client_hwm = 10000;
  std::string version;
  std::int64_t started_ms = 0;
};

struct bridge_stats {
  std::atomic<std::uint64_t> requests{0};
  std::atomic<std::uint64_t> errors{0};   // requests answered with an error by the I/O thread itself
  std::atomic<std::uint64_t> replies{0};
  std::atomic<std::uint64_t> dropped{0};  // replies a gone or slow client could not take
  std::atomic<std::uint64_t> published{0};
};

class bridge_io {
 public:
  using request_fn = std::function<void(std::string identity, wire::request req)>;

  // Binds both endpoints (ipc socket files get mode 0600) and starts the thread; nullptr and `error` set
  // when an endpoint cannot be bound.
  static std::unique_ptr<bridge_io> start(bridge_io_options opts, std::shared_ptr<outbox> out, request_fn on_request,
                                          std::string& error);
  ~bridge_io();  // stops the thread and closes the sockets; pending replies are flushed first

  const bridge_stats& stats() const { return stats_; }

 private:
  bridge_io() = default;
  void run();
  void read_requests();
  void write_outbox();
  void send_reply(const std::string& identity, const std::string& body);

  bridge_io_options opts_;
  std::shared_ptr<outbox> out_;
  request_fn on_request_;
  bool bound_ = false;  // both endpoints bound by this daemon: their ipc files are its to remove
  void* ctx_ = nullptr;
  void* router_ = nullptr;
  void* pub_ = nullptr;
  int stop_fd_ = -1;
  bridge_stats stats_;
  std::thread thread_;
};

}  // namespace paios
