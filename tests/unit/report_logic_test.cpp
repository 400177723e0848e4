// The daily report's computation (core/report): the local day it covers (cut at local midnight, checked against
// glibc under TZ, daylight-saving days included), and the report of known events on known days written by the
// real event store (obs_db, a real SQLite file) and read back the way the report_run actor reads them; the
// report section's job fires at its local time on an injected clock.
#include <gtest/gtest.h>

#include <cstdlib>
#include <ctime>

#include <nlohmann/json.hpp>

#include "config/config.hpp"
#include "config/report_config.hpp"
#include "core/obs/event_batch.hpp"
#include "core/obs/obs_db.hpp"
#include "core/report/daily_report.hpp"
#include "core/report/report_day.hpp"
#include "core/schedule/clock.hpp"
#include "core/schedule/job_book.hpp"
#include "core/schedule/schedule.hpp"
#include "messages/ids.hpp"
#include "tests/support/test_support.hpp"

using namespace paios;
using nlohmann::json;

namespace {

sched::time_zone zone(const char* name) {
  auto tz = sched::time_zone::load(name);
  EXPECT_TRUE(tz) << tz.message();
  return tz ? *tz : sched::time_zone::utc();
}

// Unix microseconds of a UTC time given as "YYYY-MM-DDTHH:MM:SSZ".
std::int64_t utc_us(const std::string& iso) {
  struct tm tm {};
  EXPECT_NE(::strptime(iso.c_str(), "%Y-%m-%dT%H:%M:%SZ", &tm), nullptr) << iso;
  return static_cast<std::int64_t>(::timegm(&tm)) * 1000000;
}

// Local midnight of the date as glibc computes it under TZ=:name (the reference for our own reader).
std::int64_t glibc_midnight_us(const char* name, int y, int m, int d) {
  ::setenv("TZ", (std::string(":") + name).c_str(), 1);
  ::tzset();
  struct tm tm {};
  tm.tm_year = y - 1900;
  tm.tm_mon = m - 1;
  tm.tm_mday = d;
  tm.tm_isdst = -1;
  const auto t = ::mktime(&tm);
  ::unsetenv("TZ");
  ::tzset();
  return static_cast<std::int64_t>(t) * 1000000;
}

// Builds events as the daemon's components emit them (docs/protocol.md, "Traces and events").
struct day_events {
  std::vector<event_record> all;
  event_record& add(std::string category, std::string action, const std::string& at, std::string status, json data,
                    std::int64_t duration_ms = 0) {
    event_record e;
    e.time_us = utc_us(at);
    e.duration_us = duration_ms * 1000;
    e.trace = new_trace();
    e.span = new_span_id();
    e.category = std::move(category);
    e.action = std::move(action);
    e.status = std::move(status);
    e.data_json = data.dump();
    all.push_back(e);
    return all.back();
  }
  void task(const std::string& at, const std::string& brain, const std::string& state, std::int64_t ms) {
    add("task", "run", at, state == "succeeded" ? "ok" : state, {{"task_id", "t-1"}, {"brain", brain}, {"state", state}, {"tried", json::array()}}, ms);
  }
};

// The day's events as report_run reads them: one query of the real store per source, bounded by the day.
std::vector<event_record> read_day(obs_db& db, const report::report_day& day) {
  std::vector<event_record> out;
  for (const auto& [category, action] : report::report_sources()) {
    event_query q;
    q.category = category;
    q.action = action;
    q.since_us = day.since_us;
    q.until_us = day.until_us;
    q.limit = 5000;
    auto page = db.query(q);
    EXPECT_TRUE(page) << page.message();
    if (page) out.insert(out.end(), page->begin(), page->end());
  }
  return out;
}

struct stored_events {
  test::temp_dir dir;
  std::unique_ptr<obs_db> db;
  explicit stored_events(std::vector<event_record> events) {
    auto opened = obs_db::open(dir.path() / "observability.sqlite", false);
    EXPECT_TRUE(opened) << opened.message();
    db = std::move(*opened);
    event_batch batch;
    for (auto& e : events) batch.push(std::move(e));
    auto ok = db->insert(batch);
    EXPECT_TRUE(ok) << ok.message();
  }
};

// Known tasks and operations on 2026-03-28 in Berlin (UTC+1 that day), with events just outside it on both sides.
day_events berlin_day() {
  day_events ev;
  // The day runs from 2026-03-27T23:00Z to 2026-03-28T23:00Z.
  ev.task("2026-03-27T22:59:59Z", "echo", "succeeded", 5);  // the day before, local 23:59:59
  ev.task("2026-03-27T23:00:00Z", "echo", "succeeded", 10);  // local midnight: in
  for (int i = 1; i <= 8; ++i) ev.task("2026-03-28T10:00:0" + std::to_string(i) + "Z", "echo", "succeeded", 10 * i);
  ev.task("2026-03-28T11:00:00Z", "echo", "failed", 1000);
  ev.task("2026-03-28T12:00:00Z", "claude", "timed_out", 60000);
  ev.task("2026-03-28T12:30:00Z", "claude", "succeeded", 2000);
  ev.task("2026-03-28T13:00:00Z", "claude", "cancelled", 300);
  ev.task("2026-03-28T22:59:59Z", "", "failed", 1);  // refused before any brain: local 23:59:59, still in
  ev.task("2026-03-28T23:00:00Z", "echo", "succeeded", 5);  // the next day
  ev.add("task", "failover", "2026-03-28T12:00:01Z", "timeout", {{"from", "claude"}, {"task_id", "t-2"}});
  ev.add("task", "retry", "2026-03-28T12:00:02Z", "brain_failed", {{"brain", "claude"}, {"retry", 1}});
  ev.add("breaker", "transition", "2026-03-28T12:05:00Z", "open", {{"brain", "claude"}, {"from", "closed"}, {"to", "open"}});
  ev.add("breaker", "transition", "2026-03-28T12:10:00Z", "half_open", {{"brain", "claude"}, {"from", "open"}, {"to", "half_open"}});
  ev.add("config", "load", "2026-03-28T06:00:00Z", "ok", {{"previous_exit", "unclean"}, {"pid", 10}});
  ev.add("config", "load", "2026-03-28T09:00:00Z", "ok", {{"previous_exit", "clean"}, {"pid", 11}});
  ev.add("supervisor", "restart", "2026-03-28T09:30:00Z", "ok", {{"child", "dispatcher"}});
  ev.add("alerts", "raised", "2026-03-28T06:00:01Z", "ok", {{"id", 1}, {"kind", "unclean_exit"}, {"key", "paiosd"}});
  ev.add("alerts", "raised", "2026-03-28T12:06:00Z", "ok", {{"id", 2}, {"kind", "breaker_open"}, {"key", "claude"}});
  ev.add("alerts", "acknowledged", "2026-03-28T07:00:00Z", "ok", {{"id", 1}, {"kind", "unclean_exit"}});
  for (const char* a : {"ask", "ask", "ask", "approved", "denied", "expired", "promoted", "safe", "never"})
    ev.add("autonomy", a, "2026-03-28T14:00:00Z", "ok", {{"tool", "Bash"}});
  ev.add("scheduler", "run", "2026-03-28T08:00:00Z", "ok", {{"job", "heartbeat"}});
  ev.add("scheduler", "run", "2026-03-28T08:30:00Z", "ok", {{"job", "heartbeat"}});
  ev.add("scheduler", "run", "2026-03-28T09:00:00Z", "failed", {{"job", "digest"}});
  ev.add("scheduler", "run", "2026-03-28T10:00:00Z", "timeout", {{"job", "digest"}});
  ev.add("kb", "add", "2026-03-28T15:00:00Z", "ok", {{"article_id", "a-1"}, {"added", true}, {"kind", "document"}});
  ev.add("kb", "add", "2026-03-28T15:01:00Z", "ok", {{"article_id", "a-1"}, {"added", false}, {"kind", "document"}});
  ev.add("kb", "add", "2026-03-28T15:02:00Z", "ok", {{"article_id", "a-2"}, {"added", true}, {"kind", "learning"}});
  ev.add("kb", "add", "2026-03-28T15:03:00Z", "store_failed", {{"error", "disk full"}});
  ev.add("brain", "call", "2026-03-28T10:00:01Z", "ok", {{"brain", "echo"}, {"task_id", "t-1"}});
  ev.add("route", "classify", "2026-03-28T10:00:01Z", "ok", {{"brain", "echo"}});  // not a source: not read
  return ev;
}

}  // namespace

