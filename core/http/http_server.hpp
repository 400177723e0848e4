#pragma once
// http_server: a small HTTP/1.1 server for a loopback endpoint that serves a few GET paths (/metrics,
// /healthz). One thread owns the listening socket; each connection is read with a deadline, answered and
// closed, so a slow or silent client delays others by at most that deadline and never blocks the daemon.
// Anything but GET (or HEAD) is 405; a request over 8 KiB is 431. Written here rather than taken from a
// library: Debian's cpp-httplib is a compiled build tied to OpenSSL, zlib and brotli, much more than two
// GET paths need.
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "messages/error.hpp"

namespace paios {

struct http_response {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
};

class http_server {
 public:
  using handler = std::function<http_response(const std::string& path)>;  // runs on the server's thread

  // Binds host:port (port 0: any free one) and starts the thread. Fails with bad_request when the endpoint
  // cannot be served: not host:port, a host that does not resolve, an address that cannot be bound ("cannot
  // listen on 127.0.0.1:9477: Address already in use").
  static expected<std::unique_ptr<http_server>> start(const std::string& host_port, handler h);
  ~http_server();  // stops and joins the thread, closes the socket

  int port() const { return port_; }
  const std::string& endpoint() const { return endpoint_; }  // "127.0.0.1:9477", with the port really bound

 private:
  http_server() = default;
  void run();
  void serve(int fd);

  handler handler_;
  int listen_fd_ = -1;
  int stop_fd_ = -1;
  int port_ = 0;
  std::string endpoint_;
  std::thread thread_;
};

}  // namespace paios
