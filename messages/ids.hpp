#pragma once
// Identifiers and clocks shared by the daemon and the client.
#include <cstdint>
#include <string>
#include <string_view>

namespace paios {

std::int64_t now_ms();  // unix epoch milliseconds

// "t-" + 11 hex digits of milliseconds + "-" + 8 random hex digits: sortable by creation time, unique.
std::string new_task_id();

std::int64_t now_us();  // unix epoch microseconds: event times

// A new W3C trace id as 32 hex digits (messages/trace.hpp has the integer form).
std::string new_trace_id();

}  // namespace paios
