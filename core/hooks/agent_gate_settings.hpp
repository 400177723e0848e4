#pragma once
// How Codex CLI and Gemini CLI are told to run `ai hook` as their tool gate (docs/autonomy.md, "Codex CLI" and
// "Gemini CLI"): the arguments a daemon's brain adds to one run, and the hook entries `ai hooks install --agent`
// writes for a person's sessions. Claude Code's are in claude_hook_settings.hpp. Runtime-free (the Gemini settings
// file is written here, with the checks Gemini CLI makes before it reads one).
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "messages/error.hpp"

namespace paios {

// Codex's hook group for PreToolUse, as hooks.json (and config.toml's [hooks]) hold it:
//   {"matcher": "*", "hooks": [{"type": "command", "command": <command>, "timeout": <timeout_s>}]}
nlohmann::ordered_json codex_hook_group(const std::string& command, std::int64_t timeout_s);

// The arguments that install the gate in one `codex exec` (Codex 0.171): the feature switched on (a user's
// `[features] hooks = false` would drop it), the hook trusted for this run (Codex runs an untrusted hook silently
// not at all), and the hook itself as a session-flags layer:
//   --enable hooks --dangerously-bypass-hook-trust -c hooks.PreToolUse=[{matcher="*",hooks=[{type="command",
//   command="<command>",timeout=<timeout_s>}]}]
std::vector<std::string> codex_gate_arguments(const std::string& command, std::int64_t timeout_s);

// Gemini CLI's hook group for BeforeTool: {"matcher": ".*", "hooks": [{"type": "command", "name": "paios-gate",
// "command": <command>, "timeout": <timeout_ms>}]} (Gemini's timeouts are milliseconds).
nlohmann::ordered_json gemini_hook_group(const std::string& command, std::int64_t timeout_ms);

// Writes, atomically, the system settings file a gated `gemini` run is pointed at (GEMINI_CLI_SYSTEM_SETTINGS_PATH):
// {"hooksConfig": {"enabled": true}, "hooks": {"BeforeTool": [gemini_hook_group]}}. `enabled` because a user's
// `hooksConfig.enabled: false` switches the system layer's hooks off too unless this layer says otherwise.
// Gemini CLI 0.61 skips such a file (with only a warning) unless the file and every folder above it are owned by
// root and writable by no group and no other user: the same is checked here, and a path that fails is
// brain_unavailable naming the folder, so that the brain is unavailable rather than run ungated.
expected<std::string> write_gemini_gate_settings(const std::string& path, const std::string& command,
                                                 std::int64_t timeout_ms);

}  // namespace paios
