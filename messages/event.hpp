#pragma once
// An event published by an outside client (a hook script, a tool) with event.publish. The observability
// issue grows this into the traced event of every operation; the fields here are its stable core.
#include <cstdint>
#include <string>

#include <nlohmann/json_fwd.hpp>

namespace paios {

struct event_record {
  std::string id;
  std::int64_t time_ms = 0;
  std::string trace_id;
  std::string category;
  std::string action;
  std::string status;
  std::string data_json;  // the client's "data" object, serialized; "{}" when absent
};

// {event_id, time_ms, trace_id, category, action, status, data}: the event stream's body (docs/protocol.md).
void to_json(nlohmann::json& j, const event_record& e);

}  // namespace paios
