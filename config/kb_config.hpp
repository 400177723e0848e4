#pragma once
// Reading and checking the "kb" section: hybrid search weights, the vector index, the embedder.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace paios {

struct kb_config {
  std::size_t dimensions = 256;  // of the embedder's vectors, local or http
  double vector_weight = 0.7;    // hybrid search: cosine similarity
  double keyword_weight = 0.3;   // hybrid search: bm25, normalized to the best candidate
  double recency_half_life_days = 0;
  double mmr_lambda = 0;
  std::size_t ann_threshold = 20000;  // passages past which an HNSW graph replaces the exact scan; 0: never
  std::size_t hnsw_m = 16, hnsw_ef_construction = 100, hnsw_ef_search = 400;
  struct {
    std::string provider = "local";  // "local" (the built-in lexical embedder) | "http"
    std::string url;                 // http: the OpenAI-compatible API base, e.g. http://127.0.0.1:11434/v1
    std::string model;               // http: the provider's model name
    std::string api_key_env;         // http: the environment variable holding the API key; "" for none
    std::size_t batch = 64;          // http: texts per request
    std::int64_t timeout_ms = 30000; // http: per request
    int retries = 3;                 // http: extra tries on connection errors, 429 and 5xx
    std::size_t cache_entries = 0;   // http: vectors kept in embed_cache.sqlite (default: defaults.json); 0: no cache
  } embedding;
};

// From the "kb" object of the validated merged configuration.
kb_config read_kb_config(const nlohmann::json& section);
// Checks beyond the schema, each error "kb.<path>: message": an http embedder's URL and model.
void check_kb_config(const nlohmann::json& section, std::vector<std::string>& errors);

}  // namespace paios
