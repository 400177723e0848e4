// core/doctor, `ai doctor`'s checks, on real files: agent CLIs (scripts on PATH printing a version in the lock, one
// outside it, one that fails; a missing one with and without an enabled brain), real SQLite files (a sound one, one
// corrupted on purpose, one that is no database, a WAL over the threshold while its writer holds it), free disk
// against thresholds, the hooks' spool, the findings' JSON and text; and the "doctor" configuration section.
#include <cstdlib>
#include <fstream>
#include <iterator>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "config/config.hpp"
#include "config/doctor_config.hpp"
#include "core/doctor/agent_cli_check.hpp"
#include "core/doctor/credentials_check.hpp"
#include "core/doctor/finding.hpp"
#include "core/doctor/home_check.hpp"
#include "core/sqlite/sqlite_db.hpp"
#include "messages/ids.hpp"
#include "tests/support/test_support.hpp"

using namespace paios;
using namespace paios::doctor;
using paios::test::temp_dir;
using paios::test::write_script;
using nlohmann::json;
namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace {

// PATH with `dir` first for the life of the object.
class path_with {
 public:
  explicit path_with(const fs::path& dir) : old_(std::getenv("PATH") ? std::getenv("PATH") : "") {
    ::setenv("PATH", (dir.string() + ":" + old_).c_str(), 1);
  }
  ~path_with() { ::setenv("PATH", old_.c_str(), 1); }

 private:
  std::string old_;
};

const version_lock kLock = {{"claude", {"2.1.197"}}, {"codex", {"0.171.x"}}};

finding check(const std::string& program, std::vector<std::string> brains = {"b"}) {
  return check_agent_program({program, std::move(brains), {"claude-stream-json"}}, kLock, 5s);
}

// A database of `rows` rows of 200 bytes in WAL mode, closed (its log checkpointed into it and removed).
void make_database(const fs::path& file, int rows) {
  auto db = sqlite_db::open(file, false).value();
  ASSERT_TRUE(db->exec("CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT); CREATE INDEX t_v ON t(v)").ok());
  ASSERT_TRUE(db->exec("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < " +
                       std::to_string(rows) + ") INSERT INTO t(v) SELECT printf('%0200d', i) FROM n")
                  .ok());
}

std::string contents(const fs::path& file) {
  std::ifstream in{file, std::ios::binary};
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// Overwrites `bytes` bytes at `offset` of `file` with 0xff.
void scribble(const fs::path& file, std::streamoff offset, std::size_t bytes) {
  std::fstream f(file, std::ios::in | std::ios::out | std::ios::binary);
  f.seekp(offset);
  const std::string junk(bytes, '\xff');
  f.write(junk.data(), static_cast<std::streamsize>(junk.size()));
}

const finding* named(const std::vector<finding>& fs, const std::string& check) {
  for (const auto& f : fs)
    if (f.check == check) return &f;
  return nullptr;
}

}  // namespace

// ---- versions ------------------------------------------------------------------------------------------------

TEST(DoctorVersions, TheFirstDottedNumberOfTheBannerIsTheVersion) {
  EXPECT_EQ(parse_version("2.1.197 (Claude Code)\n").value_or(""), "2.1.197");
  EXPECT_EQ(parse_version("codex-cli 0.171.0").value_or(""), "0.171.0");
  EXPECT_EQ(parse_version("0.61.0\n").value_or(""), "0.61.0");
  EXPECT_EQ(parse_version("tool v3.2 (build 7)").value_or(""), "3.2");
  EXPECT_FALSE(parse_version("unknown option --version").has_value());
  EXPECT_FALSE(parse_version("build 7.").has_value());
}

TEST(DoctorVersions, AnXComponentMatchesAnyOtherComponentsMustBeEqual) {
  EXPECT_TRUE(version_matches("2.1.197", "2.1.197"));
  EXPECT_TRUE(version_matches("2.1.197", "2.1.x"));
  EXPECT_TRUE(version_matches("2.1.197", "x.x.x"));
  EXPECT_FALSE(version_matches("2.1.198", "2.1.197"));
  EXPECT_FALSE(version_matches("2.2.0", "2.1.x"));
  EXPECT_FALSE(version_matches("2.1", "2.1.x"));
  EXPECT_FALSE(version_matches("2.1.197.1", "2.1.197"));
}

// ---- agent CLIs ----------------------------------------------------------------------------------------------

TEST(DoctorAgentCli, AVersionInTheLockIsOkOneOutsideItIsAWarningNamingWhatToCheck) {
  temp_dir bin;
  write_script(bin.path(), "claude", "echo '2.1.197 (Claude Code)'");
  write_script(bin.path(), "codex", "echo 'codex-cli 0.172.0'");
  path_with path{bin.path()};

  auto ok = check("claude");
  EXPECT_EQ(ok.lvl, level::ok) << ok.found;
  EXPECT_NE(ok.found.find("2.1.197, tested"), std::string::npos) << ok.found;
  EXPECT_NE(ok.found.find((bin.path() / "claude").string()), std::string::npos) << ok.found;
  EXPECT_EQ(ok.check, "agent CLI claude");
  EXPECT_EQ(ok.runbook, "docs/runbooks/brains-and-breakers.md");

  auto untested = check("codex");
  EXPECT_EQ(untested.lvl, level::warning) << untested.found;
  EXPECT_NE(untested.found.find("0.172.0 is not one the adapter is tested with"), std::string::npos) << untested.found;
  EXPECT_NE(untested.found.find("doctor.tested_versions.codex: 0.171.x"), std::string::npos) << untested.found;
  EXPECT_NE(untested.found.find("ai doctor --smoke"), std::string::npos) << untested.found;
}

TEST(DoctorAgentCli, AMissingProgramIsAnErrorOnlyWhenAnEnabledBrainRunsIt) {
  temp_dir bin;
  path_with path{bin.path()};
  auto needed = check("no-such-agent-cli", {"work"});
  EXPECT_EQ(needed.lvl, level::error);
  EXPECT_NE(needed.found.find("'no-such-agent-cli' not found on PATH"), std::string::npos) << needed.found;
  EXPECT_NE(needed.found.find("brains.work.command"), std::string::npos) << needed.found;
  auto unused = check("no-such-agent-cli", {});
  EXPECT_EQ(unused.lvl, level::ok) << unused.found;
  EXPECT_NE(unused.found.find("not installed"), std::string::npos) << unused.found;
}

TEST(DoctorAgentCli, AVersionThatCannotBeReadIsAWarningForALockedProgramAndOkForAnother) {
  temp_dir bin;
  write_script(bin.path(), "claude", "echo 'unknown option' >&2; exit 2");
  write_script(bin.path(), "my-agent", "echo 'usage: my-agent PROMPT'");
  write_script(bin.path(), "slow-agent", "sleep 30");
  path_with path{bin.path()};
  auto locked = check("claude");
  EXPECT_EQ(locked.lvl, level::warning);
  EXPECT_NE(locked.found.find("exited with status 2"), std::string::npos) << locked.found;
  auto own = check("my-agent");
  EXPECT_EQ(own.lvl, level::ok) << own.found;
  EXPECT_NE(own.found.find("printed no version: \"usage: my-agent PROMPT\""), std::string::npos) << own.found;
  const auto start = std::chrono::steady_clock::now();
  auto slow = check_agent_program({"slow-agent", {"b"}, {}}, kLock, 300ms);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 10s);
  EXPECT_NE(slow.found.find("did not answer within 300 ms"), std::string::npos) << slow.found;
}

