#pragma once
// folder_watcher: one watched folder. Each file that arrives complete (core/watch/folder_watch.hpp) is
// classified (file_class.hpp), recorded and acted on once per content (watch_ledger.hpp): an image is described
// by the vision brain and the description ingested into the knowledge base with the file as its source; a
// document is ingested; media leads to a notification offering capture; code, archives and the rest are
// recorded. The actions per class come from config `watchers` (a folder may narrow the classes it acts on).
//
// Receives                                   Replies / sends
//   (tick_atom)                              its own loop: waits on inotify up to 250 ms, then works
//   (update_atom, task_update)               from the dispatcher: the describe tasks' outcomes
//   (status_atom)                            std::string JSON {path, source, classes, present, problem, loaded,
//                                            known, queued, in_flight, handled, failed, last_file}
// Sends its manager (status_atom, std::string JSON) when its counts change (at most 4 times a second).
// Owns: the folder's inotify watch, a libmagic handle, the ledger and the queue of files to look at. On its own
// thread (a detached actor): hashing, classifying and converting block nobody else.
// At start it loads the ledger from the state store (retrying until it answers), then scans the folder: what
// arrived while it was down is handled, what was done is not done again. Work is bounded: at most
// `max_in_flight` describes and ingests at once, and while 2,000 files wait, inotify is not read (the kernel
// queue overflows, which sets a rescan for later): memory follows the folder's file count, not the event rate.
// Every file handled leaves an event (category watch, action file) at once and one per action that ends
// (describe, ingest, notify), in one trace per file; its record in state.sqlite says the outcome.
// It ends when its manager does.
#include <caf/fwd.hpp>

#include "config/watcher_config.hpp"

namespace paios {

caf::actor spawn_folder_watcher(caf::actor_system& sys, watch_folder folder, watcher_config config, caf::actor manager);

}  // namespace paios
