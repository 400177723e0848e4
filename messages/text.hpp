#pragma once
// Small text helpers every layer uses: header-only, no locale (the <cctype> functions consult it per byte).
#include <string_view>

namespace paios {

constexpr bool is_ascii_space(unsigned char c) { return c == ' ' || (c >= '\t' && c <= '\r'); }

// `s` without the ASCII white space at its ends (a view into `s`).
constexpr std::string_view trim_ascii(std::string_view s) {
  while (!s.empty() && is_ascii_space(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && is_ascii_space(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

}  // namespace paios
