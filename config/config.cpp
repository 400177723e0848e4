#include "config/config.hpp"

#include "config/config_checks.hpp"
#include "config/embedded.hpp"
#include "config/schema_errors.hpp"

namespace paios {
namespace {

using nlohmann::json;
using namespace config_errors;

// ---- From the valid merged document to the typed configuration ---------------------------------------------

// Every key read here is required by the schema and filled by defaults.json, so there is no second copy of a
// default value in this function.
daemon_config read_config(const json& doc) {
  daemon_config c;
  const auto& log = doc.at("log");
  c.log.level = log.at("level").get<std::string>();
  c.log.max_file_bytes = log.at("max_file_bytes").get<std::size_t>();
  c.log.max_files = log.at("max_files").get<int>();
  const auto& br = doc.at("bridge");
  c.bridge.endpoint = br.at("endpoint").get<std::string>();
  c.bridge.events_endpoint = br.at("events_endpoint").get<std::string>();
  c.bridge.max_message_bytes = br.at("max_message_bytes").get<std::size_t>();
  c.bridge.client_hwm = br.at("client_hwm").get<int>();
  c.bridge.allow_tcp = br.at("allow_tcp").get<bool>();
  const auto& t = doc.at("tasks");
  c.tasks.default_brain = t.at("default_brain").get<std::string>();
  c.tasks.failover = t.at("failover").get<std::vector<std::string>>();
  c.tasks.drain_timeout_ms = t.at("drain_timeout_ms").get<std::int64_t>();
  c.tasks.redispatch_running = t.at("on_restart_running") == "redispatch";
  c.tasks.max_in_flight = t.at("max_in_flight").get<std::size_t>();
  c.tasks.retry.max_retries = t.at("retry").at("max_retries").get<int>();
  c.tasks.retry.base_delay_ms = t.at("retry").at("base_delay_ms").get<std::int64_t>();
  c.tasks.retry.max_delay_ms = t.at("retry").at("max_delay_ms").get<std::int64_t>();
  c.state.synchronous_full = doc.at("state").at("synchronous") == "full";
  c.state.journal_bytes = doc.at("state").at("journal_mb").get<std::size_t>() * 1024 * 1024;
  c.supervision.max_restarts = doc.at("supervision").at("max_restarts").get<int>();
  c.supervision.within_ms = doc.at("supervision").at("within_ms").get<std::int64_t>();
  c.obs = read_obs_config(doc.at("obs"));
  c.kb = read_kb_config(doc.at("kb"));
  c.hooks = read_hooks_config(doc.at("hooks"));
  c.mcp_servers = read_mcp_config(doc.at("mcp"));
  c.scheduler = read_scheduler_config(doc.at("scheduler"));
  c.notify = read_notify_config(doc.at("notify"));
  c.watchers = read_watcher_config(doc.at("watchers"));
  c.pipelines = read_pipelines_config(doc.value("pipelines", json::object()));
  c.brains = read_brains_config(doc);
  c.merged = doc;
  return c;
}

}  // namespace

const json& default_config() {
  static const json doc = json::parse(embedded::defaults_json);
  return doc;
}

const json& config_schema() {
  static const json doc = json::parse(embedded::schema_json);
  return doc;
}

json merge_config(json base, const json& overlay) {
  if (!base.is_object() || !overlay.is_object()) return overlay;
  for (auto& [key, value] : overlay.items()) {
    if (value.is_null()) {
      base.erase(key);
    } else if (value.is_object()) {
      // Merged into an empty object when new, so that a null inside means "absent" there too.
      auto it = base.find(key);
      base[key] = merge_config(it != base.end() && it->is_object() ? *it : json::object(), value);
    } else {
      base[key] = value;
    }
  }
  return base;
}

config_result config_from_json(const json& user) {
  config_result r;
  if (!user.is_object()) {
    r.errors.push_back("(top level): the configuration must be a JSON object, not " + actual_type(user));
    return r;
  }
  auto merged = merge_config(default_config(), user);
  bool valid = validate_schema(merged, r.errors);
  std::vector<std::string> meaning;
  check_meaning(merged, meaning);
  for (auto& e : meaning) add_unique(r.errors, std::move(e));
  if (!valid && r.errors.empty()) r.errors.push_back("(top level): does not match config/schema.json");
  sort_by_path(r.errors);
  if (r.errors.empty()) r.config = read_config(merged);
  return r;
}

}  // namespace paios
