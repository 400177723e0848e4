#pragma once
// report_day: the local calendar day a daily report covers, cut at local midnight in a time zone (the scheduler's,
// scheduler.timezone). A day is [since_us, until_us) in UTC microseconds; a day with a daylight-saving change is 23
// or 25 hours long, and a midnight a spring-forward skips begins the day at the end of the gap.
#include <cstdint>
#include <string>
#include <string_view>

#include "core/schedule/time_zone.hpp"
#include "messages/error.hpp"

namespace paios::report {

struct report_day {
  std::string date;             // "YYYY-MM-DD", local
  std::int64_t since_us = 0;    // its local midnight, unix microseconds
  std::int64_t until_us = 0;    // the next local midnight (exclusive)
};

// The day named by `date`: "YYYY-MM-DD", or "today" / "" / "yesterday" counted from `now_ms` in `tz`. Fails with
// bad_request naming the text when it is none of them (a month past 12, a day past the month's end, another form).
expected<report_day> resolve_day(std::string_view date, const sched::time_zone& tz, std::int64_t now_ms);

// The local day that holds the instant, and the one `days` before it (0: the same day).
report_day day_of(std::int64_t time_ms, const sched::time_zone& tz, int days_before = 0);

}  // namespace paios::report
