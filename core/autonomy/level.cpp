#include "core/autonomy/level.hpp"

namespace paios::autonomy {

std::string_view to_string(level l) {
  switch (l) {
    case level::safe: return "safe";
    case level::ask: return "ask";
    case level::never: return "never";
  }
  return "ask";
}

// The spellings are to_string's: written once.
std::optional<level> level_from_string(std::string_view text) {
  for (auto l : {level::safe, level::ask, level::never})
    if (to_string(l) == text) return l;
  return std::nullopt;
}

}  // namespace paios::autonomy
