// `ai autonomy` against a real daemon and without one: the effective policy with each rule's source (learned
// rules only from the daemon), `check` explaining a decision with the daemon up (its policy, learned rules
// included) and down (the configuration files), `set` writing a pin into config.json that the daemon applies
// after a restart (a pattern that does not parse refused with the error), `history` listing the autonomy events,
// and `demote` taking back a rule learned from five approvals (persisted across a restart, an event).
#include <gtest/gtest.h>

#include <fstream>

#include "tests/support/autonomy_gate_support.hpp"
#include "tests/support/test_support.hpp"

using nlohmann::json;
using paios::test::daemon_process;
using paios::test::run_result;
using paios::test::wire_peer;
using namespace std::chrono_literals;
using namespace paios::test::gate;

namespace {

// `ai --json autonomy ARGS...`: its one JSON reply (null when it printed none).
json autonomy_json(const daemon_process& d, std::vector<std::string> args, int expected_exit = 0) {
  args.insert(args.begin(), {"--json", "autonomy"});
  auto r = d.ai(args);
  EXPECT_EQ(r.exit_code, expected_exit) << r.out << r.err;
  auto lines = paios::test::json_lines(r.out);
  return lines.empty() ? json{} : lines.back();
}

json check(const daemon_process& d, const project& p, const std::string& command) {
  return autonomy_json(d, {"check", "--cwd", p.cwd(), "--", command});
}

const json* rule_named(const json& shown, const std::string& id) {
  for (const auto& r : shown["rules"])
    if (r.value("id", "") == id) return &r;
  return nullptr;
}

json config_file(const daemon_process& d) {
  std::ifstream in{d.home() / "config.json"};
  return json::parse(in, nullptr, false);
}

}  // namespace

