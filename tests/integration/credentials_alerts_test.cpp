// Credentials, budgets and supervisor escalations in a real paiosd (docs/alerts.md, docs/runbooks/credentials.md):
// a declared credential expiring in 3 days raises credential_expiry (`ai alerts`) and a warning line in `ai status`,
// a missing one credential_missing; `ai credentials` lists the declared and the discovered ones (a brain's env
// key, Codex CLI's login on the daemon's HOME) with days left and fingerprints; and no secret value is in the
// daemon's log, the event store, the alert book or any output. A brain whose calls keep hitting their time
// budget raises budget_exceeded; a supervisor below the root that gives up on a child raises
// supervisor_escalation naming the supervisor, the child and the reason.
#include <chrono>
#include <fstream>
#include <functional>
#include <map>
#include <sstream>

#include <gtest/gtest.h>

#include "tests/support/test_support.hpp"

using nlohmann::json;
using namespace paios::test;

namespace {

constexpr std::int64_t kDayMs = 86400000;

// A JWT that expires at `exp_ms`, with a payload marker no other text holds.
std::string jwt(std::int64_t exp_ms, const std::string& marker) {
  return test_jwt({{"exp", exp_ms / 1000}, {"sub", marker}});
}

void write(const std::filesystem::path& p, const std::string& text) {
  std::filesystem::create_directories(p.parent_path());
  std::ofstream(p) << text;
}

json alerts_of(const daemon_process& d) {
  auto j = json::parse(d.ai({"--json", "alerts", "--all"}).out, nullptr, false);
  return j.is_object() ? j.value("alerts", json::array()) : json::array();
}

json alert(const daemon_process& d, const std::string& kind, const std::string& key) {
  for (const auto& a : alerts_of(d))
    if (a.value("kind", "") == kind && a.value("key", "") == key) return a;
  return nullptr;
}

json wait_alert(const daemon_process& d, const std::string& kind, const std::string& key) {
  json found;
  poll_until([&] {
    found = alert(d, kind, key);
    return !found.is_null();
  }, std::chrono::seconds(30), std::chrono::milliseconds(50));
  return found;
}

json echo_brain() { return {{"kind", "echo"}}; }

}  // namespace

