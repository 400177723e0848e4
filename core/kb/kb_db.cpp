#include "core/kb/kb_db.hpp"

#include <algorithm>
#include <cstring>
#include <fstream>
#include <unordered_set>

#include <nlohmann/json.hpp>

#include "core/content/envelope.hpp"
#include "core/kb/chunker.hpp"
#include "core/kb/embedder.hpp"
#include "core/kb/sha256.hpp"
#include "core/kb/vector_index.hpp"
#include "core/sqlite/migrations.hpp"
#include "core/sqlite/sqlite_db.hpp"
#include "core/sqlite/sqlite_row.hpp"
#include "messages/ids.hpp"

namespace paios {
namespace {

// The schema, migration by migration (core/sqlite/migrations.hpp): user_version k means migrations 1..k ran.

// 1: articles, their passages and the passages' full-text index. (Files of version 1 made before the keyword
// query changed keep their index's porter tokenizer, as they always have: a new index would need every passage
// indexed again.)
constexpr const char* kArticles = R"sql(
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
)sql";

// 2: the word counts of the keyword query and kb_meta (count_all_terms fills them from the passages there are);
// the fts5vocab table some version-1 files have is not used any more.
constexpr const char* kTerms = R"sql(
DROP TABLE IF EXISTS chunks_vocab;
-- How many passages hold each word (as lexical_words() reads them, stop words left out): the keyword query
-- leaves out the common ones. Kept in the transactions that add and remove passages.
CREATE TABLE IF NOT EXISTS terms (term TEXT PRIMARY KEY, docs INTEGER NOT NULL) WITHOUT ROWID;
-- vectors_version: bumped by every change to the stored vectors (the saved HNSW graph names the version it
-- holds); terms_ready: the terms table has every passage (written by migration 2, kept for files that read it).
CREATE TABLE IF NOT EXISTS kb_meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;
)sql";

constexpr const char* kArticleColumns =
    "a.id, a.title, a.source, a.kind, a.brain, a.session, a.project, a.topic, a.tags, a.meta, a.content_hash, "
    "a.created_ms, a.updated_ms";

kb_article read_article(const sqlite_stmt& s) {
  kb_article a;
  std::string tags_json;
  read_row(s, a.id, a.title, a.source, a.kind, a.brain, a.session, a.project, a.topic, tags_json, a.meta_json,
           a.content_hash, a.created_ms, a.updated_ms);
  auto tags = nlohmann::json::parse(tags_json, nullptr, false);
  if (tags.is_array())
    for (auto& t : tags)
      if (t.is_string()) a.tags.push_back(t.get<std::string>());
  return a;
}

// The distinct words of each passage (title and body), as the terms table counts them.
void count_passage_terms(const std::string& title, const std::string& body, std::unordered_map<std::string, std::int64_t>& into) {
  std::unordered_set<std::string> words;
  for (auto& w : lexical_words(title)) words.insert(std::move(w));
  for (auto& w : lexical_words(body)) words.insert(std::move(w));
  for (auto& w : words)
    if (!is_stopword(w)) ++into[w];
}

// The value of `key` in kb_meta; 0 when it has none.
expected<std::int64_t> meta_value(sqlite_db& db, const char* key) {
  auto s = db.prepare("SELECT value FROM kb_meta WHERE key = ?1");
  if (!s) return s.error();
  return s->bind(1, std::string_view{key}).step() ? s->integer(0) : std::int64_t{0};
}

status set_meta(sqlite_db& db, const char* key, std::int64_t value) {
  return run_statement(db, "INSERT INTO kb_meta (key, value) VALUES (?1, ?2) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                       std::string_view{key}, value);
}

// Migration 2: the passages' words, counted once (a file of version 1 has passages and no terms table). Runs in
// the migration's transaction.
status count_all_terms(sqlite_db& db) {
  std::unordered_map<std::string, std::int64_t> counts;
  {  // the statement ends before the writes
    auto s = db.prepare("SELECT title, body FROM chunks");
    if (!s) return s.error();
    while (s->step()) count_passage_terms(s->text(0), s->text(1), counts);
    if (!s->error()) return s->error();
  }
  auto ins = db.prepare("INSERT OR REPLACE INTO terms (term, docs) VALUES (?1, ?2)");
  if (!ins) return ins.error();
  for (auto& [term, docs] : counts)
    if (auto st = ins->bind(1, term).bind(2, docs).run(); !st) return st;
  return set_meta(db, "terms_ready", 1);
}

}  // namespace

