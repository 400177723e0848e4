#include "messages/ids.hpp"

#include <chrono>
#include <cstdio>

#include "messages/trace.hpp"

namespace paios {
namespace {

std::string prefixed_id(char prefix) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%c-%011llx-%08x", prefix, static_cast<unsigned long long>(now_ms()),
                static_cast<unsigned>(new_span_id() >> 32));
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
