// The scheduler's logic without an actor runtime: time zones against glibc, cron expressions against a table
// (daylight-saving transitions in Europe/Berlin and America/New_York included), intervals, parse errors,
// backoff and missed-run policies on the manual clock (days of schedule in milliseconds); the notifier's command
// runner; the scheduler's configuration.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <ctime>

#include "config/config.hpp"
#include "core/process/run_command.hpp"
#include "core/schedule/clock.hpp"
#include "core/schedule/job_book.hpp"
#include "core/schedule/schedule.hpp"
#include "core/schedule/time_zone.hpp"

using namespace paios::sched;
using namespace std::chrono_literals;

namespace {

// "2026-03-29T01:00Z" (minutes) or "...T01:00:30Z" as an instant.
instant at(const char* iso) {
  int y, mo, d, h, mi, s = 0;
  if (std::sscanf(iso, "%d-%d-%dT%d:%d:%dZ", &y, &mo, &d, &h, &mi, &s) < 5) ADD_FAILURE() << iso;
  return from_unix_seconds(days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + s);
}

std::string iso(instant t) {
  const auto s = unix_seconds(t);
  std::int64_t y;
  unsigned m, d;
  civil_from_days(s / 86400, y, m, d);
  char buf[40];
  std::snprintf(buf, sizeof buf, "%04lld-%02u-%02uT%02lld:%02lld:%02lldZ", static_cast<long long>(y), m, d,
                static_cast<long long>(s % 86400 / 3600), static_cast<long long>(s % 3600 / 60),
                static_cast<long long>(s % 60));
  return buf;
}

time_zone zone(const char* name) {
  auto tz = time_zone::load(name);
  if (!tz) ADD_FAILURE() << tz.message();
  return tz ? *tz : time_zone::utc();
}

schedule parsed(const std::string& text) {
  auto s = schedule::parse(text);
  if (!s) ADD_FAILURE() << s.message();
  return s ? *s : *schedule::parse("* * * * *");
}

}  // namespace

TEST(TimeZone, OffsetsAgreeWithGlibcHourByHour) {
  // Including years past the files' last transition (the POSIX footer rule) and half-hour and southern zones.
  for (const char* name : {"Europe/Berlin", "America/New_York", "Australia/Sydney", "Australia/Lord_Howe",
                           "America/Santiago", "Asia/Kolkata", "UTC"}) {
    const auto tz = zone(name);
    ::setenv("TZ", (std::string(":") + name).c_str(), 1);
    ::tzset();
    int mismatches = 0;
    for (std::int64_t t = days_from_civil(1990, 1, 1) * 86400; t < days_from_civil(2060, 1, 1) * 86400;
         t += 3600) {
      const time_t tt = static_cast<time_t>(t);
      struct tm tm {};
      ::localtime_r(&tt, &tm);
      if (tm.tm_gmtoff != tz.offset_at(t) && ++mismatches < 5)
        ADD_FAILURE() << name << " at " << iso(from_unix_seconds(t)) << ": glibc " << tm.tm_gmtoff << ", ours "
                      << tz.offset_at(t);
    }
    EXPECT_EQ(mismatches, 0) << name;
  }
  ::unsetenv("TZ");
  ::tzset();
}

TEST(TimeZone, PosixRules) {
  auto berlin = posix_tz::parse("CET-1CEST,M3.5.0,M10.5.0/3");
  ASSERT_TRUE(berlin) << berlin.message();
  EXPECT_EQ(berlin->offset_at(unix_seconds(at("2040-03-25T00:59:59Z"))), 3600);
  EXPECT_EQ(berlin->offset_at(unix_seconds(at("2040-03-25T01:00:00Z"))), 7200);
  EXPECT_EQ(berlin->offset_at(unix_seconds(at("2040-10-28T00:59:59Z"))), 7200);
  EXPECT_EQ(berlin->offset_at(unix_seconds(at("2040-10-28T01:00:00Z"))), 3600);
  auto fixed = posix_tz::parse("<+03>-3");
  ASSERT_TRUE(fixed) << fixed.message();
  EXPECT_EQ(fixed->offset_at(0), 10800);
  auto south = posix_tz::parse("AEST-10AEDT,M10.1.0,M4.1.0/3");  // Sydney: daylight across new year
  ASSERT_TRUE(south) << south.message();
  EXPECT_EQ(south->offset_at(unix_seconds(at("2050-01-15T00:00Z"))), 39600);
  EXPECT_EQ(south->offset_at(unix_seconds(at("2050-07-15T00:00Z"))), 36000);
  auto bad = posix_tz::parse("CET-1CEST,M13.5.0,M10.5.0");
  EXPECT_FALSE(bad);
  EXPECT_EQ(bad.code(), paios::errc::bad_request);
  EXPECT_NE(bad.message().find("start rule"), std::string::npos) << bad.message();
}