TEST(DoctorAgentCli, AProgramGivenByPathIsCheckedThereAndLockedByItsFileName) {
  temp_dir bin;
  const auto claude = write_script(bin.path(), "claude", "echo '2.1.197 (Claude Code)'");
  auto f = check(claude.string());
  EXPECT_EQ(f.lvl, level::ok) << f.found;
  EXPECT_NE(f.found.find("tested"), std::string::npos) << f.found;
  auto missing = check((bin.path() / "gone").string());
  EXPECT_EQ(missing.lvl, level::error);
}

// ---- databases and WAL ----------------------------------------------------------------------------------------

TEST(DoctorDatabases, QuickCheckPassesASoundFileAndNamesACorruptOne) {
  temp_dir home;
  const auto data = home.path() / "data";
  fs::create_directories(data);
  make_database(data / "state.sqlite", 200);
  make_database(data / "kb.sqlite", 200);
  // The second page (the table's b-tree root) overwritten: its page header is no longer a b-tree page.
  scribble(data / "kb.sqlite", 4096, 512);
  std::ofstream{data / "approvals.sqlite"} << "this is not a database, just text long enough to have a header....";
  std::ofstream{data / "state.journal"} << "not a database file, and not looked at";

  const auto before = contents(data / "state.sqlite");
  auto found = check_databases(data, home_limits{});
  ASSERT_EQ(found.size(), 3u);
  auto* state = named(found, "database data/state.sqlite");
  ASSERT_NE(state, nullptr);
  EXPECT_EQ(state->lvl, level::ok) << state->found;
  EXPECT_EQ(state->runbook, "docs/runbooks/state-store.md");
  auto* kb = named(found, "database data/kb.sqlite");
  ASSERT_NE(kb, nullptr);
  EXPECT_EQ(kb->lvl, level::error) << kb->found;
  EXPECT_NE(kb->found.find("kb.sqlite"), std::string::npos) << kb->found;
  EXPECT_NE(kb->found.find("ai restore"), std::string::npos) << kb->found;
  EXPECT_EQ(kb->runbook, "docs/runbooks/kb-store.md");
  auto* approvals = named(found, "database data/approvals.sqlite");
  ASSERT_NE(approvals, nullptr);
  EXPECT_EQ(approvals->lvl, level::error);
  EXPECT_NE(approvals->found.find("not a database"), std::string::npos) << approvals->found;
  // Read-only: the database is as it was, and nothing was logged to it (SQLite may leave the shared-memory index
  // of a WAL database, -shm, which holds no data).
  EXPECT_EQ(contents(data / "state.sqlite"), before);
  EXPECT_EQ(fs::exists(data / "state.sqlite-wal") ? fs::file_size(data / "state.sqlite-wal") : 0u, 0u);
}

