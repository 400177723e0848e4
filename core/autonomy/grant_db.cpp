#include "core/autonomy/grant_db.hpp"

#include "core/sqlite/migrations.hpp"

namespace paios::autonomy {
namespace {

// The tables as the first files (version 0, before the store counted) hold them. The primary key makes one grant
// per call and scope.
constexpr const char* kTables = R"(
CREATE TABLE IF NOT EXISTS grants(
  key TEXT NOT NULL, scope TEXT NOT NULL, scope_value TEXT NOT NULL, approval TEXT NOT NULL, time_ms INTEGER NOT NULL,
  PRIMARY KEY(key, scope, scope_value)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS patterns(
  key TEXT PRIMARY KEY, rule_json TEXT NOT NULL, approvals INTEGER NOT NULL, promoted INTEGER NOT NULL) WITHOUT ROWID;
)";

// The content hashes of the scripts an approval ran ("" in the rows of a version-0 file: none known).
status add_scripts(sqlite_db& db) {
  if (auto st = add_column(db, "grants", "scripts", "TEXT NOT NULL DEFAULT ''"); !st) return st;
  return add_column(db, "patterns", "scripts", "TEXT NOT NULL DEFAULT ''");
}

}  // namespace

const sqlite_schema& grant_db_schema() {
  static const sqlite_schema schema{"approvals", {{1, "grants, patterns, with the scripts each was given for", kTables, add_scripts}}};
  return schema;
}

expected<std::unique_ptr<grant_db>> grant_db::open(const std::filesystem::path& file) {
  std::unique_ptr<grant_db> g{new grant_db};
  g->file_ = file;
  auto db = open_migrated(file, grant_db_schema(), true);
  if (!db) return db.error();
  g->db_ = std::move(*db);
  return g;
}

status grant_db::write(std::string_view sql, const std::function<void(sqlite_stmt&)>& bind) {
  auto s = db_->prepare(sql);
  if (!s) return status{errc::store_failed, "cannot write " + file_.string() + ": " + s.message()};
  bind(*s);
  if (auto st = s->run(); !st) return status{errc::store_failed, "cannot write " + file_.string() + ": " + st.message()};
  return {};
}

status grant_db::add(const grant& g) {
  return write("INSERT OR REPLACE INTO grants(key, scope, scope_value, approval, time_ms, scripts) VALUES(?1,?2,?3,?4,?5,?6)",
               [&](sqlite_stmt& s) {
                 s.bind(1, g.key).bind(2, g.scope).bind(3, g.scope_value).bind(4, g.approval).bind(5, g.time_ms).bind(6, g.scripts);
               });
}

std::vector<grant> grant_db::all() {
  std::vector<grant> out;
  auto s = db_->prepare("SELECT key, scope, scope_value, approval, time_ms, scripts FROM grants");
  if (!s) return out;
  while (s->step()) out.push_back({s->text(0), s->text(1), s->text(2), s->text(3), s->integer(4), s->text(5)});
  return out;
}

status grant_db::put(const pattern_count& p) {
  return write("INSERT OR REPLACE INTO patterns(key, rule_json, approvals, promoted, scripts) VALUES(?1,?2,?3,?4,?5)",
               [&](sqlite_stmt& s) {
                 s.bind(1, p.key).bind(2, p.rule_json).bind(3, p.approvals).bind(4, std::int64_t{p.promoted ? 1 : 0}).bind(5, p.scripts);
               });
}

std::vector<pattern_count> grant_db::patterns() {
  std::vector<pattern_count> out;
  auto s = db_->prepare("SELECT key, rule_json, approvals, promoted, scripts FROM patterns");
  if (!s) return out;
  while (s->step()) out.push_back({s->text(0), s->text(1), s->integer(2), s->integer(3) != 0, s->text(4)});
  return out;
}

}  // namespace paios::autonomy
