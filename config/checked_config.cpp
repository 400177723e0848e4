#include "config/checked_config.hpp"

#include "core/routing/classifier.hpp"

namespace paios {

checked_config check_config(const std::optional<std::filesystem::path>& user_file) {
  checked_config out;
  auto loaded = load_config(user_file);
  if (!loaded.config) {
    out.errors = std::move(loaded.errors);
    return out;
  }
  std::vector<std::string> names;
  for (const auto& b : loaded.config->brains) names.push_back(b.name);
  out.router = classifier::build(loaded.config->merged["router"], names, out.errors);
  if (out.router) out.config = std::move(loaded.config);
  return out;
}

}  // namespace paios
