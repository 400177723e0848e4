#pragma once
// The gate's side of Claude Code's PreToolUse hook, shared by the daemon (actors/autonomy) and `ai hook`'s
// fallback when the daemon does not answer: reading a payload strictly, the answer's shape, what a person is
// shown of a call, and what an approval is bound to. Runtime-free; nothing here decides a level (policy does).
// Promises: a payload the gate cannot judge is refused with a sentence naming what was wrong (so that it is
// denied, never allowed); summaries are redacted and cut.
#include <cstddef>
#include <string>
#include <string_view>

#include <nlohmann/json_fwd.hpp>

#include "core/autonomy/level.hpp"
#include "core/autonomy/policy.hpp"
#include "messages/error.hpp"

namespace paios::autonomy {

// A PreToolUse payload as a call. Stricter than tool_call_from_json: tool_input must be there and an object,
// and a Bash command longer than `max_command_bytes` is refused (bad_request naming the size and the key),
// since a command the policy would not parse must not run on a person's say-so without them seeing it all.
expected<tool_call> pretooluse_call(const nlohmann::json& payload, const std::string& home, const std::string& brain,
                                    std::size_t max_command_bytes);

// What `ai hook` prints for Claude Code: {"hookSpecificOutput": {"hookEventName": "PreToolUse",
// "permissionDecision": permission, "permissionDecisionReason": reason}}; permission is allow, deny or ask.
nlohmann::json pretooluse_output(std::string_view permission, std::string_view reason);

// What `ai hook` prints for Claude Code's PermissionRequest (the moment it would ask the person): {"hookSpecificOutput":
// {"hookEventName": "PermissionRequest", "decision": {"behavior": behavior, "message": reason}}}; behavior is allow
// or deny (a deny's message is what the model reads). An `ask` has no output: the person is asked.
nlohmann::json permission_request_output(std::string_view behavior, std::string_view reason);

// The hook's permission for a level in a session where a person can be asked: safe allow, ask ask, never deny.
std::string_view permission_of(level l);

// What a person is shown of a call: the command, or the path, redacted and cut to `max_chars`.
std::string call_summary(const tool_call& c, std::size_t max_chars = 160);

// What an approval is bound to: the tool, the command or path as written, and the session's folder. Two calls
// with the same key are the same call; anything else is asked again.
std::string approval_key(const tool_call& c);

}  // namespace paios::autonomy
