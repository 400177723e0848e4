#pragma once
// The names of Claude Code's hook events, as the `hook.event` operation carries them (docs/protocol.md):
// Claude Code's own spelling (SessionStart, PostToolUse, ...). `ai hook` and the daemon also take kebab-case
// and snake_case (session-start, post_tool_use): canonical_hook_event() turns any of them into the canonical
// name. A name Claude Code may add later is kept, in PascalCase.
#include <optional>
#include <string>
#include <string_view>

namespace paios {

// The events whose hook the daemon answers or acts on; others are stored only.
inline constexpr std::string_view kHookEvents[] = {"SessionStart", "UserPromptSubmit", "PreToolUse", "PostToolUse",
                                                    "PostToolUseFailure", "Notification", "Stop", "SubagentStop",
                                                    "PreCompact", "SessionEnd"};

// The canonical name, or nullopt when `name` is empty, longer than 64 bytes or holds anything but ASCII letters,
// digits, '-' and '_'.
std::optional<std::string> canonical_hook_event(std::string_view name);

// "PostToolUse" -> "post-tool-use": the form `ai hooks install` writes into settings.json.
std::string kebab_hook_event(std::string_view canonical);

}  // namespace paios
