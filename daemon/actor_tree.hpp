#pragma once
// The daemon's whole actor tree, declared in one place (OTP style): who starts whom, in which order, with
// which restart policy and strategy. `ai status` prints this tree as it runs.
//
//   root (one_for_one)
//   ├── state_store        owns state.sqlite
//   ├── obs_store          owns observability.sqlite: the events of every operation
//   ├── kb_store           owns kb.sqlite: the knowledge base
//   ├── brains (one_for_one)
//   │   └── brain:<name>   one per configured brain
//   ├── mcp (one_for_one)
//   │   └── mcp:<name>     one per configured MCP server
//   ├── hooks              Claude Code hook events: context, the Stop gate, ingest, learnings, the spool
//   ├── dispatcher         the in-flight table, failover
//   ├── notifier           tells a person
//   ├── alerts             notices problems, keeps them as alerts (alerts.sqlite), delivers them (notifier, webhooks)
//   ├── scheduler          the jobs (each run an actor of its own)
//   ├── pipelines          the pipelines' runs (each an actor of its own)
//   ├── watchers           the watched folders (a folder watcher each, restarted with backoff)
//   ├── config             reloads the configuration file (config.reload, SIGHUP) and applies the live keys
//   ├── zmq_bridge         the ZeroMQ endpoints
//   └── http_bridge        the loopback HTTP endpoint: /metrics, /healthz
//
// Children start in that order (the store before anything that writes, the bridge last, so that nothing
// is accepted before it can be served) and stop in the reverse order.
#include <cstdint>
#include <memory>

#include "actors/supervisor/supervisor.hpp"
#include "config/config.hpp"
#include "config/home.hpp"
#include "config/shared_config.hpp"

namespace paios {

class classifier;
class event_sink;

struct tree_context {
  daemon_config config;
  paios_home home;
  std::int64_t started_ms = 0;
  std::string version;
  bool fault_injection = false;        // PAIOS_FAULT_INJECTION=1: the debug.fault operation, for supervision tests
  std::shared_ptr<classifier> router;  // built (and validated) once, at start; the dispatcher tunes its weights
  std::shared_ptr<event_sink> events;  // the intake of the event store, installed for emit()
  std::string unclean_exit;            // the run marker a previous daemon left behind ("" after an orderly stop)
  // The configuration last accepted: `config` at start, then each reload's. The actors whose keys are live
  // (config/live_keys.hpp) read their section from it each time they start.
  std::shared_ptr<shared_config> current;
  std::filesystem::path config_file;   // the file a reload reads (--config, else PAIOS_HOME/config.json)
  bool config_file_named = false;      // --config named it
};

supervisor_spec daemon_tree(const tree_context& ctx);

}  // namespace paios
