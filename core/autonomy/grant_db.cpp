#include "core/autonomy/grant_db.hpp"

namespace paios::autonomy {
namespace {

// Version 0's tables, as the first files hold them; migrate() brings them to kVersion. The primary key makes
// one grant per call and scope.
constexpr const char* kSchema = R"(
CREATE TABLE IF NOT EXISTS grants(
  key TEXT NOT NULL, scope TEXT NOT NULL, scope_value TEXT NOT NULL, approval TEXT NOT NULL, time_ms INTEGER NOT NULL,
  PRIMARY KEY(key, scope, scope_value)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS patterns(
  key TEXT PRIMARY KEY, rule_json TEXT NOT NULL, approvals INTEGER NOT NULL, promoted INTEGER NOT NULL) WITHOUT ROWID;
)";

// Version 1: the content hashes of the scripts an approval ran ("" in rows of version 0: none known).
constexpr const char* kToVersion1 = R"(
ALTER TABLE grants ADD COLUMN scripts TEXT NOT NULL DEFAULT '';
ALTER TABLE patterns ADD COLUMN scripts TEXT NOT NULL DEFAULT '';
PRAGMA user_version = 1;
)";
constexpr std::int64_t kVersion = 1;

}  // namespace

expected<std::unique_ptr<grant_db>> grant_db::open(const std::filesystem::path& file) {
  std::unique_ptr<grant_db> g{new grant_db};
  g->file_ = file;
  auto db = sqlite_db::open(file, true);
  if (!db) return db.error();
  g->db_ = std::move(*db);
  if (auto st = g->migrate(); !st) return st;
  return g;
}

status grant_db::migrate() {
  auto fail = [&](const std::string& why) { return status{errc::store_failed, "cannot create the schema of " + file_.string() + ": " + why}; };
  std::int64_t version = 0;
  {  // the statement ends before the schema changes
    auto v = db_->prepare("PRAGMA user_version");
    if (!v) return fail(v.message());
    if (v->step()) version = v->integer(0);
  }
  if (version > kVersion)
    return fail("its schema is version " + std::to_string(version) + ", newer than this PAIOS's " + std::to_string(kVersion));
  if (version == kVersion) return {};
  // One transaction: a crash midway leaves version 0 whole, and the next start migrates again.
  auto st = db_->exec(std::string{"BEGIN IMMEDIATE;"} + kSchema + kToVersion1 + "COMMIT;");
  if (!st) {
    (void)db_->exec("ROLLBACK;");
    return fail(st.message());
  }
  return {};
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
