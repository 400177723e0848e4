#pragma once
// http_client: one HTTP request through libcurl, for the knowledge base's network needs (an embedding
// provider's POST /v1/embeddings, `ai kb add URL`'s GET). `ai` links it too.
//
// Promises:
//   - nothing throws; a request either got a response (any HTTP status: `responded()`) or `error` says what
//     failed, as one sentence naming the method and the URL ("GET http://host/page: timed out after 30000 ms"),
//     with a code: timeout; too_large (the body limit); bad_request (a method, scheme or redirect this client
//     does not follow); brain_unavailable (the peer cannot be reached, or libcurl cannot be used);
//   - URLs are shown without their user:password part, and request headers (an API key) are never put in
//     an error or a log;
//   - only http and https, also after a redirect; redirects are followed for GET only, at most `max_redirects`;
//   - the body is bounded: a response larger than `max_body_bytes` is an error, not a truncated body;
//   - the whole exchange is bounded by `timeout_ms` (connecting by at most 10 s of it).
// Thread-safe: each call has its own handle. libcurl (libcurl.so.4) is loaded and set up once, by the first
// request; when it cannot be loaded, every request fails with an error that says so.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "messages/error.hpp"

namespace paios {

struct http_request {
  std::string method = "GET";                // "GET" or "POST"
  std::string url;
  std::vector<std::string> headers;          // "Name: value"
  std::string body;                          // sent with POST
  std::int64_t timeout_ms = 30000;
  std::size_t max_body_bytes = 20u << 20;
  int max_redirects = 0;                     // followed with GET; 0: a redirect is the response
};

struct http_response_data {
  long status = 0;
  std::string effective_url;  // the URL that answered, after redirects
  std::vector<std::pair<std::string, std::string>> headers;  // of the final response; names in lower case
  std::string body;
  paios::status error;        // ok: a complete HTTP response arrived (whatever its status); else why not
  bool transient = false;     // when !responded(): worth another try (cannot connect, timeout, connection cut)

  bool responded() const { return error.ok(); }

  // The value of a response header by its name (case-insensitive); "" when absent.
  std::string header(std::string_view name) const;
};

http_response_data http_send(const http_request& request);

// The URL without a user:password@ part, for messages and logs.
std::string redact_url(std::string_view url);

// A Retry-After header's wait in milliseconds: delta-seconds ("120") or an HTTP date (then from now, at least
// 0); -1 when the value is neither.
std::int64_t retry_after_ms(std::string_view value);

}  // namespace paios
