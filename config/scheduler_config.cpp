#include "config/scheduler_config.hpp"

#include <nlohmann/json.hpp>

#include "core/schedule/schedule.hpp"
#include "core/schedule/time_zone.hpp"

namespace paios {

using nlohmann::json;

scheduler_config read_scheduler_config(const nlohmann::json& s) {
  scheduler_config c;
  c.timezone = s.value("timezone", "");
  if (c.timezone.empty()) {
    c.timezone = sched::time_zone::local_zone_name();
    if (!sched::time_zone::load(c.timezone)) c.timezone = "UTC";
  }
  c.backoff_initial_s = s.at("backoff").value("initial_s", 30);
  c.backoff_max_s = s.at("backoff").value("max_s", 3600);
  c.missed_grace_s = s.value("missed_grace_s", 60);
  c.heartbeat_min_free_mb = s.at("heartbeat").value("min_free_mb", 500);
  for (const auto& [name, j] : s.at("jobs").items()) {  // nlohmann's object is a std::map: name order
    if (!j.is_object() || !j.value("enabled", true)) continue;
    job_config job;
    job.name = name;
    job.schedule = j.value("schedule", "");
    const auto& a = j.at("action");
    if (a.contains("task")) {
      job.action = "task";
      job.prompt = a["task"].value("prompt", "");
      job.brain = a["task"].value("brain", "");
    } else if (a.contains("builtin")) {
      job.action = "builtin";
      job.builtin = a["builtin"].get<std::string>();
    } else {
      job.action = "pipeline";
      job.pipeline = a.value("pipeline", "");
    }
    job.timeout_ms = j.value("timeout_ms", std::int64_t{600000});
    job.allow_overlap = j.value("allow_overlap", false);
    job.run_once_missed = j.value("missed", "skip") == "run_once";
    c.jobs.push_back(std::move(job));
  }
  return c;
}

notify_config read_notify_config(const nlohmann::json& s) {
  notify_config c;
  c.command = s.value("command", std::vector<std::string>{});
  c.notify_send = s.value("notify_send", true);
  c.timeout_ms = s.value("timeout_ms", std::int64_t{5000});
  return c;
}

void check_scheduler_config(const nlohmann::json& doc, std::vector<std::string>& errors) {
  const auto& s = doc["scheduler"];
  if (!s.is_object()) return;
  if (s.contains("timezone") && s["timezone"].is_string() && !s["timezone"].get<std::string>().empty()) {
    auto tz = sched::time_zone::load(s["timezone"].get<std::string>());
    if (!tz) errors.push_back("scheduler.timezone: " + tz.message());
  }
  if (s.contains("backoff") && s["backoff"].is_object()) {
    const auto& b = s["backoff"];
    if (b.contains("initial_s") && b.contains("max_s") && b["initial_s"].is_number_integer() &&
        b["max_s"].is_number_integer() && b["initial_s"].get<std::int64_t>() > b["max_s"].get<std::int64_t>())
      errors.push_back("scheduler.backoff.initial_s: must be at most scheduler.backoff.max_s");
  }
  if (!s.contains("jobs") || !s["jobs"].is_object()) return;
  for (const auto& [name, j] : s["jobs"].items()) {
    if (!j.is_object()) continue;
    const std::string path = "scheduler.jobs." + name;
    if (j.contains("schedule") && j["schedule"].is_string()) {
      auto parsed = sched::schedule::parse(j["schedule"].get<std::string>());
      if (!parsed) errors.push_back(path + ".schedule: " + parsed.message());
    }
    if (!j.contains("action") || !j["action"].is_object()) continue;
    const auto& a = j["action"];
    if (a.contains("pipeline") && a["pipeline"].is_string()) {
      const auto pipeline = a["pipeline"].get<std::string>();
      const auto& ps = doc.contains("pipelines") && doc["pipelines"].is_object() ? doc["pipelines"] : json::object();
      if (!ps.contains(pipeline) || !ps[pipeline].is_object())
        errors.push_back(path + ".action.pipeline: no pipeline named \"" + pipeline + "\"");
      else if (!ps[pipeline].value("enabled", true))
        errors.push_back(path + ".action.pipeline: pipeline \"" + pipeline + "\" is disabled");
    }
    if (a.contains("task") && a["task"].is_object() && a["task"].contains("brain") && a["task"]["brain"].is_string()) {
      const auto brain = a["task"]["brain"].get<std::string>();
      const bool known = doc.contains("brains") && doc["brains"].is_object() && doc["brains"].contains(brain);
      if (!brain.empty() && !known) errors.push_back(path + ".action.task.brain: no brain named \"" + brain + "\"");
    }
  }
}

bool has_scheduler_job(const nlohmann::json& doc, const std::string& name) {
  return doc.contains("scheduler") && doc["scheduler"].is_object() && doc["scheduler"].contains("jobs") &&
         doc["scheduler"]["jobs"].is_object() && doc["scheduler"]["jobs"].contains(name);
}

}  // namespace paios
