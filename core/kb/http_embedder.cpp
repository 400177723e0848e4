#include "core/kb/http_embedder.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <thread>
#include <unordered_map>

#include <nlohmann/json.hpp>

#include "core/http/http_client.hpp"
#include "core/kb/embed_cache.hpp"
#include "core/kb/sha256.hpp"

namespace paios {
namespace {

using nlohmann::json;

constexpr std::size_t kMaxResponseBytes = 256u << 20;  // 2048 texts * 4096 floats as JSON text, with room
constexpr std::size_t kMaxQuotedBytes = 300;

// What a person needs from a provider's error body: OpenAI's {"error": {"message"}}, Ollama's {"error": "..."},
// FastAPI's {"detail": "..."}, or else the body itself, shortened and printable.
std::string provider_message(const std::string& body) {
  auto doc = json::parse(body, nullptr, false);
  std::string msg;
  if (doc.is_object()) {
    if (doc.contains("error")) {
      const auto& e = doc["error"];
      if (e.is_string()) msg = e.get<std::string>();
      else if (e.is_object() && e.contains("message") && e["message"].is_string()) msg = e["message"].get<std::string>();
    }
    if (msg.empty() && doc.contains("message") && doc["message"].is_string()) msg = doc["message"].get<std::string>();
    if (msg.empty() && doc.contains("detail") && doc["detail"].is_string()) msg = doc["detail"].get<std::string>();
  }
  if (msg.empty()) msg = body;
  std::string out;
  for (unsigned char c : msg) {
    if (out.size() >= kMaxQuotedBytes) {
      out += "...";
      break;
    }
    out += (c == '\n' || c == '\r' || c == '\t') ? ' ' : (c < 0x20 || c == 0x7f) ? '?' : static_cast<char>(c);
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

bool retryable_status(long status) { return status == 429 || (status >= 500 && status <= 599); }

std::string tries_note(int attempt) {
  return attempt == 0 ? std::string{} : " (after " + std::to_string(attempt + 1) + " tries)";
}

}  // namespace

http_embedder::http_embedder(http_embedder_options opts, std::unique_ptr<embed_cache> cache)
    : opts_(std::move(opts)), cache_(std::move(cache)) {
  if (opts_.batch == 0) opts_.batch = 1;
  if (opts_.retries < 0) opts_.retries = 0;
  std::string base = opts_.url;
  while (!base.empty() && base.back() == '/') base.pop_back();
  const std::string suffix = "/embeddings";
  endpoint_ = base.size() >= suffix.size() && base.compare(base.size() - suffix.size(), suffix.size(), suffix) == 0
                  ? base
                  : base + suffix;
  if (!opts_.api_key_env.empty()) {
    const char* key = std::getenv(opts_.api_key_env.c_str());
    if (key && *key) api_key_ = key;
    else api_key_missing_ = true;
  }
}

http_embedder::~http_embedder() = default;

std::string http_embedder::model() const { return "http:" + opts_.model + "/" + std::to_string(opts_.dimensions); }

expected<std::vector<std::vector<float>>> http_embedder::embed(const std::vector<std::string_view>& texts) {
  if (texts.empty()) return std::vector<std::vector<float>>{};
  const auto id = model();
  // The cache first; equal texts in one call are sent once.
  std::vector<std::string> hashes;
  hashes.reserve(texts.size());
  for (auto t : texts) hashes.push_back(sha256_hex(t));
  std::vector<std::vector<float>> vectors(texts.size());
  std::vector<bool> have(texts.size(), false);
  std::vector<std::size_t> misses;                       // the first index of each text to send
  std::unordered_map<std::string, std::size_t> first_of;  // hash -> the index of its first text
  for (std::size_t i = 0; i < texts.size(); ++i) {
    if (cache_) {
      auto v = cache_->get(hashes[i], id, opts_.dimensions);
      if (v && *v) {
        vectors[i] = std::move(**v);
        have[i] = true;
        continue;
      }
      if (!v) cache_error_ = v.error();
    }
    if (first_of.emplace(hashes[i], i).second) misses.push_back(i);
  }
  if (!misses.empty() && api_key_missing_)
    return status{errc::brain_unavailable, "POST " + redact_url(endpoint_) + ": the environment variable " +
                                               opts_.api_key_env + " that should hold the API key is not set"};
  for (std::size_t start = 0; start < misses.size(); start += opts_.batch) {
    const auto end = std::min(misses.size(), start + opts_.batch);
    std::vector<std::string_view> batch;
    std::vector<std::string> batch_hashes;
    for (std::size_t m = start; m < end; ++m) {
      batch.push_back(texts[misses[m]]);
      batch_hashes.push_back(hashes[misses[m]]);
    }
    auto sent = send_batch(batch);
    if (!sent) return sent.error();
    auto& got = *sent;
    if (cache_)
      if (auto st = cache_->put(batch_hashes, id, got); !st) cache_error_ = st;
    for (std::size_t m = start; m < end; ++m) {
      vectors[misses[m]] = std::move(got[m - start]);
      have[misses[m]] = true;
    }
  }
  for (std::size_t i = 0; i < texts.size(); ++i)
    if (!have[i]) vectors[i] = vectors[first_of.at(hashes[i])];
  return vectors;
}

expected<std::vector<std::vector<float>>> http_embedder::send_batch(const std::vector<std::string_view>& texts) {
  json input = json::array();
  for (auto t : texts) input.push_back(std::string{t});
  http_request req;
  req.method = "POST";
  req.url = endpoint_;
  req.headers = {"Content-Type: application/json", "Accept: application/json"};
  if (!api_key_.empty()) req.headers.push_back("Authorization: Bearer " + api_key_);
  req.body = json{{"model", opts_.model}, {"input", std::move(input)}}.dump(-1, ' ', false, json::error_handler_t::replace);
  req.timeout_ms = opts_.timeout_ms;
  req.max_body_bytes = kMaxResponseBytes;
  const std::string shown = "POST " + redact_url(endpoint_);

  for (int attempt = 0;; ++attempt) {
    ++requests_;
    auto resp = http_send(req);
    std::int64_t wait_ms = opts_.backoff_ms << std::min(attempt, 20);
    if (!resp.responded()) {
      if (!resp.transient || attempt >= opts_.retries)
        return status{errc::brain_unavailable, resp.error.message() + tries_note(attempt)};
    } else if (resp.status >= 200 && resp.status <= 299) {
      auto doc = json::parse(resp.body, nullptr, false);
      auto bad = [&](const std::string& why) {
        return status{errc::brain_unavailable,
                      shown + ": HTTP " + std::to_string(resp.status) + " but " + why + " (model " + opts_.model + ")"};
      };
      if (!doc.is_object() || !doc.contains("data") || !doc["data"].is_array())
        return bad("the answer is not an embeddings response (no \"data\" array): \"" + provider_message(resp.body) + "\"");
      const auto& data = doc["data"];
      if (data.size() != texts.size())
        return bad("the answer holds " + std::to_string(data.size()) + " vectors for " + std::to_string(texts.size()) + " texts");
      std::vector<std::vector<float>> out(texts.size());
      std::vector<bool> seen(texts.size(), false);
      for (std::size_t i = 0; i < data.size(); ++i) {
        const auto& item = data[i];
        std::size_t at = i;
        if (item.is_object() && item.contains("index")) {
          if (!item["index"].is_number_unsigned() || item["index"].get<std::size_t>() >= texts.size())
            return bad("vector " + std::to_string(i) + " has an index out of range");
          at = item["index"].get<std::size_t>();
        }
        if (seen[at]) return bad("two vectors have the index " + std::to_string(at));
        seen[at] = true;
        if (!item.is_object() || !item.contains("embedding") || !item["embedding"].is_array())
          return bad("vector " + std::to_string(at) + " is missing (no \"embedding\" array)");
        const auto& e = item["embedding"];
        if (e.size() != opts_.dimensions)
          return bad("its vectors have " + std::to_string(e.size()) + " dimensions, not the " +
                     std::to_string(opts_.dimensions) + " configured (kb.dimensions)");
        auto& v = out[at];
        v.resize(e.size());
        double norm = 0;
        for (std::size_t d = 0; d < e.size(); ++d) {
          if (!e[d].is_number()) return bad("vector " + std::to_string(at) + " holds something other than numbers");
          const double x = e[d].get<double>();
          if (!std::isfinite(x)) return bad("vector " + std::to_string(at) + " holds a value that is not finite");
          v[d] = static_cast<float>(x);
          norm += x * x;
        }
        if (!(norm > 0) || !std::isfinite(norm)) return bad("vector " + std::to_string(at) + " is zero");
        const auto inv = static_cast<float>(1.0 / std::sqrt(norm));
        for (float& x : v) x *= inv;
      }
      return out;
    } else {
      const auto message = provider_message(resp.body);
      const std::string what = shown + ": HTTP " + std::to_string(resp.status) +
                               (message.empty() ? std::string{" (no message)"} : ": \"" + message + "\"");
      if (!retryable_status(resp.status) || attempt >= opts_.retries)
        return status{errc::brain_unavailable, what + tries_note(attempt)};
      if (resp.status == 429 || resp.status == 503)
        if (auto after = retry_after_ms(resp.header("retry-after")); after >= 0) wait_ms = after;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(std::clamp<std::int64_t>(wait_ms, 0, opts_.max_wait_ms)));
  }
}

}  // namespace paios
