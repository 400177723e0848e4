#include "messages/ids.hpp"

#include <chrono>
#include <cstdio>
#include <random>

namespace paios {
namespace {

std::uint64_t random64() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  return rng();
}

std::string prefixed_id(char prefix) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%c-%011llx-%08x", prefix, static_cast<unsigned long long>(now_ms()),
                static_cast<unsigned>(random64()));
  return buf;
}

bool is_lower_hex(std::string_view s) {
  for (char c : s)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

}  // namespace

std::int64_t now_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

std::string new_task_id() { return prefixed_id('t'); }
std::string new_event_id() { return prefixed_id('e'); }

std::string new_trace_id() {
  char buf[33];
  std::uint64_t hi = random64(), lo = random64() | 1;  // | 1: never the all-zero invalid id
  std::snprintf(buf, sizeof buf, "%016llx%016llx", static_cast<unsigned long long>(hi),
                static_cast<unsigned long long>(lo));
  return buf;
}

std::string trace_id_from_traceparent(std::string_view tp) {
  // version(2) - trace-id(32) - parent-id(16) - flags(2)
  if (tp.size() != 55 || tp[2] != '-' || tp[35] != '-' || tp[52] != '-') return {};
  auto trace = tp.substr(3, 32);
  if (!is_lower_hex(tp.substr(0, 2)) || !is_lower_hex(trace) || !is_lower_hex(tp.substr(36, 16)) ||
      !is_lower_hex(tp.substr(53, 2)))
    return {};
  if (trace.find_first_not_of('0') == std::string_view::npos) return {};
  return std::string{trace};
}

}  // namespace paios
