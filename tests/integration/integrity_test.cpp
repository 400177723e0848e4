// The promises of docs/protocol.md ("What the replies promise") under the faults that break them: another
// process holding state.sqlite's lock, a full disk, a database and journal that both refuse, and a kill -9 at
// each step of the task path. Each test starts a real paiosd; the agent is a shell that appends one line per run
// to a file, so "it ran exactly once" is counted, not assumed.
#include <sys/mount.h>
#include <unistd.h>

#include <cstdio>
#include <functional>
#include <fstream>
#include <future>
#include <sstream>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "tests/support/test_support.hpp"

namespace {

using nlohmann::json;
using namespace paios::test;  // the tests' shared support (tests/support)
using namespace std::chrono_literals;

// A brain whose agent appends "ran <task id>" to `log`, sleeps `seconds`, then answers.
json appender(const std::filesystem::path& log, int seconds) {
  auto script = "echo \"ran $PAIOS_TASK_ID\" >> '" + log.string() + "'; sleep " + std::to_string(seconds) + "; echo done";
  return {{"kind", "process"},   {"command", {"/bin/sh", "-c", script}}, {"format", "text"},
          {"max_concurrent", 1}, {"breaker", {{"enabled", false}}}};
}

json config_with(const std::filesystem::path& log, int seconds) {
  return {{"brains", {{"appender", appender(log, seconds)}}},
          {"tasks", {{"default_brain", "appender"}, {"failover", json::array()}, {"retry", {{"max_retries", 0}}}}}};
}

// How many times the agent ran task `id`.
int runs_of(const std::filesystem::path& log, const std::string& id) {
  std::ifstream in(log);
  std::string line;
  int n = 0;
  while (std::getline(in, line))
    if (line == "ran " + id) ++n;
  return n;
}

std::string sqlite_query(const std::filesystem::path& db, const std::string& sql) {
  auto r = run_program({"/usr/bin/python3", "-c",
                        "import sqlite3,sys\n"
                        "c=sqlite3.connect(sys.argv[1], timeout=30)\n"
                        "print('\\n'.join('|'.join(str(v) for v in row) for row in c.execute(sys.argv[2])))",
                        db.string(), sql});
  auto out = r.out;
  while (!out.empty() && out.back() == '\n') out.pop_back();
  return out;
}

// The state of task `id` as state.sqlite itself has it ("" when it has no such row).
std::string stored_state(const daemon_process& d, const std::string& id) {
  return sqlite_query(d.home() / "data" / "state.sqlite", "SELECT state FROM tasks WHERE id = '" + id + "'");
}

// The state of task `id` as the daemon answers task.get ("" when it has none).
std::string daemon_state(const daemon_process& d, const std::string& id) {
  auto r = request(d, bus_request("task.get", {{"task_id", id}}));
  return r.contains("task") ? r["task"].value("state", "") : std::string{};
}

// Another process's write transaction on a SQLite file, held until release() (or the end of the object).
class sqlite_lock {
 public:
  explicit sqlite_lock(const std::filesystem::path& db) {
    const auto marker = marker_dir_.path() / "locked";
    const auto cmd = "/usr/bin/python3 -c \"import sqlite3,sys\n"
                     "c=sqlite3.connect(sys.argv[1], isolation_level=None, timeout=30)\n"
                     "c.execute('BEGIN EXCLUSIVE')\n"
                     "open(sys.argv[2],'w').close()\n"
                     "sys.stdin.read()\n"
                     "c.execute('COMMIT')\" '" +
                     db.string() + "' '" + marker.string() + "'";
    pipe_ = ::popen(cmd.c_str(), "w");
    const bool locked = poll_until([&] { return std::filesystem::exists(marker); }, [](bool b) { return b; }, 30s, 20ms);
    if (!locked) throw std::runtime_error("the test could not lock " + db.string());
  }
  ~sqlite_lock() { release(); }
  void release() {
    if (pipe_) ::pclose(pipe_);
    pipe_ = nullptr;
  }

