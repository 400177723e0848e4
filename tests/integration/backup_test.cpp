// `ai backup` / `ai restore` and scheduled backups against real daemons and real SQLite files (docs/backup.md): a
// backup taken while tasks are being written restores to a daemon that starts and has them; a damaged file in a
// backup is refused by name and nothing is replaced; a restore is refused while the daemon runs; retention keeps
// backup.keep scheduled backups; `ai` takes the backup itself when the daemon is down.
#include <atomic>
#include <fstream>
#include <set>
#include <thread>

#include <gtest/gtest.h>

#include "core/backup/backup_manifest.hpp"
#include "core/kb/sha256.hpp"
#include "tests/support/test_support.hpp"

using nlohmann::json;
using namespace paios::test;  // the tests' shared support (tests/support)
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

json echo_config() { return {{"tasks", {{"default_brain", "echo"}, {"failover", json::array()}}}}; }

// Submits one task to the echo brain and returns its id once its result is stored ("" if it failed).
std::string submit(wire_peer& peer, const std::string& prompt) {
  auto replies = peer.exchange(bus_request("task.submit", {{"prompt", prompt}, {"brain", "echo"}, {"stream", false}}));
  if (replies.empty() || replies.back().value("type", "") != "result") return {};
  return replies.back().value("task_id", "");
}

bool has_task(const daemon_process& d, const std::string& id) {
  return request(d, {{"op", "task.get"}, {"task_id", id}}).value("type", "") == "task";
}

// Flips one byte in the middle of `file`.
void flip_byte(const fs::path& file) {
  std::fstream f(file, std::ios::in | std::ios::out | std::ios::binary);
  const auto at = static_cast<std::streamoff>(fs::file_size(file) / 2);
  f.seekg(at);
  char c = 0;
  f.read(&c, 1);
  c = static_cast<char>(c ^ 0x5a);
  f.seekp(at);
  f.write(&c, 1);
}

std::string checksum(const fs::path& file) { return paios::sha256_file_hex(file).value(); }

}  // namespace

// The consistency promise: the daemon copies each store while the echo brain's tasks keep being written, and the
// copy, restored into a fresh PAIOS_HOME, starts a daemon that has every task finished before the backup began.
TEST(Backup, TakenWhileTasksAreWrittenRestoresToADaemonWithThoseTasks) {
  daemon_process d{echo_config()};
  d.start();
  std::vector<std::string> before;
  {
    wire_peer peer{d.endpoint()};
    for (int i = 0; i < 20; ++i) before.push_back(submit(peer, "before " + std::to_string(i)));
  }
  for (const auto& id : before) ASSERT_FALSE(id.empty());

  std::atomic<bool> stop{false};
  std::atomic<int> during{0};
  std::thread writer([&] {
    wire_peer peer{d.endpoint()};
    while (!stop) during += !submit(peer, "during " + std::to_string(during.load())).empty();
  });
  // The backup starts once the writer has tasks going, so that it copies under writes.
  ASSERT_TRUE(poll_until([&] { return during.load() >= 3; }, 20s));
  temp_dir backups;
  const auto dir = backups.path() / "snap";
  const int written_before = during.load();
  auto taken = d.ai({"--json", "backup", dir.string()}, {}, 120s);
  const int written_after = during.load();
  stop = true;
  writer.join();
  ASSERT_EQ(taken.exit_code, 0) << taken.err;
  auto reply = json::parse(taken.out);
  EXPECT_EQ(reply.value("dir", ""), dir.string());
  std::set<std::string> names;
  for (const auto& f : reply["manifest"]["files"]) names.insert(f.value("path", ""));
  EXPECT_TRUE(names.count("data/state.sqlite")) << taken.out;
  EXPECT_TRUE(names.count("data/observability.sqlite")) << taken.out;
  EXPECT_TRUE(names.count("config.json")) << taken.out;
  EXPECT_GT(written_after, written_before);  // tasks went on being written while it was taken
  EXPECT_EQ(d.stop(), 0) << d.log();

  daemon_process fresh{echo_config()};
  auto restored = fresh.ai({"restore", dir.string(), "--yes"});
  ASSERT_EQ(restored.exit_code, 0) << restored.err;
  EXPECT_NE(restored.out.find("pre-restore-"), std::string::npos) << restored.out;
  fresh.start();
  for (const auto& id : before) EXPECT_TRUE(has_task(fresh, id)) << id;
  auto listed = request(fresh, {{"op", "task.list"}, {"limit", 1000}});
  EXPECT_GE(listed.value("tasks", json::array()).size(), before.size());
  // The restored daemon takes new work on the restored stores.
  wire_peer peer{fresh.endpoint()};
  EXPECT_FALSE(submit(peer, "after the restore").empty());
}