TEST(AutonomyCli, ShowListsEveryRuleWithItsSourceDaemonUpAndDown) {
  auto cfg = gate_config();
  cfg["autonomy"]["pins"] = json::array({{{"id", "my-make"}, {"level", "safe"}, {"reason", "builds are fine"},
                                          {"commands", {"make"}}}});
  daemon_process d{cfg};
  // Down: the configuration files, saying that learned rules are not shown.
  auto down = autonomy_json(d, {});
  EXPECT_FALSE(down.value("learned_shown", true));
  ASSERT_NE(rule_named(down, "my-make"), nullptr) << down;
  EXPECT_EQ((*rule_named(down, "my-make")).value("source", ""), "pin");
  ASSERT_NE(rule_named(down, "rm-recursive-outside-project"), nullptr);
  EXPECT_EQ((*rule_named(down, "rm-recursive-outside-project")).value("source", ""), "builtin");
  EXPECT_EQ((*rule_named(down, "rm-recursive-outside-project")).value("level", ""), "never");
  EXPECT_NE((*rule_named(down, "my-make")).value("matches", "").find("make"), std::string::npos);
  auto text = d.ai({"autonomy"});
  EXPECT_EQ(text.exit_code, 0) << text.err;
  EXPECT_NE(text.out.find("learned rules are not shown"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("my-make"), std::string::npos) << text.out;

  // Up: the daemon's policy, the same rules, learned ones included (none yet).
  d.start();
  auto up = autonomy_json(d, {});
  EXPECT_TRUE(up.value("learned_shown", false)) << up;
  EXPECT_EQ(up["rules"].size(), down["rules"].size());
  ASSERT_NE(rule_named(up, "my-make"), nullptr);
  EXPECT_EQ((*rule_named(up, "my-make")).value("source", ""), "pin");
  EXPECT_EQ(d.ai({"autonomy"}).out.find("learned rules are not shown"), std::string::npos);
}

TEST(AutonomyCli, CheckExplainsADecisionWithoutRunningItDaemonUpAndDown) {
  daemon_process d{gate_config()};
  project p;
  const auto victim = p.dir.path() / "victim";
  std::ofstream{victim} << "x";
  for (bool up : {false, true}) {
    SCOPED_TRACE(up ? "daemon up" : "daemon down");
    if (up) d.start();
    auto never = check(d, p, "sudo rm -rf /");
    EXPECT_EQ(never.value("level", ""), "never") << never;
    EXPECT_EQ(never.value("rule", ""), "rm-recursive-outside-project");
    EXPECT_NE(never.value("reason", "").find("sudo rm -rf /"), std::string::npos) << never;
    auto ask = check(d, p, "npm install left-pad");
    EXPECT_EQ(ask.value("level", ""), "ask");
    EXPECT_EQ(ask.value("rule", ""), "package-install");
    auto unmatched = check(d, p, "frobnicate --all");
    EXPECT_EQ(unmatched.value("level", ""), "ask");
    EXPECT_EQ(unmatched.value("rule", ""), "");
    EXPECT_NE(unmatched.value("reason", "").find("no rule matches"), std::string::npos);
    // A file tool: a write into the shell's start-up files is never.
    auto write = autonomy_json(d, {"check", "--tool", "Write", "--path", "/etc/passwd", "--cwd", p.cwd()});
    EXPECT_EQ(write.value("level", ""), "never") << write;
    // Nothing ran: the file a delete in the project would remove is still there.
    EXPECT_EQ(check(d, p, "rm " + victim.string()).value("level", ""), "ask");
    EXPECT_TRUE(std::filesystem::exists(victim));
    // The human form names the level, the rule and who judged.
    auto text = d.ai({"autonomy", "check", "--cwd", p.cwd(), "--", "sudo rm -rf /"});
    EXPECT_EQ(text.exit_code, 0) << text.err;
    EXPECT_NE(text.out.find("never (rule rm-recursive-outside-project)"), std::string::npos) << text.out;
    EXPECT_NE(text.out.find(up ? "judged by paiosd" : "paiosd is not running"), std::string::npos) << text.out;
    // Bad input: no command for Bash; a command with another tool.
    auto none = d.ai({"autonomy", "check", "--cwd", p.cwd()});
    EXPECT_EQ(none.exit_code, 2);
    EXPECT_NE(none.err.find("give the command after --"), std::string::npos) << none.err;
    EXPECT_EQ(d.ai({"autonomy", "check", "--tool", "Read", "--", "ls"}).exit_code, 2);
  }
  // A check is not a decision of the gate: no autonomy event. (A real decision after it is the positive
  // condition waited for; then the checks' absence is certain.)
  EXPECT_EQ(decision_of(hook(d.home(), p.call("ls"))).value("permissionDecision", ""), "allow");
  wire_peer peer{d.endpoint()};
  auto events = wait_autonomy_events(peer, "", 1);
  EXPECT_EQ(events.size(), 1u) << json(events).dump();
}

TEST(AutonomyCli, SetWritesAPinTheDaemonAppliesAfterARestart) {
  daemon_process d{gate_config()};
  d.start();
  project p;
  EXPECT_EQ(check(d, p, "npm install left-pad").value("level", ""), "ask");
  auto set = d.ai({"autonomy", "set", "npm install", "safe", "--project", p.cwd()});
  ASSERT_EQ(set.exit_code, 0) << set.err;
  EXPECT_NE(set.out.find("Pinned pin:npm install@" + p.cwd() + " = safe"), std::string::npos) << set.out;
  EXPECT_NE(set.out.find("restart"), std::string::npos) << set.out;
  auto pins = config_file(d)["autonomy"]["pins"];
  ASSERT_EQ(pins.size(), 1u) << pins;
  EXPECT_EQ(pins[0].value("level", ""), "safe");
  EXPECT_EQ(pins[0]["commands"], json::array({"npm"}));
  EXPECT_EQ(pins[0]["words"], json::array({"install"}));
  EXPECT_EQ(pins[0].value("project", ""), p.cwd());
  // What the daemon kept: hooks.deadline_ms and the rest of the file are still there.
  EXPECT_EQ(config_file(d)["hooks"].value("deadline_ms", 0), 5000);
  // The same pin again changes nothing.
  auto again = d.ai({"autonomy", "set", "npm install", "safe", "--project", p.cwd()});
  EXPECT_EQ(again.exit_code, 0) << again.err;
  EXPECT_NE(again.out.find("already in"), std::string::npos) << again.out;

  // The running daemon read its configuration at start; after a restart the pin decides, in that project only.
  EXPECT_EQ(check(d, p, "npm install left-pad").value("level", ""), "ask");
  ASSERT_EQ(d.stop(), 0);
  d.start();
  auto now = check(d, p, "npm install left-pad");
  EXPECT_EQ(now.value("level", ""), "safe") << now;
  EXPECT_EQ(now.value("rule", ""), "pin:npm install@" + p.cwd());
  project elsewhere;
  EXPECT_EQ(check(d, elsewhere, "npm install left-pad").value("level", ""), "ask");
  // `ai autonomy` lists it as a pin.
  auto shown = autonomy_json(d, {});
  ASSERT_NE(rule_named(shown, "pin:npm install@" + p.cwd()), nullptr) << shown;

  // A pattern that does not parse is refused with the error, and the file is left as it was.
  const auto before = config_file(d);
  auto bad = d.ai({"autonomy", "set", "re:(unclosed", "never"});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("does not parse"), std::string::npos) << bad.err;
  EXPECT_NE(bad.err.find("RE2"), std::string::npos) << bad.err;
  EXPECT_EQ(config_file(d), before);
  auto level = d.ai({"autonomy", "set", "make", "sometimes"});
  EXPECT_EQ(level.exit_code, 2) << level.err;
  EXPECT_EQ(config_file(d), before);
}

