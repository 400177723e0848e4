-- approvals-v1: grants and patterns with scripts.
-- The schema exactly as core/autonomy/grant_db.cpp at commit c60e5d2 2026-12-07 wrote it; then rows in every table.
CREATE TABLE IF NOT EXISTS grants(
  key TEXT NOT NULL, scope TEXT NOT NULL, scope_value TEXT NOT NULL, approval TEXT NOT NULL, time_ms INTEGER NOT NULL,
  PRIMARY KEY(key, scope, scope_value)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS patterns(
  key TEXT PRIMARY KEY, rule_json TEXT NOT NULL, approvals INTEGER NOT NULL, promoted INTEGER NOT NULL) WITHOUT ROWID;
ALTER TABLE grants ADD COLUMN scripts TEXT NOT NULL DEFAULT '';
ALTER TABLE patterns ADD COLUMN scripts TEXT NOT NULL DEFAULT '';
INSERT INTO grants (key, scope, scope_value, approval, time_ms, scripts) VALUES ('bash:make test', 'project', '/srv/p', 'ap-1', 100, 'sha-1');
INSERT INTO patterns (key, rule_json, approvals, promoted, scripts) VALUES ('bash:make', '{"allow":"make *"}', 3, 1, 'sha-1');
PRAGMA user_version = 1;
