#include "core/schedule/schedule.hpp"
#include "messages/text.hpp"

#include <cctype>
#include <vector>

namespace paios::sched {

namespace {

struct field_spec {
  const char* name;
  int min, max;
  const char* const* names;  // three-letter names for min.., or null
};

const char* const month_names[] = {"JAN", "FEB", "MAR", "APR", "MAY", "JUN",
                                   "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"};
const char* const day_names[] = {"SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"};

const field_spec specs[5] = {{"minute", 0, 59, nullptr},
                             {"hour", 0, 23, nullptr},
                             {"day-of-month", 1, 31, nullptr},
                             {"month", 1, 12, month_names},
                             {"day-of-week", 0, 7, day_names}};

std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  std::size_t start = 0;
  for (std::size_t i = 0; i <= s.size(); ++i)
    if (i == s.size() || s[i] == sep) {
      out.push_back(s.substr(start, i - start));
      start = i + 1;
    }
  return out;
}

// One value of a field: a number or a name. Returns an error text, empty on success.
std::string value(std::string_view text, const field_spec& f, int& out) {
  if (text.empty()) return "a value is missing";
  if (std::isdigit(static_cast<unsigned char>(text[0]))) {
    long v = 0;
    for (char ch : text) {
      if (!std::isdigit(static_cast<unsigned char>(ch))) return "\"" + std::string(text) + "\" is not a number";
      v = v * 10 + (ch - '0');
      if (v > 1000) break;
    }
    if (v < f.min || v > f.max)
      return std::to_string(v) + " is not in " + std::to_string(f.min) + "-" + std::to_string(f.max);
    out = static_cast<int>(v);
    return {};
  }
  if (f.names && text.size() == 3) {
    const int count = f.max - f.min + 1 - (f.max == 7 ? 1 : 0);
    for (int k = 0; k < count; ++k) {
      bool same = true;
      for (int c = 0; c < 3; ++c)
        same = same && std::toupper(static_cast<unsigned char>(text[c])) == f.names[k][c];
      if (same) {
        out = f.min + k;
        return {};
      }
    }
  }
  return "\"" + std::string(text) + "\" is not a value of this field";
}

// A whole field into `bits` (indexed by value). Returns an error text, empty on success.
template <std::size_t N>
std::string field(std::string_view text, const field_spec& f, std::bitset<N>& bits) {
  for (auto item : split(text, ',')) {
    if (item.empty()) return "an empty list item";
    int step = 1;
    const auto slash = item.find('/');
    std::string_view range = item;
    if (slash != std::string_view::npos) {
      const auto step_text = item.substr(slash + 1);
      long s = 0;
      if (step_text.empty()) return "a step is missing after '/'";
      for (char ch : step_text) {
        if (!std::isdigit(static_cast<unsigned char>(ch))) return "step \"" + std::string(step_text) + "\" is not a number";
        s = s * 10 + (ch - '0');
        if (s > 1000) break;
      }
      if (s < 1 || s > f.max) return "step " + std::string(step_text) + " is out of range";
      step = static_cast<int>(s);
      range = item.substr(0, slash);
    }
    int lo = f.min, hi = f.max;
    if (range == "*") {
      if (f.max == 7) hi = 6;
    } else {
      const auto dash = range.find('-');
      if (dash == std::string_view::npos) {
        if (auto e = value(range, f, lo); !e.empty()) return e;
        hi = slash != std::string_view::npos ? f.max : lo;  // "5/10": from 5 to the end
      } else {
        if (auto e = value(range.substr(0, dash), f, lo); !e.empty()) return e;
        if (auto e = value(range.substr(dash + 1), f, hi); !e.empty()) return e;
        if (hi < lo) return "range " + std::string(range) + " runs backwards";
      }
    }
    for (int v = lo; v <= hi; v += step) bits.set(static_cast<std::size_t>(f.max == 7 ? v % 7 : v));
  }
  return {};
}

}  // namespace

