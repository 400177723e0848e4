#include "actors/kb/kb_db.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <unordered_set>

#include <nlohmann/json.hpp>

#include "actors/kb/chunker.hpp"
#include "actors/kb/embedder.hpp"
#include "actors/kb/envelope.hpp"
#include "actors/kb/sha256.hpp"
#include "actors/state_store/sqlite_db.hpp"
#include "messages/ids.hpp"

namespace paios {
namespace {

constexpr const char* kSchema = R"sql(
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
PRAGMA user_version = 1;
)sql";

constexpr const char* kArticleColumns =
    "a.id, a.title, a.source, a.kind, a.brain, a.session, a.project, a.topic, a.tags, a.meta, a.content_hash, "
    "a.created_ms, a.updated_ms";

kb_article read_article(const sqlite_stmt& s) {
  kb_article a;
  a.id = s.text(0);
  a.title = s.text(1);
  a.source = s.text(2);
  a.kind = s.text(3);
  a.brain = s.text(4);
  a.session = s.text(5);
  a.project = s.text(6);
  a.topic = s.text(7);
  auto tags = nlohmann::json::parse(s.text(8), nullptr, false);
  if (tags.is_array())
    for (auto& t : tags)
      if (t.is_string()) a.tags.push_back(t.get<std::string>());
  a.meta_json = s.text(9);
  a.content_hash = s.text(10);
  a.created_ms = s.integer(11);
  a.updated_ms = s.integer(12);
  return a;
}

// The one loop of the vector scan: `omp simd` (no OpenMP runtime, only -fopenmp-simd) lets the compiler
// reorder the additions, so that it uses every lane of the vector registers; on x86-64 a second build of it
// for AVX2 and FMA is chosen at load time where the processor has them.
#if defined(__x86_64__) && defined(__GNUC__)
__attribute__((target_clones("arch=haswell", "default")))
#endif
float dot(const float* a, const float* b, std::size_t n) {
  float s = 0;
#pragma omp simd reduction(+ : s)
  for (std::size_t i = 0; i < n; ++i) s += a[i] * b[i];
  return s;
}

// A word in more than this share of the passages is "common": it barely moves bm25 (its inverse document
// frequency is near zero), yet FTS5 must score every passage that holds it before it can keep the best ten.
constexpr double kCommonShare = 0.05;
constexpr std::int64_t kCommonFloor = 50;  // in a small knowledge base no word is common

}  // namespace

// The user's words as an FTS5 query: each one quoted (so that nothing in it is FTS syntax), any may match.
// English stop words and words common in this knowledge base are left out ("how does failover work" looks
// for "failover"), except the rarest of them when the query has nothing else. The vector half of a search
// still reads the whole query.
std::string kb_db::fts_query(const std::string& text, std::string& error) {
  struct term {
    std::string word;
    std::int64_t docs;
  };
  std::vector<term> terms;
  std::unordered_set<std::string> seen;
  auto df = db_->prepare("SELECT doc FROM chunks_vocab WHERE term = ?1", error);
  if (!error.empty()) return {};
  auto words = lexical_words(text);
  const bool only_stopwords = std::all_of(words.begin(), words.end(), [](const std::string& w) { return is_stopword(w); });
  for (auto& w : words) {
    if ((!only_stopwords && is_stopword(w)) || !seen.insert(w).second) continue;
    df.bind(1, w);
    const std::int64_t docs = df.step() ? df.integer(0) : 0;
    df.reset();
    terms.push_back({w, docs});
  }
  if (terms.empty()) return {};
  const auto common = std::max<std::int64_t>(kCommonFloor, static_cast<std::int64_t>(kCommonShare * static_cast<double>(passages_)));
  auto rarest = std::min_element(terms.begin(), terms.end(), [](const term& a, const term& b) { return a.docs < b.docs; });
  std::string q;
  for (auto& t : terms) {
    if (t.docs > common && &t != &*rarest) continue;
    if (!q.empty()) q += " OR ";
    q += '"' + t.word + '"';
  }
  return q;
}

namespace {

std::string in_list(const std::vector<std::int64_t>& ids) {
  std::string s;
  for (auto id : ids) s += (s.empty() ? "" : ",") + std::to_string(id);
  return s;
}

}  // namespace

kb_db::~kb_db() = default;

