#include "core/state/state_db.hpp"

#include <nlohmann/json.hpp>

#include "core/sqlite/migrations.hpp"
#include "core/sqlite/sqlite_row.hpp"
#include "messages/ids.hpp"

namespace paios {
namespace {

// The schema, migration by migration (core/sqlite/migrations.hpp): user_version k means migrations 1..k ran.
// Each number keeps the meaning it had when files of it were first written, so that every file written before
// the migrations existed opens as what it is; tables were only ever added, never changed in place.

// 1: tasks.
constexpr const char* kTasks = R"SQL(
CREATE TABLE IF NOT EXISTS tasks (
  id TEXT PRIMARY KEY,
  state TEXT NOT NULL,
  prompt TEXT NOT NULL,
  requested_brain TEXT NOT NULL DEFAULT '',
  brain TEXT NOT NULL DEFAULT '',
  trace_id TEXT NOT NULL DEFAULT '',
  timeout_ms INTEGER NOT NULL DEFAULT 0,
  created_ms INTEGER NOT NULL,
  started_ms INTEGER NOT NULL DEFAULT 0,
  finished_ms INTEGER NOT NULL DEFAULT 0,
  answer TEXT NOT NULL DEFAULT '',
  error_code TEXT NOT NULL DEFAULT '',
  error_message TEXT NOT NULL DEFAULT '',
  exit_code INTEGER NOT NULL DEFAULT 0,
  attempts INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS tasks_by_state ON tasks(state, created_ms);
CREATE INDEX IF NOT EXISTS tasks_by_created ON tasks(created_ms);
)SQL";

// 2: breakers and their transitions, router weights. (Files of version 1 and 2 made before observability.sqlite
// also hold an `events` table, which nothing reads since; it is left as it is.)
constexpr const char* kBreakers = R"SQL(
CREATE TABLE IF NOT EXISTS breakers (
  brain TEXT PRIMARY KEY,
  state TEXT NOT NULL,
  since_ms INTEGER NOT NULL,
  open_until_ms INTEGER NOT NULL,
  window TEXT NOT NULL DEFAULT '',
  opened INTEGER NOT NULL DEFAULT 0,
  last_from TEXT NOT NULL DEFAULT '',
  last_reason TEXT NOT NULL DEFAULT ''
);
CREATE TABLE IF NOT EXISTS breaker_transitions (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  brain TEXT NOT NULL,
  time_ms INTEGER NOT NULL,
  from_state TEXT NOT NULL,
  to_state TEXT NOT NULL,
  reason TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS router_weights (
  rule TEXT PRIMARY KEY,
  factor REAL NOT NULL,
  note TEXT NOT NULL DEFAULT '',
  updated_ms INTEGER NOT NULL
);
)SQL";

// 3: the scheduler's runs and each job's next due time and failures (actors/scheduler).
constexpr const char* kJobs = R"SQL(
CREATE TABLE IF NOT EXISTS job_runs (
  id TEXT PRIMARY KEY,
  job TEXT NOT NULL,
  trigger TEXT NOT NULL DEFAULT '',
  started_ms INTEGER NOT NULL,
  ended_ms INTEGER NOT NULL DEFAULT 0,
  outcome TEXT NOT NULL DEFAULT 'running',
  trace_id TEXT NOT NULL DEFAULT '',
  task_id TEXT NOT NULL DEFAULT '',
  summary TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS job_runs_by_job ON job_runs(job, started_ms);
CREATE TABLE IF NOT EXISTS job_state (
  job TEXT PRIMARY KEY,
  schedule TEXT NOT NULL,
  next_due_ms INTEGER,
  failures INTEGER NOT NULL DEFAULT 0,
  updated_ms INTEGER NOT NULL
);
)SQL";

// 4: pipeline runs and each run's steps, with their outputs (actors/pipeline); the folders added by `ai watch
// add` (configured ones live in the user's file), and each watched file's latest content and what was done with
// it (actors/watcher: nothing twice, nothing missed).
constexpr const char* kPipelinesAndWatches = R"SQL(
CREATE TABLE IF NOT EXISTS pipeline_runs (
  id TEXT PRIMARY KEY,
  pipeline TEXT NOT NULL,
  state TEXT NOT NULL DEFAULT 'running',
  trigger TEXT NOT NULL DEFAULT '',
  input TEXT NOT NULL DEFAULT 'null',
  step INTEGER NOT NULL DEFAULT 0,
  step_name TEXT NOT NULL DEFAULT '',
  error TEXT NOT NULL DEFAULT '',
  started_ms INTEGER NOT NULL,
  ended_ms INTEGER NOT NULL DEFAULT 0,
  trace_id TEXT NOT NULL DEFAULT '',
  resumes INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS pipeline_runs_by_pipeline ON pipeline_runs(pipeline, started_ms);
CREATE INDEX IF NOT EXISTS pipeline_runs_by_time ON pipeline_runs(started_ms);
CREATE INDEX IF NOT EXISTS pipeline_runs_by_state ON pipeline_runs(state);
CREATE TABLE IF NOT EXISTS pipeline_steps (
  run_id TEXT NOT NULL,
  idx INTEGER NOT NULL,
  name TEXT NOT NULL,
  kind TEXT NOT NULL,
  state TEXT NOT NULL,
  started_ms INTEGER NOT NULL,
  ended_ms INTEGER NOT NULL DEFAULT 0,
  output TEXT NOT NULL DEFAULT '',
  output_bytes INTEGER NOT NULL DEFAULT 0,
  error TEXT NOT NULL DEFAULT '',
  attempts INTEGER NOT NULL DEFAULT 1,
  PRIMARY KEY (run_id, idx)
);
CREATE TABLE IF NOT EXISTS watch_folders (
  path TEXT PRIMARY KEY,
  classes TEXT NOT NULL DEFAULT '',
  added_ms INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS watch_files (
  path TEXT PRIMARY KEY,
  folder TEXT NOT NULL,
  sha256 TEXT NOT NULL,
  size INTEGER NOT NULL,
  mtime_ns INTEGER NOT NULL,
  class TEXT NOT NULL DEFAULT '',
  action TEXT NOT NULL DEFAULT '',
  outcome TEXT NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  detail TEXT NOT NULL DEFAULT '',
  trace_id TEXT NOT NULL DEFAULT '',
  updated_ms INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS watch_files_by_folder ON watch_files(folder);
)SQL";

constexpr const char* kColumns =
    "id, state, prompt, requested_brain, brain, trace_id, timeout_ms, created_ms, started_ms, finished_ms, "
    "answer, error_code, error_message, exit_code, attempts";

task_record read_task(const sqlite_stmt& s) {
  task_record r;
  std::string state, error_code;  // kept by name
  read_row(s, r.spec.id, state, r.spec.prompt, r.spec.brain, r.brain, r.spec.trace_id, r.spec.timeout_ms,
           r.spec.created_ms, r.started_ms, r.finished_ms, r.text, error_code, r.error_message, r.exit_code, r.attempts);
  r.state = task_state_from_string(state).value_or(task_state::failed);
  r.error = errc_from_string(error_code).value_or(errc::none);
  return r;
}

std::string_view error_name(errc e) { return e == errc::none ? std::string_view{} : to_string(e); }

// 5: why a breaker opened.
status add_breaker_cause(sqlite_db& db) { return add_column(db, "breakers", "cause", "TEXT NOT NULL DEFAULT ''"); }

// 6: the routing decision is the task's `route` column; the decisions a file kept in route_decisions move there
// (each belonged to one task; a decision whose task is gone goes with its table). Two branches each wrote their
// change as version 5: files of the breakers branch have breakers.cause and route_decisions, files of the task
// path have tasks.route and no breakers.cause, files of both merged have both. So this step adds whichever a file
// lacks, and moves the decisions where they are still in their table.
status move_routes_into_tasks(sqlite_db& db) {
  if (auto st = add_breaker_cause(db); !st) return st;
  if (auto st = add_column(db, "tasks", "route", "TEXT NOT NULL DEFAULT ''"); !st) return st;
  auto old_table = select_rows(db, "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'route_decisions'",
                               [](const sqlite_stmt& s) { return s.integer(0); });
  if (!old_table) return old_table.error();
  if (old_table->empty() || old_table->front() == 0) return {};
  return db.exec(
      "UPDATE tasks SET route = (SELECT decision FROM route_decisions WHERE task_id = tasks.id) "
      "WHERE id IN (SELECT task_id FROM route_decisions);"
      "DROP TABLE route_decisions;");
}

}  // namespace

const sqlite_schema& state_db_schema() {
  static const sqlite_schema schema{
      "state",
      {{1, "tasks", kTasks, {}},
       {2, "breakers, breaker_transitions, router_weights", kBreakers, {}},
       {3, "job_runs, job_state (the scheduler)", kJobs, {}},
       {4, "pipeline_runs, pipeline_steps, watch_folders, watch_files", kPipelinesAndWatches, {}},
       {5, "breakers.cause: why a breaker opened", "", add_breaker_cause},
       {6, "tasks.route: each task's routing decision, moved from route_decisions (and breakers.cause where a "
           "version-5 file lacks it)", "", move_routes_into_tasks}}};
  return schema;
}

expected<std::unique_ptr<state_db>> state_db::open(const std::filesystem::path& file, bool synchronous_full) {
  auto opened = open_migrated(file, state_db_schema(), synchronous_full);
  if (!opened) return opened.error();
  auto db = std::move(*opened);
  // Writes go to the newest pages of each index (task ids and times grow): 512 KiB of page cache holds them,
  // and the OS caches the rest of the file. SQLite's default, 2 MiB, is resident growth on a busy daemon.
  if (auto st = db->exec("PRAGMA cache_size=-512;"); !st)
    return status{errc::store_failed, "cannot configure " + file.string() + ": " + st.message()};
  // Every client waits for a commit here (`accepted`, the outcome): the log is copied into the file on another
  // thread, at SQLite's usual 1000 pages, not in one of those commits.
  if (auto st = db->checkpoint_in_background(1000); !st) return st;
  std::unique_ptr<state_db> out{new state_db(std::move(db))};
  if (auto st = out->prepare_all(); !st)
    return status{errc::store_failed, "cannot prepare queries on " + file.string() + ": " + st.message()};
  return out;
}

status state_db::prepare_all() {
  status err;  // the first failure
  auto prepare = [&](std::string_view sql) -> sqlite_stmt {
    auto stmt = db_->prepare(sql);
    if (stmt) return std::move(*stmt);
    if (err) err = stmt.error();
    return sqlite_stmt{};
  };
  insert_task_ = prepare(
      "INSERT INTO tasks (id, state, prompt, requested_brain, brain, trace_id, timeout_ms, created_ms, started_ms, "
      "finished_ms, answer, error_code, error_message, exit_code, attempts, route) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)");
  update_task_ = prepare(
      "UPDATE tasks SET state = ?2, brain = ?3, started_ms = ?4, finished_ms = ?5, answer = ?6, error_code = ?7, "
      "error_message = ?8, exit_code = ?9, attempts = ?10, route = ?11 WHERE id = ?1");
  get_task_ = prepare(std::string{"SELECT "} + kColumns + " FROM tasks WHERE id = ?1");
  list_tasks_ = prepare(std::string{"SELECT "} + kColumns + " FROM tasks ORDER BY created_ms DESC, id DESC LIMIT ?1");
  upsert_breaker_ = prepare(
      "INSERT INTO breakers (brain, state, since_ms, open_until_ms, window, opened, last_from, last_reason, cause) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) ON CONFLICT(brain) DO UPDATE SET state = ?2, since_ms = ?3, "
      "open_until_ms = ?4, window = ?5, opened = ?6, last_from = ?7, last_reason = ?8, cause = ?9");
  insert_transition_ = prepare(
      "INSERT INTO breaker_transitions (brain, time_ms, from_state, to_state, reason) VALUES (?1, ?2, ?3, ?4, ?5)");
  list_decisions_ = prepare(
      "SELECT id, created_ms, trace_id, brain, state, route FROM tasks WHERE route != '' "
      "ORDER BY created_ms DESC, id DESC LIMIT ?1");
  upsert_weight_ = prepare(
      "INSERT INTO router_weights (rule, factor, note, updated_ms) VALUES (?1, ?2, ?3, ?4) "
      "ON CONFLICT(rule) DO UPDATE SET factor = ?2, note = ?3, updated_ms = ?4");
  delete_weight_ = prepare("DELETE FROM router_weights WHERE rule = ?1");
  list_by_state_ = prepare(
      std::string{"SELECT "} + kColumns + " FROM tasks WHERE state = ?2 ORDER BY created_ms DESC, id DESC LIMIT ?1");
  return err;
}

status state_db::begin() { return db_->exec("BEGIN IMMEDIATE"); }
status state_db::commit() { return db_->exec("COMMIT"); }
void state_db::rollback() { (void)db_->exec("ROLLBACK"); }  // a failed rollback leaves nothing to do

status state_db::insert_task(const task_record& r) {
  bind_row(insert_task_, r.spec.id, to_string(r.state), r.spec.prompt, r.spec.brain, r.brain, r.spec.trace_id,
           r.spec.timeout_ms, r.spec.created_ms, r.started_ms, r.finished_ms, r.text, error_name(r.error),
           r.error_message, r.exit_code, r.attempts, r.route);
  return insert_task_.run();
}

status state_db::update_task(const task_record& r) {
  bind_row(update_task_, r.spec.id, to_string(r.state), r.brain, r.started_ms, r.finished_ms, r.text,
           error_name(r.error), r.error_message, r.exit_code, r.attempts, r.route);
  if (auto st = update_task_.run(); !st) return st;
  if (db_->changes() != 1) return {errc::store_failed, "no task " + r.spec.id};
  return {};
}

expected<std::optional<task_record>> state_db::get_task(const std::string& id) {
  get_task_.bind(1, id);
  std::optional<task_record> out;
  if (get_task_.step()) out = read_task(get_task_);
  status st = get_task_.error();
  get_task_.reset();
  if (!st) return st;
  return out;
}

expected<std::vector<task_record>> state_db::list_tasks(int limit, std::optional<task_state> state) {
  auto& stmt = state ? list_by_state_ : list_tasks_;
  stmt.bind(1, std::int64_t{limit});
  if (state) stmt.bind(2, to_string(*state));
  return step_rows(stmt, read_task);
}

status state_db::save_breaker(const breaker_record& b, std::int64_t time_ms) {
  bind_row(upsert_breaker_, b.brain, b.state, b.since_ms, b.open_until_ms, b.window, b.opened, b.from, b.reason,
           b.cause);
  if (auto st = upsert_breaker_.run(); !st) return st;
  if (b.from.empty() || b.from == b.state) return {};  // a snapshot, not a transition
  bind_row(insert_transition_, b.brain, time_ms, b.from, b.state, b.reason);
  return insert_transition_.run();
}

expected<std::vector<breaker_record>> state_db::breakers() {
  return select_rows(
      *db_,
      "SELECT brain, state, since_ms, open_until_ms, window, opened, last_from, last_reason, cause FROM breakers "
      "ORDER BY brain",
      [](const sqlite_stmt& s) {
        breaker_record b;
        read_row(s, b.brain, b.state, b.since_ms, b.open_until_ms, b.window, b.opened, b.from, b.reason, b.cause);
        return b;
      });
}

expected<std::vector<breaker_record>> state_db::breaker_history(const std::string& brain, int limit) {
  return select_rows(
      *db_,
      "SELECT brain, time_ms, from_state, to_state, reason FROM breaker_transitions "
      "WHERE ?1 = '' OR brain = ?1 ORDER BY seq DESC LIMIT ?2",
      [](const sqlite_stmt& s) {
        breaker_record b;
        read_row(s, b.brain, b.since_ms, b.from, b.state, b.reason);
        return b;
      },
      brain, limit);
}

expected<std::vector<route_record>> state_db::decisions(int limit) {
  list_decisions_.bind(1, std::int64_t{limit});
  std::vector<route_record> out;
  while (list_decisions_.step()) {
    route_record r;
    std::string state;
    read_row(list_decisions_, r.task_id, r.time_ms, r.trace_id, r.brain, state, r.json);
    // The outcome is the task's final state ("" while it runs); the category is the decision's own.
    if (auto s = task_state_from_string(state); s && is_terminal(*s)) r.outcome = state;
    auto decision = nlohmann::json::parse(r.json, nullptr, false);
    if (decision.is_object()) r.category = decision.value("category", std::string{});
    out.push_back(std::move(r));
  }
  status st = list_decisions_.error();
  list_decisions_.reset();
  if (!st) return st;
  return out;
}

status state_db::save_weight(const rule_weight& w) {
  if (w.factor == 1.0) {  // the neutral factor: nothing to keep
    delete_weight_.bind(1, w.rule);
    return delete_weight_.run();
  }
  bind_row(upsert_weight_, w.rule, w.factor, w.note, w.updated_ms);
  return upsert_weight_.run();
}

expected<std::vector<rule_weight>> state_db::weights() {
  return select_rows(*db_, "SELECT rule, factor, note, updated_ms FROM router_weights ORDER BY rule",
                     [](const sqlite_stmt& s) {
                       rule_weight w;
                       read_row(s, w.rule, w.factor, w.note, w.updated_ms);
                       return w;
                     });
}

status state_db::save_job_run(const job_run_row& r) {
  return run_statement(
      *db_,
      "INSERT INTO job_runs (id, job, trigger, started_ms, ended_ms, outcome, trace_id, task_id, summary) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) ON CONFLICT(id) DO UPDATE SET ended_ms = ?5, outcome = ?6, "
      "task_id = ?8, summary = ?9",
      r.id, r.job, r.trigger, r.started_ms, r.ended_ms, r.outcome, r.trace_id, r.task_id, r.summary);
}

status state_db::save_job_state(const job_state_row& s, std::int64_t time_ms) {
  auto stmt = db_->prepare(
      "INSERT INTO job_state (job, schedule, next_due_ms, failures, updated_ms) VALUES (?1, ?2, ?3, ?4, ?5) "
      "ON CONFLICT(job) DO UPDATE SET schedule = ?2, next_due_ms = ?3, failures = ?4, updated_ms = ?5");
  if (!stmt) return stmt.error();
  stmt->bind(1, s.job).bind(2, s.schedule);
  if (s.next_due_ms < 0) stmt->bind_null(3); else stmt->bind(3, s.next_due_ms);
  stmt->bind(4, std::int64_t{s.failures}).bind(5, time_ms);
  return stmt->run();
}

namespace {
constexpr const char* kRunColumns = "id, job, trigger, started_ms, ended_ms, outcome, trace_id, task_id, summary";
job_run_row read_run(const sqlite_stmt& s) {
  return {s.text(0), s.text(1), s.text(2), s.integer(3), s.integer(4), s.text(5), s.text(6), s.text(7), s.text(8)};
}
}  // namespace

expected<std::vector<job_run_row>> state_db::job_runs(const std::string& job, int limit) {
  return select_rows(*db_,
                     std::string{"SELECT "} + kRunColumns +
                         " FROM job_runs WHERE job = ?1 ORDER BY started_ms DESC, id DESC LIMIT ?2", read_run, job, limit);
}

expected<std::vector<job_run_row>> state_db::last_job_runs() {
  return select_rows(*db_,
                     std::string{"SELECT "} + kRunColumns +
                         " FROM job_runs r WHERE id = (SELECT id FROM job_runs WHERE job = r.job "
                         "ORDER BY started_ms DESC, id DESC LIMIT 1) ORDER BY job", read_run);
}

expected<std::vector<job_state_row>> state_db::job_states() {
  return select_rows(*db_, "SELECT job, schedule, next_due_ms, failures FROM job_state ORDER BY job",
                     [](const sqlite_stmt& s) {
                       const bool none = s.text(2).empty();
                       return job_state_row{s.text(0), s.text(1), none ? -1 : s.integer(2),
                                            static_cast<int>(s.integer(3))};
                     });
}

status state_db::interrupt_job_runs(std::int64_t time_ms) {
  return db_->exec("UPDATE job_runs SET outcome = 'interrupted', ended_ms = " + std::to_string(time_ms) +
                   ", summary = 'the daemon stopped while this run was going' WHERE outcome = 'running'");
}

expected<std::vector<task_record>> state_db::recover(bool redispatch_running) {
  std::string sql = redispatch_running
                        ? "UPDATE tasks SET state = 'queued' WHERE state = 'running'"
                        : "UPDATE tasks SET state = 'interrupted', error_code = 'interrupted', "
                          "error_message = 'the daemon stopped while this task was running', finished_ms = " +
                              std::to_string(now_ms()) + " WHERE state = 'running'";
  if (auto st = db_->exec(sql); !st) return st;
  return select_rows(*db_, std::string{"SELECT "} + kColumns + " FROM tasks WHERE state = 'queued' ORDER BY created_ms, id", read_task);
}

// ---- The watchers -------------------------------------------------------------------------------------------

status state_db::save_watch_file(const watch_file_row& r, std::int64_t time_ms) {
  return run_statement(
      *db_,
      "INSERT INTO watch_files (path, folder, sha256, size, mtime_ns, class, action, outcome, attempts, detail, "
      "trace_id, updated_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12) ON CONFLICT(path) DO UPDATE "
      "SET folder = ?2, sha256 = ?3, size = ?4, mtime_ns = ?5, class = ?6, action = ?7, outcome = ?8, attempts = ?9, "
      "detail = ?10, trace_id = ?11, updated_ms = ?12",
      r.path, r.folder, r.sha256, r.size, r.mtime_ns, r.cls, r.action, r.outcome, r.attempts, r.detail, r.trace_id,
      time_ms);
}

expected<std::vector<watch_file_row>> state_db::watch_files(const std::string& folder) {
  return select_rows(
      *db_,
      "SELECT path, folder, sha256, size, mtime_ns, class, action, outcome, attempts, detail, trace_id, updated_ms "
      "FROM watch_files WHERE folder = ?1 ORDER BY path",
      [](const sqlite_stmt& s) {
        watch_file_row r;
        read_row(s, r.path, r.folder, r.sha256, r.size, r.mtime_ns, r.cls, r.action, r.outcome, r.attempts, r.detail,
                 r.trace_id, r.updated_ms);
        return r;
      },
      folder);
}

status state_db::save_watch_folder(const std::string& path, const std::string& classes, std::int64_t time_ms) {
  return run_statement(*db_,
                       "INSERT INTO watch_folders (path, classes, added_ms) VALUES (?1, ?2, ?3) ON CONFLICT(path) DO "
                       "UPDATE SET classes = ?2",
                       path, classes, time_ms);
}

status state_db::remove_watch_folder(const std::string& path) {
  return run_statement(*db_, "DELETE FROM watch_folders WHERE path = ?1", path);
}

expected<std::vector<std::pair<std::string, std::string>>> state_db::watch_folders() {
  return select_rows(*db_, "SELECT path, classes FROM watch_folders ORDER BY path",
                     [](const sqlite_stmt& s) { return std::pair{s.text(0), s.text(1)}; });
}

}  // namespace paios
