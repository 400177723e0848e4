#pragma once
// The one source of time for the scheduler: every "now" it uses comes from a clock it was given, so the
// daemon runs on the system clock and tests run days of schedule in milliseconds on a manual clock.
// Both clocks are safe to call from any thread.
#include <atomic>
#include <chrono>
#include <cstdint>

namespace paios::sched {

// An instant: milliseconds since the Unix epoch, UTC (leap seconds not counted, as in POSIX time).
using instant = std::chrono::time_point<std::chrono::system_clock, std::chrono::milliseconds>;

inline instant from_unix_seconds(std::int64_t s) { return instant(std::chrono::seconds(s)); }
inline std::int64_t unix_seconds(instant t) {
  return std::chrono::floor<std::chrono::seconds>(t.time_since_epoch()).count();
}

class clock {
 public:
  virtual ~clock() = default;
  virtual instant now() const = 0;
};

// The system's wall clock.
class system_clock final : public clock {
 public:
  instant now() const override {
    return std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now());
  }
};

// A clock that moves only when told to (tests).
class manual_clock final : public clock {
 public:
  explicit manual_clock(instant start) : ms_(start.time_since_epoch().count()) {}
  instant now() const override { return instant(std::chrono::milliseconds(ms_.load())); }
  void set(instant t) { ms_.store(t.time_since_epoch().count()); }
  void advance(std::chrono::milliseconds d) { ms_.fetch_add(d.count()); }

 private:
  std::atomic<std::int64_t> ms_;
};

}  // namespace paios::sched
