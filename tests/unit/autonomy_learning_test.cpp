// What an approval is bound to and how a person's answers are followed, below the actor: the scripts a Bash
// call runs and their content hashes (core/autonomy/script_binding), the asked calls of a person's session
// waiting for the hooks that show the answer (core/autonomy/asked_calls), and data/approvals.sqlite with the
// scripts stored, an older file migrated (core/autonomy/grant_db). Real files, a real SQLite file.
#include <gtest/gtest.h>

#include <fstream>

#include "config/config.hpp"
#include "core/autonomy/asked_calls.hpp"
#include "core/autonomy/grant_db.hpp"
#include "core/autonomy/learning.hpp"
#include "core/autonomy/script_binding.hpp"
#include "core/sqlite/sqlite_db.hpp"
#include "tests/support/test_support.hpp"

using namespace paios;
using namespace paios::autonomy;
namespace fs = std::filesystem;

namespace {

void write(const fs::path& p, const std::string& text) {
  fs::create_directories(p.parent_path());
  std::ofstream(p) << text;
}

tool_call bash(const std::string& command, const fs::path& cwd) {
  return {"Bash", command, "", cwd.string(), "/home/nobody", "claude"};
}

// The project's scripts a command runs, as paths relative to the project.
std::vector<std::string> run_by(const std::string& command, const fs::path& cwd) {
  std::vector<std::string> out;
  for (const auto& [path, hash] : scripts_run(bash(command, cwd), bash_limits{})) {
    EXPECT_EQ(hash.size(), 64u) << path;
    out.push_back(fs::path(path).lexically_relative(fs::canonical(cwd)).string());
  }
  return out;
}

}  // namespace

TEST(ScriptBinding, NamesTheProjectsScriptsACommandRuns) {
  test::temp_dir dir;
  const auto proj = dir.path() / "proj";
  write(proj / "x.sh", "echo x\n");
  write(proj / "scripts/y.sh", "echo y\n");
  write(proj / "tools/z.py", "print('z')\n");
  write(proj / "a.js", "console.log(1)\n");
  write(proj / "Makefile", "all:\n\ttrue\n");
  write(proj / "sub/GNUmakefile", "all:\n\ttrue\n");
  write(proj / "other.mk", "all:\n\ttrue\n");
  write(dir.path() / "outside.sh", "echo outside\n");
  using v = std::vector<std::string>;
  EXPECT_EQ(run_by("./x.sh", proj), v{"x.sh"});
  EXPECT_EQ(run_by("bash scripts/y.sh --fast", proj), v{"scripts/y.sh"});
  EXPECT_EQ(run_by("sh -x ./scripts/y.sh", proj), v{"scripts/y.sh"});
  EXPECT_EQ(run_by("python3 -u tools/z.py arg", proj), v{"tools/z.py"});
  EXPECT_EQ(run_by("node a.js", proj), v{"a.js"});
  EXPECT_EQ(run_by("make test", proj), v{"Makefile"});
  EXPECT_EQ(run_by("make -C sub", proj), v{"sub/GNUmakefile"});
  EXPECT_EQ(run_by("make -f other.mk all", proj), v{"other.mk"});
  EXPECT_EQ(run_by("cd scripts && ./y.sh", proj), v{"scripts/y.sh"});
  EXPECT_EQ(run_by("sudo ./x.sh && timeout 5 node a.js", proj), (v{"a.js", "x.sh"}));
  // Nothing of the project's: a command on the PATH, a module by name, a script outside, a file not there,
  // a one-liner, an interpreter reading stdin.
  EXPECT_EQ(run_by("npm install left-pad", proj), v{});
  EXPECT_EQ(run_by("python3 -m pytest tools", proj), v{});
  EXPECT_EQ(run_by("bash ../outside.sh", proj), v{});
  EXPECT_EQ(run_by("./missing.sh", proj), v{});
  EXPECT_EQ(run_by("python3 -c 'print(1)'", proj), v{});
  EXPECT_EQ(run_by("bash < x.sh", proj), v{});
  EXPECT_TRUE(scripts_run({"Write", "", (proj / "x.sh").string(), proj.string(), "/home/nobody", ""}, {}).empty());
}

