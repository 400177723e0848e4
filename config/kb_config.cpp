#include "config/kb_config.hpp"

#include <nlohmann/json.hpp>

#include "config/schema_errors.hpp"
#include "messages/text.hpp"

namespace paios {

using nlohmann::json;

kb_config read_kb_config(const json& kb) {
  kb_config c;
  c.dimensions = kb.at("dimensions").get<std::size_t>();
  c.vector_weight = kb.at("vector_weight").get<double>();
  c.keyword_weight = kb.at("keyword_weight").get<double>();
  c.recency_half_life_days = kb.at("recency_half_life_days").get<double>();
  c.mmr_lambda = kb.at("mmr_lambda").get<double>();
  c.ann_threshold = kb.at("ann_threshold").get<std::size_t>();
  c.hnsw_m = kb.at("hnsw").at("m").get<std::size_t>();
  c.hnsw_ef_construction = kb.at("hnsw").at("ef_construction").get<std::size_t>();
  c.hnsw_ef_search = kb.at("hnsw").at("ef_search").get<std::size_t>();
  const auto& emb = kb.at("embedding");
  c.embedding.provider = emb.at("provider").get<std::string>();
  c.embedding.url = emb.at("url").get<std::string>();
  c.embedding.model = emb.at("model").get<std::string>();
  c.embedding.api_key_env = emb.at("api_key_env").get<std::string>();
  c.embedding.batch = emb.at("batch").get<std::size_t>();
  c.embedding.timeout_ms = emb.at("timeout_ms").get<std::int64_t>();
  c.embedding.retries = emb.at("retries").get<int>();
  c.embedding.cache_entries = emb.at("cache_entries").get<std::size_t>();
  return c;
}

// An http provider needs somewhere to send and a model to ask for; a URL given is checked whatever the provider,
// so that a typo shows before the switch.
void check_kb_config(const json& kb, std::vector<std::string>& errors) {
  if (!kb.is_object() || !kb.contains("embedding") || !kb["embedding"].is_object()) return;
  const auto& e = kb["embedding"];
  const bool http = e.contains("provider") && e["provider"] == "http";
  if (e.contains("url") && e["url"].is_string()) {
    const auto url = e["url"].get<std::string>();
    const auto lower = lower_ascii(url.substr(0, 8));
    const auto scheme_end = url.find("://");
    // A URL holding '@' may hold a credential: not repeated in a message.
    const auto got = url.find('@') == std::string::npos ? " (got " + config_errors::shown(e["url"]) + ")" : std::string{};
    if (url.empty()) {
      if (http) errors.push_back("kb.embedding.url: is required when kb.embedding.provider is \"http\" (e.g. "
                                 "\"http://127.0.0.1:11434/v1\")");
    } else if ((lower.rfind("http://", 0) != 0 && lower.rfind("https://", 0) != 0) || scheme_end + 3 >= url.size()) {
      errors.push_back("kb.embedding.url: must be an http:// or https:// URL" + got);
    } else if (url.find_first_of(" \t\r\n") != std::string::npos) {
      errors.push_back("kb.embedding.url: must not contain spaces" + got);
    } else if (url.substr(scheme_end + 3, url.find_first_of("/?#", scheme_end + 3) - scheme_end - 3).find('@') !=
               std::string::npos) {
      // Not shown: the part before '@' is a credential.
      errors.push_back("kb.embedding.url: must not hold a user name or password; put the API key in an environment "
                       "variable and name it in kb.embedding.api_key_env");
    }
    config_errors::check_no_nul(e["url"], "kb.embedding.url", errors);
  }
  if (http && e.contains("model") && e["model"].is_string() && e["model"].get<std::string>().empty())
    errors.push_back("kb.embedding.model: is required when kb.embedding.provider is \"http\" (the provider's name "
                     "for it, e.g. \"nomic-embed-text\")");
  if (e.contains("model")) config_errors::check_no_nul(e["model"], "kb.embedding.model", errors);
}

}  // namespace paios
