#pragma once
// supervisor: an Erlang/OTP-style supervisor. It starts its children from declarative specs, in order,
// monitors them, and restarts them by policy and strategy; the daemon's whole tree is built from these specs
// in daemon/actor_tree.cpp.
//
// Receives                         Replies
//   (status_atom)                  std::string JSON {name, strategy, max_restarts, within_ms, children: [{name,
//                                  state, restarts, last_exit, policy, supervisor, tree?}]}; nested
//                                  supervisors are asked in turn (a silent one is reported, not waited for)
//   (whereis_atom, std::string)    caf::actor: the child's current handle; an error when it is not running
//   (restart_atom, std::string)    bool, once the named child stopped in order and started again from its spec
//                                  (a configuration reload); an error when it is not running. Counts as no failure
//   (stop_atom)                    bool, once every child has stopped (in reverse order, each within its
//                                  shutdown time, then killed); the supervisor then exits normally
// When a child fails: temporary children are never restarted; transient ones only after an abnormal exit;
// permanent ones always. one_for_one restarts the child, one_for_all every child, rest_for_one the child
// and those started after it (old instances are gone before new ones start). More than max_restarts within
// `within` and the supervisor stops its children and exits with an error naming the last failure: its
// parent sees a failed child (escalation). Escalating, it first tells the actor registered as alerts
// (escalate_atom, supervisor name, child name, reason), fire and forget. No child outlives its supervisor.
#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include <caf/atom.hpp>
#include <caf/fwd.hpp>

namespace paios {

using stop_atom = caf::atom_constant<caf::atom("stop")>;

enum class restart_policy { permanent, transient, temporary };
enum class restart_strategy { one_for_one, one_for_all, rest_for_one };

struct child_spec {
  std::string name;
  std::function<caf::actor(caf::actor_system&)> start;  // spawns the child (unlinked); called on each restart
  restart_policy restart = restart_policy::permanent;
  std::chrono::milliseconds shutdown{5000};  // an orderly stop waits this long, then kills
  bool is_supervisor = false;                // its status is nested in the tree
};

struct supervisor_spec {
  std::string name;
  restart_strategy strategy = restart_strategy::one_for_one;
  int max_restarts = 5;
  std::chrono::milliseconds within{10000};
  std::vector<child_spec> children;
};

caf::actor spawn_supervisor(caf::actor_system& sys, supervisor_spec spec);

// A supervisor as the child of another.
child_spec supervisor_child(supervisor_spec spec, restart_policy restart = restart_policy::permanent);

// The project's actor hygiene, installed first thing by every actor:
// - an uncaught exception ends the actor with an exit reason carrying the exception's text, logged with the
//   actor's name, so that the supervisor's log and `ai status` say what went wrong;
// - an unexpected message or a stray error message (CAF's default quits on the latter) is logged and
//   dropped: a peer's mistake never takes an actor down.
void guard_actor(caf::scheduled_actor* self, std::string name);

}  // namespace paios
