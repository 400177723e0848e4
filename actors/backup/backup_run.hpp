#pragma once
// backup_run: one backup of PAIOS_HOME taken by the running daemon (core/backup, docs/backup.md), an actor of its
// own on a thread of its own (detached): the copy reads every store for as long as they take to copy, and must
// not hold one of the few worker threads the bus runs on. The stores' owners take no part: each store is read
// through a connection of the run's own with SQLite's online backup API, a consistent copy while they write.
//
// Receives                     Replies, once, then ends
//   (backup_atom)              (string code, string message, string body): code "" and body {dir, manifest,
//                              pruned} (the scheduled backups retention removed); else code bad_request (the
//                              folder is not empty) or store_failed (a file could not be copied), the message
//                              naming it
// Leaves one event in the requester's trace: category "backup", action "taken", status ok or failed, data {dir, files, bytes, origin,
// pruned, error}. Spawned by the zmq bridge (backup.create) and by the scheduler's builtin "backup" job; if
// the requester goes away, the run still finishes its copy (a backup is never left half-written) and ends.
#include <cstdint>
#include <filesystem>
#include <string>

#include <caf/fwd.hpp>

#include "messages/trace.hpp"

namespace paios {

struct backup_run_spec {
  std::filesystem::path home;     // PAIOS_HOME
  std::filesystem::path dest;     // "" for PAIOS_HOME/backups/<UTC time>
  std::string version;            // paiosd's, for the manifest
  std::string origin = "manual";  // "manual" or "scheduled"
  std::int64_t keep = -1;         // >= 0: afterwards, remove the oldest scheduled backups beyond this many
  trace_id trace;                 // the request's or the job run's trace (a new one when invalid)
  std::uint64_t parent_span = 0;  // the span the backup's event is a child of
};

caf::actor spawn_backup_run(caf::actor_system& sys, backup_run_spec spec);

}  // namespace paios
