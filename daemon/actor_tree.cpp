#include "daemon/actor_tree.hpp"

#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>

#include <caf/all.hpp>

#include "actors/alerts/alerts.hpp"
#include "actors/autonomy/autonomy_gate.hpp"
#include "actors/brain/brain.hpp"
#include "actors/config/config_reloader.hpp"
#include "actors/dispatcher/dispatcher.hpp"
#include "actors/hooks/hook_handler.hpp"
#include "actors/kb/kb_store.hpp"
#include "actors/mcp_client/mcp_client.hpp"
#include "actors/names.hpp"
#include "actors/obs/obs_store.hpp"
#include "actors/pipeline/pipelines.hpp"
#include "actors/scheduler/notifier.hpp"
#include "actors/scheduler/scheduler.hpp"
#include "actors/state_store/state_store.hpp"
#include "actors/watcher/watchers.hpp"
#include "bridges/http/http_bridge.hpp"
#include "bridges/zmq/zmq_bridge.hpp"
#include "config/credential_sources.hpp"
#include "core/alerts/alert_book.hpp"
#include "core/autonomy/grant_db.hpp"
#include "core/kb/embed_cache.hpp"
#include "core/kb/kb_db.hpp"
#include "core/obs/obs_db.hpp"
#include "core/state/state_db.hpp"
#include "daemon/store_files.hpp"
#include "messages/caf_types.hpp"

namespace paios {
namespace {

// A child that other actors find by name: (re)registered each time it starts. `start` may return the typed
// handle of the child's interface: the supervisor holds children as plain caf::actor, and the callers get the
// typed handle back from the registry (registered_as in actors/names.hpp).
template <class Start>
auto registered(caf::atom_value name, Start start) {
  return [name, start](caf::actor_system& sys) {
    auto a = caf::actor_cast<caf::actor>(start(sys));
    // CAF 0.17's registry keeps the first entry of a name (it emplaces): the dead instance must go first.
    sys.registry().erase(name);
    sys.registry().put(name, a);
    return a;
  };
}

// The `ai` the agents run as their hook: hooks.ai_path, else the one beside paiosd (installed: both in bin/), else
// the build tree's (daemon/paiosd, cli/ai); "" when none of them is there.
std::string ai_binary(const std::string& configured) {
  if (!configured.empty()) return configured;
  std::error_code ec;
  const auto self = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) return {};
  for (const auto& candidate : {self.parent_path() / "ai", self.parent_path().parent_path() / "cli" / "ai"})
    if (::access(candidate.c_str(), X_OK) == 0) return candidate.string();
  return {};
}

// ~/.paios: `ai hooks install` names no --home for it, and neither does the daemon's gate, so that both write
// one hook command.
bool is_default_home(const paios_home& home) {
  const char* h = std::getenv("HOME");
  if (!h || !*h) return false;
  std::error_code ec;
  return std::filesystem::equivalent(home.root, std::filesystem::path{h} / ".paios", ec);
}

}  // namespace