TEST(TimeZone, RefusesNamesOutsideTheZoneDirectory) {
  auto unsafe = time_zone::load("../../etc/passwd");
  EXPECT_FALSE(unsafe);
  EXPECT_EQ(unsafe.code(), paios::errc::bad_request);
  EXPECT_NE(unsafe.message().find("not a zone name"), std::string::npos) << unsafe.message();
  auto missing = time_zone::load("Mars/Olympus_Mons");
  EXPECT_FALSE(missing);
  EXPECT_EQ(missing.code(), paios::errc::not_found);
  EXPECT_NE(missing.message().find("no such zone"), std::string::npos) << missing.message();
  auto garbage = time_zone::from_tzif("bad", "not a tzif file at all, not even close, really no...");
  EXPECT_FALSE(garbage);
  EXPECT_EQ(garbage.code(), paios::errc::bad_request);
}

TEST(TimeZone, LocalTimesInGapsAndFolds) {
  const auto berlin = zone("Europe/Berlin");
  const auto local = [](const char* s) { return unix_seconds(at(s)); };  // a local time written as if UTC
  auto r = berlin.from_local(local("2026-03-29T02:30Z"));
  EXPECT_EQ(r.kind, time_zone::local_result::skipped);
  EXPECT_EQ(iso(from_unix_seconds(r.first)), "2026-03-29T01:00:00Z");
  r = berlin.from_local(local("2026-10-25T02:30Z"));
  EXPECT_EQ(r.kind, time_zone::local_result::repeated);
  EXPECT_EQ(iso(from_unix_seconds(r.first)), "2026-10-25T00:30:00Z");
  EXPECT_EQ(iso(from_unix_seconds(r.second)), "2026-10-25T01:30:00Z");
  r = berlin.from_local(local("2026-07-01T12:00Z"));
  EXPECT_EQ(r.kind, time_zone::local_result::unique);
  EXPECT_EQ(iso(from_unix_seconds(r.first)), "2026-07-01T10:00:00Z");
}

struct cron_case {
  const char* zone;
  const char* expr;
  const char* after;
  const char* next;  // UTC
};

