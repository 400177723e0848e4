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

#include "config/hooks_config.hpp"
#include "config/mcp_config.hpp"
#include "config/pipeline_config.hpp"
#include "config/scheduler_config.hpp"
#include "config/watcher_config.hpp"
#include "core/routing/breaker_config.hpp"

namespace paios {

// One brain, every field filled (from the user's file, the default brain, or the schema's "default").
// The initial values below equal those schema defaults (a unit test checks), for code that builds one by hand.
struct brain_config {
  std::string name;
  std::string kind;    // "process" | "echo" | "kb" | "mcp"
  std::string description;
  std::string format;  // output adapter of a process brain; empty for echo
  std::vector<std::string> command;
  std::int64_t timeout_ms = 600000;
  std::int64_t kill_grace_ms = 2000;
  std::int64_t delay_ms = 0;  // echo only
  int max_concurrent = 2;
  int max_queue = 64;
  std::vector<std::pair<std::string, std::string>> env;  // process only, in name order
  std::string cwd;                                      // process only; absolute, or empty for the daemon's
  std::string server;           // mcp only: the MCP server (mcp.servers) whose tool answers
  std::string tool;             // mcp only: that server's name for the tool
  std::string prompt_argument = "prompt";  // mcp only: the argument that receives the prompt
  std::string arguments = "{}";            // mcp only: the other arguments, a JSON object's text
  breaker_config breaker;                               // the "breaker" section with this brain's overrides
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
    struct {
      int max_retries = 0;  // extra calls on the same brain after a transient failure
      std::int64_t base_delay_ms = 0;
      std::int64_t max_delay_ms = 0;
    } retry;
  } tasks;
  struct {
    bool synchronous_full = false;
  } state;
  struct {
    int max_restarts = 0;
    std::int64_t within_ms = 0;
  } supervision;
  struct {
    bool synchronous_full = false;
    std::size_t queue_capacity = 0;
    std::size_t batch = 0;
    std::int64_t flush_ms = 0;
    int retention_days = 0;       // 0: kept however old
    std::int64_t max_mb = 0;      // 0: no size limit
    std::string http_endpoint;    // "host:port" on loopback, "" for none
  } obs;
  struct {
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
      std::size_t cache_entries = 200000;  // http: vectors kept in embed_cache.sqlite; 0: no cache
    } embedding;
  } kb;
  hooks_config hooks;                // Claude Code hooks: context, ingest, the Stop gate, learnings
  std::vector<mcp_server_config> mcp_servers;  // enabled MCP servers (mcp.servers), in name order
  scheduler_config scheduler;        // the scheduler's jobs, time zone, backoff (actors/scheduler)
  notify_config notify;              // how the notifier reaches a person
  watcher_config watchers;           // the watched folders and what each class of file leads to (actors/watcher)
  std::vector<pipeline_config> pipelines;  // enabled pipelines, in name order (actors/pipeline)
  std::vector<brain_config> brains;  // enabled brains, in name order
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
const nlohmann::json& config_schema();   // config/schema.json, parsed once

// Objects merge key by key, recursively; arrays and scalars in `overlay` replace; a null in `overlay` removes
// the key (so that `"brains": {"gemini": null}` drops a default brain, and `"format": null` inside a brain
// drops an inherited field). A null inside an object that `base` lacks means absent as well.
nlohmann::json merge_config(nlohmann::json base, const nlohmann::json& overlay);

}  // namespace paios