TEST(ReportDay, CutAtLocalMidnightAsGlibcUnderTZ) {
  struct day { const char* zone; int y, m, d; double hours; };
  // Ordinary days, a spring-forward (23 h) and a fall-back (25 h) in both hemispheres, and a zone whose clocks
  // skip midnight itself on its spring-forward (Santiago: 00:00 becomes 01:00).
  for (const auto& c : {day{"Europe/Berlin", 2026, 3, 28, 24}, day{"Europe/Berlin", 2026, 3, 29, 23},
                        day{"Europe/Berlin", 2026, 10, 25, 25}, day{"America/New_York", 2026, 3, 8, 23},
                        day{"America/New_York", 2026, 11, 1, 25}, day{"Australia/Sydney", 2026, 4, 5, 25},
                        day{"America/Santiago", 2026, 9, 6, 23}, day{"Asia/Kolkata", 2026, 12, 7, 24},
                        day{"UTC", 2026, 12, 7, 24}}) {
    char date[16];
    std::snprintf(date, sizeof date, "%04d-%02d-%02d", c.y, c.m, c.d);
    auto d = report::resolve_day(date, zone(c.zone), 0);
    ASSERT_TRUE(d) << d.message();
    EXPECT_EQ(d->date, date);
    EXPECT_EQ(d->since_us, glibc_midnight_us(c.zone, c.y, c.m, c.d)) << c.zone << " " << date;
    // The next midnight (mktime normalizes day 32 and the like).
    EXPECT_EQ(d->until_us, glibc_midnight_us(c.zone, c.y, c.m, c.d + 1)) << c.zone << " " << date;
    EXPECT_EQ(static_cast<double>(d->until_us - d->since_us) / 3.6e9, c.hours) << c.zone << " " << date;
  }
}

