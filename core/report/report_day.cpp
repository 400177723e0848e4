#include "core/report/report_day.hpp"

#include <cstdio>

namespace paios::report {
namespace {

constexpr std::int64_t kDay = 86400;

std::int64_t floor_div(std::int64_t a, std::int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

// The UTC instant (seconds) of local midnight at the start of the civil day `days` (since 1970-01-01).
std::int64_t midnight(std::int64_t days, const sched::time_zone& tz) { return tz.from_local(days * kDay).first; }

report_day day_from_days(std::int64_t days, const sched::time_zone& tz) {
  std::int64_t y = 0;
  unsigned m = 0, d = 0;
  sched::civil_from_days(days, y, m, d);
  char text[16];
  std::snprintf(text, sizeof text, "%04lld-%02u-%02u", static_cast<long long>(y), m, d);
  return {text, midnight(days, tz) * 1000000, midnight(days + 1, tz) * 1000000};
}

bool digits(std::string_view s) {
  for (char c : s)
    if (c < '0' || c > '9') return false;
  return !s.empty();
}

}  // namespace

report_day day_of(std::int64_t time_ms, const sched::time_zone& tz, int days_before) {
  const auto s = floor_div(time_ms, 1000);
  return day_from_days(floor_div(s + tz.offset_at(s), kDay) - days_before, tz);
}

expected<report_day> resolve_day(std::string_view date, const sched::time_zone& tz, std::int64_t now_ms) {
  if (date.empty() || date == "today") return day_of(now_ms, tz);
  if (date == "yesterday") return day_of(now_ms, tz, 1);
  const auto bad = [&](const std::string& why) {
    return status::error(errc::bad_request,
                           "date '" + std::string{date} + "' " + why + ": give YYYY-MM-DD, today or yesterday");
  };
  if (date.size() != 10 || date[4] != '-' || date[7] != '-' || !digits(date.substr(0, 4)) ||
      !digits(date.substr(5, 2)) || !digits(date.substr(8, 2)))
    return bad("is not a date");
  const auto y = std::stoll(std::string{date.substr(0, 4)});
  const auto m = static_cast<unsigned>(std::stoul(std::string{date.substr(5, 2)}));
  const auto d = static_cast<unsigned>(std::stoul(std::string{date.substr(8, 2)}));
  if (m < 1 || m > 12) return bad("has no month " + std::to_string(m));
  if (d < 1 || static_cast<int>(d) > sched::days_in_month(y, m)) return bad("has no day " + std::to_string(d) + " in its month");
  return day_from_days(sched::days_from_civil(y, m, d), tz);
}

}  // namespace paios::report
