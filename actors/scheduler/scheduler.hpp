#pragma once
// scheduler: runs the configured jobs (scheduler.jobs) on their schedules, each run a job_run actor of its own
// with the job's timeout; keeps every run and each job's next due time and failures in the state store.
//
// Receives                                                  Replies
//   (jobs_atom, string op, string name, int limit)          (string code, string message, string body): code ""
//                                                           and body the reply's members (docs/protocol.md):
//                                                           op "list" -> {timezone, jobs}; "run" -> {job, run_id,
//                                                           trace_id} (the run started; not_found, overloaded
//                                                           when a run is going and overlap is not allowed);
//                                                           "history" -> {job, runs} from the store, newest first
//   (status_atom)                                           std::string JSON {timezone, jobs, failing, heartbeat}
//   (done_atom, run_id, outcome, summary, task_id)          from its runs
//   (tick_atom)                                             its own timer (scheduler tick)
// Owns: the job book (core/schedule/job_book.hpp: due times, backoff, missed runs) and the runs in flight.
// At start it reads each job's saved state and last run from the store (runs a stop left going become
// "interrupted") and applies each job's missed-run policy; until the store answers it retries and runs nothing
// on schedule. A run that fails is recorded, notified (notifier) and backed off. A run actor that dies without
// answering is recorded as failed. If the store is down, a record write fails and is logged; the schedule goes on.
// Its runs end with it (each watches it).
#include <chrono>
#include <filesystem>
#include <memory>

#include <caf/fwd.hpp>

#include "config/scheduler_config.hpp"
#include "core/schedule/clock.hpp"

namespace paios {

struct scheduler_options {
  scheduler_config config;
  std::shared_ptr<const sched::clock> clock = std::make_shared<sched::system_clock>();
  std::filesystem::path data_dir;                  // the heartbeat measures free disk here; a backup takes its parent
  std::string version;                             // paiosd's, for a backup's manifest
  std::chrono::milliseconds tick{500};             // how often due times are checked
};

caf::actor spawn_scheduler(caf::actor_system& sys, scheduler_options opts);

}  // namespace paios
