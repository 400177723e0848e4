#include "core/schedule/time_zone.hpp"

#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <climits>
#include <fstream>
#include <iterator>
#include <sstream>

namespace paios::sched {

// ---- civil calendar ------------------------------------------------------------------------------------

std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

void civil_from_days(std::int64_t z, std::int64_t& y, unsigned& m, unsigned& d) {
  z += 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const auto doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  d = doy - (153 * mp + 2) / 5 + 1;
  m = mp < 10 ? mp + 3 : mp - 9;
  y = static_cast<std::int64_t>(yoe) + era * 400 + (m <= 2);
}

static bool is_leap(std::int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

int days_in_month(std::int64_t y, unsigned m) {
  static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && is_leap(y) ? 29 : days[m - 1];
}

static std::int64_t floor_div(std::int64_t a, std::int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

// ---- POSIX TZ rules ------------------------------------------------------------------------------------

namespace {

struct tz_reader {
  std::string_view s;
  std::size_t i = 0;
  bool done() const { return i >= s.size(); }
  char peek() const { return done() ? '\0' : s[i]; }

  bool name() {
    if (peek() == '<') {
      const auto close = s.find('>', i);
      if (close == std::string_view::npos) return false;
      i = close + 1;
      return true;
    }
    const std::size_t start = i;
    while (!done() && std::isalpha(static_cast<unsigned char>(s[i]))) ++i;
    return i - start >= 3;
  }
  // [+-]hh[:mm[:ss]] in seconds; max_hours bounds the hours.
  bool hms(std::int64_t& out, int max_hours) {
    int sign = 1;
    if (peek() == '+' || peek() == '-') sign = s[i++] == '-' ? -1 : 1;
    std::int64_t parts[3] = {0, 0, 0};
    for (int p = 0; p < 3; ++p) {
      if (p > 0) {
        if (peek() != ':') break;
        ++i;
      }
      if (!std::isdigit(static_cast<unsigned char>(peek()))) return false;
      std::int64_t v = 0;
      while (std::isdigit(static_cast<unsigned char>(peek()))) v = v * 10 + (s[i++] - '0');
      parts[p] = v;
    }
    if (parts[0] > max_hours || parts[1] > 59 || parts[2] > 59) return false;
    out = sign * (parts[0] * 3600 + parts[1] * 60 + parts[2]);
    return true;
  }
  bool number(int& out) {
    if (!std::isdigit(static_cast<unsigned char>(peek()))) return false;
    out = 0;
    while (std::isdigit(static_cast<unsigned char>(peek())) && out < 100000) out = out * 10 + (s[i++] - '0');
    return true;
  }
  bool rule(posix_tz::rule& r) {
    if (peek() == 'J') {
      ++i;
      r.kind = 'J';
      if (!number(r.day) || r.day < 1 || r.day > 365) return false;
    } else if (peek() == 'M') {
      ++i;
      r.kind = 'M';
      if (!number(r.month) || peek() != '.') return false;
      ++i;
      if (!number(r.week) || peek() != '.') return false;
      ++i;
      if (!number(r.day)) return false;
      if (r.month < 1 || r.month > 12 || r.week < 1 || r.week > 5 || r.day > 6) return false;
    } else {
      r.kind = 'n';
      if (!number(r.day) || r.day > 365) return false;
    }
    r.time_s = 7200;
    if (peek() == '/') {
      ++i;
      if (!hms(r.time_s, 167)) return false;
    }
    return true;
  }
};

// The instant (local seconds since the epoch) a rule names in year y.
std::int64_t rule_local_seconds(const posix_tz::rule& r, std::int64_t y) {
  std::int64_t day = 0;
  if (r.kind == 'J') {
    day = days_from_civil(y, 1, 1) + r.day - 1 + (is_leap(y) && r.day >= 60 ? 1 : 0);
  } else if (r.kind == 'n') {
    day = days_from_civil(y, 1, 1) + r.day;
  } else {
    const std::int64_t first = days_from_civil(y, static_cast<unsigned>(r.month), 1);
    const std::int64_t weekday = ((first + 4) % 7 + 7) % 7;  // 1970-01-01 was a Thursday
    day = first + ((r.day - weekday) % 7 + 7) % 7 + 7 * (r.week - 1);
    const std::int64_t last = first + days_in_month(y, static_cast<unsigned>(r.month)) - 1;
    while (day > last) day -= 7;
  }
  return day * 86400 + r.time_s;
}

}  // namespace

expected<posix_tz> posix_tz::parse(std::string_view text) {
  tz_reader in{text};
  posix_tz tz;
  auto fail = [&](const char* what) -> status {
    return {errc::bad_request, std::string("TZ rule \"") + std::string(text) + "\": " + what};
  };
  std::int64_t west = 0;
  if (!in.name()) return fail("bad standard-time name");
  if (!in.hms(west, 24)) return fail("bad standard offset");
  tz.std_offset_s = -west;
  if (in.done()) return tz;
  if (!in.name()) return fail("bad daylight-time name");
  tz.has_dst = true;
  tz.dst_offset_s = tz.std_offset_s + 3600;
  if (!in.done() && in.peek() != ',') {
    if (!in.hms(west, 24)) return fail("bad daylight offset");
    tz.dst_offset_s = -west;
  }
  if (in.done()) {  // no rules: the US rules, as glibc assumes
    tz.start = rule{'M', 0, 2, 3, 7200};
    tz.end = rule{'M', 0, 1, 11, 7200};
    return tz;
  }
  if (in.peek() != ',') return fail("expected ',' before the start rule");
  ++in.i;
  if (!in.rule(tz.start)) return fail("bad start rule");
  if (in.peek() != ',') return fail("expected ',' before the end rule");
  ++in.i;
  if (!in.rule(tz.end)) return fail("bad end rule");
  if (!in.done()) return fail("trailing text");
  return tz;
}

std::int64_t posix_tz::offset_at(std::int64_t unix_s) const {
  if (!has_dst) return std_offset_s;
  std::int64_t y;
  unsigned m, d;
  civil_from_days(floor_div(unix_s + std_offset_s, 86400), y, m, d);
  // A start is given in standard time, an end in daylight time.
  const std::int64_t start = rule_local_seconds(this->start, y) - std_offset_s;
  const std::int64_t end = rule_local_seconds(this->end, y) - dst_offset_s;
  const bool dst = start < end ? (unix_s >= start && unix_s < end) : !(unix_s >= end && unix_s < start);
  return dst ? dst_offset_s : std_offset_s;
}

// ---- TZif ----------------------------------------------------------------------------------------------

namespace {

std::int64_t be(std::string_view b, std::size_t at, int bytes) {
  std::uint64_t v = 0;
  for (int k = 0; k < bytes; ++k) v = (v << 8) | static_cast<unsigned char>(b[at + k]);
  if (bytes == 4) return static_cast<std::int32_t>(static_cast<std::uint32_t>(v));
  return static_cast<std::int64_t>(v);
}

}  // namespace

expected<time_zone> time_zone::from_tzif(std::string name, std::string_view b) {
  auto fail = [&](const std::string& what) -> status {
    return {errc::bad_request, "time zone \"" + name + "\": " + what};
  };
  if (b.size() < 44 || b.substr(0, 4) != "TZif") return fail("not a TZif file");
  const char version = b[4];
  std::size_t at = 0;
  int time_bytes = 4;
  auto counts = [&](std::size_t h, std::int64_t c[6]) {
    for (int k = 0; k < 6; ++k) c[k] = be(b, h + 20 + 4 * k, 4);
  };
  std::int64_t c[6];  // isutcnt, isstdcnt, leapcnt, timecnt, typecnt, charcnt
  counts(0, c);
  auto block_size = [&](int tb) {
    return static_cast<std::size_t>(c[3] * tb + c[3] + c[4] * 6 + c[5] + c[2] * (tb + 4) + c[1] + c[0]);
  };
  if (version >= '2') {  // skip the 32-bit block, read the 64-bit one
    const std::size_t second = 44 + block_size(4);
    if (b.size() < second + 44 || b.substr(second, 4) != "TZif") return fail("truncated version 2 header");
    counts(second, c);
    at = second + 44;
    time_bytes = 8;
  } else {
    at = 44;
  }
  if (c[4] < 1 || b.size() < at + block_size(time_bytes)) return fail("truncated data");
  time_zone tz;
  tz.name_ = std::move(name);
  const std::size_t types_at = at + c[3] * time_bytes;
  const std::size_t info_at = types_at + c[3];
  std::vector<std::int64_t> type_offsets(static_cast<std::size_t>(c[4]));
  for (std::int64_t k = 0; k < c[4]; ++k) type_offsets[k] = be(b, info_at + 6 * k, 4);
  tz.initial_offset_ = type_offsets[0];
  for (std::int64_t k = 0; k < c[3]; ++k) {
    const auto type = static_cast<unsigned char>(b[types_at + k]);
    if (type >= type_offsets.size()) return fail("transition to an unknown type");
    tz.transitions_.push_back(be(b, at + k * time_bytes, time_bytes));
    tz.offsets_.push_back(type_offsets[type]);
  }
  if (version >= '2') {
    const std::size_t footer_at = at + block_size(8);
    if (footer_at < b.size() && b[footer_at] == '\n') {
      const auto end = b.find('\n', footer_at + 1);
      if (end != std::string_view::npos && end > footer_at + 1) {
        auto rule = posix_tz::parse(b.substr(footer_at + 1, end - footer_at - 1));
        if (!rule) return fail(rule.message());
        tz.footer_ = *rule;
      }
    }
  }
  return tz;
}

expected<time_zone> time_zone::load(std::string_view name, const std::string& tzdir) {
  const std::string n(name);
  const bool safe = !n.empty() && n.front() != '/' && n.find("..") == std::string::npos &&
                    std::all_of(n.begin(), n.end(), [](char ch) {
                      return std::isalnum(static_cast<unsigned char>(ch)) || ch == '/' || ch == '_' || ch == '-' ||
                             ch == '+';
                    });
  if (!safe) return status{errc::bad_request, "time zone \"" + n + "\": not a zone name"};
  std::ifstream file(tzdir + "/" + n, std::ios::binary);
  if (!file) return status{errc::not_found, "time zone \"" + n + "\": no such zone in " + tzdir + " (is tzdata installed?)"};
  const std::string bytes((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
  return from_tzif(n, bytes);
}

time_zone time_zone::utc() {
  time_zone tz;
  tz.name_ = "UTC";
  return tz;
}

std::string time_zone::local_zone_name() {
  char target[PATH_MAX];
  const ssize_t len = ::readlink("/etc/localtime", target, sizeof target - 1);
  if (len > 0) {
    const std::string path(target, static_cast<std::size_t>(len));
    const auto at = path.find("zoneinfo/");
    if (at != std::string::npos) return path.substr(at + 9);
  }
  std::ifstream file("/etc/timezone");  // Debian's name file, when /etc/localtime is a copy
  std::string line;
  if (file && std::getline(file, line) && !line.empty()) return line;
  return "UTC";
}

std::int64_t time_zone::offset_at(std::int64_t t) const {
  if (transitions_.empty()) return footer_ ? footer_->offset_at(t) : initial_offset_;
  if (t < transitions_.front()) return initial_offset_;
  const auto it = std::upper_bound(transitions_.begin(), transitions_.end(), t);
  const auto k = static_cast<std::size_t>(it - transitions_.begin()) - 1;
  if (k + 1 == transitions_.size() && footer_) return footer_->offset_at(t);
  return offsets_[k];
}

time_zone::local_result time_zone::from_local(std::int64_t local) const {
  // The instants whose local time is `local` lie within a day of it; try each offset in effect around it.
  std::vector<std::int64_t> offsets{offset_at(local - 100000), offset_at(local), offset_at(local + 100000)};
  std::sort(offsets.begin(), offsets.end());
  offsets.erase(std::unique(offsets.begin(), offsets.end()), offsets.end());
  std::vector<std::int64_t> found;
  for (auto o : offsets)
    if (offset_at(local - o) == o) found.push_back(local - o);
  std::sort(found.begin(), found.end());
  found.erase(std::unique(found.begin(), found.end()), found.end());
  local_result r;
  if (found.size() == 1) {
    r.first = found[0];
  } else if (found.size() >= 2) {
    r.kind = local_result::repeated;
    r.first = found.front();
    r.second = found.back();
  } else {
    // In a gap: the first instant whose local time is past `local` (the transition), found by bisection.
    r.kind = local_result::skipped;
    std::int64_t lo = local - offsets.back(), hi = local - offsets.front();
    while (lo < hi) {
      const std::int64_t mid = lo + (hi - lo) / 2;
      if (mid + offset_at(mid) > local) hi = mid; else lo = mid + 1;
    }
    r.first = lo;
  }
  return r;
}

}  // namespace paios::sched
