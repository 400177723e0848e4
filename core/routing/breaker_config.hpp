#pragma once
// A circuit breaker's thresholds, beside the breaker that uses them (config/ reads them from the "breaker" section).
#include <cstdint>

namespace paios {

// When a brain's circuit breaker opens and how it recovers (core/routing/circuit_breaker.hpp). The
// initial values equal the "breaker" section of config/defaults.json (a unit test checks).
struct breaker_config {
  bool enabled = true;                 // false: the brain is never judged (always called)
  int window = 20;                     // the last N calls are judged
  int min_calls = 5;                   // no verdict on fewer calls than this
  double failure_rate = 0.5;           // open when failed calls / calls in the window reach this
  std::int64_t slow_call_ms = 300000;  // a call at least this long is slow
  double slow_rate = 0.8;              // open when slow calls / calls in the window reach this
  std::int64_t open_ms = 30000;        // how long it stays open before probing
  int half_open_calls = 2;             // probe calls let through; all must succeed to close again
};

}  // namespace paios
