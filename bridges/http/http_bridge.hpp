#pragma once
// http_bridge: the loopback HTTP endpoint (obs.http.endpoint) for monitoring systems:
//   GET /metrics   the metrics registry in Prometheus' text format (core/obs/metrics.hpp)
//   GET /healthz   {status: "ok" | "failing", uptime_ms, components: [{name, state, restarts, last_exit}],
//                  events: {stored, dropped, queued, last_error}}: 200 when every actor of the supervision
//                  tree runs, 503 otherwise (or when the tree does not answer within 2 s)
//
// Receives                  Replies
//   (status_atom)           std::string JSON {endpoint, error}: the address really bound, or why none is
// Owns: the http_server and its thread. An endpoint that cannot be bound (a port in use) is logged and
// reported by status; the actor stays up, so that a monitoring port never takes the daemon down.
#include <cstdint>
#include <string>

#include <caf/fwd.hpp>

namespace paios {

struct http_bridge_options {
  std::string endpoint;  // "127.0.0.1:9477"; "" for none
  std::int64_t started_ms = 0;
};

caf::actor spawn_http_bridge(caf::actor_system& sys, http_bridge_options opts);

}  // namespace paios
