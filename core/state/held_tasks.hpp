#pragma once
// held_tasks: the task writes state.sqlite could not take, held in memory and in the task journal until it
// can, and laid over what it answers meanwhile. Single owner (the state store).
//
// The promise it keeps for the store: a task write is acknowledged only once it is durable, in the database or
// in the journal. While anything is held, every new task write goes to the journal too (the database is behind,
// and a newer write must never reach it before an older one); the owner calls apply() with a backoff until the
// database takes them all in one transaction, and then the journal is cleared. Reads of tasks see the held
// records over the database's. At the next start the journal's records are held again before anything reads a
// task, and recovery treats them as the database would: a task that was running is interrupted (its agent may
// have acted), a queued one is dispatched again.
#include <cstddef>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/state/task_journal.hpp"

namespace paios {

class state_db;

class held_tasks {
 public:
  // The journal beside state.sqlite (state.journal), preallocated to `capacity` bytes; what a previous run left
  // in it is held at once. Fails as task_journal::open does.
  static expected<std::unique_ptr<held_tasks>> open(const std::filesystem::path& journal_file, std::size_t capacity);

  bool holding() const { return !held_.empty(); }
  std::size_t size() const { return held_.size(); }

  // Makes the writes durable in the journal and holds them. Ok once fsync'd; else the error, nothing held.
  status hold(const std::vector<journal_entry>& writes);
  // Writes every held record into the database in one transaction; on success forgets them and clears the
  // journal. Ok or the error (everything stays held; a task's own failure is "task ID: why").
  status apply(state_db& db);

  // The held record of a task, if any.
  std::optional<task_record> find(const std::string& id) const;
  // A task list as the database gave it (newest first, at most `limit`, of `state` when set), with the held
  // records laid over it.
  void overlay(std::vector<task_record>& list, int limit, std::optional<task_state> state) const;
  // Recovery at start over the held records: the database's queued tasks (`queued`, oldest first) lose those
  // the journal has moved on, and gain those only the journal has; held running tasks become interrupted (or
  // queued again with `redispatch_running`), journaled. Ok or the journal's error.
  status recover(std::vector<task_record>& queued, bool redispatch_running, std::int64_t now_ms);

 private:
  explicit held_tasks(std::unique_ptr<task_journal> journal);
  void remember(const journal_entry& e);

  std::unique_ptr<task_journal> journal_;
  std::unordered_map<std::string, journal_entry> held_;  // by task id: its latest write
  std::vector<std::string> order_;                       // task ids in the order first held (applied so)
};

}  // namespace paios
