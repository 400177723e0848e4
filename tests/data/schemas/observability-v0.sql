-- observability-v0: no index on time, no version.
-- The schema exactly as core/obs/obs_db.cpp at commit 381f504 2026-12-07 wrote it; then rows in every table.
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
-- No index on time_us: queries go newest first by id and stop at their limit, and retention deletes a range of
-- ids (prune). An index written five times per task cost the task path about 5% (docs/benchmarks.md, issue 26).
DROP INDEX IF EXISTS events_by_time;
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
