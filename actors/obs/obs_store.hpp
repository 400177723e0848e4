#pragma once
// obs_store: the one owner of observability.sqlite, the event store (docs/architecture.md, "Observability").
//
// Receives                                   Replies
//   (flush_atom)                             nothing: writes what the sink holds (the sink asks when a batch is full)
//   (tick_atom)                              nothing: the timer (obs.flush_ms): writes what the sink holds;
//                                            retention (obs.retention_days, obs.max_mb) once a minute
//   (publish_atom, event_record)             (std::string error, std::int64_t seq), after the event and everything
//                                            queued before it are committed: an acknowledged event is on disk
//   (query_atom, event_query)                (std::string error, std::vector<event_record>), newest first
//   (trace_atom, trace_id)                   (std::string error, std::vector<event_record>), oldest first
//   (score_atom, score_record)               std::string: "" once stored, else the error
//   (score_atom, std::string target)         (bool found, score_record)
//   (status_atom)                            std::string JSON {stored, dropped, queued, capacity, batches,
//                                            failed_batches, bytes, last_error}
// Owns: the database. The sink (the intake queue) outlives it, so that a restart loses nothing queued.
// Events are written in batches, one transaction each; what a crash of paiosd can lose is what waited for
// the next write: at most obs.flush_ms of events. A batch that cannot be written is kept and tried again at
// the next tick (while the queue fills and, once full, drops with a count).
// Runs on its own thread (a detached actor): a batch write never holds up a scheduler thread.
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include "messages/caf_types.hpp"

namespace paios {

// The table above as a type: a request it does not list is a compile error at the caller.
using obs_store_actor = caf::typed_actor<
    caf::reacts_to<flush_atom>,
    caf::replies_to<publish_atom, event_record>::with<std::string, std::int64_t>,
    caf::replies_to<query_atom, event_query>::with<std::string, std::vector<event_record>>,
    caf::replies_to<trace_atom, trace_id>::with<std::string, std::vector<event_record>>,
    caf::replies_to<score_atom, score_record>::with<std::string>,
    caf::replies_to<score_atom, std::string>::with<bool, score_record>,
    caf::replies_to<status_atom>::with<std::string>,
    // Internal, sent only by the store to itself: the flush timer.
    caf::reacts_to<tick_atom>>;

class event_sink;

struct obs_store_options {
  std::filesystem::path file;
  bool synchronous_full = false;
  std::int64_t flush_ms = 100;
  int retention_days = 30;   // 0: no age limit
  std::int64_t max_mb = 0;   // 0: no size limit
  std::shared_ptr<event_sink> sink;
};

obs_store_actor spawn_obs_store(caf::actor_system& sys, obs_store_options opts);

}  // namespace paios
