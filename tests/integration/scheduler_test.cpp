// The scheduler and the notifier in a real daemon (docs/architecture.md, "Scheduler"; docs/protocol.md, jobs.*):
// a job with a fake brain runs on an interval and its runs appear in jobs.history with outcome and trace id;
// jobs.run runs it now; an overlapping run is refused; a failing job backs off and shows in status; missed runs
// while the daemon was down follow the job's policy; the notifier runs the configured command and leaves an event.
#include <fstream>

#include <gtest/gtest.h>

#include "tests/support/test_support.hpp"

using nlohmann::json;
using namespace paios::test;  // the tests' shared support (tests/support)
using namespace std::chrono_literals;

namespace {

json text_brain(const temp_dir& files, const std::string& mode = "ok") {
  std::ofstream(files.path() / "mode") << mode;
  return {{"kind", "process"},
          {"command", {fake_agent("fake-text").string()}},
          {"format", "text"},
          {"kill_grace_ms", 200},
          {"env", {{"FAKE_MODE_FILE", (files.path() / "mode").string()}, {"FAKE_CALLS_FILE", (files.path() / "calls").string()}}}};
}

// A configuration with the fake brain, the given jobs, no heartbeat unless asked, notify-send off.
json config(const temp_dir& files, json jobs, json notify_command = json::array(), const std::string& mode = "ok") {
  if (!jobs.contains("heartbeat")) jobs["heartbeat"] = nullptr;
  return {{"brains", {{"fake", text_brain(files, mode)}}},
          {"tasks", {{"default_brain", "fake"}, {"failover", json::array()}}},
          {"scheduler", {{"jobs", jobs}, {"timezone", "UTC"}, {"backoff", {{"initial_s", 30}, {"max_s", 3600}}}}},
          {"notify", {{"notify_send", false}, {"command", notify_command}}}};
}

json task_job(const std::string& schedule, json extra = json::object()) {
  json j{{"schedule", schedule}, {"action", {{"task", {{"prompt", "scheduled hello"}, {"brain", "fake"}}}}}};
  j.update(extra);
  return j;
}

json history(const daemon_process& d, const std::string& job) {
  return request(d, {{"op", "jobs.history"}, {"name", job}, {"limit", 50}});
}

// Waits until `pred` holds for the job's history (finished runs only), or the time is up.
template <class Pred>
json wait_history(const daemon_process& d, const std::string& job, Pred pred, std::chrono::seconds within = 20s) {
  return poll_until([&] { return history(d, job); }, pred, within);
}

int finished(const json& h) {
  int n = 0;
  for (const auto& r : h.value("runs", json::array())) n += r.value("outcome", "") != "running";
  return n;
}

json job_of(const daemon_process& d, const std::string& name) {
  auto list = request(d, {{"op", "jobs.list"}});
  for (const auto& j : list.value("jobs", json::array()))
    if (j.value("name", "") == name) return j;
  return json();
}

}  // namespace

TEST(Scheduler, IntervalJobRunsAndIsRecordedWithItsTrace) {
  temp_dir files;
  daemon_process d(config(files, {{"hello", task_job("every 1s")}}));
  d.start();
  auto h = wait_history(d, "hello", [](const json& h) { return finished(h) >= 2; });
  ASSERT_GE(finished(h), 2) << h.dump() << d.log();
  EXPECT_EQ(h.value("type", ""), "job.history");
  const auto& run = h["runs"].back();  // the oldest
  EXPECT_EQ(run.value("outcome", ""), "ok") << run.dump();
  EXPECT_EQ(run.value("trigger", ""), "schedule");
  EXPECT_EQ(run.value("trace_id", "").size(), 32u);
  EXPECT_FALSE(run.value("task_id", "").empty());
  EXPECT_EQ(run.value("summary", ""), "scheduled hello") << run.dump();  // fake-text answers with the prompt
  // The run's task is in the same trace.
  auto task = request(d, {{"op", "task.get"}, {"task_id", run.value("task_id", "")}});
  EXPECT_EQ(task.value("trace_id", task.value("task", json::object()).value("trace_id", "")), run.value("trace_id", ""))
      << task.dump();
  // `ai jobs` and `ai jobs history` show it.
  auto out = d.ai({"jobs"});
  EXPECT_EQ(out.exit_code, 0) << out.err;
  EXPECT_NE(out.out.find("hello"), std::string::npos) << out.out;
  EXPECT_NE(out.out.find("every 1s"), std::string::npos) << out.out;
  out = d.ai({"jobs", "history", "hello"});
  EXPECT_EQ(out.exit_code, 0) << out.err;
  EXPECT_NE(out.out.find(run.value("trace_id", "")), std::string::npos) << out.out;
  EXPECT_EQ(d.ai({"jobs", "history", "nosuch"}).exit_code, 1);
}

