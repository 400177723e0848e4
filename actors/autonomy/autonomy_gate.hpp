#pragma once
// autonomy_gate: the tool-call gate of the agents' PreToolUse hooks (docs/autonomy.md, "The gate"). It owns the
// policy (core/autonomy, made once from the configuration's `autonomy` section), the pending approvals and the
// grants a person gave beyond one call.
//
// Receives                                                Replies
//   (gate_atom, payload, task_id, trace, parent_span)       (permission, reason, notes): the PreToolUse
//                                                           payload's decision. permission is "allow" (safe, or
//                                                           granted), "deny" (never, a malformed payload, a
//                                                           person's denial, no answer within
//                                                           autonomy.approval_timeout_ms) or "ask" (ask in a
//                                                           session a person sits at). With a task_id (the call
//                                                           comes from an agent a daemon task runs) an `ask`
//                                                           becomes a pending approval: the notifier is told,
//                                                           and the reply waits until approvals.decide or the
//                                                           timeout. notes is JSON {level, rule, permission,
//                                                           approval?} for the hook event.
//   (gate_atom, command_call, trace, parent_span)           (permission, reason, notes) for a command the daemon
//                                                           runs on an agent's behalf (a pipeline's command step;
//                                                           docs/autonomy.md, "Commands the daemon runs"):
//                                                           command_call is JSON {command (the argv joined with
//                                                           shell quoting), cwd, pipeline, run_id, step}, judged as
//                                                           tool Bash by the brain "pipeline:<pipeline>". "allow"
//                                                           or "deny" only: an `ask` always becomes a pending
//                                                           approval (no person sits at a pipeline's terminal)
//   (approvals_atom, "list", "{}")                          (code, message, body): body {approvals: [{id, tool,
//                                                           summary, rule, reason, task, pipeline, run_id, step,
//                                                           session, project, trace, age_ms}]}, oldest first
//   (approvals_atom, "decide", {id, decision, reason?,      (code, message, body): body {approval_id,
//                                                           decision, scope};
//    scope?})                                               not_found naming an unknown id; a `session` or
//                                                           `project` scope grants later identical calls (same
//                                                           tool, command or path, cwd) in that session or
//                                                           project without asking
//   (approvals_atom, "show", "{}")                          (code, message, body): autonomy.show's body {rules:
//                                                           [{id, level, reason, matches, source: pin | learned |
//                                                           builtin, project?, brain?, approvals?}], learned_shown}
//   (approvals_atom, "check", {tool, command, path, cwd,    (code, message, body): {level, rule, reason}, the policy's
//    brain?})                                               decision (learned rules included, grants not) for that
//                                                           brain (default claude), nothing recorded
//   (approvals_atom, "demote", {rule, pattern, project})    (code, message, body): {rule, project, demoted}: the
//                                                           learned rule removed from the policy and its pattern's
//                                                           count reset (persisted), an event (action "demoted")
//                                                           and a notification; not_found naming what was asked,
//                                                           bad_request when a pattern was learned in several
//                                                           projects and none was named
//   (approvals_atom, "withdraw", {run_id, reason})          (code, message, body): {withdrawn: [id...]}: the pending
//                                                           approvals of a pipeline run that stopped waiting
//                                                           (cancelled, timed out) leave the list, denied, each
//                                                           an event (action "withdrawn"); not a wire operation
//   (approvals_atom, "reconfigure", autonomy section)       (code, message, body): the policy made again from a
//                                                           reloaded configuration's `autonomy` section (learned
//                                                           rules, grants and pending approvals kept; the keys
//                                                           config/live_keys.hpp marks for a restart keep their
//                                                           values); bad_request and nothing changed when its rules
//                                                           do not compile; not a wire operation
//   (hook_atom, event, payload)                             from the hook handler, no reply: a hook event of a
//                                                           session after its calls (PostToolUse,
//                                                           PostToolUseFailure, Stop, SessionEnd,
//                                                           UserPromptSubmit), which says how the person answered
//                                                           the calls of their session the gate asked about
//   (approvals_atom, "permission", payload)                 (code, message, body): {behavior, level, rule,
//                                                           reason} for Claude Code's PermissionRequest hook (the
//                                                           person is about to be asked): behavior "allow" for a
//                                                           pin's or a learned rule's safe, or a grant; "deny" for
//                                                           never (or a malformed call); "" otherwise (the person
//                                                           decides); nothing waits or counts
//   (expire_atom, id)                                       from itself: the approval's time is up (deny)
//   (status_atom)                                           std::string JSON {decisions, pending, approved,
//                                                           denied, expired, grants, promoted, learned, asked}
// A person's session (no task_id): an `ask` is answered ask, and Claude Code asks the person. The call is kept
// (core/autonomy/asked_calls.hpp: autonomy.session_asked_max per session, the oldest dropped) until the hooks
// that follow say what the person did: a PostToolUse or PostToolUseFailure of the same session and tool_use_id,
// they let it run (an approval, event action "approved" with by "session"); the session's next PreToolUse for
// another call, its Stop, SessionEnd or UserPromptSubmit, or no word within autonomy.session_answer_timeout_ms,
// they did not (a denial, action "denied", by "session"). Either counts toward its pattern as below.
// Scripts: an approval of a Bash call that runs the project's scripts (core/autonomy/script_binding.hpp) is
// bound to their content: a grant, or a learned rule, whose script changed no longer applies and the call is
// asked again, the reason naming the script.
// Learning: each approval of a pending call counts toward its pattern (core/autonomy/learning.hpp: a Bash
// command's name and first argument, in that project); autonomy.promote_after of them without a denial between
// make it a learned `safe` rule for the project (the notifier is told; an event, action "promoted"); a denial
// resets the count. Never for a pin's decision; a learned rule never loosens a built-in `never` (the policy).
// Every decision, approval, denial and expiry is an event (category autonomy; a decision's action is its
// level, data {rule, level, tool, summary, project, brain, session, task?}) in the hook event's trace; a pending
// approval's wait is a span (action "wait") from pending to decided.
// Owns: the pending approvals (lost if the actor stops: the hook handler's request then times out and the
// hook gets no decision), the patterns' counts and learned rules, and the grants, all three persisted in
// PAIOS_HOME/data/approvals.sqlite and read back at start (what cannot be written is kept for this run, and
// logged). Peers: the notifier (missing: the
// approval is still listed by `ai approvals`).
#include <cstdint>
#include <filesystem>
#include <string>

#include <caf/fwd.hpp>
#include <caf/typed_actor.hpp>

#include "config/autonomy_config.hpp"
#include "messages/caf_types.hpp"
#include "messages/trace.hpp"

namespace paios {

using autonomy_actor = caf::typed_actor<
    caf::replies_to<gate_atom, std::string, std::string, trace_id, std::uint64_t>::with<std::string, std::string, std::string>,
    caf::replies_to<gate_atom, std::string, trace_id, std::uint64_t>::with<std::string, std::string, std::string>,
    caf::replies_to<approvals_atom, std::string, std::string>::with<std::string, std::string, std::string>,
    caf::reacts_to<hook_atom, std::string, std::string>,
    caf::reacts_to<expire_atom, std::string>,
    caf::replies_to<status_atom>::with<std::string>>;

struct autonomy_gate_options {
  autonomy_config cfg;
  std::string home;                  // the sessions' home folder (the daemon's HOME): `~` in rules
  std::filesystem::path grants_file; // PAIOS_HOME/data/approvals.sqlite
};

autonomy_actor spawn_autonomy_gate(caf::actor_system& sys, autonomy_gate_options opts);

}  // namespace paios