TEST(DoctorDatabases, AWalOverTheThresholdIsAWarningWhileItsWriterRuns) {
  temp_dir home;
  const auto data = home.path() / "data";
  fs::create_directories(data);
  auto db = sqlite_db::open(data / "observability.sqlite", false).value();
  ASSERT_TRUE(db->exec("PRAGMA wal_autocheckpoint=0; CREATE TABLE t(v BLOB)").ok());
  ASSERT_TRUE(db->exec("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 600) "
                       "INSERT INTO t SELECT randomblob(4000) FROM n")
                  .ok());
  ASSERT_GT(fs::file_size(data / "observability.sqlite-wal"), 2u << 20);

  home_limits limits;
  limits.wal_warning_mb = 1;
  auto found = check_databases(data, limits);
  ASSERT_EQ(found.size(), 2u);
  EXPECT_EQ(found[0].lvl, level::ok) << found[0].found;  // a live WAL database checks out read-only
  EXPECT_EQ(found[1].check, "WAL data/observability.sqlite-wal");
  EXPECT_EQ(found[1].lvl, level::warning);
  EXPECT_NE(found[1].found.find("doctor.wal_warning_mb (1 MiB)"), std::string::npos) << found[1].found;
  EXPECT_EQ(found[1].runbook, "docs/runbooks/obs-store.md");

  limits.wal_warning_mb = 64;  // under the threshold: no WAL finding at all
  EXPECT_EQ(check_databases(data, limits).size(), 1u);
}

TEST(DoctorDatabases, AHomeWithoutDatabasesIsOk) {
  temp_dir home;
  auto found = check_databases(home.path() / "data", home_limits{});
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].lvl, level::ok);
  EXPECT_NE(found[0].found.find("none yet"), std::string::npos);
}

// ---- disk and spool --------------------------------------------------------------------------------------------

TEST(DoctorDisk, FreeSpaceIsComparedWithBothThresholds) {
  temp_dir home;
  home_limits limits;
  limits.disk_warning_mb = 0;
  limits.disk_error_mb = 0;
  EXPECT_EQ(check_disk(home.path(), limits).lvl, level::ok);
  limits.disk_warning_mb = std::int64_t{1} << 30;  // a petabyte: more than any test machine has free
  auto warning = check_disk(home.path(), limits);
  EXPECT_EQ(warning.lvl, level::warning);
  EXPECT_NE(warning.found.find("doctor.disk_warning_mb"), std::string::npos) << warning.found;
  limits.disk_error_mb = std::int64_t{1} << 30;
  EXPECT_EQ(check_disk(home.path(), limits).lvl, level::error);
  // A home not made yet is measured on its nearest existing parent.
  EXPECT_EQ(check_disk(home.path() / "not" / "yet", limits).lvl, level::error);
}

