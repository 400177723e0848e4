#pragma once
// The schema and queries of state.sqlite: tasks and published events. Synchronous and single-owner (the
// state store actor); no actor runtime here, so that it is tested and benchmarked directly.
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "actors/state_store/sqlite_db.hpp"
#include "messages/event.hpp"
#include "messages/task.hpp"

namespace paios {

class state_db {
 public:
  // Opens or creates the database and its schema; nullptr and `error` set on failure.
  static std::unique_ptr<state_db> open(const std::filesystem::path& file, bool synchronous_full,
                                        std::string& error);

  // Writes run inside begin()/commit() (the actor batches many writes into one transaction).
  std::string begin();
  std::string commit();
  void rollback();

  std::string insert_task(const task_record& r);  // a new task, prompt included
  std::string update_task(const task_record& r);  // state, brain, answer, error, times; never the prompt
  std::string insert_event(const event_record& e);

  std::optional<task_record> get_task(const std::string& id, std::string& error);
  // Newest first; `state` filters when set.
  std::vector<task_record> list_tasks(int limit, std::optional<task_state> state, std::string& error);

  // At boot, before anything runs: tasks left `running` by a crash become `interrupted` (or `queued` again
  // when redispatch_running); returns every `queued` task, oldest first, to be dispatched again.
  std::vector<task_record> recover(bool redispatch_running, std::string& error);

 private:
  explicit state_db(std::unique_ptr<sqlite_db> db) : db_(std::move(db)) {}
  std::string prepare_all();

  std::unique_ptr<sqlite_db> db_;
  sqlite_stmt insert_task_, update_task_, insert_event_, get_task_, list_tasks_, list_by_state_;
};

}  // namespace paios
