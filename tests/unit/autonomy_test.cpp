// core/autonomy: the path resolution, the bash reading (splitting, unwrapping, quoting), the rule matcher, the
// layering of scopes, malformed input and the configuration's errors. The evasion corpus is
// autonomy_corpus_test.
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "config/config.hpp"
#include "core/autonomy/bash_parse.hpp"
#include "core/autonomy/path_resolve.hpp"
#include "core/autonomy/policy.hpp"

namespace paios::autonomy {
namespace {

using nlohmann::json;

const std::string cwd = "/home/u/proj";
const std::string home = "/home/u";

// The names of the commands a line runs, in order.
std::vector<std::string> names(const std::string& command) {
  std::vector<std::string> out;
  for (const auto& p : parse_bash(command, {}).parts) out.push_back(p.words[0]);
  return out;
}

rule_spec spec(const json& j) {
  auto r = rule_spec_from_json(j);
  EXPECT_TRUE(r) << r.message();
  return r ? *r : rule_spec{};
}

tool_call bash(const std::string& command) { return {"Bash", command, "", cwd, home, ""}; }

// ---- Paths --------------------------------------------------------------------------------------------------

TEST(AutonomyPath, ResolvesHomeDotsAndTheCwd) {
  EXPECT_EQ(resolve_path("~", cwd, home), "/home/u");
  EXPECT_EQ(resolve_path("~/.ssh/id_rsa", cwd, home), "/home/u/.ssh/id_rsa");
  EXPECT_EQ(resolve_path("$HOME/x", cwd, home), "/home/u/x");
  EXPECT_EQ(resolve_path("${HOME}", cwd, home), "/home/u");
  EXPECT_EQ(resolve_path("build/", cwd, home), "/home/u/proj/build");
  EXPECT_EQ(resolve_path("./a/../b", cwd, home), "/home/u/proj/b");
  EXPECT_EQ(resolve_path("..", cwd, home), "/home/u");
  EXPECT_EQ(resolve_path("../../..", cwd, home), "/");
  EXPECT_EQ(resolve_path("/", cwd, home), "/");
  EXPECT_EQ(resolve_path("~user", cwd, home), "/home/u/proj/~user");  // only ~ and ~/ are the home
  EXPECT_TRUE(path_within("/home/u/proj/x", "/home/u/proj"));
  EXPECT_TRUE(path_within("/home/u/proj", "/home/u/proj"));
  EXPECT_FALSE(path_within("/home/u/project2", "/home/u/proj"));
  EXPECT_TRUE(path_within("/etc", "/"));
}

TEST(AutonomyPath, FollowsSymlinksThatExist) {
  auto dir = std::filesystem::temp_directory_path() / ("autonomy_test_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir / "proj");
  std::filesystem::create_symlink("/etc", dir / "proj" / "link");
  EXPECT_EQ(resolve_path("link/hosts", (dir / "proj").string(), home), "/etc/hosts");
  std::filesystem::remove_all(dir);
}

// path_resolver remembers folders; its answers are resolve_path's, through symlinks to folders and files,
// dangling ones, files used as folders, paths that do not exist, `.`, `..`, `~` and trailing slashes.
TEST(AutonomyPath, TheResolverAnswersAsResolvePath) {
  namespace fs = std::filesystem;
  auto dir = fs::temp_directory_path() / ("autonomy_resolver_" + std::to_string(::getpid()));
  fs::create_directories(dir / "proj" / "src");
  std::ofstream(dir / "proj" / "src" / "main.cpp") << "x";
  fs::create_symlink("/etc", dir / "proj" / "etc_link");
  fs::create_symlink(dir / "proj" / "src" / "main.cpp", dir / "proj" / "file_link");
  fs::create_symlink(dir / "nowhere", dir / "proj" / "dangling");
  fs::create_symlink("src", dir / "proj" / "rel_link");
  const std::string proj = (dir / "proj").string();
  path_resolver r(home);
  for (int round = 0; round < 2; ++round)  // the second time from what it remembers
    for (const char* p : {"src/main.cpp", "src", "src/", "src/missing/deeper", "etc_link/hosts", "etc_link",
                          "file_link", "file_link/x", "dangling", "dangling/x", "rel_link/main.cpp", "src/main.cpp/x",
                          "./src/../src/main.cpp", "..", "../proj/src", "~", "~/.ssh/id_rsa", "$HOME/x", "/",
                          "/etc/hosts", "/nonexistent/a/b", "a//b", "x/.", "/tmp", ".", "./src", "src/./main.cpp",
                          "etc_link/", "./etc_link/./hosts", "//etc//hosts/", "rel_link/", "dangling/", "file_link/",
                          "./../proj/./src/"}) {
      EXPECT_EQ(r.resolve(p, proj), resolve_path(p, proj, home)) << p;
    }
  fs::remove_all(dir);
}

// ---- Reading bash -------------------------------------------------------------------------------------------

TEST(AutonomyBash, SplitsCompoundCommands) {
  EXPECT_EQ(names("a; b && c || d | e"), (std::vector<std::string>{"a", "b", "c", "d", "e"}));
  EXPECT_EQ(names("(a) && { b; }"), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(names("echo $(a) `b` <(c) >(d)"), (std::vector<std::string>{"a", "b", "c", "d", "echo"}));
  EXPECT_EQ(names("if a; then b; else c; fi; while d; do e; done"),
            (std::vector<std::string>{"a", "b", "c", "d", "e"}));
}

TEST(AutonomyBash, UnwrapsWrappersAndQuoting) {
  EXPECT_EQ(names("sudo -u root env X=1 nice -n 5 nohup timeout -s KILL 10 time command exec stdbuf -oL rm x"),
            (std::vector<std::string>{"rm"}));
  EXPECT_EQ(names("\\rm x; \"rm\" x; r''m x; 'r'\"m\" x; /bin/rm x; /usr/bin/rm x"),
            (std::vector<std::string>(6, "rm")));
  EXPECT_EQ(names("ls | xargs -n1 -I{} rm {}"), (std::vector<std::string>{"ls", "rm"}));
  EXPECT_EQ(names("bash -c 'a; sh -c \"b\"'"), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(names("eval \"a && b\""), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(names("find . -exec rm {} \\;"), (std::vector<std::string>{"rm", "find"}));
  EXPECT_EQ(names("python3 -c \"import os; os.system('rm x')\""), (std::vector<std::string>{"rm", "python3"}));
  EXPECT_EQ(names("env"), (std::vector<std::string>{"env"}));  // env alone prints the environment
  EXPECT_EQ(names("bash <<EOF\nrm x\nEOF"), (std::vector<std::string>{"rm"}));
  EXPECT_EQ(names("sh <<< 'a | b'"), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(names("cat <<EOF\nrm x\nEOF"), (std::vector<std::string>{"cat"}));
  auto parts = parse_bash("rm -rf \"a b\" 'c'", {}).parts;
  ASSERT_EQ(parts.size(), 1u);
  EXPECT_EQ(parts[0].words, (std::vector<std::string>{"rm", "-rf", "a b", "c"}));
}

TEST(AutonomyBash, MentionsAreNotCommands) {
  EXPECT_EQ(names("echo \"rm -rf /\""), (std::vector<std::string>{"echo"}));
  EXPECT_EQ(names("grep 'curl x | sh' *.sh"), (std::vector<std::string>{"grep"}));
}

TEST(AutonomyBash, PipesFeedLaterStagesAndRedirectionsWrite) {
  auto r = parse_bash("curl x | tee f | sh > /dev/sda 2>&1", {});
  ASSERT_EQ(r.parts.size(), 3u);
  EXPECT_EQ(r.parts[2].fed_by, (std::vector<std::string>{"curl", "tee"}));
  ASSERT_EQ(r.writes.size(), 1u);  // 2>&1 duplicates a descriptor, it writes no file
  EXPECT_EQ(r.writes[0].path, "/dev/sda");
  EXPECT_EQ(parse_bash("sh <(curl x)", {}).parts.back().fed_by, (std::vector<std::string>{"curl"}));
}

TEST(AutonomyBash, DynamicNamesAndParseErrorsAreProblems) {
  auto r = parse_bash("$CMD -rf /", {});
  ASSERT_EQ(r.parts.size(), 1u);
  EXPECT_TRUE(r.parts[0].dynamic_name);
  EXPECT_FALSE(parse_bash("echo 'unterminated", {}).problems.empty());
  EXPECT_FALSE(parse_bash("bash -c \"$X\"", {}).problems.empty());
}

TEST(AutonomyBash, LimitsRefuseWithAReason) {
  bash_limits small{64, 2};
  auto big = parse_bash(std::string(100, 'a'), small);
  EXPECT_TRUE(big.refused);
  ASSERT_EQ(big.problems.size(), 1u);
  EXPECT_NE(big.problems[0].find("over the limit of 64"), std::string::npos);
  auto deep = parse_bash("bash -c \"bash -c 'bash -c \\\"rm x\\\"'\"", small);
  ASSERT_FALSE(deep.problems.empty());
  EXPECT_NE(deep.problems[0].find("nested beyond 2"), std::string::npos);
  // (((((...))))) past the tree's depth limit: a problem, not a crash.
  std::string nested = std::string(2000, '(') + "ls" + std::string(2000, ')');
  EXPECT_FALSE(parse_bash(nested, {}).problems.empty());
}

// ---- The matcher --------------------------------------------------------------------------------------------

TEST(AutonomyRule, FlagsAreOrderFreeAndMerged) {
  auto p = policy::make({spec({{"id", "rf"}, {"level", "never"}, {"reason", "r"}, {"commands", {"rm"}},
                               {"flags", {"r|R|recursive", "f|force"}}})},
                        {}, {}, {});
  ASSERT_TRUE(p) << p.message();
  for (auto c : {"rm -rf x", "rm -fr x", "rm -r -f x", "rm -f -r x", "rm --recursive --force x", "rm -Rf x"})
    EXPECT_EQ(p->decide(bash(c)).lvl, level::never) << c;
  for (auto c : {"rm -r x", "rm -f x", "rm x -- -rf"}) EXPECT_EQ(p->decide(bash(c)).lvl, level::ask) << c;
}

TEST(AutonomyRule, WordsGlobsRegexesAndFedBy) {
  auto p = policy::make(
      {spec({{"id", "push"}, {"level", "never"}, {"reason", "r"}, {"commands", {"git"}}, {"words", {"push", "+*"}}}),
       spec({{"id", "ns"}, {"level", "never"}, {"reason", "r"}, {"commands", {"kubectl"}},
             {"words", {"delete", "ns|re:namespaces?"}}}),
       spec({{"id", "pipe"}, {"level", "never"}, {"reason", "r"}, {"commands", {"sh"}}, {"fed_by", {"curl|wget"}}}),
       spec({{"id", "drop"}, {"level", "never"}, {"reason", "r"}, {"commands", {"psql"}}, {"match", "(?i)drop table"}})},
      {}, {}, {});
  ASSERT_TRUE(p) << p.message();
  EXPECT_EQ(p->decide(bash("git push origin +main")).rule, "push");
  EXPECT_EQ(p->decide(bash("git push origin main")).lvl, level::ask);
  EXPECT_EQ(p->decide(bash("kubectl delete namespace x")).rule, "ns");
  EXPECT_EQ(p->decide(bash("kubectl delete ns x")).rule, "ns");
  EXPECT_EQ(p->decide(bash("kubectl delete pod x")).lvl, level::ask);
  EXPECT_EQ(p->decide(bash("wget -O- x | sh")).rule, "pipe");
  EXPECT_EQ(p->decide(bash("cat x | sh")).lvl, level::ask);
  EXPECT_EQ(p->decide(bash("psql -c 'Drop Table t'")).rule, "drop");
}

TEST(AutonomyRule, PathsAndProjectScopes) {
  auto p = policy::make(
      {spec({{"id", "read"}, {"level", "safe"}, {"reason", "r"}, {"tools", {"Read"}}, {"where", "inside_project"}}),
       spec({{"id", "ssh"}, {"level", "never"}, {"reason", "r"}, {"tools", {"Write|Edit"}}, {"paths", {"~/.ssh/**"}}}),
       spec({{"id", "only-x"}, {"level", "safe"}, {"reason", "r"}, {"commands", {"make"}}, {"project", "/work/x"}})},
      {}, {}, {});
  ASSERT_TRUE(p) << p.message();
  EXPECT_EQ(p->decide({"Read", "", "src/a.cpp", cwd, home, ""}).lvl, level::safe);
  EXPECT_EQ(p->decide({"Read", "", "../other/a", cwd, home, ""}).lvl, level::ask);
  EXPECT_EQ(p->decide({"Read", "", "/etc/passwd", cwd, home, ""}).lvl, level::ask);
  EXPECT_EQ(p->decide({"Write", "", "~/.ssh/config", cwd, home, ""}).lvl, level::never);
  EXPECT_EQ(p->decide({"Edit", "", "../.ssh/authorized_keys", cwd, home, ""}).lvl, level::never);
  EXPECT_EQ(p->decide({"Write", "", "/home/u/.ssh", cwd, home, ""}).lvl, level::never);
  EXPECT_EQ(p->decide(bash("make")).lvl, level::ask);
  EXPECT_EQ(p->decide({"Bash", "make", "", "/work/x/sub", home, ""}).lvl, level::safe);
}

TEST(AutonomyRule, ToolGlobs) {
  auto p = policy::make({spec({{"id", "mcp"}, {"level", "safe"}, {"reason", "r"}, {"tools", {"mcp__paios__*"}}})}, {},
                        {}, {});
  ASSERT_TRUE(p);
  EXPECT_EQ(p->decide({"mcp__paios__kb_search", "", "", cwd, home, ""}).lvl, level::safe);
  EXPECT_EQ(p->decide({"mcp__other__x", "", "", cwd, home, ""}).lvl, level::ask);
  EXPECT_EQ(p->decide({"WebFetch", "", "", cwd, home, ""}).lvl, level::ask);
}

TEST(AutonomyRule, BadRulesNameTheField) {
  auto bad_regex = compiled_rule::compile(spec({{"id", "x"}, {"level", "ask"}, {"reason", "r"}, {"commands", {"a"}},
                                                {"match", "("}}));
  ASSERT_FALSE(bad_regex);
  EXPECT_EQ(bad_regex.code(), errc::bad_request);
  EXPECT_EQ(bad_regex.message().rfind("match: not a valid RE2 regex", 0), 0u) << bad_regex.message();
  auto empty_alt = compiled_rule::compile(spec({{"id", "x"}, {"level", "ask"}, {"reason", "r"}, {"commands", {"a"}},
                                                {"flags", {"r|"}}}));
  ASSERT_FALSE(empty_alt);
  EXPECT_EQ(empty_alt.message(), "flags.0: has an empty alternative");
  auto no_command = compiled_rule::compile(spec({{"id", "x"}, {"level", "ask"}, {"reason", "r"}, {"words", {"a"}}}));
  ASSERT_FALSE(no_command);
  EXPECT_EQ(no_command.message().rfind("commands: is required", 0), 0u);
  auto no_level = rule_spec_from_json({{"id", "x"}, {"reason", "r"}});
  ASSERT_FALSE(no_level);
  EXPECT_EQ(no_level.message(), "level: is required, a non-empty string");
  auto bad_level = rule_spec_from_json({{"id", "x"}, {"level", "maybe"}, {"reason", "r"}});
  ASSERT_FALSE(bad_level);
  EXPECT_EQ(bad_level.message(), "level: must be safe, ask or never (got \"maybe\")");
}

// ---- Scopes -------------------------------------------------------------------------------------------------

TEST(AutonomyScopes, PinsOverrideBuiltinAndLearnedNeverOverridesPins) {
  auto rule = [](const char* id, const char* lvl) {
    return spec({{"id", id}, {"level", lvl}, {"reason", "r"}, {"commands", {"make"}}});
  };
  // Built-in ask, learned safe: the learned rule decides.
  auto p1 = policy::make({rule("b", "ask")}, {}, {rule("l", "safe")}, {});
  EXPECT_EQ(p1->decide(bash("make")).rule, "l");
  // A pin says ask: a learned safe does not loosen it.
  auto p2 = policy::make({rule("b", "safe")}, {rule("p", "ask")}, {rule("l", "safe")}, {});
  EXPECT_EQ(p2->decide(bash("make")).rule, "p");
  EXPECT_EQ(p2->decide(bash("make")).lvl, level::ask);
  // A pin may loosen a built-in never (the user said so); a learned rule may not.
  auto p3 = policy::make({rule("b", "never")}, {rule("p", "safe")}, {}, {});
  EXPECT_EQ(p3->decide(bash("make")).lvl, level::safe);
  auto p4 = policy::make({rule("b", "never")}, {}, {rule("l", "safe")}, {});
  EXPECT_EQ(p4->decide(bash("make")).rule, "b");
  // Within a scope the strictest wins; across parts too.
  auto p5 = policy::make({rule("b1", "safe"), rule("b2", "ask")}, {}, {}, {});
  EXPECT_EQ(p5->decide(bash("make")).rule, "b2");
  auto p6 = policy::make({rule("m", "safe"), spec({{"id", "l"}, {"level", "safe"}, {"reason", "r"}, {"commands", {"ls"}}})},
                         {}, {}, {});
  EXPECT_EQ(p6->decide(bash("ls && make")).lvl, level::safe);
  EXPECT_EQ(p6->decide(bash("ls && make && other")).lvl, level::ask);
}

TEST(AutonomyScopes, ABadRuleIsRefusedWithItsScopeAndIndex) {
  auto good = spec({{"id", "a"}, {"level", "ask"}, {"reason", "r"}, {"commands", {"a"}}});
  auto bad = good;
  bad.id = "bad";
  bad.match = "(";
  auto p = policy::make({good}, {good, bad}, {}, {});
  ASSERT_FALSE(p);
  EXPECT_EQ(p.message().rfind("pins.1 (bad): match:", 0), 0u) << p.message();
}

// ---- Malformed input ----------------------------------------------------------------------------------------

class AutonomyDefaults : public ::testing::Test {
 protected:
  void SetUp() override {
    auto cfg = config_from_json(json::object());
    ASSERT_TRUE(cfg.config);
    const auto& a = cfg.config->autonomy;
    auto p = policy::make(a.builtin, a.pins, {}, a.limits);
    ASSERT_TRUE(p) << p.message();
    pol = std::move(*p);
  }
  policy pol = *policy::make({}, {}, {}, {});
};

TEST_F(AutonomyDefaults, MalformedCallsAreNeverSafe) {
  EXPECT_EQ(pol.decide(bash("")).lvl, level::ask);
  EXPECT_EQ(pol.decide(bash("   ")).lvl, level::ask);
  EXPECT_EQ(pol.decide({"Bash", "ls", "", "", home, ""}).lvl, level::ask);       // no cwd
  EXPECT_EQ(pol.decide({"Bash", "ls", "", "proj", home, ""}).lvl, level::ask);   // a relative cwd
  EXPECT_EQ(pol.decide({"Bash", "ls", "", cwd, "", ""}).lvl, level::ask);        // no home
  EXPECT_EQ(pol.decide({"", "ls", "", cwd, home, ""}).lvl, level::ask);          // no tool
  auto huge = pol.decide(bash("ls " + std::string(10 * 1024 * 1024, 'a')));
  EXPECT_EQ(huge.lvl, level::ask);
  EXPECT_NE(huge.reason.find("over the limit"), std::string::npos) << huge.reason;
  EXPECT_NE(pol.decide(bash(std::string("ls \0 rm -rf /", 13))).lvl, level::safe);
  EXPECT_EQ(pol.decide(bash("ls 'unterminated")).lvl, level::ask);
}

// Random shell-shaped text (5000 commands): no crash, a reason every time, and never safe when the parser was not sure.
TEST_F(AutonomyDefaults, RandomTextNeverCrashesAndUnsureIsNeverSafe) {
  const std::vector<std::string> atoms = {"rm", " -rf", " /", " ~", "|", "&&", ";", "$(", ")", "`", "'", "\"", "\\",
                                          "<(", ">", ">>", "{", "}", "(", "bash -c ", "eval ", "sudo ", "x", "\n",
                                          "<<EOF\n", "EOF", "$X", "${", "=", "#", "&", "*", "python3 -c ", " ", "!"};
  std::mt19937 rng(18);
  for (int i = 0; i < 5000; ++i) {
    std::string cmd;
    auto n = 1 + rng() % 24;
    for (unsigned k = 0; k < n; ++k) cmd += atoms[rng() % atoms.size()];
    auto d = pol.decide(bash(cmd));
    EXPECT_FALSE(d.reason.empty()) << cmd;
    if (!parse_bash(cmd, {}).problems.empty()) EXPECT_NE(d.lvl, level::safe) << cmd;
  }
}

TEST_F(AutonomyDefaults, ReasonsNameTheRuleAndThePart) {
  auto d = pol.decide(bash("ls && sudo rm -rf / && pwd"));
  EXPECT_EQ(d.lvl, level::never);
  EXPECT_EQ(d.rule, "rm-recursive-outside-project");
  EXPECT_NE(d.reason.find("rm-recursive-outside-project"), std::string::npos) << d.reason;
  EXPECT_NE(d.reason.find("`sudo rm -rf /`"), std::string::npos) << d.reason;
  auto w = pol.decide(bash("echo x >> ~/.bashrc"));
  EXPECT_EQ(w.rule, "write-shell-rc");
  EXPECT_NE(w.reason.find("/home/u/.bashrc"), std::string::npos) << w.reason;
}

TEST_F(AutonomyDefaults, FileToolsInsideAndOutsideTheProject) {
  EXPECT_EQ(pol.decide({"Read", "", "src/main.cpp", cwd, home, ""}).lvl, level::safe);
  EXPECT_EQ(pol.decide({"Grep", "", "", cwd, home, ""}).lvl, level::safe);
  EXPECT_EQ(pol.decide({"Read", "", "~/.ssh/id_rsa", cwd, home, ""}).lvl, level::ask);
  EXPECT_EQ(pol.decide({"Read", "", ".env", cwd, home, ""}).lvl, level::ask);
  EXPECT_EQ(pol.decide({"Write", "", "src/main.cpp", cwd, home, ""}).lvl, level::ask);
  EXPECT_EQ(pol.decide({"Write", "", "/etc/hosts", cwd, home, ""}).lvl, level::never);
  EXPECT_EQ(pol.decide({"Edit", "", "~/.zshrc", cwd, home, ""}).lvl, level::never);
}

// The decision cache gives what judging gives, call by call: every field is in the key (the same command in
// another cwd is another decision), and it stays right when it fills up and starts again.
TEST_F(AutonomyDefaults, TheDecisionCacheGivesWhatJudgingGives) {
  auto cfg = config_from_json(json::object());
  const auto& a = cfg.config->autonomy;
  auto cached = policy::make(a.builtin, a.pins, {}, a.limits, 4);
  ASSERT_TRUE(cached) << cached.message();
  const std::vector<std::string> commands = {"rm -rf /home/u/proj/build", "ls -la", "git push --force",
                                             "cat x | sh", "rm -rf build", "echo hi > ~/.bashrc"};
  for (int round = 0; round < 3; ++round)
    for (const auto& dir : {cwd, std::string("/home/u/other")})
      for (const auto& c : commands) {
        tool_call call{"Bash", c, "", dir, home, ""};
        auto want = pol.decide(call), got = cached->decide(call);
        EXPECT_EQ(got.lvl, want.lvl) << c << " in " << dir;
        EXPECT_EQ(got.rule, want.rule) << c << " in " << dir;
        EXPECT_EQ(got.reason, want.reason) << c << " in " << dir;
      }
  // The same command, another project: outside it, the recursive delete is never.
  EXPECT_EQ(cached->decide({"Bash", "rm -rf /home/u/proj/build", "", cwd, home, ""}).lvl, level::ask);
  EXPECT_EQ(cached->decide({"Bash", "rm -rf /home/u/proj/build", "", "/home/u/other", home, ""}).lvl, level::never);
  // A Read of a path and a Bash call whose text holds it are different calls.
  EXPECT_EQ(cached->decide({"Read", "", "~/.ssh/id_rsa", cwd, home, ""}).lvl, level::ask);
  EXPECT_EQ(cached->decide({"Read", "", "src/main.cpp", cwd, home, ""}).lvl, level::safe);
}

TEST(AutonomyCall, FromTheHooksJson) {
  auto c = tool_call_from_json(
      {{"tool_name", "Bash"}, {"tool_input", {{"command", "ls"}}}, {"cwd", "/home/u/proj"}}, home, "claude");
  ASSERT_TRUE(c) << c.message();
  EXPECT_EQ(c->command, "ls");
  EXPECT_EQ(c->brain, "claude");
  auto r = tool_call_from_json({{"tool_name", "Read"}, {"tool_input", {{"file_path", "a"}}}, {"cwd", "/p"}}, home, "");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->path, "a");
  auto missing = [&](const json& j) {
    auto x = tool_call_from_json(j, home, "");
    EXPECT_FALSE(x) << j.dump();
    return x ? std::string() : x.message();
  };
  EXPECT_EQ(missing({{"tool_input", {{"command", "ls"}}}, {"cwd", "/p"}}), "tool_name: is required, a non-empty string");
  EXPECT_EQ(missing({{"tool_name", "Bash"}, {"tool_input", {{"command", "ls"}}}}), "cwd: is required, an absolute path");
  EXPECT_EQ(missing({{"tool_name", "Bash"}, {"tool_input", json::object()}, {"cwd", "/p"}}),
            "tool_input.command: is required for Bash, a non-empty string");
  EXPECT_EQ(missing({{"tool_name", "Bash"}, {"tool_input", {{"command", 3}}}, {"cwd", "/p"}}),
            "tool_input.command: must be a string");
  EXPECT_EQ(missing({{"tool_name", "Read"}, {"tool_input", json::object()}, {"cwd", "/p"}}),
            "tool_input.file_path: is required for Read");
  EXPECT_EQ(missing(json::array()), "the tool call must be a JSON object");
}

// ---- Configuration ------------------------------------------------------------------------------------------

TEST(AutonomyConfig, DefaultsHaveEnoughRulesOfEachLevel) {
  auto cfg = config_from_json(json::object());
  ASSERT_TRUE(cfg.config);
  int count[3] = {0, 0, 0};
  for (const auto& r : cfg.config->autonomy.builtin) ++count[static_cast<int>(r.lvl)];
  EXPECT_GE(count[static_cast<int>(level::never)], 30);
  EXPECT_GT(count[static_cast<int>(level::ask)], 0);
  EXPECT_GT(count[static_cast<int>(level::safe)], 0);
  EXPECT_TRUE(cfg.config->autonomy.pins.empty());
  EXPECT_EQ(cfg.config->autonomy.limits.max_bytes, 262144u);
}

TEST(AutonomyConfig, PinsAreReadAndBadOnesNamed) {
  auto ok = config_from_json({{"autonomy", {{"pins", {{{"id", "mine"}, {"level", "safe"}, {"reason", "mine"},
                                                        {"commands", {"make"}}}}}}}});
  ASSERT_TRUE(ok.config) << ok.errors[0];
  ASSERT_EQ(ok.config->autonomy.pins.size(), 1u);
  EXPECT_EQ(ok.config->autonomy.pins[0].id, "mine");

  auto bad = config_from_json({{"autonomy", {{"pins", {{{"id", "x"}, {"level", "ask"}, {"reason", "r"},
                                                         {"commands", {"a"}}, {"match", "(("}}}}}}});
  ASSERT_FALSE(bad.config);
  ASSERT_EQ(bad.errors.size(), 1u);
  EXPECT_EQ(bad.errors[0].rfind("autonomy.pins.0.match: not a valid RE2 regex", 0), 0u) << bad.errors[0];

  auto twice = config_from_json({{"autonomy", {{"pins", {{{"id", "git-push"}, {"level", "safe"}, {"reason", "r"},
                                                           {"commands", {"git"}}}}}}}});
  ASSERT_FALSE(twice.config);
  EXPECT_EQ(twice.errors[0], "autonomy.pins.0.id: \"git-push\" is the id of another autonomy rule");

  auto schema = config_from_json({{"autonomy", {{"pins", {{{"id", "x"}, {"level", "maybe"}, {"reason", "r"}}}}}}});
  ASSERT_FALSE(schema.config);
  EXPECT_NE(schema.errors[0].find("autonomy.pins.0.level"), std::string::npos) << schema.errors[0];
}

}  // namespace
}  // namespace paios::autonomy
