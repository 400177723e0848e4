-- embed_cache-v1: the embedding cache.
-- The schema exactly as actors/kb/embed_cache.cpp at commit 9b25d62 2026-11-29 wrote it; then rows in every table.
CREATE TABLE IF NOT EXISTS vectors (
  id         INTEGER PRIMARY KEY,
  hash       TEXT NOT NULL,
  model      TEXT NOT NULL,
  vector     BLOB NOT NULL,
  created_ms INTEGER NOT NULL,
  UNIQUE (hash, model)
);
INSERT INTO vectors (id, hash, model, vector, created_ms) VALUES (1, 'h-1', 'local-256', x'0000803f00000040', 100);
PRAGMA user_version = 1;