 private:
  temp_dir marker_dir_;
  FILE* pipe_ = nullptr;
};

// Submits a task and returns every reply up to its terminal one.
std::vector<json> submit(const daemon_process& d, const std::string& prompt, std::chrono::milliseconds within = 60s) {
  wire_peer peer{d.endpoint()};
  return peer.exchange(bus_request("task.submit", {{"prompt", prompt}}), within);
}

const json* reply_of(const std::vector<json>& replies, const std::string& type) {
  for (const auto& r : replies)
    if (r.value("type", "") == type) return &r;
  return nullptr;
}

// Defect A of the issue, as reproduced there: a process brain that appends and sleeps, two tasks, state.sqlite
// locked by another process for longer than any busy timeout. The clients are told `succeeded` only because the
// outcomes are durable (in the task journal); a kill -9 while the lock is still held, then a restart, finds both
// tasks succeeded and runs neither again.
TEST(Integrity, OutcomesTheDatabaseCannotTakeAreJournaledAndNoTaskRunsTwice) {
  temp_dir work;
  const auto log = work.path() / "agent.log";
  daemon_process d{config_with(log, 2)};
  d.start();
  std::vector<json> first, second;
  {
    sqlite_lock lock{d.home() / "data" / "state.sqlite"};
    auto a = std::async(std::launch::async, [&] { return submit(d, "first"); });
    auto b = std::async(std::launch::async, [&] { return submit(d, "second"); });
    first = a.get();
    second = b.get();
    for (const auto* replies : {&first, &second}) {
      const auto* accepted = reply_of(*replies, "accepted");
      const auto* result = reply_of(*replies, "result");
      ASSERT_TRUE(accepted && result) << json(*replies).dump();
      const auto id = accepted->value("task_id", "");
      EXPECT_EQ(result->value("state", ""), "succeeded");
      // What the client was told is what the daemon answers, while the database still cannot take it.
      EXPECT_EQ(daemon_state(d, id), "succeeded");
    }
    EXPECT_NE(d.log().find("kept in the task journal"), std::string::npos) << d.log();
    d.kill9();
  }
  const auto id1 = reply_of(first, "accepted")->value("task_id", "");
  const auto id2 = reply_of(second, "accepted")->value("task_id", "");
  d.start();
  // A third task queues behind anything the restart would run again: once it has run, nothing else will.
  auto third = submit(d, "third");
  ASSERT_TRUE(reply_of(third, "result")) << json(third).dump();
  for (const auto& id : {id1, id2}) {
    EXPECT_EQ(stored_state(d, id), "succeeded") << id;
    EXPECT_EQ(runs_of(log, id), 1) << id;
  }
}

// The first write that finds the lock waits only kBusyWait, then the journal takes it: a submission does not
// hang for the length of another process's transaction, and the database catches up once the lock is gone.
TEST(Integrity, ALockedDatabaseNeitherHangsNorLosesSubmissions) {
  temp_dir work;
  daemon_process d{config_with(work.path() / "agent.log", 0)};
  d.start();
  std::string id;
  {
    sqlite_lock lock{d.home() / "data" / "state.sqlite"};
    auto replies = submit(d, "during the lock", 20s);
    ASSERT_TRUE(reply_of(replies, "result")) << json(replies).dump();
    id = reply_of(replies, "accepted")->value("task_id", "");
    EXPECT_EQ(stored_state(d, id), "");  // not in the database yet: the lock is held
  }
  auto in_db = poll_until([&] { return stored_state(d, id); }, [](const std::string& s) { return s == "succeeded"; }, 30s);
  EXPECT_EQ(in_db, "succeeded");
  EXPECT_NE(d.log().find("held in the task journal are in state.sqlite"), std::string::npos) << d.log();
}

// When neither the database nor the journal can take an outcome, the client is not told a result: it gets
// store_failed with the task's id once the daemon has held the outcome for 5 s, the outcome is kept and written
// once the database can take it; a submission meanwhile is refused at once with store_failed.
TEST(Integrity, AnOutcomeNothingCanTakeIsHeldAndTheClientIsToldStoreFailed) {
  auto cfg = json{{"brains", {{"echo", {{"kind", "echo"}}}}},
                  {"tasks", {{"default_brain", "echo"}, {"failover", json::array()}}},
                  {"state", {{"journal_mb", 1}}}};
  daemon_process d{cfg};
  d.start();
  // A prompt of 400 KB: its submission fits in the 1 MiB journal, its outcome (prompt and answer) does not.
  const std::string prompt(400 * 1024, 'p');
  std::string id;
  {
    sqlite_lock lock{d.home() / "data" / "state.sqlite"};
    auto replies = submit(d, prompt, 60s);
    const auto* accepted = reply_of(replies, "accepted");
    ASSERT_TRUE(accepted) << json(replies).dump().substr(0, 2000);
    id = accepted->value("task_id", "");
    ASSERT_EQ(reply_of(replies, "result"), nullptr);
    const auto* error = reply_of(replies, "error");
    ASSERT_TRUE(error);
    EXPECT_EQ(error->value("code", ""), "store_failed");
    EXPECT_EQ(error->value("task_id", ""), id);
    EXPECT_NE(error->value("message", "").find("paiosd holds it"), std::string::npos) << error->dump();
    // A new submission the journal has no room for cannot be made durable: refused at once, without a task id.
    auto refused = submit(d, std::string(700 * 1024, 'q'), 20s);
    ASSERT_FALSE(refused.empty());
    EXPECT_EQ(refused.back().value("code", ""), "store_failed") << refused.back().dump().substr(0, 500);
    EXPECT_FALSE(refused.back().contains("task_id"));
  }
  auto in_db = poll_until([&] { return stored_state(d, id); }, [](const std::string& s) { return s == "succeeded"; }, 30s);
  EXPECT_EQ(in_db, "succeeded");
  EXPECT_EQ(daemon_state(d, id), "succeeded");
}

// A full disk: state.sqlite cannot grow, the preallocated journal can still be written; tasks are accepted and
// their outcomes kept, and once there is room again the database takes them.
TEST(Integrity, OnAFullDiskTasksAreKeptInTheJournalUntilThereIsRoom) {
  if (::geteuid() != 0) GTEST_SKIP() << "mounting a small filesystem for the full disk needs root";
  temp_dir work;
  daemon_process d{config_with(work.path() / "agent.log", 0)};
  const auto data = d.home() / "data";
  std::filesystem::create_directories(data);
  if (::mount("paios-full-disk-test", data.c_str(), "tmpfs", 0, "size=48m") != 0)
    GTEST_SKIP() << "cannot mount a tmpfs: " << std::strerror(errno);
  struct unmount {
    std::filesystem::path p;
    ~unmount() { ::umount2(p.c_str(), MNT_DETACH); }
  } unmount_at_end{data};
  d.start();
  ASSERT_TRUE(reply_of(submit(d, "before"), "result"));
  // Fill what is left of the disk.
  const auto filler = data / "filler";
  {
    std::ofstream out(filler, std::ios::binary);
    const std::string block(1 << 20, 'x');
    while (out.write(block.data(), block.size())) {
    }
  }
  std::vector<std::string> ids;
  for (int i = 0; i < 3; ++i) {
    auto replies = submit(d, "on a full disk " + std::to_string(i));
    const auto* result = reply_of(replies, "result");
    ASSERT_TRUE(result) << json(replies).dump();
    ids.push_back(reply_of(replies, "accepted")->value("task_id", ""));
    EXPECT_EQ(daemon_state(d, ids.back()), "succeeded");
  }
  EXPECT_NE(d.log().find("kept in the task journal"), std::string::npos) << d.log();
  std::filesystem::remove(filler);
  for (const auto& id : ids) {
    auto in_db = poll_until([&] { return stored_state(d, id); }, [](const std::string& s) { return s == "succeeded"; }, 30s);
    EXPECT_EQ(in_db, "succeeded") << id;
  }
  d.stop();
}

// state.sqlite and its WAL made unwritable while the daemon runs (chattr +i: even root's writes through the
// open files fail, as on a file turned read-only underneath): tasks are accepted and answered through the
// journal, and once the files can be written again the database takes them.
TEST(Integrity, AnUnwritableDatabaseFileKeepsItsTasksInTheJournalUntilItCanBeWritten) {
  if (::geteuid() != 0) GTEST_SKIP() << "chattr +i needs root";
  temp_dir work;
  daemon_process d{config_with(work.path() / "agent.log", 0)};
  d.start();
  ASSERT_TRUE(reply_of(submit(d, "before"), "result"));
  const auto db = d.home() / "data" / "state.sqlite";
  const std::vector<std::string> files{db.string(), db.string() + "-wal"};
  auto chattr = [&](const char* flag) {
    for (const auto& f : files) {
      auto r = run_program({"/usr/bin/chattr", flag, f});
      if (r.exit_code != 0) return "chattr " + std::string{flag} + " " + f + " exited " + std::to_string(r.exit_code) + ": " + r.err;
    }
    return std::string{};
  };
  if (auto err = chattr("+i"); !err.empty()) {
    chattr("-i");
    GTEST_SKIP() << "this filesystem cannot make files immutable: " << err;
  }
  struct writable_again {
    std::function<std::string(const char*)> chattr;
    ~writable_again() { chattr("-i"); }
  } at_end{chattr};
  std::vector<std::string> ids;
  for (int i = 0; i < 2; ++i) {
    auto replies = submit(d, "unwritable " + std::to_string(i));
    ASSERT_TRUE(reply_of(replies, "result")) << json(replies).dump();
    ids.push_back(reply_of(replies, "accepted")->value("task_id", ""));
    EXPECT_EQ(daemon_state(d, ids.back()), "succeeded");
  }
  EXPECT_NE(d.log().find("kept in the task journal"), std::string::npos) << d.log();
  ASSERT_EQ(chattr("-i"), "");
  for (const auto& id : ids) {
    auto in_db = poll_until([&] { return stored_state(d, id); }, [](const std::string& s) { return s == "succeeded"; }, 30s);
    EXPECT_EQ(in_db, "succeeded") << id;
  }
}

// A user who may not use the daemon's socket is told so, not that paiosd is not running (it is).
TEST(Integrity, APermissionErrorOnTheSocketIsNotReportedAsNotRunning) {
  if (::geteuid() != 0) GTEST_SKIP() << "running ai as another user needs root";
  temp_dir work;
  daemon_process d{config_with(work.path() / "agent.log", 0)};
  d.start();
  // PAIOS_HOME is a private temporary folder: user nobody may not reach the socket in it.
  auto r = run_program({"/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                        ai_path().string(), "--home", d.home().string(), "status"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("cannot be reached by this user"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("not running"), std::string::npos) << r.err;
}

// A kill -9 at each step of the task path (core/fault/crash_point.hpp), then a restart: what each step made
// durable decides the task's end, and its agent runs at most once.
struct crash_case {
  const char* point;
  const char* final_state;  // after the restart
  int runs;                 // of the agent, in all
};

class KillNineAt : public ::testing::TestWithParam<crash_case> {};

TEST_P(KillNineAt, EachStepOfTheTaskPathKeepsItsPromise) {
  const auto c = GetParam();
  temp_dir work;
  const auto log = work.path() / "agent.log";
  daemon_process d{config_with(log, 0)};
  d.set_env("PAIOS_FAULT_INJECTION", "1");
  d.set_env("PAIOS_CRASH_AT", c.point);
  d.start();
  {
    wire_peer peer{d.endpoint()};
    peer.send(bus_request("task.submit", {{"prompt", std::string{"crash at "} + c.point}}));
    const int code = d.stop(0, 30s);  // signal 0: only wait for the daemon to die at its crash point
    ASSERT_EQ(code, 128 + 9) << d.log();
  }
  const auto id = sqlite_query(d.home() / "data" / "state.sqlite", "SELECT id FROM tasks");
  ASSERT_FALSE(id.empty()) << "the task was accepted, so it is stored";
  d.set_env("PAIOS_CRASH_AT", "");
  d.start();
  auto state = poll_until([&] { return daemon_state(d, id); },
                          [](const std::string& s) { return s != "queued" && s != "running" && !s.empty(); }, 30s);
  EXPECT_EQ(state, c.final_state) << d.log();
  // Anything the restart would run again is queued before this marker task: once it has run, nothing else will.
  ASSERT_TRUE(reply_of(submit(d, "marker"), "result"));
  EXPECT_EQ(runs_of(log, id), c.runs);
}

INSTANTIATE_TEST_SUITE_P(Integrity, KillNineAt,
                         ::testing::Values(crash_case{"accepted", "succeeded", 1},     // queued: run after the restart
                                           crash_case{"running", "interrupted", 0},    // stored running, agent not started
                                           crash_case{"ended", "interrupted", 1},      // ran; its outcome was not stored
                                           crash_case{"stored", "succeeded", 1}),      // stored; the client not told
                         [](const auto& info) { return std::string{info.param.point}; });

}  // namespace
