// The daily report in a real daemon (docs/architecture.md, "Daily report"; docs/protocol.md, report.get): tasks on
// the echo brain and a failing fake brain show in `ai report` (text and --json) at once; a kill -9 and the start
// after it show as a start after an unclean exit (and its alert), a failed actor as an actor restart; a date that
// is none is refused by name; the scheduled job `daily-report` (run now through jobs.run, and on its own at
// report.at) stores the previous day's report in the knowledge base as kind "report" and tells the notifier its
// summary.
#include <fstream>

#include <gtest/gtest.h>

#include "tests/support/test_support.hpp"

using nlohmann::json;
using namespace paios::test;  // the tests' shared support (tests/support)
using namespace std::chrono_literals;

namespace {

std::string utc_date(std::int64_t ms) {
  const time_t t = static_cast<time_t>(ms / 1000);
  struct tm tm {};
  ::gmtime_r(&t, &tm);
  char text[16];
  std::strftime(text, sizeof text, "%Y-%m-%d", &tm);
  return text;
}

json config(const temp_dir& files, const std::filesystem::path& notify_script) {
  std::ofstream(files.path() / "mode") << "exit3";
  return {{"brains",
           {{"fake",
             {{"kind", "process"},
              {"command", {fake_agent("fake-text").string()}},
              {"format", "text"},
              {"env", {{"FAKE_MODE_FILE", (files.path() / "mode").string()}}}}}}},
          {"tasks", {{"default_brain", "echo"}, {"failover", json::array()}}},
          {"scheduler", {{"jobs", {{"heartbeat", nullptr}}}, {"timezone", "UTC"}}},
          {"report", {{"at", "07:00"}, {"notify", true}}},
          {"notify", {{"notify_send", false}, {"command", {notify_script.string()}}}}};
}

json report_of(const daemon_process& d, const std::vector<std::string>& extra = {}) {
  std::vector<std::string> args{"--json", "report"};
  args.insert(args.end(), extra.begin(), extra.end());
  auto r = d.ai(args);
  return json::parse(r.out, nullptr, false);
}

}  // namespace

