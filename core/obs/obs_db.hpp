#pragma once
// The schema and queries of observability.sqlite: the events of every operation, indexed by trace, time,
// category (with time) and, through their trace, quality score; and the quality scores people give to
// tasks and routing decisions. Not thread-safe: the obs_store actor is its one owner.
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/obs/event_batch.hpp"
#include "messages/error.hpp"
#include "messages/event.hpp"

namespace paios {

class sqlite_db;
struct sqlite_schema;

// observability.sqlite's schema as numbered migrations (core/sqlite/migrations.hpp), the newest last.
const sqlite_schema& obs_db_schema();

class obs_db {
 public:
  // Opens or creates the file and its schema. Every call that can fail returns a status or an expected,
  // failed with store_failed and SQLite's message (open's names the file).
  static expected<std::unique_ptr<obs_db>> open(const std::filesystem::path& file, bool synchronous_full);
  ~obs_db();

  // Inserts the batch in one transaction and gives each event its seq; ok, or the error (nothing written).
  status insert(event_batch& batch);
  // Newest first.
  expected<std::vector<event_record>> query(const event_query& q);
  // Every event of one trace, oldest first.
  expected<std::vector<event_record>> trace(const trace_id& t);

  status save_score(const score_record& s);
  expected<std::optional<score_record>> score(const std::string& target);

  // Removes events older than `older_than_us` (those written before the first event at or after it: a long span
  // that ended later waits for a later prune), then the oldest ones until the events take at most `max_bytes`;
  // returns how many were removed (and frees their pages).
  expected<std::int64_t> prune(std::int64_t older_than_us, std::int64_t max_bytes);
  std::int64_t used_bytes();  // the pages in use
  std::int64_t event_count();

 private:
  obs_db() = default;
  std::unique_ptr<sqlite_db> db_;
  struct statements;
  std::unique_ptr<statements> st_;
};

}  // namespace paios
