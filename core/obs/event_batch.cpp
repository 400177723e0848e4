#include "core/obs/event_batch.hpp"

namespace paios {

void event_batch::push(event_record&& e) {
  data_ += e.data_json.empty() ? std::string_view{"{}"} : std::string_view{e.data_json};
  ends_.push_back(data_.size());
  events_.push_back(event_record{e.seq, e.time_us, e.duration_us, e.trace, e.span, e.parent, std::move(e.category),
                                 std::move(e.action), std::move(e.status), {}});
}

std::string_view event_batch::data(std::size_t i) const {
  const std::size_t begin = i == 0 ? 0 : ends_[i - 1];
  return std::string_view{data_}.substr(begin, ends_[i] - begin);
}

void event_batch::replace_data(std::vector<std::pair<std::size_t, std::string>>& changes) {
  if (changes.empty()) return;
  std::string rebuilt;
  rebuilt.reserve(data_.size());
  std::vector<std::size_t> ends;
  ends.reserve(ends_.size());
  auto next = changes.begin();
  for (std::size_t i = 0; i < events_.size(); ++i) {
    if (next != changes.end() && next->first == i) {
      rebuilt += next->second;
      ++next;
    } else {
      rebuilt += data(i);
    }
    ends.push_back(rebuilt.size());
  }
  data_.swap(rebuilt);
  ends_.swap(ends);
}

void event_batch::append(event_batch& other) {
  if (empty()) {
    swap(other);
    return;
  }
  const auto base = data_.size();
  data_ += other.data_;
  for (auto end : other.ends_) ends_.push_back(base + end);
  for (auto& e : other.events_) events_.push_back(std::move(e));
  other.clear();
}

void event_batch::swap(event_batch& other) noexcept {
  events_.swap(other.events_);
  ends_.swap(other.ends_);
  data_.swap(other.data_);
}

void event_batch::erase_front(std::size_t n) {
  if (n == 0) return;
  if (n >= size()) {
    clear();
    return;
  }
  const auto cut = ends_[n - 1];
  data_.erase(0, cut);
  ends_.erase(ends_.begin(), ends_.begin() + static_cast<std::ptrdiff_t>(n));
  for (auto& end : ends_) end -= cut;
  events_.erase(events_.begin(), events_.begin() + static_cast<std::ptrdiff_t>(n));
}

void event_batch::clear() {
  events_.clear();
  ends_.clear();
  data_.clear();
}

void event_batch::shrink_beyond(std::size_t events) {
  if (events_.capacity() <= events) return;
  std::vector<event_record> kept;
  kept.reserve(events_.size());
  for (auto& e : events_) kept.push_back(std::move(e));
  events_.swap(kept);
  std::vector<std::size_t>(ends_.begin(), ends_.end()).swap(ends_);
  std::string(data_).swap(data_);
}

}  // namespace paios
