-- approvals-v0-grants: the first approvals.sqlite: grants only, no version.
-- The schema exactly as core/autonomy/grant_db.cpp at commit 3a1cac6 2026-12-07 wrote it; then rows in every table.
CREATE TABLE IF NOT EXISTS grants(
  key TEXT NOT NULL, scope TEXT NOT NULL, scope_value TEXT NOT NULL, approval TEXT NOT NULL, time_ms INTEGER NOT NULL,
  PRIMARY KEY(key, scope, scope_value)) WITHOUT ROWID;
INSERT INTO grants (key, scope, scope_value, approval, time_ms) VALUES ('bash:make test', 'project', '/srv/p', 'ap-1', 100);
