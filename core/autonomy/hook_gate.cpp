#include "core/autonomy/hook_gate.hpp"

#include <nlohmann/json.hpp>

#include "messages/redact.hpp"

namespace paios::autonomy {

expected<tool_call> pretooluse_call(const nlohmann::json& payload, const std::string& home, const std::string& brain,
                                    std::size_t max_command_bytes) {
  if (!payload.is_object()) return status{errc::bad_request, "the PreToolUse payload must be a JSON object"};
  auto input = payload.find("tool_input");
  if (input == payload.end() || input->is_null())
    return status{errc::bad_request, "tool_input: is required (the tool's arguments, an object)"};
  if (!input->is_object()) return status{errc::bad_request, "tool_input: must be an object"};
  if (auto cmd = input->find("command"); cmd != input->end() && cmd->is_string()) {
    const auto bytes = cmd->get_ref<const std::string&>().size();
    if (bytes > max_command_bytes)
      return status{errc::bad_request, "tool_input.command: is " + std::to_string(bytes) +
                                           " bytes, over autonomy.max_command_bytes (" +
                                           std::to_string(max_command_bytes) + ")"};
  }
  return tool_call_from_json(payload, home, brain);
}

nlohmann::json pretooluse_output(std::string_view permission, std::string_view reason) {
  return {{"hookSpecificOutput",
           {{"hookEventName", "PreToolUse"},
            {"permissionDecision", std::string{permission}},
            {"permissionDecisionReason", std::string{reason}}}}};
}

nlohmann::json permission_request_output(std::string_view behavior, std::string_view reason) {
  return {{"hookSpecificOutput",
           {{"hookEventName", "PermissionRequest"},
            {"decision", {{"behavior", std::string{behavior}}, {"message", std::string{reason}}}}}}};
}

std::string_view permission_of(level l) {
  switch (l) {
    case level::safe: return "allow";
    case level::never: return "deny";
    case level::ask: break;
  }
  return "ask";
}

std::string call_summary(const tool_call& c, std::size_t max_chars) {
  return redacted_summary(!c.command.empty() ? c.command : !c.path.empty() ? c.path : c.tool, max_chars);
}

std::string approval_key(const tool_call& c) {
  // A JSON array: its parts cannot run into each other, whatever bytes they hold.
  return nlohmann::json::array({c.tool, c.command, c.path, c.cwd}).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace paios::autonomy