supervisor_spec daemon_tree(const tree_context& ctx) {
  const auto& cfg = ctx.config;
  std::chrono::milliseconds within{cfg.supervision.within_ms};

  state_store_options store{store_path(ctx.home, state_db_schema()), cfg.state.synchronous_full,
                            cfg.tasks.redispatch_running, cfg.state.journal_bytes};
  obs_store_options obs{store_path(ctx.home, obs_db_schema()), cfg.obs.synchronous_full, cfg.obs.flush_ms,
                        cfg.obs.retention_days, cfg.obs.max_mb, ctx.events};

  supervisor_spec brains{"brains", restart_strategy::one_for_one, cfg.supervision.max_restarts, within, {}};
  std::vector<std::string> names;
  brain_gate agent_gate{ai_binary(cfg.hooks.ai_path), ctx.home.root.string(), !is_default_home(ctx.home),
                  cfg.autonomy.approval_timeout_ms};
  for (const auto& b : cfg.brains) {
    names.push_back(b.name);
    brains.children.push_back({brain_child_name(b.name),
                               [b, agent_gate](caf::actor_system& sys) { return spawn_brain(sys, b, agent_gate); },
                               restart_policy::permanent, std::chrono::milliseconds{b.kill_grace_ms + 3000}});
  }

  dispatcher_options dispatch;
  dispatch.router = ctx.router;
  dispatch.default_brain = cfg.tasks.default_brain;
  dispatch.failover = cfg.tasks.failover;
  dispatch.brain_names = names;
  dispatch.max_in_flight = cfg.tasks.max_in_flight;
  for (const auto& b : cfg.brains) {
    dispatch.breakers[b.name] = b.breaker;
    if (b.kind == "process" && !b.command.empty()) dispatch.programs[b.name] = b.command.front();
    dispatch.descriptions[b.name] = b.description;
  }
  dispatch.config_file = ctx.home.config_file().string();
  dispatch.retry = {cfg.tasks.retry.max_retries, cfg.tasks.retry.base_delay_ms, cfg.tasks.retry.max_delay_ms};
  // Tasks a crash left behind are recovered once per daemon run, not each time the dispatcher restarts
  // (a restarted dispatcher would otherwise re-run tasks that brains are still running).
  auto first_start = std::make_shared<std::atomic<bool>>(true);

  zmq_bridge_options bridge;
  bridge.io.endpoint = cfg.bridge.endpoint.empty() ? ctx.home.endpoint() : cfg.bridge.endpoint;
  bridge.io.events_endpoint = cfg.bridge.events_endpoint.empty() ? ctx.home.events_endpoint() : cfg.bridge.events_endpoint;
  bridge.io.max_message_bytes = cfg.bridge.max_message_bytes;
  bridge.io.client_hwm = cfg.bridge.client_hwm;
  bridge.io.version = ctx.version;
  bridge.io.started_ms = ctx.started_ms;
  bridge.home = ctx.home.root.string();
  bridge.allow_fault_injection = ctx.fault_injection;
  bridge.report_timezone = cfg.scheduler.timezone;
  for (const auto& m : cfg.mcp_servers) bridge.mcp.push_back({m.name, m.prefix, m.timeout_ms});

  http_bridge_options http{cfg.obs.http_endpoint, ctx.started_ms};
  kb_store_options kb;
  kb.file = store_path(ctx.home, kb_db_schema());
  kb.dimensions = cfg.kb.dimensions;
  kb.vector_weight = cfg.kb.vector_weight;
  kb.keyword_weight = cfg.kb.keyword_weight;
  kb.recency_half_life_days = cfg.kb.recency_half_life_days;
  kb.mmr_lambda = cfg.kb.mmr_lambda;
  kb.index.ann_threshold = cfg.kb.ann_threshold;
  kb.index.hnsw_m = cfg.kb.hnsw_m;
  kb.index.hnsw_ef_construction = cfg.kb.hnsw_ef_construction;
  kb.index.hnsw_ef_search = cfg.kb.hnsw_ef_search;
  const auto& emb = cfg.kb.embedding;
  kb.provider = emb.provider;
  kb.http.url = emb.url;
  kb.http.model = emb.model;
  kb.http.api_key_env = emb.api_key_env;
  kb.http.batch = emb.batch;
  kb.http.timeout_ms = emb.timeout_ms;
  kb.http.retries = emb.retries;
  kb.cache_file = store_path(ctx.home, embed_cache_schema());
  kb.cache_entries = emb.cache_entries;

  // A PreToolUse may wait for a person up to autonomy.approval_timeout_ms: the hook handler waits for the gate
  // a little longer, and the bridge for the hook handler longer still, so that the innermost limit answers.
  hook_handler_options hooks{cfg.hooks, hook_spool{ctx.home.spool_dir()}};
  hooks.gate_timeout_ms = cfg.autonomy.approval_timeout_ms + 5000;
  bridge.hook_timeout_ms = hooks.gate_timeout_ms + 5000;
  autonomy_gate_options gate;
  gate.cfg = cfg.autonomy;
  // `~` in the rules is the user's home: the daemon runs as that user.
  if (const char* h = std::getenv("HOME"); h && *h == '/') gate.home = h;
  else gate.home = "/";
  gate.grants_file = store_path(ctx.home, autonomy::grant_db_schema());

  // One MCP client per configured server. A server that crashes is restarted by its client (with backoff);
  // this supervisor restarts a client that itself fails.
  supervisor_spec mcp{"mcp", restart_strategy::one_for_one, cfg.supervision.max_restarts, within, {}};
  for (const auto& m : cfg.mcp_servers)
    mcp.children.push_back({mcp_child_name(m.name),
                            [m, version = ctx.version](caf::actor_system& sys) { return spawn_mcp_client(sys, m, version); },
                            restart_policy::permanent, std::chrono::milliseconds{5000}});

  // The actors whose keys are live take their section from the configuration last accepted, at each start: a
  // reload restarts them (config/live_keys.hpp), and a crash after a reload brings them back with it too.
  const auto current = ctx.current ? ctx.current : std::make_shared<shared_config>(cfg);
  scheduler_options sched;
  sched.data_dir = ctx.home.data_dir();
  sched.version = ctx.version;
  alerts_options alerts{cfg.alerts, store_path(ctx.home, alert_book_schema()), ctx.home.data_dir(), ctx.home.spool_dir(),
                        std::make_shared<std::string>(ctx.unclean_exit), std::make_shared<std::atomic<bool>>(true)};
  alerts.credentials = credential_sources_of(cfg);
  pipelines_options pipes{cfg.pipelines};
  config_reloader_options reloader{ctx.config_file.empty() ? ctx.home.config_file() : ctx.config_file,
                                   ctx.config_file_named, current};

  supervisor_spec root{"root", restart_strategy::one_for_one, cfg.supervision.max_restarts, within, {}};
  root.children = {
      {"state_store", registered(store_name::value, [store](caf::actor_system& sys) { return spawn_state_store(sys, store); })},
      {"obs_store", registered(obs_name::value, [obs](caf::actor_system& sys) { return spawn_obs_store(sys, obs); })},
      {"kb_store", registered(kb_name::value, [kb](caf::actor_system& sys) { return spawn_kb_store(sys, kb); })},
      supervisor_child(std::move(brains)),
      supervisor_child(std::move(mcp)),
      {"autonomy", registered(autonomy_name::value,
                              [gate, current](caf::actor_system& sys) {
                                auto opts = gate;
                                opts.cfg = current->get()->autonomy;
                                // The hook handler's and the bridge's waits are derived from these at start: they
                                // change with a restart of paiosd only (config/live_keys.hpp).
                                opts.cfg.approval_timeout_ms = gate.cfg.approval_timeout_ms;
                                opts.cfg.session_asked_max = gate.cfg.session_asked_max;
                                return spawn_autonomy_gate(sys, opts);
                              })},
      {"hooks", registered(hooks_name::value, [hooks](caf::actor_system& sys) { return spawn_hook_handler(sys, hooks); })},
      {"dispatcher", registered(dispatch_name::value,
                                [dispatch, first_start](caf::actor_system& sys) {
                                  auto opts = dispatch;
                                  opts.recover_at_start = first_start->exchange(false);
                                  return spawn_dispatcher(sys, opts);
                                })},
      {"notifier", registered(notifier_name::value,
                              [current](caf::actor_system& sys) { return spawn_notifier(sys, current->get()->notify); })},
      {"alerts", registered(alerts_name::value,
                            [alerts, current](caf::actor_system& sys) {
                              auto opts = alerts;
                              opts.cfg = current->get()->alerts;
                              return spawn_alerts(sys, opts);
                            })},
      {"scheduler", registered(sched_name::value,
                               [sched, current](caf::actor_system& sys) {
                                 auto opts = sched;
                                 opts.config = current->get()->scheduler;
                                 return spawn_scheduler(sys, opts);
                               })},
      {"pipelines", registered(pipes_name::value, [pipes](caf::actor_system& sys) { return spawn_pipelines(sys, pipes); })},
      {"watchers", registered(watch_name::value,
                              [current](caf::actor_system& sys) { return spawn_watchers(sys, current->get()->watchers); })},
      {"config", registered(config_name::value,
                            [reloader](caf::actor_system& sys) { return spawn_config_reloader(sys, reloader); })},
      {"zmq_bridge", registered(bridge_name::value, [bridge](caf::actor_system& sys) { return spawn_zmq_bridge(sys, bridge); })},
      {"http_bridge", registered(http_name::value, [http](caf::actor_system& sys) { return spawn_http_bridge(sys, http); })},
  };
  // The brains supervisor is found by name too.
  auto& brains_child = root.children[3];
  brains_child.start = registered(brains_name::value, brains_child.start);
  // So is the MCP clients' supervisor (tools.list, tools.call).
  for (auto& child : root.children)
    if (child.name == "mcp") child.start = registered(mcp_name::value, child.start);
  return root;
}

}  // namespace paios
