#pragma once
// The daemon's configuration: the built-in defaults (config/defaults.json, embedded at build time) deep-merged
// with the user's JSON file, validated against one schema (config/schema.json), then checked for meaning.
// Every error names the JSON path of the bad key ("brains.claude.timeout_ms: must be an integer >= 1").
// Nothing here writes a file: the user's configuration is only ever read. docs/config.md lists every key.
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace paios {

struct brain_config {
  std::string name;
  std::string kind;    // "process" | "echo"
  std::string description;
  std::string format;  // output adapter of a process brain
  std::vector<std::string> command;
  std::int64_t timeout_ms = 600000;
  std::int64_t kill_grace_ms = 2000;
  std::int64_t delay_ms = 0;  // echo only
  int max_concurrent = 2;
  int max_queue = 64;
  std::vector<std::pair<std::string, std::string>> env;
  std::string cwd;
};

struct daemon_config {
  struct {
    std::string level;
    std::size_t max_file_bytes = 0;
    int max_files = 0;
  } log;
  struct {
    std::string endpoint;         // "" : ipc://$PAIOS_HOME/run/paiosd.sock
    std::string events_endpoint;  // "" : ipc://$PAIOS_HOME/run/events.sock
    std::size_t max_message_bytes = 0;
    int client_hwm = 0;
    bool allow_tcp = false;
  } bridge;
  struct {
    std::string default_brain;
    std::vector<std::string> failover;
    std::int64_t drain_timeout_ms = 0;
    bool redispatch_running = false;
    std::size_t max_in_flight = 0;
  } tasks;
  struct {
    bool synchronous_full = false;
  } state;
  struct {
    int max_restarts = 0;
    std::int64_t within_ms = 0;
  } supervision;
  std::vector<brain_config> brains;  // enabled brains, in name order
  nlohmann::json merged;             // the validated merged document
};

struct config_result {
  std::optional<daemon_config> config;
  std::vector<std::string> errors;  // "path: message", one per problem
};

// The defaults merged with `user_file` (the defaults alone when nullopt). An unreadable file, invalid JSON
// (with line and column) and every schema or meaning error are reported; nothing is written.
config_result load_config(const std::optional<std::filesystem::path>& user_file);
// The same from an already parsed document.
config_result config_from_json(const nlohmann::json& user);

const nlohmann::json& default_config();
const nlohmann::json& config_schema();

// Objects merge key by key, recursively; anything else in `overlay` replaces; a null in `overlay` removes
// the key (so that `"brains": {"gemini": null}` drops a default brain).
nlohmann::json merge_config(nlohmann::json base, const nlohmann::json& overlay);

}  // namespace paios
