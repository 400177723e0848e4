// The real `ai` against a real paiosd, given bytes that are not UTF-8 (in its arguments, on stdin): it never
// crashes. What it sends carries U+FFFD where a byte was not UTF-8, as the daemon writes such text.
#include <random>
#include <sstream>

#include <gtest/gtest.h>

#include "tests/support/test_support.hpp"

using nlohmann::json;
using paios::test::daemon_process;
using paios::test::run_result;
using paios::test::temp_dir;

namespace {

constexpr int kWorstExit = 3;  // ai's exit codes run from 0 to 3, and 130 after Ctrl-C; a signal is 128 + it

json echo_config() { return {{"tasks", {{"default_brain", "echo"}, {"failover", json::array()}}}}; }

// The names `ai <words...> --help` lists under "Subcommands:" (each on a line of its own, two spaces in).
std::vector<std::string> subcommands_of(const std::vector<std::string>& words) {
  std::vector<std::string> argv{paios::test::ai_path().string()};
  argv.insert(argv.end(), words.begin(), words.end());
  argv.push_back("--help");
  std::istringstream help{paios::test::run_program(argv).out};
  std::vector<std::string> names;
  bool listing = false;
  for (std::string line; std::getline(help, line);) {
    if (line.rfind("Subcommands:", 0) == 0) listing = true;
    else if (listing && line.size() > 2 && line.compare(0, 2, "  ") == 0 && line[2] != ' ')
      names.push_back(line.substr(2, line.find(' ', 2) - 2));
    else if (listing && line.empty()) listing = false;
  }
  return names;
}

}  // namespace

TEST(CliInput, APromptThatIsNotUtf8IsAnsweredWithReplacementCharacters) {
  daemon_process d{echo_config()};
  d.start();
  auto r = d.ai({"--brain", "echo", "-"}, "hello \xff");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "hello \xEF\xBF\xBD\n");
  auto args = d.ai({"--brain", "echo", "caf\xe9", "ok"});
  EXPECT_EQ(args.exit_code, 0) << args.err;
  EXPECT_EQ(args.out, "caf\xEF\xBF\xBD ok\n");
}

TEST(CliInput, RouteAndKbSearchTakeTextThatIsNotUtf8) {
  daemon_process d{echo_config()};
  d.start();
  for (const auto& args : {std::vector<std::string>{"route", "caf\xe9"}, {"kb", "search", "caf\xe9"}}) {
    auto r = d.ai(args);
    EXPECT_LE(r.exit_code, kWorstExit) << args[0] << ": " << r.err;
    EXPECT_EQ(r.err.find("terminate"), std::string::npos) << r.err;
  }
}

// Random bytes as the arguments and stdin of every subcommand (and of their own subcommands): `ai` answers with
// one of its exit codes, never a crash or a signal. The seed is fixed, so a failure repeats.
TEST(CliInput, RandomBytesNeverCrashAnySubcommand) {
  daemon_process d{echo_config()};
  d.start();
  temp_dir cwd;  // `ai hooks install` and `ai mcp install` write in the working folder and in $HOME
  const auto subcommands = subcommands_of({});
  ASSERT_GE(subcommands.size(), 10u);
  std::mt19937 rng{20261207};
  auto random_bytes = [&](std::size_t max) {
    std::string s(std::uniform_int_distribution<std::size_t>{1, max}(rng), ' ');
    for (auto& c : s) c = static_cast<char>(std::uniform_int_distribution<int>{1, 255}(rng));  // no NUL in argv
    return s;
  };
  constexpr int kCasesPerSubcommand = 20;
  for (const auto& sub : subcommands) {
    const auto nested = subcommands_of({sub});
    for (int i = 0; i < kCasesPerSubcommand; ++i) {
      std::vector<std::string> argv{"/bin/sh", "-c", "cd \"$0\" && exec \"$@\"", cwd.path().string(),
                                    paios::test::ai_path().string(), "--home", d.home().string(), sub};
      if (!nested.empty() && i % 2 == 0) argv.push_back(nested[rng() % nested.size()]);
      for (auto n = rng() % 4; n > 0; --n) argv.push_back(rng() % 5 == 0 ? "-" : random_bytes(12));
      auto r = paios::test::run_program(argv, {{"HOME", cwd.path().string()}}, random_bytes(64),
                                        std::chrono::seconds(30));
      std::string shown;
      for (auto it = argv.begin() + 7; it != argv.end(); ++it)
        shown += " " + json(*it).dump(-1, ' ', true, json::error_handler_t::replace);
      EXPECT_GE(r.exit_code, 0) << "ai" << shown;
      EXPECT_LE(r.exit_code, kWorstExit) << "ai" << shown << "\n" << r.err;
    }
  }
}
