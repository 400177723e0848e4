#pragma once
// The "scheduler" and "notify" sections: the jobs the scheduler runs (actors/scheduler) and how the notifier
// reaches a person. Apart from config.hpp so that the scheduler's tests need only these structs. The initial
// values equal config/defaults.json and schema.json's defaults.
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace paios {

struct job_config {
  std::string name;
  std::string schedule;               // cron or "every N{s,m,h,d}" (core/schedule/schedule.hpp)
  std::string action;                 // "task" | "builtin" | "pipeline"
  std::string prompt, brain;          // task: brain "" = routed like a client's task
  std::string builtin;                // builtin: "heartbeat", or "backup" / "report" (only from those sections)
  std::int64_t keep = 0;              // builtin "backup": the scheduled backups kept (backup.keep)
  bool notify = false;                // builtin "report": tell the notifier the report's summary (report.notify)
  std::string pipeline;               // pipeline: its name (a configured, enabled pipeline)
  std::int64_t timeout_ms = 600000;
  bool allow_overlap = false;
  bool run_once_missed = false;       // missed: "run_once" (true) or "skip"
};

struct scheduler_config {
  std::string timezone;               // resolved: "" in the file means the machine's zone, else "UTC"
  std::vector<job_config> jobs;       // enabled jobs, in name order
  std::int64_t backoff_initial_s = 30;
  std::int64_t backoff_max_s = 3600;
  std::int64_t missed_grace_s = 60;   // a tick this late past a due time means the machine slept: a missed run
  std::int64_t heartbeat_min_free_mb = 500;
};

struct notify_config {
  std::vector<std::string> command;   // argv, run without a shell when notify-send is absent or disabled
  bool notify_send = true;
  std::int64_t timeout_ms = 5000;
};

scheduler_config read_scheduler_config(const nlohmann::json& section);
notify_config read_notify_config(const nlohmann::json& section);
// Checks beyond the schema, each error "scheduler.<path>: message": schedules that do not parse, an unknown
// time zone, a brain that is not configured, a pipeline that is not configured or is disabled, a backoff whose
// start passes its max.
void check_scheduler_config(const nlohmann::json& doc, std::vector<std::string>& errors);
// Whether the document's scheduler.jobs has a job of that name: the builtin jobs other sections make (backup,
// report) refuse a name that is taken.
bool has_scheduler_job(const nlohmann::json& doc, const std::string& name);

}  // namespace paios
