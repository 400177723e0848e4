#pragma once
// The daemon's configuration, from one source of truth: the built-in defaults (config/defaults.json) deep-merged
// with the user's JSON file, validated against config/schema.json, then checked for meaning (names, references
// between keys, fields that belong to one kind of brain). Both files are compiled into the library.
// Promises: every error is a value, "path: message", naming the JSON path of the bad key
// ("brains.claude.timeout_ms: must be an integer from 1 to 86400000 (got 0)", "bridge.bogus: unknown key");
// one run reports every mistake it can; nothing here writes a file (the user's configuration is only read).
// docs/config.md lists every key; a unit test keeps it in step with schema.json and defaults.json.
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "config/alerts_config.hpp"
#include "config/autonomy_config.hpp"
#include "config/brains_config.hpp"
#include "config/doctor_config.hpp"
#include "config/hooks_config.hpp"
#include "config/kb_config.hpp"
#include "config/mcp_config.hpp"
#include "config/obs_config.hpp"
#include "config/pipeline_config.hpp"
#include "config/runtime_config.hpp"
#include "config/scheduler_config.hpp"
#include "config/watcher_config.hpp"

namespace paios {

struct daemon_config {
  log_config log;                    // the daemon's log file and its rotation
  bridge_config bridge;              // the client and events sockets (bridges/zmq)
  tasks_config tasks;                // routing, failover, retries and the in-flight limit of tasks
  state_config state;                // state.sqlite's durability and the task journal
  supervision_config supervision;    // how often a supervised actor may restart
  obs_config obs;                    // the event store and the metrics endpoint (core/obs)
  kb_config kb;                      // the knowledge base: search, vector index, embedder (core/kb)
  hooks_config hooks;                // Claude Code hooks: context, ingest, the Stop gate, learnings
  std::vector<mcp_server_config> mcp_servers;  // enabled MCP servers (mcp.servers), in name order
  scheduler_config scheduler;        // the scheduler's jobs, time zone, backoff (actors/scheduler)
  notify_config notify;              // how the notifier reaches a person
  alerts_config alerts;              // what raises an alert, how often it is told, the webhooks (actors/alerts)
  doctor_config doctor;              // what `ai doctor` compares with (core/doctor); the daemon does not use it
  watcher_config watchers;           // the watched folders and what each class of file leads to (actors/watcher)
  std::vector<pipeline_config> pipelines;  // enabled pipelines, in name order (actors/pipeline)
  std::vector<brain_config> brains;  // enabled brains, in name order
  autonomy_config autonomy;          // the tool-call policy's limits and rules (core/autonomy)
  nlohmann::json merged;             // the validated merged document (ai status, debugging, the router)
};

struct config_result {
  std::optional<daemon_config> config;
  std::vector<std::string> errors;  // "path: message", one per problem
};

// The defaults merged with `user_file` (the defaults alone when nullopt). An unreadable, empty or oversized
// file, invalid JSON ("FILE:LINE:COLUMN: invalid JSON: ..."), a key repeated in one object, and every schema or
// meaning error are reported; config is set only when errors is empty. The file is opened read-only.
config_result load_config(const std::optional<std::filesystem::path>& user_file);
// The same from an already parsed document (the user's, not yet merged).
config_result config_from_json(const nlohmann::json& user);

const nlohmann::json& default_config();  // config/defaults.json, parsed once
// Its "autonomy" section, parsed alone: `ai hook`'s own never check needs no more (a quarter of the parse).
const nlohmann::json& default_autonomy_config();
const nlohmann::json& config_schema();   // config/schema.json, parsed once

// Objects merge key by key, recursively; arrays and scalars in `overlay` replace; a null in `overlay` removes
// the key (so that `"brains": {"gemini": null}` drops a default brain, and `"format": null` inside a brain
// drops an inherited field). A null inside an object that `base` lacks means absent as well.
nlohmann::json merge_config(nlohmann::json base, const nlohmann::json& overlay);

}  // namespace paios
