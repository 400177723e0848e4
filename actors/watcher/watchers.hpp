#pragma once
// watchers: the manager of the folder watchers (actors/watcher/folder_watcher.hpp), one per watched folder: the
// folders of config `watchers.folders` and those added by `ai watch add` (kept in the state store; the user's
// configuration file is never rewritten).
//
// Receives                                        Replies (std::string code, std::string message, std::string body)
//   (watch_atom, "list", "")                      body {folders: [each folder's status, plus restarts and
//                                                 last_exit]}, by path
//   (watch_atom, "add", JSON {path, classes})     body {folder}: stored, then watched; invalid_request for a path
//                                                 that is not absolute or is watched already, or unknown classes
//   (watch_atom, "rm", JSON {path})               body {path, removed: true}; not_found when it is not watched,
//                                                 invalid_request for a configured folder (its place is the file)
//   (status_atom)                                 std::string JSON {folders, watching, handled, failed, problems}
//   (status_atom, std::string)                    from its watchers: their status
//   (whereis_atom, std::string path)              caf::actor: the folder's watcher (debug.fault "watcher:<path>")
// `code` is "" on success, else an error code of docs/protocol.md with `message` saying what went wrong.
// Owns: the list of folders and a watcher for each. A watcher that fails is started again after a backoff
// (1 s doubling to 60 s); its files are safe meanwhile (it rescans when it starts). At start it reads the added
// folders from the state store, retrying until the store answers; configured folders are watched at once.
// Its watchers end with it.
#include <caf/fwd.hpp>

#include "config/watcher_config.hpp"

namespace paios {

caf::actor spawn_watchers(caf::actor_system& sys, watcher_config config);

}  // namespace paios