TEST(Report, TasksOfTodayShowAndRestartsAreCounted) {
  temp_dir files;
  const auto script = files.path() / "notify.sh";
  std::ofstream(script) << "#!/bin/sh\n";
  std::filesystem::permissions(script, std::filesystem::perms::owner_all);
  daemon_process d(config(files, script));
  d.start();
  for (int i = 0; i < 3; ++i) ASSERT_EQ(d.ai({"--brain", "echo", "hello " + std::to_string(i)}).exit_code, 0);
  EXPECT_NE(d.ai({"--brain", "fake", "this one fails"}).exit_code, 0);

  const auto today = utc_date(wall_clock_ms());
  // A query drains the events queued before it: the tasks are there at the first ask.
  auto r = report_of(d);
  ASSERT_TRUE(r.is_object()) << d.log();
  EXPECT_EQ(r.value("type", ""), "report") << r.dump();
  EXPECT_EQ(r.value("date", ""), today);
  EXPECT_EQ(r.value("timezone", ""), "UTC");
  EXPECT_FALSE(r.value("complete", true));
  const auto& tasks = r["report"]["tasks"];
  EXPECT_EQ(tasks.value("total", 0), 4) << r.dump();
  json by_brain;
  for (const auto& b : tasks["brains"]) by_brain[b.value("brain", "")] = b;
  EXPECT_EQ(by_brain["echo"]["by_state"].value("succeeded", 0), 3) << tasks.dump();
  EXPECT_EQ(by_brain["fake"]["by_state"].value("failed", 0), 1) << tasks.dump();
  EXPECT_GE(by_brain["echo"].value("p95_ms", -1.0), by_brain["echo"].value("p50_ms", -1.0));
  EXPECT_EQ(r["report"]["restarts"].value("starts", 0), 1) << r.dump();
  EXPECT_EQ(r["report"]["restarts"].value("unclean", -1), 0) << r.dump();

  auto text = d.ai({"report"});
  EXPECT_EQ(text.exit_code, 0) << text.err;
  EXPECT_NE(text.out.find("# PAIOS report " + today), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("| echo | 3 | 3 | 0 |"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("so far: until"), std::string::npos) << text.out;
  EXPECT_EQ(report_of(d, {"--date", today}).value("date", ""), today);

  // A kill -9, then a start: the run marker says the previous exit was unclean, and the report counts it, and the
  // alert the start raised (the alerts actor's first check, soon after the start).
  d.set_env("PAIOS_FAULT_INJECTION", "1");
  d.kill9();
  d.start();
  r = poll_until([&] { return report_of(d); },
                 [](const json& r) { return r.is_object() && r["report"]["alerts"]["by_kind"].value("unclean_exit", 0) == 1; },
                 10s);
  EXPECT_EQ(r["report"]["alerts"]["by_kind"].value("unclean_exit", 0), 1) << r.dump();
  EXPECT_EQ(r["report"]["restarts"].value("starts", 0), 2) << r.dump();
  EXPECT_EQ(r["report"]["restarts"].value("unclean", 0), 1) << r.dump();
  EXPECT_EQ(r["report"]["tasks"].value("total", 0), 4) << r.dump();
  // An actor of the tree that fails is restarted by its supervisor: an actor restart in the report.
  EXPECT_EQ(r["report"]["restarts"].value("actor_restarts", -1), 0) << r.dump();
  auto fault = request(d, {{"op", "debug.fault"}, {"actor", "notifier"}});
  ASSERT_NE(fault.value("type", ""), "error") << fault.dump();
  r = poll_until([&] { return report_of(d); },
                 [](const json& r) { return r.is_object() && r["report"]["restarts"].value("actor_restarts", 0) >= 1; }, 10s);
  EXPECT_EQ(r["report"]["restarts"].value("actor_restarts", 0), 1) << r.dump();
}

TEST(Report, ADateThatIsNoneIsRefusedByName) {
  temp_dir files;
  daemon_process d(config(files, "/bin/true"));
  d.start();
  auto bad = d.ai({"report", "--date", "2026-02-30"});
  EXPECT_NE(bad.exit_code, 0);
  EXPECT_NE(bad.err.find("'2026-02-30'"), std::string::npos) << bad.err << bad.out;
  EXPECT_NE(bad.err.find("bad_request"), std::string::npos) << bad.err << bad.out;
  // Over the wire, the same.
  auto reply = request(d, {{"op", "report.get"}, {"date", "tomorrow"}});
  EXPECT_EQ(reply.value("type", ""), "error") << reply.dump();
  EXPECT_EQ(reply.value("code", ""), "bad_request") << reply.dump();
  reply = request(d, {{"op", "report.get"}, {"date", 7}});
  EXPECT_EQ(reply.value("code", ""), "bad_request") << reply.dump();
}

TEST(Report, TheScheduledJobStoresYesterdaysReportAndNotifies) {
  temp_dir files;
  const auto notified = files.path() / "notified";
  const auto script = files.path() / "notify.sh";
  std::ofstream(script) << "#!/bin/sh\nprintf '%s|%s\\n' \"$1\" \"$2\" >> " << notified.string() << "\n";
  std::filesystem::permissions(script, std::filesystem::perms::owner_all);
  daemon_process d(config(files, script));
  d.start();
  auto jobs = request(d, {{"op", "jobs.list"}});
  json job;
  for (const auto& j : jobs.value("jobs", json::array()))
    if (j.value("name", "") == "daily-report") job = j;
  ASSERT_TRUE(job.is_object()) << jobs.dump();
  EXPECT_EQ(job.value("schedule", ""), "0 7 * * *") << job.dump();

  const auto yesterday = utc_date(wall_clock_ms() - 86400000);
  auto run = request(d, {{"op", "jobs.run"}, {"name", "daily-report"}});
  ASSERT_EQ(run.value("type", ""), "job.started") << run.dump();
  auto h = poll_until([&] { return request(d, {{"op", "jobs.history"}, {"name", "daily-report"}}); },
                      [](const json& h) { return !h.value("runs", json::array()).empty() && h["runs"][0].value("outcome", "") != "running"; },
                      20s);
  ASSERT_FALSE(h.value("runs", json::array()).empty()) << h.dump() << d.log();
  const auto& last = h["runs"][0];
  EXPECT_EQ(last.value("outcome", ""), "ok") << last.dump() << d.log();
  EXPECT_NE(last.value("summary", "").find("report " + yesterday + " stored as kb-"), std::string::npos) << last.dump();

  auto list = request(d, {{"op", "kb.list"}, {"kind", "report"}});
  ASSERT_EQ(list.value("articles", json::array()).size(), 1u) << list.dump();
  const auto& article = list["articles"][0];
  EXPECT_EQ(article.value("title", ""), "PAIOS report " + yesterday) << article.dump();
  EXPECT_EQ(article.value("kind", ""), "report");
  auto got = request(d, {{"op", "kb.get"}, {"article_id", article.value("article_id", "")}});
  EXPECT_NE(got.dump().find("## Tasks"), std::string::npos) << got.dump();

  auto line = first_line_of(notified);
  EXPECT_EQ(line.rfind("PAIOS report " + yesterday + "|", 0), 0u) << line;
  EXPECT_NE(line.find(" tasks ("), std::string::npos) << line;

  // Made again, the day's report replaces the earlier one (the same source): still one entry.
  run = request(d, {{"op", "jobs.run"}, {"name", "daily-report"}});
  ASSERT_EQ(run.value("type", ""), "job.started") << run.dump();
  h = poll_until([&] { return request(d, {{"op", "jobs.history"}, {"name", "daily-report"}}); },
                 [](const json& h) { return h.value("runs", json::array()).size() >= 2 && h["runs"][0].value("outcome", "") != "running"; },
                 20s);
  EXPECT_EQ(h["runs"][0].value("outcome", ""), "ok") << h.dump();
  list = request(d, {{"op", "kb.list"}, {"kind", "report"}});
  EXPECT_EQ(list.value("articles", json::array()).size(), 1u) << list.dump();
}

// The job on its own schedule, through the real clock: report.at set to the next whole minute (UTC), the run's
// trigger is "schedule" and the knowledge base holds the report when it has run.
TEST(Report, TheJobFiresAtReportAt) {
  temp_dir files;
  auto minute_ms = (wall_clock_ms() / 60000 + 1) * 60000;
  if (minute_ms - wall_clock_ms() < 3000) minute_ms += 60000;  // too close to start the daemon before it
  const time_t t = static_cast<time_t>(minute_ms / 1000);
  struct tm tm {};
  ::gmtime_r(&t, &tm);
  char at[8];
  std::strftime(at, sizeof at, "%H:%M", &tm);
  auto cfg = config(files, "/bin/true");
  cfg["report"]["at"] = at;
  daemon_process d(cfg);
  d.start();
  auto h = poll_until([&] { return request(d, {{"op", "jobs.history"}, {"name", "daily-report"}}); },
                      [](const json& h) { return !h.value("runs", json::array()).empty() && h["runs"][0].value("outcome", "") != "running"; },
                      std::chrono::milliseconds(minute_ms - wall_clock_ms() + 20000));
  ASSERT_FALSE(h.value("runs", json::array()).empty()) << at << " " << h.dump() << d.log();
  EXPECT_EQ(h["runs"][0].value("trigger", ""), "schedule") << h.dump();
  EXPECT_EQ(h["runs"][0].value("outcome", ""), "ok") << h.dump();
  EXPECT_GE(h["runs"][0].value("started_ms", std::int64_t{0}), minute_ms) << h.dump();
  auto list = request(d, {{"op", "kb.list"}, {"kind", "report"}});
  ASSERT_EQ(list.value("articles", json::array()).size(), 1u) << list.dump();
  EXPECT_EQ(list["articles"][0].value("title", ""), "PAIOS report " + utc_date(minute_ms - 86400000)) << list.dump();
}
