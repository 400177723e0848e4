#include "messages/hook_event.hpp"

#include <cctype>

namespace paios {

std::optional<std::string> canonical_hook_event(std::string_view name) {
  if (name.empty() || name.size() > 64) return std::nullopt;
  std::string folded;  // lower case, without separators
  for (char ch : name) {
    auto c = static_cast<unsigned char>(ch);
    if (c == '-' || c == '_') continue;
    if (!std::isalnum(c)) return std::nullopt;
    folded += static_cast<char>(std::tolower(c));
  }
  if (folded.empty()) return std::nullopt;
  for (auto known : kHookEvents) {
    std::string k;
    for (char ch : known) k += static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    if (k == folded) return std::string{known};
  }
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
    auto c = static_cast<unsigned char>(canonical[i]);
    if (std::isupper(c) && i > 0) out += '-';
    out += static_cast<char>(std::tolower(c));
  }
  return out;
}

}  // namespace paios
