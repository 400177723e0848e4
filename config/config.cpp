#include "config/config.hpp"

#include <algorithm>

#include "config/backup_config.hpp"
#include "config/config_checks.hpp"
#include "config/report_config.hpp"
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
  c.log = read_log_config(doc.at("log"));
  c.bridge = read_bridge_config(doc.at("bridge"));
  c.tasks = read_tasks_config(doc.at("tasks"));
  c.state = read_state_config(doc.at("state"));
  c.supervision = read_supervision_config(doc.at("supervision"));
  c.obs = read_obs_config(doc.at("obs"));
  c.kb = read_kb_config(doc.at("kb"));
  c.hooks = read_hooks_config(doc.at("hooks"));
  c.mcp_servers = read_mcp_config(doc.at("mcp"));
  c.scheduler = read_scheduler_config(doc.at("scheduler"));
  for (auto builtin : {read_backup_job(doc.at("backup")), read_report_job(doc.at("report"))}) {
    if (!builtin) continue;  // the jobs stay in name order
    auto at = std::find_if(c.scheduler.jobs.begin(), c.scheduler.jobs.end(),
                           [&](const job_config& j) { return j.name > builtin->name; });
    c.scheduler.jobs.insert(at, std::move(*builtin));
  }
  c.notify = read_notify_config(doc.at("notify"));
  c.alerts = read_alerts_config(doc.at("alerts"));
  c.doctor = read_doctor_config(doc);
  c.credentials = read_credentials_config(doc);
  c.watchers = read_watcher_config(doc.at("watchers"));
  c.pipelines = read_pipelines_config(doc.value("pipelines", json::object()));
  c.brains = read_brains_config(doc);
  c.autonomy = read_autonomy_config(doc.at("autonomy"));
  c.merged = doc;
  return c;
}

}  // namespace

const json& default_config() {
  static const json doc = json::parse(embedded::defaults_json);
  return doc;
}

const json& default_autonomy_config() {
  static const json doc = json::parse(embedded::defaults_autonomy_json);
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
