#include "core/kb/embed_cache.hpp"

#include <chrono>
#include <cstring>

#include "core/sqlite/migrations.hpp"
#include "core/sqlite/sqlite_db.hpp"
#include "core/sqlite/sqlite_row.hpp"

namespace paios {
namespace {

// Migration 1. The row id orders entries by insertion: eviction removes the smallest.
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

const sqlite_schema& embed_cache_schema() {
  static const sqlite_schema schema{"embed_cache", {{1, "vectors", kSchema, {}}}};
  return schema;
}

embed_cache::~embed_cache() = default;

expected<std::unique_ptr<embed_cache>> embed_cache::open(const std::filesystem::path& file, std::size_t max_entries) {
  std::unique_ptr<embed_cache> c{new embed_cache};
  c->file_ = file;
  c->max_entries_ = max_entries;
  auto db = open_migrated(file, embed_cache_schema(), false);
  if (!db) return db.error();
  c->db_ = std::move(*db);
  auto count = c->db_->prepare("SELECT count(*) FROM vectors");
  if (!count || !count->step())
    return status{errc::store_failed,
                  "cannot count the entries of " + file.string() + ": " + (count ? count->error() : count.error()).message()};
  c->entries_ = count->integer(0);
  auto lookup = c->db_->prepare("SELECT vector FROM vectors WHERE hash = ?1 AND model = ?2");
  if (!lookup) return status{errc::store_failed, "cannot read " + file.string() + ": " + lookup.message()};
  c->lookup_ = std::move(*lookup);
  return c;
}

expected<std::optional<std::vector<float>>> embed_cache::get(const std::string& hash, const std::string& model,
                                                             std::size_t dimensions) {
  auto& s = lookup_;
  s.bind(1, hash).bind(2, model);
  std::optional<std::vector<float>> out;
  if (s.step()) {
    auto blob = s.blob(0);
    if (blob.size() == dimensions * sizeof(float)) {  // else of another size: made again
      out.emplace(dimensions);
      std::memcpy(out->data(), blob.data(), blob.size());
    }
  }
  status failed = s.error();
  s.reset();  // no read transaction left open between calls
  if (!failed) return failed;
  return out;
}

status embed_cache::put(const std::vector<std::string>& hashes, const std::string& model,
                        const std::vector<std::vector<float>>& vectors) {
  if (hashes.size() != vectors.size())
    return {errc::internal, "embed_cache::put: " + std::to_string(hashes.size()) + " keys for " +
                                std::to_string(vectors.size()) + " vectors"};
  if (hashes.empty()) return {};
  if (auto st = db_->exec("BEGIN IMMEDIATE"); !st) return st;
  auto rollback = [&](status why) {
    (void)db_->exec("ROLLBACK");
    return why;
  };
  auto insert = db_->prepare("INSERT OR IGNORE INTO vectors (hash, model, vector, created_ms) VALUES (?1, ?2, ?3, ?4)");
  if (!insert) return rollback(insert.error());
  auto update = db_->prepare("UPDATE vectors SET vector = ?3 WHERE hash = ?1 AND model = ?2");
  if (!update) return rollback(update.error());
  const auto now = now_ms();
  std::int64_t added = 0;
  for (std::size_t i = 0; i < hashes.size(); ++i) {
    const auto bytes = vectors[i].size() * sizeof(float);
    insert->bind(1, hashes[i]).bind(2, model).bind_blob(3, vectors[i].data(), bytes).bind(4, now);
    if (auto st = insert->run(); !st) return rollback(st);
    if (db_->changes() > 0) {
      ++added;
      continue;
    }
    update->bind(1, hashes[i]).bind(2, model).bind_blob(3, vectors[i].data(), bytes);
    if (auto st = update->run(); !st) return rollback(st);
  }
  std::int64_t evicted = 0;
  const auto bound = static_cast<std::int64_t>(max_entries_);
  if (entries_ + added > bound) {
    auto st = run_statement(*db_, "DELETE FROM vectors WHERE id IN (SELECT id FROM vectors ORDER BY id LIMIT ?1)",
                            entries_ + added - bound);
    if (!st) return rollback(st);
    evicted = db_->changes();
  }
  if (auto st = db_->exec("COMMIT"); !st) return rollback(st);
  entries_ += added - evicted;
  return {};
}

}  // namespace paios
