#pragma once
// The three levels of the autonomy policy and a decision about one tool call. Promises: levels are ordered by
// strictness (safe < ask < never), so "the strictest wins" is a max; names are the wire's and the config's.
#include <optional>
#include <string>
#include <string_view>

namespace paios::autonomy {

enum class level : unsigned char {
  safe = 0,   // allowed, and recorded
  ask = 1,    // a person decides
  never = 2,  // denied, with the reason
};

std::string_view to_string(level l);
std::optional<level> level_from_string(std::string_view text);
inline level strictest(level a, level b) { return a < b ? b : a; }

// What the policy says of a tool call: the level, the rule that made it ("" when no rule matched and the
// default, ask, applies) and a sentence for a person naming the rule and the part of the command it matched.
struct decision {
  level lvl = level::ask;
  std::string rule;
  std::string reason;
};

}  // namespace paios::autonomy
