#pragma once
// The "backup" section: scheduled backups of PAIOS_HOME (docs/backup.md). A schedule makes the scheduler's job
// "backup" (the builtin action "backup": a backup_run, actors/backup), which keeps the newest `keep` scheduled
// backups under PAIOS_HOME/backups and removes the older ones.
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "config/scheduler_config.hpp"

namespace paios {

// The job name the schedule takes: no job of scheduler.jobs may have it while backup.schedule is set.
constexpr const char* kBackupJobName = "backup";

// The scheduler's job for backup.schedule and backup.keep; nullopt when the schedule is "" (no scheduled backups).
std::optional<job_config> read_backup_job(const nlohmann::json& section);
// Checks beyond the schema, each error "backup.<key>: message": a schedule that does not parse, a scheduler job
// that already has the name "backup".
void check_backup_config(const nlohmann::json& doc, std::vector<std::string>& errors);

}  // namespace paios
