#pragma once
// The "report" section: the daily report (docs/architecture.md, "Daily report"). Enabled, it makes the scheduler's
// job "daily-report" (the builtin action "report": a report_run, actors/report), which runs every day at `at`, local
// time in scheduler.timezone, and writes the previous local day's report into the knowledge base (kind "report")
// and, with `notify`, tells the notifier its summary.
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "config/scheduler_config.hpp"

namespace paios {

// The job name the report takes: no job of scheduler.jobs may have it while report.enabled is true.
constexpr const char* kReportJobName = "daily-report";

// The scheduler's job for the report section; nullopt when it is not enabled. `at` ("HH:MM", checked by the
// schema) becomes the cron schedule "MM HH * * *".
std::optional<job_config> read_report_job(const nlohmann::json& section);
// Checks beyond the schema, each error "report.<key>: message": a scheduler job that already has the name
// "daily-report".
void check_report_config(const nlohmann::json& doc, std::vector<std::string>& errors);

}  // namespace paios
