// `ai hook` (cli/hook.hpp) and `ai hooks install` (cli/hooks_install.hpp): PAIOS in Claude Code's hooks.
#include <iostream>
#include <memory>

#include <CLI/CLI.hpp>

#include "cli/commands.hpp"
#include "cli/hook.hpp"
#include "cli/hooks_install.hpp"
#include "config/home.hpp"

namespace paios::cli {

run_fn define_hook(CLI::App& sub, options&) {
  auto parsed = std::make_shared<hook_options>();  // the arguments; the home and endpoint come from `ai`'s options
  sub.allow_extras();
  sub.add_option("event", parsed->event, "SessionStart, post-tool-use, ... (default: the input's hook_event_name)");
  sub.add_option("--deadline-ms", parsed->deadline_ms, "wait at most this long for paiosd (default: hooks.deadline_ms, 150)");
  auto agent = std::make_shared<std::string>("claude");
  sub.add_option("--agent", *agent,
                 "whose hook this is: claude (default), codex (its PreToolUse) or gemini (Gemini CLI's BeforeTool); "
                 "the tool gate's answer is printed in that CLI's shape")
      ->check(CLI::IsMember({"claude", "codex", "gemini"}));
  sub.add_flag("--run-gate", parsed->run_gate,
               "this is the hook a daemon's gated run installed (PAIOS_RUN_GATE set): a person's hook of the same "
               "agent steps aside there");
  return [parsed, agent](const options& opt) {
    auto home = resolve_home(opt.home);
    auto hook = *parsed;
    hook.agent = autonomy::hook_dialect_from_name(*agent).value();
    hook.home = home.root.string();
    hook.endpoint = endpoint_of(home);
    return run_hook(hook);
  };
}

run_fn define_hooks(CLI::App& sub, options&) {
  sub.require_subcommand(1);
  auto hio = std::make_shared<hooks_install_options>();
  auto* install = sub.add_subcommand(
      "install",
      "merge the PAIOS hooks into Claude Code's settings.json and write the /autonomy skill beside it "
      "(.claude/skills/autonomy/SKILL.md; backed up first; idempotent)");
  auto* project = install->add_option("--project", hio->project, "DIR/.claude/settings.json (default: the current folder)");
  install->add_flag("--user", hio->user, "~/.claude/settings.json")->excludes(project);
  install->add_flag("--dry-run", hio->dry_run, "show the change as a diff, write nothing");
  install
      ->add_option("--agent", hio->agent,
                   "claude (default); codex: the autonomy gate as a PreToolUse hook in Codex's hooks.json ($CODEX_HOME "
                   "or ~/.codex with --user, DIR/.codex otherwise); gemini: as a BeforeTool hook in Gemini CLI's "
                   "settings.json (~/.gemini or DIR/.gemini)")
      ->check(CLI::IsMember({"claude", "codex", "gemini"}));
  return [hio](const options& opt) {
    auto o = *hio;
    o.home = named_home(opt);
    return hooks_install(o, std::cout, std::cerr) == 0 ? kExitOk : kExitError;
  };
}

}  // namespace paios::cli
