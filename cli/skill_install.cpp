#include "cli/skill_install.hpp"

#include "cli/config_file.hpp"
#include "cli/embedded_skill.hpp"

namespace paios {

std::string autonomy_skill_text(const std::string& ai_path, const std::string& home) {
  std::string text = embedded::autonomy_skill;
  const std::string token = "{{ai}}", command = ai_command(ai_path, home);
  for (auto at = text.find(token); at != std::string::npos; at = text.find(token, at + command.size()))
    text.replace(at, token.size(), command);
  return text;
}

int install_autonomy_skill(const std::filesystem::path& claude_dir, const std::string& ai_path, const std::string& home,
                           bool dry_run, std::ostream& out, std::ostream& err) {
  const auto text = autonomy_skill_text(ai_path, home);
  text_edit write = [&text](const std::string& before, bool, std::string& after, std::string&) {
    after = text;
    return before == text ? edit_result::unchanged : edit_result::changed;
  };
  return install_edit(claude_dir / "skills" / "autonomy" / "SKILL.md", dry_run, write,
                      {"ai hooks install", "The /autonomy skill is already installed in",
                       "The /autonomy skill installed in", "it runs " + ai_command(ai_path, home) + " autonomy"},
                      out, err);
}

}  // namespace paios
