#include "core/content/text_cleanup.hpp"

#include "core/content/convert.hpp"
#include "messages/text.hpp"
#include "messages/utf8.hpp"

namespace paios {
namespace {

constexpr std::string_view replacement_char = "\xEF\xBF\xBD";

// Windows "Unicode" text files are UTF-16 with a BOM; they are text, not binary, once decoded.
std::string utf16_to_utf8(std::string_view s) {
  bool little = starts_with(s, "\xFF\xFE");
  auto unit = [&](std::size_t i) -> char32_t {
    auto a = static_cast<unsigned char>(s[i]), b = static_cast<unsigned char>(s[i + 1]);
    return little ? (b << 8 | a) : (a << 8 | b);
  };
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 2; i + 1 < s.size(); i += 2) {
    char32_t u = unit(i);
    if (u >= 0xD800 && u <= 0xDBFF && i + 3 < s.size()) {
      char32_t low = unit(i + 2);
      if (low >= 0xDC00 && low <= 0xDFFF) {
        append_utf8(out, 0x10000 + ((u - 0xD800) << 10) + (low - 0xDC00));
        i += 2;
        continue;
      }
    }
    if (u >= 0xD800 && u <= 0xDFFF) out += replacement_char;
    else append_utf8(out, u);
  }
  return out;
}

}  // namespace

bool is_utf16_bom(std::string_view s) { return starts_with(s, "\xFF\xFE") || starts_with(s, "\xFE\xFF"); }

std::string collapse_spaces(std::string_view s) {
  std::string out;
  bool space = false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    auto c = static_cast<unsigned char>(s[i]);
    bool nbsp = c == 0xC2 && i + 1 < s.size() && static_cast<unsigned char>(s[i + 1]) == 0xA0;
    if (is_ascii_space(c) || nbsp) {
      space = !out.empty();
      if (nbsp) ++i;
      continue;
    }
    if (space) out += ' ';
    space = false;
    out += static_cast<char>(c);
  }
  return out;
}

std::string tidy_lines(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  bool blank_pending = false;
  while (!text.empty()) {
    auto nl = text.find('\n');
    auto line = text.substr(0, nl);
    text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
    while (!line.empty() && (line.back() == ' ' || line.back() == '\t')) line.remove_suffix(1);
    if (line.empty()) {
      blank_pending = !out.empty();
      continue;
    }
    if (blank_pending) out += '\n';
    blank_pending = false;
    out.append(line);
    out += '\n';
  }
  if (!out.empty()) out.pop_back();
  return out;
}

std::string clean_text(std::string_view bytes) {
  if (is_utf16_bom(bytes)) {
    auto decoded = utf16_to_utf8(bytes);
    return clean_text(decoded);
  }
  if (starts_with(bytes, "\xEF\xBB\xBF")) bytes.remove_prefix(3);
  std::string out;
  out.reserve(bytes.size());
  for (std::size_t i = 0; i < bytes.size();) {
    auto c = static_cast<unsigned char>(bytes[i]);
    if (c < 0x80) {
      if (c == '\r') {
        out += '\n';
        if (i + 1 < bytes.size() && bytes[i + 1] == '\n') ++i;
      } else if (c == '\f') {
        out += '\n';
      } else if (c >= 0x20 && c != 0x7F) {
        out += static_cast<char>(c);
      } else if (c == '\n' || c == '\t') {
        out += static_cast<char>(c);
      }  // other control characters carry nothing readable (and may drive a terminal)
      ++i;
      continue;
    }
    char32_t cp;
    auto len = utf8_decode(bytes, i, cp);
    if (len == 0) {
      out += replacement_char;
      ++i;
      continue;
    }
    if (cp > 0x9F) out.append(bytes.substr(i, len));  // C1 controls are dropped like C0 ones
    i += len;
  }
  return out;
}

}  // namespace paios
