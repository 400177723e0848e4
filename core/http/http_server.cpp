#include "core/http/http_server.hpp"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>

namespace paios {
namespace {

constexpr std::size_t kMaxRequestBytes = 8192;
constexpr int kClientDeadlineMs = 2000;

const char* reason(int status) {
  switch (status) {
    case 200: return "OK";
    case 400: return "Bad Request";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 431: return "Request Header Fields Too Large";
    case 503: return "Service Unavailable";
    default: return "Internal Server Error";
  }
}

void write_all(int fd, const std::string& data, std::chrono::steady_clock::time_point deadline) {
  std::size_t off = 0;
  while (off < data.size()) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()).count();
    if (left <= 0) return;
    pollfd p{fd, POLLOUT, 0};
    if (poll(&p, 1, static_cast<int>(left)) <= 0) return;
    auto n = ::send(fd, data.data() + off, data.size() - off, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n < 0) {
      if (errno == EAGAIN || errno == EINTR) continue;
      return;
    }
    off += static_cast<std::size_t>(n);
  }
}

}  // namespace

expected<std::unique_ptr<http_server>> http_server::start(const std::string& host_port, handler h) {
  auto colon = host_port.rfind(':');
  if (colon == std::string::npos) return status{errc::bad_request, "'" + host_port + "' is not host:port"};
  auto host = host_port.substr(0, colon);
  auto port = host_port.substr(colon + 1);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICSERV;
  addrinfo* found = nullptr;
  if (int rc = getaddrinfo(host.c_str(), port.c_str(), &hints, &found); rc != 0)
    return status{errc::bad_request, "cannot resolve " + host_port + ": " + gai_strerror(rc)};
  std::string error;
  std::unique_ptr<http_server> s{new http_server};
  s->handler_ = std::move(h);
  for (auto* a = found; a; a = a->ai_next) {
    int fd = ::socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, a->ai_protocol);
    if (fd < 0) continue;
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (::bind(fd, a->ai_addr, a->ai_addrlen) == 0 && ::listen(fd, 16) == 0) {
      s->listen_fd_ = fd;
      break;
    }
    error = "cannot listen on " + host_port + ": " + std::strerror(errno);
    ::close(fd);
  }
  freeaddrinfo(found);
  if (s->listen_fd_ < 0) return status{errc::bad_request, error.empty() ? "cannot listen on " + host_port : error};
  sockaddr_storage bound{};
  socklen_t len = sizeof bound;
  getsockname(s->listen_fd_, reinterpret_cast<sockaddr*>(&bound), &len);
  s->port_ = ntohs(bound.ss_family == AF_INET6 ? reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port
                                               : reinterpret_cast<sockaddr_in*>(&bound)->sin_port);
  s->endpoint_ = host_port.substr(0, colon) + ":" + std::to_string(s->port_);
  s->stop_fd_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  s->thread_ = std::thread([raw = s.get()] { raw->run(); });
  return s;
}

http_server::~http_server() {
  if (stop_fd_ >= 0) {
    std::uint64_t one = 1;
    [[maybe_unused]] auto n = ::write(stop_fd_, &one, sizeof one);
  }
  if (thread_.joinable()) thread_.join();
  if (listen_fd_ >= 0) ::close(listen_fd_);
  if (stop_fd_ >= 0) ::close(stop_fd_);
}

void http_server::run() {
  pollfd fds[2] = {{listen_fd_, POLLIN, 0}, {stop_fd_, POLLIN, 0}};
  for (;;) {
    if (poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      return;
    }
    if (fds[1].revents) return;
    if (!(fds[0].revents & POLLIN)) continue;
    int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
    if (fd < 0) continue;
    serve(fd);
    ::close(fd);
  }
}

void http_server::serve(int fd) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(kClientDeadlineMs);
  std::string request;
  char buf[2048];
  http_response r;
  bool complete = false;
  while (!complete) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()).count();
    pollfd p{fd, POLLIN, 0};
    if (left <= 0 || poll(&p, 1, static_cast<int>(left)) <= 0) {
      r = {408, "text/plain; charset=utf-8", "the request did not arrive in time\n"};
      break;
    }
    auto n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) {
      if (n < 0 && (errno == EAGAIN || errno == EINTR)) continue;
      return;  // gone
    }
    request.append(buf, static_cast<std::size_t>(n));
    if (request.find("\r\n\r\n") != std::string::npos || request.find("\n\n") != std::string::npos) complete = true;
    else if (request.size() > kMaxRequestBytes) {
      r = {431, "text/plain; charset=utf-8", "the request is larger than 8 KiB\n"};
      break;
    }
  }
  bool head = false;
  if (complete) {
    auto line_end = request.find_first_of("\r\n");
    auto line = request.substr(0, line_end);
    auto sp1 = line.find(' '), sp2 = line.rfind(' ');
    if (sp1 == std::string::npos || sp2 == sp1 || line.compare(sp2 + 1, 5, "HTTP/") != 0) {
      r = {400, "text/plain; charset=utf-8", "not an HTTP request line\n"};
    } else {
      auto method = line.substr(0, sp1);
      auto target = line.substr(sp1 + 1, sp2 - sp1 - 1);
      auto path = target.substr(0, target.find('?'));
      head = method == "HEAD";
      if (method != "GET" && !head) r = {405, "text/plain; charset=utf-8", "only GET is served here\n"};
      else r = handler_(path);
    }
  }
  std::string out = "HTTP/1.1 " + std::to_string(r.status) + " " + reason(r.status) + "\r\nContent-Type: " +
                    r.content_type + "\r\nContent-Length: " + std::to_string(r.body.size()) +
                    "\r\nCache-Control: no-store\r\nConnection: close\r\n";
  if (r.status == 405) out += "Allow: GET, HEAD\r\n";
  out += "\r\n";
  if (!head) out += r.body;
  write_all(fd, out, deadline + std::chrono::milliseconds(kClientDeadlineMs));
}

}  // namespace paios
