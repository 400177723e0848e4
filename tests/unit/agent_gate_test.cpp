// Codex's and Gemini CLI's tool gates read as Claude Code's PreToolUse and answered in their own shapes
// (core/autonomy/hook_dialect), judged by the built-in policy; and how their runs and installs name `ai hook`
// (core/hooks/agent_gate_settings).
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "config/config.hpp"
#include "core/autonomy/hook_dialect.hpp"
#include "core/autonomy/hook_gate.hpp"
#include "core/autonomy/policy.hpp"
#include "core/hooks/agent_gate_settings.hpp"
#include "core/hooks/claude_hook_settings.hpp"

namespace {

using nlohmann::json;
using paios::autonomy::hook_dialect;
namespace fs = std::filesystem;

// The payloads as the CLIs sent them (captured from Codex 0.171.0 and Gemini CLI 0.61.0; docs/autonomy_agents.md).
json codex_call(const std::string& command) {
  return {{"session_id", "0199"}, {"turn_id", "t1"}, {"cwd", "/work/proj"}, {"hook_event_name", "PreToolUse"},
          {"model", "gpt-5"}, {"permission_mode", "bypassPermissions"}, {"tool_name", "Bash"},
          {"tool_input", {{"command", command}}}, {"tool_use_id", "call_1"}};
}

json gemini_call(const std::string& tool, json input) {
  return {{"session_id", "g1"}, {"cwd", "/work/proj"}, {"hook_event_name", "BeforeTool"},
          {"timestamp", "2026-12-07T19:00:00Z"}, {"tool_name", tool}, {"tool_input", std::move(input)}};
}

// The built-in policy of config/defaults.json, as the daemon's gate makes it.
const paios::autonomy::policy& builtin_policy() {
  static auto p = [] {
    const auto& section = paios::default_config().at("autonomy");
    std::vector<paios::autonomy::rule_spec> rules;
    for (const auto& r : section.at("builtin")) rules.push_back(*paios::autonomy::rule_spec_from_json(r));
    return *paios::autonomy::policy::make(rules, {}, {}, {});
  }();
  return p;
}

paios::autonomy::decision judge(hook_dialect d, const json& payload) {
  auto call = paios::autonomy::pretooluse_call(paios::autonomy::as_pretooluse(d, payload), "/home/u", "", 1 << 18);
  EXPECT_TRUE(call) << call.message();
  return builtin_policy().decide(*call);
}

TEST(HookDialect, NamesAreTheCliNames) {
  EXPECT_EQ(*paios::autonomy::hook_dialect_from_name("codex"), hook_dialect::codex);
  EXPECT_EQ(*paios::autonomy::hook_dialect_from_name("gemini"), hook_dialect::gemini);
  EXPECT_EQ(*paios::autonomy::hook_dialect_from_name("claude"), hook_dialect::claude);
  auto bad = paios::autonomy::hook_dialect_from_name("aider");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.message(), "agent: \"aider\" is not one of claude, codex, gemini");
  EXPECT_EQ(paios::autonomy::gate_event(hook_dialect::gemini), "BeforeTool");
  EXPECT_EQ(paios::autonomy::gate_event(hook_dialect::codex), "PreToolUse");
}

TEST(HookDialect, CodexPayloadKeepsClaudesNamesAndSaysWhoSentIt) {
  auto p = paios::autonomy::as_pretooluse(hook_dialect::codex, codex_call("ls"));
  EXPECT_EQ(p["tool_name"], "Bash");
  EXPECT_EQ(p["tool_input"]["command"], "ls");
  EXPECT_EQ(p["agent"], "codex");
  EXPECT_EQ(p["hook_event_name"], "PreToolUse");
  auto call = paios::autonomy::pretooluse_call(p, "/home/u", "codex", 1 << 18);
  ASSERT_TRUE(call);
  EXPECT_EQ(call->command, "ls");
  EXPECT_EQ(call->cwd, "/work/proj");
}

