#include "messages/event.hpp"

#include <nlohmann/json.hpp>

namespace paios {

namespace {

void append_escaped(std::string& out, std::string_view v) {
  static constexpr char hex[] = "0123456789abcdef";
  out += '"';
  for (unsigned char c : v) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20) {
      out += "\\u00";
      out += hex[c >> 4];
      out += hex[c & 0xf];
    } else {
      out += static_cast<char>(c);
    }
  }
  out += '"';
}

}  // namespace

void event_data::key(std::string_view k) {
  if (text_.size() > 1) text_ += ',';
  append_escaped(text_, k);
  text_ += ':';
}

event_data& event_data::str(std::string_view k, std::string_view value) {
  key(k);
  append_escaped(text_, value);
  return *this;
}

event_data& event_data::num(std::string_view k, std::int64_t value) {
  key(k);
  text_ += std::to_string(value);
  return *this;
}

event_data& event_data::raw(std::string_view k, std::string_view json) {
  key(k);
  text_ += json;
  return *this;
}

std::string event_id(std::int64_t seq) { return seq > 0 ? "e-" + std::to_string(seq) : std::string{}; }

std::int64_t event_seq(std::string_view id) {
  if (id.size() < 3 || id.size() > 21 || id.substr(0, 2) != "e-") return 0;
  std::int64_t v = 0;
  for (char c : id.substr(2)) {
    if (c < '0' || c > '9') return 0;
    v = v * 10 + (c - '0');
  }
  return v;
}

void to_json(nlohmann::json& j, const event_record& e) {
  auto data = nlohmann::json::parse(e.data_json, nullptr, false);
  j = nlohmann::json{{"event_id", event_id(e.seq)},
                     {"trace_id", to_hex(e.trace)},
                     {"span_id", span_hex(e.span)},
                     {"parent_id", e.parent ? nlohmann::json(span_hex(e.parent)) : nlohmann::json(nullptr)},
                     {"time_us", e.time_us},
                     {"duration_us", e.duration_us},
                     {"category", e.category},
                     {"action", e.action},
                     {"status", e.status},
                     {"data", data.is_object() ? data : nlohmann::json::object()}};
}

}  // namespace paios
