#include "bridges/mcp/stdio_server.hpp"

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <iostream>

#include <zmq.h>

#include "bridges/mcp/mcp_server.hpp"
#include "client/wire_client.hpp"

namespace paios::mcp {
namespace {

using clock = session::clock;

constexpr std::size_t kMaxLineBytes = 128u << 20;       // a kb_add of 32 MiB, escaped, fits with room
constexpr auto kStopGrace = std::chrono::milliseconds(2000); // on a signal: time for task.cancel to reach paiosd

volatile std::sig_atomic_t stop_signal = 0;
void on_signal(int sig) { stop_signal = sig; }

// The bus over the wire client (client/wire_client.hpp), as `ai` talks to paiosd.
class wire_link final : public bus {
 public:
  wire_link(std::string home, std::string endpoint, std::chrono::milliseconds trust_for)
      : home_(std::move(home)), endpoint_(std::move(endpoint)), trust_for_(trust_for) {}

  bool ready(bool idle, std::string& why) override {
    const auto now = clock::now();
    // With nothing outstanding, a connection not heard from for a while is made anew: connecting checks that
    // paiosd listens, so a daemon that stopped is reported at once instead of after a call's timeout.
    if (client_ && (!idle || now < trusted_until_)) return true;
    unreachable failure;
    client_ = wire_client::connect(endpoint_, failure);
    if (!client_) {
      why = unreachable_message(home_, failure) + "Then call this tool again.";
      return false;
    }
    trusted_until_ = now + trust_for_;
    return true;
  }

  bool send(const nlohmann::json& request) override { return client_ && client_->send(request); }
  void reset() override { client_.reset(); }

  void* socket() const { return client_ ? client_->socket() : nullptr; }

  // Every reply waiting now, handed to `f`.
  template <class F>
  void drain(F&& f) {
    while (client_) {
      std::string error;
      auto r = client_->receive(0, error);
      if (!r) {
        if (!error.empty()) std::cerr << "ai mcp: " << error << "\n";
        return;
      }
      trusted_until_ = clock::now() + trust_for_;
      f(*r);
    }
  }

 private:
  std::string home_, endpoint_;
  std::chrono::milliseconds trust_for_;
  std::unique_ptr<wire_client> client_;
  clock::time_point trusted_until_{};
};

// Writes all of `data` to `fd`; false when the reader is gone.
bool write_all(int fd, const std::string& data) {
  std::size_t done = 0;
  while (done < data.size()) {
    auto n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    done += static_cast<std::size_t>(n);
  }
  return true;
}

}  // namespace

int serve_stdio(const stdio_options& o) {
  // The protocol's own descriptor; fd 1 now leads to stderr, so nothing else can reach the client's stdout.
  const int out = dup(STDOUT_FILENO);
  if (out < 0 || dup2(STDERR_FILENO, STDOUT_FILENO) < 0) {
    std::cerr << "ai mcp: cannot set up stdout: " << std::strerror(errno) << "\n";
    return 1;
  }
  std::signal(SIGPIPE, SIG_IGN);  // a client that closed stdout is noticed by write(), not killed for
  struct sigaction sa {};
  sa.sa_handler = on_signal;  // no SA_RESTART: zmq_poll returns, and the loop sees the signal
  for (int sig : {SIGTERM, SIGINT, SIGHUP}) sigaction(sig, &sa, nullptr);

  wire_link link{o.home, o.endpoint, o.trust_for};
  bool client_gone = false;
  session_options so;
  so.page_size = o.page_size;
  so.verbose = o.verbose;
  so.log = [](std::string_view line) { std::cerr << "ai mcp: " << line << "\n"; };
  session s{link,
            [&](std::string msg) {
              if (client_gone) return;
              msg.push_back('\n');
              if (!write_all(out, msg)) {
                std::cerr << "ai mcp: the client closed stdout: stopping\n";
                client_gone = true;
              }
            },
            so};

  std::string in;           // what stdin gave beyond the last complete line
  bool input_open = true;
  bool discarding = false;  // inside a line longer than kMaxLineBytes
  bool stopping = false;
  clock::time_point stop_by{};
  char buf[65536];
  for (;;) {
    const auto now = clock::now();
    if (!stopping && (stop_signal || client_gone)) {
      if (stop_signal) std::cerr << "ai mcp: " << strsignal(stop_signal) << ": cancelling what runs and stopping\n";
      s.cancel_all(now);
      stopping = true;
      input_open = false;
      stop_by = now + kStopGrace;
    }
    if (s.finished() || (stopping && now >= stop_by)) break;

    zmq_pollitem_t items[2];
    int n = 0, in_at = -1, bus_at = -1;
    if (input_open) {
      items[n] = {nullptr, STDIN_FILENO, ZMQ_POLLIN, 0};
      in_at = n++;
    }
    if (void* sock = link.socket()) {
      items[n] = {sock, 0, ZMQ_POLLIN, 0};
      bus_at = n++;
    }
    long timeout = 1000;
    const auto next = s.next_deadline();
    if (next) timeout = std::clamp<long>(std::chrono::duration_cast<std::chrono::milliseconds>(*next - now).count() + 1, 0, 1000);
    if (stopping) timeout = std::min<long>(timeout, 50);
    if (zmq_poll(items, n, timeout) < 0) {
      if (zmq_errno() == EINTR) continue;
      std::cerr << "ai mcp: zmq_poll: " << zmq_strerror(zmq_errno()) << "\n";
      return 1;
    }
    if (bus_at >= 0 && (items[bus_at].revents & ZMQ_POLLIN))
      link.drain([&](const nlohmann::json& reply) { s.on_reply(reply, clock::now()); });
    if (in_at >= 0 && (items[in_at].revents & (ZMQ_POLLIN | ZMQ_POLLERR))) {
      auto got = ::read(STDIN_FILENO, buf, sizeof buf);
      if (got < 0 && (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK)) continue;  // a non-blocking stdin
      if (got <= 0) {
        input_open = false;
        if (!in.empty() && !discarding) s.on_line(in, clock::now());  // a last line without its newline
        in.clear();
        s.on_input_closed();
      } else {
        std::size_t from = 0;
        const std::string_view chunk{buf, static_cast<std::size_t>(got)};
        for (auto nl = chunk.find('\n'); nl != std::string_view::npos; nl = chunk.find('\n', from)) {
          if (discarding) discarding = false;
          else if (in.empty()) s.on_line(chunk.substr(from, nl - from), clock::now());
          else {
            in.append(chunk.substr(from, nl - from));
            s.on_line(in, clock::now());
          }
          in.clear();
          from = nl + 1;
        }
        if (!discarding) in.append(chunk.substr(from));
        if (in.size() > kMaxLineBytes) {
          std::cerr << "ai mcp: a message longer than " << (kMaxLineBytes >> 20) << " MiB: skipped\n";
          s.refuse("invalid request: a message longer than " + std::to_string(kMaxLineBytes >> 20) + " MiB");
          in.clear();
          discarding = true;
        }
      }
    }
    if (next && clock::now() >= *next) s.on_tick(clock::now());
  }
  close(out);
  return 0;
}

}  // namespace paios::mcp
