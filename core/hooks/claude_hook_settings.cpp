#include "core/hooks/claude_hook_settings.hpp"

#include <regex>

#include <nlohmann/json.hpp>

namespace paios {

std::string shell_quote(const std::string& s) {
  static const std::regex plain("^[A-Za-z0-9/._+=:,@%-]+$");
  if (!s.empty() && std::regex_match(s, plain)) return s;
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string{"'\\''"} : std::string(1, c);
  return out + "'";
}

std::string ai_command(const std::string& ai_path, const std::string& home) {
  std::string cmd = shell_quote(ai_path);
  if (!home.empty()) cmd += " --home " + shell_quote(home);
  return cmd;
}

std::string hook_command(const std::string& ai_path, const std::string& home, const std::string& kebab_event,
                         const std::string& agent, bool run_gate) {
  return ai_command(ai_path, home) + " hook " + (agent.empty() ? std::string{} : "--agent " + shell_quote(agent) + " ") +
         (run_gate ? "--run-gate " : "") + kebab_event;
}

std::vector<std::string> claude_gate_arguments(const std::string& command, std::int64_t timeout_s) {
  nlohmann::ordered_json hook{{"type", "command"}, {"command", command}, {"timeout", timeout_s}};
  nlohmann::ordered_json settings{
      {"hooks", {{"PreToolUse", nlohmann::ordered_json::array({{{"matcher", "*"}, {"hooks", {hook}}}})}}}};
  return {"--permission-mode", "dontAsk", "--settings", settings.dump()};
}

}  // namespace paios
