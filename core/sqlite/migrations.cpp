#include "core/sqlite/migrations.hpp"

#include <algorithm>
#include <chrono>
#include <ctime>

#include "core/sqlite/sqlite_snapshot.hpp"

namespace paios {
namespace fs = std::filesystem;
namespace {

status newer_schema(const fs::path& file, std::int64_t version, std::int64_t latest) {
  return {errc::store_failed, file.string() + " has schema " + std::to_string(version) + "; this paiosd knows up to " +
                                  std::to_string(latest) + ": upgrade paiosd or restore a backup"};
}

// A schema whose numbers do not run 1..N is a bug in the store that declares it: refused before it touches a file.
status check_numbering(const sqlite_schema& schema) {
  for (std::size_t i = 0; i < schema.migrations.size(); ++i)
    if (schema.migrations[i].version != static_cast<std::int64_t>(i) + 1)
      return {errc::internal, "the " + schema.store + " schema's migration " + std::to_string(i + 1) + " is numbered " +
                                  std::to_string(schema.migrations[i].version)};
  return {};
}

expected<std::int64_t> single_integer(sqlite_db& db, std::string_view sql) {
  auto s = db.prepare(sql);
  if (!s) return s.error();
  if (!s->step()) return s->error() ? status{errc::store_failed, "no row from " + std::string{sql}} : s->error();
  return s->integer(0);
}

// "20261207T203324Z": UTC, sorts as it was taken, no characters a shell or a file system minds.
std::string utc_stamp() {
  const std::time_t now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm tm{};
  gmtime_r(&now, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y%m%dT%H%M%SZ", &tm);
  return buf;
}

// Removes the oldest copies of `store` in `dir` beyond kPreMigrateBackupsKept. Best effort: a copy that cannot be
// removed stays (it is only disk space), and the migration goes on.
void prune_backups(const fs::path& dir, const std::string& store) {
  std::vector<std::pair<fs::file_time_type, fs::path>> copies;
  std::error_code ec;
  const std::string prefix = store + "-";
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    const auto name = entry.path().filename().string();
    if (name.rfind(prefix, 0) == 0 && entry.path().extension() == ".sqlite")
      copies.emplace_back(entry.last_write_time(ec), entry.path());
  }
  if (copies.size() <= kPreMigrateBackupsKept) return;
  std::sort(copies.begin(), copies.end());
  for (std::size_t i = 0; i + kPreMigrateBackupsKept < copies.size(); ++i) fs::remove(copies[i].second, ec);
}

// The online copy of `file` taken before migrating it from `from` to `to`.
expected<fs::path> backup_before(const fs::path& file, const std::string& store, std::int64_t from, std::int64_t to) {
  const fs::path dir = file.parent_path() / "pre-migrate";
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return status{errc::store_failed, "cannot create " + dir.string() + ": " + ec.message()};
  const std::string name = store + "-" + std::to_string(from) + "-" + std::to_string(to) + "-" + utc_stamp();
  fs::path copy = dir / (name + ".sqlite");
  for (int n = 2; fs::exists(copy, ec); ++n) copy = dir / (name + "." + std::to_string(n) + ".sqlite");
  if (auto taken = snapshot_database(file, copy); !taken) {
    fs::remove(copy, ec);
    return taken.error();
  }
  prune_backups(dir, store);
  return copy;
}

// Migration `m` and its user_version in one transaction: all of it, or (rolled back) none.
status run_one(sqlite_db& db, const migration& m) {
  if (auto st = db.exec("BEGIN IMMEDIATE"); !st) return st;
  status st = db.exec(m.sql);
  if (st && m.apply) st = m.apply(db);
  if (st) st = db.exec("PRAGMA user_version = " + std::to_string(m.version));
  if (st) st = db.exec("COMMIT");
  if (!st) (void)db.exec("ROLLBACK");
  return st;
}

}  // namespace

expected<migration_plan> plan_migrations(const fs::path& file, const sqlite_schema& schema) {
  if (auto st = check_numbering(schema); !st) return st;
  migration_plan plan;
  plan.file = file;
  plan.to = schema.latest();
  std::error_code ec;
  plan.exists = fs::exists(file, ec);
  if (plan.exists) {
    auto version = database_version(file);
    if (!version) return status{errc::store_failed, "cannot read " + version.message()};
    plan.from = *version;
  }
  if (plan.from > plan.to) return newer_schema(file, plan.from, plan.to);
  for (auto v = plan.from; v < plan.to; ++v) plan.pending.push_back(&schema.migrations[static_cast<std::size_t>(v)]);
  return plan;
}

expected<std::int64_t> schema_version(sqlite_db& db) { return single_integer(db, "PRAGMA user_version"); }

status add_column(sqlite_db& db, std::string_view table, std::string_view column, std::string_view declaration) {
  {  // the statement ends before the table changes
    auto s = db.prepare("SELECT count(*) FROM pragma_table_info(?1) WHERE name = ?2");
    if (!s) return s.error();
    s->bind(1, table).bind(2, column);
    if (!s->step()) return s->error() ? status{errc::store_failed, "no row from pragma_table_info"} : s->error();
    if (s->integer(0) > 0) return {};
  }
  return db.exec("ALTER TABLE " + std::string{table} + " ADD COLUMN " + std::string{column} + " " + std::string{declaration});
}

expected<migration_report> migrate(sqlite_db& db, const fs::path& file, const sqlite_schema& schema) {
  if (auto st = check_numbering(schema); !st) return st;
  auto from = schema_version(db);
  if (!from) return status{errc::store_failed, "cannot read the schema version of " + file.string() + ": " + from.message()};
  migration_report report{*from, schema.latest(), {}};
  if (report.from > report.to) return newer_schema(file, report.from, report.to);
  if (report.from == report.to) return report;
  // A file with nothing in it (new, or made empty) has nothing a copy would keep.
  auto objects = single_integer(db, "SELECT count(*) FROM sqlite_master");
  if (!objects) return status{errc::store_failed, "cannot read the schema of " + file.string() + ": " + objects.message()};
  if (*objects > 0) {
    auto copy = backup_before(file, schema.store, report.from, report.to);
    if (!copy)
      return status{errc::store_failed, "cannot copy " + file.string() + " before migrating it (nothing was changed): " +
                                            copy.message()};
    report.backup = *copy;
  }
  for (auto v = report.from; v < report.to; ++v) {
    const auto& m = schema.migrations[static_cast<std::size_t>(v)];
    if (auto st = run_one(db, m); !st) {
      std::string msg = "cannot migrate " + file.string() + " from schema " + std::to_string(report.from) + " to " +
                        std::to_string(report.to) + ": migration " + std::to_string(m.version) + " (" + m.summary +
                        "): " + st.message() + "; " + file.filename().string() + " is at schema " + std::to_string(v);
      if (!report.backup.empty()) msg += " (a copy from before is " + report.backup.string() + ")";
      return status{errc::store_failed, std::move(msg)};
    }
  }
  return report;
}

expected<std::unique_ptr<sqlite_db>> open_migrated(const fs::path& file, const sqlite_schema& schema,
                                                   bool synchronous_full, std::string_view before_wal,
                                                   migration_report* report) {
  // First on a read-only connection: a newer file is refused before the read-write open switches its journal
  // mode or anything else is written to it.
  if (auto plan = plan_migrations(file, schema); !plan) return plan.error();
  auto db = sqlite_db::open(file, synchronous_full, before_wal);
  if (!db) return db.error();
  auto ran = migrate(**db, file, schema);
  if (!ran) return ran.error();
  if (report) *report = *ran;
  return db;
}

}  // namespace paios
