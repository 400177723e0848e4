-- state-v2: breakers, routing decisions and weights; events still here.
-- The schema exactly as actors/state_store/state_db.cpp at commit 16c21ba 2026-11-25 wrote it; then rows in every table.
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
INSERT INTO tasks (id, state, prompt, requested_brain, brain, trace_id, timeout_ms, created_ms, started_ms, finished_ms, answer, error_code, error_message, exit_code, attempts) VALUES
  ('t-1', 'succeeded', 'say hi', 'echo', 'echo', 'trace-1', 1000, 100, 110, 120, 'hi', '', '', 0, 1),
  ('t-2', 'failed', 'boom', '', 'codex', 'trace-2', 0, 200, 210, 220, '', 'brain_failed', 'exit 3', 3, 2);
INSERT INTO events (id, time_ms, trace_id, category, action, status, data) VALUES
  ('e-1', 100, 'trace-1', 'task', 'run', 'ok', '{"n":1}');
INSERT INTO breakers (brain, state, since_ms, open_until_ms, window, opened, last_from, last_reason) VALUES
  ('codex', 'open', 300, 400, '[1,0]', 1, 'closed', '2 of the last 2 calls failed');
INSERT INTO breaker_transitions (brain, time_ms, from_state, to_state, reason) VALUES
  ('codex', 300, 'closed', 'open', '2 of the last 2 calls failed');
INSERT INTO route_decisions (task_id, time_ms, trace_id, category, brain, outcome, decision) VALUES
  ('t-1', 100, 'trace-1', 'chat', 'echo', 'succeeded', '{"category":"chat"}'),
  ('gone', 50, '', 'x', 'echo', '', '{"category":"x"}');
INSERT INTO router_weights (rule, factor, note, updated_ms) VALUES ('chat', 1.5, 'liked', 300);
PRAGMA user_version = 2;