TEST(Schedule, CronTable) {
  const cron_case cases[] = {
      {"UTC", "*/15 * * * *", "2026-01-01T00:07Z", "2026-01-01T00:15:00Z"},
      {"UTC", "0 0 * * *", "2026-01-01T00:00Z", "2026-01-02T00:00:00Z"},  // strictly after
      {"UTC", "@hourly", "2026-01-01T10:59:59Z", "2026-01-01T11:00:00Z"},
      {"UTC", "@daily", "2026-01-01T10:00Z", "2026-01-02T00:00:00Z"},
      {"UTC", "@midnight", "2026-01-01T10:00Z", "2026-01-02T00:00:00Z"},
      {"UTC", "@weekly", "2026-01-01T00:00Z", "2026-01-04T00:00:00Z"},  // Thursday to Sunday
      {"UTC", "0 0 * * 7", "2026-01-01T00:00Z", "2026-01-04T00:00:00Z"},  // 7 is Sunday too
      {"UTC", "@monthly", "2026-01-01T00:00Z", "2026-02-01T00:00:00Z"},
      {"UTC", "@yearly", "2026-01-01T00:00Z", "2027-01-01T00:00:00Z"},
      {"UTC", "@annually", "2026-06-01T00:00Z", "2027-01-01T00:00:00Z"},
      {"UTC", "0 9 * * MON-FRI", "2026-01-02T10:00Z", "2026-01-05T09:00:00Z"},  // Friday past 9 to Monday
      {"UTC", "0 9 * * mon-fri", "2026-01-05T08:59Z", "2026-01-05T09:00:00Z"},
      {"UTC", "0 0 13 * FRI", "2026-01-01T00:00Z", "2026-01-02T00:00:00Z"},  // both restricted: either day
      {"UTC", "0 0 13 * FRI", "2026-01-10T00:00Z", "2026-01-13T00:00:00Z"},
      {"UTC", "0 0 */10 * *", "2026-01-01T01:00Z", "2026-01-11T00:00:00Z"},  // 1, 11, 21, 31
      {"UTC", "0 0 */10 * MON", "2026-01-01T01:00Z", "2026-05-11T00:00:00Z"},  // "*..." day: both must match
      {"UTC", "0 0 29 FEB *", "2026-01-01T00:00Z", "2028-02-29T00:00:00Z"},
      {"UTC", "0 12 * JAN,jul SUN", "2026-02-01T00:00Z", "2026-07-05T12:00:00Z"},
      {"UTC", "5/20 * * * *", "2026-01-01T00:06Z", "2026-01-01T00:25:00Z"},
      {"UTC", "1-10/3,30 * * * *", "2026-01-01T00:08Z", "2026-01-01T00:10:00Z"},
      {"UTC", "1-10/3,30 * * * *", "2026-01-01T00:10Z", "2026-01-01T00:30:00Z"},
      {"UTC", "0 0 1 1 *", "2026-12-31T23:59:59Z", "2027-01-01T00:00:00Z"},
      {"UTC", "59 23 31 12 *", "2026-01-01T00:00Z", "2026-12-31T23:59:00Z"},
      // Europe/Berlin: spring forward 2026-03-29 02:00 CET -> 03:00 CEST (01:00Z); fall back 2026-10-25
      // 03:00 CEST -> 02:00 CET (01:00Z).
      {"Europe/Berlin", "0 12 * * *", "2026-01-01T00:00Z", "2026-01-01T11:00:00Z"},
      {"Europe/Berlin", "0 12 * * *", "2026-07-01T00:00Z", "2026-07-01T10:00:00Z"},
      {"Europe/Berlin", "30 2 * * *", "2026-03-28T12:00Z", "2026-03-29T01:00:00Z"},  // skipped: at the gap's end
      {"Europe/Berlin", "30 2 * * *", "2026-03-29T01:00Z", "2026-03-30T00:30:00Z"},
      {"Europe/Berlin", "*/30 2 * * *", "2026-03-29T00:00Z", "2026-03-29T01:00:00Z"},  // two skipped, one run
      {"Europe/Berlin", "*/30 2 * * *", "2026-03-29T01:00Z", "2026-03-30T00:00:00Z"},
      {"Europe/Berlin", "0 * * * *", "2026-03-29T00:00Z", "2026-03-29T01:00:00Z"},  // 03:00 CEST once
      {"Europe/Berlin", "0 * * * *", "2026-03-29T01:00Z", "2026-03-29T02:00:00Z"},
      {"Europe/Berlin", "30 2 * * *", "2026-10-24T12:00Z", "2026-10-25T00:30:00Z"},  // repeated: first one
      {"Europe/Berlin", "30 2 * * *", "2026-10-25T00:30Z", "2026-10-26T01:30:00Z"},  // not again at 01:30Z
      {"Europe/Berlin", "0 * * * *", "2026-10-25T00:00Z", "2026-10-25T02:00:00Z"},  // 02:00 CET not again
      {"Europe/Berlin", "30 2 * * *", "2040-03-24T12:00Z", "2040-03-25T01:00:00Z"},  // past the file: footer
      {"Europe/Berlin", "30 2 * * *", "2040-10-27T12:00Z", "2040-10-28T00:30:00Z"},
      // America/New_York: 2026-03-08 02:00 EST -> 03:00 EDT (07:00Z); 2026-11-01 02:00 EDT -> 01:00 EST (06:00Z).
      {"America/New_York", "30 2 * * *", "2026-03-07T12:00Z", "2026-03-08T07:00:00Z"},
      {"America/New_York", "30 2 * * *", "2026-03-08T07:00Z", "2026-03-09T06:30:00Z"},
      {"America/New_York", "0 9 * * *", "2026-03-08T12:00Z", "2026-03-08T13:00:00Z"},
      {"America/New_York", "30 1 * * *", "2026-10-31T12:00Z", "2026-11-01T05:30:00Z"},
      {"America/New_York", "30 1 * * *", "2026-11-01T05:30Z", "2026-11-02T06:30:00Z"},
      {"America/New_York", "@daily", "2026-11-01T03:00Z", "2026-11-01T04:00:00Z"},
      {"America/New_York", "@daily", "2026-11-01T04:00Z", "2026-11-02T05:00:00Z"},
  };
  for (const auto& c : cases) {
    const auto tz = zone(c.zone);
    const auto next = parsed(c.expr).next_after(at(c.after), tz);
    ASSERT_TRUE(next) << c.expr;
    EXPECT_EQ(iso(*next), c.next) << c.zone << " \"" << c.expr << "\" after " << c.after;
  }
}

