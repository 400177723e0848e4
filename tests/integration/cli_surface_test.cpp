// The real `ai`'s command surface (cli/surface.hpp): every --help lists the global options that work there and
// names no source file; the completion scripts complete in the real shells; the man page renders without a
// warning; docs/cli.md is what the binary generates.
#include <gtest/gtest.h>

#include <fstream>
#include <regex>
#include <sstream>

#include "tests/support/table_check.hpp"
#include "tests/support/test_support.hpp"

namespace {

using paios::test::run_program;
using paios::test::run_result;

run_result ai(const std::vector<std::string>& args) {
  std::vector<std::string> argv{paios::test::ai_path().string()};
  argv.insert(argv.end(), args.begin(), args.end());
  return run_program(argv);
}

std::vector<std::string> words_of(const std::string& text) {
  std::istringstream in{text};
  std::vector<std::string> out;
  for (std::string w; in >> w;) out.push_back(w);
  return out;
}

// Every command path ("kb search"), from the headings of the generated reference.
std::vector<std::string> command_paths() {
  auto md = ai({"reference", "markdown"});
  EXPECT_EQ(md.exit_code, 0) << md.err;
  std::vector<std::string> out;
  std::istringstream lines{md.out};
  for (std::string line; std::getline(lines, line);)
    if (line.rfind("## ai ", 0) == 0) out.push_back(line.substr(6));
  return out;
}

std::string read_file(const std::filesystem::path& p) {
  std::ifstream in{p, std::ios::binary};
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

bool has_program(const std::string& name) {
  return run_program({"/bin/sh", "-c", "command -v " + name}).exit_code == 0;
}

// Runs `script` in bash after sourcing the completion script; prints COMPREPLY for each command line it completes.
std::string bash_complete(const std::filesystem::path& completion, const std::vector<std::string>& lines) {
  std::string script = "source '" + completion.string() + "'\n";
  for (const auto& line : lines)
    script += "COMP_WORDS=(" + line + "); COMP_CWORD=$((${#COMP_WORDS[@]} - 1)); COMPREPLY=(); _ai; echo \"${COMPREPLY[*]}\"\n";
  auto r = run_program({"/bin/bash", "--norc", "-c", script});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err, "");
  return r.out;
}

}  // namespace

