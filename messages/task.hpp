#pragma once
// The task vocabulary of the bus: what is asked (task_spec), what streams back (task_update) and what is
// kept (task_record). Plain structs; JSON codecs in task.cpp, CAF registration in caf_types.hpp.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "messages/error.hpp"

namespace paios {

// queued -> running -> one terminal state. "interrupted": the daemon stopped while it ran.
enum class task_state : std::uint8_t { queued, running, succeeded, failed, cancelled, timed_out, interrupted };

std::string_view to_string(task_state s);
std::optional<task_state> task_state_from_string(std::string_view text);
bool is_terminal(task_state s);

// A file given with a task: its path (an agent reads it there) and, when known, its MIME type. The router
// weighs both (an image goes to the vision brain).
struct attachment {
  std::string name;
  std::string mime;
};

// What a client asked for. `brain` is the brain the client named, empty for "the default".
struct task_spec {
  std::string id;
  std::string prompt;
  std::string brain;
  std::string trace_id;         // 32 hex digits (W3C trace context)
  std::uint64_t span_id = 0;    // the task's span, assigned by the dispatcher: the parent of its brains' spans
  std::uint64_t parent_span = 0;  // the span it came from (the bridge's request), 0 for none
  std::int64_t timeout_ms = 0;  // 0: the brain's configured timeout
  std::int64_t created_ms = 0;  // unix epoch milliseconds
  std::vector<attachment> attachments;
};

// A task as the state store keeps it.
struct task_record {
  task_spec spec;
  task_state state = task_state::queued;
  std::string brain;  // the brain that ran (or last tried) it
  std::string text;   // the full answer
  errc error = errc::none;
  std::string error_message;
  int exit_code = 0;
  std::int64_t started_ms = 0;
  std::int64_t finished_ms = 0;
  int attempts = 0;
  // The routing decision (docs/protocol.md, route.list) as JSON text, "" until it is written: kept in the task's
  // row, so that the decision log costs no row of its own.
  std::string route;
};

// One task write of a batch: the dispatcher sends the writes of one turn to the state store together, so
// that a thousand tasks in flight cost a few requests, not a thousand (docs/benchmarks.md, issue 26).
struct task_write {
  task_record record;
  bool is_new = false;  // an insert (the task's first write), else an update of its row
};

// One step of a task's life, sent by the dispatcher to whoever submitted it. `route` and `request_id`
// are the submitter's own tags, returned untouched (the ZeroMQ bridge keeps the client identity there).
struct task_update {
  enum class kind : std::uint8_t { accepted, routed, chunk, result, error };
  kind what = kind::accepted;
  std::string route;
  std::string request_id;
  std::string task_id;
  std::string trace_id;
  std::uint64_t parent_span = 0;  // the task's parent_span: the submitter's span, which ends with the task
  std::string brain;
  std::string text;  // chunk text, the full answer of a result, or the reason of a routing decision
  std::uint32_t seq = 0;
  task_state state = task_state::queued;
  errc error = errc::none;
  std::string message;  // an error's message; of a routed update, its notice for people ("" mostly)
  int exit_code = 0;
  std::int64_t duration_ms = 0;
};

std::string_view to_string(task_update::kind k);

void to_json(nlohmann::json& j, const task_spec& t);
void to_json(nlohmann::json& j, const task_record& t);

}  // namespace paios
