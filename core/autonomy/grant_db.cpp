#include "core/autonomy/grant_db.hpp"

namespace paios::autonomy {
namespace {

// The primary key makes granting the same call twice in one scope a no-op (INSERT OR IGNORE).
constexpr const char* kSchema = R"(
CREATE TABLE IF NOT EXISTS grants(
  key TEXT NOT NULL, scope TEXT NOT NULL, scope_value TEXT NOT NULL, approval TEXT NOT NULL, time_ms INTEGER NOT NULL,
  PRIMARY KEY(key, scope, scope_value)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS patterns(
  key TEXT PRIMARY KEY, rule_json TEXT NOT NULL, approvals INTEGER NOT NULL, promoted INTEGER NOT NULL) WITHOUT ROWID;
)";

}  // namespace

expected<std::unique_ptr<grant_db>> grant_db::open(const std::filesystem::path& file) {
  std::unique_ptr<grant_db> g{new grant_db};
  g->file_ = file;
  auto db = sqlite_db::open(file, true);
  if (!db) return db.error();
  g->db_ = std::move(*db);
  if (auto st = g->db_->exec(kSchema); !st)
    return status{errc::store_failed, "cannot create the schema of " + file.string() + ": " + st.message()};
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
  return write("INSERT OR IGNORE INTO grants(key, scope, scope_value, approval, time_ms) VALUES(?1,?2,?3,?4,?5)",
               [&](sqlite_stmt& s) { s.bind(1, g.key).bind(2, g.scope).bind(3, g.scope_value).bind(4, g.approval).bind(5, g.time_ms); });
}

std::vector<grant> grant_db::all() {
  std::vector<grant> out;
  auto s = db_->prepare("SELECT key, scope, scope_value, approval, time_ms FROM grants");
  if (!s) return out;
  while (s->step()) out.push_back({s->text(0), s->text(1), s->text(2), s->text(3), s->integer(4)});
  return out;
}

status grant_db::put(const pattern_count& p) {
  return write("INSERT OR REPLACE INTO patterns(key, rule_json, approvals, promoted) VALUES(?1,?2,?3,?4)",
               [&](sqlite_stmt& s) { s.bind(1, p.key).bind(2, p.rule_json).bind(3, p.approvals).bind(4, std::int64_t{p.promoted ? 1 : 0}); });
}

std::vector<pattern_count> grant_db::patterns() {
  std::vector<pattern_count> out;
  auto s = db_->prepare("SELECT key, rule_json, approvals, promoted FROM patterns");
  if (!s) return out;
  while (s->step()) out.push_back({s->text(0), s->text(1), s->integer(2), s->integer(3) != 0});
  return out;
}

}  // namespace paios::autonomy
