#pragma once
// Learning from approvals: the pattern a person approved, as a rule that can make it `safe` for a project.
// A pattern is a Bash call of one simple command whose reading is sure (no problems, no redirections, no name
// made at run time, no interpreter code, no arguments read at run time): its command name and its first
// argument that is not a flag ("npm install", "git push"; "make" alone when there is none). Anything else has no
// pattern and is never learned. Runtime-free.
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "core/autonomy/bash_parse.hpp"
#include "core/autonomy/policy.hpp"
#include "core/autonomy/rule.hpp"

namespace paios::autonomy {

struct learn_pattern {
  std::string text;     // "npm install": what a person reads
  std::string key;      // (tool, text, project) as one string: what approvals are counted by
  rule_spec rule;       // level safe, limited to the project (the call's cwd) and to calls whose paths are all
                        // inside it, matching the pattern
};

std::optional<learn_pattern> pattern_of(const tool_call& c, const bash_limits& limits);

// A learned rule as the configuration's rule JSON (what rule_spec_from_json reads back): how it is persisted.
nlohmann::json learned_rule_json(const rule_spec& r);

}  // namespace paios::autonomy
