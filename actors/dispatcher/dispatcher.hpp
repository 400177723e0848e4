#pragma once
// dispatcher: takes tasks from submitters, makes each durable before saying yes, sends it to a brain, walks
// the failover chain when a brain cannot run it, and relays what comes back.
//
// Receives                                                    Replies / sends
//   (submit_atom, task_spec, caf::actor listener,             the listener gets (update_atom, task_update):
//    std::string route, std::string request_id, bool stream)   accepted (once the task is on disk), routed,
//                                                               chunk* (if stream), then exactly one result or
//                                                               error. A refusal (unknown brain, overload,
//                                                               draining, store failure) is one error update
//                                                               with no task id: nothing was stored.
//   (cancel_atom, std::string task_id)                        (bool cancelled, std::string state)
//   (route_atom, task_spec)                                   std::string JSON: the routing decision, nothing run
//   (chunk_atom, id, text), (outcome_atom, task_update)       from brains
//   (status_atom)                                             std::string JSON {in_flight, draining, brains}
//   (drain_atom, std::int64_t deadline_ms)                    bool once nothing is in flight: true if all
//                                                               finished, false if the deadline cancelled the
//                                                               rest (stored as interrupted)
// Owns: the in-flight table. Brains are looked up through the `brains` supervisor and cached; a brain that
// stops fails its running tasks with brain_failed. Outcomes of tasks it does not know (it was restarted
// while they ran) are still written to the store, so that no task is left running.
#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include <caf/fwd.hpp>

namespace paios {

class classifier;

struct dispatcher_options {
  std::shared_ptr<const classifier> router;  // picks the chain of a task that names no brain
  std::string default_brain;
  std::vector<std::string> failover;     // tried in order after the default brain
  std::vector<std::string> brain_names;  // every configured brain
  std::size_t max_in_flight = 100000;
  bool recover_at_start = false;         // ask the store for tasks a crash left queued, and run them
};

caf::actor spawn_dispatcher(caf::actor_system& sys, dispatcher_options opts);

}  // namespace paios
