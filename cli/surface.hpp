#pragma once
// The command surface of `ai`, written once: cli/main.cpp's table of subcommands builds the parser (CLI11's tree
// of apps: names, synopses, options and help), and everything a person reads about the commands is generated
// from that tree: each `--help`, the shell completion scripts (`ai completion bash|zsh|fish`), the man page
// (ai.1, roff) and docs/cli.md (`ai reference man|markdown`). Nothing here contacts paiosd.
#include <optional>
#include <string>

#include "cli/command.hpp"

namespace paios::cli {

// The options of `ai` itself that a subcommand honors, given before the subcommand or after it; each
// subcommand's --help lists the ones that work there, under "Global options".
enum global_option : unsigned { kGlobalHome = 1, kGlobalJson = 2, kGlobalVerbose = 4 };
constexpr unsigned kGlobalDaemon = kGlobalHome | kGlobalJson;  // a command that asks paiosd and prints its reply

// Adds the `which` global options to `app` and to every subcommand under it, bound to `opt`.
void add_global_options(CLI::App& app, options& opt, unsigned which);

// The lines of `ai --help` and the man page that say what each exit code means.
std::string exit_codes_help();

// A completion script for `shell` ("bash", "zsh", "fish") of every subcommand under `root` and their options;
// nullopt for another shell.
std::optional<std::string> completion_script(const CLI::App& root, const std::string& shell);
// The man page ai.1 in roff (man(7) macros).
std::string man_page(const CLI::App& root, const std::string& version);
// docs/cli.md: `ai --help` and each subcommand's --help, as `ai` prints them.
std::string markdown_reference(const CLI::App& root);

}  // namespace paios::cli
