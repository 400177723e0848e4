#pragma once
// `ai hook [EVENT]`: a Claude Code hook (docs/architecture.md, "Hooks"). Reads the hook's JSON from stdin, sends
// it to paiosd as `hook.event` (docs/protocol.md) and prints what the daemon says Claude Code is to get (the
// SessionStart context, the Stop gate's decision), if anything.
//
// Promises, because Claude Code waits for every hook: it never makes the session fail (never exit 2, the code
// that blocks), it waits for the daemon at most the deadline (hooks.deadline_ms, 150 ms), and it never loses an
// event silently: with the daemon down, slow, or unable to store it, the event is appended to
// PAIOS_HOME/spool/hooks.jsonl (locked, fsync'd; core/hooks/hook_spool.hpp) for the daemon to replay, and
// nothing is printed; if the spool cannot take it either (a full disk), it exits 1 and says so on stderr
// (Claude Code shows it and goes on). Input that is not a JSON object
// is logged (stderr, and PAIOS_HOME/logs/hooks.log when the folder exists) and dropped.
//
// PreToolUse is the autonomy gate (docs/autonomy.md): the daemon's decision is printed as Claude Code's
// permissionDecision. Run by an agent of a daemon task (PAIOS_TASK_ID in the environment, sent as `task_id`),
// an `ask` waits for a person, so the hook then waits autonomy.approval_timeout_ms (PAIOS_HOME/config.json,
// else 600000) plus 15 s instead of the deadline. With no answer from the daemon, the built-in `never` rules are
// judged here (cli/hook_gate_fallback.hpp): such a call is denied, anything else gets no output.
//
// `--agent codex|gemini`: the hook is Codex's PreToolUse or Gemini CLI's BeforeTool (core/autonomy/hook_dialect.hpp):
// its payload is read as a PreToolUse in Claude Code's terms and the decision printed in that CLI's shape (for
// both, only a deny is printed: see hook_dialect.hpp for why).
//
// `--run-gate`: the hook a daemon's gated run of Codex or Gemini installed itself, which also sets PAIOS_RUN_GATE in
// the agent's environment. There, the same CLI's hook a person installed (`ai hooks install --agent`, no --run-gate)
// steps aside: it prints nothing and sends nothing, so that each call is judged once, by the run's hook with the
// run's long timeout (Codex 0.171 runs both hooks, and an `ask` would be two approvals; Gemini 0.61 runs one of two
// identical hooks, with the person's 10 s timeout, after which it runs the call). Such a hook also denies a call
// the daemon did not judge (down, slow, refusing, or its gate not running) when the built-in `never` rules do not
// already: Codex and Gemini run a call their hook gave no answer for.
#include <cstdint>
#include <optional>
#include <string>

#include "core/autonomy/hook_dialect.hpp"

namespace paios {

struct hook_options {
  std::string home;                        // PAIOS_HOME
  std::string endpoint;                    // the daemon's request endpoint
  std::string event;                       // the EVENT argument; the payload's hook_event_name wins
  autonomy::hook_dialect agent = autonomy::hook_dialect::claude;  // whose hook this is (--agent)
  bool run_gate = false;                   // --run-gate (above)
  std::optional<std::int64_t> deadline_ms; // else $PAIOS_HOOK_DEADLINE_MS, else hooks.deadline_ms of
                                           // PAIOS_HOME/config.json, else 150
};

// The exit code for Claude Code: 0, or 1 when the event was neither delivered nor spooled.
int run_hook(const hook_options& opt);

}  // namespace paios