TEST(CredentialsAlerts, AnExpiringCredentialIsAlertedAndWarnedAndNoValueIsEverShown) {
  temp_dir user_home;  // the daemon's HOME: where the agents keep their logins
  const auto now = wall_clock_ms();
  const std::string token = jwt(now + 3 * kDayMs + 3600000, "svc-token-marker-7f3a");
  const std::string env_secret = "sk-live-ENVSECRET-4b1d9e";
  const std::string config_secret = "sk-config-CONFIGSECRET-82c6";
  const std::string codex_token = jwt(now + 30 * kDayMs, "codex-marker-19ae");
  write(user_home.path() / "svc.jwt", token + "\n");
  // The brain runs a program named codex (the fake one): that is what makes Codex CLI's login its credential.
  std::filesystem::create_directories(user_home.path() / "bin");
  std::filesystem::create_symlink(fake_agent("fake-codex"), user_home.path() / "bin" / "codex");
  write(user_home.path() / ".codex" / "auth.json",
        json{{"OPENAI_API_KEY", nullptr}, {"tokens", {{"access_token", codex_token}, {"refresh_token", "rt-codex-secret-55"}}}}.dump());

  json cfg{{"brains",
            {{"echo", echo_brain()},
             {"coder", {{"kind", "process"}, {"command", {(user_home.path() / "bin" / "codex").string()}}, {"format", "text"},
                        {"env", {{"SERVICE_API_KEY", config_secret}, {"LANG", "C"}}}}}}},
           {"tasks", {{"default_brain", "echo"}, {"failover", json::array()}}},
           {"notify", {{"notify_send", false}}},
           {"alerts", {{"check_ms", 100}, {"credential_warn_days", 7}}},
           {"credentials",
            {{{"name", "svc-token"}, {"kind", "file"}, {"path", (user_home.path() / "svc.jwt").string()}, {"used_by", {"echo"}}},
             {{"name", "svc-key"}, {"kind", "env"}, {"env", "SVC_KEY_FOR_TEST"}, {"expires", "2099-01-01"}},
             {{"name", "gone"}, {"kind", "env"}, {"env", "NOT_SET_TOKEN_FOR_TEST"}}}}};
  daemon_process d{cfg};
  d.set_env("HOME", user_home.path().string());
  d.set_env("SVC_KEY_FOR_TEST", env_secret);
  d.start();

  // The alert: raised at start (the first check), days left in its title.
  auto expiry = wait_alert(d, "credential_expiry", "svc-token");
  ASSERT_FALSE(expiry.is_null()) << alerts_of(d).dump(2) << d.log();
  EXPECT_EQ(expiry.value("severity", ""), "warning");
  EXPECT_EQ(expiry.value("title", ""), "PAIOS: credential svc-token expires in 3 day(s)");
  EXPECT_NE(expiry.value("detail", "").find("jwt exp"), std::string::npos) << expiry.dump();
  auto missing = wait_alert(d, "credential_missing", "gone");
  ASSERT_FALSE(missing.is_null()) << alerts_of(d).dump(2);
  EXPECT_TRUE(alert(d, "credential_expiry", "svc-key").is_null()) << "2099 is far away";

  // `ai status` warns about both, and about nothing else.
  auto status = d.ai({"status"});
  ASSERT_EQ(status.exit_code, 0) << status.err;
  EXPECT_NE(status.out.find("warning: credential svc-token expires in 3 day(s)"), std::string::npos) << status.out;
  EXPECT_NE(status.out.find("warning: credential gone missing: not set in paiosd's environment"), std::string::npos)
      << status.out;
  EXPECT_EQ(status.out.find("warning: credential svc-key"), std::string::npos) << status.out;

  // `ai credentials`: the declared ones and the discovered ones (the brain's env key, Codex's login).
  auto listed = json::parse(d.ai({"--json", "credentials"}).out, nullptr, false);
  ASSERT_TRUE(listed.is_object()) << d.ai({"--json", "credentials"}).err;
  std::map<std::string, json> by_name;
  for (const auto& c : listed["credentials"]) by_name[c.value("name", "")] = c;
  ASSERT_TRUE(by_name.count("svc-token") && by_name.count("svc-key") && by_name.count("gone") &&
              by_name.count("coder.SERVICE_API_KEY") && by_name.count("codex-login"))
      << listed.dump(2);
  EXPECT_EQ(by_name["svc-token"].value("days_left", -99), 3);
  EXPECT_EQ(by_name["svc-token"].value("state", ""), "expiring");
  EXPECT_EQ(by_name["svc-key"].value("state", ""), "ok");
  EXPECT_EQ(by_name["svc-key"].value("fingerprint", "").size(), 8u);
  EXPECT_EQ(by_name["codex-login"].value("where", ""), (user_home.path() / ".codex" / "auth.json").string());
  EXPECT_EQ(by_name["codex-login"].value("days_left", -99), 29);
  EXPECT_EQ(by_name["coder.SERVICE_API_KEY"].value("where", ""), "brains.coder.env.SERVICE_API_KEY");
  EXPECT_NE(by_name["codex-login"].value("used_by", json::array()).dump().find("coder"), std::string::npos)
      << by_name["codex-login"].dump();
  EXPECT_EQ(listed.value("warn_days", 0), 7);
  auto table = d.ai({"credentials"});
  EXPECT_EQ(table.exit_code, 0) << table.err;
  EXPECT_NE(table.out.find("svc-token"), std::string::npos) << table.out;

  // Events reach the store: an orderly stop writes what is queued. Then no secret in any file or output.
  const std::string outputs = status.out + listed.dump() + table.out + alerts_of(d).dump();
  EXPECT_EQ(d.stop(), 0);
  std::string everything = d.log() + outputs;
  for (const auto& dir : {d.home() / "data", d.home() / "logs"}) {
    std::error_code ec;
    for (auto it = std::filesystem::recursive_directory_iterator(dir, ec); !ec && it != std::filesystem::end(it); it.increment(ec))
      if (it->is_regular_file()) everything += file_bytes(it->path());
  }
  EXPECT_NE(everything.find("credential_expiry"), std::string::npos) << "the search covers the alert book and events";
  for (const auto& secret : {token, env_secret, config_secret, codex_token, std::string{"rt-codex-secret-55"},
                             std::string{"svc-token-marker"}, std::string{"codex-marker-19ae"}})
    EXPECT_EQ(everything.find(secret), std::string::npos) << "a secret value leaked: " << secret.substr(0, 12) << "...";
}

