#pragma once
// What `ai hook` answers a PreToolUse (or a PermissionRequest) when paiosd did not (down, slow, or refusing): the
// built-in `never` rules
// of the embedded defaults (config/defaults.json, autonomy.builtin), judged here in the client. A call one of
// them catches is denied, naming the rule; anything else gets no answer, so that Claude Code's own permission
// flow applies. Only the `never` rules are compiled, and only when this is needed, so that the hook stays fast
// when the daemon answers. Pins and learned rules live in the daemon and are not applied here.
#include <optional>
#include <string>

#include <nlohmann/json_fwd.hpp>

namespace paios {

// The deny's reason (naming the rule and saying that `ai hook` judged it: `why`), or nullopt when no built-in
// `never` rule catches the call. The caller shapes it for the hook event it answers.
std::optional<std::string> fallback_never(const nlohmann::json& payload, const char* why);

}  // namespace paios
