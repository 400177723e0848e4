#pragma once
// brain: one configured agent behind a concurrency limit and a bounded queue. Kind "echo" answers with the
// prompt (after an optional delay) and needs no program; kind "process" drives an agent CLI through
// process_runner, the prompt on stdin, its output parsed by an output_adapter. Kind "kb" answers from the
// knowledge base. Kind "mcp" calls one tool of an MCP server (actors/mcp_client, found through the mcp
// supervisor) with the prompt as the argument `prompt_argument`, and answers with the text of its result (one
// chunk); a server that is down or lacks the tool is brain_unavailable (the chain moves on), a tool's isError
// is brain_failed, and a cancel or the task's timeout cancels the call on the server.
//
// Receives                                  Replies / sends
//   (run_atom, task_spec)                   nothing directly. The dispatcher registered as `dispatch_name`
//                                           gets (chunk_atom, task_id, text)* and then exactly one
//                                           (outcome_atom, task_update) whose `what` is result or error.
//                                           A full queue or a missing program is an immediate error outcome
//                                           (overloaded, brain_unavailable), so the dispatcher can fail over.
//                                           An outcome's message says what happened without naming the brain
//                                           ("exited with status 3: ..."): the update carries the brain, and
//                                           the dispatcher's chain_walk is the one place that names it.
//   (cancel_atom, std::string task_id)      bool: the task was queued or running here (its outcome follows)
//   (status_atom)                           std::string: JSON {name, kind, available, reason, running, ...}
// Owns: its queue and its running child processes. When it exits, every child process group is terminated
// and reaped before the actor is gone.
#include <string>

#include <caf/fwd.hpp>

#include "config/config.hpp"

namespace paios {

caf::actor spawn_brain(caf::actor_system& sys, brain_config cfg);

}  // namespace paios
