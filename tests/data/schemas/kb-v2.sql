-- kb-v2: terms and kb_meta.
-- The schema exactly as actors/kb/kb_db.cpp at commit 9b25d62 2026-11-29 wrote it; then rows in every table.
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
INSERT INTO chunks_fts(chunks_fts, rank) VALUES('rank', 'bm25(2.0, 1.0)');
DROP TABLE IF EXISTS chunks_vocab;
-- How many passages hold each word (as lexical_words() reads them, stop words left out): the keyword query
-- leaves out the common ones. Kept in the transactions that add and remove passages.
CREATE TABLE IF NOT EXISTS terms (term TEXT PRIMARY KEY, docs INTEGER NOT NULL) WITHOUT ROWID;
-- vectors_version: bumped by every change to the stored vectors (the saved HNSW graph names the version it
-- holds); terms_ready: the terms table has every passage (a file of user_version 1 is counted once at open).
CREATE TABLE IF NOT EXISTS kb_meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;
INSERT INTO articles (id, title, source, kind, tags, meta, content_hash, content, created_ms, updated_ms) VALUES
  ('a-1', 'Tidal power', 'notes/tides.md', 'document', '["energy"]', '{}', 'h-1', 'Tidal turbines harvest estuary currents.', 100, 100),
  ('a-2', 'Sourdough', 'notes/bread.md', 'document', '[]', '{}', 'h-2', 'Levain needs feeding twice daily.', 200, 200);
INSERT INTO chunks (id, article, seq, title, body, model, embedding) VALUES
  (1, 'a-1', 0, 'Tidal power', 'Tidal turbines harvest estuary currents.', '', NULL),
  (2, 'a-2', 0, 'Sourdough', 'Levain needs feeding twice daily.', '', NULL);
INSERT INTO chunks_fts (rowid, title, body) SELECT id, title, body FROM chunks;
INSERT INTO terms (term, docs) VALUES ('tidal', 1), ('turbines', 1), ('harvest', 1), ('estuary', 1), ('currents', 1), ('power', 1), ('sourdough', 1), ('levain', 1), ('needs', 1), ('feeding', 1), ('twice', 1), ('daily', 1);
INSERT INTO kb_meta (key, value) VALUES ('vectors_version', 0), ('terms_ready', 1);
PRAGMA user_version = 2;
