// Schema versions and migrations (core/sqlite/migrations.hpp) on real SQLite files: every earlier schema of every
// store (tests/data/schemas/*.sql, each the CREATE statements a past commit wrote, with rows in every table) is
// opened by its real store and comes out at the latest version, shaped as a new file is, with its rows as they
// were and a copy from before; a newer file is refused untouched; a migration that fails leaves the file as it
// was; old copies are pruned.
#include <gtest/gtest.h>

#include <fstream>
#include <map>

#include "core/alerts/alert_book.hpp"
#include "core/autonomy/grant_db.hpp"
#include "core/kb/embed_cache.hpp"
#include "core/kb/embedder.hpp"
#include "core/kb/kb_db.hpp"
#include "core/obs/obs_db.hpp"
#include "core/sqlite/migrations.hpp"
#include "core/sqlite/sqlite_row.hpp"
#include "core/state/state_db.hpp"
#include "tests/support/schema_fixtures.hpp"

namespace paios {
namespace {

namespace fs = std::filesystem;

std::vector<std::string> strings(sqlite_db& db, const std::string& sql) {
  auto rows = select_rows(db, sql, [](const sqlite_stmt& s) { return s.text(0); });
  EXPECT_TRUE(rows) << sql << ": " << rows.message();
  return rows ? *rows : std::vector<std::string>{};
}

// Every table's columns ("name type notnull default pk") and every index's name: what a file's schema is.
using shape = std::map<std::string, std::vector<std::string>>;
shape shape_of(const fs::path& file) {
  auto db = sqlite_db::open(file, false);
  EXPECT_TRUE(db) << db.message();
  shape out;
  if (!db) return out;
  for (const auto& table : strings(**db, "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"))
    out["table " + table] = strings(**db, "SELECT name || ' ' || type || ' ' || \"notnull\" || ' ' || ifnull(dflt_value, 'NULL') "
                                          "|| ' ' || pk FROM pragma_table_info('" + table + "') ORDER BY cid");
  for (const auto& index : strings(**db, "SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL"))
    out["index " + index] = {};
  return out;
}

// Each row of `table` over `columns`, its values quoted and joined, sorted.
std::string rows_query(const std::string& table, const std::vector<std::string>& columns) {
  std::string row;
  for (const auto& c : columns) row += (row.empty() ? "" : " || ',' || ") + std::string{"quote(\""} + c + "\")";
  return "SELECT " + row + " AS r FROM \"" + table + "\" ORDER BY r";
}

// Every table's rows over the columns it has now, each row its values quoted and joined, sorted.
using contents = std::map<std::string, std::pair<std::vector<std::string>, std::vector<std::string>>>;
contents contents_of(const fs::path& file) {
  auto db = sqlite_db::open(file, false);
  EXPECT_TRUE(db) << db.message();
  contents out;
  if (!db) return out;
  for (const auto& table : strings(**db, "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")) {
    auto columns = strings(**db, "SELECT name FROM pragma_table_info('" + table + "') ORDER BY cid");
    out[table] = {columns, {}};
  }
  for (auto& [table, rows] : out) {
    rows.second = strings(**db, rows_query(table, rows.first));
  }
  return out;
}

// The rows of `before`'s tables that `after` still has, read over `before`'s columns: the same, or the difference.
void expect_rows_kept(const contents& before, const fs::path& after_file, const std::string& label) {
  auto db = sqlite_db::open(after_file, false);
  ASSERT_TRUE(db) << db.message();
  const auto tables = strings(**db, "SELECT name FROM sqlite_master WHERE type = 'table'");
  for (const auto& [table, rows] : before) {
    if (std::find(tables.begin(), tables.end(), table) == tables.end()) continue;  // dropped: the store's test says where its rows went
    EXPECT_EQ(strings(**db, rows_query(table, rows.first)), rows.second)
        << label << ": table " << table;
  }
}

// Opens a file with its real store, as the daemon does, and closes it: ok, or why not.
using store_opener = std::function<status(const fs::path&)>;

status open_with(const fs::path& file, const std::string& store) {
  if (store == "state") return state_db::open(file, false).error();
  if (store == "observability") return obs_db::open(file, false).error();
  if (store == "kb") {
    local_embedder e{64};
    return kb_db::open(file, e).error();
  }
  if (store == "embed_cache") return embed_cache::open(file, 100).error();
  if (store == "approvals") return autonomy::grant_db::open(file).error();
  if (store == "alerts") return alert_book::open(file, 1000).error();
  return {errc::internal, "no store " + store};
}

const sqlite_schema& schema_of(const std::string& store) {
  if (store == "state") return state_db_schema();
  if (store == "observability") return obs_db_schema();
  if (store == "kb") return kb_db_schema();
  if (store == "embed_cache") return embed_cache_schema();
  if (store == "approvals") return autonomy::grant_db_schema();
  return alert_book_schema();
}

struct fixture_case {
  std::string fixture;  // tests/data/schemas/<fixture>.sql
  std::string store;    // its schema's name, and its file's (<store>.sqlite)
  std::vector<std::string> legacy;  // shape entries an old file keeps that a new one does not have
};

std::ostream& operator<<(std::ostream& os, const fixture_case& c) { return os << c.fixture; }

class EveryEarlierSchema : public ::testing::TestWithParam<fixture_case> {};

// The fixture, opened by its store: the latest version, a new file's shape (plus what the case names as
// legacy), every row of every table kept, a copy from before when anything ran, and nothing more on a second open.
TEST_P(EveryEarlierSchema, UpgradesToTheLatestWithItsRowsAndACopyFromBefore) {
  const auto& c = GetParam();
  test::temp_dir dir;
  const auto fresh_file = dir.path() / "fresh" / (c.store + ".sqlite");
  fs::create_directories(fresh_file.parent_path());
  ASSERT_EQ(open_with(fresh_file, c.store).message(), "");
  const auto& schema = schema_of(c.store);
  EXPECT_EQ(test::schema_version_of(fresh_file), schema.latest());

  const auto file = dir.path() / "data" / (c.store + ".sqlite");
  fs::create_directories(file.parent_path());
  test::load_schema_fixture(c.fixture, file);
  const auto from = test::schema_version_of(file);
  const auto before = contents_of(file);
  ASSERT_FALSE(before.empty());

  ASSERT_EQ(open_with(file, c.store).message(), "") << c.fixture;
  EXPECT_EQ(test::schema_version_of(file), schema.latest());
  auto want = shape_of(fresh_file);
  auto got = shape_of(file);
  for (const auto& extra : c.legacy) {
    EXPECT_TRUE(got.count(extra)) << extra << " is not in " << c.fixture << " any more";
    got.erase(extra);
  }
  EXPECT_EQ(got, want) << c.fixture;
  expect_rows_kept(before, file, c.fixture);

  const auto copies = test::pre_migrate_copies(file.parent_path());
  if (from == schema.latest()) {
    EXPECT_TRUE(copies.empty());
  } else {
    ASSERT_EQ(copies.size(), 1u);
    const auto prefix = c.store + "-" + std::to_string(from) + "-" + std::to_string(schema.latest()) + "-";
    EXPECT_EQ(copies[0].filename().string().rfind(prefix, 0), 0u) << copies[0];
    EXPECT_EQ(test::schema_version_of(copies[0]), from);
    EXPECT_EQ(contents_of(copies[0]), before);
  }
  ASSERT_EQ(open_with(file, c.store).message(), "");
  EXPECT_EQ(test::pre_migrate_copies(file.parent_path()).size(), copies.size()) << "a second open migrated again";
}

// Files of version 1 and 2 from before observability.sqlite kept an `events` table in state.sqlite; files of
// version 1 made before the keyword query changed keep their porter-stemmed index (its table's columns are the
// same; only its tokenizer differs).
INSTANTIATE_TEST_SUITE_P(
    Stores, EveryEarlierSchema,
    ::testing::Values(fixture_case{"state-v1", "state", {"table events", "index events_by_time"}},
                      fixture_case{"state-v2", "state", {"table events", "index events_by_time"}},
                      fixture_case{"state-v2-no-events", "state", {}}, fixture_case{"state-v3", "state", {}},
                      fixture_case{"state-v4", "state", {}}, fixture_case{"state-v5-cause", "state", {}},
                      fixture_case{"state-v5-route", "state", {}}, fixture_case{"state-v5", "state", {}}, fixture_case{"kb-v1-porter", "kb", {}},
                      fixture_case{"kb-v1-vocab", "kb", {}}, fixture_case{"kb-v2", "kb", {}},
                      fixture_case{"observability-v0-time-index", "observability", {}},
                      fixture_case{"observability-v0", "observability", {}},
                      fixture_case{"approvals-v0-grants", "approvals", {}},
                      fixture_case{"approvals-v0", "approvals", {}}, fixture_case{"approvals-v1", "approvals", {}},
                      fixture_case{"embed_cache-v1", "embed_cache", {}}, fixture_case{"alerts-v1", "alerts", {}}),
    [](const ::testing::TestParamInfo<fixture_case>& info) {
      std::string name = info.param.fixture;
      for (auto& ch : name)
        if (ch == '-') ch = '_';
      return name;
    });

// Rows a migration moves, read back through the stores' own queries.
TEST(SchemaMigration, StateRoutingDecisionsMoveIntoTheirTasks) {
  for (const std::string fixture : {"state-v2", "state-v4", "state-v5-cause", "state-v5-route", "state-v5"}) {
    test::temp_dir dir;
    const auto file = dir.path() / "state.sqlite";
    test::load_schema_fixture(fixture, file);
    auto db = state_db::open(file, false);
    ASSERT_TRUE(db) << fixture << ": " << db.message();
    auto decisions = (*db)->decisions(10);
    ASSERT_TRUE(decisions) << decisions.message();
    ASSERT_EQ(decisions->size(), 1u) << fixture << ": the decision whose task is gone goes with its table";
    EXPECT_EQ((*decisions)[0].task_id, "t-1");
    EXPECT_EQ((*decisions)[0].json, R"({"category":"chat"})");
    EXPECT_EQ((*decisions)[0].outcome, "succeeded");
    auto breakers = (*db)->breakers();
    ASSERT_TRUE(breakers) << breakers.message();
    ASSERT_EQ(breakers->size(), 1u);
    EXPECT_EQ((*breakers)[0].state, "open");
    EXPECT_EQ((*breakers)[0].cause, fixture == "state-v5-cause" || fixture == "state-v5" ? "program_missing" : "") << fixture;
    auto task = (*db)->get_task("t-2");
    ASSERT_TRUE(task && *task);
    EXPECT_EQ((*task)->error_message, "exit 3");
  }
}

TEST(SchemaMigration, KnowledgeBaseOfVersion1GetsItsWordsCounted) {
  for (const char* fixture : {"kb-v1-porter", "kb-v1-vocab"}) {
    test::temp_dir dir;
    const auto file = dir.path() / "kb.sqlite";
    test::load_schema_fixture(fixture, file);
    {
      local_embedder e{64};
      auto kb = kb_db::open(file, e);
      ASSERT_TRUE(kb) << fixture << ": " << kb.message();
      kb_query q;
      q.text = "estuary";
      q.vector_weight = 0;
      q.keyword_weight = 1;
      auto hits = (*kb)->search(q);
      ASSERT_TRUE(hits) << hits.message();
      ASSERT_FALSE(hits->empty()) << fixture;
      EXPECT_EQ((*hits)[0].article_id, "a-1");
    }
    auto db = sqlite_db::open(file, false);
    ASSERT_TRUE(db);
    EXPECT_EQ(strings(**db, "SELECT docs FROM terms WHERE term = 'levain'"), std::vector<std::string>{"1"}) << fixture;
  }
}

TEST(SchemaMigration, ApprovalsOfVersion0AreBoundToNoScript) {
  test::temp_dir dir;
  const auto file = dir.path() / "approvals.sqlite";
  test::load_schema_fixture("approvals-v0", file);
  auto g = autonomy::grant_db::open(file);
  ASSERT_TRUE(g) << g.message();
  auto grants = (*g)->all();
  ASSERT_EQ(grants.size(), 1u);
  EXPECT_EQ(grants[0].key, "bash:make test");
  EXPECT_EQ(grants[0].scripts, "");
  auto patterns = (*g)->patterns();
  ASSERT_EQ(patterns.size(), 1u);
  EXPECT_EQ(patterns[0].approvals, 3);
  EXPECT_EQ(patterns[0].scripts, "");
}

// A file a newer paiosd wrote: refused with what to do, and not written to (its bytes, no copy, nothing logged).
TEST(SchemaMigration, ANewerFileIsRefusedUntouched) {
  test::temp_dir dir;
  const auto file = dir.path() / "state.sqlite";
  test::load_schema_fixture("state-v5", file, "CREATE TABLE from_the_future (x); PRAGMA user_version = 9;");
  const auto bytes = test::file_bytes(file);
  auto opened = state_db::open(file, false);
  ASSERT_FALSE(opened);
  EXPECT_EQ(opened.message(), file.string() + " has schema 9; this paiosd knows up to " +
                                  std::to_string(state_db_schema().latest()) + ": upgrade paiosd or restore a backup");
  EXPECT_EQ(test::file_bytes(file), bytes);
  EXPECT_TRUE(test::pre_migrate_copies(dir.path()).empty());
  // The read-only connection may leave an empty log beside the file (SQLite opens one to read in WAL mode);
  // nothing is written to it.
  std::error_code ec;
  EXPECT_EQ(fs::exists(dir.path() / "state.sqlite-wal") ? fs::file_size(dir.path() / "state.sqlite-wal", ec) : 0u, 0u);
  auto plan = plan_migrations(file, state_db_schema());
  ASSERT_FALSE(plan);
  EXPECT_EQ(plan.message(), opened.message());
}

// A migration that fails rolls back to the version before it: the file's bytes as they were, the copy there,
// and the message names the migration and the copy.
TEST(SchemaMigration, AFailedMigrationLeavesTheFileAsItWas) {
  test::temp_dir dir;
  const auto file = dir.path() / "notes.sqlite";
  sqlite_schema v1{"notes", {{1, "notes", "CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL);", {}}}};
  {
    auto db = open_migrated(file, v1, false);
    ASSERT_TRUE(db) << db.message();
    ASSERT_EQ((*db)->exec("INSERT INTO notes (body) VALUES ('one'), ('two');").message(), "");
  }
  const auto bytes = test::file_bytes(file);
  sqlite_schema v2 = v1;
  v2.migrations.push_back({2, "notes.title, from the first line", "ALTER TABLE notes ADD COLUMN title TEXT NOT NULL DEFAULT '';",
                           [](sqlite_db& db) { return db.exec("UPDATE notes SET title = no_such_function(body);"); }});
  migration_report report;
  auto failed = open_migrated(file, v2, false, {}, &report);
  ASSERT_FALSE(failed);
  const auto copies = test::pre_migrate_copies(dir.path());
  ASSERT_EQ(copies.size(), 1u);
  EXPECT_EQ(failed.message(), "cannot migrate " + file.string() +
                                  " from schema 1 to 2: migration 2 (notes.title, from the first line): no such function: "
                                  "no_such_function; notes.sqlite is at schema 1 (a copy from before is " +
                                  copies[0].string() + ")");
  EXPECT_EQ(test::file_bytes(file), bytes);
  EXPECT_EQ(test::schema_version_of(file), 1);
  EXPECT_EQ(contents_of(copies[0]), contents_of(file));
}

// The same through a real store: a state file of version 4 that lost its breakers table cannot take migration 5.
TEST(SchemaMigration, AStoreWhoseMigrationFailsDoesNotOpen) {
  test::temp_dir dir;
  const auto file = dir.path() / "state.sqlite";
  test::load_schema_fixture("state-v4", file, "DROP TABLE breakers;");
  const auto before = contents_of(file);
  auto opened = state_db::open(file, false);
  ASSERT_FALSE(opened);
  EXPECT_NE(opened.message().find("migration 5 (breakers.cause"), std::string::npos) << opened.message();
  EXPECT_NE(opened.message().find("no such table: breakers"), std::string::npos) << opened.message();
  EXPECT_EQ(test::schema_version_of(file), 4);
  EXPECT_EQ(contents_of(file), before);
  EXPECT_EQ(test::pre_migrate_copies(dir.path()).size(), 1u);
}

// Each migration run leaves a copy; the newest kPreMigrateBackupsKept of a store stay, another store's are not
// counted with them.
TEST(SchemaMigration, OnlyTheNewestCopiesAreKept) {
  test::temp_dir dir;
  const auto file = dir.path() / "notes.sqlite";
  sqlite_schema schema{"notes", {{1, "notes", "CREATE TABLE notes (body TEXT);", {}}}};
  const auto other = dir.path() / "pre-migrate" / "other-1-2-20260101T000000Z.sqlite";
  fs::create_directories(other.parent_path());
  std::ofstream{other} << "not ours";
  ASSERT_TRUE(open_migrated(file, schema, false));
  for (std::int64_t v = 2; v <= 6; ++v) {
    schema.migrations.push_back({v, "column c" + std::to_string(v), "ALTER TABLE notes ADD COLUMN c" + std::to_string(v) + " TEXT;", {}});
    auto db = open_migrated(file, schema, false);
    ASSERT_TRUE(db) << db.message();
  }
  std::vector<std::string> names;
  for (const auto& p : test::pre_migrate_copies(dir.path())) names.push_back(p.filename().string().substr(0, 10));
  EXPECT_EQ(names, (std::vector<std::string>{"notes-3-4-", "notes-4-5-", "notes-5-6-", "other-1-2-"}));
}

// A schema whose numbers skip is the store's bug: refused before any file is touched.
TEST(SchemaMigration, AMisnumberedSchemaIsRefused) {
  test::temp_dir dir;
  sqlite_schema schema{"notes", {{1, "a", "CREATE TABLE a (x);", {}}, {3, "b", "CREATE TABLE b (x);", {}}}};
  auto db = open_migrated(dir.path() / "notes.sqlite", schema, false);
  ASSERT_FALSE(db);
  EXPECT_EQ(db.message(), "the notes schema's migration 2 is numbered 3");
  EXPECT_FALSE(fs::exists(dir.path() / "notes.sqlite"));
}

}  // namespace
}  // namespace paios
