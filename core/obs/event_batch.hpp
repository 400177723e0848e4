#pragma once
// event_batch: events on their way to the event store, their data texts packed in one buffer. The sink's
// queue and the store's batch are event_batches that keep their capacity from one batch to the next, so
// an event waits for its write without a heap block of its own: a burst leaves no scattered blocks behind
// (resident memory), and emitting threads free only what they allocated themselves.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "messages/event.hpp"

namespace paios {

class event_batch {
 public:
  // Takes the event; its data text is copied into the buffer (e.data_json itself is left to its owner).
  void push(event_record&& e);
  std::size_t size() const { return events_.size(); }
  bool empty() const { return events_.empty(); }
  // The event without its data (data_json is empty): see data().
  event_record& operator[](std::size_t i) { return events_[i]; }
  const event_record& operator[](std::size_t i) const { return events_[i]; }
  std::string_view data(std::size_t i) const;
  // Replaces the data of some events (index, new text), in increasing index order.
  void replace_data(std::vector<std::pair<std::size_t, std::string>>& changes);
  // Moves every event of `other` after these; `other` is left empty (its capacity kept).
  void append(event_batch& other);
  void swap(event_batch& other) noexcept;
  void erase_front(std::size_t n);
  void clear();  // keeps the capacity
  // Gives the buffers' spare capacity back to the allocator when they have room for more than `events`.
  void shrink_beyond(std::size_t events);

 private:
  std::vector<event_record> events_;
  std::vector<std::size_t> ends_;    // data(i) is data_[ends_[i-1], ends_[i])
  std::string data_;
};

}  // namespace paios
