// `paiosd --migrate [--dry-run]` and the start's schema check, on the real binary with a PAIOS_HOME holding store
// files of earlier schemas (tests/data/schemas) and of a newer one.
#include <gtest/gtest.h>

#include "core/sqlite/migrations.hpp"
#include "core/sqlite/sqlite_db.hpp"
#include "core/state/state_db.hpp"
#include "tests/support/schema_fixtures.hpp"

namespace paios {
namespace {

namespace fs = std::filesystem;

// PAIOS_HOME/data/<file> made from a fixture, then `extra` SQL.
void place(const fs::path& home, const std::string& fixture, const std::string& file, const std::string& extra = {}) {
  test::load_schema_fixture(fixture, home / "data" / file, extra);
}

std::size_t copies_in(const fs::path& home) { return test::pre_migrate_copies(home / "data").size(); }

test::run_result paiosd(const fs::path& home, std::vector<std::string> args) {
  args.insert(args.begin(), {test::paiosd_path().string(), "--home", home.string()});
  return test::run_program(args);
}

// The dry run lists what would run and changes nothing; the run migrates, copies first, and a second dry run finds
// every store up to date.
TEST(Migrate, DryRunListsAndChangesNothingThenMigrateRuns) {
  test::temp_dir home;
  place(home.path(), "state-v4", "state.sqlite");
  place(home.path(), "approvals-v0", "approvals.sqlite");
  const auto state = home.path() / "data" / "state.sqlite";
  const auto state_bytes = test::file_bytes(state);
  const auto approvals_bytes = test::file_bytes(home.path() / "data" / "approvals.sqlite");
  const auto latest = std::to_string(state_db_schema().latest());

  auto dry = paiosd(home.path(), {"--migrate", "--dry-run"});
  ASSERT_EQ(dry.exit_code, 0) << dry.err;
  EXPECT_NE(dry.out.find(state.string() + ": schema 4, this paiosd writes " + latest + "\n  would run 5: breakers.cause"),
            std::string::npos) << dry.out;
  EXPECT_NE(dry.out.find("  would run 6: tasks.route"), std::string::npos) << dry.out;
  EXPECT_NE(dry.out.find("approvals.sqlite: schema 0, this paiosd writes 1\n  would run 1: "), std::string::npos) << dry.out;
  EXPECT_NE(dry.out.find("kb.sqlite: not there"), std::string::npos) << dry.out;
  EXPECT_EQ(test::file_bytes(state), state_bytes);
  EXPECT_EQ(test::file_bytes(home.path() / "data" / "approvals.sqlite"), approvals_bytes);
  EXPECT_EQ(copies_in(home.path()), 0u);
  EXPECT_FALSE(fs::exists(home.path() / "data" / "kb.sqlite"));

  auto run = paiosd(home.path(), {"--migrate"});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_NE(run.out.find("  ran 5: breakers.cause"), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("  the file as it was: " + (home.path() / "data" / "pre-migrate" / "state-4-").string()),
            std::string::npos) << run.out;
  EXPECT_EQ(test::schema_version_of(state), state_db_schema().latest());
  EXPECT_EQ(test::schema_version_of(home.path() / "data" / "approvals.sqlite"), 1);
  EXPECT_EQ(copies_in(home.path()), 2u);
  EXPECT_FALSE(fs::exists(home.path() / "data" / "kb.sqlite")) << "--migrate creates no store";

  auto again = paiosd(home.path(), {"--migrate", "--dry-run"});
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_NE(again.out.find(state.string() + ": schema " + latest + ", up to date"), std::string::npos) << again.out;
  EXPECT_EQ(again.out.find("would run"), std::string::npos) << again.out;
}

// A store file a newer paiosd wrote: the daemon does not start (exit 3, the message on stderr), and the file keeps
// its bytes; the dry run names it too.
TEST(Migrate, TheDaemonRefusesANewerSchemaAndLeavesTheFileAlone) {
  test::temp_dir home;
  place(home.path(), "state-v5", "state.sqlite", "CREATE TABLE from_the_future (x); PRAGMA user_version = 9;");
  const auto state = home.path() / "data" / "state.sqlite";
  const auto bytes = test::file_bytes(state);
  const std::string message = state.string() + " has schema 9; this paiosd knows up to " +
                              std::to_string(state_db_schema().latest()) + ": upgrade paiosd or restore a backup";

  auto start = paiosd(home.path(), {});
  EXPECT_EQ(start.exit_code, 3) << start.err;
  EXPECT_NE(start.err.find("paiosd: " + message), std::string::npos) << start.err;
  EXPECT_EQ(test::file_bytes(state), bytes);
  EXPECT_EQ(copies_in(home.path()), 0u);

  auto dry = paiosd(home.path(), {"--migrate", "--dry-run"});
  EXPECT_EQ(dry.exit_code, 3);
  EXPECT_NE(dry.err.find(message), std::string::npos) << dry.err;
  auto run = paiosd(home.path(), {"--migrate"});
  EXPECT_EQ(run.exit_code, 3);
  EXPECT_EQ(test::file_bytes(state), bytes);
}

// A daemon started on a home of earlier schemas migrates each store as it opens it, and answers.
TEST(Migrate, TheDaemonMigratesOnStart) {
  test::daemon_process d;
  place(d.home(), "state-v2", "state.sqlite");
  place(d.home(), "kb-v1-vocab", "kb.sqlite");
  d.start();
  auto tasks = d.ai({"tasks", "--json"});
  EXPECT_EQ(tasks.exit_code, 0) << tasks.err;
  EXPECT_NE(tasks.out.find("t-1"), std::string::npos) << tasks.out;
  EXPECT_EQ(d.stop(), 0);
  EXPECT_NE(d.log().find((d.home() / "data" / "state.sqlite").string() + " has schema 2; its store migrates it to " +
                         std::to_string(state_db_schema().latest())),
            std::string::npos) << d.log();
  EXPECT_EQ(test::schema_version_of(d.home() / "data" / "state.sqlite"), state_db_schema().latest());
  EXPECT_EQ(test::schema_version_of(d.home() / "data" / "kb.sqlite"), 2);
  EXPECT_EQ(copies_in(d.home()), 2u);
}

}  // namespace
}  // namespace paios