TEST(CliSurface, EveryHelpListsItsGlobalOptionsAndNoSourceFile) {
  const auto paths = command_paths();
  ASSERT_GT(paths.size(), 25u);  // ai's subcommands and theirs
  const std::regex source_file{R"([A-Za-z0-9_/]+\.(cpp|hpp|cc|h)\b)"};
  for (const auto& path : paths) {
    auto args = words_of(path);
    args.push_back("--help");
    auto r = ai(args);
    EXPECT_EQ(r.exit_code, 0) << path << ": " << r.err;
    EXPECT_NE(r.out.find("Usage: ai " + path), std::string::npos) << r.out;
    EXPECT_FALSE(std::regex_search(r.out, source_file)) << path << " names a source file:\n" << r.out;
    const bool own_output = path == "completion" || path == "reference";
    EXPECT_EQ(r.out.find("Global options:") != std::string::npos, !own_output) << r.out;
    if (!own_output) EXPECT_NE(r.out.find("--home"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("Exit status:"), std::string::npos) << r.out;
  }
  // --json where a command prints a reply, --verbose where it means something, and neither where it does not.
  EXPECT_NE(ai({"kb", "search", "--help"}).out.find("--json"), std::string::npos);
  EXPECT_NE(ai({"mcp", "--help"}).out.find("--verbose"), std::string::npos);
  EXPECT_EQ(ai({"status", "--help"}).out.find("--verbose"), std::string::npos);
  EXPECT_EQ(ai({"hooks", "--help"}).out.find("--json"), std::string::npos);
  auto root = ai({"--help"});
  for (const char* o : {"--home", "--json", "--verbose", "--brain", "--timeout", "--attach", "--version"})
    EXPECT_NE(root.out.find(o), std::string::npos) << o;
}

// A global option after the subcommand is the same option as before it.
TEST(CliSurface, GlobalOptionsWorkAfterTheSubcommand) {
  paios::test::temp_dir home;  // no paiosd there
  auto r = ai({"status", "--json", "--home", home.path().string()});
  EXPECT_EQ(r.exit_code, 3) << r.err;
  EXPECT_NE(r.err.find(home.path().string()), std::string::npos) << r.err;
  auto nested = ai({"kb", "stats", "--home", home.path().string()});
  EXPECT_EQ(nested.exit_code, 3) << nested.err;
  EXPECT_NE(nested.err.find(home.path().string()), std::string::npos) << nested.err;
}

// Errors begin with `ai` and the subcommand's words, usage errors as well as the daemon's absence.
TEST(CliSurface, ErrorsNameTheSubcommand) {
  paios::test::temp_dir home;  // no paiosd there
  auto range = ai({"kb", "search", "--k", "0", "word"});
  EXPECT_EQ(range.exit_code, 2);
  EXPECT_EQ(range.err.rfind("ai kb search: --k: ", 0), 0u) << range.err;
  EXPECT_NE(range.err.find("ai kb search --help"), std::string::npos) << range.err;
  auto unknown = ai({"status", "--bogus"});
  EXPECT_EQ(unknown.exit_code, 2);
  EXPECT_EQ(unknown.err.rfind("ai status: ", 0), 0u) << unknown.err;
  EXPECT_NE(unknown.err.find("--bogus"), std::string::npos) << unknown.err;
  auto down = ai({"--home", home.path().string(), "jobs", "history", "nightly"});
  EXPECT_EQ(down.exit_code, 3);
  EXPECT_EQ(down.err.rfind("ai jobs history: paiosd is not running on " + home.path().string(), 0), 0u) << down.err;
  auto prompt = ai({"--home", home.path().string(), "hello"});
  EXPECT_EQ(prompt.exit_code, 3);
  EXPECT_EQ(prompt.err.rfind("ai: paiosd is not running", 0), 0u) << prompt.err;
}

TEST(CliSurface, DocsMatchTheBinary) {
  auto generated = ai({"reference", "markdown"});
  ASSERT_EQ(generated.exit_code, 0) << generated.err;
  const auto checked_in = read_file(paios::test::source_dir() / "docs" / "cli.md");
  EXPECT_TRUE(checked_in == generated.out)
      << "docs/cli.md differs from what ai generates; regenerate it with\n  "
      << paios::test::ai_path().string() << " reference markdown > docs/cli.md";
}

TEST(CliSurface, BashCompletionCompletesSubcommandsAndTheirOptions) {
  paios::test::temp_dir dir;
  auto r = ai({"completion", "bash"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto script = dir.path() / "ai.bash";
  std::ofstream{script} << r.out;
  auto out = bash_complete(script, {"ai st", "ai kb s", "ai kb search --k", "ai --home /tmp kb ''",
                                    "ai pipeline run --''", "ai completion ''", "ai -- st"});
  std::istringstream lines{out};
  std::vector<std::string> got;
  for (std::string line; std::getline(lines, line);) got.push_back(line);
  ASSERT_EQ(got.size(), 7u) << out;
  EXPECT_EQ(got[0], "status");  // not stats: that is kb's
  EXPECT_EQ(got[1], "search stats");
  EXPECT_EQ(got[2], "--k --kind");
  for (const char* sub : {"add", "search", "get", "rm", "list", "stats", "--home", "--json"})
    EXPECT_NE((" " + got[3] + " ").find(std::string{" "} + sub + " "), std::string::npos) << sub << " in " << got[3];
  EXPECT_NE((" " + got[4] + " ").find(" --wait "), std::string::npos) << got[4];
  EXPECT_EQ(got[5], "-h --help");
  EXPECT_EQ(got[6], "") << "after -- comes a prompt";
}

TEST(CliSurface, ZshAndFishCompletionScripts) {
  paios::test::temp_dir dir;
  auto zsh = ai({"completion", "zsh"});
  ASSERT_EQ(zsh.exit_code, 0) << zsh.err;
  EXPECT_EQ(zsh.out.rfind("#compdef ai\n", 0), 0u);
  EXPECT_NE(zsh.out.find("'search:the passages that best answer a query, with their sources'"), std::string::npos);
  auto fish = ai({"completion", "fish"});
  ASSERT_EQ(fish.exit_code, 0) << fish.err;
  EXPECT_NE(fish.out.find("complete -c ai -n '__ai_at \\'kb\\'' -a 'search'"), std::string::npos) << fish.out;
  EXPECT_EQ(ai({"completion", "tcsh"}).exit_code, 2);
  // The shells themselves, where installed (deploy/setup.sh installs both).
  if (has_program("zsh")) {
    std::ofstream{dir.path() / "_ai"} << zsh.out;
    auto r = run_program({"/bin/sh", "-c", "zsh -n '" + (dir.path() / "_ai").string() + "'"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
  }
  if (has_program("fish")) {
    std::ofstream{dir.path() / "ai.fish"} << fish.out;
    auto r = run_program({"/bin/sh", "-c",
                          "HOME='" + dir.path().string() + "' fish --no-config -c \"source '" +
                              (dir.path() / "ai.fish").string() + "'; complete -C 'ai kb s'\""});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.out.rfind("search\t", 0), 0u) << r.out;
    EXPECT_NE(r.out.find("\nstats\t"), std::string::npos) << r.out;
  }
}

TEST(CliSurface, ManPageIsTheBuildsAndRendersWithoutWarnings) {
  auto man = ai({"reference", "man"});
  ASSERT_EQ(man.exit_code, 0) << man.err;
  EXPECT_EQ(read_file(paios::test::binary_dir() / "cli" / "ai.1"), man.out) << "the build's ai.1 is stale";
  for (const char* section : {".SH NAME", ".SH SYNOPSIS", ".SH OPTIONS", ".SH COMMANDS", ".SS \"ai kb search\"", ".SH \"EXIT STATUS\""})
    EXPECT_NE(man.out.find(section), std::string::npos) << section;
  ASSERT_TRUE(has_program("groff")) << "groff renders man pages (deploy/setup.sh installs man-db, which needs it)";
  auto r = run_program({"/bin/sh", "-c", "groff -man -Tutf8 -ww -z '" + (paios::test::binary_dir() / "cli" / "ai.1").string() + "'"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err, "") << "groff warns about ai.1";
}

TEST(CliSurface, TablesKeepTheirColumnsAndFitTheTerminal) {
  paios::test::daemon_process d{{{"tasks", {{"default_brain", "echo"}, {"failover", nlohmann::json::array()}}}}};
  d.start();
  const std::string prompt = "a prompt long enough to run past the edge of a narrow terminal, and then some more words";
  ASSERT_EQ(d.ai({prompt}).exit_code, 0);
  auto tasks = paios::test::expect_table(d, {"tasks"}, 60, "TASK");
  EXPECT_NE(tasks.find("…"), std::string::npos) << "the prompt is cut to the width: " << tasks;
  auto wide = paios::test::ai_at_width(d, {"tasks"}, 400);
  EXPECT_NE(wide.out.find(prompt), std::string::npos) << "a wide terminal shows it whole: " << wide.out;
  paios::test::expect_table(d, {"obs", "--limit", "20"}, 100, "EVENT");
}
