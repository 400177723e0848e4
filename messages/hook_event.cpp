#include "messages/hook_event.hpp"

#include <cctype>

#include "messages/text.hpp"

namespace paios {

std::optional<std::string> canonical_hook_event(std::string_view name) {
  if (name.empty() || name.size() > 64) return std::nullopt;
  std::string folded;  // lower case, without separators
  for (char ch : name) {
    if (ch == '-' || ch == '_') continue;
    if (!is_ascii_alnum(ch)) return std::nullopt;
    folded += lower_ascii(ch);
  }
  if (folded.empty()) return std::nullopt;
  for (auto known : kHookEvents)
    if (lower_ascii(known) == folded) return std::string{known};
  // Unknown: PascalCase of its words (or the name itself when it has no separators).
  std::string out;
  bool upper = true;
  for (char ch : name) {
    if (ch == '-' || ch == '_') {
      upper = true;
      continue;
    }
    out += upper ? static_cast<char>(std::toupper(static_cast<unsigned char>(ch))) : ch;
    upper = false;
  }
  return out;
}

std::string kebab_hook_event(std::string_view canonical) {
  std::string out;
  for (std::size_t i = 0; i < canonical.size(); ++i) {
    if (is_ascii_upper(canonical[i]) && i > 0) out += '-';
    out += lower_ascii(canonical[i]);
  }
  return out;
}

}  // namespace paios
