// process_runner with real child processes (the fake agent CLIs of tests/fake_agents and plain programs):
// streaming, prompts on stdin of any size, timeouts, cancellation, failures, and nothing left behind.
#include <signal.h>
#include <unistd.h>

#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <future>
#include <mutex>

#include <gtest/gtest.h>

#include "core/process/process_runner.hpp"
#include "tests/support/test_support.hpp"

using namespace paios;
using namespace std::chrono_literals;

namespace {

struct outcome {
  std::string out;
  process_exit exit;
  std::chrono::milliseconds took{0};
};

// Runs to completion; `on_start` may act on the runner (cancel it) while it runs.
outcome run(process_spec spec, std::function<void(process_runner&)> on_start = {}) {
  auto result = std::make_shared<outcome>();
  std::promise<void> done;
  auto t0 = std::chrono::steady_clock::now();
  auto r = process_runner::start(
      std::move(spec), [result](std::string_view s) { result->out.append(s); },
      [result, &done](process_exit x) {
        result->exit = std::move(x);
        done.set_value();
      });
  if (on_start) on_start(*r);
  done.get_future().wait();
  result->took = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0);
  r.reset();
  return *result;
}

// Children of this test process carry this tag, which tests running at the same time do not share.
const std::string& tag() {
  static const std::string t = "process_runner_test-" + std::to_string(getpid());
  return t;
}

process_spec fake(const std::string& agent, const std::string& mode, std::string prompt = "hello") {
  process_spec s;
  s.argv = {test::fake_agent("fake-" + agent).string()};
  s.stdin_data = std::move(prompt);
  s.env = {{"FAKE_MODE", mode}, {"PAIOS_TEST_TAG", tag()}};
  s.kill_grace = 300ms;
  return s;
}

std::size_t open_fds() {
  std::size_t n = 0;
  for ([[maybe_unused]] auto& e : std::filesystem::directory_iterator("/proc/self/fd")) ++n;
  return n;
}

std::vector<pid_t> leftovers() { return test::processes_with_env("PAIOS_TEST_TAG=" + tag()); }

// Whether every tagged process has ended, waiting up to `within`: a process killed with its group leaves /proc
// only once it is reaped, by the runner or, for one that left the group, by init. The deadline stays below the
// 10 s the longest-lived children here would take to end on their own, so a child left running is still seen.
bool no_leftovers(std::chrono::milliseconds within = 5s) {
  return test::poll_until([] { return leftovers().empty(); }, within, 20ms);
}

// Whether a tagged process ignores SIGTERM (SigIgn of /proc/<pid>/status): the fake agent in hang-ignore-term mode
// has started and set up what the test is about.
bool one_ignores_sigterm() {
  for (auto pid : leftovers()) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/status");
    for (std::string line; std::getline(in, line);)
      if (line.rfind("SigIgn:", 0) == 0 && (std::stoull(line.substr(7), nullptr, 16) >> (SIGTERM - 1)) & 1) return true;
  }
  return false;
}

}  // namespace

TEST(ProcessRunner, StreamsStdoutAndReportsTheExit) {
  auto o = run(fake("claude", "ok", "what is the mesh?"));
  EXPECT_EQ(o.exit.what, process_exit::how::exited);
  EXPECT_EQ(o.exit.code, 0);
  EXPECT_NE(o.out.find("\"type\": \"result\""), std::string::npos) << o.out;
  EXPECT_NE(o.out.find("what is the mesh?"), std::string::npos);
  EXPECT_GT(o.exit.run_us, 0);
}

