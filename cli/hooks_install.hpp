#pragma once
// `ai hooks install [--project DIR | --user] [--dry-run]`: merges PAIOS's hook entries into Claude Code's
// settings.json (DIR/.claude/settings.json, the current directory by default, or ~/.claude/settings.json):
//
//   "hooks": {"SessionStart":     [{"hooks": [{"type": "command", "command": "/abs/ai hook session-start", "timeout": 10}]}],
//             "UserPromptSubmit": [{"hooks": [... "ai hook user-prompt-submit" ...]}],
//             "PreToolUse":       [{"matcher": "*", "hooks": [... "ai hook pre-tool-use" ...]}],  (the autonomy gate)
//             "PostToolUse":      [{"matcher": "*", "hooks": [... "ai hook post-tool-use" ...]}],
//             "Stop":             [{"hooks": [... "ai hook stop" ...]}],
//             "SessionEnd":       [{"hooks": [... "ai hook session-end" ...]}]}
//
// Promises: every other key and every other hook is kept, in its place; running it again changes nothing (an
// entry that runs `ai hook` is PAIOS's: replaced where it stands, duplicates removed); the file is backed up
// (settings.json.paios-backup-<unix ms>) before it is replaced, and replaced atomically (a temporary file
// renamed over it); a file that is not a JSON object is refused and left alone; --dry-run writes nothing and
// prints the diff. The command names the `ai` binary by its absolute path (and PAIOS_HOME, when not the default).
// It also writes the `/autonomy` skill beside the settings (cli/skill_install.hpp: .claude/skills/autonomy/SKILL.md).
//
// `--agent codex|gemini` installs the autonomy gate for a person's sessions of that CLI instead, with the same
// promises (docs/autonomy.md, "Codex CLI", "Gemini CLI"):
//   codex   hooks.json beside Codex's config.toml (the user's: $CODEX_HOME, else ~/.codex; --project: DIR/.codex):
//           "hooks": {"PreToolUse": [{"matcher": "*", "hooks": [... "ai hook --agent codex pre-tool-use" ...]}]}.
//           Codex runs it once the person has trusted it in Codex (an untrusted hook is silently not run).
//   gemini  Gemini CLI's settings.json (~/.gemini; --project: DIR/.gemini):
//           "hooks": {"BeforeTool": [{"matcher": ".*", "hooks": [... "ai hook --agent gemini pre-tool-use" ...]}]};
//           refused when the file sets hooksConfig.enabled to false (Gemini would run no hook).
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/hooks/claude_hook_settings.hpp"  // hook_command

namespace paios {

struct hooks_install_options {
  std::string project;     // DIR (default: the current directory)
  bool user = false;       // ~/.claude/settings.json instead
  bool dry_run = false;
  std::string agent = "claude";  // claude, codex or gemini
  std::string ai_path;     // absolute; default: /proc/self/exe
  std::string home;        // PAIOS_HOME to name in the commands; "" for the default
};

// `settings` with PAIOS's entries merged in (see above). `error` set (and `settings` returned unchanged) when a
// "hooks" member is not of the shape Claude Code reads.
nlohmann::ordered_json merge_hook_settings(nlohmann::ordered_json settings, const std::string& ai_path,
                                           const std::string& home, std::string& error);

// `settings` with each (event, group) merged in: a group equal to it is kept where it stands, every other hook that
// runs `ai hook` is removed (a group left empty goes), anything else is kept; the group is added when not there.
nlohmann::ordered_json merge_hook_groups(nlohmann::ordered_json settings,
                                         const std::vector<std::pair<std::string, nlohmann::ordered_json>>& groups,
                                         std::string& error);

// The gate's hook merged into Codex's hooks.json (agent "codex") or Gemini CLI's settings.json ("gemini").
nlohmann::ordered_json merge_agent_gate(nlohmann::ordered_json settings, const std::string& agent,
                                        const std::string& ai_path, const std::string& home, std::string& error);

// 0 done (or nothing to do), 1 the file could not be read, parsed or written; messages on out/err.
int hooks_install(const hooks_install_options& opt, std::ostream& out, std::ostream& err);

}  // namespace paios
