#pragma once
// shared_config: the configuration the daemon runs with now. Set at start and by each accepted reload
// (actors/config); the actors whose keys are live (config/live_keys.hpp) read it each time they start, so that an
// actor restarted later (a crash, a reload) comes back with the configuration last accepted, not the one of the
// daemon's start. Safe for concurrent use: a reader gets a snapshot that no later set changes.
#include <memory>
#include <mutex>

#include "config/config.hpp"

namespace paios {

class shared_config {
 public:
  explicit shared_config(daemon_config initial) : current_(std::make_shared<const daemon_config>(std::move(initial))) {}

  std::shared_ptr<const daemon_config> get() const {
    std::lock_guard<std::mutex> lock(mu_);
    return current_;
  }
  void set(daemon_config next) {
    auto p = std::make_shared<const daemon_config>(std::move(next));
    std::lock_guard<std::mutex> lock(mu_);
    current_ = std::move(p);
  }

 private:
  mutable std::mutex mu_;
  std::shared_ptr<const daemon_config> current_;
};

}  // namespace paios