expected<schedule> schedule::parse(std::string_view raw) {
  const std::string_view text = trim_ascii(raw);
  schedule s;
  s.text_ = std::string(text);
  auto fail = [&](const std::string& what) -> status {
    return {errc::bad_request, "schedule \"" + std::string(text) + "\": " + what};
  };
  if (text.rfind("every", 0) == 0) {
    std::string_view rest = trim_ascii(text.substr(5));
    std::size_t i = 0;
    long n = 0;
    while (i < rest.size() && std::isdigit(static_cast<unsigned char>(rest[i])) && n < 100000000)
      n = n * 10 + (rest[i++] - '0');
    const std::string_view unit = trim_ascii(rest.substr(i));
    long scale = 0;
    if (unit == "s") scale = 1;
    if (unit == "m") scale = 60;
    if (unit == "h") scale = 3600;
    if (unit == "d") scale = 86400;
    if (i == 0 || scale == 0) return fail("an interval is \"every N\" with a unit s, m, h or d (\"every 4h\")");
    if (n < 1 || n * scale > 366L * 86400) return fail("an interval is from 1s to 366d");
    s.interval_ = std::chrono::seconds(n * scale);
    return s;
  }
  std::string fields_text(text);
  if (!text.empty() && text[0] == '@') {
    if (text == "@yearly" || text == "@annually") fields_text = "0 0 1 1 *";
    else if (text == "@monthly") fields_text = "0 0 1 * *";
    else if (text == "@weekly") fields_text = "0 0 * * 0";
    else if (text == "@daily" || text == "@midnight") fields_text = "0 0 * * *";
    else if (text == "@hourly") fields_text = "0 * * * *";
    else return fail("unknown shorthand (known: @yearly, @annually, @monthly, @weekly, @daily, @midnight, @hourly)");
  }
  std::vector<std::string_view> fields;
  std::string_view rest = fields_text;
  while (!(rest = trim_ascii(rest)).empty()) {
    std::size_t end = 0;
    while (end < rest.size() && !std::isspace(static_cast<unsigned char>(rest[end]))) ++end;
    fields.push_back(rest.substr(0, end));
    rest.remove_prefix(end);
  }
  if (fields.size() != 5)
    return fail("a cron expression has 5 fields (minute hour day-of-month month day-of-week), this has " +
                std::to_string(fields.size()));
  std::string e;
  auto check = [&](int k, auto& bits) {
    e = field(fields[k], specs[k], bits);
    if (!e.empty()) e = std::string(specs[k].name) + " field \"" + std::string(fields[k]) + "\": " + e;
    return e.empty();
  };
  if (!check(0, s.minutes_) || !check(1, s.hours_) || !check(2, s.days_) || !check(3, s.months_) ||
      !check(4, s.weekdays_))
    return fail(e);
  s.days_star_ = fields[2][0] == '*';
  s.weekdays_star_ = fields[4][0] == '*';
  // Vixie cron stores the text and then never runs "0 0 31 2 *"; saying so at once is kinder.
  bool some_day = false;
  for (unsigned m = 1; m <= 12 && !some_day; ++m)
    for (int d = 1; d <= days_in_month(2000, m) && !some_day; ++d)  // 2000: a leap year
      some_day = s.months_[m] && (s.days_[d] || (!s.days_star_ && !s.weekdays_star_));
  if (!some_day) return fail("the day-of-month and month fields name no date that exists");
  return s;
}

bool schedule::day_matches(std::int64_t, unsigned m, unsigned d, unsigned weekday) const {
  if (!months_[m]) return false;
  const bool dom = days_[d], dow = weekdays_[weekday];
  return days_star_ || weekdays_star_ ? dom && dow : dom || dow;
}

std::optional<instant> schedule::next_after(instant after, const time_zone& tz) const {
  if (is_interval()) return after + interval_;
  const std::int64_t t = unix_seconds(after);
  const std::int64_t local_now = t + tz.offset_at(t);
  // A fall-back repeats at most a few hours: earlier local times of this day can still be later instants.
  const std::int64_t first_day = (local_now - 86400 >= 0 ? local_now - 86400 : local_now - 86400 - 86399) / 86400;
  for (std::int64_t day = first_day; day < first_day + 366 * 12; ++day) {
    std::int64_t y;
    unsigned m, d;
    civil_from_days(day, y, m, d);
    const auto weekday = static_cast<unsigned>(((day + 4) % 7 + 7) % 7);
    if (!day_matches(y, m, d, weekday)) continue;
    for (int h = 0; h < 24; ++h) {
      if (!hours_[h]) continue;
      for (int mi = 0; mi < 60; ++mi) {
        if (!minutes_[mi]) continue;
        const std::int64_t local = day * 86400 + h * 3600 + mi * 60;
        if (local < local_now - 6 * 3600) continue;  // far before now in any zone
        const auto r = tz.from_local(local);
        if (r.first > t) return from_unix_seconds(r.first);
        // A repeated time whose first occurrence has passed does not run again.
      }
    }
  }
  return std::nullopt;
}

}  // namespace paios::sched
