// `ai mcp install`: the registration each agent reads, merged into its file without losing anything of it.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "cli/mcp_install.hpp"
#include "tests/support/test_support.hpp"

using namespace paios;
using ojson = nlohmann::ordered_json;

namespace {

std::string read(const std::filesystem::path& p) {
  std::ifstream in(p);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

int backups_of(const std::filesystem::path& file) {
  int n = 0;
  for (auto& f : std::filesystem::directory_iterator(file.parent_path()))
    n += f.path().filename().string().rfind(file.filename().string() + ".paios-backup-", 0) == 0;
  return n;
}

// HOME and CODEX_HOME pointed at a temporary folder for one test.
class agent_homes {
 public:
  agent_homes() : old_home_(std::getenv("HOME") ? std::getenv("HOME") : "") {
    ::setenv("HOME", dir_.path().c_str(), 1);
    ::unsetenv("CODEX_HOME");
  }
  ~agent_homes() { ::setenv("HOME", old_home_.c_str(), 1); }
  const std::filesystem::path& path() const { return dir_.path(); }

 private:
  test::temp_dir dir_;
  std::string old_home_;
};

mcp_install_options options(const std::string& agent) {
  mcp_install_options o;
  o.agent = agent;
  o.ai_path = "/usr/local/bin/ai";
  return o;
}

}  // namespace

TEST(McpInstall, JsonMergeKeepsOtherServersAndKeys) {
  auto settings = ojson::parse(R"({"theme": "dark", "mcpServers": {"github": {"command": "gh-mcp"}}, "tail": 1})");
  std::string error;
  const ojson entry = {{"command", "/usr/local/bin/ai"}, {"args", mcp_server_args("")}};
  ASSERT_TRUE(merge_mcp_servers_json(settings, entry, error)) << error;
  EXPECT_EQ(settings["theme"], "dark");
  EXPECT_EQ(settings["mcpServers"]["github"]["command"], "gh-mcp");
  EXPECT_EQ(settings["mcpServers"]["paios"], entry);
  std::vector<std::string> keys;
  for (auto& [k, v] : settings.items()) keys.push_back(k);
  EXPECT_EQ(keys, (std::vector<std::string>{"theme", "mcpServers", "tail"}));
  auto again = settings;
  ASSERT_TRUE(merge_mcp_servers_json(again, entry, error));
  EXPECT_EQ(again, settings);
  EXPECT_EQ(mcp_server_args("/srv/paios"), ojson::array({"--home", "/srv/paios", "mcp"}));
  auto bad = ojson::parse(R"({"mcpServers": []})");
  EXPECT_FALSE(merge_mcp_servers_json(bad, entry, error));
  EXPECT_NE(error.find("mcpServers"), std::string::npos);
}

TEST(McpInstall, CodexTomlIsAppendedAndEveryOtherLineKept) {
  const std::string config = R"(# my codex settings
model = "o4-mini"
notes = """
[mcp_servers.paios]
this is inside a string
"""
matrix = [
  [1, 2],
  [3, 4],
]

[mcp_servers.github]
command = "gh-mcp"   # the GitHub server
args = ["stdio"]

[profiles.fast]
model = "o4-mini"
)";
  std::string error;
  auto merged = merge_codex_toml(config, "/opt/my tools/ai", "", error);
  ASSERT_TRUE(error.empty()) << error;
  EXPECT_EQ(merged.substr(0, config.size()), config) << "every line before is kept byte for byte";
  EXPECT_EQ(merged.substr(config.size()),
            "\n[mcp_servers.paios]\ncommand = \"/opt/my tools/ai\"\nargs = [\"mcp\"]\ntool_timeout_sec = 600\n");
  EXPECT_EQ(merge_codex_toml(merged, "/opt/my tools/ai", "", error), merged) << "idempotent";
  EXPECT_EQ(merge_codex_toml("", "/a/ai", "", error), "[mcp_servers.paios]\ncommand = \"/a/ai\"\nargs = [\"mcp\"]\ntool_timeout_sec = 600\n");
  EXPECT_NE(merge_codex_toml("", "/a/\"q\"\\ai", "", error).find(R"(command = "/a/\"q\"\\ai")"), std::string::npos);
  EXPECT_NE(merge_codex_toml("", "/a/\x7f\tai", "", error).find(R"(command = "/a/\u007F\tai")"), std::string::npos);
}

TEST(McpInstall, CodexTomlTableIsUpdatedWhereItStands) {
  const std::string config = R"([mcp_servers.paios]
startup_timeout_sec = 20
command = "/old/bin/ai"
args = [
  "--home",
  "/old/home",
  "mcp",
]
tool_timeout_sec = 1200

[mcp_servers.paios.env]
PAIOS_LOG = "debug"

[mcp_servers."other"]
command = "x"
)";
  std::string error;
  auto merged = merge_codex_toml(config, "/usr/local/bin/ai", "/srv/paios", error);
  ASSERT_TRUE(error.empty()) << error;
  EXPECT_EQ(merged, R"([mcp_servers.paios]
command = "/usr/local/bin/ai"
args = ["--home", "/srv/paios", "mcp"]
startup_timeout_sec = 20
tool_timeout_sec = 1200

[mcp_servers.paios.env]
PAIOS_LOG = "debug"

[mcp_servers."other"]
command = "x"
)");
  EXPECT_EQ(merge_codex_toml(merged, "/usr/local/bin/ai", "/srv/paios", error), merged);
}

