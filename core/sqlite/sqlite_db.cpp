#include "core/sqlite/sqlite_db.hpp"

#include <sqlite3.h>

#include "core/sqlite/wal_checkpointer.hpp"

namespace paios {

sqlite_stmt::sqlite_stmt(sqlite_stmt&& other) noexcept
    : db_(other.db_), stmt_(other.stmt_), error_(std::move(other.error_)) {
  other.stmt_ = nullptr;
}

sqlite_stmt& sqlite_stmt::operator=(sqlite_stmt&& other) noexcept {
  if (this != &other) {
    sqlite3_finalize(stmt_);
    db_ = other.db_;
    stmt_ = other.stmt_;
    error_ = std::move(other.error_);
    other.stmt_ = nullptr;
  }
  return *this;
}

sqlite_stmt::~sqlite_stmt() { sqlite3_finalize(stmt_); }

sqlite_stmt& sqlite_stmt::bind(int i, std::string_view text) {
  // An empty view may have no data pointer, which SQLite would store as NULL: bind "" instead.
  sqlite3_bind_text(stmt_, i, text.data() ? text.data() : "", static_cast<int>(text.size()), SQLITE_TRANSIENT);
  return *this;
}

sqlite_stmt& sqlite_stmt::bind_static(int i, std::string_view text) {
  sqlite3_bind_text(stmt_, i, text.data() ? text.data() : "", static_cast<int>(text.size()), SQLITE_STATIC);
  return *this;
}

sqlite_stmt& sqlite_stmt::bind(int i, std::int64_t value) {
  sqlite3_bind_int64(stmt_, i, value);
  return *this;
}

sqlite_stmt& sqlite_stmt::bind_real(int i, double value) {
  sqlite3_bind_double(stmt_, i, value);
  return *this;
}

sqlite_stmt& sqlite_stmt::bind_null(int i) {
  sqlite3_bind_null(stmt_, i);
  return *this;
}

sqlite_stmt& sqlite_stmt::bind_blob(int i, const void* data, std::size_t bytes) {
  sqlite3_bind_blob64(stmt_, i, data, bytes, SQLITE_TRANSIENT);
  return *this;
}

bool sqlite_stmt::step() {
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc != SQLITE_DONE) error_ = {errc::store_failed, sqlite3_errmsg(db_)};
  return false;
}

status sqlite_stmt::run() {
  error_ = {};
  while (step()) {
  }
  reset();
  return error_;
}

void sqlite_stmt::reset() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

std::string sqlite_stmt::text(int col) const {
  auto p = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, col));
  return p ? std::string(p, static_cast<std::size_t>(sqlite3_column_bytes(stmt_, col))) : std::string{};
}

std::int64_t sqlite_stmt::integer(int col) const { return sqlite3_column_int64(stmt_, col); }
double sqlite_stmt::real(int col) const { return sqlite3_column_double(stmt_, col); }

std::string_view sqlite_stmt::blob(int col) const {
  auto p = static_cast<const char*>(sqlite3_column_blob(stmt_, col));
  return p ? std::string_view(p, static_cast<std::size_t>(sqlite3_column_bytes(stmt_, col))) : std::string_view{};
}

expected<std::unique_ptr<sqlite_db>> sqlite_db::open(const std::filesystem::path& file, bool synchronous_full,
                                                     std::string_view before_wal) {
  sqlite3* raw = nullptr;
  int rc = sqlite3_open_v2(file.c_str(), &raw, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                           nullptr);
  std::unique_ptr<sqlite_db> db{new sqlite_db(raw, file, synchronous_full)};
  if (rc != SQLITE_OK) {
    return status{errc::store_failed,
                  "cannot open " + file.string() + ": " + (raw ? sqlite3_errmsg(raw) : "out of memory")};
  }
  sqlite3_busy_timeout(raw, 5000);
  if (!before_wal.empty())
    if (auto st = db->exec(before_wal); !st)
      return status{errc::store_failed, "cannot configure " + file.string() + ": " + st.message()};
  // WAL: readers never block the writer. synchronous=NORMAL survives a crash of this process (kill -9);
  // FULL also survives a crash of the machine, at the cost of an fsync per commit.
  std::string pragmas = "PRAGMA journal_mode=WAL; PRAGMA foreign_keys=ON; PRAGMA synchronous=";
  pragmas += synchronous_full ? "FULL;" : "NORMAL;";
  if (auto st = db->exec(pragmas); !st)
    return status{errc::store_failed, "cannot configure " + file.string() + ": " + st.message()};
  return db;
}

sqlite_db::sqlite_db(sqlite3* db, std::filesystem::path file, bool synchronous_full)
    : db_(db), file_(std::move(file)), synchronous_full_(synchronous_full) {}

sqlite_db::~sqlite_db() {
  checkpointer_.reset();  // first: the last connection to close checkpoints the rest and removes the log
  sqlite3_close_v2(db_);
}

status sqlite_db::checkpoint_in_background(std::int64_t pages) {
  auto started = wal_checkpointer::start(file_, synchronous_full_, pages);
  if (!started) return started.error();
  checkpointer_ = std::move(*started);
  // Replaces SQLite's own hook, the one that checkpointed on this thread (sqlite3_wal_autocheckpoint).
  sqlite3_wal_hook(db_, &sqlite_db::on_commit, this);
  return {};
}

int sqlite_db::on_commit(void* self, sqlite3* db, const char* schema, int frames) {
  if (static_cast<sqlite_db*>(self)->checkpointer_->log_grew(frames))
    sqlite3_wal_checkpoint_v2(db, schema, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
  return SQLITE_OK;
}

std::int64_t sqlite_db::background_checkpoints() const { return checkpointer_ ? checkpointer_->completed() : 0; }

void sqlite_db::set_busy_timeout(std::chrono::milliseconds wait) {
  sqlite3_busy_timeout(db_, static_cast<int>(wait.count()));
}

status sqlite_db::exec(std::string_view sql) {
  char* msg = nullptr;
  std::string text{sql};
  if (sqlite3_exec(db_, text.c_str(), nullptr, nullptr, &msg) == SQLITE_OK) return {};
  std::string err = msg ? msg : "unknown error";
  sqlite3_free(msg);
  return {errc::store_failed, std::move(err)};
}

expected<sqlite_stmt> sqlite_db::prepare(std::string_view sql) {
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT, &stmt,
                         nullptr) != SQLITE_OK) {
    sqlite3_finalize(stmt);
    return status{errc::store_failed, sqlite3_errmsg(db_)};
  }
  return sqlite_stmt{db_, stmt};
}

std::int64_t sqlite_db::changes() const { return sqlite3_changes(db_); }
std::int64_t sqlite_db::last_insert_rowid() const { return sqlite3_last_insert_rowid(db_); }

}  // namespace paios
