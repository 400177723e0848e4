#include "bridges/zmq/outbox.hpp"

#include <sys/eventfd.h>
#include <unistd.h>

#include <cstdint>
#include <stdexcept>

namespace paios {

outbox::outbox() : fd_(eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) {
  if (fd_ < 0) throw std::runtime_error("outbox: eventfd failed");
}

outbox::~outbox() { close(fd_); }

void outbox::reply(std::string identity, std::string body) {
  post({outbox_item::kind::reply, std::move(identity), std::move(body)});
}

void outbox::publish(std::string topic, std::string body) {
  post({outbox_item::kind::publish, std::move(topic), std::move(body)});
}

void outbox::post(outbox_item item) {
  bool was_empty;
  {
    std::lock_guard<std::mutex> lock{mutex_};
    was_empty = items_.empty();
    items_.push_back(std::move(item));
  }
  if (was_empty) {  // one wake-up per batch: the I/O thread drains everything at once
    std::uint64_t one = 1;
    [[maybe_unused]] auto n = write(fd_, &one, sizeof one);
  }
}

std::vector<outbox_item> outbox::drain() {
  std::uint64_t count;
  [[maybe_unused]] auto n = read(fd_, &count, sizeof count);
  std::vector<outbox_item> out;
  std::lock_guard<std::mutex> lock{mutex_};
  out.swap(items_);
  return out;
}

}  // namespace paios