TEST(HookDialect, GeminiToolsAreReadAsClaudesTools) {
  auto shell = paios::autonomy::as_pretooluse(hook_dialect::gemini, gemini_call("run_shell_command", {{"command", "ls"}}));
  EXPECT_EQ(shell["tool_name"], "Bash");
  EXPECT_EQ(shell["agent_tool_name"], "run_shell_command");
  EXPECT_EQ(shell["hook_event_name"], "PreToolUse");
  EXPECT_EQ(shell["cwd"], "/work/proj");

  auto in_sub = paios::autonomy::as_pretooluse(
      hook_dialect::gemini, gemini_call("run_shell_command", {{"command", "ls"}, {"dir_path", "src/../lib"}}));
  EXPECT_EQ(in_sub["cwd"], "/work/proj/lib") << "a relative dir_path is where the command runs";
  auto elsewhere = paios::autonomy::as_pretooluse(
      hook_dialect::gemini, gemini_call("run_shell_command", {{"command", "ls"}, {"dir_path", "/srv"}}));
  EXPECT_EQ(elsewhere["cwd"], "/srv");

  struct {
    const char* gemini;
    json input;
    const char* claude;
    const char* key;
    const char* path;
  } cases[] = {
      {"write_file", {{"file_path", "/work/proj/a.txt"}, {"content", "x"}}, "Write", "file_path", "/work/proj/a.txt"},
      {"replace", {{"file_path", "/work/proj/a.txt"}, {"old_string", "x"}, {"new_string", "y"}}, "Edit", "file_path",
       "/work/proj/a.txt"},
      {"read_file", {{"file_path", "/work/proj/a.txt"}}, "Read", "file_path", "/work/proj/a.txt"},
      {"list_directory", {{"dir_path", "/work/proj/src"}}, "LS", "path", "/work/proj/src"},
      {"glob", {{"pattern", "*.cpp"}, {"dir_path", "/work/proj"}}, "Glob", "path", "/work/proj"},
      {"grep_search", {{"pattern", "TODO"}, {"dir_path", "/work/proj"}}, "Grep", "path", "/work/proj"},
  };
  for (const auto& c : cases) {
    auto p = paios::autonomy::as_pretooluse(hook_dialect::gemini, gemini_call(c.gemini, c.input));
    EXPECT_EQ(p["tool_name"], c.claude) << c.gemini;
    EXPECT_EQ(p["tool_input"][c.key], c.path) << c.gemini;
  }
  auto other = paios::autonomy::as_pretooluse(hook_dialect::gemini, gemini_call("google_web_search", {{"query", "x"}}));
  EXPECT_EQ(other["tool_name"], "google_web_search") << "a tool with no Claude Code twin keeps its name";
}

TEST(HookDialect, MalformedPayloadsStayMalformed) {
  // Nothing is invented: what the gate would refuse from Claude Code it refuses from the others.
  auto no_input = gemini_call("run_shell_command", json{});
  no_input.erase("tool_input");
  auto call = paios::autonomy::pretooluse_call(paios::autonomy::as_pretooluse(hook_dialect::gemini, no_input), "/home/u",
                                               "gemini", 1 << 18);
  ASSERT_FALSE(call);
  EXPECT_NE(call.message().find("tool_input"), std::string::npos) << call.message();
  auto wrong = paios::autonomy::as_pretooluse(hook_dialect::gemini, gemini_call("run_shell_command", {{"command", 7}}));
  EXPECT_FALSE(paios::autonomy::pretooluse_call(wrong, "/home/u", "gemini", 1 << 18));
  EXPECT_EQ(paios::autonomy::as_pretooluse(hook_dialect::codex, json::array({1})), json::array({1}));
  auto huge = codex_call(std::string(300000, 'a'));
  EXPECT_FALSE(paios::autonomy::pretooluse_call(paios::autonomy::as_pretooluse(hook_dialect::codex, huge), "/home/u",
                                                "codex", 1 << 18));
}

TEST(HookDialect, OnePolicyJudgesEveryDialect) {
  using paios::autonomy::level;
  const auto outside = judge(hook_dialect::gemini, gemini_call("run_shell_command", {{"command", "rm -rf /tmp/other"}}));
  EXPECT_EQ(outside.lvl, level::never);
  EXPECT_EQ(outside.rule, "rm-recursive-outside-project");
  EXPECT_EQ(judge(hook_dialect::codex, codex_call("rm -rf /tmp/other")).rule, "rm-recursive-outside-project");
  EXPECT_EQ(judge(hook_dialect::codex, codex_call("git status && ls -la")).lvl, level::safe);
  EXPECT_EQ(judge(hook_dialect::gemini, gemini_call("run_shell_command", {{"command", "rm notes.txt"}})).lvl, level::ask);
  EXPECT_EQ(judge(hook_dialect::gemini, gemini_call("read_file", {{"file_path", "/work/proj/a.txt"}})).lvl, level::safe);
  EXPECT_EQ(judge(hook_dialect::gemini, gemini_call("write_file", {{"file_path", "/etc/passwd"}, {"content", ""}})).lvl,
            level::never);
  EXPECT_EQ(judge(hook_dialect::gemini, gemini_call("read_file", {{"file_path", "/home/u/.ssh/id_ed25519"}})).lvl,
            level::ask);
}

