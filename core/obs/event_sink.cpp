#include "core/obs/event_sink.hpp"

#include "messages/ids.hpp"

namespace paios {
namespace {

std::atomic<event_sink*> installed{nullptr};

}  // namespace

event_sink::event_sink(std::size_t capacity, std::size_t batch)
    : capacity_(capacity), batch_(batch == 0 ? 1 : batch) {}

bool event_sink::push(event_record&& e) {
  std::function<void()> wake;
  {
    std::lock_guard lock(mutex_);
    if (queue_.size() >= capacity_) {
      ++dropped_since_drain_;
      dropped_total_.fetch_add(1, std::memory_order_relaxed);
      return false;
    }
    queue_.push(std::move(e));
    if (queue_.size() >= batch_ && !woken_ && wake_) {
      woken_ = true;
      wake = wake_;
    }
  }
  accepted_.fetch_add(1, std::memory_order_relaxed);
  if (wake) wake();
  return true;
}

std::uint64_t event_sink::drain(event_batch& out) {
  std::lock_guard lock(mutex_);
  out.append(queue_);
  woken_ = false;
  auto dropped = dropped_since_drain_;
  dropped_since_drain_ = 0;
  return dropped;
}

void event_sink::on_batch(std::function<void()> wake) {
  std::lock_guard lock(mutex_);
  wake_ = std::move(wake);
  woken_ = false;
}

std::size_t event_sink::depth() const {
  std::lock_guard lock(mutex_);
  return queue_.size();
}

void install_event_sink(event_sink* sink) { installed.store(sink, std::memory_order_release); }

event_sink* installed_event_sink() { return installed.load(std::memory_order_acquire); }

bool emit(event_record&& e) {
  auto* sink = installed.load(std::memory_order_acquire);
  return sink != nullptr && sink->push(std::move(e));
}

span_scope::span_scope(std::string_view category, std::string_view action, const trace_id& trace,
                       std::uint64_t parent, std::uint64_t span) {
  event.time_us = now_us();
  event.trace = trace;
  event.span = span != 0 ? span : new_span_id();
  event.parent = parent;
  event.category = category;
  event.action = action;
}

void span_scope::end(std::string_view status, std::string data_json) {
  event.duration_us = now_us() - event.time_us;
  event.status = status;
  event.data_json = std::move(data_json);
  emit(std::move(event));
}

bool emit_span(std::string_view category, std::string_view action, const trace_id& trace, std::uint64_t span,
               std::uint64_t parent, std::int64_t start_us, std::int64_t end_us, std::string_view status,
               std::string data_json) {
  if (installed_event_sink() == nullptr) return false;
  event_record e;
  e.time_us = start_us;
  e.duration_us = end_us > start_us ? end_us - start_us : 0;
  e.trace = trace;
  e.span = span != 0 ? span : new_span_id();
  e.parent = parent;
  e.category = category;
  e.action = action;
  e.status = status;
  e.data_json = std::move(data_json);
  return emit(std::move(e));
}

}  // namespace paios
