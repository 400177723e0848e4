#pragma once
// embed_cache: vectors an embedding provider already made, keyed by (SHA-256 of the text, model), in an SQLite
// file of their own (WAL; float32 blobs), so that a text is sent to a provider once: the same passage added
// again, a query asked again, a switch back to a model used before, a daemon restarted. Bounded: beyond
// `max_entries` the oldest entries (by insertion) are removed.
//
// A cache is an optimisation: a failure to read or write it is reported and the caller goes on without it.
// Not thread-safe: one owner (the kb_store's embedder).
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/sqlite/sqlite_db.hpp"

namespace paios {

struct sqlite_schema;
// embed_cache.sqlite's schema as numbered migrations (core/sqlite/migrations.hpp), the newest last.
const sqlite_schema& embed_cache_schema();

class embed_cache {
 public:
  // Opens (creating) the file; fails with store_failed when it cannot be opened or is not a cache. Every call
  // below that can fail returns a status or an expected, failed with store_failed and SQLite's message.
  static expected<std::unique_ptr<embed_cache>> open(const std::filesystem::path& file, std::size_t max_entries);
  ~embed_cache();

  // The vector stored for (hash, model), if any with `dimensions` floats.
  expected<std::optional<std::vector<float>>> get(const std::string& hash, const std::string& model,
                                                  std::size_t dimensions);
  // Stores the vectors (hashes[i] -> vectors[i]) in one transaction, replacing equal keys, then evicts the oldest
  // entries beyond the bound; on failure nothing is stored (internal when there are not as many keys as vectors).
  status put(const std::vector<std::string>& hashes, const std::string& model,
             const std::vector<std::vector<float>>& vectors);
  std::int64_t size() const { return entries_; }
  const std::filesystem::path& file() const { return file_; }

 private:
  embed_cache() = default;
  std::unique_ptr<sqlite_db> db_;
  sqlite_stmt lookup_;  // prepared once: a batch looks up every text (declared after db_: finalized first)
  std::filesystem::path file_;
  std::size_t max_entries_ = 0;
  std::int64_t entries_ = 0;
};

}  // namespace paios
