#pragma once
// The whole check a configuration gets before paiosd runs with it: load_config (config/config.hpp), then the
// router built from it, since a rule that does not compile is a configuration error too. One checker for
// paiosd's start, `paiosd --check-config` and `ai config check|edit`, so that they never disagree.
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "config/config.hpp"

namespace paios {

class classifier;

struct checked_config {
  std::optional<daemon_config> config;  // set only when errors is empty
  std::shared_ptr<classifier> router;   // the router the configuration describes, with config
  std::vector<std::string> errors;      // "path: message", one per problem
};

// `user_file` (the built-in defaults alone when nullopt) checked as paiosd checks it at start.
checked_config check_config(const std::optional<std::filesystem::path>& user_file);

}  // namespace paios
