#include "core/content/convert.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <memory>
#include <mutex>
#include <unordered_map>
#include <vector>

#include "core/process/process_runner.hpp"

#include "messages/text.hpp"
#include "messages/utf8.hpp"

namespace paios {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

// Text bigger than this is not a document a knowledge base should hold in one piece.
constexpr std::size_t max_text_bytes = 64u << 20;
constexpr auto converter_timeout = 60s;
constexpr std::size_t sniff_bytes = 8192;
constexpr std::size_t max_title_bytes = 120;
constexpr int max_list_indent = 8;  // deeper lists are not more readable, and hostile pages nest thousands deep
constexpr std::string_view replacement_char = "\xEF\xBF\xBD";

// ---------------------------------------------------------------------------------------------- UTF-8

// Length of the valid UTF-8 sequence at s[i] (its code point in `cp`), or 0 when s[i] starts none.
std::size_t utf8_sequence(std::string_view s, std::size_t i, char32_t& cp) { return utf8_decode(s, i, cp); }


bool starts_with(std::string_view s, std::string_view prefix) { return s.substr(0, prefix.size()) == prefix; }

bool is_utf16_bom(std::string_view s) { return starts_with(s, "\xFF\xFE") || starts_with(s, "\xFE\xFF"); }

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

std::string lower_ascii(std::string_view s) {
  std::string out{s};
  for (auto& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

// Runs of whitespace (no-break spaces too) become one space; the ends are trimmed.
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

// Trailing blanks go from every line, runs of blank lines become one, and the text has no blank ends.
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

// ---------------------------------------------------------------------------------------------- entities

char32_t named_entity(std::string_view name) {
  static const std::unordered_map<std::string_view, char32_t> table = {
      {"amp", '&'}, {"AMP", '&'}, {"lt", '<'}, {"LT", '<'}, {"gt", '>'}, {"GT", '>'}, {"quot", '"'},
      {"QUOT", '"'}, {"apos", '\''}, {"nbsp", 0xA0}, {"ensp", 0x2002}, {"emsp", 0x2003}, {"thinsp", 0x2009},
      {"zwnj", 0x200C}, {"zwj", 0x200D}, {"lrm", 0x200E}, {"rlm", 0x200F}, {"shy", 0xAD},
      {"iexcl", 0xA1}, {"cent", 0xA2}, {"pound", 0xA3}, {"curren", 0xA4}, {"yen", 0xA5}, {"brvbar", 0xA6},
      {"sect", 0xA7}, {"uml", 0xA8}, {"copy", 0xA9}, {"ordf", 0xAA}, {"laquo", 0xAB}, {"not", 0xAC},
      {"reg", 0xAE}, {"macr", 0xAF}, {"deg", 0xB0}, {"plusmn", 0xB1}, {"sup2", 0xB2}, {"sup3", 0xB3},
      {"acute", 0xB4}, {"micro", 0xB5}, {"para", 0xB6}, {"middot", 0xB7}, {"cedil", 0xB8}, {"sup1", 0xB9},
      {"ordm", 0xBA}, {"raquo", 0xBB}, {"frac14", 0xBC}, {"frac12", 0xBD}, {"frac34", 0xBE},
      {"iquest", 0xBF}, {"Agrave", 0xC0}, {"Aacute", 0xC1}, {"Acirc", 0xC2}, {"Atilde", 0xC3},
      {"Auml", 0xC4}, {"Aring", 0xC5}, {"AElig", 0xC6}, {"Ccedil", 0xC7}, {"Egrave", 0xC8},
      {"Eacute", 0xC9}, {"Ecirc", 0xCA}, {"Euml", 0xCB}, {"Igrave", 0xCC}, {"Iacute", 0xCD},
      {"Icirc", 0xCE}, {"Iuml", 0xCF}, {"ETH", 0xD0}, {"Ntilde", 0xD1}, {"Ograve", 0xD2}, {"Oacute", 0xD3},
      {"Ocirc", 0xD4}, {"Otilde", 0xD5}, {"Ouml", 0xD6}, {"times", 0xD7}, {"Oslash", 0xD8},
      {"Ugrave", 0xD9}, {"Uacute", 0xDA}, {"Ucirc", 0xDB}, {"Uuml", 0xDC}, {"Yacute", 0xDD},
      {"THORN", 0xDE}, {"szlig", 0xDF}, {"agrave", 0xE0}, {"aacute", 0xE1}, {"acirc", 0xE2},
      {"atilde", 0xE3}, {"auml", 0xE4}, {"aring", 0xE5}, {"aelig", 0xE6}, {"ccedil", 0xE7},
      {"egrave", 0xE8}, {"eacute", 0xE9}, {"ecirc", 0xEA}, {"euml", 0xEB}, {"igrave", 0xEC},
      {"iacute", 0xED}, {"icirc", 0xEE}, {"iuml", 0xEF}, {"eth", 0xF0}, {"ntilde", 0xF1}, {"ograve", 0xF2},
      {"oacute", 0xF3}, {"ocirc", 0xF4}, {"otilde", 0xF5}, {"ouml", 0xF6}, {"divide", 0xF7},
      {"oslash", 0xF8}, {"ugrave", 0xF9}, {"uacute", 0xFA}, {"ucirc", 0xFB}, {"uuml", 0xFC},
      {"yacute", 0xFD}, {"thorn", 0xFE}, {"yuml", 0xFF}, {"OElig", 0x152}, {"oelig", 0x153},
      {"Scaron", 0x160}, {"scaron", 0x161}, {"Yuml", 0x178}, {"fnof", 0x192}, {"circ", 0x2C6},
      {"tilde", 0x2DC}, {"Alpha", 0x391}, {"Beta", 0x392}, {"Gamma", 0x393}, {"Delta", 0x394},
      {"Omega", 0x3A9}, {"alpha", 0x3B1}, {"beta", 0x3B2}, {"gamma", 0x3B3}, {"delta", 0x3B4},
      {"epsilon", 0x3B5}, {"lambda", 0x3BB}, {"mu", 0x3BC}, {"pi", 0x3C0}, {"sigma", 0x3C3},
      {"tau", 0x3C4}, {"phi", 0x3C6}, {"omega", 0x3C9}, {"ndash", 0x2013}, {"mdash", 0x2014},
      {"lsquo", 0x2018}, {"rsquo", 0x2019}, {"sbquo", 0x201A}, {"ldquo", 0x201C}, {"rdquo", 0x201D},
      {"bdquo", 0x201E}, {"dagger", 0x2020}, {"Dagger", 0x2021}, {"bull", 0x2022}, {"hellip", 0x2026},
      {"permil", 0x2030}, {"prime", 0x2032}, {"Prime", 0x2033}, {"lsaquo", 0x2039}, {"rsaquo", 0x203A},
      {"euro", 0x20AC}, {"trade", 0x2122}, {"larr", 0x2190}, {"uarr", 0x2191}, {"rarr", 0x2192},
      {"darr", 0x2193}, {"harr", 0x2194}, {"lArr", 0x21D0}, {"rArr", 0x21D2}, {"hArr", 0x21D4},
      {"forall", 0x2200}, {"part", 0x2202}, {"exist", 0x2203}, {"empty", 0x2205}, {"nabla", 0x2207},
      {"isin", 0x2208}, {"sum", 0x2211}, {"minus", 0x2212}, {"lowast", 0x2217}, {"radic", 0x221A},
      {"infin", 0x221E}, {"and", 0x2227}, {"or", 0x2228}, {"cap", 0x2229}, {"cup", 0x222A},
      {"int", 0x222B}, {"asymp", 0x2248}, {"ne", 0x2260}, {"equiv", 0x2261}, {"le", 0x2264},
      {"ge", 0x2265}, {"sub", 0x2282}, {"sup", 0x2283}, {"loz", 0x25CA}, {"spades", 0x2660},
      {"clubs", 0x2663}, {"hearts", 0x2665}, {"diams", 0x2666}, {"check", 0x2713}, {"star", 0x2606}};
  auto it = table.find(name);
  return it == table.end() ? 0 : it->second;
}

// What a numeric reference means, as browsers read it: 128-159 are Windows-1252, the rest Unicode.
char32_t numeric_entity(char32_t v) {
  static const std::array<char32_t, 32> cp1252 = {
      0x20AC, 0xFFFD, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160,
      0x2039, 0x0152, 0xFFFD, 0x017D, 0xFFFD, 0xFFFD, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022,
      0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0xFFFD, 0x017E, 0x0178};
  if (v >= 0x80 && v <= 0x9F) return cp1252[v - 0x80];
  if (v == 0 || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF)) return 0xFFFD;
  return v;
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_hex_digit(char c) { return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }
bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool is_alnum(char c) { return is_alpha(c) || is_digit(c); }

// Decodes the reference at s[i] == '&' into `out`; returns the bytes it used, 0 when it is not one.
std::size_t decode_entity_at(std::string_view s, std::size_t i, std::string& out) {
  std::size_t j = i + 1;
  if (j < s.size() && s[j] == '#') {
    ++j;
    bool hex = j < s.size() && (s[j] == 'x' || s[j] == 'X');
    if (hex) ++j;
    std::size_t digits_start = j;
    char32_t v = 0;
    while (j < s.size() && (hex ? is_hex_digit(s[j]) : is_digit(s[j]))) {
      char c = s[j];
      int d = is_digit(c) ? c - '0' : (c | 0x20) - 'a' + 10;
      if (v <= 0x10FFFF) v = v * (hex ? 16 : 10) + static_cast<char32_t>(d);  // saturates past the range
      ++j;
    }
    if (j == digits_start) return 0;
    if (j < s.size() && s[j] == ';') ++j;
    char32_t cp = numeric_entity(v);
    if (cp >= 0x20 || cp == '\t' || cp == '\n' || cp == '\r' || cp == '\f') append_utf8(out, cp);
    return j - i;
  }
  while (j < s.size() && j - i <= 32 && is_alnum(s[j])) ++j;
  if (j == i + 1 || j >= s.size() || s[j] != ';') return 0;
  char32_t cp = named_entity(s.substr(i + 1, j - i - 1));
  if (cp == 0) return 0;
  if (cp == 0xA0) cp = ' ';  // in plain text a no-break space is a space
  if (cp != 0xAD) append_utf8(out, cp);  // a soft hyphen is invisible
  return j + 1 - i;
}

std::string decode_entities(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size();) {
    if (s[i] == '&') {
      if (auto used = decode_entity_at(s, i, out)) {
        i += used;
        continue;
      }
    }
    out += s[i++];
  }
  return out;
}

// ---------------------------------------------------------------------------------------------- HTML

// Lines of readable text, built from HTML text runs and the breaks its elements ask for. A break is only
// written when content follows, so empty elements leave nothing behind.
class text_builder {
 public:
  void text(std::string_view t) {
    for (std::size_t k = 0; k < t.size(); ++k) {
      auto c = static_cast<unsigned char>(t[k]);
      bool nbsp = c == 0xC2 && k + 1 < t.size() && static_cast<unsigned char>(t[k + 1]) == 0xA0;
      if (is_ascii_space(c) || nbsp) {
        space_ = true;
        if (nbsp) ++k;
        continue;
      }
      put(t[k]);
    }
  }

  void preformatted(std::string_view t) {
    for (char c : t) {
      if (c == '\r') continue;
      if (c == '\n') {
        flush_break();
        out_ += line_;
        out_ += '\n';
        line_.clear();
        has_content_ = false;
        continue;
      }
      flush_break();
      if (!has_content_) start_line();
      line_ += c;
    }
  }

  void line_break() { request(brk::line); }
  void paragraph_break() { request(brk::blank); }
  void hard_break() {  // <br>: ends the line, and a second one leaves an empty line
    if (has_content_) end_line();
    else request(brk::blank);
  }
  void list_item(int depth) {
    request(brk::line);
    prefix_.assign(static_cast<std::size_t>(std::clamp(depth - 1, 0, max_list_indent)) * 2, ' ');
    prefix_ += "- ";
  }
  void table_cell() {
    if (has_content_) cell_ = true;
  }

  std::string finish() {
    end_line();
    return tidy_lines(out_);
  }

 private:
  enum class brk { none, line, blank };

  void request(brk b) {
    if (b > break_) break_ = b;
  }
  void flush_break() {
    if (break_ == brk::none) return;
    end_line();
    if (break_ == brk::blank) out_ += '\n';
    break_ = brk::none;
  }
  void start_line() {
    line_ = prefix_;
    prefix_.clear();
    has_content_ = true;
    space_ = cell_ = false;
  }
  void end_line() {
    if (has_content_) {
      out_ += line_;
      out_ += '\n';
    }
    line_.clear();
    has_content_ = space_ = cell_ = false;
  }
  void put(char c) {
    flush_break();
    if (!has_content_) start_line();
    else if (cell_) line_ += " | ";
    else if (space_) line_ += ' ';
    space_ = cell_ = false;
    line_ += c;
  }

  std::string out_, line_, prefix_;
  bool has_content_ = false, space_ = false, cell_ = false;
  brk break_ = brk::none;
};

bool name_in(std::string_view name, std::initializer_list<std::string_view> names) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

// Elements whose content is never text for a reader: skipped with everything inside them.
bool is_raw_skipped(std::string_view n) { return name_in(n, {"script", "style", "noscript", "xmp", "iframe", "noembed", "noframes"}); }
bool is_subtree_skipped(std::string_view n) { return name_in(n, {"svg", "template", "math", "object"}); }
bool belongs_in_head(std::string_view n) {
  return name_in(n, {"title", "meta", "link", "style", "script", "base", "noscript", "template", "basefont", "bgsound"});
}
bool is_list(std::string_view n) { return n == "ul" || n == "ol" || n == "menu" || n == "dir"; }
bool is_heading(std::string_view n) { return n.size() == 2 && n[0] == 'h' && n[1] >= '1' && n[1] <= '6'; }
bool is_paragraph_block(std::string_view n) {
  return is_heading(n) || name_in(n, {"p", "pre", "blockquote", "table", "ul", "ol", "dl", "section", "article",
                                      "header", "footer", "main", "nav", "aside", "figure", "hr", "address",
                                      "form", "fieldset", "details", "hgroup", "center", "menu", "dialog"});
}
bool is_line_block(std::string_view n) {
  return name_in(n, {"div", "li", "tr", "dt", "dd", "caption", "summary", "figcaption", "option", "legend",
                     "thead", "tbody", "tfoot", "textarea", "body", "html", "frameset", "frame"});
}

class html_reader {
 public:
  explicit html_reader(std::string_view html) : s_(html) {}

  std::string read(std::string* title) {
    while (pos_ < s_.size()) {
      auto lt = s_.find('<', pos_);
      if (lt == std::string_view::npos) lt = s_.size();
      if (lt > pos_) on_text(s_.substr(pos_, lt - pos_));
      pos_ = lt;
      if (pos_ >= s_.size()) break;
      if (!read_markup()) {  // a '<' that opens nothing is text
        on_text("<");
        ++pos_;
      }
    }
    if (title) *title = !title_.empty() ? title_ : collapse_spaces(h1_);
    return out_.finish();
  }

 private:
  // Reads the markup at s_[pos_] == '<' and moves past it; false (nothing moved) when it is not markup.
  bool read_markup() {
    std::size_t next = pos_ + 1;
    if (next >= s_.size()) return false;
    char c = s_[next];
    if (c == '!') {
      if (s_.substr(pos_, 4) == "<!--") {
        auto end = s_.find("-->", pos_ + 2);
        pos_ = end == std::string_view::npos ? s_.size() : end + 3;
      } else {
        skip_past('>', next);  // <!doctype ...>, <![CDATA[...]]>
      }
      return true;
    }
    if (c == '?') {
      skip_past('>', next);
      return true;
    }
    bool closing = c == '/';
    std::size_t name_start = closing ? next + 1 : next;
    if (name_start >= s_.size() || !is_alpha(s_[name_start])) return false;
    std::size_t name_end = name_start;
    while (name_end < s_.size() && (is_alnum(s_[name_end]) || s_[name_end] == '-' || s_[name_end] == ':')) ++name_end;
    auto gt = tag_end(name_end);
    if (gt == std::string_view::npos) return false;
    std::string name = lower_ascii(s_.substr(name_start, name_end - name_start));
    bool self_closing = gt > name_end && s_[gt - 1] == '/';
    pos_ = gt + 1;
    if (closing) on_end_tag(name);
    else on_start_tag(name, self_closing);
    return true;
  }

  void skip_past(char c, std::size_t from) {
    auto at = s_.find(c, from);
    pos_ = at == std::string_view::npos ? s_.size() : at + 1;
  }

  // The '>' that ends a tag whose name ends at `from`: a quoted attribute value may hold '>'. A quote that
  // never closes was not meant as one, so then the first '>' ends the tag.
  std::size_t tag_end(std::size_t from) const {
    char quote = 0;
    bool after_equals = false;
    for (std::size_t j = from; j < s_.size(); ++j) {
      char c = s_[j];
      if (quote) {
        if (c == quote) quote = 0;
        continue;
      }
      if (c == '>') return j;
      if (c == '=') {
        after_equals = true;
      } else if ((c == '"' || c == '\'') && after_equals) {
        quote = c;
        after_equals = false;
      } else if (!is_ascii_space(static_cast<unsigned char>(c))) {
        after_equals = false;
      }
    }
    return s_.find('>', from);
  }

  // For raw-text elements: [content end, position after the end tag) of the element whose content starts
  // at pos_. Without an end tag the element runs to the end of the document, as in a browser.
  std::pair<std::size_t, std::size_t> find_end_tag(std::string_view name) const {
    for (std::size_t at = s_.find("</", pos_); at != std::string_view::npos; at = s_.find("</", at + 2)) {
      std::size_t after_name = at + 2 + name.size();
      if (after_name > s_.size() || lower_ascii(s_.substr(at + 2, name.size())) != name) continue;
      if (after_name < s_.size() && !is_ascii_space(static_cast<unsigned char>(s_[after_name])) &&
          s_[after_name] != '>' && s_[after_name] != '/')
        continue;
      auto gt = s_.find('>', after_name);
      return {at, gt == std::string_view::npos ? s_.size() : gt + 1};
    }
    return {s_.size(), s_.size()};
  }

  void on_start_tag(const std::string& name, bool self_closing) {
    if (is_raw_skipped(name)) {
      pos_ = find_end_tag(name).second;
      return;
    }
    if (skip_depth_ > 0) {
      if (name == skip_name_ && !self_closing) ++skip_depth_;
      return;
    }
    if (name == "title") {
      auto [end, after] = find_end_tag("title");
      if (title_.empty()) title_ = collapse_spaces(decode_entities(s_.substr(pos_, end - pos_)));
      pos_ = after;
      return;
    }
    if (is_subtree_skipped(name)) {
      if (!self_closing) {
        skip_name_ = name;
        skip_depth_ = 1;
      }
      return;
    }
    if (name == "head") {
      in_head_ = !seen_body_;
      return;
    }
    if (name == "body") seen_body_ = true;
    if (in_head_ && !belongs_in_head(name)) in_head_ = false;
    if (in_head_) return;

    if (name == "br") return out_.hard_break();
    if (name == "li") return out_.list_item(list_depth_);
    if (name == "td" || name == "th") return out_.table_cell();
    if (is_list(name)) {
      // A nested list continues its parent's item: a line break, not a paragraph.
      if (list_depth_++ > 0) return out_.line_break();
    }
    if (is_paragraph_block(name)) out_.paragraph_break();
    else if (is_line_block(name)) out_.line_break();
    if (name == "pre") {
      ++pre_depth_;
      if (pos_ < s_.size() && s_[pos_] == '\n') ++pos_;  // the newline right after <pre> is not content
    }
    if (name == "h1" && h1_.empty()) in_h1_ = true;
  }

  void on_end_tag(const std::string& name) {
    if (skip_depth_ > 0) {
      if (name == skip_name_) --skip_depth_;
      return;
    }
    if (name == "head") {
      in_head_ = false;
      return;
    }
    if (in_head_) return;
    if (is_list(name) && list_depth_ > 0 && --list_depth_ > 0) return out_.line_break();
    if (name == "pre" && pre_depth_ > 0) --pre_depth_;
    if (name == "h1") in_h1_ = false;
    if (name == "br") return out_.hard_break();  // </br> is read as <br> by browsers too
    if (is_paragraph_block(name)) out_.paragraph_break();
    else if (is_line_block(name) || name == "li") out_.line_break();
  }

  void on_text(std::string_view raw) {
    if (skip_depth_ > 0) return;
    if (in_head_) {
      if (trim_ascii(raw).empty()) return;
      in_head_ = false;  // text cannot be in <head>: a browser starts the body here
    }
    auto text = decode_entities(raw);
    if (in_h1_) h1_ += text;
    if (pre_depth_ > 0) out_.preformatted(text);
    else out_.text(text);
  }

  std::string_view s_;
  std::size_t pos_ = 0;
  text_builder out_;
  std::string title_, h1_, skip_name_;
  int skip_depth_ = 0, list_depth_ = 0, pre_depth_ = 0;
  bool in_head_ = false, seen_body_ = false, in_h1_ = false;
};

// ---------------------------------------------------------------------------------------------- kinds

std::string extension_of(std::string_view name) {
  auto cut = name.find_first_of("?#");
  if (name.find("://") != std::string_view::npos && cut != std::string_view::npos) name = name.substr(0, cut);
  auto slash = name.find_last_of('/');
  auto base = slash == std::string_view::npos ? name : name.substr(slash + 1);
  auto dot = base.find_last_of('.');
  if (dot == std::string_view::npos || dot == 0) return {};
  return lower_ascii(base.substr(dot + 1));
}

std::string kind_from_extension(std::string_view ext) {
  if (!ext.empty() && ext.front() == '.') ext.remove_prefix(1);
  auto e = lower_ascii(ext);
  if (name_in(e, {"txt", "text", "log"})) return "text";
  if (name_in(e, {"md", "markdown", "mdown", "mkd"})) return "markdown";
  if (name_in(e, {"html", "htm", "xhtml"})) return "html";
  if (e == "pdf") return "pdf";
  if (e == "docx") return "docx";
  return {};
}

std::string kind_from_mime(std::string_view mime) {
  auto type = lower_ascii(trim_ascii(mime.substr(0, mime.find(';'))));
  if (type == "text/html" || type == "application/xhtml+xml") return "html";
  if (type == "text/markdown" || type == "text/x-markdown") return "markdown";
  if (type == "application/pdf" || type == "application/x-pdf") return "pdf";
  if (type == "application/vnd.openxmlformats-officedocument.wordprocessingml.document") return "docx";
  if (starts_with(type, "text/") || type == "application/json" || type == "application/xml") return "text";
  return {};  // application/octet-stream and the like say nothing: sniff
}

std::string kind_from_hint(std::string_view hint) {
  hint = trim_ascii(hint);
  return hint.find('/') != std::string_view::npos ? kind_from_mime(hint) : kind_from_extension(hint);
}

bool is_pdf(std::string_view head) { return head.substr(0, 1024).find("%PDF-") != std::string_view::npos; }
bool is_zip(std::string_view head) { return starts_with(head, std::string_view{"PK\x03\x04", 4}); }
bool zip_holds_word_document(std::string_view zip) { return zip.find("word/document.xml") != std::string_view::npos; }

bool looks_binary(std::string_view head) {
  if (is_utf16_bom(head)) return false;
  return head.substr(0, sniff_bytes).find('\0') != std::string_view::npos;
}

bool looks_html(std::string_view head) {
  head = head.substr(0, sniff_bytes);
  if (starts_with(head, "\xEF\xBB\xBF")) head.remove_prefix(3);
  head = trim_ascii(head);
  if (starts_with(head, "<?xml")) head = trim_ascii(head.substr(std::min(head.find('>') + 1, head.size())));
  auto start = lower_ascii(head.substr(0, 16));
  return starts_with(start, "<!doctype html") || starts_with(start, "<html");
}

// A title from a file name or a URL: its last path segment without the extension.
std::string title_from_name(std::string_view name) {
  std::string_view n = name;
  bool url = n.find("://") != std::string_view::npos;
  if (url) n = n.substr(0, n.find_first_of("?#"));
  while (!n.empty() && n.back() == '/') n.remove_suffix(1);
  auto slash = n.find_last_of('/');
  auto base = slash == std::string_view::npos ? n : n.substr(slash + 1);
  if (url && slash != std::string_view::npos && slash >= 1 && n[slash - 1] == '/') return std::string{base};  // the host
  auto dot = base.find_last_of('.');
  if (dot != std::string_view::npos && dot > 0) base = base.substr(0, dot);
  return base.empty() ? std::string{name} : std::string{base};
}

std::string first_line_title(std::string_view text) {
  while (!text.empty()) {
    auto nl = text.find('\n');
    auto line = collapse_spaces(text.substr(0, nl));
    if (!line.empty()) return std::string{utf8_prefix(line, max_title_bytes)};
    if (nl == std::string_view::npos) break;
    text.remove_prefix(nl + 1);
  }
  return {};
}

// The first level-one heading outside code fences: "# Title" or a line underlined with "===".
std::string markdown_title(std::string_view text) {
  bool in_fence = false;
  std::string_view previous;
  while (!text.empty()) {
    auto nl = text.find('\n');
    auto line = text.substr(0, nl);
    text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
    auto body = trim_ascii(line);
    if (starts_with(body, "```") || starts_with(body, "~~~")) {
      in_fence = !in_fence;
      previous = {};
      continue;
    }
    if (in_fence) continue;
    std::size_t indent = line.find_first_not_of(' ');
    if (indent <= 3 && (body == "#" || starts_with(body, "# "))) {
      auto heading = trim_ascii(body.substr(1));
      while (!heading.empty() && heading.back() == '#') heading.remove_suffix(1);  // closing hashes
      auto title = collapse_spaces(heading);
      if (!title.empty()) return std::string{utf8_prefix(title, max_title_bytes)};
    }
    if (!body.empty() && body.find_first_not_of('=') == std::string_view::npos && !trim_ascii(previous).empty())
      return std::string{utf8_prefix(collapse_spaces(previous), max_title_bytes)};
    previous = line;
  }
  return {};
}

converted convert_text_kind(std::string_view bytes, const std::string& kind, std::string_view name) {
  converted c;
  c.kind = kind;
  if (kind == "html") {
    c.text = html_to_text(clean_text(bytes), &c.title);
  } else {
    c.text = clean_text(bytes);
    c.title = kind == "markdown" ? markdown_title(c.text) : first_line_title(c.text);
  }
  if (c.title.empty()) c.title = title_from_name(name);
  return c;
}

// ---------------------------------------------------------------------------------------------- converters

struct converter {
  const char* program;
  const char* package;
};

const converter pdf_converter{"pdftotext", "poppler-utils"};
const converter docx_converter{"pandoc", "pandoc"};

std::vector<std::string> converter_argv(const std::string& kind, std::string file) {
  if (!file.empty() && file.front() == '-') file = "./" + file;  // never read as an option
  if (kind == "pdf") return {pdf_converter.program, "-layout", "-enc", "UTF-8", file, "-"};
  return {docx_converter.program, "-f", "docx", "-t", "plain", "--wrap=none", file};
}

// The end of a converter's stderr, on one line, for an error message.
std::string stderr_summary(std::string_view tail) {
  auto text = collapse_spaces(clean_text(tail));
  if (text.size() > 400) text = "..." + text.substr(text.size() - 400);
  return text;
}

// Runs the converter for `kind` on `file`, waiting for it; its stdout, or nullopt with `error` set.
std::optional<std::string> run_converter(const std::string& kind, const std::string& file,
                                         const std::string& display, std::string& error) {
  const converter& tool = kind == "pdf" ? pdf_converter : docx_converter;
  auto fail = [&](const std::string& why) {
    error = "cannot convert " + display + ": " + why;
    return std::nullopt;
  };
  if (!resolve_program(tool.program))
    return fail(std::string{tool.program} + " is not installed (apt-get install " + tool.package + ")");

  // The runner calls back on its own thread; this is what the two threads share.
  struct shared {
    std::mutex m;
    std::condition_variable cv;
    std::string out;
    bool too_big = false, done = false;
    process_exit exit;
  };
  auto state = std::make_shared<shared>();
  process_spec spec;
  spec.argv = converter_argv(kind, file);
  spec.timeout = converter_timeout;
  spec.stderr_limit = 4096;
  auto runner = process_runner::start(
      std::move(spec),
      [state](std::string_view chunk) {
        std::lock_guard<std::mutex> lock(state->m);
        if (state->too_big) return;
        if (state->out.size() + chunk.size() > max_text_bytes) {
          state->too_big = true;
          state->cv.notify_all();
          return;
        }
        state->out.append(chunk);
      },
      [state](process_exit x) {
        std::lock_guard<std::mutex> lock(state->m);
        state->exit = std::move(x);
        state->done = true;
        state->cv.notify_all();
      });
  {
    std::unique_lock<std::mutex> lock(state->m);
    state->cv.wait(lock, [&] { return state->done || state->too_big; });
    if (!state->done) {
      lock.unlock();
      runner->cancel();
      lock.lock();
      state->cv.wait(lock, [&] { return state->done; });
    }
  }
  runner.reset();  // joins the runner's thread: nothing touches `state` any more

  const auto& x = state->exit;
  std::string program = tool.program;
  if (state->too_big) return fail(program + " produced more than " + std::to_string(max_text_bytes >> 20) + " MB of text");
  switch (x.what) {
    case process_exit::how::spawn_failed: return fail("cannot run " + program + ": " + x.error);
    case process_exit::how::timed_out:
      return fail(program + " took longer than " + std::to_string(converter_timeout.count()) + " s");
    case process_exit::how::cancelled: return fail(program + " was cancelled");
    case process_exit::how::signaled:
      return fail(program + " was killed by signal " + std::to_string(x.signal) + ": " + stderr_summary(x.stderr_tail));
    case process_exit::how::exited: break;
  }
  if (x.code != 0) {
    auto tail = stderr_summary(x.stderr_tail);
    return fail(program + " failed (exit code " + std::to_string(x.code) + ")" + (tail.empty() ? "" : ": " + tail));
  }
  return std::move(state->out);
}

std::optional<converted> convert_with_tool(const std::string& kind, const std::string& file,
                                           const std::string& display, std::string_view name, std::string& error) {
  auto out = run_converter(kind, file, display, error);
  if (!out) return std::nullopt;
  converted c;
  c.kind = kind;
  c.text = tidy_lines(clean_text(*out));
  c.title = first_line_title(c.text);
  if (c.title.empty()) c.title = title_from_name(name);
  return c;
}

// A private file holding `content` for a converter that reads files; removed when this goes.
class temp_file {
 public:
  temp_file(std::string_view content, const std::string& suffix, std::string& error) {
    const char* dir = std::getenv("TMPDIR");
    std::string templ = std::string{dir && *dir ? dir : "/tmp"} + "/paios-kb-XXXXXX" + suffix;
    int fd = mkstemps(templ.data(), static_cast<int>(suffix.size()));
    if (fd < 0) {
      error = std::string{"cannot create a temporary file: "} + std::strerror(errno);
      return;
    }
    path_ = templ;
    for (std::size_t written = 0; written < content.size();) {
      auto n = ::write(fd, content.data() + written, content.size() - written);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        error = std::string{"cannot write a temporary file: "} + std::strerror(errno);
        break;
      }
      written += static_cast<std::size_t>(n);
    }
    ::close(fd);
  }
  ~temp_file() {
    if (!path_.empty()) ::unlink(path_.c_str());
  }
  temp_file(const temp_file&) = delete;
  temp_file& operator=(const temp_file&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// ---------------------------------------------------------------------------------------------- files

std::optional<std::string> read_bytes(const fs::path& path, std::size_t limit, std::string& error) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    error = "cannot convert " + path.string() + ": cannot open it: " + std::strerror(errno);
    return std::nullopt;
  }
  std::string data(limit, '\0');
  in.read(data.data(), static_cast<std::streamsize>(limit));
  data.resize(static_cast<std::size_t>(in.gcount()));
  if (in.bad()) {
    error = "cannot convert " + path.string() + ": read error";
    return std::nullopt;
  }
  return data;
}

std::string unsupported(const std::string& display, std::string_view what) {
  return "cannot convert " + display + ": its type is not supported (" + std::string{what} +
         "; text, Markdown, HTML, PDF and DOCX are)";
}

}  // namespace

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
    auto len = utf8_sequence(bytes, i, cp);
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

