// `ai doctor` end to end: the real `ai` against a real paiosd in a temporary PAIOS_HOME. Agent CLIs are scripts on
// the PATH `ai` is given (one printing a version in the lock, one outside it, one missing), the databases are real
// SQLite files (the daemon's own, one corrupted on purpose, one whose WAL a writer holds over the threshold), the
// service check pings the daemon, and --smoke sends one task through each brain, fake agents included
// (tests/fake_agents). The exit status is 1 exactly when a finding is an error.
#include <cstdlib>
#include <fstream>

#include <gtest/gtest.h>

#include "core/sqlite/sqlite_db.hpp"
#include "tests/support/test_support.hpp"

using nlohmann::json;
using namespace paios::test;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

// The brains a test names, with the default process brains and the kb brain removed and echo the default, so
// that nothing reaches an agent CLI installed on the machine.
json only_brains(json brains) {
  for (const char* b : {"claude", "codex", "gemini", "kb"})
    if (!brains.contains(b)) brains[b] = nullptr;
  return {{"tasks", {{"default_brain", "echo"}, {"failover", json::array()}}}, {"brains", brains}};
}

// `ai --home HOME doctor ARGS...` with `path_first` before the inherited PATH.
run_result doctor(const fs::path& home, const std::vector<std::string>& args, const fs::path& path_first = {}) {
  std::vector<std::string> argv{ai_path().string(), "--home", home.string(), "doctor"};
  argv.insert(argv.end(), args.begin(), args.end());
  const std::string path = (path_first.empty() ? "" : path_first.string() + ":") + std::getenv("PATH");
  return run_program(argv, {{"PATH", path}}, {}, 180s);
}

// The finding whose check is `check` (a null object when there is none).
json finding(const json& report, const std::string& check) {
  for (const auto& f : report["findings"])
    if (f["check"] == check) return f;
  return json{};
}

std::string levels(const json& report) {
  std::string out;
  for (const auto& f : report["findings"]) out += f["level"].get<std::string>() + "  " + f["check"].get<std::string>() + ": " + f["found"].get<std::string>() + "\n";
  return out;
}

// Expects the finding `check` at `level`, with `fragment` in what it found and, when given, `runbook` as its page.
void expect_finding(const json& report, const std::string& check, const std::string& level, const std::string& fragment = "",
                    const std::string& runbook = "") {
  const auto f = finding(report, check);
  ASSERT_FALSE(f.is_null()) << "no finding " << check << " in\n" << levels(report);
  EXPECT_EQ(f["level"], level) << check << " in\n" << levels(report);
  EXPECT_NE(f["found"].get<std::string>().find(fragment), std::string::npos) << check << ": " << f["found"];
  if (!runbook.empty()) {
    EXPECT_EQ(f["runbook"], "docs/runbooks/" + runbook) << check;
  }
}

}  // namespace

