#include "messages/trace.hpp"

#include <chrono>
#include <random>

namespace paios {
namespace {

std::uint64_t random64() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  return rng();
}

void put_hex(char* out, std::uint64_t v) {
  static constexpr char digits[] = "0123456789abcdef";
  for (int i = 15; i >= 0; --i, v >>= 4) out[i] = digits[v & 0xf];
}

std::optional<std::uint64_t> hex64(std::string_view s) {
  if (s.size() != 16) return std::nullopt;
  std::uint64_t v = 0;
  for (char c : s) {
    int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
    if (d < 0) return std::nullopt;
    v = (v << 4) | static_cast<std::uint64_t>(d);
  }
  return v;
}

bool is_lower_hex(std::string_view s) {
  for (char c : s)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

}  // namespace

// The high half begins with the time in milliseconds (then 20 random bits), the low half is random: ids made
// here sort by when they were made, so that the event store's trace index grows at its end instead of
// everywhere at once (the difference between appending a page and rewriting thousands per batch), and the
// rightmost 7 bytes stay random as W3C trace context asks.
trace_id new_trace() {
  using namespace std::chrono;
  auto ms = static_cast<std::uint64_t>(duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count());
  return {(ms << 20) | (random64() & 0xFFFFF), random64() | 1};  // | 1: never the invalid all-zero id
}

std::uint64_t new_span_id() { return random64() | 1; }

std::string to_hex(const trace_id& t) {
  std::string s(32, '0');
  put_hex(s.data(), t.hi);
  put_hex(s.data() + 16, t.lo);
  return s;
}

std::string span_hex(std::uint64_t span) {
  std::string s(16, '0');
  put_hex(s.data(), span);
  return s;
}

std::optional<trace_id> parse_trace_id(std::string_view hex) {
  if (hex.size() != 32) return std::nullopt;
  auto hi = hex64(hex.substr(0, 16)), lo = hex64(hex.substr(16));
  if (!hi || !lo || (*hi == 0 && *lo == 0)) return std::nullopt;
  return trace_id{*hi, *lo};
}

std::optional<std::uint64_t> parse_span_id(std::string_view hex) { return hex64(hex); }

std::optional<trace_parent> parse_traceparent(std::string_view tp) {
  // version(2) - trace-id(32) - parent-id(16) - flags(2), lower-case hex (the specification's form)
  if (tp.size() != 55 || tp[2] != '-' || tp[35] != '-' || tp[52] != '-') return std::nullopt;
  if (!is_lower_hex(tp.substr(0, 2)) || tp.substr(0, 2) == "ff" || !is_lower_hex(tp.substr(3, 32)) ||
      !is_lower_hex(tp.substr(36, 16)) || !is_lower_hex(tp.substr(53, 2)))
    return std::nullopt;
  auto trace = parse_trace_id(tp.substr(3, 32));
  auto span = parse_span_id(tp.substr(36, 16));
  if (!trace || !span || *span == 0) return std::nullopt;
  return trace_parent{*trace, *span};
}

std::string format_traceparent(const trace_id& t, std::uint64_t span) {
  return "00-" + to_hex(t) + "-" + span_hex(span) + "-01";
}

}  // namespace paios
