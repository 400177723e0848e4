// state.sqlite: tasks round-trip, updates never touch the prompt, and boot recovery turns what a
// crash left behind into interrupted (or queued) tasks. Real SQLite files in a temporary directory.
#include <vector>

#include <gtest/gtest.h>

#include "core/state/state_db.hpp"
#include "tests/support/task_fixtures.hpp"
#include "tests/support/test_support.hpp"

using namespace paios;

namespace {

const auto make = test::make_task;
const auto open_db = test::open_state_db;

// Inserts `tasks` in one transaction, as the store writes a batch.
void insert_tasks(state_db& db, const std::vector<task_record>& tasks) {
  db.begin();
  for (const auto& t : tasks) db.insert_task(t);
  db.commit();
}

}  // namespace

TEST(StateDb, TasksRoundTrip) {
  test::temp_dir dir;
  auto db = open_db(dir);
  ASSERT_EQ(db->begin(), "");
  ASSERT_EQ(db->insert_task(make("t1", task_state::queued, 1)), "");
  auto r = make("t1", task_state::succeeded, 1);
  r.spec.prompt = "must not overwrite";
  r.text = "the answer";
  r.brain = "echo";
  r.attempts = 2;
  ASSERT_EQ(db->update_task(r), "");
  ASSERT_EQ(db->commit(), "");
  std::string err;
  auto got = db->get_task("t1", err);
  ASSERT_TRUE(got) << err;
  EXPECT_EQ(got->spec.prompt, "prompt of t1");
  EXPECT_EQ(got->text, "the answer");
  EXPECT_EQ(got->state, task_state::succeeded);
  EXPECT_EQ(got->attempts, 2);
  EXPECT_FALSE(db->get_task("nope", err));
  EXPECT_NE(db->update_task(make("nope", task_state::failed, 1)), "") << "updating an unknown task is an error";
}

TEST(StateDb, ListIsNewestFirstAndFilters) {
  test::temp_dir dir;
  auto db = open_db(dir);
  insert_tasks(*db, {make("a", task_state::succeeded, 1), make("b", task_state::failed, 2),
                     make("c", task_state::succeeded, 3)});
  std::string err;
  auto all = db->list_tasks(10, std::nullopt, err);
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(all[0].spec.id, "c");
  auto ok = db->list_tasks(10, task_state::succeeded, err);
  EXPECT_EQ(ok.size(), 2u);
  EXPECT_EQ(db->list_tasks(1, std::nullopt, err).size(), 1u);
}

TEST(StateDb, RecoveryInterruptsRunningAndReturnsQueued) {
  test::temp_dir dir;
  {
    auto db = open_db(dir);
    insert_tasks(*db, {make("run", task_state::running, 1), make("q1", task_state::queued, 2),
                       make("q2", task_state::queued, 3), make("done", task_state::succeeded, 4)});
  }  // "crash": the file is all that is left
  auto db = open_db(dir);
  std::string err;
  auto queued = db->recover(false, err);
  ASSERT_EQ(err, "");
  ASSERT_EQ(queued.size(), 2u);
  EXPECT_EQ(queued[0].spec.id, "q1");  // oldest first
  auto run = db->get_task("run", err);
  EXPECT_EQ(run->state, task_state::interrupted);
  EXPECT_EQ(run->error, errc::interrupted);
  EXPECT_EQ(db->get_task("done", err)->state, task_state::succeeded);
}

TEST(StateDb, RecoveryCanRedispatchRunningTasks) {
  test::temp_dir dir;
  auto db = open_db(dir);
  insert_tasks(*db, {make("run", task_state::running, 1)});
  std::string err;
  auto queued = db->recover(true, err);
  ASSERT_EQ(queued.size(), 1u);
  EXPECT_EQ(queued[0].spec.id, "run");
}

TEST(StateDb, AnUnwritableLocationIsAnError) {
  std::string error;
  auto db = state_db::open("/proc/nonexistent/state.sqlite", false, error);
  EXPECT_FALSE(db);
  EXPECT_NE(error.find("/proc/nonexistent/state.sqlite"), std::string::npos) << error;
}
