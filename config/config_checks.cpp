#include "config/config_checks.hpp"

#include <set>

#include "config/backup_config.hpp"
#include "config/report_config.hpp"
#include "config/doctor_config.hpp"
#include "config/config.hpp"
#include "config/schema_errors.hpp"

namespace paios {
namespace {

using nlohmann::json;

// sun_path holds 108 bytes including the terminating NUL.
constexpr std::size_t kMaxIpcPathBytes = 107;

void check_endpoint(const json& bridge, const char* key, bool allow_tcp, std::vector<std::string>& errors) {
  if (!bridge.contains(key) || !bridge[key].is_string()) return;
  const auto ep = bridge[key].get<std::string>();
  const auto where = std::string{"bridge."} + key;
  if (ep.empty()) return;  // the default socket under $PAIOS_HOME/run
  if (ep.rfind("ipc://", 0) == 0) {
    auto file = ep.substr(6);
    if (file.empty()) errors.push_back(where + ": an ipc:// endpoint needs a socket path");
    else if (file.size() > kMaxIpcPathBytes)
      errors.push_back(where + ": the socket path is " + std::to_string(file.size()) + " bytes, more than the " +
                       std::to_string(kMaxIpcPathBytes) + " a Unix socket allows");
  } else if (ep.rfind("tcp://", 0) == 0) {
    auto rest = ep.substr(6);
    auto colon = rest.rfind(':');
    if (colon == std::string::npos || colon == 0 || colon + 1 == rest.size())
      errors.push_back(where + ": must be tcp://HOST:PORT (got " + config_errors::shown(bridge[key]) + ")");
    if (!allow_tcp)
      errors.push_back(where + ": a tcp endpoint opens the daemon to the network; it is refused unless "
                               "bridge.allow_tcp is true");
  } else {
    errors.push_back(where + ": must start with ipc:// or tcp:// (got " + config_errors::shown(bridge[key]) + ")");
  }
}

}  // namespace

void check_meaning(const json& doc, std::vector<std::string>& errors) {
  if (doc.contains("kb")) check_kb_config(doc["kb"], errors);
  if (doc.contains("hooks")) check_hooks_config(doc["hooks"], errors);
  if (doc.contains("autonomy")) check_autonomy_config(doc["autonomy"], errors);
  if (doc.contains("mcp")) check_mcp_config(doc["mcp"], errors);
  check_mcp_brains(doc, errors);
  if (doc.contains("scheduler")) check_scheduler_config(doc, errors);
  check_backup_config(doc, errors);
  check_report_config(doc, errors);
  check_doctor_config(doc, errors);
  check_credentials_config(doc, errors);
  if (doc.contains("watchers")) check_watcher_config(doc, errors);
  check_pipelines_config(doc, errors);
  if (doc.contains("obs")) check_obs_config(doc["obs"], errors);
  check_breaker_config(doc, errors);
  if (doc.contains("tasks") && doc["tasks"].is_object() && doc["tasks"].contains("retry")) {
    const auto& r = doc["tasks"]["retry"];
    if (r.is_object() && r.contains("base_delay_ms") && r.contains("max_delay_ms") && r["base_delay_ms"].is_number_integer() &&
        r["max_delay_ms"].is_number_integer() && r["base_delay_ms"].get<std::int64_t>() > r["max_delay_ms"].get<std::int64_t>())
      errors.push_back("tasks.retry.max_delay_ms: must be at least tasks.retry.base_delay_ms (" +
                       r["base_delay_ms"].dump() + "; got " + r["max_delay_ms"].dump() + ")");
  }
  // Brains a task may be sent to. An entry that is not even an object counts as configured here: the schema
  // already refused it, and "no such brain" on top would only be noise.
  std::set<std::string> configured, enabled;
  if (doc.contains("brains") && doc["brains"].is_object())
    for (auto& [name, b] : doc["brains"].items()) {
      check_brain_config(name, b, errors);
      configured.insert(name);
      if (!(b.is_object() && b.contains("enabled") && b["enabled"] == false)) enabled.insert(name);
    }
  auto list = [&] {
    std::string s;
    for (auto& n : enabled) s += (s.empty() ? "" : ", ") + n;
    return s.empty() ? std::string{"none"} : s;
  };
  auto check_ref = [&](const json& v, const std::string& where) {
    if (!v.is_string()) return;
    auto name = v.get<std::string>();
    if (enabled.count(name)) return;
    if (configured.count(name))
      errors.push_back(where + ": brain '" + name + "' is disabled (brains." + name + ".enabled is false)");
    else
      errors.push_back(where + ": '" + name + "' is not a configured brain (enabled brains: " + list() + ")");
  };
  // Without a brains object the schema has said it all; every reference would only repeat it.
  if (doc.contains("tasks") && doc["tasks"].is_object() && doc.contains("brains") && doc["brains"].is_object()) {
    const auto& tasks = doc["tasks"];
    if (tasks.contains("default_brain")) check_ref(tasks["default_brain"], "tasks.default_brain");
    if (tasks.contains("failover") && tasks["failover"].is_array())
      for (std::size_t i = 0; i < tasks["failover"].size(); ++i)
        check_ref(tasks["failover"][i], "tasks.failover." + std::to_string(i));
  }
  if (doc.contains("bridge") && doc["bridge"].is_object()) {
    const auto& bridge = doc["bridge"];
    bool allow_tcp = bridge.contains("allow_tcp") && bridge["allow_tcp"] == true;
    check_endpoint(bridge, "endpoint", allow_tcp, errors);
    check_endpoint(bridge, "events_endpoint", allow_tcp, errors);
    if (bridge.contains("endpoint") && bridge.contains("events_endpoint") && bridge["endpoint"].is_string() &&
        bridge["endpoint"] != "" && bridge["endpoint"] == bridge["events_endpoint"])
      errors.push_back("bridge.events_endpoint: must differ from bridge.endpoint (both are " +
                       config_errors::shown(bridge["endpoint"]) + ")");
  }
}

}  // namespace paios
