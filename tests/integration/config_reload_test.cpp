// Configuration change management against a real paiosd on a temporary PAIOS_HOME (docs/config.md, "Changing the
// configuration"): `ai config apply` of a live key takes effect at once (an autonomy pin decides `ai autonomy
// check` through the daemon), a key that needs a restart is listed as such, `ai config rollback` puts the previous
// file back byte for byte, SIGHUP reloads the file, an invalid file is refused with the running configuration kept,
// the history ring keeps config.history_keep files, a daemon that is down reads the file at its next start, the
// actors a reload restarts (and restart after a crash) run with the new configuration, and log.level is live.
#include <signal.h>

#include <fstream>

#include <gtest/gtest.h>

#include "tests/support/autonomy_gate_support.hpp"
#include "tests/support/test_support.hpp"

using nlohmann::json;
using namespace paios::test;
using paios::test::gate::gate_config;
using paios::test::gate::project;

namespace {

namespace fs = std::filesystem;

std::string read(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void write(const fs::path& file, const std::string& text) { std::ofstream{file, std::ios::binary} << text; }

// The gate's configuration with `npm install` pinned safe in `p`'s folder.
json pinned(const project& p) {
  auto cfg = gate_config();
  cfg["autonomy"]["pins"] = json::array({{{"id", "npm-ok"}, {"level", "safe"}, {"reason", "installs are fine here"},
                                          {"commands", {"npm"}}, {"words", {"install"}}, {"project", p.cwd()}}});
  return cfg;
}

std::string level_of(const daemon_process& d, const project& p, const std::string& command) {
  auto r = d.ai({"--json", "autonomy", "check", "--cwd", p.cwd(), "--", command});
  auto lines = json_lines(r.out);
  return lines.empty() ? "(no answer: " + r.err + ")" : lines.back().value("level", "");
}

// `ai --json config ARGS...`: its JSON answer; the exit code is checked.
json config_json(const daemon_process& d, std::vector<std::string> args, int expected_exit = 0) {
  args.insert(args.begin(), {"--json", "config"});
  auto r = d.ai(args);
  EXPECT_EQ(r.exit_code, expected_exit) << r.out << r.err;
  auto lines = json_lines(r.out);
  return lines.empty() ? json{} : lines.back();
}

bool has(const json& list, const std::string& key) {
  for (const auto& k : list)
    if (k == key) return true;
  return false;
}

std::vector<fs::path> history_of(const daemon_process& d) {
  std::vector<fs::path> out;
  std::error_code ec;
  for (fs::directory_iterator it{d.home() / "config.history", ec}, end; !ec && it != end; it.increment(ec))
    out.push_back(it->path());
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

TEST(ConfigReload, ApplyingALiveKeyTakesEffectAtOnce) {
  project p;
  daemon_process d{gate_config()};
  d.start();
  EXPECT_EQ(level_of(d, p, "npm install left-pad"), "ask");
  const auto proposed = p.dir.path() / "proposed.json";
  // The file the harness wrote (its router settings included), with the pin added.
  auto next = json::parse(read(d.home() / "config.json"));
  next["autonomy"]["pins"] = pinned(p)["autonomy"]["pins"];
  write(proposed, next.dump(2) + "\n");
  const auto before = read(d.home() / "config.json");

  // diff: the pin, live.
  auto diff = d.ai({"config", "diff", proposed.string()});
  EXPECT_EQ(diff.exit_code, 0) << diff.err;
  EXPECT_NE(diff.out.find("+ autonomy.pins:"), std::string::npos) << diff.out;
  EXPECT_NE(diff.out.find("[live]"), std::string::npos) << diff.out;
  // A dry run says the same and changes nothing.
  auto dry = config_json(d, {"apply", proposed.string(), "--dry-run"});
  EXPECT_TRUE(dry.value("dry_run", false)) << dry;
  EXPECT_FALSE(dry.value("written", true));
  ASSERT_EQ(dry["effective"].size(), 1u) << dry;
  EXPECT_EQ(dry["effective"][0].value("key", ""), "autonomy.pins");
  EXPECT_TRUE(dry["effective"][0].value("live", false));
  EXPECT_EQ(read(d.home() / "config.json"), before);
  EXPECT_EQ(level_of(d, p, "npm install left-pad"), "ask");

  // apply: written byte for byte, the old file kept, the daemon reloaded, the pin decides at once.
  auto applied = config_json(d, {"apply", proposed.string()});
  EXPECT_EQ(applied.value("daemon", ""), "reloaded") << applied;
  EXPECT_TRUE(has(applied["applied"], "autonomy.pins")) << applied;
  EXPECT_TRUE(applied["restart"].empty()) << applied;
  EXPECT_EQ(read(d.home() / "config.json"), read(proposed));
  ASSERT_TRUE(applied.contains("backup")) << applied;
  EXPECT_EQ(read(applied["backup"].get<std::string>()), before);
  EXPECT_EQ(level_of(d, p, "npm install left-pad"), "safe");
  project elsewhere;
  EXPECT_EQ(level_of(d, elsewhere, "npm install left-pad"), "ask");
  // Applying the same file again writes nothing.
  auto again = d.ai({"config", "apply", proposed.string()});
  EXPECT_EQ(again.exit_code, 0) << again.err;
  EXPECT_NE(again.out.find("nothing written"), std::string::npos) << again.out;
  EXPECT_EQ(history_of(d).size(), 1u);
}

TEST(ConfigReload, RestartKeysAreListedAndRollbackRestoresTheFileByteForByte) {
  auto cfg = gate_config();
  cfg["alerts"]["check_ms"] = 30000;
  daemon_process d{cfg};
  d.start();
  const auto original = read(d.home() / "config.json");
  auto next = cfg;
  next["alerts"]["check_ms"] = 1000;
  next["bridge"]["client_hwm"] = 500;
  next["log"]["level"] = "debug";
  const auto proposed = d.home() / "next.json";
  write(proposed, next.dump() + "\n");
  auto applied = config_json(d, {"apply", proposed.string()});
  EXPECT_EQ(applied.value("daemon", ""), "reloaded") << applied;
  EXPECT_TRUE(has(applied["applied"], "alerts.check_ms")) << applied;
  EXPECT_TRUE(has(applied["applied"], "log.level")) << applied;
  EXPECT_TRUE(has(applied["restart"], "bridge.client_hwm")) << applied;
  EXPECT_TRUE(has(applied["restarted"], "alerts")) << applied;
  EXPECT_TRUE(applied["errors"].empty()) << applied;
  // The person's form lists both.
  auto shown = d.ai({"config", "diff", proposed.string()});
  EXPECT_NE(shown.out.find("changes nothing"), std::string::npos) << shown.out;
  // The restarted alerts actor runs, and the daemon answers as before.
  auto status = request(d, bus_request("status"));
  EXPECT_EQ(status.value("type", ""), "status") << status;
  EXPECT_EQ(status["alerts"].value("error", ""), "") << status["alerts"];

  auto rolled = config_json(d, {"rollback"});
  EXPECT_EQ(rolled.value("daemon", ""), "reloaded") << rolled;
  EXPECT_EQ(read(d.home() / "config.json"), original);
  EXPECT_TRUE(has(rolled["restart"], "bridge.client_hwm")) << rolled;
  EXPECT_TRUE(has(rolled["applied"], "alerts.check_ms")) << rolled;
  // The file rolled back from is in the ring too: rolling back again puts it back.
  config_json(d, {"rollback"});
  EXPECT_EQ(read(d.home() / "config.json"), read(proposed));
  // There is no tenth previous file.
  auto none = d.ai({"config", "rollback", "10"});
  EXPECT_EQ(none.exit_code, 2);
  EXPECT_NE(none.err.find("there is no number 10"), std::string::npos) << none.err;
}

TEST(ConfigReload, AnInvalidFileIsRefusedAndTheRunningConfigurationStays) {
  project p;
  daemon_process d{pinned(p)};
  d.start();
  const auto before = read(d.home() / "config.json");
  const auto bad = p.dir.path() / "bad.json";
  write(bad, R"({"brains": {"claude": {"timeout_ms": 0}}, "autonomy": {"pins": []}})");
  for (const char* verb : {"diff", "apply"}) {
    auto r = d.ai({"config", verb, bad.string()});
    EXPECT_EQ(r.exit_code, 2) << verb;
    EXPECT_NE(r.err.find("brains.claude.timeout_ms: must be an integer"), std::string::npos) << r.err;
  }
  EXPECT_EQ(read(d.home() / "config.json"), before);
  EXPECT_TRUE(history_of(d).empty());

  // Written behind ai's back, then SIGHUP and config.reload: refused, the pin still decides.
  write(d.home() / "config.json", read(bad));
  ASSERT_EQ(::kill(d.pid(), SIGHUP), 0);
  EXPECT_TRUE(poll_until([&] { return d.log().find("is not a valid configuration") != std::string::npos; },
                         std::chrono::seconds(20)))
      << d.log();
  auto reply = request(d, bus_request("config.reload"));
  EXPECT_EQ(reply.value("type", ""), "error") << reply;
  EXPECT_EQ(reply.value("code", ""), "bad_request");
  EXPECT_NE(reply.value("message", "").find("brains.claude.timeout_ms"), std::string::npos) << reply;
  EXPECT_EQ(level_of(d, p, "npm install left-pad"), "safe");
  // `status` counts the refusals (the SIGHUP's and config.reload's) and says why.
  auto status = request(d, bus_request("status"));
  EXPECT_EQ(status["config"].value("failed", 0), 2) << status["config"];
  EXPECT_EQ(status["config"].value("reloads", -1), 0);
  EXPECT_NE(status["config"].value("last_error", "").find("brains.claude.timeout_ms"), std::string::npos);
  // The refusal is an event (category config, action reload, failed).
  auto events = request(d, bus_request("obs.query", {{"category", "config"}, {"limit", 20}}));
  bool refused = false;
  for (const auto& e : events.value("events", json::array()))
    refused = refused || (e.value("action", "") == "reload" && e.value("status", "") == "failed");
  EXPECT_TRUE(refused) << events;
}

TEST(ConfigReload, SighupAppliesTheFile) {
  project p;
  daemon_process d{gate_config()};
  d.start();
  EXPECT_EQ(level_of(d, p, "npm install left-pad"), "ask");
  write(d.home() / "config.json", pinned(p).dump());
  ASSERT_EQ(::kill(d.pid(), SIGHUP), 0);
  EXPECT_TRUE(poll_until([&] { return level_of(d, p, "npm install left-pad") == "safe"; }, std::chrono::seconds(20)));
  EXPECT_TRUE(d.running());
  EXPECT_EQ(d.stop(), 0);
}

TEST(ConfigReload, TheRingKeepsNAndADaemonDownReadsTheFileAtItsNextStart) {
  project p;
  auto cfg = gate_config();
  cfg["config"]["history_keep"] = 2;
  daemon_process d{cfg};  // not started
  std::vector<std::string> texts{read(d.home() / "config.json")};
  for (int i = 1; i <= 4; ++i) {
    auto next = cfg;
    next["alerts"]["check_ms"] = 1000 * i;
    if (i == 4) next = pinned(p), next["config"]["history_keep"] = 2;
    const auto file = p.dir.path() / ("c" + std::to_string(i) + ".json");
    write(file, next.dump(1) + "\n");
    auto r = d.ai({"config", "apply", file.string()});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.out.find("paiosd is not running: the new configuration takes effect at its next start"),
              std::string::npos) << r.out;
    texts.push_back(read(file));
  }
  auto ring = history_of(d);
  ASSERT_EQ(ring.size(), 2u);
  EXPECT_EQ(read(ring[0]), texts[2]);
  EXPECT_EQ(read(ring[1]), texts[3]);
  EXPECT_EQ(read(d.home() / "config.json"), texts[4]);
  d.start();
  EXPECT_EQ(level_of(d, p, "npm install left-pad"), "safe");
}

TEST(ConfigReload, ShowTellsEachValueAndItsOrigin) {
  auto cfg = gate_config();
  daemon_process d{cfg};
  auto one = config_json(d, {"show", "autonomy.approval_timeout_ms"});
  EXPECT_EQ(one.value("value", 0), 120000) << one;
  EXPECT_EQ(one.value("origin", ""), "config.json");
  EXPECT_FALSE(one.value("live", true));
  auto dflt = config_json(d, {"show", "alerts.check_ms"});
  EXPECT_EQ(dflt.value("origin", ""), "default");
  EXPECT_TRUE(dflt.value("live", false));
  // A section named as an `ai` command is given after -- (the command line's rule for words that look like one).
  auto section = d.ai({"config", "show", "--", "autonomy"});
  EXPECT_NE(section.out.find("autonomy.approval_timeout_ms = 120000  (config.json)"), std::string::npos) << section.out;
  EXPECT_NE(section.out.find("autonomy.promote_after = 5  (default)"), std::string::npos) << section.out;
  auto unknown = d.ai({"config", "show", "autonomy.nope"});
  EXPECT_EQ(unknown.exit_code, 2);
  EXPECT_NE(unknown.err.find("no key 'autonomy.nope'"), std::string::npos) << unknown.err;
}

// The actors restarted by a reload come back with the new configuration: a job added to the scheduler is listed and
// due, a folder added to the watchers is watched; and a crash of one of them afterwards keeps the new configuration.
TEST(ConfigReload, RestartedActorsStartFromTheNewConfiguration) {
  temp_dir folder;
  auto cfg = gate_config();
  daemon_process d{cfg};
  d.set_env("PAIOS_FAULT_INJECTION", "1");
  d.start();
  auto next = json::parse(read(d.home() / "config.json"));
  next["scheduler"]["jobs"]["nightly"] = {{"schedule", "every 6h"}, {"action", {{"builtin", "heartbeat"}}}};
  next["watchers"]["folders"] = json::array({{{"path", folder.path().string()}}});
  const auto proposed = d.home() / "next.json";
  write(proposed, next.dump());
  auto applied = config_json(d, {"apply", proposed.string()});
  EXPECT_TRUE(has(applied["restarted"], "scheduler")) << applied;
  EXPECT_TRUE(has(applied["restarted"], "watchers")) << applied;
  auto job_names = [&] {
    std::vector<std::string> names;
    for (const auto& j : request(d, bus_request("jobs.list")).value("jobs", json::array())) names.push_back(j.value("name", ""));
    return names;
  };
  auto watched = [&] {
    for (const auto& f : request(d, bus_request("watch.list")).value("folders", json::array()))
      if (f.value("path", "") == folder.path().string()) return f.value("source", "") == "config";
    return false;
  };
  EXPECT_EQ(job_names(), (std::vector<std::string>{"daily-report", "heartbeat", "nightly"}));  // daily-report: the report section's own
  EXPECT_TRUE(poll_until(watched, std::chrono::seconds(10)));
  // A crash now: the scheduler's supervisor starts it from the configuration last accepted, not the start's.
  auto fault = request(d, bus_request("debug.fault", {{"actor", "scheduler"}}));
  ASSERT_EQ(fault.value("type", ""), "fault") << fault;
  auto scheduler_restarted = [&] {
    for (const auto& c : request(d, bus_request("status"))["tree"].value("children", json::array()))
      if (c.value("name", "") == "scheduler") return c.value("restarts", 0) == 1 && c.value("state", "") == "running";
    return false;
  };
  ASSERT_TRUE(poll_until(scheduler_restarted, std::chrono::seconds(10)));
  EXPECT_EQ(job_names(), (std::vector<std::string>{"daily-report", "heartbeat", "nightly"}));  // daily-report: the report section's own
}

// log.level is live: at warn, a reload's own info line is no longer logged; back at info, it is again.
TEST(ConfigReload, TheLogLevelChangesAtOnce) {
  daemon_process d{gate_config()};
  d.start();
  auto reload_lines = [&] {
    const auto log = d.log();
    std::size_t n = 0;
    for (auto at = log.find("config reload (wire)"); at != std::string::npos; at = log.find("config reload (wire)", at + 1)) ++n;
    return n;
  };
  auto reload_with_level = [&](const std::string& level) {
    auto cfg = json::parse(read(d.home() / "config.json"));
    cfg["log"]["level"] = level;
    write(d.home() / "config.json", cfg.dump());
    auto reply = request(d, bus_request("config.reload"));
    EXPECT_EQ(reply.value("type", ""), "config.reloaded") << reply;
    return reply;
  };
  EXPECT_EQ(request(d, bus_request("config.reload")).value("type", ""), "config.reloaded");
  ASSERT_TRUE(poll_until([&] { return reload_lines() == 1; }, std::chrono::seconds(10))) << d.log();
  auto warn = reload_with_level("warn");
  EXPECT_TRUE(has(warn["applied"], "log.level")) << warn;
  reload_with_level("warn");  // no change: its line would be info
  reload_with_level("info");  // logged again: the positive condition that the two before were not
  ASSERT_TRUE(poll_until([&] { return reload_lines() >= 2; }, std::chrono::seconds(10))) << d.log();
  EXPECT_EQ(reload_lines(), 2u) << d.log();
}
