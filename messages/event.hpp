#pragma once
// event_record: the traced event every operation leaves (docs/protocol.md, "Events"). A span when it has a
// duration, a point in time when not; its trace id ties it to the request it served, its parent span to the
// operation that caused it. Outside clients add their own with event.publish.
#include <cstdint>
#include <string>
#include <string_view>

#include <nlohmann/json_fwd.hpp>

#include "messages/json_writer.hpp"  // event data is written with json_object
#include "messages/trace.hpp"

namespace paios {

struct event_record {
  std::int64_t seq = 0;          // the event store's id, assigned when it is stored; shown as "e-<seq>"
  std::int64_t time_us = 0;      // when the operation began, unix epoch microseconds
  std::int64_t duration_us = 0;  // 0 for a point in time
  trace_id trace;
  std::uint64_t span = 0;
  std::uint64_t parent = 0;      // 0: a root span
  std::string category;          // task, route, brain, bridge, hook, kb, mcp, supervisor, breaker, scheduler,
                                 // watcher, autonomy, config (outside clients may name others)
  std::string action;            // what was done, e.g. "run", "classify", "task.submit"
  std::string status;            // "ok", or what went wrong: an error code or a task's final state
  std::string data_json;         // a JSON object's text, "{}" when empty; secrets are redacted when stored
};

// A question to the event store (obs.query).
struct event_query {
  trace_id trace;                         // invalid (zero): any trace
  std::string category, action, status;  // "" matches any
  std::int64_t since_us = 0;              // 0: no lower bound
  std::int64_t until_us = 0;              // 0: no upper bound (exclusive)
  int min_score = 0, max_score = 0;       // 0: no bound; else only events of traces with a score in range
  int limit = 100;
  std::int64_t before_seq = 0;            // paging: only events stored before this one (0: from the newest)
};

// A quality score from 1 to 5 for a task, or for its routing decision (which shares the task's id); the
// latest score of a target replaces the earlier one.
struct score_record {
  std::string target;  // a task id
  trace_id trace;      // the task's trace: what ties the score to the events
  int score = 0;
  std::string note;
  std::int64_t time_ms = 0;
};

std::string event_id(std::int64_t seq);
// The seq of "e-42"; 0 when the text is no event id.
std::int64_t event_seq(std::string_view id);  // "e-42"; "" before the event is stored

// {event_id, trace_id, span_id, parent_id (null for a root), time_us, duration_us, category, action, status,
// data}: the event as the wire shows it.
void to_json(nlohmann::json& j, const event_record& e);

}  // namespace paios
