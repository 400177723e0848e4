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

#include <caf/fwd.hpp>

namespace paios {

class event_sink;

struct obs_store_options {
  std::filesystem::path file;
  bool synchronous_full = false;
  std::int64_t flush_ms = 100;
  int retention_days = 30;   // 0: no age limit
  std::int64_t max_mb = 0;   // 0: no size limit
  std::shared_ptr<event_sink> sink;
};

caf::actor spawn_obs_store(caf::actor_system& sys, obs_store_options opts);

}  // namespace paios
