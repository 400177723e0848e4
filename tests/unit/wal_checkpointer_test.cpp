// Checkpoints on their own thread (core/sqlite/wal_checkpointer): the log a writer's commits leave is copied
// into the database file by the background connection, the data stays whole, and the log is gone after close.
// Real SQLite files in a temporary directory.
#include <filesystem>
#include <string>

#include <gtest/gtest.h>

#include "core/sqlite/sqlite_db.hpp"
#include "core/sqlite/wal_checkpointer.hpp"
#include "tests/support/test_support.hpp"

using namespace paios;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

constexpr int kRows = 60;

std::unique_ptr<sqlite_db> open_db(const fs::path& file) {
  auto db = sqlite_db::open(file, false);
  EXPECT_TRUE(db) << db.message();
  if (!db) return nullptr;
  EXPECT_TRUE((*db)->exec("CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY, body BLOB NOT NULL);"));
  return std::move(*db);
}

// One commit per row, each a page or more of the log.
void write_rows(sqlite_db& db, int rows) {
  auto insert = db.prepare("INSERT INTO t (body) VALUES (?1)");
  ASSERT_TRUE(insert) << insert.message();
  const std::string body(5000, 'x');
  for (int i = 0; i < rows; ++i) ASSERT_TRUE(insert->bind_blob(1, body.data(), body.size()).run());
}

std::int64_t count_rows(sqlite_db& db) {
  auto count = db.prepare("SELECT count(*) FROM t");
  EXPECT_TRUE(count) << count.message();
  if (!count || !count->step()) return -1;
  return count->integer(0);
}

// A database file in a fresh directory.
class WalCheckpointer : public ::testing::Test {
 protected:
  test::temp_dir dir;
  const fs::path file = dir.path() / "w.sqlite";
};

}  // namespace

TEST_F(WalCheckpointer, CopiesTheLogIntoTheFileOnItsOwnThread) {
  auto db = open_db(file);
  ASSERT_TRUE(db);
  // 60 commits of two pages each stay under four times 40: only the thread checkpoints, never the writer.
  ASSERT_TRUE(db->checkpoint_in_background(40));
  const auto before = fs::file_size(file);
  write_rows(*db, kRows);
  // The thread ran at least one checkpoint, and the rows' pages reached the database file itself.
  ASSERT_TRUE(test::poll_until([&] { return db->background_checkpoints() > 0; }, 10s, 5ms));
  EXPECT_TRUE(test::poll_until([&] { return fs::file_size(file) >= before + 8 * 4096; }, 10s, 5ms))
      << "the database file is still " << fs::file_size(file) << " bytes";
  EXPECT_EQ(count_rows(*db), kRows);
}

TEST_F(WalCheckpointer, TheLastCloseLeavesNoLogAndEveryRow) {
  {
    auto db = open_db(file);
    ASSERT_TRUE(db);
    ASSERT_TRUE(db->checkpoint_in_background(8));
    write_rows(*db, kRows);
    EXPECT_TRUE(fs::exists(fs::path{file.string() + "-wal"}));
  }
  // The background connection closed first, so the writer's close was the last: it checkpointed and removed
  // the log.
  EXPECT_FALSE(fs::exists(fs::path{file.string() + "-wal"}));
  auto again = open_db(file);
  ASSERT_TRUE(again);
  EXPECT_EQ(count_rows(*again), kRows);
}

TEST_F(WalCheckpointer, AskedOnlyPastItsThresholdAndTheWriterHelpsPastFourTimesIt) {
  auto db = open_db(file);
  ASSERT_TRUE(db);
  auto c = wal_checkpointer::start(file, false, 100);
  ASSERT_TRUE(c) << c.message();
  EXPECT_FALSE((*c)->log_grew(99));  // below the threshold: nothing to do
  EXPECT_EQ((*c)->completed(), 0);
  EXPECT_FALSE((*c)->log_grew(100));  // due: the thread checkpoints, the writer goes on
  EXPECT_TRUE(test::poll_until([&] { return (*c)->completed() == 1; }, 10s, 5ms));
  EXPECT_TRUE((*c)->log_grew(400));  // the thread fell behind: the writer checkpoints too
}

TEST_F(WalCheckpointer, AFileThatCannotBeOpenedIsAnError) {
  auto c = wal_checkpointer::start(dir.path() / "missing" / "w.sqlite", false, 100);
  ASSERT_FALSE(c);
  EXPECT_EQ(c.code(), errc::store_failed);
  EXPECT_NE(c.message().find("for checkpoints"), std::string::npos) << c.message();
}
