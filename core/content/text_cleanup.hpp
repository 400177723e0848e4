#pragma once
// The text clean-up every converter's output goes through; clean_text itself (declared in convert.hpp) makes
// bytes valid UTF-8, these shape lines and spaces.
#include <string>
#include <string_view>

namespace paios {

// Windows "Unicode" text begins with a UTF-16 byte order mark; such text is not binary.
bool is_utf16_bom(std::string_view s);
// Runs of whitespace (no-break spaces too) become one space; the ends are trimmed.
std::string collapse_spaces(std::string_view s);
// Trailing blanks go from every line, runs of blank lines become one, and the text has no blank ends.
std::string tidy_lines(std::string_view text);

}  // namespace paios