std::unique_ptr<kb_db> kb_db::open(const std::filesystem::path& file, embedder& embed, std::string& error) {
  std::unique_ptr<kb_db> kb{new kb_db};
  kb->db_ = sqlite_db::open(file, false, error);
  if (!kb->db_) return nullptr;
  if (auto err = kb->db_->exec(kSchema); !err.empty()) {
    error = "cannot create the schema of " + file.string() + ": " + err;
    return nullptr;
  }
  kb->embed_ = &embed;
  kb->model_ = embed.model();
  kb->dims_ = embed.dimensions();
  {
    auto count = kb->db_->prepare("SELECT count(*) FROM chunks", error);
    if (!error.empty() || !count.step()) {
      error = "cannot count the passages of " + file.string() + ": " + (error.empty() ? count.error() : error);
      return nullptr;
    }
    kb->passages_ = count.integer(0);
  }
  if (auto err = kb->load_vectors(); !err.empty()) {
    error = "cannot read the vectors of " + file.string() + ": " + err;
    return nullptr;
  }
  return kb;
}

std::uint32_t kb_db::intern_article(const std::string& id, const std::string& kind, const std::string& project,
                                    std::int64_t updated_ms) {
  auto [it, added] = article_index_.try_emplace(id, static_cast<std::uint32_t>(articles_.size()));
  if (added) articles_.push_back({id, kind, project, updated_ms, true});
  else articles_[it->second] = {id, kind, project, updated_ms, true};
  return it->second;
}

void kb_db::add_row(std::int64_t chunk_id, std::uint32_t article, const std::vector<float>& v) {
  if (v.size() != dims_) return;
  if (auto it = row_of_chunk_.find(chunk_id); it != row_of_chunk_.end()) {
    std::copy(v.begin(), v.end(), matrix_.begin() + static_cast<std::ptrdiff_t>(it->second * dims_));
    return;
  }
  row_of_chunk_[chunk_id] = rows_.size();
  rows_.push_back({chunk_id, article});
  matrix_.insert(matrix_.end(), v.begin(), v.end());
}

std::string kb_db::load_vectors() {
  std::string error;
  auto s = db_->prepare(
      "SELECT c.id, a.id, a.kind, a.project, a.updated_ms, c.embedding FROM chunks c JOIN articles a ON a.id = c.article "
      "WHERE c.model = ?1 ORDER BY c.id",
      error);
  if (!error.empty()) return error;
  s.bind(1, model_);
  std::vector<float> v(dims_);
  while (s.step()) {
    auto blob = s.blob(5);
    if (blob.size() != dims_ * sizeof(float)) continue;  // written by another build of the model: re-embedded
    std::memcpy(v.data(), blob.data(), blob.size());
    add_row(s.integer(0), intern_article(s.text(1), s.text(2), s.text(3), s.integer(4)), v);
  }
  return s.error();
}

void kb_db::drop_article_rows(const std::string& id) {
  auto it = article_index_.find(id);
  if (it == article_index_.end()) return;
  const auto article = it->second;
  articles_[article].live = false;
  for (std::size_t r = 0; r < rows_.size();) {
    if (rows_[r].article != article) {
      ++r;
      continue;
    }
    // Swap with the last row, then drop the last.
    const auto last = rows_.size() - 1;
    row_of_chunk_.erase(rows_[r].chunk_id);
    if (r != last) {
      rows_[r] = rows_[last];
      row_of_chunk_[rows_[r].chunk_id] = r;
      std::copy_n(matrix_.begin() + static_cast<std::ptrdiff_t>(last * dims_), dims_,
                  matrix_.begin() + static_cast<std::ptrdiff_t>(r * dims_));
    }
    rows_.pop_back();
    matrix_.resize(rows_.size() * dims_);
  }
}

