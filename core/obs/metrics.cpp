#include "core/obs/metrics.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <mutex>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/obs/event_sink.hpp"

namespace paios::metrics {
namespace {

enum class kind { counter, gauge, histogram };

struct definition {
  std::string_view name;
  kind type;
  std::string_view help;
};

// Every metric, once. An update naming another is a programming error and is dropped (never a crash).
constexpr std::array<definition, 9> kDefinitions{{
    {"paios_tasks_total", kind::counter, "Tasks finished, by the brain that ran (or last tried) them and their final state."},
    {"paios_task_duration_seconds", kind::histogram, "Time from acceptance to the stored outcome, by brain."},
    {"paios_breaker_transitions_total", kind::counter, "Circuit breaker transitions, by brain and the state entered."},
    {"paios_actor_restarts_total", kind::counter, "Restarts of supervised actors, by supervisor and child."},
    {"paios_tasks_in_flight", kind::gauge, "Tasks accepted and not yet finished."},
    {"paios_brain_queue_depth", kind::gauge, "Calls waiting in a brain's queue."},
    {"paios_brain_running", kind::gauge, "Calls a brain is running."},
    {"paios_events_emitted_total", kind::counter, "Events taken into the event store's queue."},
    {"paios_events_dropped_total", kind::counter, "Events dropped because the event store's queue was full."},
}};
// One more, read from the sink when rendered.
constexpr definition kQueued{"paios_events_queued", kind::gauge, "Events waiting to be written to the event store."};

// Seconds: from a millisecond to ten minutes (an agent's task may take that long).
constexpr std::array<double, 15> kBuckets{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 60, 600};

struct series {
  std::vector<std::pair<std::string, std::string>> labels;
  double value = 0;
  std::array<std::uint64_t, kBuckets.size() + 1> buckets{};  // the last: above every bound
  double sum = 0;
  std::uint64_t count = 0;
};

struct registry {
  std::mutex mutex;
  // name -> rendered labels -> series; std::map: rendering in a stable order
  std::map<std::string, std::map<std::string, series, std::less<>>, std::less<>> families;
};

registry& the_registry() {
  static registry r;
  return r;
}

const definition* find(std::string_view name) {
  for (const auto& d : kDefinitions)
    if (d.name == name) return &d;
  return name == kQueued.name ? &kQueued : nullptr;
}

std::string escape(std::string_view v) {
  if (v.find_first_of("\\\"\n") == std::string_view::npos) return std::string{v};
  std::string out;
  for (char c : v) {
    if (c == '\\' || c == '"') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out;
}

std::string render_labels(const std::vector<std::pair<std::string, std::string>>& ls, std::string_view extra = {}) {
  if (ls.empty() && extra.empty()) return {};
  std::string out = "{";
  for (const auto& [k, v] : ls) out += (out.size() > 1 ? "," : "") + k + "=\"" + escape(v) + "\"";
  if (!extra.empty()) out += (out.size() > 1 ? "," : "") + std::string{extra};
  return out + "}";
}

// The series of these labels, made on first use. The lookup renders the key into a buffer kept per thread:
// an update of an existing series allocates nothing.
series& at(registry& r, std::string_view name, labels l) {
  auto family_it = r.families.find(name);
  if (family_it == r.families.end()) family_it = r.families.emplace(std::string{name}, std::map<std::string, series, std::less<>>{}).first;
  auto& family = family_it->second;
  thread_local std::string key;
  key.clear();
  if (l.size() > 0) {
    key += '{';
    for (const auto& [k, v] : l) {
      if (key.size() > 1) key += ',';
      key.append(k);
      key += "=\"";
      key += escape(v);
      key += '"';
    }
    key += '}';
  }
  auto it = family.find(key);
  if (it == family.end()) {
    std::vector<std::pair<std::string, std::string>> ls;
    for (const auto& [k, v] : l) ls.emplace_back(k, v);
    it = family.emplace(key, series{std::move(ls)}).first;
  }
  return it->second;
}

// The shortest decimal that reads back as the same double ("0.0025", not "0.0025000000000000001"), as
// Prometheus clients write bucket bounds: a scraper that matches `le` labels as text finds them.
std::string number(double v) {
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  if (std::isnan(v)) return "NaN";
  char buf[32];
  for (int digits = 1; digits <= 17; ++digits) {
    std::snprintf(buf, sizeof buf, "%.*g", digits, v);
    if (std::strtod(buf, nullptr) == v) break;
  }
  return buf;
}

// The q-quantile from bucket counts, interpolating inside the bucket (as Prometheus' histogram_quantile).
double quantile(const series& s, double q) {
  if (s.count == 0) return 0;
  double rank = q * static_cast<double>(s.count);
  std::uint64_t seen = 0;
  for (std::size_t i = 0; i < s.buckets.size(); ++i) {
    if (static_cast<double>(seen + s.buckets[i]) >= rank) {
      double lo = i == 0 ? 0 : kBuckets[i - 1];
      if (i == kBuckets.size()) return lo;  // above the last bound: the bound is all that is known
      double hi = kBuckets[i];
      double within = s.buckets[i] ? (rank - static_cast<double>(seen)) / static_cast<double>(s.buckets[i]) : 0;
      return lo + (hi - lo) * within;
    }
    seen += s.buckets[i];
  }
  return kBuckets.back();
}

// The event store's intake, read from the installed sink.
void refresh_event_metrics(registry& r) {
  auto* sink = installed_event_sink();
  if (!sink) return;
  at(r, "paios_events_emitted_total", {}).value = static_cast<double>(sink->accepted());
  at(r, "paios_events_dropped_total", {}).value = static_cast<double>(sink->dropped());
  at(r, "paios_events_queued", {}).value = static_cast<double>(sink->depth());
}

}  // namespace

void count(std::string_view name, labels l, double by) {
  auto* d = find(name);
  if (!d || d->type != kind::counter) return;
  auto& r = the_registry();
  std::lock_guard lock(r.mutex);
  at(r, name, l).value += by;
}

void set(std::string_view name, labels l, double value) {
  auto* d = find(name);
  if (!d || d->type != kind::gauge) return;
  auto& r = the_registry();
  std::lock_guard lock(r.mutex);
  at(r, name, l).value = value;
}

void observe(std::string_view name, labels l, double value) {
  auto* d = find(name);
  if (!d || d->type != kind::histogram) return;
  auto& r = the_registry();
  std::lock_guard lock(r.mutex);
  auto& s = at(r, name, l);
  auto bucket = static_cast<std::size_t>(std::lower_bound(kBuckets.begin(), kBuckets.end(), value) - kBuckets.begin());
  ++s.buckets[bucket];
  s.sum += value;
  ++s.count;
}

std::string prometheus() {
  auto& r = the_registry();
  std::lock_guard lock(r.mutex);
  refresh_event_metrics(r);
  std::string out;
  for (const auto& [name, family] : r.families) {
    auto* d = find(name);
    if (!d) continue;
    out += "# HELP " + name + " " + std::string{d->help} + "\n# TYPE " + name + " " +
           (d->type == kind::counter ? "counter" : d->type == kind::gauge ? "gauge" : "histogram") + "\n";
    for (const auto& [key, s] : family) {
      if (d->type != kind::histogram) {
        out += name + key + " " + number(s.value) + "\n";
        continue;
      }
      std::uint64_t cumulative = 0;
      for (std::size_t i = 0; i < s.buckets.size(); ++i) {
        cumulative += s.buckets[i];
        auto le = "le=\"" + (i < kBuckets.size() ? number(kBuckets[i]) : std::string{"+Inf"}) + "\"";
        out += name + "_bucket" + render_labels(s.labels, le) + " " + std::to_string(cumulative) + "\n";
      }
      out += name + "_sum" + key + " " + number(s.sum) + "\n";
      out += name + "_count" + key + " " + std::to_string(s.count) + "\n";
    }
  }
  return out;
}

nlohmann::json snapshot() {
  auto& r = the_registry();
  std::lock_guard lock(r.mutex);
  refresh_event_metrics(r);
  nlohmann::json out = nlohmann::json::object();
  for (const auto& [name, family] : r.families) {
    auto* d = find(name);
    if (!d) continue;
    auto& list = out[name] = nlohmann::json::array();
    for (const auto& [key, s] : family) {
      nlohmann::json labels = nlohmann::json::object();
      for (const auto& [k, v] : s.labels) labels[k] = v;
      if (d->type != kind::histogram) {
        list.push_back({{"labels", labels}, {"value", s.value}});
      } else {
        list.push_back({{"labels", labels},
                        {"count", s.count},
                        {"sum", s.sum},
                        {"p50", quantile(s, 0.5)},
                        {"p90", quantile(s, 0.9)},
                        {"p99", quantile(s, 0.99)}});
      }
    }
  }
  return out;
}

void reset() {
  auto& r = the_registry();
  std::lock_guard lock(r.mutex);
  r.families.clear();
}

}  // namespace paios::metrics
