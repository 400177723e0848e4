#pragma once
// dispatcher: takes tasks from submitters, makes each durable before saying yes, routes it to a chain of
// brains, and walks that chain behind each brain's circuit breaker, retrying transient failures with backoff.
//
// Receives                                                    Replies / sends
//   (submit_atom, task_spec, caf::actor listener,             the listener gets (update_atom, task_update):
//    std::string route, std::string request_id, bool stream)   accepted (once the task is on disk), routed
//                                                               (again on each retry or failover), chunk* (if
//                                                               stream), then exactly one result or error. A
//                                                               refusal (unknown brain, overload, draining,
//                                                               store failure) is one error with no task id.
//   (cancel_atom, std::string task_id)                        (bool cancelled, std::string state)
//   (route_atom, task_spec)                                   std::string JSON: the routing decision, nothing run
//   (weights_atom)                                            std::vector<rule_weight>: the router's adjustments
//   (weights_atom, rule_weight)                               (std::string code, std::string message): both
//                                                               empty once stored and in effect
//   (chunk_atom, id, text), (outcome_atom, task_update),      from brains; (retry_atom, id) from itself
//   (started_atom, id)                                          (a backoff elapsed), (persist_atom, id) from
//                                                               itself (write a held outcome again), (flush_atom)
//                                                               from itself (this turn's task writes, as one
//                                                               request to the store)
//   (running_atom, std::string id)                            std::string: "" once the task is stored running
//                                                               (a brain starts an agent with side effects only
//                                                               then), else why not
//   (status_atom)                                             std::string JSON {in_flight, draining, brains
//                                                               (each with its breaker)}
//   (breaker_atom, std::string brain)                         (std::string code, std::string body): the brain's
//                                                               breaker closed at once (`ai breaker reset`), the
//                                                               transition stored; code "" and body its breaker's
//                                                               JSON, else an error code and its message
//   (drain_atom, std::int64_t deadline_ms)                    bool once nothing is in flight: true if all
//                                                               finished, false if the deadline cancelled the
//                                                               rest (stored as interrupted)
// A task's outcome is stored before its submitter is told; an outcome the store refuses is held and written
// again with a backoff, and after 5 s the submitter is told store_failed with the task id (docs/protocol.md,
// "What the replies promise"). The chain's rules (retry, failover, the streaming rule) are core/routing/chain_walk.
// Owns: the in-flight table, the breakers of every brain (restored from the store at start, each transition
// stored; one opened while its brain's program was missing closes once the program is on PATH, checked at start
// and at each call attempt, core/routing/brain_health.hpp), and the router's weight adjustments (read from the
// store at start, changed through weights_atom).
// Every routing decision is kept in its task's row (task_record::route), written with the task's outcome, and
// once meanwhile for a task still in flight a few seconds after it was accepted. Brains are looked up through the
// `brains` supervisor and cached; a brain that stops fails its running
// tasks with brain_failed. The first `routed` update to a wire client (through the bridge) in this run that passes
// over a brain that cannot run (its program missing, its breaker open, not running) carries a notice for people:
// each such brain, why, and how to install or configure it; a brain is told of again only after it has answered
// a call or its breaker closed since. A task no brain could run ends with the same lines in its error. Outcomes
// of tasks it does not know (it was restarted while they ran) are still stored, so that no task is left running.
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <caf/actor.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include "core/routing/breaker_config.hpp"
#include "messages/caf_types.hpp"

namespace paios {

// The table above as a type: a request it does not list is a compile error at the caller.
using dispatcher_actor = caf::typed_actor<
    caf::reacts_to<submit_atom, task_spec, caf::actor, std::string, std::string, bool>,
    caf::replies_to<cancel_atom, std::string>::with<bool, std::string>,
    caf::replies_to<route_atom, task_spec>::with<std::string>,
    caf::replies_to<weights_atom>::with<std::vector<rule_weight>>,
    caf::replies_to<weights_atom, rule_weight>::with<std::string, std::string>,
    caf::reacts_to<chunk_atom, std::string, std::string>,
    caf::reacts_to<outcome_atom, task_update>,
    caf::reacts_to<started_atom, std::string>,
    caf::replies_to<running_atom, std::string>::with<std::string>,
    caf::replies_to<status_atom>::with<std::string>,
    caf::replies_to<breaker_atom, std::string>::with<std::string, std::string>,
    caf::replies_to<drain_atom, std::int64_t>::with<bool>,
    // Internal, sent only by the dispatcher to itself: a backoff elapsed (retry_atom, id); write a held outcome
    // again (persist_atom, id); the drain's deadline (drain_atom); store the decisions of long tasks (tick_atom);
    // send this turn's task writes to the store in one request (flush_atom).
    caf::reacts_to<retry_atom, std::string>, caf::reacts_to<persist_atom, std::string>, caf::reacts_to<drain_atom>,
    caf::reacts_to<tick_atom>, caf::reacts_to<flush_atom>>;

class classifier;

struct retry_policy {
  int max_retries = 1;               // extra calls on the same brain after a transient failure
  std::int64_t base_delay_ms = 250;  // see retry_delay_ms() in circuit_breaker.hpp
  std::int64_t max_delay_ms = 5000;
};

struct dispatcher_options {
  std::shared_ptr<classifier> router;  // picks the chain of a task that names no brain; only the dispatcher uses it
  std::string default_brain;
  std::vector<std::string> failover;     // tried in order after the default brain
  std::vector<std::string> brain_names;  // every configured brain
  std::size_t max_in_flight = 100000;
  bool recover_at_start = false;         // ask the store for tasks a crash left queued, and run them
  std::map<std::string, breaker_config> breakers;  // per brain
  // Process brains: the program each runs (looked up on PATH), and what it is (the brain's description): how a
  // person is told to install one that is missing, and where to configure it instead.
  std::map<std::string, std::string> programs;
  std::map<std::string, std::string> descriptions;
  std::string config_file;
  retry_policy retry;
};

dispatcher_actor spawn_dispatcher(caf::actor_system& sys, dispatcher_options opts);

}  // namespace paios