// Every kind of problem at once: an untested CLI version (warning), a missing CLI of an enabled brain (error), a
// corrupt database (error), a WAL over the threshold (warning); the daemon's own databases pass, the daemon answers.
TEST(CliDoctor, FindsEachProblemWithItsRunbookAndExitsOneOnAnError) {
  temp_dir bin;
  write_script(bin.path(), "claude", "echo '2.1.197 (Claude Code)'");
  write_script(bin.path(), "codex", "echo 'codex-cli 0.999.0'");
  auto config = only_brains({{"claude", {{"kind", "process"}, {"command", {"claude", "-p"}}, {"format", "claude-stream-json"}}},
                             {"codex", {{"kind", "process"}, {"command", {"codex", "exec"}}, {"format", "codex-jsonl"}}},
                             {"gemini", {{"kind", "process"}, {"command", {"gemini-not-installed-here"}}, {"format", "gemini-json"}}}});
  config["doctor"] = {{"wal_warning_mb", 1}, {"disk_warning_mb", 0}, {"disk_error_mb", 0}};
  daemon_process d{config};
  d.start();
  const auto data = d.home() / "data";
  // A database whose page 2 (its table's root) is overwritten: quick_check must report it.
  {
    auto db = paios::sqlite_db::open(data / "broken.sqlite", false).value();
    ASSERT_TRUE(db->exec("CREATE TABLE t(v TEXT); WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n "
                         "WHERE i < 300) INSERT INTO t SELECT printf('%0300d', i) FROM n").ok());
  }
  {
    std::fstream f(data / "broken.sqlite", std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(4096);
    const std::string junk(512, '\xff');
    f.write(junk.data(), static_cast<std::streamsize>(junk.size()));
  }
  // A WAL of more than 2 MiB, held by this writer (no checkpoint) while `ai doctor` looks.
  auto writer = paios::sqlite_db::open(data / "extra.sqlite", false).value();
  ASSERT_TRUE(writer->exec("PRAGMA wal_autocheckpoint=0; CREATE TABLE t(v BLOB); WITH RECURSIVE n(i) AS (SELECT 1 "
                           "UNION ALL SELECT i + 1 FROM n WHERE i < 600) INSERT INTO t SELECT randomblob(4000) FROM n").ok());

  auto r = doctor(d.home(), {"--json"}, bin.path());
  ASSERT_EQ(r.exit_code, 1) << r.out << r.err;
  auto report = json::parse(r.out);
  expect_finding(report, "configuration " + (d.home() / "config.json").string(), "ok", "valid");
  expect_finding(report, "paiosd on " + d.home().string(), "ok", "answers a ping");
  EXPECT_FALSE(finding(report, "systemd unit paiosd.service").is_null()) << levels(report);
  expect_finding(report, "agent CLI claude", "ok", "2.1.197, tested");
  expect_finding(report, "agent CLI codex", "warning", "doctor.tested_versions.codex", "brains-and-breakers.md");
  expect_finding(report, "agent CLI gemini-not-installed-here", "error", "brains.gemini.command");
  // The lock's gemini entry is run by no enabled brain: reported as not installed, not as a problem.
  expect_finding(report, "agent CLI gemini", "ok", "not installed");
  // The live daemon's database, read while it runs.
  expect_finding(report, "database data/state.sqlite", "ok", "quick_check ok", "state-store.md");
  expect_finding(report, "database data/broken.sqlite", "error", "broken.sqlite");
  expect_finding(report, "WAL data/extra.sqlite-wal", "warning", "doctor.wal_warning_mb");
  expect_finding(report, "hook spool " + (d.home() / "spool").string(), "ok", "empty");
  EXPECT_GE(report["errors"].get<int>(), 2) << levels(report);
  EXPECT_TRUE(finding(report, "smoke call brain echo").is_null()) << "nothing is sent without --smoke";

  // For a person: each problem with its runbook, and the count.
  auto text = doctor(d.home(), {}, bin.path());
  EXPECT_EQ(text.exit_code, 1);
  EXPECT_NE(text.out.find("error    database data/broken.sqlite"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("runbook: docs/runbooks/brains-and-breakers.md"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find(" checks: "), std::string::npos) << text.out;
}

// A healthy home exits 0: only echo runs, the daemon answers, its databases pass.
TEST(CliDoctor, AHealthyHomeExitsZero) {
  auto config = only_brains(json::object());
  config["doctor"] = {{"disk_warning_mb", 0}, {"disk_error_mb", 0}};
  daemon_process d{config};
  d.start();
  auto r = doctor(d.home(), {"--json"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  auto report = json::parse(r.out);
  EXPECT_EQ(report["errors"], 0) << levels(report);
  expect_finding(report, "database data/state.sqlite", "ok", "quick_check ok");
}

// The daemon down is an error naming how to start it; --smoke then sends nothing and says why.
TEST(CliDoctor, ADaemonThatIsDownIsAnError) {
  auto config = only_brains(json::object());
  config["doctor"] = {{"disk_warning_mb", 0}, {"disk_error_mb", 0}};
  daemon_process d{config};  // written, never started
  auto r = doctor(d.home(), {"--json", "--smoke"});
  ASSERT_EQ(r.exit_code, 1) << r.out << r.err;
  auto report = json::parse(r.out);
  expect_finding(report, "paiosd on " + d.home().string(), "error", "paiosd --home", "daemon.md");
  expect_finding(report, "smoke calls", "error", "not sent");
}

// --smoke: one task through each brain the daemon runs. A fake Claude Code answers (its stream-json read by the
// claude adapter), a fake agent that fails is an error, echo answers; without --smoke no agent was called.
TEST(CliDoctor, SmokeCallsEveryBrainThroughItsAdapter) {
  temp_dir files;
  const auto calls = files.path() / "calls";
  daemon_process d{only_brains(
      {{"fake", {{"kind", "process"}, {"command", {fake_agent("fake-claude").string()}}, {"format", "claude-stream-json"},
                 {"env", {{"FAKE_CALLS_FILE", calls.string()}}}}},
       {"broken", {{"kind", "process"}, {"command", {fake_agent("fake-claude").string()}}, {"format", "claude-stream-json"},
                   {"env", {{"FAKE_MODE", "exit3"}}}, {"breaker", {{"enabled", false}}}}}})};
  d.start();

  auto quiet = doctor(d.home(), {"--json"});
  EXPECT_FALSE(fs::exists(calls)) << "ai doctor without --smoke called an agent";
  EXPECT_TRUE(finding(json::parse(quiet.out), "smoke call brain fake").is_null());

  auto r = doctor(d.home(), {"--json", "--smoke"});
  ASSERT_EQ(r.exit_code, 1) << r.out << r.err;  // the broken brain
  auto report = json::parse(r.out);
  expect_finding(report, "smoke call brain fake", "ok", "answered in ");
  expect_finding(report, "smoke call brain fake", "ok", "You asked: This is a health check");
  expect_finding(report, "smoke call brain echo", "ok", "answered in ");
  expect_finding(report, "smoke call brain broken", "error", "failed", "brains-and-breakers.md");
  EXPECT_EQ(first_line_of(calls), "This is a health check from `ai doctor --smoke`. Reply with the single word: ok");
}

// The unit's state as `systemctl --user show` reports it (a fake systemctl first on PATH): failed is an error,
// inactive while paiosd is down a warning, a unit that is not installed or a user manager that cannot answer is
// skipped with the reason.
TEST(CliDoctor, TheSystemdUnitIsReadFromSystemctl) {
  auto config = only_brains(json::object());
  config["doctor"] = {{"disk_warning_mb", 0}, {"disk_error_mb", 0}, {"systemd_unit", "paios-test.service"}};
  daemon_process d{config};  // never started: paiosd is down
  temp_dir bin;
  const auto unit = [&](const std::string& systemctl_prints, int status = 0) {
    write_script(bin.path(), "systemctl",
                 "[ \"$1 $2 $4\" = '--user show paios-test.service' ] || exit 9\nprintf '" + systemctl_prints +
                     "'\nexit " + std::to_string(status));
    return json::parse(doctor(d.home(), {"--json"}, bin.path()).out);
  };
  expect_finding(unit("LoadState=loaded\\nActiveState=failed\\nSubState=failed\\n"), "systemd unit paios-test.service",
                 "error", "journalctl --user -u paios-test.service", "daemon.md");
  expect_finding(unit("LoadState=loaded\\nActiveState=inactive\\nSubState=dead\\n"), "systemd unit paios-test.service",
                 "warning", "systemctl --user start paios-test.service");
  expect_finding(unit("LoadState=not-found\\nActiveState=inactive\\nSubState=dead\\n"),
                 "systemd unit paios-test.service", "ok", "skipped: not installed");
  expect_finding(unit("Failed to connect to bus: No medium found\\n", 1), "systemd unit paios-test.service", "ok",
                 "skipped: systemctl --user cannot answer (Failed to connect to bus");
}
