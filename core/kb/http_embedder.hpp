#pragma once
// http_embedder: vectors from any OpenAI-compatible embeddings endpoint (POST <url>/embeddings with
// {"model", "input": [texts]}): Ollama (http://127.0.0.1:11434/v1), llama.cpp's server, OpenAI.
//
// Promises:
//   - every vector has `dimensions` floats and is L2-normalized (the store relies on dot product = cosine);
//     a response of another size, with a missing, non-finite or zero vector, or with fewer vectors than texts,
//     is an error, and nothing of it is returned;
//   - texts are sent `batch` at a time; with a cache, a text embedded before (same SHA-256, same model()) is
//     not sent again, and new vectors are stored in the cache only once the provider's whole answer is valid;
//   - a request that cannot connect, times out, or gets 429 or 5xx is tried again up to `retries` times,
//     after 250 ms, 500 ms, 1 s... (a 429's or 503's Retry-After instead, up to 30 s); any other status fails
//     at once. An error (brain_unavailable) names the endpoint, the status and the provider's own message, quoted;
//   - the API key is read from the environment variable `api_key_env` names, when the embedder is made; it is
//     sent as "Authorization: Bearer ..." and appears in no error and no log.
// Not thread-safe (one owner: the kb_store). A call blocks for at most about (retries + 1) * timeout_ms plus
// the waits in between.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "core/kb/embedder.hpp"

namespace paios {

class embed_cache;

struct http_embedder_options {
  std::string url;                 // the API base ("http://127.0.0.1:11434/v1"); "/embeddings" is appended
  std::string model;               // as the provider names it ("nomic-embed-text", "text-embedding-3-small")
  std::size_t dimensions = 0;      // expected of every vector
  std::string api_key_env;         // the name of the environment variable holding the API key; "" for none
  std::size_t batch = 64;          // texts per request
  std::int64_t timeout_ms = 30000; // per request
  int retries = 3;                 // extra tries after a transient failure
  std::int64_t backoff_ms = 250;   // the first wait; doubles each time
  std::int64_t max_wait_ms = 30000;  // the longest wait, Retry-After included
};

class http_embedder final : public embedder {
 public:
  // `cache` may be null (no cache).
  http_embedder(http_embedder_options opts, std::unique_ptr<embed_cache> cache = nullptr);
  ~http_embedder() override;

  std::string model() const override;  // "http:<model>/<dimensions>"
  std::size_t dimensions() const override { return opts_.dimensions; }
  expected<std::vector<std::vector<float>>> embed(const std::vector<std::string_view>& texts) override;

  const std::string& endpoint() const { return endpoint_; }  // <url>/embeddings
  std::uint64_t requests() const { return requests_; }       // HTTP requests sent, retries included
  embed_cache* cache() const { return cache_.get(); }
  // The last failure to read or write the cache (ok if none): the cache is skipped then, not fatal.
  const status& cache_error() const { return cache_error_; }

 private:
  // One request for `texts`: their vectors, or brain_unavailable after the last try failed.
  expected<std::vector<std::vector<float>>> send_batch(const std::vector<std::string_view>& texts);

  http_embedder_options opts_;
  std::string endpoint_;
  std::string api_key_;
  bool api_key_missing_ = false;
  std::unique_ptr<embed_cache> cache_;
  status cache_error_;
  std::uint64_t requests_ = 0;
};

}  // namespace paios
