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

std::optional<level> level_from_string(std::string_view text) {
  if (text == "safe") return level::safe;
  if (text == "ask") return level::ask;
  if (text == "never") return level::never;
  return std::nullopt;
}

}  // namespace paios::autonomy
