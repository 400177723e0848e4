#include "core/autonomy/hook_dialect.hpp"

#include <filesystem>

#include "core/autonomy/hook_gate.hpp"

namespace paios::autonomy {
namespace {

using nlohmann::json;

// Gemini CLI 0.61's built-in tools (bundle: *_TOOL_NAME), by the Claude Code tool that does the same, and the
// argument holding the file or folder they act on.
struct gemini_tool {
  const char* gemini;
  const char* claude;
  const char* path_key;  // Gemini's argument, copied to Claude's `file_path` (or `path` for folders)
  const char* claude_key;
};
constexpr gemini_tool kGeminiTools[] = {
    {"write_file", "Write", "file_path", "file_path"}, {"replace", "Edit", "file_path", "file_path"},
    {"read_file", "Read", "file_path", "file_path"},   {"list_directory", "LS", "dir_path", "path"},
    {"glob", "Glob", "dir_path", "path"},              {"grep_search", "Grep", "dir_path", "path"},
    {"web_fetch", "WebFetch", nullptr, nullptr},
};

std::string str_of(const json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string{};
}

// Gemini's run_shell_command runs in dir_path when given (relative to the session's folder): the cwd the policy
// resolves the command's paths against.
void gemini_shell(json& payload, json& input) {
  payload["tool_name"] = "Bash";
  auto dir = str_of(input, "dir_path");
  auto cwd = str_of(payload, "cwd");
  if (!dir.empty() && !cwd.empty())
    payload["cwd"] = std::filesystem::path(dir).is_absolute() ? dir : (std::filesystem::path(cwd) / dir).lexically_normal().string();
}

}  // namespace

expected<hook_dialect> hook_dialect_from_name(std::string_view name) {
  if (name == "claude") return hook_dialect::claude;
  if (name == "codex") return hook_dialect::codex;
  if (name == "gemini") return hook_dialect::gemini;
  return status{errc::bad_request, "agent: \"" + std::string{name} + "\" is not one of claude, codex, gemini"};
}

std::string_view name_of(hook_dialect d) {
  switch (d) {
    case hook_dialect::codex: return "codex";
    case hook_dialect::gemini: return "gemini";
    case hook_dialect::claude: break;
  }
  return "claude";
}

std::string_view gate_event(hook_dialect d) { return d == hook_dialect::gemini ? "BeforeTool" : "PreToolUse"; }

json as_pretooluse(hook_dialect d, json payload) {
  if (!payload.is_object()) return payload;
  payload["hook_event_name"] = "PreToolUse";
  payload["agent"] = std::string{name_of(d)};
  if (d != hook_dialect::gemini) return payload;
  auto input = payload.find("tool_input");
  if (input == payload.end() || !input->is_object()) return payload;
  const auto tool = str_of(payload, "tool_name");
  payload["agent_tool_name"] = tool;
  if (tool == "run_shell_command") {
    gemini_shell(payload, *input);
    return payload;
  }
  for (const auto& t : kGeminiTools) {
    if (tool != t.gemini) continue;
    payload["tool_name"] = t.claude;
    if (t.path_key && input->contains(t.path_key) && !input->contains(t.claude_key))
      (*input)[t.claude_key] = (*input)[t.path_key];
    break;
  }
  return payload;
}

std::optional<json> gate_answer(hook_dialect d, std::string_view permission, std::string_view reason) {
  switch (d) {
    case hook_dialect::claude: return pretooluse_output(permission, reason);
    case hook_dialect::codex:
      // Codex ignores a deny without a reason: there is always one.
      if (permission != "deny") return std::nullopt;
      return pretooluse_output("deny", reason.empty() ? std::string_view{"denied by PAIOS"} : reason);
    case hook_dialect::gemini:
      if (permission != "deny") return std::nullopt;
      return json{{"decision", "deny"}, {"reason", reason.empty() ? std::string{"denied by PAIOS"} : std::string{reason}}};
  }
  return std::nullopt;
}

std::optional<json> gate_answer(hook_dialect d, const json& claude_output) {
  if (!claude_output.is_object()) return std::nullopt;
  auto out = claude_output.find("hookSpecificOutput");
  if (out == claude_output.end() || !out->is_object()) return std::nullopt;
  auto permission = str_of(*out, "permissionDecision");
  if (permission.empty()) return std::nullopt;
  return gate_answer(d, permission, str_of(*out, "permissionDecisionReason"));
}

}  // namespace paios::autonomy