const sqlite_schema& kb_db_schema() {
  static const sqlite_schema schema{
      "kb",
      {{1, "articles, chunks, chunks_fts", kArticles, {}},
       {2, "terms, kb_meta: the keyword query's word counts, counted from the passages", kTerms, count_all_terms}}};
  return schema;
}

kb_db::kb_db() = default;

kb_db::~kb_db() { (void)save_index(); }  // best effort: an unsaved graph is rebuilt at the next open

expected<std::unique_ptr<kb_db>> kb_db::open(const std::filesystem::path& file, embedder& embed, kb_index_options index) {
  std::unique_ptr<kb_db> kb{new kb_db};
  auto db = open_migrated(file, kb_db_schema(), false);
  if (!db) return db.error();
  kb->db_ = std::move(*db);
  kb->embed_ = &embed;
  kb->model_ = embed.model();
  kb->dims_ = embed.dimensions();
  kb->index_opts_ = index;
  kb->index_file_ = std::filesystem::path{file}.replace_extension(".hnsw");
  {
    auto count = kb->db_->prepare("SELECT count(*) FROM chunks");
    if (!count || !count->step())
      return status{errc::store_failed, "cannot count the passages of " + file.string() + ": " +
                                            (count ? count->error() : count.error()).message()};
    kb->passages_ = count->integer(0);
  }
  auto version = meta_value(*kb->db_, "vectors_version");
  if (!version)
    return status{errc::store_failed, "cannot read the vectors' version of " + file.string() + ": " + version.message()};
  kb->version_ = *version;
  if (!kb->load_saved_index())
    if (auto st = kb->load_vectors(); !st)
      return status{errc::store_failed, "cannot read the vectors of " + file.string() + ": " + st.message()};
  return kb;
}

std::uint32_t kb_db::intern_article(const std::string& id, const std::string& kind, const std::string& project,
                                    std::int64_t updated_ms) {
  auto [it, added] = article_index_.try_emplace(id, static_cast<std::uint32_t>(articles_.size()));
  if (added) articles_.push_back({id, kind, project, updated_ms, true});
  else articles_[it->second] = {id, kind, project, updated_ms, true};
  return it->second;
}

void kb_db::put_vector(std::int64_t chunk_id, std::uint32_t article, const std::vector<float>& v) {
  if (v.size() != dims_) return;
  index_->put(chunk_id, article, v.data());
  if (building_) building_->put(chunk_id, article, v.data());
  const bool exact = std::string_view{index_->kind()} == "exact";
  if (!building_ && index_opts_.ann_threshold > 0 && exact && index_->size() >= index_opts_.ann_threshold) start_index_build();
}

void kb_db::drop_article_vectors(const std::string& id) {
  auto it = article_index_.find(id);
  if (it == article_index_.end()) return;
  articles_[it->second].live = false;
  index_->erase_tag(it->second);
  if (building_) building_->erase_tag(it->second);
  // A graph that is mostly holes (hnswlib keeps erased vectors) is built anew.
  if (auto* graph = dynamic_cast<hnsw_index*>(index_.get()); graph && !building_ && graph->deleted() > graph->size())
    start_index_build();
}

// Builds an HNSW graph of index_'s vectors, index_step() by index_step(); index_ answers meanwhile, and every
// change is made to both.
void kb_db::start_index_build() {
  hnsw_options o{index_opts_.hnsw_m, index_opts_.hnsw_ef_construction, index_opts_.hnsw_ef_search};
  building_ = hnsw_index::create(dims_, index_->size() + index_->size() / 4, o);
  build_queue_.clear();
  build_queue_.reserve(index_->size());
  index_->for_each([&](std::int64_t id, std::uint32_t tag, const float*) { build_queue_.emplace_back(id, tag); });
  std::reverse(build_queue_.begin(), build_queue_.end());  // taken from the back: in the order stored
}

