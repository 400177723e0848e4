#pragma once
// Internal to core/kb, until its own functions return status and expected: the SQLite layer's results as the
// error strings kb_db and embed_cache still pass around ("" for success). The texts are the layer's own.
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include "core/sqlite/sqlite_db.hpp"

namespace paios::kb_detail {

// The database (synchronous=NORMAL), or null with `error` set.
inline std::unique_ptr<sqlite_db> open_text(const std::filesystem::path& file, std::string& error) {
  auto db = sqlite_db::open(file, false);
  if (db) return std::move(*db);
  error = db.message();
  return nullptr;
}

// The statement, or an empty one with `error` set (its steps then fail, as an unprepared statement's did).
inline sqlite_stmt prepare_text(sqlite_db& db, std::string_view sql, std::string& error) {
  auto stmt = db.prepare(sql);
  if (stmt) return std::move(*stmt);
  error = stmt.message();
  return sqlite_stmt{};
}

inline std::string exec_text(sqlite_db& db, std::string_view sql) { return db.exec(sql).message(); }

}  // namespace paios::kb_detail
