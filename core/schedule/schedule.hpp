#pragma once
// When a job runs: a 5-field cron expression in a time zone, or a fixed interval.
//
// Cron (Vixie cron's syntax and meaning): "minute hour day-of-month month day-of-week", each field a list of
// "*", "N", "N-M", with an optional "/step" ("*/15", "1-30/2", "5/10" = 5 to the field's end by 10); months
// JAN..DEC and days SUN..SAT by name (any case), day-of-week 7 is Sunday too. When both day fields are
// restricted (neither starts with "*") a day matches either; otherwise it must match both. Shorthands:
// @yearly (@annually), @monthly, @weekly, @daily (@midnight), @hourly.
// Intervals: "every 30s", "every 5m", "every 4h", "every 1d".
//
// Daylight saving: a cron time is a local wall-clock time. A local time that a spring-forward skips runs once,
// at the first instant after the gap (several skipped times of one gap make that one run); a local time that a
// fall-back repeats runs once, at its first occurrence. Intervals count real elapsed time and ignore zones.
#include <bitset>
#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "core/schedule/clock.hpp"
#include "core/schedule/time_zone.hpp"

namespace paios::sched {

class schedule {
 public:
  // Fails with bad_request, the message naming the field and what is wrong in it
  // ("schedule \"61 * * * *\": minute field \"61\": 61 is not in 0-59").
  static expected<schedule> parse(std::string_view text);

  const std::string& text() const { return text_; }
  bool is_interval() const { return interval_.count() > 0; }
  std::chrono::seconds interval() const { return interval_; }

  // The first instant strictly after `after` at which the schedule fires; for an interval, after + interval.
  // nullopt when a cron expression never matches within twelve years (e.g. "0 0 30 2 *").
  std::optional<instant> next_after(instant after, const time_zone& tz) const;

 private:
  bool day_matches(std::int64_t y, unsigned m, unsigned d, unsigned weekday) const;

  std::string text_;
  std::chrono::seconds interval_{0};
  std::bitset<60> minutes_;
  std::bitset<24> hours_;
  std::bitset<32> days_;  // 1..31
  std::bitset<13> months_;  // 1..12
  std::bitset<7> weekdays_;  // 0 = Sunday
  bool days_star_ = false, weekdays_star_ = false;
};

}  // namespace paios::sched