TEST(ReportDay, TodayAndYesterdayCountFromNowInTheZone) {
  const auto ny = zone("America/New_York");
  const auto now_ms = utc_us("2026-12-08T03:30:00Z") / 1000;  // 22:30 on the 7th in New York, the 8th in UTC
  EXPECT_EQ(report::resolve_day("today", ny, now_ms)->date, "2026-12-07");
  EXPECT_EQ(report::resolve_day("", ny, now_ms)->date, "2026-12-07");
  EXPECT_EQ(report::resolve_day("yesterday", ny, now_ms)->date, "2026-12-06");
  EXPECT_EQ(report::resolve_day("today", sched::time_zone::utc(), now_ms)->date, "2026-12-08");
  EXPECT_EQ(report::day_of(now_ms, ny, 0).date, "2026-12-07");
  // Across a month and a year.
  EXPECT_EQ(report::resolve_day("yesterday", sched::time_zone::utc(), utc_us("2027-01-01T00:00:00Z") / 1000)->date, "2026-12-31");
}

TEST(ReportDay, ADateThatIsNoneIsRefusedByName) {
  for (const char* bad : {"2026-13-01", "2026-02-29", "2026-04-31", "2026-00-10", "26-12-07", "2026/12/07", "tomorrow",
                          "2026-12-7", "2026-12-07x"}) {
    auto d = report::resolve_day(bad, sched::time_zone::utc(), 0);
    ASSERT_FALSE(d) << bad;
    EXPECT_EQ(d.error().code(), errc::bad_request);
    EXPECT_NE(d.message().find(std::string{"'"} + bad + "'"), std::string::npos) << d.message();
    EXPECT_NE(d.message().find("YYYY-MM-DD"), std::string::npos) << d.message();
  }
  EXPECT_TRUE(report::resolve_day("2028-02-29", sched::time_zone::utc(), 0));  // a leap day
}

