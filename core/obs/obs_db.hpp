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
#include "messages/event.hpp"

namespace paios {

class sqlite_db;

class obs_db {
 public:
  static std::unique_ptr<obs_db> open(const std::filesystem::path& file, bool synchronous_full, std::string& error);
  ~obs_db();

  // Inserts the batch in one transaction and gives each event its seq; "" or the error (nothing written).
  std::string insert(event_batch& batch);
  // Newest first.
  std::vector<event_record> query(const event_query& q, std::string& error);
  // Every event of one trace, oldest first.
  std::vector<event_record> trace(const trace_id& t, std::string& error);

  std::string save_score(const score_record& s);
  std::optional<score_record> score(const std::string& target, std::string& error);

  // Removes events older than `older_than_us`, then the oldest ones until the events take at most
  // `max_bytes`; returns how many were removed (and frees their pages).
  std::int64_t prune(std::int64_t older_than_us, std::int64_t max_bytes, std::string& error);
  std::int64_t used_bytes();  // the pages in use
  std::int64_t event_count();

 private:
  obs_db() = default;
  std::unique_ptr<sqlite_db> db_;
  struct statements;
  std::unique_ptr<statements> st_;
};

}  // namespace paios
