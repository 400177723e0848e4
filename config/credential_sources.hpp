#pragma once
// Where a configuration's credentials come from (core/credentials): its declared entries, its enabled brains (their
// program and env) and $HOME, where the agents keep their logins. One reading for paiosd's alerts actor and for
// `ai doctor`, so that both judge the same list.
#include "config/config.hpp"
#include "core/credentials/credential_registry.hpp"

namespace paios {

credential_sources credential_sources_of(const daemon_config& cfg);

}  // namespace paios