TEST(ScriptBinding, ANewContentIsAChangedScriptAndTheTextRoundTrips) {
  test::temp_dir dir;
  write(dir.path() / "deploy.sh", "echo one\n");
  const auto call = bash("./deploy.sh && make", dir.path());
  const auto approved = scripts_run(call, {});
  ASSERT_EQ(approved.size(), 1u);
  EXPECT_EQ(changed_script(approved, scripts_run(call, {})), "") << "the same content";
  EXPECT_EQ(scripts_of_text(scripts_text(approved)), approved);
  EXPECT_EQ(scripts_text({}), "");
  EXPECT_TRUE(scripts_of_text("").empty()) << "a row from before scripts were bound";
  write(dir.path() / "deploy.sh", "echo two\n");
  const auto now = scripts_run(call, {});
  EXPECT_EQ(changed_script(approved, now), approved.begin()->first);
  // A script the approval did not run (a Makefile since), or one it ran and the call no longer runs, counts.
  write(dir.path() / "Makefile", "all:\n\ttrue\n");
  EXPECT_NE(changed_script(now, scripts_run(call, {})), "");
  EXPECT_NE(changed_script(now, {}), "");
  EXPECT_EQ(changed_script({}, {}), "");
  // A script that could not be read is never the one approved.
  script_hashes unreadable{{"/p/x.sh", "unreadable"}};
  EXPECT_EQ(changed_script(unreadable, unreadable), "/p/x.sh");
}

TEST(AskedCalls, ARunAnswersItsCallAnotherCallOrTheEndTheRest) {
  asked_calls<std::string> asked{3, 2};
  EXPECT_TRUE(asked.add("s1", "t1", "first", 1000).empty());
  EXPECT_TRUE(asked.add("s1", "t2", "second", 1001).empty());
  EXPECT_EQ(asked.size(), 2u);
  EXPECT_EQ(asked.ran("s1", "t1"), "first");
  EXPECT_FALSE(asked.ran("s1", "t1")) << "answered once";
  EXPECT_FALSE(asked.ran("s2", "t2")) << "another session's tool_use_id is not this one's";
  // The session's next call: the others were not run.
  EXPECT_TRUE(asked.add("s1", "t3", "third", 1002).empty());
  auto not_run = asked.unanswered("s1", "t3");
  EXPECT_EQ(not_run, std::vector<std::string>{"second"});
  EXPECT_EQ(asked.size(), 1u);
  EXPECT_EQ(asked.unanswered("s1"), std::vector<std::string>{"third"});
  EXPECT_EQ(asked.size(), 0u);
  // Asked again with the same id: one call, the newer.
  asked.add("s1", "t4", "old", 1);
  asked.add("s1", "t4", "new", 2);
  EXPECT_EQ(asked.size(), 1u);
  EXPECT_EQ(asked.ran("s1", "t4"), "new");
}

TEST(AskedCalls, BoundedPerSessionAndInSessionsAndTimedOut) {
  asked_calls<int> asked{2, 2};
  asked.add("a", "1", 1, 100);
  asked.add("a", "2", 2, 200);
  EXPECT_EQ(asked.add("a", "3", 3, 300), std::vector<int>{1}) << "the session's oldest goes";
  asked.add("b", "1", 10, 400);
  EXPECT_EQ(asked.add("c", "1", 20, 500), (std::vector<int>{2, 3})) << "the session heard from longest ago goes";
  EXPECT_EQ(asked.size(), 2u);
  EXPECT_FALSE(asked.ran("a", "3"));
  EXPECT_EQ(asked.expired(1399, 1000), std::vector<int>{}) << "none is 1000 ms old yet";
  EXPECT_EQ(asked.expired(1400, 1000), std::vector<int>{10});
  EXPECT_EQ(asked.expired(100000, 1000), std::vector<int>{20});
  EXPECT_EQ(asked.size(), 0u);
}

TEST(GrantDb, ScriptsAreKeptWithGrantsAndCountsAcrossAReopen) {
  test::temp_dir dir;
  const auto file = dir.path() / "approvals.sqlite";
  {
    auto db = grant_db::open(file);
    ASSERT_TRUE(db) << db.message();
    ASSERT_EQ((*db)->add({"k", "project", "/p", "ap-1", 5, R"({"/p/x.sh":"aa"})"}).message(), "");
    // Granting the same call again replaces it: the newest approval's scripts are what it is bound to.
    ASSERT_EQ((*db)->add({"k", "project", "/p", "ap-2", 6, R"({"/p/x.sh":"bb"})"}).message(), "");
    ASSERT_EQ((*db)->put({"pk", "{}", 3, false, R"({"/p/x.sh":"bb"})"}).message(), "");
  }
  auto db = grant_db::open(file);
  ASSERT_TRUE(db) << db.message();
  auto grants = (*db)->all();
  ASSERT_EQ(grants.size(), 1u);
  EXPECT_EQ(grants[0].approval, "ap-2");
  EXPECT_EQ(grants[0].scripts, R"({"/p/x.sh":"bb"})");
  auto patterns = (*db)->patterns();
  ASSERT_EQ(patterns.size(), 1u);
  EXPECT_EQ(patterns[0].approvals, 3);
  EXPECT_EQ(patterns[0].scripts, R"({"/p/x.sh":"bb"})");
}

