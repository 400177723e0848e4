#pragma once
// Reading and checking the "autonomy" section: the policy's limits, its built-in rules (config/defaults.json,
// autonomy.builtin) and the user's pins (autonomy.pins), as core/autonomy's rule_spec.
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "core/autonomy/bash_parse.hpp"
#include "core/autonomy/rule.hpp"

namespace paios {

struct autonomy_config {
  autonomy::bash_limits limits;
  std::int64_t approval_timeout_ms = 600000;  // a pending approval's wait for a person, then deny
  int promote_after = 5;                       // approvals without a denial that make a pattern safe (0: never)
  // A person's session: how long an `ask` waits for the PostToolUse that says the person let it run (then it
  // counts as a denial), and how many such calls of one session are kept (the oldest dropped, uncounted).
  std::int64_t session_answer_timeout_ms = 3600000;
  int session_asked_max = 16;
  std::vector<autonomy::rule_spec> builtin;  // the defaults' rules
  std::vector<autonomy::rule_spec> pins;     // the user's: never overridden by learned rules
};

// From the "autonomy" object of the validated and checked merged configuration.
autonomy_config read_autonomy_config(const nlohmann::json& section);
// Checks beyond the schema, each error "autonomy.<list>.<index>.<field>: message": a regex that does not
// compile, an empty alternative, words or flags without commands, an id used twice.
void check_autonomy_config(const nlohmann::json& section, std::vector<std::string>& errors);

}  // namespace paios
