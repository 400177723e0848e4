// ai: the PAIOS command-line client. Submits tasks to paiosd and streams the answers; shows status, tasks
// and history. It speaks only the wire protocol (docs/protocol.md) and never links the actor runtime.
//
// Exit codes: cli/command.hpp's constants; what each means is written once, in cli/surface.cpp, and shown at
// the end of every --help.
//
// This file parses the options of `ai` itself and finds the subcommand in the table below; each command group
// is a file of its own (cli/commands.hpp lists them). A command line with no subcommand is a prompt.
#include <algorithm>
#include <cstring>
#include <iostream>
#include <vector>

#include <CLI/CLI.hpp>

#include "cli/commands.hpp"
#include "cli/surface.hpp"
#include "messages/text.hpp"

namespace {

using namespace paios::cli;

// Which subcommand runs when a command line names several: a word after a command can be another command's name
// (`ai route explain the task routing` parses `task routing` as well). The `first` ones (hook, hooks, mcp: the
// Claude Code integration) win over any word after them; the `last` ones (task, cancel: common words in other
// commands' text) lose to every other; among the rest, and within each group, the table's order decides.
enum class runs { first, in_table_order, last };

struct subcommand {
  const char* name;
  const char* help;  // the line `ai --help` shows for it
  define_fn define;
  runs precedence = runs::in_table_order;
  unsigned globals = kGlobalDaemon;  // the options of `ai` itself that work after it (cli/surface.hpp)
};

// Every subcommand, in the order `ai --help` lists them.
const subcommand kSubcommands[] = {
    {"ping", "check that paiosd answers", define_ping},
    {"status", "the daemon, its brains and its actor tree", define_status},
    {"breaker", "a brain's circuit breaker: `ai breaker reset NAME` closes it now", define_breaker},
    {"tasks", "recent tasks, newest first", define_tasks},
    {"task", "one task: its state, its history and its answer", define_task, runs::last},
    {"route", "show which brain would take a prompt, and why, without running it", define_route},
    {"routes", "recent routing decisions: category, brain, the brains tried before it", define_routes},
    {"weights", "the router's rule weight adjustments", define_weights},
    {"cancel", "cancel a task", define_cancel, runs::last},
    {"obs", "events of every operation, newest first (filters combine)", define_obs},
    {"trace", "one trace as a tree of spans, with timings", define_trace},
    {"score", "give a task (or its routing decision) a quality score from 1 to 5", define_score},
    {"kb", "the knowledge base: add documents, search them, read and remove them", define_kb},
    // Claude Code hooks (cli/hook.hpp, cli/hooks_install.hpp).
    {"hook",
     "a Claude Code hook: the hook's JSON on stdin, the answer for Claude Code on stdout;\nexits 0 (a daemon "
     "that is down or slow gets the event from the spool; 1 only when the spool cannot keep it either)",
     define_hook, runs::first, kGlobalHome},
    {"hooks", "Claude Code hooks: install them", define_hooks, runs::first, kGlobalHome},
    {"mcp", "serve the PAIOS tools to an MCP client on stdin/stdout (docs/mcp.md);\nClaude Code:  claude mcp add paios -- ai mcp",
     define_mcp, runs::first, kGlobalHome | kGlobalVerbose},
    {"jobs", "scheduled jobs: next run and last outcome; run one now; a job's history", define_jobs},
    {"watch",
     "watched folders: what arrives is classified and acted on (images described into the knowledge base, documents "
     "ingested, media notified)",
     define_watch},
    {"alerts", "problems the daemon noticed (crashes, open breakers, failing jobs, disk, credentials, escalations): list them, acknowledge one",
     define_alerts},
    {"credentials", "the credentials the mesh uses (API keys, key files, agents' logins): present or missing, days to "
                    "expiry; never a value", define_credentials},
    {"report",
     "the daily report of a local day (tasks, latency, failovers, breakers, restarts, alerts, approvals, jobs, knowledge "
     "base): today so far, or --date",
     define_report},
    {"pipeline",
     "pipelines: the configured ones; run one; its runs, steps and outputs; resume a failed or interrupted run",
     define_pipeline},
    // The autonomy gate's pending approvals (cli/cmd_approvals.cpp).
    {"approvals", "tool calls of daemon tasks and pipeline steps waiting for a person: id, age, for, tool, rule, summary",
     define_approvals},
    {"approve", "let a waiting tool call run (--session / --project: the same call there from now on)", define_approve,
     runs::last},
    {"deny", "refuse a waiting tool call (--reason: what the agent is told)", define_deny, runs::last},
    {"autonomy",
     "the tool-call policy: its rules and where each comes from; check a call; set a pin; history; demote a "
     "learned rule",
     define_autonomy},
    {"config", "the configuration paiosd reads at start: show it, its path, edit it, check it", define_config},
    {"backup",
     "a consistent backup of the stores, config.json and spool (by paiosd while it runs); --list the backups kept",
     define_backup},
    {"restore", "put a backup back in PAIOS_HOME after checking every file (paiosd must be stopped)", define_restore,
     runs::in_table_order, kGlobalHome | kGlobalJson},
    {"doctor",
     "check the configuration, the daemon and its unit, the agent CLIs and their versions, disk, databases and the "
     "spool; each problem with its runbook, exit 1 when one is an error (--smoke: one real task per brain)",
     define_doctor},
    {"logs", "paiosd's log: the last lines, of some components only; -f follows it", define_logs,
     runs::in_table_order, kGlobalHome},
    {"completion", "a shell completion script for ai: bash, zsh or fish", define_completion, runs::in_table_order, 0},
    {"reference", "ai's manual: the man page (roff) or docs/cli.md (markdown)", define_reference, runs::in_table_order, 0},
};

// The subcommand a one-word prompt is a typo of, the closest first in the table; nullptr when it is none's. A typo
// is at most two edits away, and at most one per two letters of the name: "one" is no typo of "obs", nor "hi" of
// "kb". A quoted phrase ("task 0") is a prompt.
const char* misspelled_subcommand(const std::string& word) {
  auto space = [](char ch) { return paios::is_ascii_space(static_cast<unsigned char>(ch)); };
  if (std::any_of(word.begin(), word.end(), space)) return nullptr;
  const char* best = nullptr;
  std::size_t best_distance = 3;
  for (const auto& c : kSubcommands) {
    auto d = paios::edit_distance(word, c.name);
    if (d < best_distance && 2 * d <= std::strlen(c.name)) {
      best = c.name;
      best_distance = d;
    }
  }
  return best;
}

// The words of the subcommand the command line named ("kb search"), "" for none.
std::string command_path(const CLI::App& root) {
  std::string path;
  for (const CLI::App* at = &root; !at->get_subcommands().empty();) {
    at = at->get_subcommands().front();
    path += (path.empty() ? "" : " ") + at->get_name();
  }
  return path;
}

// A usage error as every other error of `ai` reads: "ai kb search: --k: Value 0 not in range [1 - 100]".
std::string usage_error(const CLI::App* root, const CLI::Error& e) {
  options named;
  named.command = command_path(*root);
  return error_prefix(named) + e.what() + "\n(ai " + (named.command.empty() ? "" : named.command + " ") +
         "--help says how it is used)\n";
}

// A subcommand added to the parser, with what runs it.
struct defined {
  const subcommand* command;
  CLI::App* parsed;  // true when the command line named it
  run_fn run;
};

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"ai: ask the PAIOS mesh.\n  ai \"prompt\"          stream an answer\n  ai - < file.txt       prompt from stdin\n"
               "  ai -- status          a one-word prompt that is (or looks like) a command name"};
  app.name("ai");  // not argv[0]: the help, the man page and docs/cli.md say "ai"
  app.fallthrough();
  app.footer(exit_codes_help());
  app.failure_message(usage_error);
  app.set_version_flag("--version", std::string{"ai "} + PAIOS_VERSION);  // the project's version (CMakeLists.txt)
  options opt;
  add_global_options(app, opt, kGlobalHome | kGlobalJson | kGlobalVerbose);
  app.add_option("--brain", opt.brain, "the brain to ask (default: the router's choice)");
  app.add_option("--timeout", opt.timeout_s, "give the brain at most this many seconds");
  app.add_option("--attach", opt.attach, kAttachHelp)->allow_extra_args(false);
  app.add_option("prompt", opt.prompt, "the prompt; '-' reads it from stdin");

  std::vector<defined> commands;
  for (const auto& c : kSubcommands) {
    auto* sub = app.add_subcommand(c.name, c.help);
    commands.push_back({&c, sub, c.define(*sub, opt)});
    add_global_options(*sub, opt, c.globals);
  }
  std::stable_sort(commands.begin(), commands.end(),
                   [](const defined& a, const defined& b) { return a.command->precedence < b.command->precedence; });

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // A hook never fails Claude Code's session (its --help is for a person, and is shown).
    const bool asks_help = dynamic_cast<const CLI::CallForHelp*>(&e) || dynamic_cast<const CLI::CallForAllHelp*>(&e);
    for (const auto& d : commands)
      if (d.command->define == define_hook && *d.parsed && !asks_help) return kExitOk;
    auto code = app.exit(e);
    return code == 0 ? kExitOk : kExitUsage;
  }

  opt.command = command_path(app);
  for (const auto& d : commands)
    if (*d.parsed) return d.run(opt);
  if (opt.prompt.empty()) {
    std::cerr << app.help();
    return kExitUsage;
  }
  // `ai stauts` is a mistyped command, not a prompt; after `--` any word is a prompt.
  const bool after_dashes = std::find(argv + 1, argv + argc, std::string{"--"}) != argv + argc;
  if (opt.prompt.size() == 1 && !after_dashes)
    if (const char* meant = misspelled_subcommand(opt.prompt[0])) {
      std::cerr << "ai: unknown command '" << opt.prompt[0] << "'; did you mean '" << meant
                << "'?\n    (a one-word prompt: ai -- " << opt.prompt[0] << ")\n";
      return kExitUsage;
    }
  return submit_prompt(opt);
}
