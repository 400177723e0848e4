#pragma once
// A thin RAII layer over SQLite: one connection, prepared statements, errors as values (exceptions stay
// inside: every call that can fail returns a status or an expected, failed with store_failed and SQLite's
// message). Not thread-safe: one owner at a time.
#include <cstdint>
#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "messages/error.hpp"

struct sqlite3;
struct sqlite3_stmt;

namespace paios {

class wal_checkpointer;

class sqlite_stmt {
 public:
  sqlite_stmt() = default;
  sqlite_stmt(sqlite3* db, sqlite3_stmt* stmt) : db_(db), stmt_(stmt) {}
  sqlite_stmt(sqlite_stmt&& other) noexcept;
  sqlite_stmt& operator=(sqlite_stmt&& other) noexcept;
  ~sqlite_stmt();

  // Binding is 1-based, as in SQLite. Each returns *this so that calls chain.
  sqlite_stmt& bind(int i, std::string_view text);
  // The text is not copied: it must stay alive and unchanged until the statement is reset.
  sqlite_stmt& bind_static(int i, std::string_view text);
  sqlite_stmt& bind(int i, std::int64_t value);
  sqlite_stmt& bind_real(int i, double value);  // named apart: an int argument would fit both overloads
  sqlite_stmt& bind_null(int i);
  sqlite_stmt& bind_blob(int i, const void* data, std::size_t bytes);  // copied

  // Runs one step: true while a row is available; false when done. On error `error()` says why.
  bool step();
  // Steps to the end, then resets: ok, or the error.
  status run();
  void reset();

  std::string text(int col) const;
  std::int64_t integer(int col) const;
  double real(int col) const;
  // The column's bytes, valid until the next step or reset.
  std::string_view blob(int col) const;
  // Why the last step failed; ok when it did not.
  const status& error() const { return error_; }

 private:
  sqlite3* db_ = nullptr;
  sqlite3_stmt* stmt_ = nullptr;
  status error_;
};

class sqlite_db {
 public:
  // Opens (creating) the file in WAL mode with a busy timeout; fails with "cannot open FILE: ..." or "cannot
  // configure FILE: ...". `before_wal`: pragmas that only take effect on a new file before WAL mode (page_size,
  // auto_vacuum).
  static expected<std::unique_ptr<sqlite_db>> open(const std::filesystem::path& file, bool synchronous_full,
                                                   std::string_view before_wal = {});
  ~sqlite_db();

  // Runs one or more statements without results: ok, or the error.
  status exec(std::string_view sql);
  // Prepares a statement, or fails when the SQL is wrong.
  expected<sqlite_stmt> prepare(std::string_view sql);
  std::int64_t changes() const;
  // How long a statement waits for another connection's lock before it fails with "database is locked"
  // (5 s from open()).
  void set_busy_timeout(std::chrono::milliseconds wait);
  std::int64_t last_insert_rowid() const;
  // Checkpoints on a thread of their own (core/sqlite/wal_checkpointer.hpp) once the log holds `pages`
  // pages, instead of on the committing thread: for a writer whose commits someone waits for. Fails with
  // store_failed when the second connection cannot be opened (the writer then checkpoints as before).
  status checkpoint_in_background(std::int64_t pages);
  // Checkpoints the background thread has run (0 without one).
  std::int64_t background_checkpoints() const;

 private:
  sqlite_db(sqlite3* db, std::filesystem::path file, bool synchronous_full);
  static int on_commit(void* self, sqlite3* db, const char* schema, int frames);

  sqlite3* db_;
  std::filesystem::path file_;
  bool synchronous_full_;
  std::unique_ptr<wal_checkpointer> checkpointer_;  // closed before db_
};

}  // namespace paios