TEST(Scheduler, RunNowAndOverlapIsRefused) {
  temp_dir files;
  // Hourly: it does not run on its own during the test. The brain hangs, so the first run is still going.
  daemon_process d(config(files, {{"slow", task_job("@hourly", {{"timeout_ms", 3000}})}}, json::array(), "hang"));
  d.start();
  auto first = request(d, {{"op", "jobs.run"}, {"name", "slow"}});
  ASSERT_EQ(first.value("type", ""), "job.started") << first.dump();
  EXPECT_FALSE(first.value("run_id", "").empty());
  auto second = request(d, {{"op", "jobs.run"}, {"name", "slow"}});
  EXPECT_EQ(second.value("type", ""), "error") << second.dump();
  EXPECT_EQ(second.value("code", ""), "overloaded") << second.dump();
  auto unknown = request(d, {{"op", "jobs.run"}, {"name", "nosuch"}});
  EXPECT_EQ(unknown.value("code", ""), "not_found") << unknown.dump();
  // The hanging run ends at the job's timeout, recorded as such.
  auto h = wait_history(d, "slow", [](const json& h) { return finished(h) >= 1; });
  ASSERT_EQ(finished(h), 1) << h.dump();
  EXPECT_EQ(h["runs"][0].value("outcome", ""), "timeout") << h.dump();
  EXPECT_EQ(h["runs"][0].value("trigger", ""), "manual");
}

TEST(Scheduler, FailingJobBacksOffShowsInStatusAndNotifies) {
  temp_dir files;
  const auto notified = files.path() / "notified";
  const auto script = files.path() / "notify.sh";
  std::ofstream(script) << "#!/bin/sh\nprintf '%s|%s\\n' \"$1\" \"$2\" >> " << notified.string() << "\n";
  std::filesystem::permissions(script, std::filesystem::perms::owner_all);
  // `marker` runs on the same schedule without the brain: its runs show the scheduler's time going by.
  json jobs{{"broken", task_job("every 1s")},
            {"marker", {{"schedule", "every 1s"}, {"action", {{"builtin", "heartbeat"}}}}}};
  auto cfg = config(files, jobs, json::array({script.string()}), "exit3");
  cfg["scheduler"]["heartbeat"] = {{"min_free_mb", 0}};  // whatever the test machine's disk
  daemon_process d(cfg);
  d.start();
  auto h = wait_history(d, "broken", [](const json& h) { return finished(h) >= 1; });
  ASSERT_GE(finished(h), 1) << h.dump() << d.log();
  EXPECT_EQ(h["runs"][0].value("outcome", ""), "failed") << h.dump();
  // Backing off: 30 s, so no second run although the schedule says every 1 s. Without the backoff it would
  // have started by the time a marker run that started 2 s after the failure has finished.
  const auto failed_ms = h["runs"][0]["ended_ms"].get<std::int64_t>();
  auto ran_two_seconds_later = [&](const json& m) {
    for (const auto& r : m.value("runs", json::array()))
      if (r.value("outcome", "") != "running" && r["started_ms"].get<std::int64_t>() >= failed_ms + 2000) return true;
    return false;
  };
  auto marker = wait_history(d, "marker", ran_two_seconds_later);
  ASSERT_TRUE(ran_two_seconds_later(marker)) << marker.dump() << d.log();
  h = history(d, "broken");
  EXPECT_EQ(h["runs"].size(), 1u) << h.dump();
  auto job = job_of(d, "broken");
  EXPECT_EQ(job.value("failures", 0), 1) << job.dump();
  EXPECT_TRUE(job.value("backing_off", false)) << job.dump();
  const auto wait_ms = job["next_due_ms"].get<std::int64_t>() - job["last"]["ended_ms"].get<std::int64_t>();
  EXPECT_NEAR(static_cast<double>(wait_ms), 30000.0, 1500.0);
  // ai status shows it.
  auto status = json::parse(d.ai({"--json", "status"}).out);
  ASSERT_EQ(status["jobs"]["failing"].size(), 1u) << status["jobs"].dump();
  EXPECT_EQ(status["jobs"]["failing"][0].value("name", ""), "broken");
  auto text = d.ai({"status"}).out;
  EXPECT_NE(text.find("FAILING broken"), std::string::npos) << text;
  // The notifier ran the command with a title and a body, and left an event.
  auto line = first_line_of(notified);
  EXPECT_NE(line.find("PAIOS job broken failed|"), std::string::npos) << line;
  auto events = request(d, {{"op", "obs.query"}, {"category", "notify"}});
  ASSERT_FALSE(events.value("events", json::array()).empty()) << events.dump();
  EXPECT_EQ(events["events"][0]["data"].value("via", ""), "command") << events.dump();
}

