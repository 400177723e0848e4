-- state-v1: the first state.sqlite.
-- The schema exactly as actors/state_store/state_db.cpp at commit 3267e5f 2026-11-25 wrote it; then rows in every table.
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
CREATE TABLE IF NOT EXISTS events (
  id TEXT PRIMARY KEY,
  time_ms INTEGER NOT NULL,
  trace_id TEXT NOT NULL DEFAULT '',
  category TEXT NOT NULL,
  action TEXT NOT NULL,
  status TEXT NOT NULL DEFAULT '',
  data TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX IF NOT EXISTS events_by_time ON events(time_ms);
INSERT INTO tasks (id, state, prompt, requested_brain, brain, trace_id, timeout_ms, created_ms, started_ms, finished_ms, answer, error_code, error_message, exit_code, attempts) VALUES
  ('t-1', 'succeeded', 'say hi', 'echo', 'echo', 'trace-1', 1000, 100, 110, 120, 'hi', '', '', 0, 1),
  ('t-2', 'failed', 'boom', '', 'codex', 'trace-2', 0, 200, 210, 220, '', 'brain_failed', 'exit 3', 3, 2);
INSERT INTO events (id, time_ms, trace_id, category, action, status, data) VALUES
  ('e-1', 100, 'trace-1', 'task', 'run', 'ok', '{"n":1}');
PRAGMA user_version = 1;
