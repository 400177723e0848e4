// `ai config`: the file's path, its check (the same checker as paiosd's), the effective configuration with where
// each key comes from, and an edit that is kept only when valid. The real `ai`, a real editor command, no paiosd.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "tests/support/test_support.hpp"

namespace {

using nlohmann::json;
using paios::test::run_program;
using paios::test::run_result;
namespace fs = std::filesystem;

struct config_home {
  paios::test::temp_dir dir;
  fs::path file() const { return dir.path() / "config.json"; }

  run_result ai(const std::vector<std::string>& args, const std::vector<std::pair<std::string, std::string>>& env = {}) const {
    std::vector<std::string> argv{paios::test::ai_path().string(), "--home", dir.path().string()};
    argv.insert(argv.end(), args.begin(), args.end());
    return run_program(argv, env);
  }
  void write(const fs::path& p, const std::string& text) const { std::ofstream{p} << text; }
};

std::string read(const fs::path& p) {
  std::ifstream in{p, std::ios::binary};
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// An "editor" that replaces the file it is given with `source`'s text (the file's path comes after the command).
std::pair<std::string, std::string> editor_writing(const fs::path& source, const char* var = "EDITOR") {
  return {var, "cp '" + source.string() + "'"};
}

const std::string kValid = R"({"tasks": {"default_brain": "echo"}})";
const std::string kInvalid = R"({"brains": {"claude": {"timeout_ms": 0}}, "bogus": 1})";

}  // namespace

TEST(CliConfig, PathAndCheckWithoutAFile) {
  config_home h;
  auto path = h.ai({"config", "path"});
  EXPECT_EQ(path.exit_code, 0) << path.err;
  EXPECT_EQ(path.out, h.file().string() + "\n");
  auto check = h.ai({"config", "check"});
  EXPECT_EQ(check.exit_code, 0) << check.err;
  EXPECT_NE(check.out.find("built-in defaults"), std::string::npos) << check.out;
}

// Every mistake is named, and paiosd's own check refuses the same file.
TEST(CliConfig, CheckNamesEveryMistakeAsPaiosdDoes) {
  config_home h;
  h.write(h.file(), kInvalid);
  auto r = h.ai({"config", "check"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err.rfind("ai config check: " + h.file().string() + " is not a valid configuration:", 0), 0u) << r.err;
  EXPECT_NE(r.err.find("bogus: unknown key"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("brains.claude.timeout_ms: must be an integer"), std::string::npos) << r.err;
  EXPECT_EQ(run_program({paios::test::paiosd_path().string(), "--check-config", h.file().string()}).exit_code, 2);
  // A router rule that does not compile is a configuration error for both as well.
  h.write(h.file(), R"({"router": {"rules": [{"id": "bad", "category": "code_review", "weight": 1, "regex": "("}]}})");
  auto rule = h.ai({"config", "check"});
  EXPECT_EQ(rule.exit_code, 1) << rule.out;
  EXPECT_NE(rule.err.find("router.rules.0.regex: invalid regular expression"), std::string::npos) << rule.err;
  EXPECT_EQ(run_program({paios::test::paiosd_path().string(), "--check-config", h.file().string()}).exit_code, 2);
  h.write(h.file(), kValid);
  auto valid = h.ai({"config", "check"});
  EXPECT_EQ(valid.exit_code, 0) << valid.err;
  EXPECT_EQ(valid.out, h.file().string() + ": valid\n");
}

TEST(CliConfig, ShowSaysWhereEachTopLevelKeyComesFrom) {
  config_home h;
  h.write(h.file(), kValid);
  auto r = h.ai({"config", "show", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto shown = json::parse(r.out);
  EXPECT_EQ(shown["file"], h.file().string());
  EXPECT_EQ(shown["config"]["tasks"]["default_brain"], "echo");
  EXPECT_TRUE(shown["config"]["tasks"].contains("failover")) << "the defaults are merged in";
  EXPECT_EQ(shown["sources"]["tasks"], "config.json over the default");
  EXPECT_EQ(shown["sources"]["log"], "default");
  auto person = h.ai({"config"});  // show is the default
  EXPECT_EQ(person.exit_code, 0) << person.err;
  EXPECT_NE(person.out.find("\ntasks  (config.json over the default)\n"), std::string::npos) << person.out;
  EXPECT_NE(person.out.find("\nlog  (default)\n"), std::string::npos) << person.out;
  h.write(h.file(), kInvalid);
  auto invalid = h.ai({"config", "show"});
  EXPECT_EQ(invalid.exit_code, 1);
  EXPECT_NE(invalid.err.find("bogus: unknown key"), std::string::npos) << invalid.err;
}

TEST(CliConfig, EditKeepsAValidEditAndTheOldFileAsABackup) {
  config_home h;
  h.write(h.file(), R"({"log": {"level": "debug"}})");
  const auto edited = h.dir.path() / "edited.json";
  h.write(edited, kValid);
  auto r = h.ai({"config", "edit"}, {editor_writing(edited)});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(read(h.file()), kValid);
  EXPECT_EQ(read(h.dir.path() / "config.json.bak"), R"({"log": {"level": "debug"}})");
  // $VISUAL wins over $EDITOR.
  const auto visual = h.dir.path() / "visual.json";
  h.write(visual, R"({"log": {"level": "warn"}})");
  auto v = h.ai({"config", "edit"}, {editor_writing(edited), editor_writing(visual, "VISUAL")});
  EXPECT_EQ(v.exit_code, 0) << v.err;
  EXPECT_EQ(read(h.file()), R"({"log": {"level": "warn"}})");
}

TEST(CliConfig, EditRefusesAnInvalidEditAndSaysWhatWasWrong) {
  config_home h;
  h.write(h.file(), kValid);
  const auto edited = h.dir.path() / "edited.json";
  h.write(edited, kInvalid);
  auto r = h.ai({"config", "edit"}, {editor_writing(edited)});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("bogus: unknown key"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("config.json.rejected"), std::string::npos) << r.err;
  EXPECT_EQ(read(h.file()), kValid) << "the valid file is back";
  EXPECT_EQ(read(h.dir.path() / "config.json.rejected"), kInvalid) << "the edit is not lost";
  // An editor that fails leaves the file as it was; with no file before, none is left behind.
  auto failed = h.ai({"config", "edit"}, {{"EDITOR", "false"}});
  EXPECT_EQ(failed.exit_code, 1);
  EXPECT_NE(failed.err.find("the editor exited with 1"), std::string::npos) << failed.err;
  EXPECT_EQ(read(h.file()), kValid);
  fs::remove(h.file());
  auto none = h.ai({"config", "edit"}, {editor_writing(edited)});
  EXPECT_EQ(none.exit_code, 1);
  EXPECT_FALSE(fs::exists(h.file()));
}