expected<std::int64_t> kb_db::index_step(std::size_t batch) {
  if (!building_) return std::int64_t{0};
  for (std::size_t n = 0; n < batch && !build_queue_.empty(); ++n) {
    auto [id, tag] = build_queue_.back();
    build_queue_.pop_back();
    if (building_->find(id)) continue;  // put there since the build began
    if (const float* v = index_->find(id)) building_->put(id, tag, v);
  }
  if (!build_queue_.empty()) return static_cast<std::int64_t>(build_queue_.size());
  index_ = std::move(building_);
  build_queue_ = {};
  saved_version_ = -1;
  if (auto st = save_index(); !st) return st;
  return std::int64_t{0};
}

status kb_db::save_index() {
  auto* graph = dynamic_cast<hnsw_index*>(index_.get());
  if (!graph || saved_version_ == version_) return {};
  if (auto st = graph->save(index_file_.string()); !st) return st;
  nlohmann::json meta{{"model", model_}, {"dimensions", dims_}, {"version", version_}, {"count", graph->size()}};
  const auto meta_file = index_file_.string() + ".json";
  {
    std::ofstream out(meta_file + ".tmp", std::ios::trunc);
    out << meta.dump() << '\n';
    if (!out.flush()) return {errc::store_failed, "cannot write " + meta_file + ".tmp"};
  }
  std::error_code ec;
  std::filesystem::rename(meta_file + ".tmp", meta_file, ec);
  if (ec) return {errc::store_failed, "cannot rename " + meta_file + ".tmp: " + ec.message()};
  saved_version_ = version_;
  return {};
}

// Loads the graph saved beside the database, when it holds exactly the stored vectors of the current model: ok,
// or why not (not_found when there is no saved graph of them); the caller then reads the vectors from the
// database instead.
status kb_db::load_saved_index() {
  if (index_opts_.ann_threshold == 0) return {errc::not_found, "no graph is used (ann_threshold 0)"};
  std::ifstream in(index_file_.string() + ".json");
  auto meta = nlohmann::json::parse(in, nullptr, false);
  if (!meta.is_object() || meta.value("model", "") != model_ || meta.value("dimensions", std::size_t{0}) != dims_ ||
      meta.value("version", std::int64_t{-1}) != version_)
    return {errc::not_found, "no saved graph of these vectors"};
  hnsw_options o{index_opts_.hnsw_m, index_opts_.hnsw_ef_construction, index_opts_.hnsw_ef_search};
  auto graph = hnsw_index::load(index_file_.string(), dims_, o);
  if (!graph) return graph.error();
  auto s = db_->prepare(
      "SELECT c.id, a.id, a.kind, a.project, a.updated_ms FROM chunks c JOIN articles a ON a.id = c.article "
      "WHERE c.model = ?1 AND length(c.embedding) = ?2");
  if (!s) return s.error();
  s->bind(1, model_).bind(2, static_cast<std::int64_t>(dims_ * sizeof(float)));
  std::size_t tagged = 0;
  status why;
  while (s->step()) {
    if (!(*graph)->set_tag(s->integer(0), intern_article(s->text(1), s->text(2), s->text(3), s->integer(4)))) {
      why = {errc::store_failed, "the saved graph lacks passage " + std::to_string(s->integer(0))};
      break;
    }
    ++tagged;
  }
  if (why && tagged != (*graph)->size()) why = {errc::store_failed, "the saved graph holds passages the database does not"};
  if (why && !s->error()) why = s->error();
  if (!why) {
    articles_.clear();
    article_index_.clear();
    return why;
  }
  index_ = std::move(*graph);
  saved_version_ = version_;
  return {};
}

status kb_db::load_vectors() {
  index_ = make_exact_index(dims_);
  auto s = db_->prepare(
      "SELECT c.id, a.id, a.kind, a.project, a.updated_ms, c.embedding FROM chunks c JOIN articles a ON a.id = c.article "
      "WHERE c.model = ?1 ORDER BY c.id");
  if (!s) return s.error();
  s->bind(1, model_);
  std::vector<float> v(dims_);
  while (s->step()) {
    auto blob = s->blob(5);
    if (blob.size() != dims_ * sizeof(float)) continue;  // written by another build of the model: re-embedded
    std::memcpy(v.data(), blob.data(), blob.size());
    index_->put(s->integer(0), intern_article(s->text(1), s->text(2), s->text(3), s->integer(4)), v.data());
  }
  if (index_opts_.ann_threshold > 0 && index_->size() >= index_opts_.ann_threshold) start_index_build();
  return s->error();
}

