#include "core/kb/embed_cache.hpp"

#include <chrono>
#include <cstring>

#include "core/kb/sqlite_text.hpp"
#include "core/sqlite/sqlite_db.hpp"

namespace paios {
namespace {

constexpr std::int64_t kVersion = 1;

// The row id orders entries by insertion: eviction removes the smallest.
constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS vectors (
  id         INTEGER PRIMARY KEY,
  hash       TEXT NOT NULL,
  model      TEXT NOT NULL,
  vector     BLOB NOT NULL,
  created_ms INTEGER NOT NULL,
  UNIQUE (hash, model)
);
)sql";

std::int64_t now_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

}  // namespace

embed_cache::~embed_cache() = default;

std::unique_ptr<embed_cache> embed_cache::open(const std::filesystem::path& file, std::size_t max_entries,
                                               std::string& error) {
  std::unique_ptr<embed_cache> c{new embed_cache};
  c->file_ = file;
  c->max_entries_ = max_entries;
  c->db_ = kb_detail::open_text(file, error);
  if (!c->db_) return nullptr;
  {
    auto v = kb_detail::prepare_text(*c->db_, "PRAGMA user_version", error);
    if (!error.empty() || !v.step()) {
      error = "cannot read " + file.string() + ": " + (error.empty() ? v.error().message() : error);
      return nullptr;
    }
    const auto version = v.integer(0);
    if (version != 0 && version != kVersion) {
      error = file.string() + " is not an embedding cache this build knows (version " + std::to_string(version) +
              "); remove it";
      return nullptr;
    }
  }
  if (auto err = kb_detail::exec_text(*c->db_, std::string{kSchema} + "PRAGMA user_version = " + std::to_string(kVersion) + ";");
      !err.empty()) {
    error = "cannot create the schema of " + file.string() + ": " + err;
    return nullptr;
  }
  auto count = kb_detail::prepare_text(*c->db_, "SELECT count(*) FROM vectors", error);
  if (!error.empty() || !count.step()) {
    error = "cannot count the entries of " + file.string() + ": " + (error.empty() ? count.error().message() : error);
    return nullptr;
  }
  c->entries_ = count.integer(0);
  c->lookup_ = kb_detail::prepare_text(*c->db_, "SELECT vector FROM vectors WHERE hash = ?1 AND model = ?2", error);
  if (!error.empty()) {
    error = "cannot read " + file.string() + ": " + error;
    return nullptr;
  }
  return c;
}

std::optional<std::vector<float>> embed_cache::get(const std::string& hash, const std::string& model,
                                                   std::size_t dimensions, std::string& error) {
  auto& s = lookup_;
  s.bind(1, hash).bind(2, model);
  std::optional<std::vector<float>> out;
  if (s.step()) {
    auto blob = s.blob(0);
    if (blob.size() == dimensions * sizeof(float)) {  // else of another size: made again
      out.emplace(dimensions);
      std::memcpy(out->data(), blob.data(), blob.size());
    }
  } else {
    error = s.error().message();
  }
  s.reset();  // no read transaction left open between calls
  return out;
}

std::string embed_cache::put(const std::vector<std::string>& hashes, const std::string& model,
                             const std::vector<std::vector<float>>& vectors) {
  if (hashes.size() != vectors.size()) return "embed_cache::put: " + std::to_string(hashes.size()) + " keys for " +
                                              std::to_string(vectors.size()) + " vectors";
  if (hashes.empty()) return {};
  std::string error;
  if (auto err = kb_detail::exec_text(*db_, "BEGIN IMMEDIATE"); !err.empty()) return err;
  auto rollback = [&](std::string why) {
    kb_detail::exec_text(*db_, "ROLLBACK");
    return why;
  };
  auto insert = kb_detail::prepare_text(*db_, 
      "INSERT OR IGNORE INTO vectors (hash, model, vector, created_ms) VALUES (?1, ?2, ?3, ?4)", error);
  auto update = kb_detail::prepare_text(*db_, "UPDATE vectors SET vector = ?3 WHERE hash = ?1 AND model = ?2", error);
  if (!error.empty()) return rollback(error);
  const auto now = now_ms();
  std::int64_t added = 0;
  for (std::size_t i = 0; i < hashes.size(); ++i) {
    const auto bytes = vectors[i].size() * sizeof(float);
    insert.bind(1, hashes[i]).bind(2, model).bind_blob(3, vectors[i].data(), bytes).bind(4, now);
    if (!insert.run()) return rollback(insert.error().message());
    if (db_->changes() > 0) {
      ++added;
      continue;
    }
    update.bind(1, hashes[i]).bind(2, model).bind_blob(3, vectors[i].data(), bytes);
    if (!update.run()) return rollback(update.error().message());
  }
  std::int64_t evicted = 0;
  const auto bound = static_cast<std::int64_t>(max_entries_);
  if (entries_ + added > bound) {
    auto evict = kb_detail::prepare_text(*db_, "DELETE FROM vectors WHERE id IN (SELECT id FROM vectors ORDER BY id LIMIT ?1)", error);
    if (!error.empty()) return rollback(error);
    evict.bind(1, entries_ + added - bound);
    if (!evict.run()) return rollback(evict.error().message());
    evicted = db_->changes();
  }
  if (auto err = kb_detail::exec_text(*db_, "COMMIT"); !err.empty()) return rollback(err);
  entries_ += added - evicted;
  return {};
}

}  // namespace paios
