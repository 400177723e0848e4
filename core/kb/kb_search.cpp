// kb_db's search: the keyword query (FTS5), the merge of keyword and vector candidates, recency decay and MMR.
// kb_db.hpp states what search promises; storage and the vector index are in kb_db.cpp.
#include <algorithm>
#include <cmath>
#include <unordered_map>
#include <unordered_set>

#include "core/kb/chunker.hpp"
#include "core/kb/embedder.hpp"
#include "core/kb/kb_db.hpp"
#include "core/kb/vector_index.hpp"
#include "core/sqlite/sqlite_db.hpp"
#include "core/sqlite/sqlite_row.hpp"
#include "messages/ids.hpp"

namespace paios {
namespace {

// A word in more than this share of the passages is "common": it barely moves bm25 (its inverse document
// frequency is near zero), yet FTS5 must score every passage that holds it before it can keep the best ten.
constexpr double kCommonShare = 0.05;
constexpr std::int64_t kCommonFloor = 50;  // in a small knowledge base no word is common
// The keyword query's words together are in at most this many passages (FTS5 scores each of them), but for
// the rarest word, which is kept when it alone is within it.
constexpr std::int64_t kScoringBudget = 3000;

// How many keyword candidates to ask for: more under a filter, which FTS5 cannot apply itself.
std::size_t filtered_pool(std::size_t pool, const tag_filter& allowed) { return allowed.empty() ? pool : pool * 4; }

std::string in_list(const std::vector<std::int64_t>& ids) {
  std::string s;
  for (auto id : ids) s += (s.empty() ? "" : ",") + std::to_string(id);
  return s;
}

// A candidate passage, scored, before its text is read.
struct ranked_entry {
  std::int64_t id;
  double score, vec, kw;
  std::uint32_t article;
};

// How much a score keeps at `age_ms`: half of it every `half_life_days`. A date in the future counts as now.
double recency_factor(std::int64_t age_ms, double half_life_days) {
  const double age_days = std::max<double>(0, static_cast<double>(age_ms) / 86'400'000.0);
  return std::pow(0.5, age_days / half_life_days);
}

// The places in `ranked` (best first) of the passages to return: the first `k`, or with `mmr_lambda` > 0
// (and more than `k` to choose from), by MMR: each next passage maximises
// lambda * score - (1 - lambda) * its similarity to those already chosen.
std::vector<std::size_t> choose_passages(const std::vector<ranked_entry>& ranked, std::size_t k, double mmr_lambda,
                                         const vector_index& index, std::size_t dims) {
  std::vector<std::size_t> chosen;
  if (mmr_lambda <= 0 || ranked.size() <= k) {
    for (std::size_t i = 0; i < std::min(k, ranked.size()); ++i) chosen.push_back(i);
    return chosen;
  }
  std::vector<bool> taken(ranked.size(), false);
  while (chosen.size() < k) {
    double best = -1e300;
    std::size_t pick = ranked.size();
    for (std::size_t i = 0; i < ranked.size(); ++i) {
      if (taken[i]) continue;
      double similarity = 0;
      if (const float* v = index.find(ranked[i].id))
        for (auto j : chosen)
          if (const float* w = index.find(ranked[j].id)) similarity = std::max<double>(similarity, dot(v, w, dims));
      const double value = mmr_lambda * ranked[i].score - (1 - mmr_lambda) * similarity;
      if (value > best) {
        best = value;
        pick = i;
      }
    }
    if (pick == ranked.size()) break;
    taken[pick] = true;
    chosen.push_back(pick);
  }
  return chosen;
}

}  // namespace

// The user's words as an FTS5 query: each one quoted (so that nothing in it is FTS syntax), any may match.
// English stop words are left out ("how does failover work" looks for "failover"), and so are the words
// common in this knowledge base but for the rarest: words are taken rarest first while the passages holding
// them stay within the scoring budget. When even the rarest word is in more passages than that, the vectors
// answer alone. The vector half still reads the whole query.
expected<std::string> kb_db::fts_query(const std::string& text) {
  struct term {
    std::string word;
    std::int64_t docs;
  };
  std::vector<term> terms;
  std::unordered_set<std::string> seen;
  auto df = db_->prepare("SELECT docs FROM terms WHERE term = ?1");
  if (!df) return df.error();
  for (auto& w : lexical_words(text)) {
    if (is_stopword(w) || !seen.insert(w).second) continue;
    df->bind(1, w);
    const std::int64_t docs = df->step() ? df->integer(0) : 0;
    df->reset();
    terms.push_back({w, docs});
  }
  if (terms.empty()) return std::string{};
  // The rarest words first, while the passages holding them stay within what is cheap to score.
  std::sort(terms.begin(), terms.end(), [](const term& a, const term& b) { return a.docs < b.docs; });
  const auto common = std::max<std::int64_t>(kCommonFloor, static_cast<std::int64_t>(kCommonShare * static_cast<double>(passages_)));
  std::string q;
  std::int64_t scored = 0;
  for (std::size_t i = 0; i < terms.size(); ++i) {
    const auto& t = terms[i];
    if (t.docs > kScoringBudget || (i > 0 && (t.docs > common || scored + t.docs > kScoringBudget))) break;
    scored += t.docs;
    if (!q.empty()) q += " OR ";
    q += '"' + t.word + '"';
  }
  return q;
}

expected<std::vector<kb_hit>> kb_db::search(const kb_query& q) {
  std::vector<kb_hit> hits;
  const std::size_t k = static_cast<std::size_t>(std::max(1, q.k));
  const std::size_t pool = std::max<std::size_t>(100, k * 10);
  tag_filter allowed;
  if (!q.kind.empty() || !q.project.empty()) {
    allowed.assign(articles_.size(), 0);
    for (std::size_t a = 0; a < articles_.size(); ++a)
      allowed[a] = articles_[a].live && (q.kind.empty() || articles_[a].kind == q.kind) &&
                   (q.project.empty() || articles_[a].project == q.project);
  }

  constexpr std::uint32_t unknown = UINT32_MAX;
  struct candidate {
    double vec = 0, kw = 0;
    std::uint32_t article = unknown;
  };
  std::unordered_map<std::int64_t, candidate> cands;

  // Keywords: bm25 over title and body.
  auto match = q.keyword_weight > 0 ? fts_query(q.text) : std::string{};
  if (!match) return match.error();
  if (!match->empty()) {
    auto s = db_->prepare("SELECT rowid, -rank FROM chunks_fts WHERE chunks_fts MATCH ?1 ORDER BY rank LIMIT ?2");
    if (!s) return s.error();
    s->bind(1, *match).bind(2, static_cast<std::int64_t>(filtered_pool(pool, allowed)));
    double best = 0;
    while (s->step()) {
      const double score = s->real(1);
      best = std::max(best, score);
      cands[s->integer(0)].kw = score;
    }
    if (!s->error()) return s->error();
    if (best > 0)
      for (auto& [id, c] : cands) c.kw /= best;
  }

  // Vectors: the nearest passages, and the similarity of the keyword candidates.
  if (q.vector_weight > 0 && index_->size() > 0) {
    auto out = embed_->embed({q.text});
    if (!out) return status{out.code(), "embedding the query failed (" + model_ + "): " + out.message()};
    const auto& qv = out->front();
    if (qv.size() == dims_) {
      for (auto& [id, c] : cands)
        if (const float* v = index_->find(id)) {
          c.vec = dot(qv.data(), v, dims_);
          index_->tag_of(id, c.article);
        }
      for (auto& h : index_->nearest(qv.data(), pool, allowed)) {
        auto& c = cands[h.id];
        c.vec = h.score;
        index_->tag_of(h.id, c.article);
      }
    }
  }
  if (cands.empty()) return hits;

  // Keyword candidates without a vector (being re-embedded): their articles, from the file.
  std::vector<std::int64_t> unplaced;
  for (auto& [id, c] : cands)
    if (c.article == unknown) unplaced.push_back(id);
  if (!unplaced.empty()) {
    auto s = db_->prepare("SELECT c.id, a.id, a.kind, a.project, a.updated_ms FROM chunks c JOIN articles a ON a.id = c.article "
                          "WHERE c.id IN (" + in_list(unplaced) + ")");
    if (!s) return s.error();
    while (s->step()) cands[s->integer(0)].article = intern_article(s->text(1), s->text(2), s->text(3), s->integer(4));
  }

  // Ranked in memory; only the passages returned are read from the file.
  std::vector<ranked_entry> ranked;
  ranked.reserve(cands.size());
  const auto now = now_ms();
  for (auto& [id, c] : cands) {
    if (c.article == unknown || !articles_[c.article].live) continue;
    if (!allowed.empty() && (c.article >= allowed.size() || !allowed[c.article])) continue;
    const double vec = std::max(0.0, c.vec);
    double score = q.vector_weight * vec + q.keyword_weight * c.kw;
    if (q.recency_half_life_days > 0) score *= recency_factor(now - articles_[c.article].updated_ms, q.recency_half_life_days);
    ranked.push_back({id, score, vec, c.kw, c.article});
  }
  std::sort(ranked.begin(), ranked.end(), [](const ranked_entry& a, const ranked_entry& b) {
    return a.score != b.score ? a.score > b.score : a.id < b.id;
  });
  if (q.per_article) {
    std::unordered_set<std::uint32_t> seen;
    ranked.erase(std::remove_if(ranked.begin(), ranked.end(), [&](const ranked_entry& r) { return !seen.insert(r.article).second; }),
                 ranked.end());
  }

  const auto chosen = choose_passages(ranked, k, q.mmr_lambda, *index_, dims_);
  if (chosen.empty()) return hits;

  std::vector<std::int64_t> ids;
  for (auto i : chosen) ids.push_back(ranked[i].id);
  auto s = db_->prepare(
      "SELECT c.id, c.seq, c.body, a.id, a.title, a.source, a.kind, a.project, a.brain, a.updated_ms FROM chunks c "
      "JOIN articles a ON a.id = c.article WHERE c.id IN (" + in_list(ids) + ")");
  if (!s) return s.error();
  std::unordered_map<std::int64_t, kb_hit> read;
  while (s->step()) {
    std::int64_t chunk_id = 0;
    kb_hit h;
    read_row(*s, chunk_id, h.chunk, h.passage, h.article_id, h.title, h.source, h.kind, h.project, h.brain,
             h.updated_ms);
    read.emplace(chunk_id, std::move(h));
  }
  if (!s->error()) return s->error();
  for (auto i : chosen) {
    auto it = read.find(ranked[i].id);
    if (it == read.end()) continue;
    it->second.score = ranked[i].score;
    it->second.vector_score = ranked[i].vec;
    it->second.keyword_score = ranked[i].kw;
    hits.push_back(std::move(it->second));
  }
  return hits;
}

}  // namespace paios
