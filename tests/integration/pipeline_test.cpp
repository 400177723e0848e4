// Pipelines in a real daemon (docs/architecture.md, "Pipelines"; docs/protocol.md, pipeline.*): the example pipeline
// captures a file, has a fake brain summarize it and stores the summary in the knowledge base, where kb.search finds
// it; a failing command step stops the run with an error naming it and pipeline.resume goes on from that step (the
// steps before are not run again); a daemon killed mid-run marks the run interrupted, or resumes it by itself under
// on_interrupt "resume"; pipeline.cancel stops the step that runs and resume goes on from it; a resumed wait waits
// only for what is left; a scheduled job runs a pipeline and records its outcome; `ai pipeline run --wait` shows a
// person at a terminal which step runs, and nothing to a pipe or with --json.
#include <poll.h>
#include <pty.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <fstream>
#include <thread>

#include <gtest/gtest.h>

#include "tests/support/test_support.hpp"

using nlohmann::json;
using namespace paios::test;  // the tests' shared support (tests/support)
using namespace std::chrono_literals;

namespace {

json base_config(json pipelines, json jobs = json::object()) {
  jobs["heartbeat"] = nullptr;
  return {{"brains",
           {{"fake",
             {{"kind", "process"}, {"command", {fake_agent("fake-text").string()}}, {"format", "text"}, {"kill_grace_ms", 200}}}}},
          {"tasks", {{"default_brain", "fake"}, {"failover", json::array()}}},
          {"scheduler", {{"jobs", jobs}, {"timezone", "UTC"}}},
          {"notify", {{"notify_send", false}}},
          {"pipelines", std::move(pipelines)}};
}

json get_run(const daemon_process& d, const std::string& run_id) {
  return request(d, {{"op", "pipeline.get"}, {"run_id", run_id}}).value("run", json::object());
}

// Polls the run's record until `pred` holds (or the time is up); returns the last record read.
template <class Pred>
json wait_run(const daemon_process& d, const std::string& run_id, Pred pred, std::chrono::seconds within = 30s) {
  return poll_until([&] { return get_run(d, run_id); }, pred, within);
}

json wait_end(const daemon_process& d, const std::string& run_id) {
  return wait_run(d, run_id, [](const json& r) { return r.value("state", "running") != "running"; });
}

std::string start(const daemon_process& d, const std::string& name, json input = nullptr) {
  json req{{"op", "pipeline.run"}, {"name", name}};
  if (!input.is_null()) req["input"] = input;
  auto r = request(d, req);
  EXPECT_EQ(r.value("type", ""), "pipeline.started") << r.dump();
  EXPECT_EQ(r.value("trace_id", "").size(), 32u) << r.dump();
  return r.value("run_id", "");
}

std::string lines_of(const std::filesystem::path& file) {
  std::ifstream in(file);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

json command(const std::string& name, const std::string& script, json extra = json::object()) {
  json s{{"name", name}, {"kind", "command"}, {"command", {"sh", "-c", script}}};
  s.update(extra);
  return s;
}

// `ai ARGS` on a terminal 200 columns wide (a pseudo-terminal: its stdout and stderr both), read as it goes.
class on_a_terminal {
 public:
  explicit on_a_terminal(std::vector<std::string> args) {
    args.insert(args.begin(), ai_path().string());
    winsize size{};
    size.ws_row = 24;
    size.ws_col = 200;
    pid_ = forkpty(&fd_, nullptr, nullptr, &size);
    if (pid_ == 0) {
      unsetenv("COLUMNS");
      unsetenv("NO_COLOR");
      std::vector<char*> argv;
      for (auto& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      execv(argv[0], argv.data());
      _exit(127);
    }
    EXPECT_GT(pid_, 0);
  }
  ~on_a_terminal() {
    if (pid_ > 0 && !reaped_) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
    if (fd_ >= 0) close(fd_);
  }
  on_a_terminal(const on_a_terminal&) = delete;
  on_a_terminal& operator=(const on_a_terminal&) = delete;

  // Reads until `text` has appeared (true), the terminal closed or the time is up.
  bool read_until(const std::string& text, std::chrono::seconds within = 30s) {
    const auto deadline = std::chrono::steady_clock::now() + within;
    while (out_.find(text) == std::string::npos && std::chrono::steady_clock::now() < deadline) {
      pollfd p{fd_, POLLIN, 0};
      if (poll(&p, 1, 200) <= 0) continue;
      char buf[4096];
      const auto n = read(fd_, buf, sizeof buf);
      if (n <= 0) break;  // the program ended: its side of the terminal closed
      out_.append(buf, static_cast<std::size_t>(n));
    }
    return out_.find(text) != std::string::npos;
  }
  // Reads all it prints and returns its exit code.
  int exit_code() {
    read_until(std::string{"\0never printed", 14}, 60s);
    int status = 0;
    waitpid(pid_, &status, 0);
    reaped_ = true;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }
  const std::string& out() const { return out_; }

 private:
  pid_t pid_ = -1;
  int fd_ = -1;
  bool reaped_ = false;
  std::string out_;
};

// A pipeline whose second step holds until `flag` exists: a wait whose step the test controls.
json held_pipeline(const std::filesystem::path& flag) {
  return {{"held", {{"steps",
                     {command("first", "echo one"),
                      command("hold", "while [ ! -f " + flag.string() + " ]; do sleep 0.05; done; echo held")}}}}};
}

// The newest run of `name` once it is on its step `index`, running.
json run_on_step(const daemon_process& d, const std::string& name, int index) {
  return poll_until([&] { return request(d, {{"op", "pipeline.runs"}, {"name", name}, {"limit", 1}}); },
                    [&](const json& r) {
                      const auto runs = r.value("runs", json::array());
                      return !runs.empty() && runs[0].value("state", "") == "running" && runs[0].value("step", -1) == index;
                    },
                    30s)["runs"][0];
}

}  // namespace

TEST(Pipelines, ExampleCapturesSummarizesAndIngests) {
  temp_dir files;
  const auto doc = files.path() / "note.txt";
  std::ofstream(doc) << "Field notes\n\nThe zanzibar quokka migrates at dawn across the salt flats.\n";
  daemon_process d(base_config({{"summarize-to-kb", {{"enabled", true}}}}));
  d.start();
  auto list = request(d, {{"op", "pipeline.list"}});
  ASSERT_EQ(list.value("type", ""), "pipelines") << list.dump();
  ASSERT_EQ(list["pipelines"].size(), 1u) << list.dump();
  EXPECT_EQ(list["pipelines"][0]["steps"].size(), 3u);

  const auto run_id = start(d, "summarize-to-kb", {{"source", doc.string()}});
  auto run = wait_end(d, run_id);
  ASSERT_EQ(run.value("state", ""), "ok") << run.dump() << d.log();
  EXPECT_EQ(run.value("trigger", ""), "manual");
  ASSERT_EQ(run["steps"].size(), 3u) << run.dump();
  for (const auto& s : run["steps"]) EXPECT_EQ(s.value("state", ""), "ok") << s.dump();
  const auto& capture = run["steps"][0]["output"];
  EXPECT_NE(capture.value("text", "").find("zanzibar quokka"), std::string::npos) << capture.dump();
  EXPECT_EQ(capture.value("source", ""), doc.string());
  // fake-text answers with the prompt: the summary holds the template's words and the captured text.
  const auto summary = run["steps"][1]["output"].value("text", "");
  EXPECT_NE(summary.find("Summarize the following text"), std::string::npos) << summary;
  EXPECT_NE(summary.find("salt flats"), std::string::npos) << summary;
  EXPECT_FALSE(run["steps"][1]["output"].value("task_id", "").empty());
  const auto article = run["steps"][2]["output"].value("article_id", "");
  EXPECT_FALSE(article.empty()) << run.dump();

  // The summary is in the knowledge base, found by search, with the source the pipeline gave it.
  auto found = request(d, {{"op", "kb.search"}, {"query", "zanzibar quokka salt flats"}, {"k", 3}});
  ASSERT_EQ(found.value("type", ""), "kb.results") << found.dump();
  ASSERT_FALSE(found["results"].empty()) << found.dump();
  EXPECT_EQ(found["results"][0].value("article_id", ""), article) << found.dump();
  EXPECT_EQ(found["results"][0].value("source", ""), doc.string() + "#summary") << found.dump();

  // The task ran in the run's trace.
  auto task = request(d, {{"op", "task.get"}, {"task_id", run["steps"][1]["output"].value("task_id", "")}});
  EXPECT_EQ(task.value("trace_id", task.value("task", json::object()).value("trace_id", "")), run.value("trace_id", ""))
      << task.dump();

  // `ai pipeline`, `ai pipeline runs`, `ai pipeline show`.
  auto out = d.ai({"pipeline"});
  EXPECT_EQ(out.exit_code, 0) << out.err;
  EXPECT_NE(out.out.find("summarize-to-kb"), std::string::npos) << out.out;
  out = d.ai({"pipeline", "runs"});
  EXPECT_EQ(out.exit_code, 0) << out.err;
  EXPECT_NE(out.out.find(run_id), std::string::npos) << out.out;
  EXPECT_NE(out.out.find("ingest:ok"), std::string::npos) << out.out;
  out = d.ai({"pipeline", "show", run_id});
  EXPECT_EQ(out.exit_code, 0) << out.err;
  EXPECT_NE(out.out.find("zanzibar"), std::string::npos) << out.out;
  // `ai pipeline run --wait` follows a run to its end.
  out = d.ai({"pipeline", "run", "summarize-to-kb", "--input", json{{"source", doc.string()}}.dump(), "--wait"});
  EXPECT_EQ(out.exit_code, 0) << out.out << out.err;
  EXPECT_NE(out.out.find(": ok"), std::string::npos) << out.out;
  // A missing file fails the first step, with the reason.
  const auto bad = start(d, "summarize-to-kb", {{"source", (files.path() / "absent.txt").string()}});
  run = wait_end(d, bad);
  EXPECT_EQ(run.value("state", ""), "failed") << run.dump();
  EXPECT_EQ(run.value("step", -1), 0) << run.dump();
  EXPECT_NE(run.value("error", "").find("capture"), std::string::npos) << run.dump();
}

TEST(Pipelines, FailedStepStopsTheRunAndResumeGoesOnFromIt) {
  temp_dir files;
  const auto flag = files.path() / "flag";
  const auto count = files.path() / "count";
  json steps = {
      command("first", "echo x >> " + count.string() + "; cat", {{"input", "{{run.input.msg}}"}}),
      command("gate", "if [ ! -f " + flag.string() + " ]; then echo 'the gate is closed' >&2; exit 4; fi; cat",
              {{"input", "{{input.stdout}}"}}),
      command("json", "printf '{\"n\": 42}'"),
      command("last", "cat", {{"input", "{{input.n}}-{{steps.first.output.stdout}}"}}),
  };
  daemon_process d(base_config({{"gated", {{"steps", steps}}}}));
  d.start();
  const auto run_id = start(d, "gated", {{"msg", "hello"}});
  auto run = wait_end(d, run_id);
  ASSERT_EQ(run.value("state", ""), "failed") << run.dump() << d.log();
  EXPECT_EQ(run.value("step", -1), 1) << run.dump();
  EXPECT_EQ(run.value("step_name", ""), "gate");
  EXPECT_NE(run.value("error", "").find("step 1 (gate, command) failed"), std::string::npos) << run.dump();
  EXPECT_NE(run.value("error", "").find("exit 4"), std::string::npos) << run.dump();
  EXPECT_NE(run.value("error", "").find("the gate is closed"), std::string::npos) << run.dump();
  ASSERT_EQ(run["steps"].size(), 2u) << run.dump();
  EXPECT_EQ(run["steps"][0].value("state", ""), "ok");
  EXPECT_EQ(run["steps"][0]["output"].value("stdout", ""), "hello");
  EXPECT_EQ(run["steps"][1].value("state", ""), "failed");

  // Bad requests name the field; unknown names and runs are not_found; a failed run is not resumed twice at once.
  auto r = request(d, {{"op", "pipeline.run"}});
  EXPECT_EQ(r.value("code", ""), "bad_request") << r.dump();
  EXPECT_NE(r.value("message", "").find("'name'"), std::string::npos) << r.dump();
  r = request(d, {{"op", "pipeline.run"}, {"name", "nosuch"}});
  EXPECT_EQ(r.value("code", ""), "not_found") << r.dump();
  r = request(d, {{"op", "pipeline.resume"}, {"run_id", "p-nosuch"}});
  EXPECT_EQ(r.value("code", ""), "not_found") << r.dump();
  r = request(d, {{"op", "pipeline.get"}, {"run_id", 7}});
  EXPECT_EQ(r.value("code", ""), "bad_request") << r.dump();

  std::ofstream(flag) << "open";
  r = request(d, {{"op", "pipeline.resume"}, {"run_id", run_id}});
  ASSERT_EQ(r.value("type", ""), "pipeline.resumed") << r.dump();
  EXPECT_EQ(r.value("from_step", -1), 1) << r.dump();
  EXPECT_EQ(r.value("trace_id", ""), run.value("trace_id", ""));
  run = wait_end(d, run_id);
  ASSERT_EQ(run.value("state", ""), "ok") << run.dump() << d.log();
  EXPECT_EQ(run.value("resumes", 0), 1);
  EXPECT_EQ(run.value("error", "x"), "");
  ASSERT_EQ(run["steps"].size(), 4u);
  EXPECT_EQ(run["steps"][1].value("attempts", 0), 2) << run.dump();
  EXPECT_EQ(run["steps"][1]["output"].value("stdout", ""), "hello");  // the first step's recorded output
  EXPECT_EQ(run["steps"][2]["output"], json({{"n", 42}}));          // JSON stdout is the output itself
  EXPECT_EQ(run["steps"][3]["output"].value("stdout", ""), "42-hello") << run.dump();
  EXPECT_EQ(lines_of(count), "x\n");  // the first step ran once
  r = request(d, {{"op", "pipeline.resume"}, {"run_id", run_id}});
  EXPECT_EQ(r.value("code", ""), "bad_request") << r.dump();

  // `ai pipeline resume` on a failed run, followed to its end.
  std::filesystem::remove(flag);
  const auto again = start(d, "gated", {{"msg", "again"}});
  ASSERT_EQ(wait_end(d, again).value("state", ""), "failed");
  std::ofstream(flag) << "open";
  auto out = d.ai({"pipeline", "resume", again, "--wait"});
  EXPECT_EQ(out.exit_code, 0) << out.out << out.err;
  EXPECT_NE(out.out.find("42-again"), std::string::npos) << out.out;
  out = d.ai({"pipeline", "runs", "gated"});
  EXPECT_EQ(out.exit_code, 0) << out.err;
  EXPECT_NE(out.out.find(again), std::string::npos) << out.out;
  EXPECT_EQ(d.ai({"pipeline", "runs", "nosuch"}).exit_code, 1);
}

TEST(Pipelines, CancelStopsTheRunningStepAndResumeGoesOnFromIt) {
  temp_dir files;
  const auto flag = files.path() / "flag";
  const auto pid_file = files.path() / "pid";
  json steps = {
      command("first", "printf one"),
      command("hold", "echo $$ > " + pid_file.string() + "; while [ ! -f " + flag.string() +
                          " ]; do sleep 0.05; done; printf held"),
      command("last", "cat", {{"input", "{{input.stdout}}-{{steps.first.output.stdout}}"}}),
  };
  daemon_process d(base_config({{"held", {{"steps", steps}}}}));
  d.start();
  const auto run_id = start(d, "held");
  auto pid_of_step = [&] {
    std::ifstream in(pid_file);
    pid_t pid = 0;
    in >> pid;
    return pid;
  };
  auto run = wait_run(d, run_id, [&](const json&) { return pid_of_step() > 0; });
  const pid_t step_pid = pid_of_step();
  ASSERT_GT(step_pid, 0) << run.dump() << d.log();

  auto out = d.ai({"pipeline", "cancel", run_id});
  EXPECT_EQ(out.exit_code, 0) << out.out << out.err;
  EXPECT_NE(out.out.find("cancelling run " + run_id), std::string::npos) << out.out;
  run = wait_end(d, run_id);
  ASSERT_EQ(run.value("state", ""), "cancelled") << run.dump() << d.log();
  EXPECT_EQ(run.value("step", -1), 1) << run.dump();
  EXPECT_NE(run.value("error", "").find("pipeline.cancel"), std::string::npos) << run.dump();
  ASSERT_EQ(run["steps"].size(), 2u) << run.dump();
  EXPECT_EQ(run["steps"][0].value("state", ""), "ok");
  EXPECT_EQ(run["steps"][1].value("state", ""), "cancelled") << run.dump();
  // The step's command is stopped with its process group, not left running.
  const bool gone = poll_until([&] { return ::kill(step_pid, 0) != 0; }, [](bool g) { return g; }, 10s, 50ms);
  EXPECT_TRUE(gone) << "the cancelled step's process " << step_pid << " is still there";

  // Once ended: nothing to cancel, and it says how the run ended; an unknown run is not_found.
  auto r = request(d, {{"op", "pipeline.cancel"}, {"run_id", run_id}});
  EXPECT_EQ(r.value("type", ""), "pipeline.cancel") << r.dump();
  EXPECT_EQ(r.value("cancelled", true), false) << r.dump();
  EXPECT_EQ(r.value("state", ""), "cancelled") << r.dump();
  out = d.ai({"pipeline", "cancel", run_id});
  EXPECT_EQ(out.exit_code, 0) << out.err;
  EXPECT_NE(out.out.find("already ended cancelled"), std::string::npos) << out.out;
  r = request(d, {{"op", "pipeline.cancel"}, {"run_id", "p-nosuch"}});
  EXPECT_EQ(r.value("code", ""), "not_found") << r.dump();
  EXPECT_EQ(d.ai({"pipeline", "cancel", "p-nosuch"}).exit_code, 1);
  r = request(d, {{"op", "pipeline.cancel"}});
  EXPECT_EQ(r.value("code", ""), "bad_request") << r.dump();
  EXPECT_NE(r.value("message", "").find("'run_id'"), std::string::npos) << r.dump();

  // A cancelled run goes on from the step that was stopped; the steps before it are not run again.
  std::ofstream(flag) << "open";
  r = request(d, {{"op", "pipeline.resume"}, {"run_id", run_id}});
  ASSERT_EQ(r.value("type", ""), "pipeline.resumed") << r.dump();
  EXPECT_EQ(r.value("from_step", -1), 1) << r.dump();
  run = wait_end(d, run_id);
  ASSERT_EQ(run.value("state", ""), "ok") << run.dump() << d.log();
  EXPECT_EQ(run["steps"][0].value("attempts", 0), 1) << run.dump();
  EXPECT_EQ(run["steps"][2]["output"].value("stdout", ""), "held-one") << run.dump();
}

TEST(Pipelines, AWaitStepWaitsAndAResumedOneOnlyForWhatIsLeft) {
  json pipelines{{"short", {{"steps", {{{"name", "pause"}, {"kind", "wait"}, {"seconds", 1}}, command("after", "printf done")}}}},
                 {"long", {{"steps", {{{"name", "pause"}, {"kind", "wait"}, {"seconds", 4}}, command("after", "printf done")}}}}};
  daemon_process d(base_config(pipelines));
  d.start();
  auto run = wait_end(d, start(d, "short"));
  ASSERT_EQ(run.value("state", ""), "ok") << run.dump() << d.log();
  const auto& pause = run["steps"][0];
  EXPECT_GE(pause.value("ended_ms", std::int64_t{0}) - pause.value("started_ms", std::int64_t{0}), 1000) << run.dump();
  EXPECT_EQ(run["steps"][1]["output"].value("stdout", ""), "done");

  // Cancelled during its wait, resumed once its time has passed: it goes on at once instead of waiting again.
  const auto run_id = start(d, "long");
  run = wait_run(d, run_id, [](const json& r) { return !r.value("steps", json::array()).empty(); });
  ASSERT_EQ(request(d, {{"op", "pipeline.cancel"}, {"run_id", run_id}}).value("cancelled", false), true);
  run = wait_end(d, run_id);
  ASSERT_EQ(run.value("state", ""), "cancelled") << run.dump();
  const auto began = run["steps"][0].value("started_ms", std::int64_t{0});
  std::this_thread::sleep_until(std::chrono::system_clock::time_point(std::chrono::milliseconds(began + 4300)));
  const auto resumed_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                              std::chrono::system_clock::now().time_since_epoch()).count();
  ASSERT_EQ(request(d, {{"op", "pipeline.resume"}, {"run_id", run_id}}).value("type", ""), "pipeline.resumed");
  run = wait_end(d, run_id);
  ASSERT_EQ(run.value("state", ""), "ok") << run.dump() << d.log();
  EXPECT_EQ(run["steps"][0].value("started_ms", std::int64_t{0}), began) << "the wait keeps its first start";
  EXPECT_EQ(run["steps"][0].value("attempts", 0), 2);
  EXPECT_LT(run["steps"][0].value("ended_ms", std::int64_t{0}) - resumed_ms, 3000)
      << "a resumed wait whose time had passed waited again: " << run.dump();
}

TEST(Pipelines, RunsKilledWithTheDaemonAreMarkedInterruptedOrResumed) {
  temp_dir files;
  const auto flag = files.path() / "flag";
  const auto started = files.path() / "started";
  // The first step waits for the flag: the daemon is killed while it runs.
  auto steps = [&](const std::string& tag) {
    return json{command("wait-flag", "echo " + tag + " >> " + started.string() + "; while [ ! -f " + flag.string() +
                                         " ]; do sleep 0.05; done; echo " + tag),
                command("after", "cat", {{"input", "{{input.stdout}}"}})};
  };
  daemon_process d(base_config({{"marked", {{"steps", steps("m")}}},
                                {"auto", {{"steps", steps("a")}, {"on_interrupt", "resume"}}}}));
  d.start();
  const auto marked = start(d, "marked");
  const auto automatic = start(d, "auto");
  for (const auto& id : {marked, automatic}) {
    auto run = wait_run(d, id, [](const json& r) {
      return r.contains("steps") && !r["steps"].empty() && r["steps"][0].value("state", "") == "running";
    });
    ASSERT_EQ(run["steps"][0].value("state", ""), "running") << run.dump();
  }
  // Both commands are running (each wrote its line) when the daemon dies.
  const auto lines = poll_until([&] { return lines_of(started); },
                                             [](const std::string& l) { return l.size() >= 4; }, 20s, 50ms);
  ASSERT_EQ(lines.size(), 4u) << lines;
  d.kill9();
  std::ofstream(flag) << "open";
  d.start();

  // on_interrupt "resume": the run goes on from the step it was on, which runs again.
  auto run = wait_end(d, automatic);
  ASSERT_EQ(run.value("state", ""), "ok") << run.dump() << d.log();
  EXPECT_EQ(run.value("resumes", 0), 1);
  EXPECT_EQ(run["steps"][0].value("attempts", 0), 2) << run.dump();
  EXPECT_EQ(run["steps"][1]["output"].value("stdout", ""), "a\n") << run.dump();

  // The default, "mark": interrupted, at its step, and nothing runs until it is resumed.
  run = wait_run(d, marked, [](const json& r) { return r.value("state", "") == "interrupted"; });
  ASSERT_EQ(run.value("state", ""), "interrupted") << run.dump() << d.log();
  EXPECT_EQ(run.value("step", -1), 0);
  EXPECT_EQ(run["steps"][0].value("state", ""), "interrupted") << run.dump();
  EXPECT_NE(run.value("error", "").find("the daemon stopped during step 0 (wait-flag)"), std::string::npos) << run.dump();
  auto r = request(d, {{"op", "pipeline.resume"}, {"run_id", marked}});
  ASSERT_EQ(r.value("type", ""), "pipeline.resumed") << r.dump();
  run = wait_end(d, marked);
  EXPECT_EQ(run.value("state", ""), "ok") << run.dump() << d.log();
  EXPECT_EQ(run["steps"][1]["output"].value("stdout", ""), "m\n") << run.dump();
}

TEST(Pipelines, AScheduledJobRunsAPipeline) {
  temp_dir files;
  const auto out = files.path() / "out";
  json pipelines{{"stamp", {{"steps", {command("write", "cat > " + out.string(), {{"input", "{{run.id}}"}}),
                                       {{"name", "ask"}, {"kind", "task"}, {"prompt", "stamped {{run.pipeline}}"}}}}}},
                 {"broken", {{"steps", {command("fail", "echo broken >&2; exit 2")}}}}};
  json jobs{{"stamper", {{"schedule", "@hourly"}, {"action", {{"pipeline", "stamp"}}}}},
            {"breaker", {{"schedule", "@hourly"}, {"action", {{"pipeline", "broken"}}}}}};
  daemon_process d(base_config(pipelines, jobs));
  d.start();
  auto started = request(d, {{"op", "jobs.run"}, {"name", "stamper"}});
  ASSERT_EQ(started.value("type", ""), "job.started") << started.dump();
  auto history = [&](const std::string& job) {
    return poll_until([&] { return request(d, {{"op", "jobs.history"}, {"name", job}}); },
                                   [](const json& h) {
                                     return !h.value("runs", json::array()).empty() &&
                                            h["runs"][0].value("outcome", "") != "running";
                                   },
                                   30s);
  };
  auto h = history("stamper");
  ASSERT_EQ(h["runs"][0].value("outcome", ""), "ok") << h.dump() << d.log();
  const auto run_id = h["runs"][0].value("task_id", "");  // the pipeline run's id
  ASSERT_FALSE(run_id.empty()) << h.dump();
  EXPECT_NE(h["runs"][0].value("summary", "").find("stamped stamp"), std::string::npos) << h.dump();
  auto run = get_run(d, run_id);
  EXPECT_EQ(run.value("state", ""), "ok") << run.dump();
  EXPECT_EQ(run.value("trigger", ""), "job:stamper");
  EXPECT_EQ(run.value("trace_id", ""), h["runs"][0].value("trace_id", ""));  // the job run's trace
  EXPECT_EQ(lines_of(out), run_id);

  ASSERT_EQ(request(d, {{"op", "jobs.run"}, {"name", "breaker"}}).value("type", ""), "job.started");
  h = history("breaker");
  EXPECT_EQ(h["runs"][0].value("outcome", ""), "failed") << h.dump();
  EXPECT_NE(h["runs"][0].value("summary", "").find("exit 2"), std::string::npos) << h.dump();
}

// On a terminal, the wait says on stderr which step runs and for how long, rewriting one line, and erases it before
// the run is shown; with --json it says nothing of the kind.
TEST(Pipelines, WaitShowsTheRunningStepOnATerminal) {
  temp_dir files;
  const auto flag = files.path() / "flag";
  daemon_process d(base_config(held_pipeline(flag)));
  d.start();
  on_a_terminal t{{"--home", d.home().string(), "pipeline", "run", "held", "--wait"}};
  ASSERT_TRUE(t.read_until("held: step 2 of 2, hold (command), ")) << t.out();
  ASSERT_TRUE(t.read_until(" in all")) << t.out();
  std::ofstream(flag) << "open";
  EXPECT_EQ(t.exit_code(), 0) << t.out();
  EXPECT_NE(t.out().find("\r\x1b[K"), std::string::npos) << "the line is rewritten in place: " << t.out();
  EXPECT_NE(t.out().find("\r\x1b[Krun "), std::string::npos) << "and erased before the run is shown: " << t.out();
  EXPECT_NE(t.out().find(": ok"), std::string::npos) << t.out();

  std::filesystem::remove(flag);
  on_a_terminal j{{"--home", d.home().string(), "--json", "pipeline", "run", "held", "--wait"}};
  run_on_step(d, "held", 1);  // the wait has begun: it polls from the start of the run
  std::ofstream(flag) << "open";
  EXPECT_EQ(j.exit_code(), 0) << j.out();
  EXPECT_NE(j.out().find("\"state\":\"ok\""), std::string::npos) << j.out();
  EXPECT_EQ(j.out().find(" in all"), std::string::npos) << "no progress with --json: " << j.out();
  EXPECT_EQ(j.out().find("\x1b["), std::string::npos) << j.out();
}

// Off a terminal (a pipe, a file) the wait prints nothing on stderr: the run at its end on stdout, that is all.
TEST(Pipelines, WaitShowsNoProgressOffATerminal) {
  temp_dir files;
  const auto flag = files.path() / "flag";
  daemon_process d(base_config(held_pipeline(flag)));
  d.start();
  const auto out = files.path() / "out", err = files.path() / "err";
  const auto pid = spawn_to_files({ai_path().string(), "--home", d.home().string(), "pipeline", "run", "held", "--wait"}, out, err);
  ASSERT_GT(pid, 0);
  EXPECT_NE(first_line_of(out).find("pipeline held started: run "), std::string::npos);  // then it waits
  run_on_step(d, "held", 1);
  std::ofstream(flag) << "open";
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << lines_of(out) << lines_of(err);
  EXPECT_NE(lines_of(out).find(": ok"), std::string::npos) << lines_of(out);
  EXPECT_EQ(lines_of(err), "") << "no progress off a terminal";
}