// Deletes the article, its chunks and their keyword index entries (inside the caller's transaction); adds the
// number of chunks it had to `removed`.
std::string kb_db::remove_article(const std::string& id, std::int64_t& removed) {
  std::string error;
  auto count = db_->prepare("SELECT count(*) FROM chunks WHERE article = ?1", error);
  if (!error.empty()) return error;
  if (count.bind(1, id).step()) removed += count.integer(0);
  count.reset();
  auto unindex = db_->prepare(
      "INSERT INTO chunks_fts(chunks_fts, rowid, title, body) SELECT 'delete', id, title, body FROM chunks WHERE article = ?1",
      error);
  if (!error.empty()) return error;
  if (!unindex.bind(1, id).run()) return unindex.error();
  auto chunks = db_->prepare("DELETE FROM chunks WHERE article = ?1", error);
  if (!error.empty()) return error;
  if (!chunks.bind(1, id).run()) return chunks.error();
  auto article = db_->prepare("DELETE FROM articles WHERE id = ?1", error);
  if (!error.empty()) return error;
  if (!article.bind(1, id).run()) return article.error();
  return {};
}

kb_add_result kb_db::add(kb_article_input in, std::string& error) {
  kb_add_result out;
  const auto hash = sha256_hex(in.content);
  {
    auto s = db_->prepare("SELECT id, meta FROM articles WHERE content_hash = ?1", error);
    if (!error.empty()) return out;
    if (s.bind(1, hash).step()) {
      out.id = s.text(0);
      auto meta = nlohmann::json::parse(s.text(1), nullptr, false);
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
  if (!texts.empty() && !embed_->embed(texts, vectors, error)) {
    error = "embedding failed (" + model_ + "): " + error;
    return out;
  }
  auto wrapped = wrap_outside(in.content, in.source.empty() ? in.title : in.source);
  nlohmann::json meta{{"format", in.format}, {"bytes", in.content.size()}, {"flags", wrapped.flags},
                      {"tokens", estimate_tokens(in.content)}};
  out.id = "kb-" + hash.substr(0, 16);
  const auto now = now_ms();

  std::int64_t replaced_chunks = 0;
  if (auto err = db_->exec("BEGIN IMMEDIATE"); !err.empty()) {
    error = err;
    return out;
  }
  auto fail = [&](std::string why) {
    db_->exec("ROLLBACK");
    error = std::move(why);
    out = {};
    return out;
  };
  if (!in.source.empty()) {
    auto s = db_->prepare("SELECT id FROM articles WHERE source = ?1", error);
    if (!error.empty()) return fail(error);
    std::vector<std::string> older;
    s.bind(1, in.source);
    while (s.step()) older.push_back(s.text(0));
    for (auto& id : older) {
      if (auto err = remove_article(id, replaced_chunks); !err.empty()) return fail(err);
      out.replaced = id;
    }
  }
  auto ins = db_->prepare(
      "INSERT INTO articles (id, title, source, kind, brain, session, project, topic, tags, meta, content_hash, "
      "content, created_ms, updated_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?13)",
      error);
  if (!error.empty()) return fail(error);
  ins.bind(1, out.id).bind(2, in.title).bind(3, in.source).bind(4, in.kind).bind(5, in.brain).bind(6, in.session);
  ins.bind(7, in.project).bind(8, in.topic).bind(9, nlohmann::json(in.tags).dump()).bind(10, meta.dump());
  ins.bind(11, hash).bind(12, wrapped.text).bind(13, now);
  if (!ins.run()) return fail(ins.error());
  auto chunk = db_->prepare(
      "INSERT INTO chunks (article, seq, title, body, model, embedding) VALUES (?1, ?2, ?3, ?4, ?5, ?6)", error);
  auto index = db_->prepare("INSERT INTO chunks_fts(rowid, title, body) VALUES (?1, ?2, ?3)", error);
  if (!error.empty()) return fail(error);
  std::vector<std::int64_t> chunk_ids;
  for (std::size_t i = 0; i < bodies.size(); ++i) {
    chunk.bind(1, out.id).bind(2, static_cast<std::int64_t>(i)).bind(3, in.title).bind(4, bodies[i]).bind(5, model_);
    chunk.bind_blob(6, vectors[i].data(), vectors[i].size() * sizeof(float));
    if (!chunk.run()) return fail(chunk.error());
    chunk_ids.push_back(db_->last_insert_rowid());
    index.bind(1, chunk_ids.back()).bind(2, in.title).bind(3, bodies[i]);
    if (!index.run()) return fail(index.error());
  }
  if (auto err = db_->exec("COMMIT"); !err.empty()) return fail(err);
  // The index follows the file only once the file has it.
  if (!out.replaced.empty()) drop_article_rows(out.replaced);
  passages_ += static_cast<std::int64_t>(bodies.size()) - replaced_chunks;
  const auto article = intern_article(out.id, in.kind, in.project, now);
  for (std::size_t i = 0; i < chunk_ids.size(); ++i) add_row(chunk_ids[i], article, vectors[i]);
  out.added = true;
  out.chunks = bodies.size();
  out.flags = std::move(wrapped.flags);
  return out;
}

std::optional<kb_article> kb_db::get(const std::string& id, std::string& error) {
  auto s = db_->prepare(std::string{"SELECT "} + kArticleColumns +
                            ", a.content, (SELECT count(*) FROM chunks c WHERE c.article = a.id) FROM articles a WHERE a.id = ?1",
                        error);
  if (!error.empty()) return std::nullopt;
  if (!s.bind(1, id).step()) {
    error = s.error();
    return std::nullopt;
  }
  auto a = read_article(s);
  a.content = s.text(13);
  a.chunks = static_cast<std::size_t>(s.integer(14));
  return a;
}

bool kb_db::remove(const std::string& id, std::string& error) {
  {
    auto s = db_->prepare("SELECT 1 FROM articles WHERE id = ?1", error);
    if (!error.empty() || !s.bind(1, id).step()) return false;
  }
  if (auto err = db_->exec("BEGIN IMMEDIATE"); !err.empty()) {
    error = err;
    return false;
  }
  std::int64_t removed = 0;
  if (auto err = remove_article(id, removed); !err.empty()) {
    db_->exec("ROLLBACK");
    error = err;
    return false;
  }
  if (auto err = db_->exec("COMMIT"); !err.empty()) {
    db_->exec("ROLLBACK");
    error = err;
    return false;
  }
  drop_article_rows(id);
  passages_ -= removed;
  return true;
}

std::vector<kb_article> kb_db::list(int limit, const std::string& kind, std::string& error) {
  std::vector<kb_article> out;
  auto s = db_->prepare(std::string{"SELECT "} + kArticleColumns +
                            ", (SELECT count(*) FROM chunks c WHERE c.article = a.id) FROM articles a "
                            "WHERE ?1 = '' OR a.kind = ?1 ORDER BY a.updated_ms DESC, a.id LIMIT ?2",
                        error);
  if (!error.empty()) return out;
  s.bind(1, kind).bind(2, static_cast<std::int64_t>(limit));
  while (s.step()) {
    out.push_back(read_article(s));
    out.back().chunks = static_cast<std::size_t>(s.integer(13));
  }
  error = s.error();
  return out;
}

std::vector<kb_hit> kb_db::search(const kb_query& q, std::string& error) {
  std::vector<kb_hit> hits;
  const std::size_t k = static_cast<std::size_t>(std::max(1, q.k));
  const bool filtered = !q.kind.empty() || !q.project.empty();
  const std::size_t pool = std::max<std::size_t>(filtered ? 400 : 100, k * 10);
  auto allowed = [&](std::uint32_t article) {
    const auto& a = articles_[article];
    return a.live && (q.kind.empty() || a.kind == q.kind) && (q.project.empty() || a.project == q.project);
  };

  struct candidate {
    double vec = 0, kw = 0;
    bool has_vec = false;
  };
  std::unordered_map<std::int64_t, candidate> cands;

  // Keywords: bm25 over title and body.
  if (auto match = q.keyword_weight > 0 ? fts_query(q.text, error) : std::string{}; !match.empty()) {
    auto s = db_->prepare("SELECT rowid, -rank FROM chunks_fts WHERE chunks_fts MATCH ?1 ORDER BY rank LIMIT ?2", error);
    if (!error.empty()) return hits;
    s.bind(1, match).bind(2, static_cast<std::int64_t>(pool));
    double best = 0;
    while (s.step()) {
      const double score = s.real(1);
      best = std::max(best, score);
      cands[s.integer(0)].kw = score;
    }
    if (!s.error().empty()) {
      error = s.error();
      return hits;
    }
    if (best > 0)
      for (auto& [id, c] : cands) c.kw /= best;
  }
  if (!error.empty()) return hits;

  // Vectors: an exact scan of the matrix.
  std::vector<float> qv;
  if (q.vector_weight > 0 && !rows_.empty()) {
    std::vector<std::vector<float>> out;
    if (!embed_->embed({q.text}, out, error)) {
      error = "embedding the query failed (" + model_ + "): " + error;
      return hits;
    }
    qv = std::move(out.front());
  }
  if (qv.size() == dims_ && !rows_.empty()) {
    std::vector<std::pair<float, std::size_t>> scored;
    scored.reserve(rows_.size());
    for (std::size_t r = 0; r < rows_.size(); ++r)
      if (allowed(rows_[r].article)) scored.emplace_back(dot(qv.data(), &matrix_[r * dims_], dims_), r);
    const auto take = std::min(pool, scored.size());
    std::partial_sort(scored.begin(), scored.begin() + static_cast<std::ptrdiff_t>(take), scored.end(),
                      [](const auto& a, const auto& b) { return a.first > b.first; });
    for (std::size_t i = 0; i < take; ++i) {
      auto& c = cands[rows_[scored[i].second].chunk_id];
      c.vec = scored[i].first;
      c.has_vec = true;
    }
    // Keyword candidates get their similarity too.
    for (auto& [id, c] : cands)
      if (!c.has_vec)
        if (auto it = row_of_chunk_.find(id); it != row_of_chunk_.end()) {
          c.vec = dot(qv.data(), &matrix_[it->second * dims_], dims_);
          c.has_vec = true;
        }
  }
  if (cands.empty()) return hits;

  // What the candidates are, and the filters on their articles.
  std::vector<std::int64_t> ids;
  ids.reserve(cands.size());
  for (auto& [id, c] : cands) ids.push_back(id);
  auto s = db_->prepare(
      "SELECT c.id, c.seq, c.body, a.id, a.title, a.source, a.kind, a.project, a.brain, a.updated_ms FROM chunks c "
      "JOIN articles a ON a.id = c.article WHERE c.id IN (" + in_list(ids) + ")",
      error);
  if (!error.empty()) return hits;
  const auto now = now_ms();
  std::vector<std::pair<std::int64_t, kb_hit>> ranked;
  while (s.step()) {
    kb_hit h;
    h.chunk = static_cast<int>(s.integer(1));
    h.passage = s.text(2);
    h.article_id = s.text(3);
    h.title = s.text(4);
    h.source = s.text(5);
    h.kind = s.text(6);
    h.project = s.text(7);
    h.brain = s.text(8);
    h.updated_ms = s.integer(9);
    if ((!q.kind.empty() && h.kind != q.kind) || (!q.project.empty() && h.project != q.project)) continue;
    const auto& c = cands[s.integer(0)];
    h.vector_score = std::max(0.0, c.vec);
    h.keyword_score = c.kw;
    h.score = q.vector_weight * h.vector_score + q.keyword_weight * h.keyword_score;
    if (q.recency_half_life_days > 0) {
      const double age_days = std::max<double>(0, static_cast<double>(now - h.updated_ms) / 86'400'000.0);
      h.score *= std::pow(0.5, age_days / q.recency_half_life_days);
    }
    ranked.emplace_back(s.integer(0), std::move(h));
  }
  if (!s.error().empty()) {
    error = s.error();
    return hits;
  }
  std::sort(ranked.begin(), ranked.end(), [](const auto& a, const auto& b) {
    return a.second.score != b.second.score ? a.second.score > b.second.score : a.first < b.first;
  });
  if (q.per_article) {
    std::unordered_set<std::string> seen;
    ranked.erase(std::remove_if(ranked.begin(), ranked.end(),
                                [&](const auto& r) { return !seen.insert(r.second.article_id).second; }),
                 ranked.end());
  }

  if (q.mmr_lambda <= 0 || ranked.size() <= k) {
    for (std::size_t i = 0; i < std::min(k, ranked.size()); ++i) hits.push_back(std::move(ranked[i].second));
    return hits;
  }
  // MMR: each next passage maximises lambda * score - (1 - lambda) * its similarity to those already chosen.
  auto vector_of = [&](std::int64_t chunk) -> const float* {
    auto it = row_of_chunk_.find(chunk);
    return it == row_of_chunk_.end() ? nullptr : &matrix_[it->second * dims_];
  };
  std::vector<bool> taken(ranked.size(), false);
  std::vector<std::size_t> chosen;
  while (chosen.size() < k) {
    double best = -1e300;
    std::size_t pick = ranked.size();
    for (std::size_t i = 0; i < ranked.size(); ++i) {
      if (taken[i]) continue;
      double similarity = 0;
      if (const float* v = vector_of(ranked[i].first))
        for (auto j : chosen)
          if (const float* w = vector_of(ranked[j].first)) similarity = std::max<double>(similarity, dot(v, w, dims_));
      const double value = q.mmr_lambda * ranked[i].second.score - (1 - q.mmr_lambda) * similarity;
      if (value > best) {
        best = value;
        pick = i;
      }
    }
    if (pick == ranked.size()) break;
    taken[pick] = true;
    chosen.push_back(pick);
  }
  for (auto i : chosen) hits.push_back(std::move(ranked[i].second));
  return hits;
}

kb_stats kb_db::stats(std::string& error) {
  kb_stats st;
  st.model = model_;
  st.dimensions = dims_;
  auto one = [&](const std::string& sql, auto bind) -> std::int64_t {
    auto s = db_->prepare(sql, error);
    if (!error.empty()) return 0;
    bind(s);
    return s.step() ? s.integer(0) : 0;
  };
  auto none = [](sqlite_stmt&) {};
  st.articles = one("SELECT count(*) FROM articles", none);
  st.chunks = one("SELECT count(*) FROM chunks", none);
  st.bytes = one("SELECT page_count * page_size FROM pragma_page_count(), pragma_page_size()", none);
  st.pending_reembed = one("SELECT count(*) FROM chunks WHERE model != ?1", [&](sqlite_stmt& s) { s.bind(1, model_); });
  auto s = db_->prepare("SELECT kind, count(*) FROM articles GROUP BY kind", error);
  if (error.empty())
    while (s.step()) st.by_kind[s.text(0)] = s.integer(1);
  return st;
}

std::int64_t kb_db::reembed_step(std::size_t batch, std::string& error) {
  auto s = db_->prepare(
      "SELECT c.id, c.title, c.body, a.id, a.kind, a.project, a.updated_ms FROM chunks c JOIN articles a "
      "ON a.id = c.article WHERE c.model != ?1 ORDER BY c.id LIMIT ?2",
      error);
  if (!error.empty()) return -1;
  s.bind(1, model_).bind(2, static_cast<std::int64_t>(batch));
  struct pending {
    std::int64_t id;
    std::string text, article, kind, project;
    std::int64_t updated_ms;
  };
  std::vector<pending> todo;
  while (s.step())
    todo.push_back({s.integer(0), s.text(1) + "\n\n" + s.text(2), s.text(3), s.text(4), s.text(5), s.integer(6)});
  s.reset();
  if (!todo.empty()) {
    std::vector<std::string_view> texts;
    for (auto& t : todo) texts.push_back(t.text);
    std::vector<std::vector<float>> vectors;
    if (!embed_->embed(texts, vectors, error)) {
      error = "re-embedding failed (" + model_ + "): " + error;
      return -1;
    }
    if (auto err = db_->exec("BEGIN IMMEDIATE"); !err.empty()) {
      error = err;
      return -1;
    }
    auto up = db_->prepare("UPDATE chunks SET model = ?1, embedding = ?2 WHERE id = ?3", error);
    if (!error.empty()) {
      db_->exec("ROLLBACK");
      return -1;
    }
    for (std::size_t i = 0; i < todo.size(); ++i) {
      up.bind(1, model_).bind_blob(2, vectors[i].data(), vectors[i].size() * sizeof(float)).bind(3, todo[i].id);
      if (!up.run()) {
        error = up.error();
        db_->exec("ROLLBACK");
        return -1;
      }
    }
    if (auto err = db_->exec("COMMIT"); !err.empty()) {
      error = err;
      db_->exec("ROLLBACK");
      return -1;
    }
    for (std::size_t i = 0; i < todo.size(); ++i)
      add_row(todo[i].id, intern_article(todo[i].article, todo[i].kind, todo[i].project, todo[i].updated_ms), vectors[i]);
  }
  std::string err;
  auto left = db_->prepare("SELECT count(*) FROM chunks WHERE model != ?1", err);
  if (!err.empty()) return -1;
  left.bind(1, model_);
  return left.step() ? left.integer(0) : 0;
}

}  // namespace paios
