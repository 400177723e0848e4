#pragma once
// Task records and state.sqlite files for the store's unit tests (state_db_test, task_journal_test,
// pipeline_records_test).
#include <memory>
#include <string>

#include <gtest/gtest.h>

#include "core/state/state_db.hpp"
#include "tests/support/test_support.hpp"

namespace paios::test {

inline task_record make_task(const std::string& id, task_state s, std::int64_t created) {
  task_record r;
  r.spec.id = id;
  r.spec.prompt = "prompt of " + id;
  r.spec.trace_id = "trace";
  r.spec.created_ms = created;
  r.state = s;
  return r;
}

// state.sqlite in `dir`, opened (created) as the store opens it.
inline std::unique_ptr<state_db> open_state_db(const temp_dir& dir) {
  auto db = state_db::open(dir.path() / "state.sqlite", false);
  EXPECT_TRUE(db) << db.message();
  return db ? std::move(*db) : nullptr;
}

}  // namespace paios::test