// keep_stdin_open: a long-lived child (an MCP server) is written to while it runs, and answers each line as it
// comes; its stderr is handed over as it arrives; writes after its end are refused.
TEST(ProcessRunner, AnOpenStdinTakesWritesWhileTheChildRuns) {
  std::mutex mu;
  std::condition_variable cv;
  std::string out, err;
  std::promise<process_exit> exited;
  process_spec spec;
  spec.argv = {"/bin/sh", "-c", "echo started >&2; while read -r line; do echo \"got $line\"; done"};
  spec.keep_stdin_open = true;
  spec.kill_grace = 300ms;
  spec.env = {{"PAIOS_TEST_TAG", tag()}};
  spec.on_stderr = [&](std::string_view s) {
    std::lock_guard lock{mu};
    err.append(s);
  };
  auto r = process_runner::start(
      std::move(spec),
      [&](std::string_view s) {
        std::lock_guard lock{mu};
        out.append(s);
        cv.notify_all();
      },
      [&](process_exit x) { exited.set_value(std::move(x)); });
  auto wait_for = [&](const std::string& text) {
    std::unique_lock lock{mu};
    return cv.wait_for(lock, 5s, [&] { return out.find(text) != std::string::npos; });
  };
  EXPECT_TRUE(r->write("one\n"));
  EXPECT_TRUE(wait_for("got one\n")) << out;
  EXPECT_TRUE(r->write("two\nthree\n"));
  EXPECT_TRUE(wait_for("got three\n")) << out;
  EXPECT_EQ(out, "got one\ngot two\ngot three\n");
  r->cancel();
  auto x = exited.get_future().get();
  EXPECT_EQ(x.what, process_exit::how::cancelled);
  EXPECT_FALSE(r->write("late\n")) << "the child is gone";
  std::lock_guard lock{mu};
  EXPECT_EQ(err, "started\n");
}

TEST(ProcessRunner, LargePromptsTravelOnStdin) {
  for (std::size_t size : {std::size_t{1} << 20, std::size_t{16} << 20}) {
    std::string prompt(size, 'a');
    for (std::size_t i = 0; i < size; i += 997) prompt[i] = static_cast<char>('a' + i % 26);
    process_spec s;
    s.argv = {"cat"};
    s.stdin_data = prompt;
    auto o = run(s);
    EXPECT_EQ(o.exit.code, 0);
    EXPECT_EQ(o.out.size(), prompt.size());
    EXPECT_TRUE(o.out == prompt) << "the bytes came back changed";
  }
}

TEST(ProcessRunner, TimeoutTerminatesTheGroup) {
  auto s = fake("text", "hang");
  s.timeout = 300ms;
  auto o = run(s);
  EXPECT_EQ(o.exit.what, process_exit::how::timed_out);
  EXPECT_LT(o.took, 2000ms);
  auto stubborn = fake("text", "hang-ignore-term");
  stubborn.timeout = 300ms;
  o = run(stubborn);
  EXPECT_EQ(o.exit.what, process_exit::how::timed_out);
  EXPECT_GE(o.took, 550ms) << "SIGKILL only after the grace period";
  EXPECT_LT(o.took, 2000ms);
  EXPECT_TRUE(leftovers().empty());
}

TEST(ProcessRunner, CancelIsObservedWithinOneSecond) {
  std::chrono::steady_clock::time_point cancelled_at;
  auto o = run(fake("text", "hang-ignore-term"), [&](process_runner& r) {
    // Cancelled once the child ignores SIGTERM: the cancel has to go on to SIGKILL after the grace period.
    EXPECT_TRUE(test::poll_until(one_ignores_sigterm, 10s, 10ms)) << "the fake agent did not start";
    cancelled_at = std::chrono::steady_clock::now();
    r.cancel();
  });
  auto after = std::chrono::steady_clock::now() - cancelled_at;
  EXPECT_EQ(o.exit.what, process_exit::how::cancelled);
  EXPECT_LT(after, 1500ms);
  EXPECT_TRUE(leftovers().empty());
}

TEST(ProcessRunner, FailuresAreReportedWithTheirCause) {
  auto crash = run(fake("claude", "crash"));
  EXPECT_EQ(crash.exit.what, process_exit::how::signaled);
  EXPECT_EQ(crash.exit.signal, SIGSEGV);
  auto exit3 = run(fake("codex", "exit3"));
  EXPECT_EQ(exit3.exit.what, process_exit::how::exited);
  EXPECT_EQ(exit3.exit.code, 3);
  EXPECT_NE(exit3.exit.stderr_tail.find("quota exceeded"), std::string::npos) << exit3.exit.stderr_tail;
}

