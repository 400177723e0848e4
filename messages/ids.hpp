#pragma once
// Identifiers and clocks shared by the daemon and the client.
#include <cstdint>
#include <string>
#include <string_view>

namespace paios {

std::int64_t now_ms();  // unix epoch milliseconds

// "t-" + 11 hex digits of milliseconds + "-" + 8 random hex digits: sortable by creation time, unique.
std::string new_task_id();
std::string new_event_id();

// W3C trace-context: a 32-hex trace id (never all zeros).
std::string new_trace_id();
// The trace id of a "traceparent" header value ("00-<trace>-<span>-<flags>"), or empty when malformed.
std::string trace_id_from_traceparent(std::string_view traceparent);

}  // namespace paios
