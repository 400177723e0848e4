#pragma once
// A time zone read from the system's TZif files (/usr/share/zoneinfo, RFC 8536, versions 2 and later; version 1
// files too, with 32-bit times), our own reader because libstdc++ 12 has no std::chrono time zone database.
// Times after the file's last transition follow its POSIX TZ footer rule ("CET-1CEST,M3.5.0,M10.5.0/3").
// A time_zone is immutable once loaded: safe to share between threads.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "messages/error.hpp"

namespace paios::sched {

// Days since 1970-01-01 of a proleptic Gregorian date, and back (H. Hinnant's algorithms).
std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d);
void civil_from_days(std::int64_t z, std::int64_t& y, unsigned& m, unsigned& d);
int days_in_month(std::int64_t y, unsigned m);

// A POSIX TZ rule: standard offset, and optionally a daylight offset with the rules of its start and end.
struct posix_tz {
  struct rule {  // one of "Jn" (1..365, no Feb 29), "n" (0..365), "Mm.w.d"
    char kind = 'M';
    int day = 0, week = 0, month = 0;  // J/n: day; M: month, week (1..5, 5 = last), day (0 = Sunday)
    std::int64_t time_s = 7200;        // local time of day of the change, may be negative or past 24 h
  };
  std::int64_t std_offset_s = 0;  // seconds east of UTC (the POSIX text counts west)
  bool has_dst = false;
  std::int64_t dst_offset_s = 0;
  rule start, end;

  // Parses a TZ string; fails with bad_request ("TZ rule \"...\": bad start rule") when it is not one.
  static expected<posix_tz> parse(std::string_view text);
  std::int64_t offset_at(std::int64_t unix_s) const;
};

class time_zone {
 public:
  // Reads zone `name` ("Europe/Berlin", "UTC") from `tzdir`. Fails, the message naming the zone and the cause,
  // with not_found when there is no such file, and with bad_request when the name is unsafe (absolute, "..") or
  // the file is not TZif.
  static expected<time_zone> load(std::string_view name, const std::string& tzdir = "/usr/share/zoneinfo");
  // From a TZif file's bytes (tests, and load()); fails with bad_request when they are not TZif.
  static expected<time_zone> from_tzif(std::string name, std::string_view bytes);
  static time_zone utc();
  // The machine's zone: the name /etc/localtime links to under a zoneinfo directory, else "UTC".
  static std::string local_zone_name();

  const std::string& name() const { return name_; }
  // Seconds east of UTC in effect at the instant.
  std::int64_t offset_at(std::int64_t unix_s) const;

  // A local wall-clock time (seconds since 1970-01-01 00:00 local) as UTC instants.
  struct local_result {
    enum kind_t { unique, repeated, skipped } kind = unique;
    std::int64_t first = 0;   // unique: the instant; repeated: the earlier one; skipped: the gap's end
    std::int64_t second = 0;  // repeated: the later one
  };
  local_result from_local(std::int64_t local_s) const;

 private:
  std::string name_;
  std::vector<std::int64_t> transitions_;  // instants, ascending
  std::vector<std::int64_t> offsets_;      // offsets_[i]: in effect from transitions_[i]
  std::int64_t initial_offset_ = 0;        // before the first transition
  std::optional<posix_tz> footer_;
};

}  // namespace paios::sched
