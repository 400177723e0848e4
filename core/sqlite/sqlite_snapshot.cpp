#include "core/sqlite/sqlite_snapshot.hpp"

#include <memory>
#include <string>

#include <sqlite3.h>

namespace paios {
namespace {

// How long the copy waits for a writer's lock (a checkpoint that truncates the log, a writer that holds the
// file in rollback mode) before it gives up: the stores' own busy timeout.
constexpr int kBusyTimeoutMs = 5000;
// integrity_check stops after this many findings: the first few say what is wrong.
constexpr int kMaxFindings = 5;

struct closer {
  void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};
using connection = std::unique_ptr<sqlite3, closer>;

status failed(const std::filesystem::path& file, const std::string& why) {
  return {errc::store_failed, file.string() + ": " + why};
}

expected<connection> open(const std::filesystem::path& file, int flags) {
  sqlite3* raw = nullptr;
  int rc = sqlite3_open_v2(file.c_str(), &raw, flags, nullptr);
  connection db{raw};
  if (rc != SQLITE_OK) return failed(file, raw ? sqlite3_errmsg(raw) : sqlite3_errstr(rc));
  sqlite3_busy_timeout(db.get(), kBusyTimeoutMs);
  return db;
}

// The first column of each row of `sql`, joined by "; ".
expected<std::string> column_text(sqlite3* db, const std::filesystem::path& file, const char* sql) {
  sqlite3_stmt* raw = nullptr;
  if (sqlite3_prepare_v2(db, sql, -1, &raw, nullptr) != SQLITE_OK) return failed(file, sqlite3_errmsg(db));
  std::unique_ptr<sqlite3_stmt, int (*)(sqlite3_stmt*)> stmt{raw, sqlite3_finalize};
  std::string out;
  int rc;
  while ((rc = sqlite3_step(raw)) == SQLITE_ROW) {
    if (!out.empty()) out += "; ";
    auto text = sqlite3_column_text(raw, 0);
    out += text ? reinterpret_cast<const char*>(text) : "";
  }
  if (rc != SQLITE_DONE) return failed(file, sqlite3_errmsg(db));
  return out;
}

}  // namespace

expected<std::int64_t> snapshot_database(const std::filesystem::path& from, const std::filesystem::path& to) {
  // Read-write without create: a log a crash left behind is recovered into the copy, and a missing file is an
  // error rather than a new empty database.
  auto source = open(from, SQLITE_OPEN_READWRITE);
  if (!source) return source.error();
  auto dest = open(to, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
  if (!dest) return dest.error();
  sqlite3_backup* copy = sqlite3_backup_init(dest->get(), "main", source->get(), "main");
  if (!copy) return failed(from, sqlite3_errmsg(dest->get()));
  // All pages in one step: one read transaction on the source, so the copy is one commit's state.
  int rc = sqlite3_backup_step(copy, -1);
  sqlite3_backup_finish(copy);
  if (rc != SQLITE_DONE) return failed(from, std::string{"online backup: "} + sqlite3_errstr(rc));
  if (char* err = nullptr; sqlite3_exec(dest->get(), "PRAGMA journal_mode=DELETE", nullptr, nullptr, &err) != SQLITE_OK) {
    std::string why = err ? err : "journal_mode";
    sqlite3_free(err);
    return failed(to, why);
  }
  auto version = column_text(dest->get(), to, "PRAGMA user_version");
  if (!version) return version.error();
  return std::stoll(version->empty() ? "0" : *version);
}

status check_database_integrity(const std::filesystem::path& file, integrity_depth depth) {
  auto db = open(file, SQLITE_OPEN_READONLY);
  if (!db) return db.error();
  const std::string pragma = depth == integrity_depth::full ? "integrity_check" : "quick_check";
  const std::string sql = "PRAGMA " + pragma + "(" + std::to_string(kMaxFindings) + ")";
  auto findings = column_text(db->get(), file, sql.c_str());
  if (!findings) return findings.error();
  if (*findings != "ok") return failed(file, pragma + ": " + *findings);
  return {};
}

}  // namespace paios
