-- state-v5-cause: breakers.cause (the breakers branch); decisions still in route_decisions.
-- The schema exactly as core/state/state_db.cpp at commit 645947c 2026-12-07 wrote it; then rows in every table.
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
CREATE TABLE IF NOT EXISTS breakers (
  brain TEXT PRIMARY KEY,
  state TEXT NOT NULL,
  since_ms INTEGER NOT NULL,
  open_until_ms INTEGER NOT NULL,
  window TEXT NOT NULL DEFAULT '',
  opened INTEGER NOT NULL DEFAULT 0,
  last_from TEXT NOT NULL DEFAULT '',
  last_reason TEXT NOT NULL DEFAULT '',
  cause TEXT NOT NULL DEFAULT ''  -- version 5 (migrated in open())
);
CREATE TABLE IF NOT EXISTS breaker_transitions (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  brain TEXT NOT NULL,
  time_ms INTEGER NOT NULL,
  from_state TEXT NOT NULL,
  to_state TEXT NOT NULL,
  reason TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS route_decisions (
  task_id TEXT PRIMARY KEY,
  time_ms INTEGER NOT NULL,
  trace_id TEXT NOT NULL DEFAULT '',
  category TEXT NOT NULL DEFAULT '',
  brain TEXT NOT NULL DEFAULT '',
  outcome TEXT NOT NULL DEFAULT '',
  decision TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS route_decisions_by_time ON route_decisions(time_ms);
CREATE TABLE IF NOT EXISTS router_weights (
  rule TEXT PRIMARY KEY,
  factor REAL NOT NULL,
  note TEXT NOT NULL DEFAULT '',
  updated_ms INTEGER NOT NULL
);
-- Version 3: the scheduler's runs and each job's next due time and failures (actors/scheduler).
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
-- Version 4: pipeline runs and each run's steps, with their outputs (actors/pipeline).
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
-- Version 4 too: the folders added by `ai watch add` (configured ones live in the user's file), and each watched
-- file's latest content and what was done with it (actors/watcher: nothing twice, nothing missed).
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
INSERT INTO tasks (id, state, prompt, requested_brain, brain, trace_id, timeout_ms, created_ms, started_ms, finished_ms, answer, error_code, error_message, exit_code, attempts) VALUES
  ('t-1', 'succeeded', 'say hi', 'echo', 'echo', 'trace-1', 1000, 100, 110, 120, 'hi', '', '', 0, 1),
  ('t-2', 'failed', 'boom', '', 'codex', 'trace-2', 0, 200, 210, 220, '', 'brain_failed', 'exit 3', 3, 2);
INSERT INTO breakers (brain, state, since_ms, open_until_ms, window, opened, last_from, last_reason, cause) VALUES
  ('codex', 'open', 300, 400, '[1,0]', 1, 'closed', '2 of the last 2 calls failed', 'program_missing');
INSERT INTO breaker_transitions (brain, time_ms, from_state, to_state, reason) VALUES
  ('codex', 300, 'closed', 'open', '2 of the last 2 calls failed');
INSERT INTO route_decisions (task_id, time_ms, trace_id, category, brain, outcome, decision) VALUES
  ('t-1', 100, 'trace-1', 'chat', 'echo', 'succeeded', '{"category":"chat"}'),
  ('gone', 50, '', 'x', 'echo', '', '{"category":"x"}');
INSERT INTO router_weights (rule, factor, note, updated_ms) VALUES ('chat', 1.5, 'liked', 300);
INSERT INTO job_runs (id, job, trigger, started_ms, ended_ms, outcome, trace_id, task_id, summary) VALUES
  ('r-1', 'nightly', 'schedule', 500, 510, 'ok', 'trace-3', 't-1', 'done');
INSERT INTO job_state (job, schedule, next_due_ms, failures, updated_ms) VALUES ('nightly', '0 3 * * *', 86400000, 0, 510);
INSERT INTO pipeline_runs (id, pipeline, state, trigger, input, step, step_name, error, started_ms, ended_ms, trace_id, resumes) VALUES
  ('p-1', 'digest', 'ok', 'manual', '{"x":1}', 1, 'fetch', '', 600, 650, 'trace-4', 0);
INSERT INTO pipeline_steps (run_id, idx, name, kind, state, started_ms, ended_ms, output, output_bytes, error, attempts) VALUES
  ('p-1', 0, 'fetch', 'task', 'ok', 600, 620, 'text', 4, '', 1);
INSERT INTO watch_folders (path, classes, added_ms) VALUES ('/srv/in', 'pdf', 700);
INSERT INTO watch_files (path, folder, sha256, size, mtime_ns, class, action, outcome, attempts, detail, trace_id, updated_ms) VALUES
  ('/srv/in/a.pdf', '/srv/in', 'abc', 10, 7, 'pdf', 'kb_add', 'done', 1, '', 'trace-5', 710);
PRAGMA user_version = 5;
