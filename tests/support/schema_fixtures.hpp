#pragma once
// The store files of earlier schemas the migration tests start from (tests/data/schemas/<name>.sql: the CREATE
// statements a past commit wrote, then rows in every table), and what the tests read back from a store file.
// For tests that link paios_sqlite.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include "core/sqlite/migrations.hpp"
#include "core/sqlite/sqlite_db.hpp"
#include "tests/support/test_support.hpp"

namespace paios::test {

// `file` made from the fixture `name`, then `extra` SQL run on it.
inline void load_schema_fixture(const std::string& name, const std::filesystem::path& file, const std::string& extra = {}) {
  const auto sql = file_bytes(source_dir() / "tests/data/schemas" / (name + ".sql"));
  ASSERT_FALSE(sql.empty()) << "no fixture " << name;
  std::filesystem::create_directories(file.parent_path());
  auto db = sqlite_db::open(file, false);
  ASSERT_TRUE(db) << db.message();
  ASSERT_EQ((*db)->exec(sql + extra).message(), "") << name;
}

// The file's PRAGMA user_version; -1 (and a failure) when it cannot be read.
inline std::int64_t schema_version_of(const std::filesystem::path& file) {
  auto db = sqlite_db::open(file, false);
  EXPECT_TRUE(db) << db.message();
  if (!db) return -1;
  auto v = schema_version(**db);
  EXPECT_TRUE(v) << v.message();
  return v ? *v : -1;
}

// The pre-migration copies beside the stores of `data_dir` (data_dir/pre-migrate/*.sqlite), sorted by name.
inline std::vector<std::filesystem::path> pre_migrate_copies(const std::filesystem::path& data_dir) {
  std::vector<std::filesystem::path> out;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(data_dir / "pre-migrate", ec))
    if (e.path().extension() == ".sqlite") out.push_back(e.path());
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace paios::test
