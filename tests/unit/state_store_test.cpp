// The state store actor on a real actor system and a real SQLite file: group commit answers each write
// after its transaction, a write that fails fails alone, and writes still waiting when the actor stops are
// committed.
#include <caf/all.hpp>
#include <gtest/gtest.h>

#include "actors/state_store/state_store.hpp"
#include "core/state/state_db.hpp"
#include "messages/caf_types.hpp"
#include "tests/support/test_support.hpp"

using namespace paios;
using namespace std::chrono_literals;

namespace {

task_record task(const std::string& id) {
  task_record r;
  r.spec.id = id;
  r.spec.prompt = "p";
  r.spec.created_ms = 1;
  return r;
}

struct StateStore : ::testing::Test {
  test::temp_dir dir;
  caf::actor_system_config cfg;
  std::unique_ptr<caf::actor_system> sys;
  void SetUp() override {
    register_message_types(cfg);
    sys = std::make_unique<caf::actor_system>(cfg);
  }
  std::filesystem::path file() const { return dir.path() / "state.sqlite"; }
};

}  // namespace

TEST_F(StateStore, AFailedWriteDoesNotFailItsBatch) {
  auto store = spawn_state_store(*sys, {file(), false, false});
  caf::scoped_actor self{*sys};
  // Sent together, so that they share one batch: an update of an unknown task between two inserts.
  auto a = self->request(store, 5s, persist_atom::value, task("t-a"), true);
  auto bad = self->request(store, 5s, persist_atom::value, task("t-unknown"), false);
  auto b = self->request(store, 5s, persist_atom::value, task("t-b"), true);
  std::vector<std::string> answers;
  for (auto* h : {&a, &bad, &b})
    h->receive([&](const std::string& err) { answers.push_back(err); }, [&](caf::error& e) { answers.push_back(caf::to_string(e)); });
  ASSERT_EQ(answers.size(), 3u);
  EXPECT_EQ(answers[0], "");
  EXPECT_NE(answers[1], "");
  EXPECT_EQ(answers[2], "");
  bool found = false;
  self->request(store, 5s, get_atom::value, std::string{"t-b"}).receive([&](bool f, const task_record&) { found = f; }, [](caf::error&) {});
  EXPECT_TRUE(found);
  caf::anon_send_exit(store, caf::exit_reason::kill);
}

TEST_F(StateStore, WritesWaitingAtStopAreCommitted) {
  auto store = spawn_state_store(*sys, {file(), false, false});
  for (int i = 0; i < 200; ++i)
    caf::anon_send(store, persist_atom::value, task("t-" + std::to_string(i)), true);
  caf::anon_send_exit(store, caf::exit_reason::user_shutdown);
  caf::scoped_actor self{*sys};
  self->wait_for(store);
  auto db = state_db::open(file(), false);
  ASSERT_TRUE(db) << db.message();
  EXPECT_EQ((*db)->list_tasks(1000, std::nullopt)->size(), 200u);
}

// A task's insert, its "running" and its outcome sent together share a batch: each write is answered, and
// the row holds the last record (one row written, not three).
TEST_F(StateStore, WritesOfOneTaskInABatchAreEachAnsweredAndTheLastWins) {
  auto store = spawn_state_store(*sys, {file(), false, false});
  caf::scoped_actor self{*sys};
  auto running = task("t-x");
  running.state = task_state::running;
  running.started_ms = 5;
  auto done = running;
  done.state = task_state::succeeded;
  done.text = "the answer";
  done.finished_ms = 9;
  auto a = self->request(store, 5s, persist_atom::value, task("t-x"), true);
  auto other = self->request(store, 5s, persist_atom::value, task("t-y"), true);
  auto b = self->request(store, 5s, persist_atom::value, running, false);
  auto c = self->request(store, 5s, persist_atom::value, done, false);
  std::vector<std::string> answers;
  for (auto* h : {&a, &other, &b, &c})
    h->receive([&](const std::string& err) { answers.push_back(err); }, [&](caf::error& e) { answers.push_back(caf::to_string(e)); });
  EXPECT_EQ(answers, (std::vector<std::string>{"", "", "", ""}));
  task_record got;
  self->request(store, 5s, get_atom::value, std::string{"t-x"}).receive([&](bool, const task_record& r) { got = r; }, [](caf::error&) {});
  EXPECT_EQ(got.state, task_state::succeeded);
  EXPECT_EQ(got.text, "the answer");
  EXPECT_EQ(got.started_ms, 5);
  EXPECT_EQ(got.finished_ms, 9);
  // A later batch updates the row as usual.
  done.text = "changed";
  self->request(store, 5s, persist_atom::value, done, false).receive([&](const std::string& err) { EXPECT_EQ(err, ""); }, [](caf::error&) {});
  self->request(store, 5s, get_atom::value, std::string{"t-x"}).receive([&](bool, const task_record& r) { got = r; }, [](caf::error&) {});
  EXPECT_EQ(got.text, "changed");
  caf::anon_send_exit(store, caf::exit_reason::kill);
}