TEST(DailyReport, KnownEventsOfAKnownDayFromTheEventStore) {
  const auto berlin = zone("Europe/Berlin");
  stored_events store(berlin_day().all);
  const auto day = *report::resolve_day("2026-03-28", berlin, 0);
  const auto r = report::compute(day, berlin, read_day(*store.db, day), utc_us("2026-03-29T06:00:00Z"));

  EXPECT_TRUE(r.complete);
  EXPECT_EQ(r.timezone, "Europe/Berlin");
  EXPECT_EQ(r.tasks, 14);  // 10 echo, 3 claude, 1 refused; the two outside the day are not counted
  EXPECT_EQ(r.task_states.at("succeeded"), 10);
  EXPECT_EQ(r.task_states.at("failed"), 2);
  EXPECT_EQ(r.task_states.at("timed_out"), 1);
  EXPECT_EQ(r.task_states.at("cancelled"), 1);
  const auto& echo = r.brains.at("echo");
  EXPECT_EQ(echo.total, 10);
  EXPECT_EQ(echo.by_state.at("succeeded"), 9);
  EXPECT_EQ(echo.by_state.at("failed"), 1);
  // echo's latencies: 10, 10, 20, ..., 80, 1000 ms: the 5th of 10 is 40 ms, the 10th (95 %) 1000 ms.
  EXPECT_DOUBLE_EQ(echo.p50_ms, 40);
  EXPECT_DOUBLE_EQ(echo.p95_ms, 1000);
  const auto& claude = r.brains.at("claude");
  EXPECT_EQ(claude.total, 3);
  EXPECT_DOUBLE_EQ(claude.p50_ms, 2000);
  EXPECT_DOUBLE_EQ(claude.p95_ms, 60000);
  EXPECT_EQ(r.brains.at("none").total, 1);
  EXPECT_EQ(r.failovers, 1);
  EXPECT_EQ(r.retries, 1);
  EXPECT_EQ(r.breaker_trips, (std::map<std::string, std::int64_t>{{"claude", 1}}));
  EXPECT_EQ(r.starts, 2);
  EXPECT_EQ(r.unclean_starts, 1);
  EXPECT_EQ(r.actor_restarts, 1);
  EXPECT_EQ(r.alerts_raised, 2);
  EXPECT_EQ(r.alerts_by_kind.at("unclean_exit"), 1);
  EXPECT_EQ(r.alerts_acknowledged, 1);
  EXPECT_EQ(r.approvals_asked, 3);
  EXPECT_EQ(r.approved, 1);
  EXPECT_EQ(r.denied, 1);
  EXPECT_EQ(r.expired, 1);
  EXPECT_EQ(r.promotions, 1);
  EXPECT_EQ(r.job_runs_total, 4);
  EXPECT_EQ(r.job_runs_failed, 2);
  EXPECT_EQ(r.jobs.at("heartbeat").by_outcome.at("ok"), 2);
  EXPECT_EQ(r.jobs.at("digest").runs, 2);
  EXPECT_EQ(r.kb_added, 2);  // the same content again and a failed add are no growth
  EXPECT_EQ(r.kb_by_kind, (std::map<std::string, std::int64_t>{{"document", 1}, {"learning", 1}}));
  EXPECT_FALSE(r.usage_recorded);

  const auto j = report::to_json(r);
  EXPECT_EQ(j["date"], "2026-03-28");
  EXPECT_EQ(j["tasks"]["total"], 14);
  EXPECT_EQ(j["restarts"]["clean"], 1);
  EXPECT_EQ(j["usage"], json({{"recorded", false}}));

  const auto md = report::markdown(r);
  EXPECT_EQ(report::title(r), "PAIOS report 2026-03-28");
  EXPECT_EQ(md.rfind("# PAIOS report 2026-03-28\n", 0), 0u) << md;
  EXPECT_NE(md.find("14 tasks: 10 succeeded, 2 failed, 1 cancelled, 1 timed_out"), std::string::npos) << md;
  EXPECT_NE(md.find("| echo | 10 | 9 | 1 | 0 | 0 | 0 | 40 ms | 1.0 s |"), std::string::npos) << md;
  EXPECT_NE(md.find("Breaker trips: 1 (claude 1)"), std::string::npos) << md;
  EXPECT_NE(md.find("Daemon starts: 2 (after an unclean exit: 1, after an orderly stop: 1)"), std::string::npos) << md;
  EXPECT_NE(md.find("Raised: 2 (breaker_open 1, unclean_exit 1)"), std::string::npos) << md;
  EXPECT_NE(md.find("Asked: 3; approved: 1; denied: 1; expired: 1"), std::string::npos) << md;
  EXPECT_NE(md.find("| digest | 2 | 0 | 1 | 1 | 0 |"), std::string::npos) << md;
  EXPECT_NE(md.find("Entries added: 2 (document 1, learning 1)"), std::string::npos) << md;
  EXPECT_NE(md.find("Not recorded"), std::string::npos) << md;
  const auto s = report::summary(r);
  EXPECT_NE(s.find("14 tasks (10 succeeded, 4 not)"), std::string::npos) << s;
  EXPECT_NE(s.find("1 failovers, 1 breaker trips"), std::string::npos) << s;
  EXPECT_NE(s.find("2 starts (1 after an unclean exit)"), std::string::npos) << s;
}