std::string_view utf8_prefix(std::string_view text, std::size_t max_bytes) {
  if (text.size() <= max_bytes) return text;
  std::size_t cut = max_bytes;
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
  return text.substr(0, cut);
}

std::string html_to_text(std::string_view html, std::string* title) { return html_reader{html}.read(title); }

std::optional<converted> convert_file(const fs::path& path, std::string& error) {
  error.clear();
  const std::string display = path.string();
  std::error_code ec;
  auto status = fs::status(path, ec);
  if (ec || !fs::exists(status)) {
    error = "cannot convert " + display + ": no such file";
    return std::nullopt;
  }
  if (fs::is_directory(status)) {
    error = "cannot convert " + display + ": it is a directory";
    return std::nullopt;
  }
  if (!fs::is_regular_file(status)) {
    error = "cannot convert " + display + ": not a regular file";
    return std::nullopt;
  }
  auto size = fs::file_size(path, ec);
  if (ec) size = 0;
  auto head = read_bytes(path, sniff_bytes, error);
  if (!head) return std::nullopt;

  std::string by_extension = kind_from_extension(path.extension().string());
  std::string kind;
  if (is_pdf(*head)) {
    kind = "pdf";
  } else if (is_zip(*head)) {
    // word/document.xml is named in the archive's directory, at its end: look at the whole file.
    if (by_extension != "docx") {
      if (size > max_text_bytes) {
        error = unsupported(display, "a zip archive");
        return std::nullopt;
      }
      auto whole = read_bytes(path, max_text_bytes, error);
      if (!whole) return std::nullopt;
      if (!zip_holds_word_document(*whole)) {
        error = unsupported(display, "a zip archive that is not a .docx document");
        return std::nullopt;
      }
    }
    kind = "docx";
  } else if (!by_extension.empty()) {
    kind = by_extension;
  } else if (looks_binary(*head)) {
    error = unsupported(display, "binary content");
    return std::nullopt;
  } else {
    kind = looks_html(*head) ? "html" : "text";
  }

  if (kind == "pdf" || kind == "docx") return convert_with_tool(kind, path.string(), display, display, error);

  if (size > max_text_bytes) {
    error = "cannot convert " + display + ": it is larger than " + std::to_string(max_text_bytes >> 20) + " MB";
    return std::nullopt;
  }
  auto bytes = read_bytes(path, max_text_bytes, error);
  if (!bytes) return std::nullopt;
  return convert_text_kind(*bytes, kind, path.filename().string());
}

