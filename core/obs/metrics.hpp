#pragma once
// metrics: the daemon's counters, gauges and histograms, in one process-wide registry (as a Prometheus
// client's default registry): tasks by brain and outcome, task latency by brain, breaker transitions, actor
// restarts, queue depths, and the event store's intake (emitted, queued, dropped). Every metric is declared
// once, with its help text, in metrics.cpp. Updates take one lock and a lookup (well under a microsecond);
// reading renders the Prometheus text format (/metrics) or JSON (`ai status --json`), with latency
// percentiles estimated from the histogram's buckets. Thread-safe throughout.
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

#include <nlohmann/json_fwd.hpp>

namespace paios::metrics {

using labels = std::initializer_list<std::pair<std::string_view, std::string_view>>;

void count(std::string_view name, labels l = {}, double by = 1);  // counters (names end in _total)
void set(std::string_view name, labels l, double value);           // gauges
void observe(std::string_view name, labels l, double value);       // histograms (seconds)

std::string prometheus();  // the text exposition format, version 0.0.4
nlohmann::json snapshot(); // {name: [{labels: {...}, value} | {labels, count, sum, p50, p90, p99}]}

void reset();  // tests: forget every series

}  // namespace paios::metrics
