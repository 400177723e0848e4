#pragma once
// A table row bound and read in one call, its fields in the order of the statement's parameters or columns:
// `bind_row(stmt, r.id, r.name, r.started_ms)` binds ?1, ?2, ?3, and `read_row(stmt, r.id, r.name,
// r.started_ms)` reads columns 0, 1, 2 of the current row. Each field goes by its type: a std::string as text,
// an integral type as an integer (read back with a static_cast), a double as a real. A field kept in another
// form (an enum stored as its name) is bound or read through a local string. run_statement and select_rows add
// the prepare, the error check and the loop over the rows that every one-off statement repeats.
#include <cstdint>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "core/sqlite/sqlite_db.hpp"

namespace paios {
namespace sqlite_row_detail {

inline void bind_one(sqlite_stmt& s, int i, std::string_view text) { s.bind(i, text); }
inline void bind_one(sqlite_stmt& s, int i, double value) { s.bind_real(i, value); }
template <class Int, std::enable_if_t<std::is_integral_v<Int>, int> = 0>
void bind_one(sqlite_stmt& s, int i, Int value) {
  s.bind(i, static_cast<std::int64_t>(value));
}

inline void read_one(const sqlite_stmt& s, int col, std::string& out) { out = s.text(col); }
inline void read_one(const sqlite_stmt& s, int col, double& out) { out = s.real(col); }
template <class Int, std::enable_if_t<std::is_integral_v<Int>, int> = 0>
void read_one(const sqlite_stmt& s, int col, Int& out) {
  out = static_cast<Int>(s.integer(col));
}

}  // namespace sqlite_row_detail

// Binds `values` to the parameters ?1, ?2, ... in order; returns the statement, so that run() can follow.
template <class... Values>
sqlite_stmt& bind_row(sqlite_stmt& s, const Values&... values) {
  int i = 1;
  (sqlite_row_detail::bind_one(s, i++, values), ...);
  return s;
}

// Reads columns 0, 1, ... of the current row into `fields` in order.
template <class... Fields>
void read_row(const sqlite_stmt& s, Fields&... fields) {
  int col = 0;
  (sqlite_row_detail::read_one(s, col++, fields), ...);
}

// Prepares `sql`, binds `values` and runs it to the end: ok, or the error.
template <class... Values>
status run_statement(sqlite_db& db, std::string_view sql, const Values&... values) {
  auto stmt = db.prepare(sql);
  if (!stmt) return stmt.error();
  bind_row(*stmt, values...);
  return stmt->run();
}

// Steps a prepared statement, already bound, through its results, making a row of each with `read` (a function
// of the statement), then resets it for its next use: the rows, or the error.
template <class Read>
auto step_rows(sqlite_stmt& stmt, Read read)
    -> expected<std::vector<std::decay_t<std::invoke_result_t<Read, const sqlite_stmt&>>>> {
  std::vector<std::decay_t<std::invoke_result_t<Read, const sqlite_stmt&>>> out;
  while (stmt.step()) out.push_back(read(stmt));
  status failed = stmt.error();
  stmt.reset();
  if (!failed) return failed;
  return out;
}

// Prepares `sql`, binds `values` and makes a row of each result with `read`: the rows, or the error.
template <class Read, class... Values>
auto select_rows(sqlite_db& db, std::string_view sql, Read read, const Values&... values)
    -> expected<std::vector<std::decay_t<std::invoke_result_t<Read, const sqlite_stmt&>>>> {
  auto stmt = db.prepare(sql);
  if (!stmt) return stmt.error();
  bind_row(*stmt, values...);
  return step_rows(*stmt, read);
}

}  // namespace paios
