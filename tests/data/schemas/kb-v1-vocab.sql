-- kb-v1-vocab: words as written, an fts5vocab table (still version 1).
-- The schema exactly as actors/kb/kb_db.cpp at commit e77d8b7 2026-11-29 wrote it; then rows in every table.
CREATE TABLE IF NOT EXISTS articles (
  id           TEXT PRIMARY KEY,
  title        TEXT NOT NULL,
  source       TEXT NOT NULL DEFAULT '',
  kind         TEXT NOT NULL DEFAULT 'document',
  brain        TEXT NOT NULL DEFAULT '',
  session      TEXT NOT NULL DEFAULT '',
  project      TEXT NOT NULL DEFAULT '',
  topic        TEXT NOT NULL DEFAULT '',
  tags         TEXT NOT NULL DEFAULT '[]',
  meta         TEXT NOT NULL DEFAULT '{}',
  content_hash TEXT NOT NULL UNIQUE,
  content      TEXT NOT NULL,
  created_ms   INTEGER NOT NULL,
  updated_ms   INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS articles_by_source ON articles(source);
CREATE INDEX IF NOT EXISTS articles_by_kind ON articles(kind, updated_ms);
CREATE TABLE IF NOT EXISTS chunks (
  id        INTEGER PRIMARY KEY,
  article   TEXT NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
  seq       INTEGER NOT NULL,
  title     TEXT NOT NULL,
  body      TEXT NOT NULL,
  model     TEXT NOT NULL DEFAULT '',
  embedding BLOB
);
CREATE INDEX IF NOT EXISTS chunks_by_article ON chunks(article, seq);
CREATE INDEX IF NOT EXISTS chunks_by_model ON chunks(model);
CREATE VIRTUAL TABLE IF NOT EXISTS chunks_fts USING fts5(
  title, body, content='chunks', content_rowid='id', tokenize='unicode61 remove_diacritics 2');
CREATE VIRTUAL TABLE IF NOT EXISTS chunks_vocab USING fts5vocab(chunks_fts, 'row');
INSERT INTO chunks_fts(chunks_fts, rank) VALUES('rank', 'bm25(2.0, 1.0)');
INSERT INTO articles (id, title, source, kind, tags, meta, content_hash, content, created_ms, updated_ms) VALUES
  ('a-1', 'Tidal power', 'notes/tides.md', 'document', '["energy"]', '{}', 'h-1', 'Tidal turbines harvest estuary currents.', 100, 100),
  ('a-2', 'Sourdough', 'notes/bread.md', 'document', '[]', '{}', 'h-2', 'Levain needs feeding twice daily.', 200, 200);
INSERT INTO chunks (id, article, seq, title, body, model, embedding) VALUES
  (1, 'a-1', 0, 'Tidal power', 'Tidal turbines harvest estuary currents.', '', NULL),
  (2, 'a-2', 0, 'Sourdough', 'Levain needs feeding twice daily.', '', NULL);
INSERT INTO chunks_fts (rowid, title, body) SELECT id, title, body FROM chunks;
PRAGMA user_version = 1;
