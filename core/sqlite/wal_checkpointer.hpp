#pragma once
// Checkpoints of a WAL database, on a thread of their own. SQLite checkpoints on the committing thread by
// default: every ~1000 pages one commit also copies the log into the file and syncs both, which made one task
// in a hundred wait milliseconds for its `accepted` (docs/benchmarks.md, issue 26). Here the writer's
// connection only says how long its log has grown (sqlite_db::checkpoint_in_background installs the hook), and
// this thread, on its own connection, runs PASSIVE checkpoints: they never block the writer or a reader, and
// they sync the files off the writer's thread. A log that grows past four times the threshold all the same
// (the thread cannot keep up) is checkpointed by the writer again, so the log stays bounded.
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <thread>

#include "messages/error.hpp"

struct sqlite3;

namespace paios {

class wal_checkpointer {
 public:
  // Opens a second connection to `file` (synchronous as the writer's, so that a checkpoint syncs as the writer's
  // would have) and starts the thread; fails with store_failed when the file cannot be opened.
  static expected<std::unique_ptr<wal_checkpointer>> start(const std::filesystem::path& file, bool synchronous_full,
                                                           std::int64_t pages);
  // Stops the thread after the checkpoint it is running, and closes its connection.
  ~wal_checkpointer();
  wal_checkpointer(const wal_checkpointer&) = delete;
  wal_checkpointer& operator=(const wal_checkpointer&) = delete;

  // From the writer, after each commit: the log holds `frames` pages. Returns true when the writer must
  // checkpoint itself (the log is past the hard limit).
  bool log_grew(std::int64_t frames);
  // Checkpoints run so far, for tests and `ai status`.
  std::int64_t completed() const;

 private:
  wal_checkpointer(sqlite3* db, std::int64_t pages);
  void run();

  sqlite3* db_;
  const std::int64_t pages_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  bool due_ = false;
  bool stopping_ = false;
  std::int64_t completed_ = 0;
  std::thread thread_;
};

}  // namespace paios
