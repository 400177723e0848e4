#include "bridges/zmq/bridge_io.hpp"

#include <sys/eventfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include <spdlog/spdlog.h>
#include <zmq.h>

#include "core/obs/event_sink.hpp"
#include "messages/ids.hpp"

namespace paios {
namespace {

constexpr int kMaxReadsPerWakeup = 512;  // then serve the outbox, so replies are never starved by requests

std::string zmq_error() { return zmq_strerror(zmq_errno()); }

bool bind_endpoint(void* socket, const std::string& endpoint, std::string& error) {
  if (zmq_bind(socket, endpoint.c_str()) != 0) {
    error = "cannot bind " + endpoint + ": " + zmq_error();
    return false;
  }
  if (endpoint.rfind("ipc://", 0) == 0) chmod(endpoint.c_str() + 6, 0600);
  return true;
}

// Reads the remaining frames of a multi-part message, returning how many there were.
int discard_rest(void* socket) {
  int n = 0;
  int more = 1;
  std::size_t len = sizeof more;
  while (zmq_getsockopt(socket, ZMQ_RCVMORE, &more, &len) == 0 && more) {
    zmq_msg_t m;
    zmq_msg_init(&m);
    zmq_msg_recv(&m, socket, 0);
    zmq_msg_close(&m);
    ++n;
  }
  return n;
}

}  // namespace

std::unique_ptr<bridge_io> bridge_io::start(bridge_io_options opts, std::shared_ptr<outbox> out,
                                            request_fn on_request, std::string& error) {
  std::unique_ptr<bridge_io> io{new bridge_io};
  io->opts_ = std::move(opts);
  io->out_ = std::move(out);
  io->on_request_ = std::move(on_request);
  io->ctx_ = zmq_ctx_new();
  io->router_ = zmq_socket(io->ctx_, ZMQ_ROUTER);
  io->pub_ = zmq_socket(io->ctx_, ZMQ_PUB);
  int one = 1, zero = 0, hwm = io->opts_.client_hwm;
  // Above twice the protocol limit a peer is disconnected by libzmq itself, so that no client can make
  // the daemon buffer an arbitrarily large frame; between the two limits it gets a too_large error.
  std::int64_t hard_cap = static_cast<std::int64_t>(io->opts_.max_message_bytes) * 2 + 4096;
  zmq_setsockopt(io->router_, ZMQ_ROUTER_MANDATORY, &one, sizeof one);
  zmq_setsockopt(io->router_, ZMQ_SNDHWM, &hwm, sizeof hwm);
  zmq_setsockopt(io->router_, ZMQ_RCVHWM, &hwm, sizeof hwm);
  zmq_setsockopt(io->router_, ZMQ_MAXMSGSIZE, &hard_cap, sizeof hard_cap);
  zmq_setsockopt(io->router_, ZMQ_LINGER, &zero, sizeof zero);
  zmq_setsockopt(io->pub_, ZMQ_SNDHWM, &hwm, sizeof hwm);
  zmq_setsockopt(io->pub_, ZMQ_LINGER, &zero, sizeof zero);
  if (!bind_endpoint(io->router_, io->opts_.endpoint, error) || !bind_endpoint(io->pub_, io->opts_.events_endpoint, error)) return nullptr;
  io->bound_ = true;
  io->stop_fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  io->thread_ = std::thread([p = io.get()] { p->run(); });
  return io;
}

bridge_io::~bridge_io() {
  if (thread_.joinable()) {
    std::uint64_t one = 1;
    [[maybe_unused]] auto n = write(stop_fd_, &one, sizeof one);
    thread_.join();
  }
  if (router_) zmq_close(router_);
  if (pub_) zmq_close(pub_);
  if (ctx_) zmq_ctx_term(ctx_);
  if (stop_fd_ >= 0) close(stop_fd_);
  // The socket files go with the sockets, so that a stopped daemon leaves none behind (`ai` says "not running"
  // either way, but a stale file reads as a daemon to anything that only looks for it). Closing the sockets
  // alone left both files behind after a clean stop (LifecycleSockets.ACleanStopRemovesTheSocketFiles).
  for (const auto* endpoint : {&opts_.endpoint, &opts_.events_endpoint})
    if (bound_ && endpoint->rfind("ipc://", 0) == 0) unlink(endpoint->c_str() + 6);
}

void bridge_io::run() {
  zmq_pollitem_t items[3] = {{router_, 0, ZMQ_POLLIN, 0}, {nullptr, out_->wake_fd(), ZMQ_POLLIN, 0},
                             {nullptr, stop_fd_, ZMQ_POLLIN, 0}};
  for (;;) {
    if (zmq_poll(items, 3, -1) < 0) {
      if (zmq_errno() == EINTR) continue;
      spdlog::error("bridge: poll failed: {}", zmq_error());
      break;
    }
    if (items[0].revents & ZMQ_POLLIN) read_requests();
    if (items[1].revents & ZMQ_POLLIN) write_outbox();
    if (items[2].revents & ZMQ_POLLIN) break;
  }
  write_outbox();  // what the actors already answered still goes out
}

void bridge_io::read_requests() {
  for (int i = 0; i < kMaxReadsPerWakeup; ++i) {
    zmq_msg_t id;
    zmq_msg_init(&id);
    if (zmq_msg_recv(&id, router_, ZMQ_DONTWAIT) < 0) {
      zmq_msg_close(&id);
      return;
    }
    std::string identity{static_cast<const char*>(zmq_msg_data(&id)), zmq_msg_size(&id)};
    zmq_msg_close(&id);
    ++stats_.requests;
    const auto received_us = now_us();

    int has_more = 0;
    std::size_t len = sizeof has_more;
    zmq_getsockopt(router_, ZMQ_RCVMORE, &has_more, &len);
    zmq_msg_t body;
    zmq_msg_init(&body);
    bool have_body = has_more && zmq_msg_recv(&body, router_, 0) >= 0;
    int extra = have_body && zmq_msg_more(&body) ? discard_rest(router_) : 0;
    std::string_view frame{static_cast<const char*>(zmq_msg_data(&body)), have_body ? zmq_msg_size(&body) : 0};

    // What this thread answers itself leaves its span here; the rest, where the actor answers.
    auto refuse = [&](errc code, std::string message, std::string_view req_id = {}, std::string_view op = "request") {
      ++stats_.errors;
      send_reply(identity, wire::encode_error(req_id, code, message));
      emit_span("bridge", op, new_trace(), 0, 0, received_us, now_us(), to_string(code),
                json_object{}.str("message", message).done());
    };
    if (!have_body || extra > 0) {
      refuse(errc::bad_frame, "a request is exactly one frame holding a JSON object; got " +
                                  std::to_string(have_body ? 1 + extra : 0) + " frames");
    } else if (frame.size() > opts_.max_message_bytes) {
      refuse(errc::too_large, "the request has " + std::to_string(frame.size()) + " bytes; the limit is " +
                                  std::to_string(opts_.max_message_bytes) + " (bridge.max_message_bytes)");
    } else {
      auto parsed = wire::parse_request(frame);
      if (!parsed.req) {
        refuse(parsed.error.code(), parsed.error.message(), parsed.id, parsed.op.empty() ? "request" : parsed.op);
      } else if (parsed.req->what == wire::op::ping) {
        send_reply(identity, wire::encode_pong(parsed.id, opts_.version, now_ms() - opts_.started_ms));
        emit_span("bridge", "ping", new_trace(), 0, 0, received_us, now_us(), "ok");
      } else {
        parsed.req->received_us = received_us;
        on_request_(std::move(identity), std::move(*parsed.req));
      }
    }
    zmq_msg_close(&body);
  }
}

void bridge_io::write_outbox() {
  for (auto& item : out_->drain()) {
    if (item.what == outbox_item::kind::reply) {
      send_reply(item.address, item.body);
      continue;
    }
    if (zmq_send(pub_, item.address.data(), item.address.size(), ZMQ_SNDMORE | ZMQ_DONTWAIT) >= 0 &&
        zmq_send(pub_, item.body.data(), item.body.size(), ZMQ_DONTWAIT) >= 0)
      ++stats_.published;
  }
}

void bridge_io::send_reply(const std::string& identity, const std::string& body) {
  // ROUTER_MANDATORY: a vanished client is EHOSTUNREACH, one over its high-water mark EAGAIN; both drop.
  if (zmq_send(router_, identity.data(), identity.size(), ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0 ||
      zmq_send(router_, body.data(), body.size(), ZMQ_DONTWAIT) < 0) {
    ++stats_.dropped;
    return;
  }
  ++stats_.replies;
}

}  // namespace paios