std::optional<converted> convert_content(std::string_view content, std::string_view kind_hint,
                                         std::string_view name, std::string& error) {
  error.clear();
  const std::string display = name.empty() ? std::string{"the content"} : std::string{name};
  std::string kind;
  if (is_pdf(content)) {
    kind = "pdf";
  } else if (is_zip(content)) {
    if (!zip_holds_word_document(content)) {
      error = unsupported(display, "a zip archive that is not a .docx document");
      return std::nullopt;
    }
    kind = "docx";
  } else {
    kind = kind_from_hint(kind_hint);
    if (kind.empty() && !name.empty()) kind = kind_from_extension(extension_of(name));
    if (kind.empty()) {
      if (looks_binary(content)) {
        error = unsupported(display, "binary content");
        return std::nullopt;
      }
      kind = looks_html(content) ? "html" : "text";
    }
  }
  if (kind == "pdf" || kind == "docx") {
    if (content.size() > max_text_bytes * 4) {
      error = "cannot convert " + display + ": it is larger than " + std::to_string(max_text_bytes >> 18) + " MB";
      return std::nullopt;
    }
    temp_file file(content, "." + kind, error);
    if (!error.empty()) {
      error = "cannot convert " + display + ": " + error;
      return std::nullopt;
    }
    return convert_with_tool(kind, file.path(), display, name, error);
  }
  if (content.size() > max_text_bytes) {
    error = "cannot convert " + display + ": it is larger than " + std::to_string(max_text_bytes >> 20) + " MB";
    return std::nullopt;
  }
  return convert_text_kind(content, kind, name);
}

converted convert_content(std::string_view content, std::string_view kind_hint, std::string_view name) {
  std::string error;
  if (auto c = convert_content(content, kind_hint, name, error)) return std::move(*c);
  converted empty;
  empty.title = title_from_name(name);
  empty.kind = is_pdf(content) ? "pdf" : is_zip(content) ? "docx" : kind_from_hint(kind_hint);
  if (empty.kind.empty()) empty.kind = "text";
  return empty;
}

}  // namespace paios
