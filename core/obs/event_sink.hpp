#pragma once
// event_sink: the intake of the event store, and emit(), the one call every component makes to leave a
// traced event. Emitting never waits for I/O: it takes a lock for one push into a bounded queue, and the
// obs_store actor drains the queue in batches (on a short timer, or at once when a batch is full). A full
// queue drops the event and counts it; the count is reported (ai status, metrics, and an event of its own
// once there is room again), so nothing is dropped silently and the bus never blocks on the store.
//
// The daemon installs one sink for its lifetime (install_event_sink); with none installed, emit() is a
// no-op (unit tests, the ai client). Thread-safe throughout.
#include <atomic>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "core/obs/event_batch.hpp"
#include "messages/event.hpp"

namespace paios {

class event_sink {
 public:
  event_sink(std::size_t capacity, std::size_t batch);

  // False when the queue is full (the event is dropped and counted).
  bool push(event_record&& e);
  // The store's side: moves every queued event into `out` (appending; an empty `out` trades buffers with
  // the queue) and returns how many were dropped since the previous drain.
  std::uint64_t drain(event_batch& out);
  // Called, outside the lock, when the queue reaches a batch; once until the next drain.
  void on_batch(std::function<void()> wake);

  std::size_t depth() const;
  std::uint64_t accepted() const { return accepted_.load(std::memory_order_relaxed); }
  std::uint64_t dropped() const { return dropped_total_.load(std::memory_order_relaxed); }
  std::size_t capacity() const { return capacity_; }

 private:
  const std::size_t capacity_;
  const std::size_t batch_;
  mutable std::mutex mutex_;
  event_batch queue_;
  std::function<void()> wake_;
  bool woken_ = false;
  std::uint64_t dropped_since_drain_ = 0;
  std::atomic<std::uint64_t> accepted_{0};
  std::atomic<std::uint64_t> dropped_total_{0};
};

void install_event_sink(event_sink* sink);  // nullptr removes it; the caller keeps the sink alive meanwhile
event_sink* installed_event_sink();

// Leaves an event in the installed sink; false when there is none or it is full.
bool emit(event_record&& e);

// A span under way: records its start, and emits itself (with its duration) on end().
struct span_scope {
  event_record event;
  span_scope(std::string_view category, std::string_view action, const trace_id& trace, std::uint64_t parent,
             std::uint64_t span = 0);
  void end(std::string_view status, std::string data_json = "{}");
};

// A span that ended: emitted at once with its start and duration.
bool emit_span(std::string_view category, std::string_view action, const trace_id& trace, std::uint64_t span,
               std::uint64_t parent, std::int64_t start_us, std::int64_t end_us, std::string_view status,
               std::string data_json = "{}");

}  // namespace paios