// A backup with one damaged file is refused before anything is touched, naming the file.
TEST(Backup, ADamagedFileIsRefusedByNameAndNothingIsReplaced) {
  daemon_process d{echo_config()};
  d.start();
  std::string id;
  {
    wire_peer peer{d.endpoint()};
    id = submit(peer, "kept");
  }
  ASSERT_FALSE(id.empty());
  EXPECT_EQ(d.stop(), 0) << d.log();

  // Taken by `ai` itself: the daemon is down.
  temp_dir backups;
  const auto dir = backups.path() / "snap";
  auto taken = d.ai({"backup", dir.string()});
  ASSERT_EQ(taken.exit_code, 0) << taken.err;
  ASSERT_TRUE(fs::exists(dir / "data" / "state.sqlite"));

  const auto state = d.home() / "data" / "state.sqlite";
  const auto state_sum = checksum(state);
  flip_byte(dir / "data" / "state.sqlite");
  auto refused = d.ai({"restore", dir.string(), "--yes"});
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_NE(refused.err.find((dir / "data" / "state.sqlite").string()), std::string::npos) << refused.err;
  EXPECT_NE(refused.err.find("nothing was changed"), std::string::npos) << refused.err;
  EXPECT_EQ(checksum(state), state_sum);
  std::error_code none;  // no backups folder at all is as good: nothing was moved aside
  for (const auto& entry : fs::directory_iterator(d.home() / "backups", none))
    EXPECT_EQ(entry.path().filename().string().rfind("pre-restore-", 0), std::string::npos) << entry.path();
  EXPECT_FALSE(fs::exists(d.home() / "restore.staging"));

  // A file whose checksum is right but which is no sound database is refused by SQLite's check, also by name.
  const auto obs = dir / "data" / "observability.sqlite";
  auto manifest = paios::read_manifest(dir).value();
  std::ofstream(obs, std::ios::trunc) << "not a database";
  for (auto& f : manifest.files)
    if (f.path == "data/observability.sqlite") {
      f.size = fs::file_size(obs);
      f.sha256 = checksum(obs);
    }
  for (auto& f : manifest.files)
    if (f.path == "data/state.sqlite") f.sha256 = checksum(dir / f.path);  // the flipped byte now matches
  ASSERT_TRUE(paios::write_manifest(dir, manifest).ok());
  refused = d.ai({"restore", dir.string(), "--yes"});
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_NE(refused.err.find(obs.string() + ": file is not a database"), std::string::npos) << refused.err;
  EXPECT_EQ(checksum(state), state_sum);

  // The daemon still starts on its own files and has its task.
  d.start();
  EXPECT_TRUE(has_task(d, id));
}

TEST(Backup, RestoreIsRefusedWhileTheDaemonRuns) {
  daemon_process d{echo_config()};
  d.start();
  temp_dir backups;
  const auto dir = backups.path() / "snap";
  ASSERT_EQ(d.ai({"backup", dir.string()}).exit_code, 0);
  auto refused = d.ai({"restore", dir.string(), "--yes"});
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_NE(refused.err.find("pid " + std::to_string(d.pid())), std::string::npos) << refused.err;
  EXPECT_FALSE(fs::exists(d.home() / "restore.staging"));
  EXPECT_TRUE(d.running());
}

TEST(Backup, TheFolderMustBeNewOrEmpty) {
  daemon_process d{echo_config()};
  temp_dir backups;
  std::ofstream(backups.path() / "something") << "x";
  auto down = d.ai({"backup", backups.path().string()});
  EXPECT_EQ(down.exit_code, 1);
  EXPECT_NE(down.err.find(backups.path().string() + " exists and is not empty"), std::string::npos) << down.err;
  d.start();
  auto up = d.ai({"backup", backups.path().string()});
  EXPECT_EQ(up.exit_code, 1);
  EXPECT_NE(up.err.find(backups.path().string() + " exists and is not empty"), std::string::npos) << up.err;
  EXPECT_TRUE(fs::exists(backups.path() / "something"));
}

// backup.schedule makes the daemon take backups; backup.keep of them stay, and a person's own backup is never
// pruned.
TEST(Backup, ScheduledBackupsKeepTheNewestN) {
  json cfg = echo_config();
  cfg["backup"] = {{"schedule", "every 1s"}, {"keep", 2}};
  daemon_process d{cfg};
  d.start();
  ASSERT_EQ(d.ai({"backup"}).exit_code, 0);  // manual, into PAIOS_HOME/backups
  auto ok_runs = [&] {
    int n = 0;
    auto h = request(d, {{"op", "jobs.history"}, {"name", "backup"}, {"limit", 50}});
    for (const auto& r : h.value("runs", json::array())) n += r.value("outcome", "") == "ok";
    return n;
  };
  ASSERT_TRUE(poll_until([&] { return ok_runs() >= 4; }, 60s)) << d.log();
  // Each run's backup leaves its event in the run's trace.
  auto runs = request(d, {{"op", "jobs.history"}, {"name", "backup"}, {"limit", 50}});
  std::string trace;
  for (const auto& r : runs.value("runs", json::array()))
    if (r.value("outcome", "") == "ok") trace = r.value("trace_id", "");
  auto has_backup_span = [](const json& t) {
    for (const auto& s : t.value("spans", json::array()))
      if (s.value("category", "") == "backup" && s.value("action", "") == "taken" && s.value("status", "") == "ok") return true;
    return false;
  };
  EXPECT_TRUE(has_backup_span(poll_until([&] { return request(d, {{"op", "obs.trace"}, {"trace_id", trace}}); },
                                         has_backup_span, 10s)))
      << trace;
  auto listed = d.ai({"--json", "backup", "--list"});
  ASSERT_EQ(listed.exit_code, 0) << listed.err;
  int scheduled = 0, manual = 0;
  const auto backups = json::parse(listed.out);
  for (const auto& b : backups["backups"]) {
    const auto origin = b["manifest"].value("origin", "");
    scheduled += origin == "scheduled";
    manual += origin == "manual";
  }
  // A run may have finished its copy but not its pruning when the list was read: at most one more.
  EXPECT_GE(scheduled, 2);
  EXPECT_LE(scheduled, 3);
  EXPECT_EQ(manual, 1);
  EXPECT_EQ(d.stop(), 0) << d.log();
  listed = d.ai({"--json", "backup", "--list"});
  scheduled = 0;
  const auto after_stop = json::parse(listed.out);
  for (const auto& b : after_stop["backups"]) scheduled += b["manifest"].value("origin", "") == "scheduled";
  EXPECT_EQ(scheduled, 2);
}
