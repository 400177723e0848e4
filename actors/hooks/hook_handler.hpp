#pragma once
// hook_handler: what the daemon does with Claude Code's hook events (docs/protocol.md, "hook.event";
// docs/architecture.md, "Hooks"). Rules and budgets live here and in the "hooks" configuration, not in `ai hook`.
//
// Receives                                   Replies (std::string code, std::string message, std::string body,
//                                            std::string event_json)
//   (hook_atom, event_record)                from the bridge: category "hook", action the canonical event name,
//                                            data {uid, payload}, trace and span set. The event is stored (its
//                                            payload's strings cut to hooks.event_max_string_bytes, redacted)
//                                            and only then answered: body {event_id, trace_id, output}, `output`
//                                            being what `ai hook` prints for Claude Code ({} for nothing):
//                                            SessionStart (and UserPromptSubmit with hooks.context.prompt_context)
//                                            hookSpecificOutput.additionalContext with the project's newest
//                                            learnings, learnings and articles on the recent topic, in
//                                            outside-content envelopes, within hooks.context.budget_tokens;
//                                            Stop: {decision: "block", reason} when the Stop gate finds the answer
//                                            unfinished; PreToolUse: the autonomy gate's decision
//                                            (actors/autonomy), hookSpecificOutput.permissionDecision allow, deny
//                                            or ask with permissionDecisionReason, which for a daemon task's
//                                            `ask` waits for a person (at most gate_timeout_ms); without the
//                                            gate's answer, no decision ({}), and the event says why. event_json is the stored event for the event stream.
//                                            PostToolUse, PostToolUseFailure, Stop, SessionEnd and UserPromptSubmit
//                                            also go to the autonomy gate (no reply), which learns from them how a
//                                            person answered the calls of their session it asked about.
//                                            After the reply (never making the hook wait): PostToolUse results of
//                                            the configured tools go to the kb store as notes; SessionEnd leaves a
//                                            learning (kind "learning", brain "claude", session, project = cwd,
//                                            topic) summarized from the transcript.
//   (tick_atom)                              replays the spool (core/hooks/hook_spool.hpp) if it holds anything:
//                                            at start, then every 30 s. Each spooled event is stored and acted on
//                                            (ingest, learning; no answer to give), skipping those whose uid the
//                                            event store already has; the spool is removed once all are stored.
//   (status_atom)                            std::string JSON {events, blocked, ingested, learnings, replayed,
//                                            replay_skipped, failures, spool_pending}
// `code` is "" on success, else an error code of docs/protocol.md with `message` saying what went wrong.
// Owns: the Stop gate's count of blocks per session (kept for the 10,000 most recent sessions; read back at
// start from the stored Stop events of the last day, so that a restart does not reset them). Peers: the event store (an event it
// cannot store is refused with store_failed, and `ai hook` spools it) and the kb store (missing or slower than
// hooks.context.timeout_ms: the hook gets no context, never an error; a failed ingest is logged and leaves a
// "hook ingest" span with its status). Runs on its own thread (a detached actor): transcripts are read here.
#include <cstdint>

#include <caf/fwd.hpp>

#include "core/hooks/hook_spool.hpp"
#include "core/hooks/hooks_config.hpp"

namespace paios {

struct hook_handler_options {
  hooks_config cfg;
  hook_spool spool;                  // PAIOS_HOME/spool
  std::int64_t spool_check_ms = 30000;
  // How long a PreToolUse waits for the autonomy gate: autonomy.approval_timeout_ms and a margin, since a
  // pending approval answers only when a person decides or that timeout passes.
  std::int64_t gate_timeout_ms = 605000;
};

caf::actor spawn_hook_handler(caf::actor_system& sys, hook_handler_options opts);

}  // namespace paios
