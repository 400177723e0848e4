#pragma once
// The agent CLIs' tool-gate hooks, each in its own shape, read as one: Claude Code's PreToolUse is the shape the
// gate judges (hook_gate.hpp), and Codex's PreToolUse and Gemini CLI's BeforeTool are translated to it and back
// (docs/autonomy.md, "Codex CLI" and "Gemini CLI"). One policy, several dialects. Runtime-free.
//
// What each CLI does with an answer (verified with Codex 0.171.0 and Gemini CLI 0.61.0, docs/autonomy_agents.md)
// decides what is printed:
//   claude  allow / deny / ask, all three honoured.
//   codex   only `deny` with a non-empty reason is honoured; `allow` and `ask` are rejected as invalid and the
//           call runs, so a safe call (or an approved one) gets no output and the call runs inside Codex's sandbox.
//   gemini  `{"decision": "deny", "reason"}` blocks; `ask` hangs a headless run, so it is never printed; a safe
//           call gets no output (Gemini's own approval mode then applies).
// So for codex and gemini an `ask` a person answers in the terminal is the CLI's own prompt, not the gate's.
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "messages/error.hpp"

namespace paios::autonomy {

enum class hook_dialect : unsigned char { claude, codex, gemini };

// "claude", "codex" or "gemini"; anything else is bad_request naming the accepted names.
expected<hook_dialect> hook_dialect_from_name(std::string_view name);
std::string_view name_of(hook_dialect d);

// The hook event of `d` that gates a tool call: PreToolUse (claude, codex) or BeforeTool (gemini).
std::string_view gate_event(hook_dialect d);

// A payload of `d`'s gate event as Claude Code's PreToolUse: hook_event_name PreToolUse, tool_name and tool_input
// in Claude Code's terms (Gemini's run_shell_command is Bash, its dir_path the cwd; write_file Write, replace Edit,
// read_file Read, list_directory LS, glob Glob, grep_search Grep, web_fetch WebFetch; other names are kept), and
// "agent": the dialect's name (the brain the gate's rules see). Codex already speaks Claude's names (exec_command
// arrives as Bash). What is not an object, or has no tool_input object, is returned as is, for the gate to refuse.
nlohmann::json as_pretooluse(hook_dialect d, nlohmann::json payload);

// What the agent is to read on the hook's stdout for the gate's permission (allow, deny or ask) and reason, in
// `d`'s shape; nullopt for nothing at all (see the table above).
std::optional<nlohmann::json> gate_answer(hook_dialect d, std::string_view permission, std::string_view reason);

// The same, from the Claude-shaped output the daemon (or `ai hook`'s own fallback) gives: nullopt when it holds no
// permissionDecision.
std::optional<nlohmann::json> gate_answer(hook_dialect d, const nlohmann::json& claude_output);

}  // namespace paios::autonomy
