#pragma once
// W3C trace context (https://www.w3.org/TR/trace-context/): a 128-bit trace id, shown as 32 lower-case hex
// digits, and 64-bit span ids, shown as 16. One trace id follows a request end to end; every operation on its
// way is a span with a parent. Held as integers on the bus: an event is emitted without formatting them.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace paios {

struct trace_id {
  std::uint64_t hi = 0;
  std::uint64_t lo = 0;
  bool valid() const { return hi != 0 || lo != 0; }  // all zeros is invalid in W3C trace context
  friend bool operator==(const trace_id& a, const trace_id& b) { return a.hi == b.hi && a.lo == b.lo; }
  friend bool operator!=(const trace_id& a, const trace_id& b) { return !(a == b); }
};

trace_id new_trace();
std::uint64_t new_span_id();  // never 0 (0 means "no span": a root has parent 0)

std::string to_hex(const trace_id& t);   // 32 hex digits
std::string span_hex(std::uint64_t span);  // 16 hex digits
// Lower- or upper-case hex of the exact length; nullopt otherwise (and for the all-zero trace id).
std::optional<trace_id> parse_trace_id(std::string_view hex);
std::optional<std::uint64_t> parse_span_id(std::string_view hex);

// "00-<trace>-<parent span>-<flags>": the trace a client's request belongs to and its span there.
struct trace_parent {
  trace_id trace;
  std::uint64_t span = 0;
};
std::optional<trace_parent> parse_traceparent(std::string_view header);
std::string format_traceparent(const trace_id& t, std::uint64_t span);

}  // namespace paios