TEST(Schedule, Intervals) {
  const auto tz = time_zone::utc();
  EXPECT_EQ(parsed("every 30s").interval(), 30s);
  EXPECT_EQ(parsed("every 5m").interval(), 300s);
  EXPECT_EQ(parsed("every 4h").interval(), 4h);
  EXPECT_EQ(parsed("every 1d").interval(), 24h);
  EXPECT_EQ(parsed("every 2 h").interval(), 2h);
  EXPECT_TRUE(parsed("every 4h").is_interval());
  EXPECT_FALSE(parsed("@hourly").is_interval());
  // Real elapsed time: across a daylight-saving change an interval stays 4 hours.
  const auto berlin = zone("Europe/Berlin");
  EXPECT_EQ(iso(*parsed("every 4h").next_after(at("2026-03-28T23:00Z"), berlin)), "2026-03-29T03:00:00Z");
  EXPECT_EQ(iso(*parsed("every 30s").next_after(at("2026-01-01T00:00Z"), tz)), "2026-01-01T00:00:30Z");
}

TEST(Schedule, ParseErrorsNameTheField) {
  const std::pair<const char*, const char*> cases[] = {
      {"61 * * * *", "minute field \"61\": 61 is not in 0-59"},
      {"* 24 * * *", "hour field"},
      {"* * 0 * *", "day-of-month field"},
      {"* * * 13 *", "month field"},
      {"* * * FOO *", "month field \"FOO\""},
      {"* * * * 8", "day-of-week field"},
      {"* * * * FUN", "day-of-week field"},
      {"5-1 * * * *", "runs backwards"},
      {"*/0 * * * *", "step"},
      {"1,,2 * * * *", "empty list item"},
      {"* *", "5 fields"},
      {"* * * * * *", "5 fields"},
      {"@reboot", "unknown shorthand"},
      {"0 0 30 2 *", "no date"},
      {"every", "every N"},
      {"every 5x", "every N"},
      {"every 0s", "1s to 366d"},
      {"", "5 fields"},
  };
  for (const auto& [text, expected] : cases) {
    auto s = schedule::parse(text);
    EXPECT_FALSE(s) << text;
    EXPECT_EQ(s.code(), paios::errc::bad_request) << text;
    EXPECT_NE(s.message().find(expected), std::string::npos) << text << " -> " << s.message();
  }
}

// ---- the job book on the manual clock ------------------------------------------------------------------

namespace {

// Runs the book from `start` for `span`, ticking every `step`; each run ends at once, failing when `fail`.
int run_days(job_book& book, manual_clock& clock, std::chrono::milliseconds span, std::chrono::milliseconds step,
             std::vector<instant>* runs = nullptr, bool fail = false) {
  int count = 0;
  const auto end = clock.now() + span;
  while (clock.now() < end) {
    clock.advance(step);
    for (const auto& f : book.tick(clock.now())) {
      if (f.kind != job_book::fire::run) continue;
      ++count;
      if (runs) runs->push_back(clock.now());
      book.finished(f.name, clock.now(), !fail);
    }
  }
  return count;
}

job_def job(const char* name, const char* when, missed_policy missed = missed_policy::skip, bool overlap = false) {
  return job_def{name, parsed(when), missed, overlap};
}

}  // namespace

