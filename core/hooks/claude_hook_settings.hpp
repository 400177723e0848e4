#pragma once
// How Claude Code is told to run `ai hook`: the hook's command line, as `ai hooks install` writes it into a
// settings.json and as the daemon passes it to the Claude Code runs of its tasks (docs/autonomy.md, "Claude Code,
// end to end"). One text for both on purpose: Claude Code runs identical hook commands once (verified with
// 2.1.197), so a task whose project also has PAIOS's hooks installed is judged once, not twice. Runtime-free.
#include <cstdint>
#include <string>
#include <vector>

namespace paios {

// `s` as one word of a POSIX shell: unchanged when plain, else single-quoted.
std::string shell_quote(const std::string& s);

// `<ai> [--home <home>]`, quoted as needed; `home` "" names none: how Claude Code runs `ai` (hooks, skills).
std::string ai_command(const std::string& ai_path, const std::string& home);

// `<ai> [--home <home>] hook [--agent <agent>] [--run-gate] <kebab_event>` ("post-tool-use"), quoted as needed;
// `home` "" names none, `agent` "" (Claude Code's hooks) none; `run_gate`: the hook a daemon's gated run of that
// agent installs itself (cli/hook.hpp says why it differs from the one `ai hooks install --agent` writes).
std::string hook_command(const std::string& ai_path, const std::string& home, const std::string& kebab_event,
                         const std::string& agent = {}, bool run_gate = false);

// The arguments that install the autonomy gate in one run of Claude Code (`claude -p`):
//   --permission-mode dontAsk --settings {"hooks":{"PreToolUse":[{"matcher":"*","hooks":[{"type":"command",
//                                          "command":<command>,"timeout":<timeout_s>}]}]}}
// dontAsk because Claude Code, given no answer by the hook (it failed, timed out, printed nothing), then denies
// everything but its own read-only set, while the hook's `allow` still lets the call run and its `deny` blocks it.
std::vector<std::string> claude_gate_arguments(const std::string& command, std::int64_t timeout_s);

}  // namespace paios
