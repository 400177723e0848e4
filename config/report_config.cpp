#include "config/report_config.hpp"

#include <nlohmann/json.hpp>

namespace paios {

std::optional<job_config> read_report_job(const nlohmann::json& section) {
  if (!section.at("enabled").get<bool>()) return std::nullopt;
  const auto at = section.at("at").get<std::string>();  // "HH:MM", the schema's pattern
  job_config job;
  job.name = kReportJobName;
  job.schedule = std::to_string(std::stoi(at.substr(3, 2))) + " " + std::to_string(std::stoi(at.substr(0, 2))) + " * * *";
  job.action = "builtin";
  job.builtin = "report";
  job.notify = section.at("notify").get<bool>();
  job.timeout_ms = section.at("timeout_ms").get<std::int64_t>();
  return job;
}

void check_report_config(const nlohmann::json& doc, std::vector<std::string>& errors) {
  if (!doc.contains("report") || !doc["report"].is_object()) return;
  const auto& r = doc["report"];
  if (!r.contains("enabled") || !r["enabled"].is_boolean() || !r["enabled"].get<bool>()) return;
  if (has_scheduler_job(doc, kReportJobName))
    errors.push_back(std::string{"report.enabled: scheduler.jobs already has a job named \""} + kReportJobName +
                     "\"; rename it, or set report.enabled to false");
}

}  // namespace paios