TEST(JobBook, DaysOfScheduleInMilliseconds) {
  manual_clock clock(at("2026-03-27T00:00Z"));
  job_book book(zone("Europe/Berlin"), backoff_policy{});
  book.add(job("interval", "every 4h"));
  book.add(job("nightly", "0 3 * * *"));
  book.restore(clock.now(), {});
  std::vector<instant> runs;
  // A week of minutes, across the spring-forward: the interval runs 42 times, the nightly job 7 times at 03:00
  // local (02:00Z before the change, 01:00Z after).
  const int total = run_days(book, clock, std::chrono::hours(24 * 7), std::chrono::minutes(1), &runs);
  EXPECT_EQ(total, 42 + 7);
  int nightly = 0;
  for (auto t : runs) {
    const auto s = iso(t);
    if (s.substr(11) == "02:00:00Z" && s < "2026-03-29") ++nightly;
    if (s.substr(11) == "01:00:00Z" && s > "2026-03-29") ++nightly;
  }
  EXPECT_EQ(nightly, 7);
}

TEST(JobBook, BackoffDoublesToItsLimitAndSuccessEndsIt) {
  backoff_policy b;
  EXPECT_EQ(b.delay(1), 30s);
  EXPECT_EQ(b.delay(2), 60s);
  EXPECT_EQ(b.delay(3), 120s);
  EXPECT_EQ(b.delay(8), 3600s);  // 30 * 128 = 3840, capped
  EXPECT_EQ(b.delay(100), 3600s);

  manual_clock clock(at("2026-01-01T00:00Z"));
  job_book book(time_zone::utc(), b);
  book.add(job("flaky", "every 10s"));
  book.restore(clock.now(), {});
  std::vector<instant> runs;
  // Failing for a day: runs at 10 s, then +30, +60, +120, ... +3600, +3600, ...
  run_days(book, clock, std::chrono::hours(24), std::chrono::seconds(1), &runs, /*fail=*/true);
  ASSERT_GE(runs.size(), 10u);
  for (std::size_t k = 1; k < runs.size(); ++k)
    EXPECT_EQ(runs[k] - runs[k - 1], std::chrono::milliseconds(b.delay(static_cast<int>(k)))) << k;
  EXPECT_TRUE(book.status("flaky").backing_off);
  EXPECT_EQ(book.status("flaky").failures, static_cast<int>(runs.size()));
  // The store keeps the backoff: a restart resumes it.
  const auto saved = book.saved("flaky");
  EXPECT_EQ(saved.failures, static_cast<int>(runs.size()));
  // One success and the job is back on its 10 s schedule.
  runs.clear();
  clock.set(*book.status("flaky").next_due);
  for (const auto& f : book.tick(clock.now())) book.finished(f.name, clock.now(), true);
  EXPECT_EQ(book.status("flaky").failures, 0);
  EXPECT_EQ(run_days(book, clock, std::chrono::minutes(1), std::chrono::seconds(1), &runs), 6);
}

TEST(JobBook, MissedWhileDownSkipOrRunOnce) {
  const auto down_from = at("2026-01-01T00:00Z");
  const auto back_at = at("2026-01-03T12:00Z");  // two and a half days later
  for (auto policy : {missed_policy::skip, missed_policy::run_once}) {
    job_book before(time_zone::utc(), backoff_policy{});
    before.add(job("hourly", "@hourly", policy));
    before.restore(down_from, {});
    const auto saved = before.saved("hourly");
    EXPECT_EQ(iso(*saved.next_due), "2026-01-01T01:00:00Z");

    manual_clock clock(back_at);
    job_book after(time_zone::utc(), backoff_policy{});
    after.add(job("hourly", "@hourly", policy));
    const auto dropped = after.restore(clock.now(), {{"hourly", saved}});
    const auto fires = after.tick(clock.now());
    if (policy == missed_policy::skip) {
      EXPECT_EQ(dropped.size(), 1u);
      EXPECT_TRUE(fires.empty());
    } else {
      EXPECT_TRUE(dropped.empty());
      ASSERT_EQ(fires.size(), 1u);  // once, not 59 times
      EXPECT_EQ(fires[0].kind, job_book::fire::run);
      after.finished("hourly", clock.now(), true);
    }
    EXPECT_EQ(iso(*after.status("hourly").next_due), "2026-01-03T13:00:00Z");
    EXPECT_EQ(run_days(after, clock, std::chrono::hours(1), std::chrono::seconds(10)), 1);
  }
}

