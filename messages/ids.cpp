#include "messages/ids.hpp"

#include <chrono>
#include <cstdio>
#include <random>

#include "messages/trace.hpp"

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

}  // namespace

std::int64_t now_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

std::int64_t now_us() {
  using namespace std::chrono;
  return duration_cast<microseconds>(system_clock::now().time_since_epoch()).count();
}

std::string new_task_id() { return prefixed_id('t'); }

std::string new_trace_id() { return to_hex(new_trace()); }

}  // namespace paios