// The next version of the stored vectors, written in the caller's transaction; version_ follows on commit.
status kb_db::bump_version() { return set_meta(*db_, "vectors_version", version_ + 1); }

// Adds (sign 1) or takes away (sign -1) the passages' words in the terms table, in the caller's transaction.
status kb_db::count_terms(const std::string& title, const std::vector<std::string>& bodies, int sign) {
  std::unordered_map<std::string, std::int64_t> counts;
  for (auto& b : bodies) count_passage_terms(title, b, counts);
  auto up = db_->prepare(
      "INSERT INTO terms (term, docs) VALUES (?1, ?2) ON CONFLICT(term) DO UPDATE SET docs = docs + excluded.docs");
  if (!up) return up.error();
  for (auto& [term, docs] : counts)
    if (auto st = up->bind(1, term).bind(2, sign * docs).run(); !st) return st;
  if (sign < 0) return db_->exec("DELETE FROM terms WHERE docs <= 0");
  return {};
}

// Deletes the article, its chunks and their keyword index entries (inside the caller's transaction); adds the
// number of chunks it had to `removed`.
status kb_db::remove_article(const std::string& id, std::int64_t& removed) {
  auto read = db_->prepare("SELECT title, body FROM chunks WHERE article = ?1");
  if (!read) return read.error();
  std::string title;
  std::vector<std::string> bodies;
  for (read->bind(1, id); read->step();) {
    title = read->text(0);
    bodies.push_back(read->text(1));
  }
  if (!read->error()) return read->error();
  removed += static_cast<std::int64_t>(bodies.size());
  if (auto st = count_terms(title, bodies, -1); !st) return st;
  if (auto st = bump_version(); !st) return st;
  if (auto st = run_statement(*db_, "INSERT INTO chunks_fts(chunks_fts, rowid, title, body) SELECT 'delete', id, "
                                    "title, body FROM chunks WHERE article = ?1", id);
      !st)
    return st;
  if (auto st = run_statement(*db_, "DELETE FROM chunks WHERE article = ?1", id); !st) return st;
  return run_statement(*db_, "DELETE FROM articles WHERE id = ?1", id);
}