TEST(Scheduler, MissedRunWhileDownRunsOnceOrIsSkipped) {
  temp_dir files;
  // Every 6 s: stopped after the first runs, started again once the next due time has passed.
  json jobs{{"once", task_job("every 6s", {{"missed", "run_once"}})}, {"skip", task_job("every 6s", {{"missed", "skip"}})}};
  auto cfg = config(files, jobs);
  cfg["scheduler"]["missed_grace_s"] = 1;
  daemon_process d(cfg);
  d.start();
  ASSERT_EQ(finished(wait_history(d, "once", [](const json& h) { return finished(h) >= 1; })), 1);
  ASSERT_EQ(finished(wait_history(d, "skip", [](const json& h) { return finished(h) >= 1; })), 1);
  const auto due = std::max(job_of(d, "once")["next_due_ms"].get<std::int64_t>(),
                            job_of(d, "skip")["next_due_ms"].get<std::int64_t>());
  ASSERT_EQ(d.stop(), 0) << d.log();
  wait_past_wall_clock(due + 1500);  // past the due time and the grace of 1 s: missed
  d.start();
  // run_once: one run at once, marked as the missed one.
  auto once = wait_history(d, "once", [](const json& h) { return finished(h) >= 2; }, 4s);
  ASSERT_EQ(finished(once), 2) << once.dump() << d.log();
  EXPECT_EQ(once["runs"][0].value("trigger", ""), "missed") << once.dump();
  EXPECT_EQ(once["runs"][0].value("outcome", ""), "ok") << once.dump();
  // skip: nothing until its next scheduled time, which is in the future.
  EXPECT_EQ(finished(history(d, "skip")), 1) << history(d, "skip").dump();
  EXPECT_GT(job_of(d, "skip")["next_due_ms"].get<std::int64_t>(), wall_clock_ms());
}

TEST(Scheduler, HeartbeatRecordsAnEvent) {
  temp_dir files;
  auto cfg = config(files, json::object());
  cfg["scheduler"]["jobs"]["heartbeat"] = {{"schedule", "@hourly"}, {"action", {{"builtin", "heartbeat"}}}};
  cfg["scheduler"]["heartbeat"] = {{"min_free_mb", 0}};  // whatever the test machine's disk
  daemon_process d(cfg);
  d.start();
  auto started = request(d, {{"op", "jobs.run"}, {"name", "heartbeat"}});
  ASSERT_EQ(started.value("type", ""), "job.started") << started.dump();
  auto h = wait_history(d, "heartbeat", [](const json& h) { return finished(h) >= 1; });
  ASSERT_EQ(finished(h), 1) << h.dump();
  EXPECT_EQ(h["runs"][0].value("outcome", ""), "ok");
  EXPECT_EQ(h["runs"][0].value("summary", ""), "all well") << h.dump();
  auto events = request(d, {{"op", "obs.query"}, {"category", "scheduler"}, {"action", "heartbeat"}});
  ASSERT_EQ(events.value("events", json::array()).size(), 1u) << events.dump();
  EXPECT_EQ(events["events"][0].value("trace_id", ""), started.value("trace_id", ""));
  auto status = json::parse(d.ai({"--json", "status"}).out);
  EXPECT_EQ(status["jobs"]["heartbeat"].value("outcome", ""), "ok") << status["jobs"].dump();
  EXPECT_NE(d.ai({"status"}).out.find("last heartbeat: ok"), std::string::npos);
}

TEST(Scheduler, RestartedSchedulerKeepsItsJobsAndEndsItsRuns) {
  temp_dir files;
  daemon_process d(config(files, {{"slow", task_job("@hourly", {{"timeout_ms", 60000}})}}, json::array(), "hang"));
  d.set_env("PAIOS_FAULT_INJECTION", "1");
  d.start();
  ASSERT_EQ(request(d, {{"op", "jobs.run"}, {"name", "slow"}}).value("type", ""), "job.started");
  auto f = request(d, {{"op", "debug.fault"}, {"actor", "scheduler"}});
  ASSERT_EQ(f.value("type", ""), "fault") << f.dump();
  // The new scheduler marks the run its predecessor left going as interrupted, and takes runs again.
  auto h = wait_history(d, "slow", [](const json& h) { return finished(h) >= 1; });
  ASSERT_EQ(finished(h), 1) << h.dump() << d.log();
  EXPECT_EQ(h["runs"][0].value("outcome", ""), "interrupted") << h.dump();
  auto again = request(d, {{"op", "jobs.run"}, {"name", "slow"}});
  EXPECT_EQ(again.value("type", ""), "job.started") << again.dump();
}