TEST(ProcessRunner, ProgramsThatCannotRunAreSpawnFailures) {
  process_spec missing;
  missing.argv = {"paios-no-such-agent"};
  auto o = run(missing);
  EXPECT_EQ(o.exit.what, process_exit::how::spawn_failed);
  EXPECT_NE(o.exit.error.message().find("'paios-no-such-agent' not found on PATH"), std::string::npos) << o.exit.error.message();

  test::temp_dir dir;
  auto file = dir.path() / "not-executable";
  std::ofstream(file) << "#!/bin/sh\necho hi\n";
  process_spec plain;
  plain.argv = {file.string()};
  o = run(plain);
  EXPECT_EQ(o.exit.what, process_exit::how::spawn_failed);
  EXPECT_NE(o.exit.error.message().find(file.string()), std::string::npos) << o.exit.error.message();

  auto bad_interpreter = dir.path() / "bad-interpreter";
  std::ofstream(bad_interpreter) << "#!/nonexistent/interpreter\n";
  std::filesystem::permissions(bad_interpreter, std::filesystem::perms::owner_all);
  plain.argv = {bad_interpreter.string()};
  o = run(plain);
  EXPECT_EQ(o.exit.what, process_exit::how::spawn_failed);
  EXPECT_NE(o.exit.error.message().find("No such file"), std::string::npos) << o.exit.error.message();
}

TEST(ProcessRunner, GrandchildrenAreNotLeftBehind) {
  auto o = run(fake("text", "grandchild"));
  EXPECT_EQ(o.exit.what, process_exit::how::exited);
  // The grandchild holds stdout for 1000 s: ending well before that is the proof (not a loaded machine's speed).
  EXPECT_LT(o.took, 20000ms) << "the runner must not wait for a grandchild holding stdout";
  EXPECT_TRUE(no_leftovers()) << "the grandchild (sleep 1000) outlived the call";
}

TEST(ProcessRunner, ADescendantThatLeftTheGroupEndsWithTheCall) {
  process_spec s;
  // The child ends once its own child is in a session of its own (field 6 of /proc/<pid>/stat: the session).
  s.argv = {"/bin/sh", "-c",
            "setsid sleep 30 & p=$!; until [ \"$(cut -d' ' -f6 /proc/$p/stat)\" = \"$p\" ]; do sleep 0.01; done; "
            "echo started"};
  s.env = {{"PAIOS_TEST_TAG", tag()}};
  auto o = run(s);
  EXPECT_EQ(o.out, "started\n");
  // The descendant holds stdout for 30 s: ending well before that is the proof (a loaded machine's slowness is not).
  EXPECT_LT(o.took, 20000ms) << "the runner must not wait for a descendant holding stdout";
  EXPECT_TRUE(leftovers().empty()) << "the setsid grandchild outlived the call";
}

TEST(ProcessRunner, AStderrFloodIsBounded) {
  auto s = fake("text", "flood-stderr", "answer");
  s.env.emplace_back("FAKE_STDERR_BYTES", std::to_string(20 << 20));
  s.stderr_limit = 4096;
  auto o = run(s);
  EXPECT_EQ(o.exit.code, 0);
  EXPECT_EQ(o.out, "answer");
  EXPECT_LE(o.exit.stderr_tail.size(), 4096u);
}

TEST(ProcessRunner, AThousandMixedRunsLeaveNoZombieOrphanOrFd) {
  auto fds_before = open_fds();
  for (int i = 0; i < 1000; ++i) {
    process_spec s;
    s.env = {{"PAIOS_TEST_TAG", tag()}};
    s.kill_grace = 100ms;
    switch (i % 5) {
      case 0: s.argv = {"/bin/true"}; break;
      case 1: s.argv = {"/bin/cat"}; s.stdin_data = "x"; break;
      case 2: s.argv = {"/bin/sh", "-c", "kill -SEGV $$"}; break;
      case 3: s.argv = {"/bin/sleep", "10"}; s.timeout = 20ms; break;
      case 4: s.argv = {"/bin/sh", "-c", "sleep 10 & sleep 10"}; break;
    }
    if (i % 5 == 4)
      run(s, [](process_runner& r) { r.cancel(); });
    else
      run(s);
  }
  EXPECT_EQ(test::poll_until(open_fds, [&](std::size_t n) { return n == fds_before; }, 5s, 20ms), fds_before);
  EXPECT_TRUE(test::poll_until([] { return test::children_of(getpid()).empty(); }, 5s, 20ms))
      << "a child of this process is left (zombie or running)";
  EXPECT_TRUE(no_leftovers());
}