TEST(DailyReport, TheNeighbouringDaysSeeOnlyTheirOwnEvents) {
  const auto berlin = zone("Europe/Berlin");
  stored_events store(berlin_day().all);
  const auto before = *report::resolve_day("2026-03-27", berlin, 0);
  const auto after = *report::resolve_day("2026-03-29", berlin, 0);
  const auto now = utc_us("2026-03-30T00:00:00Z");
  const auto r1 = report::compute(before, berlin, read_day(*store.db, before), now);
  const auto r2 = report::compute(after, berlin, read_day(*store.db, after), now);
  EXPECT_EQ(r1.tasks, 1);
  EXPECT_DOUBLE_EQ(r1.brains.at("echo").p50_ms, 5);
  EXPECT_EQ(r2.tasks, 1);
  EXPECT_EQ(r2.starts, 0);
  EXPECT_EQ(r2.kb_added, 0);
  // The same instants in UTC fall on other days: the zone decides.
  const auto utc_day = *report::resolve_day("2026-03-28", sched::time_zone::utc(), 0);
  const auto ru = report::compute(utc_day, sched::time_zone::utc(), read_day(*store.db, utc_day), now);
  EXPECT_EQ(ru.tasks, 14);  // loses local midnight's task (the 27th in UTC), gains the 23:00Z one
  EXPECT_EQ(ru.brains.count("none"), 1u);
}

TEST(DailyReport, TodaySoFarAndUsageWhenTheEventsCarryIt) {
  const auto ny = zone("America/New_York");
  day_events ev;
  ev.task("2026-12-07T15:00:00Z", "claude", "succeeded", 1200);
  ev.add("brain", "call", "2026-12-07T15:00:00Z", "ok",
         {{"brain", "claude"}, {"usage", {{"input_tokens", 1200}, {"output_tokens", 300}}}, {"cost_usd", 0.0125}});
  ev.add("brain", "call", "2026-12-07T16:00:00Z", "ok",
         {{"brain", "claude"}, {"usage", {{"input_tokens", 800}, {"output_tokens", 200}}}, {"cost_usd", 0.0075}});
  stored_events store(ev.all);
  const auto now_ms = utc_us("2026-12-07T19:45:00Z") / 1000;  // 14:45 in New York
  const auto day = *report::resolve_day("today", ny, now_ms);
  const auto r = report::compute(day, ny, read_day(*store.db, day), now_ms * 1000);
  EXPECT_FALSE(r.complete);
  EXPECT_EQ(r.made_local, "14:45");
  EXPECT_TRUE(r.usage_recorded);
  EXPECT_EQ(r.input_tokens, 2000);
  EXPECT_EQ(r.output_tokens, 500);
  EXPECT_DOUBLE_EQ(r.cost_usd, 0.02);
  const auto md = report::markdown(r);
  EXPECT_NE(md.find("(America/New_York), so far: until 14:45."), std::string::npos) << md;
  EXPECT_NE(md.find("Tokens: 2000 in, 500 out"), std::string::npos) << md;
  EXPECT_NE(md.find("Cost: $0.0200"), std::string::npos) << md;
}

