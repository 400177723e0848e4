#include "core/alerts/alert_book.hpp"

#include <nlohmann/json.hpp>

#include "core/sqlite/migrations.hpp"
#include "core/sqlite/sqlite_db.hpp"
#include "core/sqlite/sqlite_row.hpp"

namespace paios {
namespace {

// Migration 1. One row per alert. The index finds the open alert of a kind and key (dedupe) and the last delivery about
// them (rate limit) without a scan; alerts are few, but a check runs every few seconds for months.
constexpr const char* kSchema = R"(
CREATE TABLE IF NOT EXISTS alerts(
  id INTEGER PRIMARY KEY AUTOINCREMENT, kind TEXT NOT NULL, key TEXT NOT NULL, severity TEXT NOT NULL,
  title TEXT NOT NULL, detail TEXT NOT NULL, lasting INTEGER NOT NULL, first_ms INTEGER NOT NULL,
  last_ms INTEGER NOT NULL, count INTEGER NOT NULL, acked_ms INTEGER NOT NULL DEFAULT 0,
  resolved_ms INTEGER NOT NULL DEFAULT 0, delivered_ms INTEGER NOT NULL DEFAULT 0);
CREATE INDEX IF NOT EXISTS alerts_by_key ON alerts(kind, key, resolved_ms);
)";

constexpr const char* kColumns =
    "id, kind, key, severity, title, detail, lasting, first_ms, last_ms, count, acked_ms, resolved_ms, delivered_ms";

alert_record read_alert(const sqlite_stmt& s) {
  alert_record a;
  std::int64_t lasting = 1;
  read_row(s, a.id, a.kind, a.key, a.severity, a.title, a.detail, lasting, a.first_ms, a.last_ms, a.count, a.acked_ms,
           a.resolved_ms, a.delivered_ms);
  a.lasting = lasting != 0;
  return a;
}

}  // namespace

const sqlite_schema& alert_book_schema() {
  static const sqlite_schema schema{"alerts", {{1, "alerts", kSchema, {}}}};
  return schema;
}

nlohmann::json to_json(const alert_record& a) {
  return {{"id", a.id},           {"kind", a.kind},         {"key", a.key},
          {"severity", a.severity}, {"title", a.title},     {"detail", a.detail},
          {"lasting", a.lasting}, {"first_ms", a.first_ms}, {"last_ms", a.last_ms},
          {"count", a.count},     {"acknowledged", a.acknowledged()}, {"acked_ms", a.acked_ms},
          {"open", a.open()},     {"resolved_ms", a.resolved_ms}, {"delivered_ms", a.delivered_ms}};
}

alert_book::~alert_book() = default;

expected<std::unique_ptr<alert_book>> alert_book::open(const std::filesystem::path& file, std::int64_t min_interval_ms) {
  std::unique_ptr<alert_book> b{new alert_book};
  b->file_ = file;
  b->min_interval_ms_ = min_interval_ms;
  auto db = open_migrated(file, alert_book_schema(), false);
  if (!db) return db.error();
  b->db_ = std::move(*db);
  return b;
}

expected<alert_record> alert_book::get(std::int64_t id) {
  auto rows = select_rows(*db_, std::string{"SELECT "} + kColumns + " FROM alerts WHERE id = ?1", read_alert, id);
  if (!rows) return rows.error();
  if (rows->empty()) return status{errc::not_found, "no alert " + std::to_string(id)};
  return rows->front();
}

expected<alert_raised> alert_book::observe(const alert_observation& o, std::int64_t now_ms) {
  alert_raised r;
  // The open alert of this kind and key; an acknowledged event is closed already (acknowledge resolves it).
  auto open = select_rows(*db_, std::string{"SELECT "} + kColumns +
                                    " FROM alerts WHERE kind = ?1 AND key = ?2 AND resolved_ms = 0 ORDER BY id DESC LIMIT 1",
                          read_alert, o.kind, o.key);
  if (!open) return open.error();
  if (!open->empty()) {
    r.alert = open->front();
    if (auto st = run_statement(*db_,
                                "UPDATE alerts SET count = count + 1, last_ms = ?2, severity = ?3, title = ?4, detail = ?5 "
                                "WHERE id = ?1",
                                r.alert.id, now_ms, o.severity, o.title, o.detail);
        !st)
      return st;
  } else {
    if (auto st = run_statement(*db_,
                                "INSERT INTO alerts(kind, key, severity, title, detail, lasting, first_ms, last_ms, count) "
                                "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7, 1)",
                                o.kind, o.key, o.severity, o.title, o.detail, std::int64_t{o.lasting ? 1 : 0}, now_ms);
        !st)
      return st;
    r.opened = true;
    auto created = get(db_->last_insert_rowid());
    if (!created) return created.error();
    r.alert = *created;
  }
  if (!r.opened) {
    auto now = get(r.alert.id);
    if (!now) return now.error();
    r.alert = *now;
  }
  if (r.alert.acknowledged()) return r;
  // The rate limit is per kind and key, across alerts: a condition that clears and comes back is not told again
  // before the interval is over.
  auto last = select_rows(*db_, "SELECT COALESCE(MAX(delivered_ms), 0) FROM alerts WHERE kind = ?1 AND key = ?2",
                          [](const sqlite_stmt& s) { return s.integer(0); }, o.kind, o.key);
  if (!last) return last.error();
  const std::int64_t delivered = last->empty() ? 0 : last->front();
  r.due = delivered == 0 || now_ms - delivered >= min_interval_ms_;
  return r;
}

status alert_book::mark_delivered(std::int64_t id, std::int64_t now_ms) {
  return run_statement(*db_, "UPDATE alerts SET delivered_ms = ?2 WHERE id = ?1", id, now_ms);
}

expected<std::vector<alert_record>> alert_book::resolve_absent(const std::string& kind,
                                                               const std::set<std::string>& present,
                                                               std::int64_t now_ms) {
  auto open = select_rows(*db_, std::string{"SELECT "} + kColumns +
                                    " FROM alerts WHERE kind = ?1 AND resolved_ms = 0 AND lasting = 1",
                          read_alert, kind);
  if (!open) return open.error();
  std::vector<alert_record> resolved;
  for (auto& a : *open) {
    if (present.count(a.key)) continue;
    if (auto st = run_statement(*db_, "UPDATE alerts SET resolved_ms = ?2 WHERE id = ?1", a.id, now_ms); !st) return st;
    a.resolved_ms = now_ms;
    resolved.push_back(std::move(a));
  }
  return resolved;
}

expected<alert_record> alert_book::acknowledge(std::int64_t id, std::int64_t now_ms) {
  auto a = get(id);
  if (!a) return a.error();
  if (!a->acknowledged()) {
    // An event has no condition to clear: seen is done. A lasting condition stays open, muted, until it clears.
    auto st = a->lasting ? run_statement(*db_, "UPDATE alerts SET acked_ms = ?2 WHERE id = ?1", id, now_ms)
                         : run_statement(*db_,
                                         "UPDATE alerts SET acked_ms = ?2, resolved_ms = CASE resolved_ms WHEN 0 THEN ?2 "
                                         "ELSE resolved_ms END WHERE id = ?1",
                                         id, now_ms);
    if (!st) return st;
  }
  return get(id);
}

expected<std::vector<alert_record>> alert_book::list(bool resolved_too, int limit) {
  return select_rows(*db_,
                     std::string{"SELECT "} + kColumns + " FROM alerts" +
                         (resolved_too ? "" : " WHERE resolved_ms = 0") + " ORDER BY id DESC LIMIT ?1",
                     read_alert, std::int64_t{limit});
}

}  // namespace paios
