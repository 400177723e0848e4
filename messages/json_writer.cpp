#include "messages/json_writer.hpp"

#include <charconv>
#include <cmath>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include <nlohmann/json.hpp>

namespace paios {

std::string json_dump(const nlohmann::json& j) { return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace); }

namespace {

// The UTF-8 sequence at s[i] (RFC 3629: no overlong forms, no surrogates, nothing above U+10FFFF): its
// length when it is well formed; otherwise 0, with `skip` the bytes to replace by one U+FFFD (the lead byte
// and the continuation bytes that were valid so far: Unicode's "maximal subpart").
std::size_t utf8_sequence(std::string_view s, std::size_t i, std::size_t& skip) {
  const auto b0 = static_cast<unsigned char>(s[i]);
  std::size_t need = 0;
  unsigned char lo = 0x80, hi = 0xBF;  // the range of the second byte
  if (b0 >= 0xC2 && b0 <= 0xDF) need = 1;
  else if (b0 == 0xE0) need = 2, lo = 0xA0;
  else if (b0 == 0xED) need = 2, hi = 0x9F;
  else if (b0 >= 0xE1 && b0 <= 0xEF) need = 2;
  else if (b0 == 0xF0) need = 3, lo = 0x90;
  else if (b0 >= 0xF1 && b0 <= 0xF3) need = 3;
  else if (b0 == 0xF4) need = 3, hi = 0x8F;
  skip = 1;
  if (need == 0) return 0;
  for (std::size_t k = 1; k <= need; ++k) {
    if (i + k >= s.size()) return 0;
    auto b = static_cast<unsigned char>(s[i + k]);
    if (k == 1 ? (b < lo || b > hi) : (b < 0x80 || b > 0xBF)) return 0;
    skip = k + 1;
  }
  return need + 1;
}

}  // namespace

namespace {

// The first byte at or after `i` that a JSON string cannot carry as it is: a control character, '"', '\\',
// or the start of a UTF-8 sequence to check. Sixteen bytes at a time where SSE2 is there (every x86-64): the
// task path writes a few kilobytes of strings per task, nearly all plain ASCII.
std::size_t plain_run_end(std::string_view v, std::size_t i) {
  const auto n = v.size();
#if defined(__SSE2__)
  const __m128i quote = _mm_set1_epi8('"');
  const __m128i backslash = _mm_set1_epi8('\\');
  const __m128i space = _mm_set1_epi8(0x20);
  for (; i + 16 <= n; i += 16) {
    const __m128i b = _mm_loadu_si128(reinterpret_cast<const __m128i*>(v.data() + i));
    // Signed, bytes from 0x80 are negative: "less than 0x20" catches them with the control characters.
    const __m128i special = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(b, quote), _mm_cmpeq_epi8(b, backslash)),
                                         _mm_cmplt_epi8(b, space));
    if (const int mask = _mm_movemask_epi8(special)) return i + static_cast<std::size_t>(__builtin_ctz(mask));
  }
#endif
  for (; i < n; ++i) {
    const auto c = static_cast<unsigned char>(v[i]);
    if (c < 0x20 || c == '"' || c == '\\' || c >= 0x80) break;
  }
  return i;
}

}  // namespace

void append_json_string(std::string& out, std::string_view v) {
  static constexpr char hex[] = "0123456789abcdef";
  out.reserve(out.size() + v.size() + 2);
  out += '"';
  std::size_t i = 0;
  while (i < v.size()) {
    // Runs of bytes that need nothing are copied at once.
    auto start = i;
    i = plain_run_end(v, i);
    out.append(v.data() + start, i - start);
    if (i == v.size()) break;
    auto c = static_cast<unsigned char>(v[i]);
    if (c >= 0x80) {
      std::size_t skip = 1;
      if (auto n = utf8_sequence(v, i, skip)) {
        out.append(v.data() + i, n);
        i += n;
      } else {
        out += "\xEF\xBF\xBD";  // U+FFFD REPLACEMENT CHARACTER
        i += skip;
      }
      continue;
    }
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        out += "\\u00";
        out += hex[c >> 4];
        out += hex[c & 0xf];
    }
    ++i;
  }
  out += '"';
}

json_object json_object::extend(std::string object_text) {
  json_object o;
  if (object_text.size() >= 2 && object_text.back() == '}') {
    object_text.pop_back();
    o.text_ = std::move(object_text);
  }
  return o;
}

void json_object::key(std::string_view k) {
  if (text_.size() > 1) text_ += ',';
  append_json_string(text_, k);
  text_ += ':';
}

json_object& json_object::str(std::string_view k, std::string_view value) {
  key(k);
  append_json_string(text_, value);
  return *this;
}

json_object& json_object::num(std::string_view k, std::int64_t value) {
  key(k);
  char buf[24];
  auto end = std::to_chars(buf, buf + sizeof buf, value).ptr;
  text_.append(buf, end);
  return *this;
}

json_object& json_object::real(std::string_view k, double value) {
  if (!std::isfinite(value)) return null(k);  // JSON has no NaN or infinity
  key(k);
  char buf[32];
  auto end = std::to_chars(buf, buf + sizeof buf, value).ptr;
  text_.append(buf, end);
  // "1" would read back as an integer: a double keeps its point, as nlohmann::json writes it.
  if (std::string_view{buf, static_cast<std::size_t>(end - buf)}.find_first_of(".e") == std::string_view::npos)
    text_ += ".0";
  return *this;
}

json_object& json_object::boolean(std::string_view k, bool value) {
  key(k);
  text_ += value ? "true" : "false";
  return *this;
}

json_object& json_object::null(std::string_view k) {
  key(k);
  text_ += "null";
  return *this;
}

json_object& json_object::raw(std::string_view k, std::string_view json) {
  key(k);
  text_ += json;
  return *this;
}

std::string json_object::done() {
  text_ += '}';
  return std::move(text_);
}

void json_array::comma() {
  if (text_.size() > 1) text_ += ',';
}

json_array& json_array::str(std::string_view value) {
  comma();
  append_json_string(text_, value);
  return *this;
}

json_array& json_array::raw(std::string_view json) {
  comma();
  text_ += json;
  return *this;
}

std::string json_array::done() {
  text_ += ']';
  return std::move(text_);
}

}  // namespace paios