TEST(DoctorSpool, WaitingEventsAreAWarningOnlyWhileTheDaemonIsDownOrOverTheLimit) {
  temp_dir home;
  const auto spool = home.path() / "spool";
  home_limits limits;
  EXPECT_EQ(check_spool(spool, limits, false).found, "empty");
  fs::create_directories(spool);
  std::ofstream{spool / "hooks.jsonl"} << "{\"uid\":\"a\"}\n{\"uid\":\"b\"}\n";
  std::ofstream{spool / "hooks.replay.jsonl"} << "{\"uid\":\"c\"}\n";
  auto up = check_spool(spool, limits, true);
  EXPECT_EQ(up.lvl, level::ok);
  EXPECT_NE(up.found.find("3 events waiting"), std::string::npos) << up.found;
  auto down = check_spool(spool, limits, false);
  EXPECT_EQ(down.lvl, level::warning);
  EXPECT_EQ(down.runbook, "docs/runbooks/hooks-and-spool.md");
  limits.spool_max_bytes = 10;
  auto large = check_spool(spool, limits, true);
  EXPECT_EQ(large.lvl, level::warning);
  EXPECT_NE(large.found.find("alerts.spool_max_bytes"), std::string::npos) << large.found;
}

// ---- the findings ----------------------------------------------------------------------------------------------

TEST(DoctorFindings, JsonAndTextCarryEveryFieldAndErrorsDecideTheExit) {
  std::vector<finding> fs = {{level::ok, "a", "fine", runbook::daemon},
                             {level::warning, "b", "look", runbook::spool}};
  EXPECT_FALSE(any_error(fs));
  fs.push_back({level::error, "c", "broken", runbook::state_store});
  EXPECT_TRUE(any_error(fs));
  auto j = findings_json(fs);
  EXPECT_EQ(j["errors"], 1);
  EXPECT_EQ(j["warnings"], 1);
  ASSERT_EQ(j["findings"].size(), 3u);
  EXPECT_EQ(j["findings"][2], (json{{"level", "error"}, {"check", "c"}, {"found", "broken"},
                                    {"runbook", "docs/runbooks/state-store.md"}}));
  auto text = render_findings(fs);
  EXPECT_NE(text.find("error    c\n         broken\n         runbook: docs/runbooks/state-store.md"), std::string::npos)
      << text;
  EXPECT_EQ(text.find("runbook: docs/runbooks/daemon.md"), std::string::npos) << "an ok finding names no runbook";
  EXPECT_NE(text.find("3 checks: 1 error, 1 warning"), std::string::npos) << text;
}

// ---- the configuration -----------------------------------------------------------------------------------------

TEST(DoctorConfig, TheDefaultsLockTheVersionsTheEndToEndTestsUse) {
  auto r = config_from_json(json::object());
  ASSERT_TRUE(r.config) << r.errors.front();
  const auto& d = r.config->doctor;
  EXPECT_EQ(d.tested_versions.at("claude"), std::vector<std::string>{"2.1.197"});
  EXPECT_EQ(d.tested_versions.at("codex"), std::vector<std::string>{"0.171.0"});
  EXPECT_EQ(d.tested_versions.at("gemini"), std::vector<std::string>{"0.61.0"});
  const doctor_config initial;
  EXPECT_EQ(d.version_timeout_ms, initial.version_timeout_ms);
  EXPECT_EQ(d.limits.disk_warning_mb, initial.limits.disk_warning_mb);
  EXPECT_EQ(d.limits.disk_error_mb, initial.limits.disk_error_mb);
  EXPECT_EQ(d.limits.wal_warning_mb, initial.limits.wal_warning_mb);
  EXPECT_EQ(d.limits.spool_max_bytes, r.config->alerts.spool_max_bytes);
  EXPECT_EQ(d.smoke_timeout_ms, initial.smoke_timeout_ms);
  EXPECT_EQ(d.systemd_unit, initial.systemd_unit);
}

