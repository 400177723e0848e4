// The task journal and the held task writes (core/state): what the state store keeps when state.sqlite refuses
// a write. Real files in a temporary directory; the database is a real state.sqlite.
#include <fstream>

#include <gtest/gtest.h>

#include "core/state/held_tasks.hpp"
#include "core/state/state_db.hpp"
#include "core/state/task_journal.hpp"
#include "tests/support/task_fixtures.hpp"
#include "tests/support/test_support.hpp"

using namespace paios;

namespace {

constexpr std::size_t kCapacity = 64 * 1024;

const auto make = test::make_task;
const auto open_db = test::open_state_db;

std::unique_ptr<task_journal> open_journal(const test::temp_dir& dir, std::size_t capacity = kCapacity) {
  auto j = task_journal::open(dir.path() / "state.journal", capacity);
  EXPECT_TRUE(j) << j.message();
  return j ? std::move(*j) : nullptr;
}

std::unique_ptr<held_tasks> open_held(const test::temp_dir& dir) {
  auto h = held_tasks::open(dir.path() / "state.journal", kCapacity);
  EXPECT_TRUE(h) << h.message();
  return h ? std::move(*h) : nullptr;
}

}  // namespace

TEST(TaskJournal, EveryFieldSurvivesAReopen) {
  test::temp_dir dir;
  auto r = make("t1", task_state::succeeded, 42);
  r.spec.brain = "claude";
  r.spec.span_id = 0xfedcba9876543210ull;
  r.spec.parent_span = 7;
  r.spec.timeout_ms = 9000;
  r.spec.attachments = {{"/tmp/a.png", "image/png"}};
  r.brain = "claude";
  r.text = "an answer with \xff invalid UTF-8";
  r.error = errc::none;
  r.exit_code = 3;
  r.started_ms = 50;
  r.finished_ms = 60;
  r.attempts = 2;
  ASSERT_EQ(open_journal(dir)->append({{r, true}}).message(), "");
  auto j = open_journal(dir);
  ASSERT_EQ(j->entries().size(), 1u);
  const auto& e = j->entries()[0];
  EXPECT_TRUE(e.is_new);
  EXPECT_EQ(e.record.spec.id, "t1");
  EXPECT_EQ(e.record.spec.brain, "claude");
  EXPECT_EQ(e.record.spec.span_id, 0xfedcba9876543210ull);
  EXPECT_EQ(e.record.spec.parent_span, 7u);
  EXPECT_EQ(e.record.spec.timeout_ms, 9000);
  ASSERT_EQ(e.record.spec.attachments.size(), 1u);
  EXPECT_EQ(e.record.spec.attachments[0].mime, "image/png");
  EXPECT_EQ(e.record.state, task_state::succeeded);
  EXPECT_EQ(e.record.text, "an answer with \xef\xbf\xbd invalid UTF-8");
  EXPECT_EQ(e.record.exit_code, 3);
  EXPECT_EQ(e.record.finished_ms, 60);
  EXPECT_EQ(e.record.attempts, 2);
  EXPECT_FALSE(j->empty());
}

TEST(TaskJournal, IsPreallocatedSoThatAFullDiskCannotRefuseIt) {
  test::temp_dir dir;
  auto j = open_journal(dir);
  EXPECT_GE(std::filesystem::file_size(dir.path() / "state.journal"), kCapacity);
}

TEST(TaskJournal, AFullJournalRefusesAndKeepsWhatItHad) {
  test::temp_dir dir;
  auto j = open_journal(dir, 4096);
  auto big = make("big", task_state::queued, 1);
  big.spec.prompt = std::string(3000, 'x');
  ASSERT_EQ(j->append({{big, true}}).message(), "");
  auto err = j->append({{big, false}});
  EXPECT_NE(err.message().find("full"), std::string::npos) << err.message();
  EXPECT_EQ(open_journal(dir, 4096)->entries().size(), 1u);
}

TEST(TaskJournal, ARecordCutByACrashIsNotReadNorMistakenLater) {
  test::temp_dir dir;
  ASSERT_EQ(open_journal(dir)->append({{make("t1", task_state::queued, 1), true}}).message(), "");
  // A crash in the middle of the second record's write: half a line, no newline.
  const auto line = journal_line({make("t2", task_state::queued, 2), true});
  {
    std::fstream f(dir.path() / "state.journal", std::ios::in | std::ios::out | std::ios::binary);
    std::string data(kCapacity, '\0');
    f.read(data.data(), static_cast<std::streamsize>(data.size()));
    f.clear();
    f.seekp(static_cast<std::streamoff>(data.find('\0')));
    f.write(line.data(), static_cast<std::streamsize>(line.size() / 2));
  }
  auto j = open_journal(dir);
  ASSERT_EQ(j->entries().size(), 1u);
  // A shorter record written over the cut one must not leave a tail of it to be read as a record.
  ASSERT_EQ(j->append({{make("t3", task_state::queued, 3), true}}).message(), "");
  auto again = open_journal(dir);
  ASSERT_EQ(again->entries().size(), 2u);
  EXPECT_EQ(again->entries()[1].record.spec.id, "t3");
}

