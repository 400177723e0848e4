#include "core/sqlite/wal_checkpointer.hpp"

#include <sqlite3.h>
#include <pthread.h>

#include <string>

namespace paios {

expected<std::unique_ptr<wal_checkpointer>> wal_checkpointer::start(const std::filesystem::path& file,
                                                                     bool synchronous_full, std::int64_t pages) {
  sqlite3* raw = nullptr;
  int rc = sqlite3_open_v2(file.c_str(), &raw, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    std::string why = raw ? sqlite3_errmsg(raw) : "out of memory";
    sqlite3_close_v2(raw);
    return status{errc::store_failed, "cannot open " + file.string() + " for checkpoints: " + why};
  }
  const char* sync = synchronous_full ? "PRAGMA synchronous=FULL;" : "PRAGMA synchronous=NORMAL;";
  if (sqlite3_exec(raw, sync, nullptr, nullptr, nullptr) != SQLITE_OK) {
    std::string why = sqlite3_errmsg(raw);
    sqlite3_close_v2(raw);
    return status{errc::store_failed, "cannot configure " + file.string() + " for checkpoints: " + why};
  }
  return std::unique_ptr<wal_checkpointer>{new wal_checkpointer(raw, pages)};
}

wal_checkpointer::wal_checkpointer(sqlite3* db, std::int64_t pages) : db_(db), pages_(pages) {
  thread_ = std::thread([this] { run(); });
}

wal_checkpointer::~wal_checkpointer() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_one();
  thread_.join();
  // The writer's connection, closed after this one, checkpoints what is left and removes the log.
  sqlite3_close_v2(db_);
}

bool wal_checkpointer::log_grew(std::int64_t frames) {
  if (frames < pages_) return false;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    due_ = true;
  }
  wake_.notify_one();
  return frames >= 4 * pages_;
}

std::int64_t wal_checkpointer::completed() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return completed_;
}

void wal_checkpointer::run() {
  pthread_setname_np(pthread_self(), "paios.ckpt");
  std::unique_lock<std::mutex> lock(mutex_);
  for (;;) {
    wake_.wait(lock, [this] { return due_ || stopping_; });
    if (stopping_) return;
    due_ = false;
    lock.unlock();
    // PASSIVE: copies what no reader still needs, waits for nobody. SQLITE_BUSY (another checkpoint is
    // running, e.g. the writer's past the hard limit) is fine: the next nudge tries again.
    sqlite3_wal_checkpoint_v2(db_, nullptr, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
    lock.lock();
    ++completed_;
  }
}

}  // namespace paios