TEST(HookDialect, AnswersAreEachClisShape) {
  using paios::autonomy::gate_answer;
  // Codex honours only a deny with a reason; allow and ask are rejected as invalid (and the call runs anyway).
  auto codex_deny = gate_answer(hook_dialect::codex, "deny", "rule x");
  ASSERT_TRUE(codex_deny);
  EXPECT_EQ(*codex_deny, json::parse(R"({"hookSpecificOutput":{"hookEventName":"PreToolUse",
            "permissionDecision":"deny","permissionDecisionReason":"rule x"}})"));
  EXPECT_EQ((*gate_answer(hook_dialect::codex, "deny", ""))["hookSpecificOutput"]["permissionDecisionReason"],
            "denied by PAIOS")
      << "Codex ignores a deny without a reason";
  EXPECT_FALSE(gate_answer(hook_dialect::codex, "allow", "rule y"));
  EXPECT_FALSE(gate_answer(hook_dialect::codex, "ask", "rule z"));
  // Gemini: {"decision": "deny", "reason"}; an ask would hang a headless run, so it is never printed.
  EXPECT_EQ(*gate_answer(hook_dialect::gemini, "deny", "rule x"), json::parse(R"({"decision":"deny","reason":"rule x"})"));
  EXPECT_FALSE(gate_answer(hook_dialect::gemini, "ask", "rule z"));
  EXPECT_FALSE(gate_answer(hook_dialect::gemini, "allow", "rule y"));
  // Claude Code: all three, as the daemon says them.
  EXPECT_EQ(*gate_answer(hook_dialect::claude, "ask", "r"), paios::autonomy::pretooluse_output("ask", "r"));
  // From the daemon's Claude-shaped output.
  EXPECT_EQ(*gate_answer(hook_dialect::gemini, paios::autonomy::pretooluse_output("deny", "because")),
            json::parse(R"({"decision":"deny","reason":"because"})"));
  EXPECT_FALSE(gate_answer(hook_dialect::gemini, json::object()));
  EXPECT_FALSE(gate_answer(hook_dialect::codex, json{{"hookSpecificOutput", {{"additionalContext", "x"}}}}));
}

TEST(AgentGateSettings, CodexRunArgumentsHoldTheHookAsToml) {
  auto command = paios::hook_command("/opt/my tools/ai", "/srv/paios", "pre-tool-use", "codex");
  EXPECT_EQ(command, "'/opt/my tools/ai' --home /srv/paios hook --agent codex pre-tool-use");
  auto args = paios::codex_gate_arguments(command, 630);
  ASSERT_EQ(args.size(), 5u);
  EXPECT_EQ(args[0], "--enable");
  EXPECT_EQ(args[1], "hooks");
  EXPECT_EQ(args[2], "--dangerously-bypass-hook-trust");
  EXPECT_EQ(args[3], "-c");
  EXPECT_EQ(args[4], "hooks.PreToolUse=[{matcher=\"*\",hooks=[{type=\"command\",command=\"'/opt/my tools/ai' --home "
                     "/srv/paios hook --agent codex pre-tool-use\",timeout=630}]}]");
  auto quoted = paios::codex_gate_arguments("a \"b\" \\c", 5);
  EXPECT_NE(quoted[4].find(R"(command="a \"b\" \\c")"), std::string::npos) << quoted[4];
}

TEST(AgentGateSettings, GeminiSettingsAreWrittenOnlyWhereGeminiReadsThem) {
  auto dir = fs::temp_directory_path() / ("paios-agent-gate-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  // Under the temporary folder (writable by everyone), Gemini CLI would skip the file: refused, naming the folder.
  auto refused = paios::write_gemini_gate_settings((dir / "gemini.json").string(), "ai hook --agent gemini x", 630000);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.code(), paios::errc::brain_unavailable);
  EXPECT_NE(refused.message().find(fs::temp_directory_path().string()), std::string::npos) << refused.message();
  EXPECT_FALSE(fs::exists(dir / "gemini.json"));
  fs::remove_all(dir);

  // Where the chain is safe (the build tree, when root owns it as in CI's container), the file is written 0644.
  auto safe_dir = fs::path(PAIOS_BINARY_DIR) / "agent-gate-test";
  fs::create_directories(safe_dir);
  ::chmod(safe_dir.c_str(), 0755);
  auto written = paios::write_gemini_gate_settings((safe_dir / "gemini.json").string(), "ai hook --agent gemini x", 630000);
  if (::geteuid() != 0) {
    ASSERT_FALSE(written) << "only root's files are read by Gemini CLI";
    EXPECT_NE(written.message().find("is not owned by root"), std::string::npos) << written.message();
    return;
  }
  ASSERT_TRUE(written) << written.message();
  struct stat st {};
  ASSERT_EQ(::stat(written->c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0644u);
  std::ifstream in(*written);
  auto settings = json::parse(in);
  EXPECT_EQ(settings["hooksConfig"]["enabled"], true);
  const auto& hook = settings["hooks"]["BeforeTool"][0];
  EXPECT_EQ(hook["matcher"], ".*");
  EXPECT_EQ(hook["hooks"][0]["command"], "ai hook --agent gemini x");
  EXPECT_EQ(hook["hooks"][0]["timeout"], 630000);
  fs::remove_all(safe_dir);
}

}  // namespace
