// core/sqlite/sqlite_snapshot: a copy taken while another connection commits is one commit's state (every
// transaction wholly in or wholly out), sound, self-contained (rollback-journal mode) and carries the schema
// version; the integrity check names a file that is not a sound database.
#include <atomic>
#include <fstream>
#include <thread>

#include <gtest/gtest.h>

#include "core/sqlite/sqlite_db.hpp"
#include "core/sqlite/sqlite_snapshot.hpp"
#include "tests/support/test_support.hpp"

using namespace paios;
using paios::test::temp_dir;
namespace fs = std::filesystem;

namespace {

std::int64_t scalar(sqlite_db& db, const char* sql) {
  auto stmt = db.prepare(sql);
  EXPECT_TRUE(stmt.ok()) << sql;
  EXPECT_TRUE(stmt->step()) << sql;
  return stmt->integer(0);
}

std::string text(sqlite_db& db, const char* sql) {
  auto stmt = db.prepare(sql);
  EXPECT_TRUE(stmt.ok()) << sql;
  EXPECT_TRUE(stmt->step()) << sql;
  return stmt->text(0);
}

}  // namespace

TEST(SqliteSnapshot, ACopyTakenUnderCommitsHoldsWholeTransactionsOnly) {
  temp_dir dir;
  const auto live = dir.path() / "live.sqlite";
  auto db = sqlite_db::open(live, false).value();
  ASSERT_TRUE(db->exec("CREATE TABLE a(x INTEGER); CREATE TABLE b(x INTEGER); PRAGMA user_version=7").ok());

  std::atomic<bool> stop{false};
  std::atomic<int> commits{0};
  std::thread writer([&] {
    // Each transaction adds one row to each table: a copy with unequal counts would hold half a transaction.
    while (!stop) {
      ASSERT_TRUE(db->exec("BEGIN; INSERT INTO a VALUES(1); INSERT INTO b VALUES(1); COMMIT").ok());
      ++commits;
    }
  });
  ASSERT_TRUE(test::poll_until([&] { return commits.load() >= 50; }, std::chrono::seconds(10)));
  std::int64_t last = -1;
  for (int i = 0; i < 10; ++i) {
    const auto copy = dir.path() / ("copy" + std::to_string(i) + ".sqlite");
    auto version = snapshot_database(live, copy);
    ASSERT_TRUE(version.ok()) << version.message();
    EXPECT_EQ(*version, 7);
    EXPECT_TRUE(check_database_integrity(copy).ok());
    EXPECT_FALSE(fs::exists(copy.string() + "-wal"));
    auto c = sqlite_db::open(copy, false).value();
    const auto rows = scalar(*c, "SELECT count(*) FROM a");
    EXPECT_EQ(rows, scalar(*c, "SELECT count(*) FROM b"));
    EXPECT_GE(rows, last);  // later copies never go back in time
    last = rows;
  }
  stop = true;
  writer.join();
  EXPECT_GT(commits.load(), last);  // the writer went on past the copies: they were taken under writes
}

TEST(SqliteSnapshot, TheCopyIsInRollbackJournalMode) {
  temp_dir dir;
  const auto live = dir.path() / "live.sqlite";
  {
    auto db = sqlite_db::open(live, false).value();
    ASSERT_TRUE(db->exec("CREATE TABLE t(x)").ok());
  }
  const auto copy = dir.path() / "copy.sqlite";
  ASSERT_TRUE(snapshot_database(live, copy).ok());
  auto c = sqlite_db::open(dir.path() / "probe.sqlite", false).value();
  ASSERT_TRUE(c->exec("ATTACH '" + copy.string() + "' AS copy").ok());
  EXPECT_EQ(text(*c, "PRAGMA copy.journal_mode"), "delete");
}

TEST(SqliteSnapshot, AMissingSourceOrABadFileIsNamed) {
  temp_dir dir;
  auto missing = snapshot_database(dir.path() / "none.sqlite", dir.path() / "copy.sqlite");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.message().find((dir.path() / "none.sqlite").string()), std::string::npos) << missing.message();

  const auto bad = dir.path() / "bad.sqlite";
  std::ofstream(bad) << "this is not a database, though it is long enough to have a header of sorts";
  auto checked = check_database_integrity(bad);
  ASSERT_FALSE(checked.ok());
  EXPECT_NE(checked.message().find(bad.string()), std::string::npos) << checked.message();
}
