// state.sqlite: tasks round-trip, updates never touch the prompt, and boot recovery turns what a
// crash left behind into interrupted (or queued) tasks. Real SQLite files in a temporary directory.
#include <vector>

#include <gtest/gtest.h>

#include "core/sqlite/sqlite_db.hpp"
#include "core/state/state_db.hpp"
#include "tests/support/task_fixtures.hpp"
#include "tests/support/test_support.hpp"

using namespace paios;

namespace {

const auto make = test::make_task;
const auto open_db = test::open_state_db;

// Inserts `tasks` in one transaction, as the store writes a batch.
void insert_tasks(state_db& db, const std::vector<task_record>& tasks) {
  ASSERT_TRUE(db.begin());
  for (const auto& t : tasks) ASSERT_TRUE(db.insert_task(t));
  ASSERT_TRUE(db.commit());
}

}  // namespace

TEST(StateDb, TasksRoundTrip) {
  test::temp_dir dir;
  auto db = open_db(dir);
  ASSERT_EQ(db->begin().message(), "");
  ASSERT_EQ(db->insert_task(make("t1", task_state::queued, 1)).message(), "");
  auto r = make("t1", task_state::succeeded, 1);
  r.spec.prompt = "must not overwrite";
  r.text = "the answer";
  r.brain = "echo";
  r.attempts = 2;
  ASSERT_EQ(db->update_task(r).message(), "");
  ASSERT_EQ(db->commit().message(), "");
  auto read = db->get_task("t1");
  ASSERT_TRUE(read) << read.message();
  auto& got = *read;
  ASSERT_TRUE(got);
  EXPECT_EQ(got->spec.prompt, "prompt of t1");
  EXPECT_EQ(got->text, "the answer");
  EXPECT_EQ(got->state, task_state::succeeded);
  EXPECT_EQ(got->attempts, 2);
  EXPECT_FALSE(db->get_task("nope").value());
  EXPECT_NE(db->update_task(make("nope", task_state::failed, 1)).message(), "") << "updating an unknown task is an error";
}

TEST(StateDb, ListIsNewestFirstAndFilters) {
  test::temp_dir dir;
  auto db = open_db(dir);
  insert_tasks(*db, {make("a", task_state::succeeded, 1), make("b", task_state::failed, 2),
                     make("c", task_state::succeeded, 3)});
  auto all = db->list_tasks(10, std::nullopt).value();
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(all[0].spec.id, "c");
  auto ok = db->list_tasks(10, task_state::succeeded).value();
  EXPECT_EQ(ok.size(), 2u);
  EXPECT_EQ(db->list_tasks(1, std::nullopt)->size(), 1u);
}

TEST(StateDb, RecoveryInterruptsRunningAndReturnsQueued) {
  test::temp_dir dir;
  {
    auto db = open_db(dir);
    insert_tasks(*db, {make("run", task_state::running, 1), make("q1", task_state::queued, 2),
                       make("q2", task_state::queued, 3), make("done", task_state::succeeded, 4)});
  }  // "crash": the file is all that is left
  auto db = open_db(dir);
  auto recovered = db->recover(false);
  ASSERT_EQ(recovered.message(), "");
  auto& queued = *recovered;
  ASSERT_EQ(queued.size(), 2u);
  EXPECT_EQ(queued[0].spec.id, "q1");  // oldest first
  auto run = db->get_task("run").value();
  EXPECT_EQ(run->state, task_state::interrupted);
  EXPECT_EQ(run->error, errc::interrupted);
  EXPECT_EQ(db->get_task("done").value()->state, task_state::succeeded);
}

TEST(StateDb, RecoveryCanRedispatchRunningTasks) {
  test::temp_dir dir;
  auto db = open_db(dir);
  insert_tasks(*db, {make("run", task_state::running, 1)});
  auto queued = db->recover(true).value();
  ASSERT_EQ(queued.size(), 1u);
  EXPECT_EQ(queued[0].spec.id, "run");
}

TEST(StateDb, AnUnwritableLocationIsAnError) {
  auto db = state_db::open("/proc/nonexistent/state.sqlite", false);
  EXPECT_FALSE(db);
  EXPECT_EQ(db.code(), errc::store_failed);
  EXPECT_NE(db.message().find("/proc/nonexistent/state.sqlite"), std::string::npos) << db.message();
}

// The decision of a task is its row's `route`: written with the task, read back by decisions() with the outcome
// once the task has ended.
TEST(StateDb, TheRoutingDecisionTravelsWithTheTask) {
  test::temp_dir dir;
  auto db = open_db(dir);
  auto r = make("t1", task_state::queued, 5);
  r.route = R"({"category":"code","chain":["echo"]})";
  insert_tasks(*db, {r, make("t2", task_state::queued, 6)});
  auto read = db->decisions(10);
  ASSERT_TRUE(read) << read.message();
  ASSERT_EQ(read->size(), 1u);  // t2 has no decision yet
  EXPECT_EQ((*read)[0].task_id, "t1");
  EXPECT_EQ((*read)[0].category, "code");
  EXPECT_EQ((*read)[0].outcome, "");
  r.state = task_state::succeeded;
  r.route = R"({"category":"code","chain":["echo"],"outcome":"succeeded"})";
  ASSERT_TRUE(db->begin());
  ASSERT_EQ(db->update_task(r).message(), "");
  ASSERT_TRUE(db->commit());
  read = db->decisions(10);
  ASSERT_TRUE(read) << read.message();
  ASSERT_EQ(read->size(), 1u);
  EXPECT_EQ((*read)[0].outcome, "succeeded");
  EXPECT_EQ((*read)[0].json, r.route);
}

// A breaker's cause survives a restart with it; a breaker saved with none reads back "". (Files from before
// breakers.cause get the column by migration 5: schema_migration_test.)
TEST(StateDb, BreakersKeepTheirCause) {
  test::temp_dir dir;
  auto db = open_db(dir);
  ASSERT_TRUE(db);
  breaker_record claude;
  claude.brain = "claude";
  claude.state = "open";
  claude.from = "closed";
  claude.reason = "2 of the last 2 calls failed";
  claude.cause = kCauseProgramMissing;
  ASSERT_EQ(db->save_breaker(claude, 5).message(), "");
  breaker_record codex;
  codex.brain = "codex";
  codex.state = "open";
  codex.from = "closed";
  codex.reason = "old";
  ASSERT_EQ(db->save_breaker(codex, 6).message(), "");
  db.reset();
  db = open_db(dir);
  auto rows = db->breakers();
  ASSERT_TRUE(rows) << rows.message();
  ASSERT_EQ(rows->size(), 2u);
  EXPECT_EQ((*rows)[0].brain, "claude");
  EXPECT_EQ((*rows)[0].cause, kCauseProgramMissing);
  EXPECT_EQ((*rows)[1].brain, "codex");
  EXPECT_EQ((*rows)[1].state, "open");
  EXPECT_EQ((*rows)[1].cause, "");
}
