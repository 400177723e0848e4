#pragma once
// The daemon's own sections: "log", "bridge", "tasks", "state" and "supervision". Each is read from the
// validated merged configuration, where the schema requires every key and defaults.json fills it, so a reader
// holds no second copy of a default value.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace paios {

struct log_config {
  std::string level;
  std::size_t max_file_bytes = 0;
  int max_files = 0;
};

struct bridge_config {
  std::string endpoint;         // "" : ipc://$PAIOS_HOME/run/paiosd.sock
  std::string events_endpoint;  // "" : ipc://$PAIOS_HOME/run/events.sock
  std::size_t max_message_bytes = 0;
  int client_hwm = 0;
  bool allow_tcp = false;
};

struct tasks_config {
  std::string default_brain;
  std::vector<std::string> failover;
  std::int64_t drain_timeout_ms = 0;
  bool redispatch_running = false;
  std::size_t max_in_flight = 0;
  struct {
    int max_retries = 0;  // extra calls on the same brain after a transient failure
    std::int64_t base_delay_ms = 0;
    std::int64_t max_delay_ms = 0;
  } retry;
};

struct state_config {
  bool synchronous_full = false;
  std::size_t journal_bytes = 0;  // the task journal's reserved size (state.journal_mb)
};

struct supervision_config {
  int max_restarts = 0;
  std::int64_t within_ms = 0;
};

// Each from its own object of the validated merged configuration.
log_config read_log_config(const nlohmann::json& section);
bridge_config read_bridge_config(const nlohmann::json& section);
tasks_config read_tasks_config(const nlohmann::json& section);
state_config read_state_config(const nlohmann::json& section);
supervision_config read_supervision_config(const nlohmann::json& section);

}  // namespace paios