TEST(AutonomyCli, DemoteTakesBackALearnedRuleAndHistoryShowsIt) {
  daemon_process d{gate_config()};
  d.start();
  project p;
  for (int i = 0; i < 5; ++i)
    EXPECT_EQ(answer_once(d, p, "npm install pkg" + std::to_string(i), "s" + std::to_string(i), true)
                  .value("permissionDecision", ""),
              "allow");
  wire_peer peer{d.endpoint()};
  ASSERT_EQ(wait_autonomy_events(peer, "promoted", 1).size(), 1u);
  const auto learned_id = "learned:npm install@" + p.cwd();
  // The learned rule is in the policy, with its project and count, and check names it.
  auto shown = autonomy_json(d, {});
  const auto* learned = rule_named(shown, learned_id);
  ASSERT_NE(learned, nullptr) << shown;
  EXPECT_EQ(learned->value("source", ""), "learned");
  EXPECT_EQ(learned->value("approvals", 0), 5);
  EXPECT_EQ(learned->value("project", ""), p.cwd());
  EXPECT_NE(d.ai({"autonomy"}).out.find("learned (5 approvals)"), std::string::npos);
  auto before = check(d, p, "npm install lodash");
  EXPECT_EQ(before.value("level", ""), "safe") << before;
  EXPECT_EQ(before.value("rule", ""), learned_id);

  // Unknown rules and patterns are named.
  auto unknown = d.ai({"autonomy", "demote", "learned:nothing@/x"});
  EXPECT_EQ(unknown.exit_code, 1);
  EXPECT_NE(unknown.err.find("not_found"), std::string::npos) << unknown.err;
  EXPECT_NE(unknown.err.find("learned:nothing@/x"), std::string::npos) << unknown.err;
  EXPECT_EQ(d.ai({"autonomy", "demote", "npm install", "--project", "/elsewhere"}).exit_code, 1);

  // Demoted by its pattern and project: asked again, an event, and so after a restart.
  auto demote = d.ai({"autonomy", "demote", "npm install", "--project", p.cwd()});
  ASSERT_EQ(demote.exit_code, 0) << demote.err;
  EXPECT_NE(demote.out.find("demoted " + learned_id), std::string::npos) << demote.out;
  auto after = check(d, p, "npm install lodash");
  EXPECT_EQ(after.value("level", ""), "ask") << after;
  EXPECT_EQ(after.value("rule", ""), "package-install");
  EXPECT_EQ(rule_named(autonomy_json(d, {}), learned_id), nullptr);
  auto demoted = wait_autonomy_events(peer, "demoted", 1);
  ASSERT_EQ(demoted.size(), 1u);
  EXPECT_EQ(demoted[0]["data"].value("learned_rule", ""), learned_id);
  EXPECT_EQ(demoted[0]["data"].value("approvals", 0), 5);
  EXPECT_EQ(decision_of(hook(d.home(), p.call("npm install lodash", "s9"))).value("permissionDecision", ""), "ask");

  // History: the newest autonomy events, the demotion and the promotion among them.
  auto history = autonomy_json(d, {"history", "-n", "50"});
  std::set<std::string> actions;
  for (const auto& e : history.value("events", json::array())) {
    EXPECT_EQ(e.value("category", ""), "autonomy");
    actions.insert(e.value("action", ""));
  }
  for (const char* a : {"demoted", "promoted", "approved", "ask"}) EXPECT_TRUE(actions.count(a)) << a << history;
  EXPECT_EQ(autonomy_json(d, {"history", "-n", "2"}).value("events", json::array()).size(), 2u);
  auto text = d.ai({"autonomy", "history"});
  EXPECT_NE(text.out.find("demoted"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find(learned_id), std::string::npos) << text.out;

  ASSERT_EQ(d.stop(), 0);
  d.start();
  EXPECT_EQ(check(d, p, "npm install react").value("level", ""), "ask");
  EXPECT_EQ(d.ai({"autonomy", "demote", learned_id}).exit_code, 1) << "already demoted";
}
