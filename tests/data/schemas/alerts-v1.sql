-- alerts-v1: the alert book.
-- The schema exactly as core/alerts/alert_book.cpp at commit 96bf10e 2026-12-07 wrote it; then rows in every table.
CREATE TABLE IF NOT EXISTS alerts(
  id INTEGER PRIMARY KEY AUTOINCREMENT, kind TEXT NOT NULL, key TEXT NOT NULL, severity TEXT NOT NULL,
  title TEXT NOT NULL, detail TEXT NOT NULL, lasting INTEGER NOT NULL, first_ms INTEGER NOT NULL,
  last_ms INTEGER NOT NULL, count INTEGER NOT NULL, acked_ms INTEGER NOT NULL DEFAULT 0,
  resolved_ms INTEGER NOT NULL DEFAULT 0, delivered_ms INTEGER NOT NULL DEFAULT 0);
CREATE INDEX IF NOT EXISTS alerts_by_key ON alerts(kind, key, resolved_ms);
INSERT INTO alerts (kind, key, severity, title, detail, lasting, first_ms, last_ms, count, acked_ms, resolved_ms, delivered_ms) VALUES
  ('unclean_exit', '', 'critical', 'paiosd did not stop in order', 'pid 7', 0, 100, 100, 1, 0, 0, 100);
PRAGMA user_version = 1;
