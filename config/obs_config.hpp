#pragma once
// Reading and checking the "obs" section: the event store (obs.sqlite) and the loopback metrics endpoint.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace paios {

struct obs_config {
  bool synchronous_full = false;
  std::size_t queue_capacity = 0;
  std::size_t batch = 0;
  std::int64_t flush_ms = 0;
  int retention_days = 0;       // 0: kept however old
  std::int64_t max_mb = 0;      // 0: no size limit
  std::string http_endpoint;    // "host:port" on loopback, "" for none
};

// From the "obs" object of the validated merged configuration.
obs_config read_obs_config(const nlohmann::json& section);
// Checks beyond the schema, each error "obs.<path>: message": the endpoint's host and port, a batch larger
// than the queue.
void check_obs_config(const nlohmann::json& section, std::vector<std::string>& errors);

}  // namespace paios
