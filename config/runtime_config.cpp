#include "config/runtime_config.hpp"

#include <nlohmann/json.hpp>

namespace paios {

using nlohmann::json;

log_config read_log_config(const json& log) {
  log_config c;
  c.level = log.at("level").get<std::string>();
  c.max_file_bytes = log.at("max_file_bytes").get<std::size_t>();
  c.max_files = log.at("max_files").get<int>();
  return c;
}

bridge_config read_bridge_config(const json& br) {
  bridge_config c;
  c.endpoint = br.at("endpoint").get<std::string>();
  c.events_endpoint = br.at("events_endpoint").get<std::string>();
  c.max_message_bytes = br.at("max_message_bytes").get<std::size_t>();
  c.client_hwm = br.at("client_hwm").get<int>();
  c.allow_tcp = br.at("allow_tcp").get<bool>();
  return c;
}

tasks_config read_tasks_config(const json& t) {
  tasks_config c;
  c.default_brain = t.at("default_brain").get<std::string>();
  c.failover = t.at("failover").get<std::vector<std::string>>();
  c.drain_timeout_ms = t.at("drain_timeout_ms").get<std::int64_t>();
  c.redispatch_running = t.at("on_restart_running") == "redispatch";
  c.max_in_flight = t.at("max_in_flight").get<std::size_t>();
  const auto& retry = t.at("retry");
  c.retry.max_retries = retry.at("max_retries").get<int>();
  c.retry.base_delay_ms = retry.at("base_delay_ms").get<std::int64_t>();
  c.retry.max_delay_ms = retry.at("max_delay_ms").get<std::int64_t>();
  return c;
}

state_config read_state_config(const json& s) {
  state_config c;
  c.synchronous_full = s.at("synchronous") == "full";
  c.journal_bytes = s.at("journal_mb").get<std::size_t>() * 1024 * 1024;
  return c;
}

supervision_config read_supervision_config(const json& s) {
  supervision_config c;
  c.max_restarts = s.at("max_restarts").get<int>();
  c.within_ms = s.at("within_ms").get<std::int64_t>();
  return c;
}

}  // namespace paios