TEST(DailyReport, ReportSectionMakesAJobThatFiresAtItsLocalTime) {
  auto doc = default_config();
  auto job = read_report_job(doc["report"]);
  ASSERT_TRUE(job);
  EXPECT_EQ(job->name, "daily-report");
  EXPECT_EQ(job->builtin, "report");
  EXPECT_TRUE(job->notify);
  EXPECT_EQ(job->schedule, "0 7 * * *");
  doc["report"]["at"] = "23:05";
  EXPECT_EQ(read_report_job(doc["report"])->schedule, "5 23 * * *");
  doc["report"]["enabled"] = false;
  EXPECT_FALSE(read_report_job(doc["report"]));

  // Three days on an injected clock across Berlin's spring-forward: 07:00 local each day (06:00Z, then 05:00Z).
  sched::manual_clock clock(sched::instant(std::chrono::milliseconds(utc_us("2026-03-27T12:00:00Z") / 1000)));
  sched::job_book book(zone("Europe/Berlin"), sched::backoff_policy{});
  book.add({job->name, *sched::schedule::parse(job->schedule)});
  book.restore(clock.now(), {});
  std::vector<std::int64_t> fired;
  for (int minute = 0; minute < 3 * 24 * 60; ++minute) {
    clock.advance(std::chrono::minutes(1));
    for (const auto& f : book.tick(clock.now()))
      if (f.kind == sched::job_book::fire::run) {
        fired.push_back(clock.now().time_since_epoch().count() * 1000);
        book.finished(f.name, clock.now(), true);
      }
  }
  EXPECT_EQ(fired, (std::vector<std::int64_t>{utc_us("2026-03-28T06:00:00Z"), utc_us("2026-03-29T05:00:00Z"),
                                              utc_us("2026-03-30T05:00:00Z")}));
  // Each run reports the local day before the one it runs in.
  EXPECT_EQ(report::day_of(fired[1] / 1000, zone("Europe/Berlin"), 1).date, "2026-03-28");
}

TEST(DailyReport, ConfigRefusesABadTimeAndATakenJobName) {
  auto r = config_from_json({{"report", {{"at", "7:00"}}}});
  ASSERT_FALSE(r.errors.empty());
  EXPECT_NE(r.errors.front().find("report.at"), std::string::npos) << r.errors.front();
  r = config_from_json({{"scheduler", {{"jobs", {{"daily-report", {{"schedule", "every 1h"}, {"action", {{"builtin", "heartbeat"}}}}}}}}}});
  bool named = false;
  for (const auto& e : r.errors)
    named = named || e.find("report.enabled: scheduler.jobs already has a job named \"daily-report\"") != std::string::npos;
  EXPECT_TRUE(named) << json(r.errors).dump();
  // Disabled, the name is free, and the daemon has no report job.
  r = config_from_json({{"report", {{"enabled", false}}}});
  ASSERT_TRUE(r.config) << json(r.errors).dump();
  for (const auto& j : r.config->scheduler.jobs) EXPECT_NE(j.builtin, "report");
  r = config_from_json(json::object());
  ASSERT_TRUE(r.config);
  bool has = false;
  for (const auto& j : r.config->scheduler.jobs) has = has || (j.name == "daily-report" && j.builtin == "report");
  EXPECT_TRUE(has);
}