TEST(TaskJournal, ClearForgetsEverything) {
  test::temp_dir dir;
  auto j = open_journal(dir);
  ASSERT_EQ(j->append({{make("t1", task_state::queued, 1), true}}).message(), "");
  ASSERT_EQ(j->clear().message(), "");
  EXPECT_TRUE(j->empty());
  EXPECT_TRUE(open_journal(dir)->entries().empty());
}

TEST(HeldTasks, HeldWritesAreReadOverTheDatabaseAndAppliedInOrder) {
  test::temp_dir dir;
  auto db = open_db(dir);
  ASSERT_EQ(db->begin().message(), "");
  ASSERT_EQ(db->insert_task(make("old", task_state::running, 1)).message(), "");
  ASSERT_EQ(db->commit().message(), "");
  auto held = open_held(dir);
  ASSERT_EQ(held->hold({{make("new", task_state::queued, 2), true}, {make("old", task_state::succeeded, 1), false}}).message(), "");
  ASSERT_EQ(held->hold({{make("new", task_state::running, 2), false}}).message(), "");
  EXPECT_EQ(held->find("old")->state, task_state::succeeded);
  EXPECT_EQ(held->find("new")->state, task_state::running);

  auto list = db->list_tasks(10, std::nullopt).value();
  held->overlay(list, 10, std::nullopt);
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(list[0].spec.id, "new");  // newest first
  EXPECT_EQ(list[1].state, task_state::succeeded);
  auto running = db->list_tasks(10, task_state::running).value();
  held->overlay(running, 10, task_state::running);
  ASSERT_EQ(running.size(), 1u);
  EXPECT_EQ(running[0].spec.id, "new");

  ASSERT_EQ(held->apply(*db).message(), "");
  EXPECT_FALSE(held->holding());
  EXPECT_EQ(db->get_task("new").value()->state, task_state::running);  // inserted, then brought up to date
  EXPECT_EQ(db->get_task("old").value()->state, task_state::succeeded);
  EXPECT_TRUE(open_journal(dir)->entries().empty());
}

TEST(HeldTasks, AnotherProcesssLockKeepsThemHeld) {
  test::temp_dir dir;
  auto db = open_db(dir);
  db->set_busy_timeout(std::chrono::milliseconds(10));
  auto other = open_db(dir);
  ASSERT_EQ(other->begin().message(), "");
  auto held = open_held(dir);
  ASSERT_EQ(held->hold({{make("t1", task_state::queued, 1), true}}).message(), "");
  EXPECT_NE(held->apply(*db).message(), "");
  EXPECT_TRUE(held->holding());
  other->rollback();
  EXPECT_EQ(held->apply(*db).message(), "");
  EXPECT_FALSE(held->holding());
}

TEST(HeldTasks, ARestartHoldsTheJournalAgainAndRecoversItsTasks) {
  test::temp_dir dir;
  {
    auto held = open_held(dir);
    ASSERT_EQ(held->hold({{make("queued", task_state::queued, 1), true},
                          {make("running", task_state::running, 2), true},
                          {make("done", task_state::succeeded, 3), true}})
                  .message(),
              "");
  }
  auto db = open_db(dir);
  ASSERT_EQ(db->begin().message(), "");
  ASSERT_EQ(db->insert_task(make("done", task_state::queued, 3)).message(), "");  // the database lags behind the journal
  ASSERT_EQ(db->insert_task(make("db-queued", task_state::queued, 0)).message(), "");
  ASSERT_EQ(db->commit().message(), "");
  auto held = open_held(dir);
  ASSERT_EQ(held->size(), 3u);
  auto queued = db->recover(false).value();
  ASSERT_EQ(held->recover(queued, false, 99).message(), "");
  ASSERT_EQ(queued.size(), 2u);
  EXPECT_EQ(queued[0].spec.id, "db-queued");
  EXPECT_EQ(queued[1].spec.id, "queued");
  auto r = held->find("running");
  EXPECT_EQ(r->state, task_state::interrupted);
  EXPECT_EQ(r->error, errc::interrupted);
  EXPECT_EQ(r->finished_ms, 99);
  ASSERT_EQ(held->apply(*db).message(), "");
  EXPECT_EQ(db->get_task("done").value()->state, task_state::succeeded);
  EXPECT_EQ(db->get_task("running").value()->state, task_state::interrupted);
}
