#pragma once
// A store's schema as numbered migrations, and the one way every store's file is opened and brought up to date.
//
// A store declares migrations 1..N in order; migration k takes a file from schema version k-1 to k, and the
// file's `PRAGMA user_version` says how many have run (0: a new file, or one from before the store counted).
// Opening a file (open_migrated):
//   - reads its version on a read-only connection first: a version above N is refused with
//     "FILE has schema V; this paiosd knows up to N: upgrade paiosd or restore a backup", before anything is
//     written to it (the file keeps its bytes);
//   - when migrations are missing and the file holds anything, copies it with SQLite's online backup API to
//     `<the file's folder>/pre-migrate/<store>-<from>-<to>-<UTC time>.sqlite` (the newest kPreMigrateBackupsKept
//     of each store are kept);
//   - runs each missing migration in a transaction of its own that also sets user_version to its number: a
//     migration that fails rolls back to the version before it, and the open fails, naming the migration.
// Not thread-safe: like sqlite_db, one owner at a time; the file's owner is its only writer.
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/sqlite/sqlite_db.hpp"
#include "messages/error.hpp"

namespace paios {

// One step of a schema. `sql` runs as it is; `apply`, when set, runs after it, for what SQL alone cannot say
// (a column added only where it is missing, data recounted). Both run inside the migration's transaction and
// must not begin or commit one of their own.
struct migration {
  std::int64_t version = 0;  // the user_version the file has once this step ran: 1, 2, ...
  std::string summary;       // one line: what it changes (paiosd --migrate --dry-run lists it)
  std::string sql;
  std::function<status(sqlite_db&)> apply;
};

// A store's schema: its name ("state": messages and backup files say it) and its migrations, numbered 1..N
// without a gap (checked: a schema that breaks this is refused when a file is opened with it).
struct sqlite_schema {
  std::string store;
  std::vector<migration> migrations;
  // N: the version this build writes.
  std::int64_t latest() const { return static_cast<std::int64_t>(migrations.size()); }
};

// How many pre-migration copies of each store are kept (the oldest beyond are removed after a new one).
inline constexpr std::size_t kPreMigrateBackupsKept = 3;

// Where a file stands against its schema, read without changing it.
struct migration_plan {
  std::filesystem::path file;
  bool exists = false;        // false: the store creates it at the latest version when it first opens it
  std::int64_t from = 0;      // the file's user_version (0 when it is not there)
  std::int64_t to = 0;        // the schema's latest
  std::vector<const migration*> pending;  // from+1 .. to, pointing into the schema
};

// Reads `file`'s version on a read-only connection (a file that is not there is version 0, and is not created).
// Fails with store_failed: the newer-schema message above, or "cannot read FILE: why".
expected<migration_plan> plan_migrations(const std::filesystem::path& file, const sqlite_schema& schema);

// What a migration run did.
struct migration_report {
  std::int64_t from = 0, to = 0;
  std::filesystem::path backup;  // empty when none was needed (nothing to migrate, or a file with nothing in it)
};

// Brings the open `db` (of `file`) to the schema's latest version, as described at the top. Fails with
// store_failed: "cannot migrate FILE from schema A to B: migration K (summary): why; FILE is at schema K-1
// (a copy from before is BACKUP)", or the newer-schema message.
expected<migration_report> migrate(sqlite_db& db, const std::filesystem::path& file, const sqlite_schema& schema);

// The one way a store opens its file: the newer-schema check on a read-only connection, then
// sqlite_db::open(file, synchronous_full, before_wal), then migrate(). `report`, when given, says what ran.
expected<std::unique_ptr<sqlite_db>> open_migrated(const std::filesystem::path& file, const sqlite_schema& schema,
                                                   bool synchronous_full, std::string_view before_wal = {},
                                                   migration_report* report = nullptr);

// The schema's version of the database open in `db` (PRAGMA user_version).
expected<std::int64_t> schema_version(sqlite_db& db);

// Adds `table`.`column` with its `declaration` ("TEXT NOT NULL DEFAULT ''": the rows there are get the default)
// unless the table has that column already: for a migration whose files may have it (a number given twice).
status add_column(sqlite_db& db, std::string_view table, std::string_view column, std::string_view declaration);

}  // namespace paios
