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
//   (status_atom)                           std::string: JSON {name, kind, available, reason, running, ...,
//                                           autonomy_gate: the ai path, when gated}
// A brain whose configuration has autonomy_gate runs each call with the autonomy gate installed, by its format:
// Claude Code the arguments of claude_gate_arguments (core/hooks/claude_hook_settings.hpp), Codex those of
// codex_gate_arguments, Gemini `--approval-mode yolo` and GEMINI_CLI_SYSTEM_SETTINGS_PATH naming the settings file
// written at start (write_gemini_gate_settings; core/hooks/agent_gate_settings.hpp), PAIOS_RUN_GATE set for those
// two; its hook `gate.ai_path hook [--agent A --run-gate] pre-tool-use` reaching this daemon (PAIOS_HOME in the
// agent's environment, and --home unless the home is the default), with a hook timeout past
// autonomy.approval_timeout_ms so that a pending approval is answered by the daemon, not cut by the agent. Without
// an executable `ai`, or (Gemini) where the settings file cannot be root's alone, the brain is unavailable (its
// tasks fail over): it never runs the agent ungated.
// Owns: its queue and its running child processes. When it exits, every child process group is terminated
// and reaped before the actor is gone.
#include <cstdint>
#include <string>

#include <caf/fwd.hpp>

#include "config/config.hpp"

namespace paios {

// What a gated brain needs of the daemon (see above); unused by a brain without autonomy_gate.
struct brain_gate {
  std::string ai_path;                        // absolute; "" when the daemon found none
  std::string home;                           // the daemon's PAIOS_HOME
  bool name_home = true;                      // false when it is the default home (~/.paios): the hook command is
                                              // then the very text `ai hooks install` writes, and runs once
  std::int64_t approval_timeout_ms = 600000;  // autonomy.approval_timeout_ms
};

caf::actor spawn_brain(caf::actor_system& sys, brain_config cfg, brain_gate gate = {});

}  // namespace paios
