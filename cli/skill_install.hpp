#pragma once
// The Claude Code skill `/autonomy` (deploy/claude/skills/autonomy/SKILL.md, compiled in): `ai hooks install`
// writes it beside the settings it edits (DIR/.claude/skills/autonomy/SKILL.md, or ~/.claude/skills/... with
// --user), with every `{{ai}}` of the text replaced by the command that runs this `ai` (its absolute path, and
// --home when the home is not the default), as the hooks name it. Promises: config_file's (a changed file is
// backed up and replaced atomically; the same text again changes nothing; a dry run prints the diff).
#include <filesystem>
#include <ostream>
#include <string>

namespace paios {

// The skill's text for this `ai` and home.
std::string autonomy_skill_text(const std::string& ai_path, const std::string& home);

// Writes it into `claude_dir`/skills/autonomy/SKILL.md. 0, or 1 (the error on `err`).
int install_autonomy_skill(const std::filesystem::path& claude_dir, const std::string& ai_path, const std::string& home,
                           bool dry_run, std::ostream& out, std::ostream& err);

}  // namespace paios
