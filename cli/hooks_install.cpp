#include "cli/hooks_install.hpp"

#include <cstdlib>
#include <filesystem>
#include <regex>

#include "cli/config_file.hpp"
#include "cli/skill_install.hpp"
#include "core/hooks/agent_gate_settings.hpp"
#include "messages/hook_event.hpp"

namespace paios {
namespace {

namespace fs = std::filesystem;
using ojson = nlohmann::ordered_json;

constexpr int kHookTimeoutS = 10;  // the CLI's limit for one run; the hook itself gives up far sooner

struct wanted {
  const char* event;  // Claude Code's name
  bool matcher;       // tool events take a matcher ("*": every tool); the others take none
};
constexpr wanted kWanted[] = {
    {"SessionStart", false}, {"UserPromptSubmit", false}, {"PreToolUse", true}, {"PostToolUse", true},
    // A call the person let run and that failed: still their approval (the autonomy gate learns from it).
    {"PostToolUseFailure", true},
    // The moment Claude Code would ask the person: the gate answers for them where the policy is plain.
    {"PermissionRequest", true}, {"Stop", false}, {"SessionEnd", false}};

// A command that runs `ai hook`: PAIOS's own, whatever path or home it names.
bool is_ours(const ojson& hook) {
  if (!hook.is_object() || !hook.contains("command") || !hook["command"].is_string()) return false;
  static const std::regex re("^('[^']*/)?(\\S*/)?ai'?(\\s+--home\\s+('[^']*'|\\S+))?\\s+hook(\\s|$)");
  return std::regex_search(hook["command"].get<std::string>(), re);
}

ojson group_for(const wanted& w, const std::string& command) {
  ojson g = ojson::object();
  if (w.matcher) g["matcher"] = "*";
  g["hooks"] = ojson::array({ojson{{"type", "command"}, {"command", command}, {"timeout", kHookTimeoutS}}});
  return g;
}

}  // namespace

ojson merge_hook_groups(ojson settings, const std::vector<std::pair<std::string, ojson>>& desired_groups,
                        std::string& error) {
  if (!settings.is_object()) {
    error = "the settings are not a JSON object";
    return settings;
  }
  auto original = settings;
  if (!settings.contains("hooks")) settings["hooks"] = ojson::object();
  auto& hooks = settings["hooks"];
  if (!hooks.is_object()) {
    error = "\"hooks\" is not an object";
    return original;
  }
  for (const auto& [event, desired] : desired_groups) {
    if (!hooks.contains(event)) hooks[event] = ojson::array();
    auto& groups = hooks[event];
    if (!groups.is_array()) {
      error = "\"hooks." + event + "\" is not an array";
      return original;
    }
    bool kept = false;
    ojson merged = ojson::array();
    for (auto group : groups) {
      if (group == desired && !kept) {  // already as wanted, where it stands
        kept = true;
        merged.push_back(std::move(group));
        continue;
      }
      if (!group.is_object() || !group.contains("hooks") || !group["hooks"].is_array()) {
        merged.push_back(std::move(group));
        continue;
      }
      ojson rest = ojson::array();
      for (auto& h : group["hooks"])
        if (!is_ours(h)) rest.push_back(h);
      if (rest.size() == group["hooks"].size()) {
        merged.push_back(std::move(group));
      } else if (!rest.empty()) {  // another tool's hooks shared the group: they stay
        group["hooks"] = std::move(rest);
        merged.push_back(std::move(group));
      }
    }
    if (!kept) merged.push_back(desired);
    groups = std::move(merged);
  }
  return settings;
}

ojson merge_hook_settings(ojson settings, const std::string& ai_path, const std::string& home, std::string& error) {
  std::vector<std::pair<std::string, ojson>> desired;
  for (const auto& w : kWanted)
    desired.emplace_back(w.event, group_for(w, hook_command(ai_path, home, kebab_hook_event(w.event))));
  return merge_hook_groups(std::move(settings), desired, error);
}

ojson merge_agent_gate(ojson settings, const std::string& agent, const std::string& ai_path, const std::string& home,
                       std::string& error) {
  const auto command = hook_command(ai_path, home, "pre-tool-use", agent);
  if (agent == "codex") return merge_hook_groups(std::move(settings), {{"PreToolUse", codex_hook_group(command, kHookTimeoutS)}}, error);
  // Gemini: a user's hooksConfig.enabled false switches every hook off, the gate's too; that is theirs to change.
  if (settings.is_object() && settings.contains("hooksConfig") && settings["hooksConfig"].is_object() &&
      settings["hooksConfig"].value("enabled", true) == false) {
    error = "hooksConfig.enabled is false: Gemini CLI runs no hooks, so the gate would not run either (set it to "
            "true, or remove it, and install again)";
    return settings;
  }
  return merge_hook_groups(std::move(settings), {{"BeforeTool", gemini_hook_group(command, kHookTimeoutS * 1000)}}, error);
}

namespace {

// Where an agent keeps the hooks of a person's sessions: Codex's hooks.json beside its config.toml (CODEX_HOME, else
// ~/.codex; a project's .codex/), Gemini CLI's settings.json (~/.gemini; a project's .gemini/).
fs::path agent_hooks_file(const hooks_install_options& opt, const fs::path& user_home, const fs::path& project) {
  if (opt.agent == "codex") {
    if (!opt.user) return project / ".codex" / "hooks.json";
    const char* codex_home = std::getenv("CODEX_HOME");
    return (codex_home && *codex_home ? fs::path(codex_home) : user_home / ".codex") / "hooks.json";
  }
  return (opt.user ? user_home : project) / ".gemini" / "settings.json";
}

}  // namespace

int hooks_install(const hooks_install_options& opt, std::ostream& out, std::ostream& err) {
  fs::path user_home, project;
  if (opt.user) {
    const char* home = std::getenv("HOME");
    if (!home || !*home) {
      err << "ai hooks install: HOME is not set; use --project DIR\n";
      return 1;
    }
    user_home = home;
  } else {
    std::error_code ec;
    project = fs::absolute(opt.project.empty() ? fs::path(".") : fs::path(opt.project), ec).lexically_normal();
    if (ec || !fs::is_directory(project, ec)) {
      err << "ai hooks install: " << project.string() << " is not a folder\n";
      return 1;
    }
  }
  const auto ai = opt.ai_path.empty() ? self_exe() : opt.ai_path;
  if (ai.empty() || !fs::path(ai).is_absolute()) {
    err << "ai hooks install: cannot tell where the ai binary is\n";
    return 1;
  }
  if (opt.agent == "codex" || opt.agent == "gemini") {
    auto merge = [&](ojson& settings, std::string& why) {
      settings = merge_agent_gate(std::move(settings), opt.agent, ai, opt.home, why);
      return why.empty();
    };
    const auto event = opt.agent == "codex" ? "PreToolUse" : "BeforeTool";
    return install_edit(agent_hooks_file(opt, user_home, project), opt.dry_run, json_object_edit(merge),
                        {"ai hooks install", "the PAIOS gate is already installed in", "the PAIOS gate installed in",
                         std::string{event} + ": " + hook_command(ai, opt.home, "pre-tool-use", opt.agent)},
                        out, err);
  }
  const auto dir = (opt.user ? user_home : project) / ".claude";
  const auto file = dir / "settings.json";
  auto merge = [&](ojson& settings, std::string& why) {
    settings = merge_hook_settings(std::move(settings), ai, opt.home, why);
    return why.empty();
  };
  if (install_edit(file, opt.dry_run, json_object_edit(merge),
                   {"ai hooks install", "PAIOS hooks are already installed in", "PAIOS hooks installed in",
                    "SessionStart, UserPromptSubmit, PreToolUse, PostToolUse, PostToolUseFailure, PermissionRequest, Stop, SessionEnd: " + hook_command(ai, opt.home, "EVENT")},
                   out, err) != 0)
    return 1;
  return install_autonomy_skill(dir, ai, opt.home, opt.dry_run, out, err);
}

}  // namespace paios
