#pragma once
// The Claude Code skill files compiled into `ai` (cli/CMakeLists.txt embeds them with cmake/embed_json.cmake).
namespace paios::embedded {
extern const char autonomy_skill[];  // deploy/claude/skills/autonomy/SKILL.md
}  // namespace paios::embedded
