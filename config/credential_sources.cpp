#include "config/credential_sources.hpp"

#include <cstdlib>

namespace paios {

credential_sources credential_sources_of(const daemon_config& cfg) {
  credential_sources s;
  s.declared = cfg.credentials;
  for (const auto& b : cfg.brains)
    s.brains.push_back({b.name, b.command.empty() ? std::string{} : b.command.front(), b.env});
  if (const char* h = std::getenv("HOME"); h && *h == '/') s.home = h;
  return s;
}

}  // namespace paios