TEST(JobBook, MissedWhileAsleepSkipOrRunOnce) {
  for (auto policy : {missed_policy::skip, missed_policy::run_once}) {
    manual_clock clock(at("2026-01-01T00:00Z"));
    job_book book(time_zone::utc(), backoff_policy{}, std::chrono::seconds(60));
    book.add(job("hourly", "@hourly", policy));
    book.restore(clock.now(), {});
    clock.advance(std::chrono::hours(5) + std::chrono::minutes(30));  // the machine slept
    const auto fires = book.tick(clock.now());
    ASSERT_EQ(fires.size(), 1u);
    EXPECT_EQ(fires[0].kind, policy == missed_policy::skip ? job_book::fire::skipped : job_book::fire::run);
    EXPECT_EQ(iso(*book.status("hourly").next_due), "2026-01-01T06:00:00Z");
  }
}

TEST(JobBook, OverlapIsRefusedUnlessAllowed) {
  manual_clock clock(at("2026-01-01T00:00Z"));
  job_book book(time_zone::utc(), backoff_policy{});
  book.add(job("slow", "every 10s"));
  book.add(job("parallel", "every 10s", missed_policy::skip, /*overlap=*/true));
  book.restore(clock.now(), {});
  clock.advance(10s);
  EXPECT_EQ(book.tick(clock.now()).size(), 2u);  // both start, neither ends
  clock.advance(10s);
  for (const auto& f : book.tick(clock.now()))
    EXPECT_EQ(f.kind, f.name == "slow" ? job_book::fire::refused : job_book::fire::run) << f.name;
  EXPECT_FALSE(book.begin_now("slow"));
  EXPECT_TRUE(book.begin_now("parallel"));
  EXPECT_EQ(book.status("parallel").running, 3);
  book.finished("slow", clock.now(), true);
  EXPECT_TRUE(book.begin_now("slow"));
  // A run the daemon's stop cut short is neither a success nor a failure.
  book.abandoned("slow");
  EXPECT_EQ(book.status("slow").running, 0);
  EXPECT_EQ(book.status("slow").failures, 0);
  EXPECT_FALSE(book.status("slow").backing_off);
}

// `ai jobs run` can come before the scheduler has its saved states back: that run still counts as running.
TEST(JobBook, ARunStartedBeforeTheRestoreStillCounts) {
  manual_clock clock(at("2026-01-01T00:00Z"));
  job_book book(time_zone::utc(), backoff_policy{});
  book.add(job("slow", "every 10s"));
  ASSERT_TRUE(book.begin_now("slow"));
  book.restore(clock.now(), {});
  EXPECT_EQ(book.status("slow").running, 1);
  EXPECT_FALSE(book.begin_now("slow")) << "no overlap across the restore";
}

TEST(JobBook, ANewScheduleStartsAfresh) {
  job_book book(time_zone::utc(), backoff_policy{});
  book.add(job("j", "@daily", missed_policy::run_once));
  job_saved old{"@hourly", at("2025-01-01T00:00Z"), 3};
  book.restore(at("2026-01-01T12:00Z"), {{"j", old}});
  EXPECT_EQ(iso(*book.status("j").next_due), "2026-01-02T00:00:00Z");
  EXPECT_EQ(book.status("j").failures, 0);
}

// ---- the notifier's command runner and the configuration ----------------------------------------------------

TEST(RunCommand, RunsWithoutAShellAndKillsAtTheDeadline) {
  auto r = run_command({"/bin/sh", "-c", "exit 7"}, std::chrono::seconds(5));
  EXPECT_TRUE(r.started) << r.error.message();
  EXPECT_EQ(r.exit_code, 7);
  // Arguments are arguments: no shell sees "; exit 3".
  r = run_command({"/bin/echo", "a; exit 3"}, std::chrono::seconds(5));
  EXPECT_EQ(r.exit_code, 0);
  const auto start = std::chrono::steady_clock::now();
  r = run_command({"/bin/sh", "-c", "sleep 30 & sleep 30"}, std::chrono::milliseconds(200));
  EXPECT_TRUE(r.timed_out);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
  r = run_command({"/no/such/program"}, std::chrono::seconds(1));
  EXPECT_FALSE(r.started);
  EXPECT_EQ(r.error.code(), paios::errc::not_found);
  EXPECT_FALSE(r.error.message().empty());
  EXPECT_FALSE(find_on_path("sh").empty());
  EXPECT_TRUE(find_on_path("no-such-program-anywhere").empty());
}

