#pragma once
// job_run: one run of one scheduled job, an actor of its own, so that a slow job never delays the scheduler,
// the bus or another job. Spawned by the scheduler, which it answers once:
//   (done_atom, string run_id, string outcome, string summary, string task_id) to the scheduler;
//   outcome "ok", "failed", "timeout", or "interrupted" (the daemon is stopping: its task was refused or
//   interrupted; neither a success nor a failure).
// Actions:
//   task      submitted to the dispatcher exactly as a client's task.submit is (routed when no brain is named), in
//             the run's trace; its result is a success, its error a failure (a brain timeout is "timeout").
//   heartbeat asks the dispatcher for the brains and their breakers, looks up the stores, measures the free disk
//             under PAIOS_HOME's data directory, emits a scheduler/heartbeat event, and notifies when something
//             is wrong (an open breaker, no brain available, a store not running, too little disk). A heartbeat
//             that finds problems still succeeds: its summary names them (`ai status` shows it).
//   backup    (builtin, from the backup section) a backup_run (actors/backup) of PAIOS_HOME (data_dir's parent) into
//             PAIOS_HOME/backups/<UTC time>, origin "scheduled", then the oldest scheduled backups beyond job.keep
//             are removed: "ok" with the folder and the files, else "failed" naming what could not be copied.
//   report    (builtin, from the report section) a report_run (actors/report) of the previous local day in the
//             scheduler's zone, stored in the knowledge base (kind "report") and, with job.notify, its summary told
//             to the notifier: "ok" with the day and the summary, else "failed" with the run's error.
//   pipeline  starts a run of the pipeline (the pipelines actor) in the run's trace and waits for its end: "ok"
//             when it succeeds, "timeout" when the pipeline's own timeout passed, else "failed" (the run's error is
//             the summary; the run's id is the job run's task_id, for `ai pipeline show`).
// At the job's timeout the run cancels its task (or its pipeline run) and answers "timeout". If the scheduler goes away the run ends
// (its task cancelled).
#include <cstdint>
#include <filesystem>
#include <string>

#include <caf/fwd.hpp>

#include "config/scheduler_config.hpp"

namespace paios {

struct job_run_spec {
  std::string run_id;
  job_config job;
  std::string trace_id;        // 32 hex digits: the run's trace
  std::uint64_t span = 0;      // the run's span: the parent of its task
  std::filesystem::path data_dir;  // heartbeat: where free disk is measured
  std::int64_t min_free_mb = 500;
  std::string version;         // backup: paiosd's, for the manifest
  std::string timezone;        // report: the zone its days are cut in (the scheduler's)
};

caf::actor spawn_job_run(caf::actor_system& sys, job_run_spec spec, caf::actor scheduler);

}  // namespace paios