// A file written before scripts were bound (schema version 0) is read, its rows bound to no script, and
// migrated to version 1; a file of a newer version is refused, naming it.
TEST(GrantDb, AnOlderFileIsMigratedAndANewerOneRefused) {
  test::temp_dir dir;
  const auto file = dir.path() / "approvals.sqlite";
  {
    auto old = sqlite_db::open(file, true);
    ASSERT_TRUE(old) << old.message();
    ASSERT_EQ((*old)->exec(R"(
CREATE TABLE grants(
  key TEXT NOT NULL, scope TEXT NOT NULL, scope_value TEXT NOT NULL, approval TEXT NOT NULL, time_ms INTEGER NOT NULL,
  PRIMARY KEY(key, scope, scope_value)) WITHOUT ROWID;
CREATE TABLE patterns(
  key TEXT PRIMARY KEY, rule_json TEXT NOT NULL, approvals INTEGER NOT NULL, promoted INTEGER NOT NULL) WITHOUT ROWID;
INSERT INTO grants VALUES ('k', 'session', 's1', 'ap-old', 1);
INSERT INTO patterns VALUES ('pk', '{"id":"learned:make@/p"}', 5, 1);
)").message(), "");
  }
  {
    auto db = grant_db::open(file);
    ASSERT_TRUE(db) << db.message();
    auto grants = (*db)->all();
    ASSERT_EQ(grants.size(), 1u);
    EXPECT_EQ(grants[0].approval, "ap-old");
    EXPECT_EQ(grants[0].scripts, "");
    auto patterns = (*db)->patterns();
    ASSERT_EQ(patterns.size(), 1u);
    EXPECT_TRUE(patterns[0].promoted);
    EXPECT_EQ(patterns[0].scripts, "");
    ASSERT_EQ((*db)->add({"k2", "project", "/p", "ap-new", 2, R"({"/p/Makefile":"cc"})"}).message(), "");
  }
  {
    auto raw = sqlite_db::open(file, true);
    ASSERT_TRUE(raw);
    auto v = (*raw)->prepare("PRAGMA user_version");
    ASSERT_TRUE(v && v->step());
    EXPECT_EQ(v->integer(0), 1);
  }
  auto again = grant_db::open(file);  // opening a migrated file again changes nothing
  ASSERT_TRUE(again) << again.message();
  EXPECT_EQ((*again)->all().size(), 2u);
  {
    auto raw = sqlite_db::open(file, true);
    ASSERT_TRUE(raw);
    ASSERT_EQ((*raw)->exec("PRAGMA user_version = 7;").message(), "");
  }
  auto newer = grant_db::open(file);
  ASSERT_FALSE(newer);
  EXPECT_NE(newer.message().find("has schema 7; this paiosd knows up to 1"), std::string::npos) << newer.message();
  EXPECT_NE(newer.message().find(file.string()), std::string::npos) << newer.message();
}

// A pattern learned from approvals of `ai autonomy ...` calls no rule matched would be `ai autonomy`: it never
// makes `ai autonomy set` or `demote` safe, which the built-in paios-policy-change keeps a person's decision
// (learnable: false), while it does loosen an ordinary built-in ask.
TEST(LearnedRules, NeverLoosenABuiltinRuleMarkedNotLearnable) {
  auto cfg = config_from_json(nlohmann::json::object());
  ASSERT_TRUE(cfg.config) << (cfg.errors.empty() ? "" : cfg.errors[0]);
  const auto& a = cfg.config->autonomy;
  const tool_call unmatched{"Bash", "ai autonomy explain", "", "/home/u/proj", "/home/u", "claude"};
  auto learned = pattern_of(unmatched, a.limits);
  ASSERT_TRUE(learned);
  EXPECT_EQ(learned->text, "ai autonomy");
  auto install = pattern_of({"Bash", "npm install x", "", "/home/u/proj", "/home/u", "claude"}, a.limits);
  ASSERT_TRUE(install);
  auto pol = policy::make(a.builtin, a.pins, {learned->rule, install->rule}, a.limits);
  ASSERT_TRUE(pol) << pol.message();
  auto judge = [&](const std::string& command) {
    return pol->decide({"Bash", command, "", "/home/u/proj", "/home/u", "claude"});
  };
  EXPECT_EQ(judge("ai autonomy explain").lvl, level::safe);
  for (const char* change : {"ai autonomy set rm safe", "ai autonomy demote learned:x@/home/u/proj",
                             "ai --json autonomy set \"git push\" safe --project /home/u/proj"}) {
    auto d = judge(change);
    EXPECT_EQ(d.lvl, level::ask) << change;
    EXPECT_EQ(d.rule, "paios-policy-change") << change;
  }
  EXPECT_EQ(judge("npm install y").rule, install->rule.id) << "an ordinary built-in ask (package-install) is loosened";
  EXPECT_EQ(judge("ai approve ap-1").lvl, level::never);
}
