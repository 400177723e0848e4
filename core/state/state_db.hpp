#pragma once
// The schema and queries of state.sqlite: what the daemon keeps across restarts (tasks, breakers, routing,
// scheduled jobs, pipeline runs, watched folders; the tables are in state_db.cpp). Synchronous and
// single-owner (the state store actor); tested and benchmarked directly.
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/sqlite/sqlite_db.hpp"
#include "messages/event.hpp"
#include "messages/routing.hpp"
#include "messages/task.hpp"
#include "messages/watch_file.hpp"

namespace paios {

struct sqlite_schema;

// One run of a scheduled job (job_runs).
struct job_run_row {
  std::string id, job, trigger;  // trigger: "schedule", "manual", "missed" (run_once at start or after a sleep)
  std::int64_t started_ms = 0, ended_ms = 0;
  std::string outcome;           // running, ok, failed, timeout, interrupted
  std::string trace_id, task_id, summary;
};

// What the scheduler keeps of a job across restarts (job_state): next_due_ms < 0 for none.
struct job_state_row {
  std::string job, schedule;
  std::int64_t next_due_ms = -1;
  int failures = 0;
};

// One run of a pipeline (pipeline_runs). `step` is the index of the step it is on, failed on or stopped at (the
// number of steps once it succeeded); `input` is the run's input, JSON text.
struct pipeline_run_row {
  std::string id, pipeline;
  std::string state;             // running, ok, failed, timeout, cancelled, interrupted
  std::string trigger;           // "manual", "job:<name>"
  std::string input = "null";
  int step = 0;
  std::string step_name, error, trace_id;
  std::int64_t started_ms = 0, ended_ms = 0;
  int resumes = 0;
};

// One step of a pipeline run (pipeline_steps), written when it starts and when it ends. `output` is its JSON
// text, cut (as a JSON string) past the record's limit; output_bytes is the full output's size.
struct pipeline_step_row {
  std::string run_id;
  int index = 0;
  std::string name, kind;
  std::string state;             // running, ok, failed, timeout, cancelled, interrupted
  std::int64_t started_ms = 0, ended_ms = 0;
  std::string output;
  std::int64_t output_bytes = 0;
  std::string error;
  int attempts = 1;
};

// state.sqlite's schema as numbered migrations (core/sqlite/migrations.hpp), the newest last.
const sqlite_schema& state_db_schema();

class state_db {
 public:
  // Opens or creates the database and brings its schema up to date (open_migrated: a file of a newer schema is
  // refused untouched; a migration that fails leaves the file as it was); fails (store_failed) with "cannot
  // open/configure FILE: ...", the migration's message, or "cannot prepare queries on FILE: ...". Every call below that can
  // fail returns a status or an expected, failed with store_failed and SQLite's message.
  static expected<std::unique_ptr<state_db>> open(const std::filesystem::path& file, bool synchronous_full);

  // Writes run inside begin()/commit() (the actor batches many writes into one transaction).
  status begin();
  status commit();
  void rollback();
  // See sqlite_db::set_busy_timeout.
  void set_busy_timeout(std::chrono::milliseconds wait) { db_->set_busy_timeout(wait); }

  status insert_task(const task_record& r);  // a new task, prompt included
  status update_task(const task_record& r);  // state, brain, answer, error, times; never the prompt

  expected<std::optional<task_record>> get_task(const std::string& id);
  // Newest first; `state` filters when set.
  expected<std::vector<task_record>> list_tasks(int limit, std::optional<task_state> state);

  // The breaker after a transition: the latest state per brain, plus a history row when `from` differs.
  status save_breaker(const breaker_record& b, std::int64_t time_ms);
  expected<std::vector<breaker_record>> breakers();  // the latest of each brain
  // Transitions, newest first (brain "" for all); since_ms is the time of the transition.
  expected<std::vector<breaker_record>> breaker_history(const std::string& brain, int limit);

  // The routing decisions of the newest tasks that have one (task_record::route), newest first.
  expected<std::vector<route_record>> decisions(int limit);

  status save_weight(const rule_weight& w);  // factor 1 removes the rule's adjustment
  expected<std::vector<rule_weight>> weights();

  // The scheduler's records. A run is written when it starts (outcome "running") and again when it ends.
  status save_job_run(const job_run_row& r);
  status save_job_state(const job_state_row& s, std::int64_t time_ms);
  expected<std::vector<job_run_row>> job_runs(const std::string& job, int limit);  // newest first
  expected<std::vector<job_state_row>> job_states();
  // The last run of each job, by job name.
  expected<std::vector<job_run_row>> last_job_runs();
  // Runs left "running" by a stop become "interrupted" (the scheduler, at its start).
  status interrupt_job_runs(std::int64_t time_ms);

  // The pipelines' records (core/state/pipeline_records.cpp). Runs and steps are upserted by id.
  status save_pipeline_run(const pipeline_run_row& r);
  status save_pipeline_step(const pipeline_step_row& s);
  // Newest first; pipeline "" for all, state "" for any.
  expected<std::vector<pipeline_run_row>> pipeline_runs(const std::string& pipeline, const std::string& state, int limit);
  expected<std::optional<pipeline_run_row>> pipeline_run(const std::string& id);
  expected<std::vector<pipeline_step_row>> pipeline_steps(const std::string& run_id);  // by index

  // The watchers' records: one row per file path (its latest content), and the folders `ai watch add` added.
  status save_watch_file(const watch_file_row& r, std::int64_t time_ms);
  expected<std::vector<watch_file_row>> watch_files(const std::string& folder);  // by path
  status save_watch_folder(const std::string& path, const std::string& classes, std::int64_t time_ms);
  status remove_watch_folder(const std::string& path);
  expected<std::vector<std::pair<std::string, std::string>>> watch_folders();  // (path, classes), by path

  // At boot, before anything runs: tasks left `running` by a crash become `interrupted` (or `queued` again
  // when redispatch_running); returns every `queued` task, oldest first, to be dispatched again.
  expected<std::vector<task_record>> recover(bool redispatch_running);

 private:
  explicit state_db(std::unique_ptr<sqlite_db> db) : db_(std::move(db)) {}
  status prepare_all();

  std::unique_ptr<sqlite_db> db_;
  sqlite_stmt insert_task_, update_task_, get_task_, list_tasks_, list_by_state_;
  sqlite_stmt upsert_breaker_, insert_transition_, list_decisions_, upsert_weight_, delete_weight_;
};

}  // namespace paios