TEST(McpInstall, CodexTomlInOtherFormsIsRefused) {
  for (const std::string config : {"mcp_servers.paios.command = \"x\"\n", "[mcp_servers]\npaios = { command = \"x\" }\n",
                                   "mcp_servers = { paios = { command = \"x\" } }\n",
                                   "[mcp_servers.paios]\ncommand = \"a\"\n[mcp_servers.paios]\ncommand = \"b\"\n"}) {
    std::string error;
    EXPECT_EQ(merge_codex_toml(config, "/a/ai", "", error), config);
    EXPECT_FALSE(error.empty()) << config;
  }
}

TEST(McpInstall, ClaudeProjectFileWithBackupDiffAndPrint) {
  agent_homes homes;
  test::temp_dir project;
  auto file = project.path() / ".mcp.json";
  const std::string original = "{\n  \"mcpServers\": {\n    \"db\": {\"command\": \"pg-mcp\"}\n  }\n}\n";
  std::ofstream(file) << original;
  auto o = options("claude");
  o.project = project.path().string();
  std::ostringstream out, err;

  o.print = true;
  ASSERT_EQ(mcp_install(o, out, err), 0) << err.str();
  EXPECT_NE(out.str().find("claude mcp add --scope project paios -- /usr/local/bin/ai mcp"), std::string::npos) << out.str();
  EXPECT_EQ(read(file), original) << "--print writes nothing";
  o.print = false;

  o.dry_run = true;
  out.str("");
  ASSERT_EQ(mcp_install(o, out, err), 0) << err.str();
  EXPECT_NE(out.str().find("+    \"paios\": {"), std::string::npos) << out.str();
  EXPECT_EQ(read(file), original) << "--dry-run writes nothing";
  o.dry_run = false;

  out.str("");
  ASSERT_EQ(mcp_install(o, out, err), 0) << err.str();
  auto written = nlohmann::json::parse(read(file));
  EXPECT_EQ(written["mcpServers"]["db"]["command"], "pg-mcp");
  EXPECT_EQ(written["mcpServers"]["paios"],
            nlohmann::json({{"type", "stdio"}, {"command", "/usr/local/bin/ai"}, {"args", {"mcp"}}}));
  EXPECT_EQ(backups_of(file), 1);
  out.str("");
  ASSERT_EQ(mcp_install(o, out, err), 0);
  EXPECT_NE(out.str().find("already registered"), std::string::npos) << out.str();
  EXPECT_EQ(backups_of(file), 1) << "nothing rewritten when nothing changes";

  std::ofstream(file) << "[1, 2]";
  err.str("");
  EXPECT_EQ(mcp_install(o, out, err), 1);
  EXPECT_EQ(read(file), "[1, 2]");
  EXPECT_NE(err.str().find("not a JSON object; left as it is"), std::string::npos) << err.str();
}

TEST(McpInstall, ClaudeUserScopeKeepsTheRestOfClaudeJson) {
  agent_homes homes;
  auto file = homes.path() / ".claude.json";
  std::ofstream(file) << R"({"numStartups": 42, "projects": {"/w": {"mcpServers": {"x": {"command": "y"}}}}, "userID": "abc"})";
  auto o = options("claude");
  o.user = true;
  o.home = "/srv/paios";
  std::ostringstream out, err;
  ASSERT_EQ(mcp_install(o, out, err), 0) << err.str();
  auto written = nlohmann::json::parse(read(file));
  EXPECT_EQ(written["numStartups"], 42);
  EXPECT_EQ(written["userID"], "abc");
  EXPECT_EQ(written["projects"]["/w"]["mcpServers"]["x"]["command"], "y");
  EXPECT_EQ(written["mcpServers"]["paios"]["args"], nlohmann::json({"--home", "/srv/paios", "mcp"}));
}

TEST(McpInstall, CodexAndGeminiFilesInTheirHomes) {
  agent_homes homes;
  std::ostringstream out, err;
  ASSERT_EQ(mcp_install(options("codex"), out, err), 0) << err.str();
  EXPECT_NE(read(homes.path() / ".codex" / "config.toml").find("[mcp_servers.paios]\ncommand = \"/usr/local/bin/ai\""),
            std::string::npos);
  test::temp_dir codex_home;
  ::setenv("CODEX_HOME", codex_home.path().c_str(), 1);
  ASSERT_EQ(mcp_install(options("codex"), out, err), 0) << err.str();
  ::unsetenv("CODEX_HOME");
  EXPECT_TRUE(std::filesystem::exists(codex_home.path() / "config.toml")) << "CODEX_HOME is honoured";
  auto codex_project = options("codex");
  codex_project.project = homes.path().string();
  err.str("");
  EXPECT_EQ(mcp_install(codex_project, out, err), 1);
  EXPECT_NE(err.str().find("leave out --project"), std::string::npos) << err.str();

  auto gemini = homes.path() / ".gemini" / "settings.json";
  std::filesystem::create_directories(gemini.parent_path());
  std::ofstream(gemini) << R"({"theme": "GitHub", "mcpServers": {"fs": {"command": "fs-mcp", "trust": true}}})";
  ASSERT_EQ(mcp_install(options("gemini"), out, err), 0) << err.str();
  auto written = nlohmann::json::parse(read(gemini));
  EXPECT_EQ(written["theme"], "GitHub");
  EXPECT_EQ(written["mcpServers"]["fs"]["trust"], true);
  EXPECT_EQ(written["mcpServers"]["paios"], nlohmann::json({{"command", "/usr/local/bin/ai"}, {"args", {"mcp"}}}));
  EXPECT_EQ(backups_of(gemini), 1);

  err.str("");
  EXPECT_EQ(mcp_install(options("cursor"), out, err), 2);
  EXPECT_NE(err.str().find("unknown agent 'cursor'"), std::string::npos);
}
