#include "messages/event.hpp"

#include <nlohmann/json.hpp>

namespace paios {

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
