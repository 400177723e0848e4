#pragma once
// state_store: the one owner of state.sqlite (tasks with their routing decisions, breakers, router weight adjustments,
// the scheduler's job runs and job states, the pipelines' runs and steps, the watchers'
// folders and files).
// Events live in the event store (actors/obs).
//
// Receives                                      Replies
//   (persist_atom, task_record, bool is_new)    std::string: "" once committed, else the error (nothing written)
//   (persist_atom, std::vector<task_write>)     std::vector<std::string>: one answer per write, as above, all
//                                               after the one commit they share
//   (persist_atom, breaker_record)              std::string, as above: the latest state, plus history when it
//                                               records a transition
//   (persist_atom, rule_weight)                 std::string, as above: factor 1 removes the adjustment
//   (breaker_atom)                              std::vector<breaker_record>: the latest of each brain
//   (breaker_atom, std::string brain, int n)    std::vector<breaker_record>: transitions, newest first
//   (decision_atom, int limit)                  std::vector<route_record>, newest first: the decisions the
//                                               task rows carry (task_record::route)
//   (weights_atom)                              std::vector<rule_weight>, by rule
//   (get_atom, std::string task_id)             (bool found, task_record)
//   (list_atom, int limit, std::string state)   std::vector<task_record>, newest first ("" state: all)
//   (recover_atom)                              std::vector<task_record>: queued tasks to dispatch again; marks
//                                               tasks left running by a crash (call once, at boot)
//   (jobrun_atom, string run, string state)     std::string, as persist: a job run (JSON of job_run_row, written
//                                               at its start and end) and/or a job's state (job_state_row); ""
//                                               for none
//   (jobs_atom, recover_atom)                   std::string JSON {states, last}: each job's saved state and last
//                                               run; runs left "running" become "interrupted" (scheduler start)
//   (jobs_atom, string job, int limit)          std::string JSON array: the job's runs, newest first
//   (pipeline_atom, string op, string args)     std::string. op "run" / "step": args a pipeline run / step row's
//                                               JSON (core/state/pipeline_records.hpp), written as persist
//                                               is ("" once committed, else the error); op "list" / "get": the
//                                               runs (with their steps) as JSON text, after committing what waits
//   (watch_atom, string op, string arg)        the watchers' records. Writes, answered like persist: op "file"
//                                               (arg: a watched file's row as JSON), "add" ({path, classes}) and
//                                               "rm" ({path}) for the folders of `ai watch add/rm`. Reads, after
//                                               committing what is pending: "files" (arg: the folder) -> JSON
//                                               {files: [...]}, by path; "folders" -> {folders: [{path, classes}]};
//                                               {error} when the read failed
// Writes are group-committed: every write waiting in the mailbox goes into one transaction and each is
// answered after that commit, so an acknowledgement always means "on disk" (see docs/architecture.md). Task
// writes the database refuses (locked by another process past 250 ms, a full disk, an unwritable file) go to
// the task journal beside it (state.journal, core/state/held_tasks.hpp) and are answered once fsync'd there;
// while any is held, task writes go to the journal, the database is tried again with a backoff, and task reads
// see the held records. A write neither takes is answered with the error. Each
// task write leaves a span (category task, action persist) in its task's trace, from arrival to commit.
// Fails: a database that cannot be opened makes the actor exit with the reason; its supervisor decides.
#include <cstddef>
#include <filesystem>
#include <string>
#include <vector>

#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include "messages/caf_types.hpp"

namespace paios {

// The table above as a type: a request it does not list is a compile error at the caller.
using state_store_actor = caf::typed_actor<
    caf::replies_to<persist_atom, task_record, bool>::with<std::string>,
    caf::replies_to<persist_atom, std::vector<task_write>>::with<std::vector<std::string>>,
    caf::replies_to<persist_atom, breaker_record>::with<std::string>,
    caf::replies_to<persist_atom, rule_weight>::with<std::string>,
    caf::replies_to<breaker_atom>::with<std::vector<breaker_record>>,
    caf::replies_to<breaker_atom, std::string, int>::with<std::vector<breaker_record>>,
    caf::replies_to<decision_atom, int>::with<std::vector<route_record>>,
    caf::replies_to<weights_atom>::with<std::vector<rule_weight>>,
    caf::replies_to<get_atom, std::string>::with<bool, task_record>,
    caf::replies_to<list_atom, int, std::string>::with<std::vector<task_record>>,
    caf::replies_to<recover_atom>::with<std::vector<task_record>>,
    caf::replies_to<jobrun_atom, std::string, std::string>::with<std::string>,
    caf::replies_to<jobs_atom, recover_atom>::with<std::string>,
    caf::replies_to<jobs_atom, std::string, int>::with<std::string>,
    caf::replies_to<pipeline_atom, std::string, std::string>::with<std::string>,
    caf::replies_to<watch_atom, std::string, std::string>::with<std::string>,
    // Internal, sent only by the store to itself: commit the pending batch (queued behind the writes already in
    // the mailbox, so that they join it), and try the held task writes on the database again.
    caf::reacts_to<flush_atom>, caf::reacts_to<retry_atom>>;

struct state_store_options {
  std::filesystem::path file;
  bool synchronous_full = false;
  bool redispatch_running = false;
  std::size_t journal_bytes = 16 * 1024 * 1024;  // the task journal's reserved size (state.journal_mb)
};

state_store_actor spawn_state_store(caf::actor_system& sys, state_store_options opts);

}  // namespace paios
