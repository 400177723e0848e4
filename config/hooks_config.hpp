#pragma once
// Reading and checking the "hooks" section into the hooks' settings (core/hooks/hooks_config.hpp).
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "core/hooks/hooks_config.hpp"

namespace paios {

// From the "hooks" object of the validated merged configuration.
hooks_config read_hooks_config(const nlohmann::json& section);
// Checks beyond the schema, each error "hooks.<path>: message": regexes that do not compile, a context
// timeout not below the deadline.
void check_hooks_config(const nlohmann::json& section, std::vector<std::string>& errors);

}  // namespace paios