// `ai doctor` reads `--version` through it: stdout and stderr are kept up to the bound, and a child that writes
// more than that is not blocked by a full pipe (it runs to its end and its status is read).
TEST(RunCommand, KeepsTheFirstBytesOfItsOutputWhenAsked) {
  auto r = run_command({"/bin/sh", "-c", "echo 2.1.197 '(Claude Code)'; echo warn >&2; exit 4"}, std::chrono::seconds(5), 1024);
  EXPECT_EQ(r.exit_code, 4);
  EXPECT_EQ(r.output, "2.1.197 (Claude Code)\nwarn\n");
  r = run_command({"/bin/sh", "-c", "head -c 1000000 /dev/zero; echo done >&2"}, std::chrono::seconds(10), 16);
  EXPECT_FALSE(r.timed_out);
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.output.size(), 16u);
  r = run_command({"/bin/echo", "not kept"}, std::chrono::seconds(5));
  EXPECT_TRUE(r.output.empty());
}

TEST(SchedulerConfig, DefaultsAndErrors) {
  auto ok = paios::config_from_json(nlohmann::json::object());
  ASSERT_TRUE(ok.config) << (ok.errors.empty() ? "" : ok.errors[0]);
  const auto& s = ok.config->scheduler;
  ASSERT_EQ(s.jobs.size(), 2u);  // the daily report (the report section) at 07:00; the heartbeat, every 30 minutes
  EXPECT_EQ(s.jobs[0].name, "daily-report");
  EXPECT_EQ(s.jobs[0].schedule, "0 7 * * *");
  EXPECT_EQ(s.jobs[0].builtin, "report");
  EXPECT_EQ(s.jobs[1].name, "heartbeat");
  EXPECT_EQ(s.jobs[1].schedule, "every 30m");
  EXPECT_EQ(s.jobs[1].builtin, "heartbeat");
  EXPECT_EQ(s.backoff_initial_s, 30);
  EXPECT_EQ(s.backoff_max_s, 3600);
  EXPECT_FALSE(s.timezone.empty());
  EXPECT_TRUE(ok.config->notify.notify_send);

  auto bad = paios::config_from_json(nlohmann::json::parse(R"({"scheduler": {
      "timezone": "Mars/Olympus",
      "backoff": {"initial_s": 100, "max_s": 10},
      "jobs": {
        "a": {"schedule": "61 * * * *", "action": {"builtin": "heartbeat"}},
        "b": {"schedule": "@daily", "action": {"task": {"prompt": "x", "brain": "nosuch"}}},
        "c": {"schedule": "@daily", "action": {"pipeline": "p"}},
        "d": {"schedule": "@daily", "action": {"task": {"prompt": "x"}, "builtin": "heartbeat"}},
        "e": {"schedule": "@daily", "action": {"task": {"prompt": "x"}}, "missed": "sometimes"}}}})"));
  EXPECT_FALSE(bad.config);
  std::string all;
  for (const auto& e : bad.errors) all += e + "\n";
  for (const char* expected : {"scheduler.timezone:", "scheduler.backoff.initial_s:", "scheduler.jobs.a.schedule:",
                               "minute field", "scheduler.jobs.b.action.task.brain:", "scheduler.jobs.c.action.pipeline:",
                               "scheduler.jobs.d.action", "scheduler.jobs.e.missed"})
    EXPECT_NE(all.find(expected), std::string::npos) << expected << " not in:\n" << all;

  auto jobs = paios::config_from_json(nlohmann::json::parse(R"({"report": {"enabled": false}, "scheduler": {"timezone": "Europe/Berlin", "jobs": {
      "heartbeat": {"enabled": false},
      "report": {"schedule": "0 9 * * MON-FRI", "action": {"task": {"prompt": "daily report"}}, "missed": "run_once",
                 "allow_overlap": true, "timeout_ms": 1000}}}})"));
  ASSERT_TRUE(jobs.config) << (jobs.errors.empty() ? "" : jobs.errors[0]);
  ASSERT_EQ(jobs.config->scheduler.jobs.size(), 1u);
  const auto& j = jobs.config->scheduler.jobs[0];
  EXPECT_EQ(j.action, "task");
  EXPECT_EQ(j.prompt, "daily report");
  EXPECT_EQ(j.brain, "");
  EXPECT_TRUE(j.run_once_missed);
  EXPECT_TRUE(j.allow_overlap);
  EXPECT_EQ(j.timeout_ms, 1000);
  EXPECT_EQ(jobs.config->scheduler.timezone, "Europe/Berlin");
}
