#pragma once
// The "alerts" section: what the alerts actor checks, how often it tells a person, and the webhooks it posts to
// (actors/alerts, docs/alerts.md). The initial values equal config/defaults.json's.
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "core/alerts/webhook.hpp"

namespace paios {

struct alerts_config {
  std::int64_t check_ms = 30000;            // how often the conditions are checked
  std::int64_t breaker_open_ms = 300000;    // a breaker open longer than this is an alert
  std::int64_t min_interval_ms = 3600000;   // at most one delivery per kind and key in this time
  std::int64_t spool_max_bytes = 100 << 20; // the hooks' spool above this is an alert; 0: not checked
  std::int64_t min_free_mb = 500;           // less free disk under PAIOS_HOME is an alert; 0: not checked
  std::int64_t db_max_mb = 2048;            // a database file (with its log) above this is an alert; 0: not checked
  int credential_warn_days = 7;             // a credential expiring within this many days is an alert
  int budget_timeouts = 3;                  // a brain's tasks timing out this many times in the window; 0: not checked
  std::int64_t budget_window_ms = 3600000;  // that window
  std::vector<webhook_config> webhooks;
  std::int64_t webhook_timeout_ms = 10000;
  int retries = 5;                          // a failed webhook delivery is tried again this many times
  std::int64_t retry_base_ms = 1000;        // after this, doubling
  std::int64_t retry_max_ms = 60000;        // up to this
};

alerts_config read_alerts_config(const nlohmann::json& section);

}  // namespace paios
