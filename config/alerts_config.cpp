#include "config/alerts_config.hpp"

#include <nlohmann/json.hpp>

namespace paios {

// Every key is required by the schema and filled by defaults.json.
alerts_config read_alerts_config(const nlohmann::json& s) {
  alerts_config c;
  c.check_ms = s.at("check_ms").get<std::int64_t>();
  c.breaker_open_ms = s.at("breaker_open_ms").get<std::int64_t>();
  c.min_interval_ms = s.at("min_interval_ms").get<std::int64_t>();
  c.spool_max_bytes = s.at("spool_max_bytes").get<std::int64_t>();
  c.min_free_mb = s.at("min_free_mb").get<std::int64_t>();
  c.db_max_mb = s.at("db_max_mb").get<std::int64_t>();
  c.credential_warn_days = s.at("credential_warn_days").get<int>();
  c.budget_timeouts = s.at("budget_timeouts").get<int>();
  c.budget_window_ms = s.at("budget_window_ms").get<std::int64_t>();
  for (const auto& w : s.at("webhooks")) c.webhooks.push_back({w.at("kind").get<std::string>(), w.at("url").get<std::string>()});
  c.webhook_timeout_ms = s.at("webhook_timeout_ms").get<std::int64_t>();
  c.retries = s.at("retries").get<int>();
  c.retry_base_ms = s.at("retry_base_ms").get<std::int64_t>();
  c.retry_max_ms = s.at("retry_max_ms").get<std::int64_t>();
  return c;
}

}  // namespace paios
