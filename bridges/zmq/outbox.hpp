#pragma once
// outbox: how the actor world hands frames to the bridge's I/O thread. Any thread may post; only the I/O
// thread drains. A post never blocks on the network: it appends under a short lock and wakes the I/O thread
// through an eventfd that the thread polls next to its ZeroMQ sockets. ZeroMQ sockets themselves are
// touched by the I/O thread alone (they are not thread-safe).
#include <mutex>
#include <string>
#include <vector>

namespace paios {

struct outbox_item {
  enum class kind { reply, publish } what = kind::reply;
  std::string address;  // reply: the client's ROUTER identity; publish: the topic
  std::string body;     // one JSON frame
};

class outbox {
 public:
  outbox();
  ~outbox();
  outbox(const outbox&) = delete;
  outbox& operator=(const outbox&) = delete;

  void reply(std::string identity, std::string body);
  void publish(std::string topic, std::string body);

  int wake_fd() const { return fd_; }
  // Takes everything posted so far (and clears the wake-up). I/O thread only.
  std::vector<outbox_item> drain();

 private:
  void post(outbox_item item);

  int fd_;
  std::mutex mutex_;
  std::vector<outbox_item> items_;
};

}  // namespace paios
