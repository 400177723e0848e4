#include "config/backup_config.hpp"

#include <nlohmann/json.hpp>

#include "core/schedule/schedule.hpp"

namespace paios {

std::optional<job_config> read_backup_job(const nlohmann::json& section) {
  const auto schedule = section.at("schedule").get<std::string>();
  if (schedule.empty()) return std::nullopt;
  job_config job;
  job.name = kBackupJobName;
  job.schedule = schedule;
  job.action = "builtin";
  job.builtin = "backup";
  job.keep = section.at("keep").get<std::int64_t>();
  job.timeout_ms = section.at("timeout_ms").get<std::int64_t>();
  return job;
}

void check_backup_config(const nlohmann::json& doc, std::vector<std::string>& errors) {
  if (!doc.contains("backup") || !doc["backup"].is_object()) return;
  const auto& b = doc["backup"];
  if (!b.contains("schedule") || !b["schedule"].is_string() || b["schedule"].get<std::string>().empty()) return;
  auto parsed = sched::schedule::parse(b["schedule"].get<std::string>());
  if (!parsed) errors.push_back("backup.schedule: " + parsed.message());
  if (has_scheduler_job(doc, kBackupJobName))
    errors.push_back(std::string{"backup.schedule: scheduler.jobs already has a job named \""} + kBackupJobName +
                     "\"; rename it, or leave backup.schedule empty");
}

}  // namespace paios
