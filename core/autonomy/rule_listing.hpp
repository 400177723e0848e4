#pragma once
// How `ai autonomy` shows a rule (the daemon's autonomy.show and the CLI's own reading of the configuration
// when the daemon is down use the same words): its id, level, reason, what it matches in one line, and where it
// comes from. Runtime-free.
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "core/autonomy/rule.hpp"

namespace paios::autonomy {

// What a rule matches, for a person: "Bash: rm, flags r|R|recursive, outside the project; project /p".
std::string rule_matches_text(const rule_spec& r);

// {id, level, reason, matches, source, project?, brain?}: source is "builtin", "pin" or "learned".
nlohmann::json listed_rule(const rule_spec& r, std::string_view source);

}  // namespace paios::autonomy