TEST(DoctorConfig, BadPatternsAndInvertedThresholdsAreNamed) {
  auto joined = [](const config_result& r) {
    std::string all;
    for (const auto& e : r.errors) all += e + "\n";
    return all;
  };
  auto pattern = config_from_json({{"doctor", {{"tested_versions", {{"claude", {"2.1.*"}}}}}}});
  ASSERT_FALSE(pattern.config);
  EXPECT_NE(joined(pattern).find("doctor.tested_versions.claude"), std::string::npos) << joined(pattern);
  auto inverted = config_from_json({{"doctor", {{"disk_error_mb", 2000}}}});
  ASSERT_FALSE(inverted.config);
  EXPECT_NE(joined(inverted).find("doctor.disk_error_mb: must be at most doctor.disk_warning_mb (1024; got 2000)"),
            std::string::npos)
      << joined(inverted);
  auto ok = config_from_json({{"doctor", {{"tested_versions", {{"my-agent", {"1.x"}}}}}}});
  ASSERT_TRUE(ok.config) << ok.errors.front();
  EXPECT_EQ(ok.config->doctor.tested_versions.at("my-agent"), std::vector<std::string>{"1.x"});
}

// Key files holding JWTs (core/credentials reads their exp): one expiring in 3 days, one expired, one far off, and
// one missing. Each that needs attention is a finding of its own naming it, with the credentials runbook; the far
// one is not listed; no token reaches a finding.
TEST(DoctorCredentials, EachExpiredExpiringOrMissingOneIsAFindingAndNoValueIsShown) {
  temp_dir dir;
  const auto now = now_ms();
  const std::int64_t day_s = 86400;
  auto key_file = [&](const std::string& name, std::int64_t exp_s) {
    const auto token = test::test_jwt({{"sub", name}, {"exp", now / 1000 + exp_s}});
    std::ofstream(dir.path() / name) << token;
    return token;
  };
  const std::vector<std::string> tokens = {key_file("soon", 3 * day_s), key_file("past", -2 * day_s),
                                           key_file("far", 60 * day_s)};
  credential_sources sources;
  sources.home = dir.path();
  for (const char* name : {"soon", "past", "far", "gone"})
    sources.declared.emplace_back(name, credential_kind::file, (dir.path() / name).string());
  const auto findings = check_credentials(inspect_credentials(sources, process_env, now, 7), 7);

  ASSERT_EQ(findings.size(), 3u) << findings_json(findings).dump(2);
  auto named = [&](const std::string& check) -> const finding* {
    for (const auto& f : findings)
      if (f.check == check) return &f;
    return nullptr;
  };
  ASSERT_TRUE(named("credential soon") && named("credential past") && named("credential gone"))
      << findings_json(findings).dump(2);
  EXPECT_EQ(named("credential soon")->lvl, level::warning);
  EXPECT_NE(named("credential soon")->found.find("expires in"), std::string::npos) << named("credential soon")->found;
  EXPECT_EQ(named("credential past")->lvl, level::error);
  EXPECT_EQ(named("credential gone")->lvl, level::warning);
  for (const auto& f : findings) EXPECT_EQ(f.runbook, "docs/runbooks/credentials.md");
  EXPECT_TRUE(any_error(findings));
  const auto shown = findings_json(findings).dump() + render_findings(findings);
  for (const auto& t : tokens) EXPECT_EQ(shown.find(t), std::string::npos) << "a token was shown";
}

TEST(DoctorCredentials, NothingToDoIsOneOkFinding) {
  temp_dir dir;
  std::ofstream(dir.path() / "key") << "sk-not-a-jwt";
  credential_sources sources;
  sources.home = dir.path();
  sources.declared.emplace_back("key", credential_kind::file, (dir.path() / "key").string());
  const auto findings = check_credentials(inspect_credentials(sources, process_env, now_ms(), 7), 7);
  ASSERT_EQ(findings.size(), 1u);
  EXPECT_EQ(findings[0].lvl, level::ok);
  EXPECT_EQ(findings[0].check, "credentials");
  EXPECT_NE(findings[0].found.find("1 known"), std::string::npos) << findings[0].found;
}