expected<kb_add_result> kb_db::add(kb_article_input in) {
  kb_add_result out;
  const auto hash = sha256_hex(in.content);
  {
    auto s = db_->prepare("SELECT id, meta FROM articles WHERE content_hash = ?1");
    if (!s) return s.error();
    if (s->bind(1, hash).step()) {
      out.id = s->text(0);
      auto meta = nlohmann::json::parse(s->text(1), nullptr, false);
      if (meta.is_object() && meta.contains("flags") && meta["flags"].is_array())
        for (const auto& f : meta["flags"])
          if (f.is_string()) out.flags.push_back(f.get<std::string>());
      return out;
    }
  }
  if (in.title.empty()) in.title = in.source.empty() ? "untitled" : std::filesystem::path(in.source).filename().string();
  auto pieces = chunk_text(in.content);
  std::vector<std::string> bodies;
  std::vector<std::string_view> texts;
  for (auto& p : pieces) bodies.push_back(std::move(p.text));
  std::vector<std::string> embedded_texts;
  for (auto& b : bodies) embedded_texts.push_back(in.title + "\n\n" + b);
  for (auto& t : embedded_texts) texts.push_back(t);
  std::vector<std::vector<float>> vectors;
  if (!texts.empty()) {
    auto made = embed_->embed(texts);
    if (!made) return status{made.code(), "embedding failed (" + model_ + "): " + made.message()};
    vectors = std::move(*made);
  }
  auto wrapped = wrap_outside(in.content, in.source.empty() ? in.title : in.source);
  nlohmann::json meta{{"format", in.format}, {"bytes", in.content.size()}, {"flags", wrapped.flags},
                      {"tokens", estimate_tokens(in.content)}};
  out.id = "kb-" + hash.substr(0, 16);
  const auto now = now_ms();

  std::int64_t replaced_chunks = 0;
  if (auto st = db_->exec("BEGIN IMMEDIATE"); !st) return st;
  auto fail = [&](status why) {
    (void)db_->exec("ROLLBACK");
    return why;
  };
  if (!in.source.empty()) {
    auto s = db_->prepare("SELECT id FROM articles WHERE source = ?1");
    if (!s) return fail(s.error());
    std::vector<std::string> older;
    s->bind(1, in.source);
    while (s->step()) older.push_back(s->text(0));
    for (auto& id : older) {
      if (auto st = remove_article(id, replaced_chunks); !st) return fail(st);
      out.replaced = id;
    }
  }
  auto ins = db_->prepare(
      "INSERT INTO articles (id, title, source, kind, brain, session, project, topic, tags, meta, content_hash, "
      "content, created_ms, updated_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?13)");
  if (!ins) return fail(ins.error());
  bind_row(*ins, out.id, in.title, in.source, in.kind, in.brain, in.session, in.project, in.topic,
           nlohmann::json(in.tags).dump(), meta.dump(), hash, wrapped.text, now);
  if (auto st = ins->run(); !st) return fail(st);
  auto chunk = db_->prepare("INSERT INTO chunks (article, seq, title, body, model, embedding) VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
  if (!chunk) return fail(chunk.error());
  auto index = db_->prepare("INSERT INTO chunks_fts(rowid, title, body) VALUES (?1, ?2, ?3)");
  if (!index) return fail(index.error());
  std::vector<std::int64_t> chunk_ids;
  for (std::size_t i = 0; i < bodies.size(); ++i) {
    chunk->bind(1, out.id).bind(2, static_cast<std::int64_t>(i)).bind(3, in.title).bind(4, bodies[i]).bind(5, model_);
    chunk->bind_blob(6, vectors[i].data(), vectors[i].size() * sizeof(float));
    if (auto st = chunk->run(); !st) return fail(st);
    chunk_ids.push_back(db_->last_insert_rowid());
    index->bind(1, chunk_ids.back()).bind(2, in.title).bind(3, bodies[i]);
    if (auto st = index->run(); !st) return fail(st);
  }
  if (auto st = count_terms(in.title, bodies, 1); !st) return fail(st);
  if (auto st = bump_version(); !st) return fail(st);
  if (auto st = db_->exec("COMMIT"); !st) return fail(st);
  ++version_;
  // The index follows the file only once the file has it.
  if (!out.replaced.empty()) drop_article_vectors(out.replaced);
  passages_ += static_cast<std::int64_t>(bodies.size()) - replaced_chunks;
  const auto article = intern_article(out.id, in.kind, in.project, now);
  for (std::size_t i = 0; i < chunk_ids.size(); ++i) put_vector(chunk_ids[i], article, vectors[i]);
  out.added = true;
  out.chunks = bodies.size();
  out.flags = std::move(wrapped.flags);
  return out;
}

expected<std::optional<kb_article>> kb_db::get(const std::string& id) {
  auto s = db_->prepare(std::string{"SELECT "} + kArticleColumns +
                        ", a.content, (SELECT count(*) FROM chunks c WHERE c.article = a.id) FROM articles a WHERE a.id = ?1");
  if (!s) return s.error();
  if (!s->bind(1, id).step()) {
    if (!s->error()) return s->error();
    return std::optional<kb_article>{};
  }
  auto a = read_article(*s);
  a.content = s->text(13);
  a.chunks = static_cast<std::size_t>(s->integer(14));
  return std::optional<kb_article>{std::move(a)};
}

expected<bool> kb_db::remove(const std::string& id) {
  {
    auto s = db_->prepare("SELECT 1 FROM articles WHERE id = ?1");
    if (!s) return s.error();
    if (!s->bind(1, id).step()) {
      if (!s->error()) return s->error();
      return false;
    }
  }
  if (auto st = db_->exec("BEGIN IMMEDIATE"); !st) return st;
  std::int64_t removed = 0;
  status done = remove_article(id, removed);
  if (done) done = db_->exec("COMMIT");
  if (!done) {
    (void)db_->exec("ROLLBACK");
    return done;
  }
  ++version_;
  drop_article_vectors(id);
  passages_ -= removed;
  return true;
}

expected<std::vector<kb_article>> kb_db::list(int limit, const std::string& kind) {
  return select_rows(
      *db_,
      std::string{"SELECT "} + kArticleColumns +
          ", (SELECT count(*) FROM chunks c WHERE c.article = a.id) FROM articles a "
          "WHERE ?1 = '' OR a.kind = ?1 ORDER BY a.updated_ms DESC, a.id LIMIT ?2",
      [](const sqlite_stmt& s) {
        auto a = read_article(s);
        a.chunks = static_cast<std::size_t>(s.integer(13));
        return a;
      },
      kind, static_cast<std::int64_t>(limit));
}

expected<kb_stats> kb_db::stats() {
  kb_stats st;
  st.model = model_;
  st.dimensions = dims_;
  status failed;  // the first failure; the queries after it are not run
  auto one = [&](std::string_view sql, auto bind) -> std::int64_t {
    if (!failed) return 0;
    auto s = db_->prepare(sql);
    if (!s) {
      failed = s.error();
      return 0;
    }
    bind(*s);
    return s->step() ? s->integer(0) : 0;
  };
  auto none = [](sqlite_stmt&) {};
  st.articles = one("SELECT count(*) FROM articles", none);
  st.chunks = one("SELECT count(*) FROM chunks", none);
  st.bytes = one("SELECT page_count * page_size FROM pragma_page_count(), pragma_page_size()", none);
  st.pending_reembed = one("SELECT count(*) FROM chunks WHERE model != ?1", [&](sqlite_stmt& s) { s.bind(1, model_); });
  st.index = building_ ? "exact (hnsw being built)" : index_->kind();
  st.pending_index = static_cast<std::int64_t>(build_queue_.size());
  if (!failed) return failed;
  auto s = db_->prepare("SELECT kind, count(*) FROM articles GROUP BY kind");
  if (!s) return s.error();
  while (s->step()) st.by_kind[s->text(0)] = s->integer(1);
  return st;
}

expected<std::int64_t> kb_db::reembed_step(std::size_t batch) {
  auto s = db_->prepare(
      "SELECT c.id, c.title, c.body, a.id, a.kind, a.project, a.updated_ms FROM chunks c JOIN articles a "
      "ON a.id = c.article WHERE c.model != ?1 ORDER BY c.id LIMIT ?2");
  if (!s) return s.error();
  s->bind(1, model_).bind(2, static_cast<std::int64_t>(batch));
  struct pending {
    std::int64_t id;
    std::string text, article, kind, project;
    std::int64_t updated_ms;
  };
  std::vector<pending> todo;
  while (s->step())
    todo.push_back({s->integer(0), s->text(1) + "\n\n" + s->text(2), s->text(3), s->text(4), s->text(5), s->integer(6)});
  s->reset();
  if (!todo.empty()) {
    std::vector<std::string_view> texts;
    for (auto& t : todo) texts.push_back(t.text);
    auto made = embed_->embed(texts);
    if (!made) return status{made.code(), "re-embedding failed (" + model_ + "): " + made.message()};
    const auto& vectors = *made;
    if (auto st = db_->exec("BEGIN IMMEDIATE"); !st) return st;
    auto store = [&]() -> status {
      auto up = db_->prepare("UPDATE chunks SET model = ?1, embedding = ?2 WHERE id = ?3");
      if (!up) return up.error();
      if (auto st = bump_version(); !st) return st;
      for (std::size_t i = 0; i < todo.size(); ++i) {
        up->bind(1, model_).bind_blob(2, vectors[i].data(), vectors[i].size() * sizeof(float)).bind(3, todo[i].id);
        if (auto st = up->run(); !st) return st;
      }
      return db_->exec("COMMIT");
    };
    if (auto st = store(); !st) {
      (void)db_->exec("ROLLBACK");
      return st;
    }
    ++version_;
    for (std::size_t i = 0; i < todo.size(); ++i)
      put_vector(todo[i].id, intern_article(todo[i].article, todo[i].kind, todo[i].project, todo[i].updated_ms), vectors[i]);
  }
  auto left = db_->prepare("SELECT count(*) FROM chunks WHERE model != ?1");
  if (!left) return left.error();
  left->bind(1, model_);
  return left->step() ? left->integer(0) : std::int64_t{0};
}

}  // namespace paios
