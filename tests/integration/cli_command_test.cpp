// The real `ai`: a single word a couple of edits away from a subcommand's name is a mistyped command (an error,
// nothing sent), not a prompt; after `--` any word is a prompt.
#include <gtest/gtest.h>

#include "tests/support/test_support.hpp"

using nlohmann::json;
using paios::test::daemon_process;

namespace {

json echo_config() { return {{"tasks", {{"default_brain", "echo"}, {"failover", json::array()}}}}; }

std::string first_line(const std::string& text) { return text.substr(0, text.find('\n')); }

}  // namespace

TEST(CliCommand, AMistypedCommandIsAnErrorWithoutADaemon) {
  paios::test::temp_dir home;  // no paiosd there: the error comes before any connection
  const std::vector<std::pair<std::string, std::string>> typos = {
      {"stauts", "status"}, {"tsaks", "tasks"}, {"pnig", "ping"}, {"pipline", "pipeline"}, {"rout", "route"}, {"kv", "kb"}};
  for (const auto& [typo, meant] : typos) {
    auto r = paios::test::run_program({paios::test::ai_path().string(), "--home", home.path().string(), typo});
    EXPECT_EQ(r.exit_code, 2) << typo << ": " << r.err;
    EXPECT_EQ(first_line(r.err), "ai: unknown command '" + typo + "'; did you mean '" + meant + "'?");
    EXPECT_NE(r.err.find("ai -- " + typo), std::string::npos) << r.err;
    EXPECT_EQ(r.out, "");
  }
}

TEST(CliCommand, AMistypedCommandSendsNothingAndDashesMakeAnyWordAPrompt) {
  daemon_process d{echo_config()};
  d.start();
  EXPECT_EQ(d.ai({"stauts"}).exit_code, 2);
  auto tasks = d.ai({"tasks", "--json"});
  ASSERT_EQ(tasks.exit_code, 0) << tasks.err;
  EXPECT_TRUE(json::parse(tasks.out)["tasks"].empty()) << tasks.out;

  for (const std::string word : {"stauts", "status"}) {
    auto r = d.ai({"--", word});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.out, word + "\n");
  }
  // A word far from every name is a prompt as ever; so are short words two edits from a short name, and a phrase.
  for (const std::string word : {"hello", "hi", "one", "task 0"}) {
    auto r = d.ai({word});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.out, word + "\n");
  }
  EXPECT_NE(paios::test::run_program({paios::test::ai_path().string(), "--help"}).out.find("ai -- status"),
            std::string::npos);
}

// `ai --version` answers without a daemon, with the version paiosd reports (one source: CMakeLists.txt).
TEST(CliCommand, VersionIsTheDaemonsVersion) {
  auto ai = paios::test::run_program({paios::test::ai_path().string(), "--version"});
  EXPECT_EQ(ai.exit_code, 0) << ai.err;
  auto daemon = paios::test::run_program({paios::test::paiosd_path().string(), "--version"});
  EXPECT_EQ(daemon.exit_code, 0) << daemon.err;
  ASSERT_FALSE(first_line(daemon.out).empty());
  EXPECT_EQ(first_line(ai.out), "ai " + first_line(daemon.out));
}
