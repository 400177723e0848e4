#pragma once
// UTF-8 as RFC 3629 defines it: no overlong forms, no surrogates, nothing above U+10FFFF. Overlong forms and
// surrogates are how filters get bypassed, so nothing here accepts them.
#include <cstddef>
#include <string>
#include <string_view>

namespace paios {

// The length of the well-formed sequence at s[i], its code point in `cp`; 0 when s[i] starts none.
std::size_t utf8_decode(std::string_view s, std::size_t i, char32_t& cp);
// Appends the code point's encoding (at most U+10FFFF).
void append_utf8(std::string& out, char32_t cp);
// At most `max_bytes` bytes of `text`, cut at a character boundary (so never inside a sequence).
std::string utf8_prefix(std::string_view text, std::size_t max_bytes);

}  // namespace paios
