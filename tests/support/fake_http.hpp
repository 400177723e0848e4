#pragma once
// HTTP on loopback inside a test (cpp-httplib): a server on a free port of 127.0.0.1, and on it a fake
// OpenAI-compatible embeddings provider (POST /v1/embeddings) that counts what it is sent and can be told to
// fail, stall, or answer vectors of the wrong size. Header-only: tests that include it list PkgConfig::HTTPLIB
// in their tests/deps file.
#include <atomic>
#include <cctype>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <deque>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include "tests/support/test_support.hpp"

namespace paios::test {

// Register routes on `server` first, then start(); the destructor stops and joins.
class loopback_server {
 public:
  loopback_server() {
    port_ = server.bind_to_any_port("127.0.0.1");
    if (port_ <= 0) throw std::runtime_error("loopback_server: cannot bind 127.0.0.1");
  }
  ~loopback_server() { stop(); }
  loopback_server(const loopback_server&) = delete;
  loopback_server& operator=(const loopback_server&) = delete;

  void start() {
    thread_ = std::thread([this] { server.listen_after_bind(); });
    // The socket listens already (bound in the constructor); this waits for the accept loop to run.
    if (!poll_until([this] { return server.is_running(); }, std::chrono::seconds(10), std::chrono::milliseconds(2)))
      throw std::runtime_error("loopback_server: the server did not start");
  }
  // Stops listening and waits for the requests being answered.
  void stop() {
    server.stop();
    if (thread_.joinable()) thread_.join();
  }
  int port() const { return port_; }
  std::string url(const std::string& path) const { return "http://127.0.0.1:" + std::to_string(port_) + path; }

  httplib::Server server;

 private:
  int port_ = 0;
  std::thread thread_;
};

// The fake provider. Its vectors are bags of hashed words (texts that share words are close), deliberately
// NOT normalized, so that a test sees the embedder normalize them.
class fake_embeddings {
 public:
  struct scripted {
    scripted(int status_ = 500, std::string body_ = R"({"error": {"message": "scripted failure"}})",
             std::string retry_after_ = {})
        : status(status_), body(std::move(body_)), retry_after(std::move(retry_after_)) {}
    int status;
    std::string body;
    std::string retry_after;  // the Retry-After header, if any
  };

  explicit fake_embeddings(std::size_t dims) : dims_(dims) {
    http.server.Post("/v1/embeddings", [this](const httplib::Request& req, httplib::Response& res) { handle(req, res); });
    http.start();
  }
  ~fake_embeddings() { http.stop(); }  // before the members the handler uses go
  fake_embeddings(const fake_embeddings&) = delete;
  fake_embeddings& operator=(const fake_embeddings&) = delete;

  std::string base_url() const { return http.url("/v1"); }

  // The next responses, in order, before it answers normally again.
  void script(std::vector<scripted> responses) {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto& r : responses) script_.push_back(std::move(r));
  }
  void set_delay_ms(int ms) { delay_ms_ = ms; }
  void set_answer_dims(std::size_t dims) { answer_dims_ = dims; }
  void set_required_key(const std::string& key) {
    std::lock_guard<std::mutex> lock(mu_);
    key_ = key;
  }
  // Every request fails with 503 while down.
  void set_down(bool down) { down_ = down; }

  int requests() const { return requests_; }
  std::vector<std::size_t> batch_sizes() const {
    std::lock_guard<std::mutex> lock(mu_);
    return batches_;
  }
  std::string last_authorization() const {
    std::lock_guard<std::mutex> lock(mu_);
    return authorization_;
  }
  std::size_t texts_sent() const {
    std::lock_guard<std::mutex> lock(mu_);
    std::size_t n = 0;
    for (auto b : batches_) n += b;
    return n;
  }

  // The vector the provider answers for `text`, before any normalization.
  static std::vector<float> raw_vector(const std::string& text, std::size_t dims) {
    std::vector<float> v(dims, 0.0f);
    v[0] = 0.25f;  // never all zero
    std::string word;
    auto flush = [&] {
      if (word.empty()) return;
      std::uint64_t h = 14695981039346656037ull;
      for (unsigned char c : word) {
        h ^= c;
        h *= 1099511628211ull;
      }
      v[h % dims] += (h >> 63) ? -1.0f : 1.0f;
      word.clear();
    };
    for (unsigned char c : text) {
      if (std::isalnum(c)) word.push_back(static_cast<char>(std::tolower(c)));
      else flush();
    }
    flush();
    for (auto& x : v) x *= 3.0f;
    return v;
  }

  loopback_server http;

 private:
  void handle(const httplib::Request& req, httplib::Response& res) {
    ++requests_;
    auto doc = nlohmann::json::parse(req.body, nullptr, false);
    std::vector<std::string> inputs;
    if (doc.is_object() && doc.contains("input") && doc["input"].is_array())
      for (auto& t : doc["input"]) inputs.push_back(t.is_string() ? t.get<std::string>() : std::string{});
    scripted next;
    bool from_script = false;
    std::string key;
    {
      std::lock_guard<std::mutex> lock(mu_);
      batches_.push_back(inputs.size());
      authorization_ = req.get_header_value("Authorization");
      if (!script_.empty()) {
        next = script_.front();
        script_.pop_front();
        from_script = true;
      }
      key = key_;
    }
    if (delay_ms_ > 0) std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms_.load()));
    if (from_script) {
      res.status = next.status;
      if (!next.retry_after.empty()) res.set_header("Retry-After", next.retry_after);
      res.set_content(next.body, "application/json");
      return;
    }
    if (down_) {
      res.status = 503;
      res.set_content(R"({"error": "the model is loading"})", "application/json");
      return;
    }
    if (!key.empty() && req.get_header_value("Authorization") != "Bearer " + key) {
      res.status = 401;
      res.set_content(R"({"error": {"message": "Incorrect API key provided", "type": "invalid_request_error"}})",
                      "application/json");
      return;
    }
    if (!doc.is_object() || inputs.empty()) {
      res.status = 400;
      res.set_content(R"({"error": {"message": "input must be a non-empty array"}})", "application/json");
      return;
    }
    const std::size_t dims = answer_dims_ ? answer_dims_.load() : dims_;
    // Answered in reverse order, with their indices, as a provider may.
    nlohmann::json data = nlohmann::json::array();
    for (std::size_t i = inputs.size(); i-- > 0;)
      data.push_back({{"object", "embedding"}, {"index", i}, {"embedding", raw_vector(inputs[i], dims)}});
    nlohmann::json out{{"object", "list"}, {"data", data}, {"model", doc.value("model", "")}};
    res.set_content(out.dump(), "application/json");
  }

  const std::size_t dims_;
  std::atomic<std::size_t> answer_dims_{0};
  std::atomic<int> delay_ms_{0};
  std::atomic<bool> down_{false};
  std::atomic<int> requests_{0};
  mutable std::mutex mu_;
  std::deque<scripted> script_;
  std::vector<std::size_t> batches_;
  std::string key_, authorization_;
};

}  // namespace paios::test
