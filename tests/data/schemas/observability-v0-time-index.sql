-- observability-v0-time-index: the first observability.sqlite, with the index on time, no version.
-- The schema exactly as actors/obs/obs_db.cpp at commit 7ec602b 2026-11-29 wrote it; then rows in every table.
CREATE TABLE IF NOT EXISTS events (
  id          INTEGER PRIMARY KEY,
  time_us     INTEGER NOT NULL,
  duration_us INTEGER NOT NULL,
  trace_hi    INTEGER NOT NULL,
  trace_lo    INTEGER NOT NULL,
  span        INTEGER NOT NULL,
  parent      INTEGER NOT NULL,
  category    TEXT NOT NULL,
  action      TEXT NOT NULL,
  status      TEXT NOT NULL,
  data        TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS events_by_trace ON events(trace_hi);
CREATE INDEX IF NOT EXISTS events_by_time ON events(time_us);
CREATE INDEX IF NOT EXISTS events_by_category ON events(category, time_us);
CREATE TABLE IF NOT EXISTS scores (
  target   TEXT PRIMARY KEY,
  trace_hi INTEGER NOT NULL,
  trace_lo INTEGER NOT NULL,
  score    INTEGER NOT NULL,
  note     TEXT NOT NULL,
  time_ms  INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS scores_by_score ON scores(score);
INSERT INTO events (id, time_us, duration_us, trace_hi, trace_lo, span, parent, category, action, status, data) VALUES
  (1, 100000, 5, 1, 2, 3, 0, 'task', 'run', 'ok', '{"n":1}');
INSERT INTO scores (target, trace_hi, trace_lo, score, note, time_ms) VALUES ('t-1', 1, 2, 5, 'good', 100);
