#pragma once
// kb_db: the knowledge base in kb.sqlite (WAL, busy_timeout), and the search over it.
//   - articles: title, source, kind (document | learning | decision | note), the brain, session, project and
//     topic it came from, tags, a content hash (the same content is stored once), the content as stored:
//     wrapped in an outside-content envelope (core/content/envelope.hpp), with the envelope's injection flags
//     in its metadata;
//   - chunks: the passages of each article (core/kb/chunker.hpp), indexed for keywords by FTS5 (words as
//     written, bm25 with the title weighing twice the body; word forms meet in the vectors' stems and
//     trigrams) and for similarity by their embedding (float32, with the model that made it).
// Search merges both: each candidate's score is vector_weight * cosine + keyword_weight * (bm25 / best bm25
// among the candidates), optionally decayed by age and diversified by MMR; at most one passage per article by
// default. The keyword query leaves out words found in more than 5% of the passages (their document
// frequencies are kept in the terms table): they barely move bm25, and FTS5 would score every passage holding
// them; a query made only of such words is answered by the vectors alone. The vectors of the current model
// are in memory (core/kb/vector_index.hpp): scanned exactly up to `ann_threshold` passages, past it in an
// HNSW graph, built in the background by index_step() while the exact scan answers, and saved beside the
// database (kb.hnsw) so that the next open loads it instead of building it again.
// A change of embedding model leaves the old vectors in place; reembed_step() replaces them a batch at a
// time, and search uses the keywords of every chunk and the vectors already made meanwhile.
// Not thread-safe: the kb_store actor is its one owner.
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "messages/error.hpp"

namespace paios {

class embedder;
class sqlite_db;
class vector_index;
class hnsw_index;

struct kb_index_options {
  std::size_t ann_threshold = 20000;  // passages past which the HNSW graph replaces the exact scan; 0: never
  std::size_t hnsw_m = 16;
  std::size_t hnsw_ef_construction = 100;
  std::size_t hnsw_ef_search = 400;
};

struct kb_article_input {
  std::string title;
  std::string source;        // a path, a URL, "stdin", or "learning:<brain>/<session>"
  std::string kind = "document";
  std::string brain, session, project, topic;
  std::vector<std::string> tags;
  std::string format;        // text | markdown | html | pdf | docx: how the text was made
  std::string content;       // the plain text (not yet wrapped)
};

struct kb_add_result {
  std::string id;
  bool added = false;        // false: the same content was stored already, under `id`
  std::string replaced;      // the id of the older version from the same source, now removed
  std::size_t chunks = 0;
  std::vector<std::string> flags;  // what in the text reads like instructions to a model (envelope.hpp)
};

struct kb_article {
  std::string id, title, source, kind, brain, session, project, topic;
  std::vector<std::string> tags;
  std::string meta_json;     // {"format", "bytes", "flags": [...]}
  std::string content;       // as stored: in its envelope
  std::string content_hash;
  std::int64_t created_ms = 0, updated_ms = 0;
  std::size_t chunks = 0;
};

struct kb_query {
  std::string text;
  int k = 5;
  std::string kind;                  // "": any
  std::string project;               // "": any
  double vector_weight = 0.7;
  double keyword_weight = 0.3;
  double recency_half_life_days = 0; // 0: no decay
  double mmr_lambda = 0;             // 0: off; else relevance vs diversity, e.g. 0.7
  bool per_article = true;           // at most one passage per article
};

struct kb_hit {
  std::string article_id, title, source, kind, project, brain, passage;
  int chunk = 0;                     // the passage's place in its article
  double score = 0, vector_score = 0, keyword_score = 0;
  std::int64_t updated_ms = 0;
};

struct kb_stats {
  std::int64_t articles = 0, chunks = 0, bytes = 0;
  std::map<std::string, std::int64_t> by_kind;
  std::string model;
  std::size_t dimensions = 0;
  std::int64_t pending_reembed = 0;  // chunks whose vector is of another model, or missing
  std::string index;                 // "exact" or "hnsw"
  std::int64_t pending_index = 0;    // vectors still to be put in the HNSW graph being built
};

struct sqlite_schema;
// kb.sqlite's schema as numbered migrations (core/sqlite/migrations.hpp), the newest last.
const sqlite_schema& kb_db_schema();

class kb_db {
 public:
  // `embed` outlives the kb_db. Fails with store_failed when the file cannot be opened or is not a knowledge
  // base. Every call below that can fail returns a status or an expected, failed with store_failed and SQLite's
  // message, or with the embedder's code (brain_unavailable) when the embedding provider failed.
  static expected<std::unique_ptr<kb_db>> open(const std::filesystem::path& file, embedder& embed,
                                               kb_index_options index = {});
  ~kb_db();

  // Stores the article, or nothing when its content is already stored; on failure nothing is stored. Content
  // from a source stored before replaces that older version.
  expected<kb_add_result> add(kb_article_input in);
  expected<std::optional<kb_article>> get(const std::string& id);
  expected<bool> remove(const std::string& id);  // false: no such article
  expected<std::vector<kb_hit>> search(const kb_query& q);
  // The newest articles, for listing (content left empty).
  expected<std::vector<kb_article>> list(int limit, const std::string& kind);
  expected<kb_stats> stats();

  // Embeds up to `batch` chunks whose vector is missing or of another model; returns how many remain.
  expected<std::int64_t> reembed_step(std::size_t batch);
  // Puts up to `batch` vectors into the HNSW graph being built, and switches to it when it has them all;
  // returns how many remain (0: nothing to build). Saves the graph when it is done: a failure to save it
  // (store_failed) leaves the graph in use, and a later save_index() tries again.
  expected<std::int64_t> index_step(std::size_t batch);
  // Writes the HNSW graph beside the database when it changed since it was last written; fails with store_failed.
  status save_index();
  bool index_pending() const { return building_ != nullptr; }

 private:
  kb_db();
  struct article_meta {
    std::string id, kind, project;
    std::int64_t updated_ms = 0;
    bool live = true;
  };
  status load_vectors();
  status load_saved_index();
  std::uint32_t intern_article(const std::string& id, const std::string& kind, const std::string& project,
                               std::int64_t updated_ms);
  void put_vector(std::int64_t chunk_id, std::uint32_t article, const std::vector<float>& v);
  void drop_article_vectors(const std::string& id);
  void start_index_build();
  status bump_version();
  status remove_article(const std::string& id, std::int64_t& removed);
  status count_terms(const std::string& title, const std::vector<std::string>& bodies, int sign);
  expected<std::string> fts_query(const std::string& text);

  std::unique_ptr<sqlite_db> db_;
  embedder* embed_ = nullptr;
  std::string model_;
  std::size_t dims_ = 0;
  std::int64_t passages_ = 0;  // in the file, for telling common words
  std::filesystem::path index_file_;
  kb_index_options index_opts_;
  std::int64_t version_ = 0;        // of the stored vectors: bumped by every change to them
  std::int64_t saved_version_ = -1; // the version the saved graph holds
  std::unique_ptr<vector_index> index_;      // the current model's vectors
  std::unique_ptr<hnsw_index> building_;     // the graph being built from index_, if any
  std::vector<std::pair<std::int64_t, std::uint32_t>> build_queue_;  // what building_ has yet to take
  std::vector<article_meta> articles_;
  std::unordered_map<std::string, std::uint32_t> article_index_;
};

}  // namespace paios
