#include "messages/event.hpp"

#include <nlohmann/json.hpp>

namespace paios {

void to_json(nlohmann::json& j, const event_record& e) {
  auto data = nlohmann::json::parse(e.data_json, nullptr, false);
  j = nlohmann::json{{"event_id", e.id},         {"time_ms", e.time_ms}, {"trace_id", e.trace_id},
                     {"category", e.category},   {"action", e.action},   {"status", e.status},
                     {"data", data.is_discarded() ? nlohmann::json::object() : data}};
}

}  // namespace paios
