// html_to_text (declared in convert.hpp): a small hand-written reader that keeps what a browser shows as
// text, and never crashes or loops whatever the input (unclosed tags, stray '<', quotes).
#include <algorithm>
#include <utility>

#include "core/content/convert.hpp"
#include "core/content/html_entities.hpp"
#include "core/content/text_cleanup.hpp"
#include "messages/text.hpp"

namespace paios {
namespace {

constexpr int max_list_indent = 8;  // deeper lists are not more readable, and hostile pages nest thousands deep

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

bool is_one_of(std::string_view name, std::initializer_list<std::string_view> names) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

// Elements whose content is never text for a reader: skipped with everything inside them.
bool is_raw_skipped(std::string_view n) { return is_one_of(n, {"script", "style", "noscript", "xmp", "iframe", "noembed", "noframes"}); }
bool is_subtree_skipped(std::string_view n) { return is_one_of(n, {"svg", "template", "math", "object"}); }
bool belongs_in_head(std::string_view n) {
  return is_one_of(n, {"title", "meta", "link", "style", "script", "base", "noscript", "template", "basefont", "bgsound"});
}
bool is_list(std::string_view n) { return n == "ul" || n == "ol" || n == "menu" || n == "dir"; }
bool is_heading(std::string_view n) { return n.size() == 2 && n[0] == 'h' && n[1] >= '1' && n[1] <= '6'; }
bool is_paragraph_block(std::string_view n) {
  return is_heading(n) || is_one_of(n, {"p", "pre", "blockquote", "table", "ul", "ol", "dl", "section", "article",
                                      "header", "footer", "main", "nav", "aside", "figure", "hr", "address",
                                      "form", "fieldset", "details", "hgroup", "center", "menu", "dialog"});
}
bool is_line_block(std::string_view n) {
  return is_one_of(n, {"div", "li", "tr", "dt", "dd", "caption", "summary", "figcaption", "option", "legend",
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
    if (name_start >= s_.size() || !is_ascii_alpha(s_[name_start])) return false;
    std::size_t name_end = name_start;
    while (name_end < s_.size() && (is_ascii_alnum(s_[name_end]) || s_[name_end] == '-' || s_[name_end] == ':')) ++name_end;
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

}  // namespace

std::string html_to_text(std::string_view html, std::string* title) { return html_reader{html}.read(title); }

}  // namespace paios
