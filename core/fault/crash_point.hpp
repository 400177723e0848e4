#pragma once
// crash_point: a named place on the task path where a test can make paiosd die as a kill -9 would, to prove
// what each step has already made durable. Armed only with PAIOS_FAULT_INJECTION=1 and PAIOS_CRASH_AT=<name>;
// otherwise a call is one test of a flag read once at start.
//
// The points (tests/integration/integrity_test.cpp): "accepted" (the task is stored, the client not told yet),
// "running" (the task is stored running, its agent not started yet), "ended" (its agent has ended, the outcome
// not stored yet), "stored" (the outcome is stored, the client not told yet).
#include <string_view>

namespace paios {

void crash_point(std::string_view name);

}  // namespace paios