TEST(CredentialsAlerts, ABrainWhoseCallsKeepRunningOutOfTimeRaisesBudgetExceeded) {
  json cfg{{"brains",
            {{"echo", echo_brain()},
             {"slowpoke", {{"kind", "process"}, {"command", {fake_agent("fake-text").string()}}, {"format", "text"},
                           {"timeout_ms", 300}, {"kill_grace_ms", 200}, {"env", {{"FAKE_MODE", "hang"}}}}}}},
           {"tasks", {{"default_brain", "echo"}, {"failover", json::array()}, {"retry", {{"max_retries", 0}}}}},
           {"notify", {{"notify_send", false}}},
           {"alerts", {{"check_ms", 100}, {"budget_timeouts", 2}, {"budget_window_ms", 600000}}}};
  daemon_process d{cfg};
  d.start();
  auto first = d.ai({"--brain", "slowpoke", "one"});
  EXPECT_NE(first.exit_code, 0);
  EXPECT_NE(first.err.find("timeout"), std::string::npos) << first.err;
  // One timeout is under the budget: the positive event (the timeout in the event store) first, then the absence.
  ASSERT_TRUE(poll_until([&] {
    auto r = json::parse(d.ai({"--json", "obs", "--category", "brain", "--status", "timeout"}).out, nullptr, false);
    return r.is_object() && !r.value("events", json::array()).empty();
  }, std::chrono::seconds(20))) << d.ai({"--json", "obs", "--category", "brain"}).out;
  EXPECT_TRUE(alert(d, "budget_exceeded", "slowpoke").is_null());
  d.ai({"--brain", "slowpoke", "two"});
  auto budget = wait_alert(d, "budget_exceeded", "slowpoke");
  ASSERT_FALSE(budget.is_null()) << alerts_of(d).dump(2);
  EXPECT_EQ(budget.value("title", ""), "PAIOS: brain slowpoke's tasks hit their time budget");
  EXPECT_NE(budget.value("detail", "").find("2 call(s) of brain slowpoke ran out of their time"), std::string::npos)
      << budget.dump();
  EXPECT_TRUE(alert(d, "budget_exceeded", "echo").is_null());
}

TEST(CredentialsAlerts, ASupervisorBelowTheRootThatGivesUpIsAlertedWithItsChildAndReason) {
  json cfg{{"brains", {{"echo", echo_brain()}}},
           {"tasks", {{"default_brain", "echo"}, {"failover", json::array()}}},
           {"notify", {{"notify_send", false}}},
           {"supervision", {{"max_restarts", 2}, {"within_ms", 60000}}},
           {"alerts", {{"check_ms", 100}}}};
  daemon_process d{cfg};
  d.set_env("PAIOS_FAULT_INJECTION", "1");
  d.start();
  wire_peer peer{d.endpoint()};
  auto brain_restarts = [&] {
    auto s = json::parse(d.ai({"--json", "status"}).out, nullptr, false);
    std::function<int(const json&)> find = [&](const json& tree) -> int {
      for (const auto& c : tree.value("children", json::array())) {
        if (c.value("name", "") == "brain:echo" && c.value("state", "") == "running") return c.value("restarts", 0);
        if (c.contains("tree"))
          if (int n = find(c["tree"]); n >= 0) return n;
      }
      return -1;
    };
    return s.is_object() ? find(s.value("tree", json::object())) : -1;
  };
  // Two failures the brains supervisor restarts; the third is past its intensity (2 in 60 s): it escalates.
  for (int i = 1; i <= 2; ++i) {
    peer.exchange(bus_request("debug.fault", {{"actor", "brain:echo"}}));
    ASSERT_TRUE(poll_until([&] { return brain_restarts() == i; }, std::chrono::seconds(10))) << d.log();
  }
  EXPECT_TRUE(alert(d, "supervisor_escalation", "brains").is_null()) << "restarts within the limit are no alert";
  peer.exchange(bus_request("debug.fault", {{"actor", "brain:echo"}}));
  auto escalation = wait_alert(d, "supervisor_escalation", "brains");
  ASSERT_FALSE(escalation.is_null()) << alerts_of(d).dump(2) << d.log();
  EXPECT_EQ(escalation.value("severity", ""), "critical");
  EXPECT_EQ(escalation.value("title", ""), "PAIOS: supervisor brains gave up on brain:echo");
  const auto detail = escalation.value("detail", "");
  EXPECT_NE(detail.find("restart intensity exceeded"), std::string::npos) << detail;
  EXPECT_NE(detail.find("fault injected by debug.fault"), std::string::npos) << detail;
  EXPECT_FALSE(escalation.value("lasting", true)) << "an event, closed by ai alerts ack";
  // The root restarted the brains supervisor: the daemon serves on, and the brain answers again.
  ASSERT_TRUE(poll_until([&] { return d.ai({"after"}).out == "after\n"; }, std::chrono::seconds(10))) << d.log();
  EXPECT_TRUE(d.running());
}
