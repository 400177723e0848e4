#include "core/autonomy/bash_scan.hpp"

#include <algorithm>
#include <array>
#include <cstring>

namespace paios::autonomy {
namespace {

constexpr int max_nesting = 16;  // $( $( ... ) ) deeper than this goes to tree-sitter, which has its own limits

bool is_name_char(char c) {  // tree-sitter's \w
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

// Reserved words and the declarations tree-sitter reads as their own statements: where one stands as a word,
// the command is not a plain list of simple commands.
bool is_reserved(std::string_view w) {
  static constexpr std::array<std::string_view, 25> words = {
      "if",       "then",  "elif",  "else",   "fi",    "case",    "esac",    "for",      "select",
      "while",    "until", "do",    "done",   "function", "in",   "time",    "coproc",   "declare",
      "typeset",  "export", "local", "readonly", "unset", "unsetenv", "let"};
  if (w.size() < 2 || w.size() > 8 || w[0] < 'a' || w[0] > 'z') return false;  // lengths first: most words are none
  for (auto r : words)
    if (r.size() == w.size() && std::memcmp(r.data(), w.data(), w.size()) == 0) return true;
  return false;
}

class scanner {
 public:
  explicit scanner(std::string_view s) : s_(s) {}

  // A list up to the end of the text, or (in a substitution) up to its `)`, which it consumes.
  bool list(scanned_list& out, bool in_substitution, int depth) {
    if (depth > max_nesting) return false;
    skip_blanks(true);
    for (;;) {
      if (at_end()) return !in_substitution && !out.pipelines.empty();
      if (peek() == ')') {
        if (!in_substitution || out.pipelines.empty()) return false;
        ++i_;
        return true;
      }
      std::vector<scanned_command> stages;
      if (!pipeline(stages, depth)) return false;
      out.pipelines.push_back(std::move(stages));
      skip_blanks(false);
      if (at_end() || peek() == ')') continue;
      const char c = peek();
      const char d = i_ + 1 < s_.size() ? s_[i_ + 1] : '\0';
      if ((c == '&' && d == '&') || (c == '|' && d == '|')) {
        i_ += 2;
        skip_blanks(true);
        if (at_end() || peek() == ')') return false;  // `a &&` at the end: tree-sitter calls it an error
      } else if (c == ';' || c == '\n' || c == '&') {
        if (c == ';' && (d == ';' || d == '&')) return false;  // case terminators
        ++i_;
        skip_blanks(true);
      } else {
        return false;
      }
      if (!at_end() && (peek() == ';' || peek() == '&' || peek() == '|')) return false;  // `a; ; b`
    }
  }

  bool at_end() const { return i_ >= s_.size(); }

 private:
  char peek() const { return s_[i_]; }

  void skip_blanks(bool newlines) {
    while (!at_end() && (peek() == ' ' || peek() == '\t' || (newlines && peek() == '\n'))) ++i_;
  }

  bool pipeline(std::vector<scanned_command>& stages, int depth) {
    for (;;) {
      scanned_command c;
      if (!command(c, depth)) return false;
      stages.push_back(std::move(c));
      skip_blanks(false);
      if (at_end() || peek() != '|' || (i_ + 1 < s_.size() && (s_[i_ + 1] == '|' || s_[i_ + 1] == '&')))
        return true;
      ++i_;
      skip_blanks(true);
    }
  }

  // A character that stands for itself in an unquoted word: not a blank, an operator, a quote, `$`, `\\`, a
  // character word() refuses, `#` or `=` (whose meaning depends on where they stand).
  static bool plain(char c) {
    static const auto table = [] {
      std::array<bool, 256> t{};
      for (int u = 0x21; u < 0x7f; ++u) t[u] = true;
      for (unsigned char x : std::string_view("\n;&|)<>(`{}[]!'\"$\\#=")) t[x] = false;
      return t;
    }();
    return table[static_cast<unsigned char>(c)];
  }

  // Whether the word from `start` up to `end` (default: here) is all digits: tree-sitter reads a number there.
  bool digits_only(std::size_t start, std::size_t end = std::string_view::npos) const {
    if (end == std::string_view::npos) end = i_;
    if (end <= start) return false;
    for (std::size_t k = start; k < end; ++k)
      if (s_[k] < '0' || s_[k] > '9') return false;
    return true;
  }

  bool ends_command(char c) const { return c == '\n' || c == ';' || c == '&' || c == '|' || c == ')'; }

  // Redirections start with `<`, `>`, `&>` or digits right before `<` or `>`.
  bool at_redirect() const {
    std::size_t k = i_;
    while (k < s_.size() && s_[k] >= '0' && s_[k] <= '9') ++k;
    if (k < s_.size() && (s_[k] == '<' || s_[k] == '>')) return true;
    return k == i_ && k + 1 < s_.size() && s_[k] == '&' && s_[k + 1] == '>';
  }

  bool command(scanned_command& c, int depth) {
    c.words.reserve(8);
    skip_blanks(false);
    const std::size_t start = i_;
    std::size_t words_end = i_;
    bool names_seen = false;
    for (;;) {
      skip_blanks(false);
      if (at_end()) break;
      if (at_redirect()) {
        if (c.words.empty()) return false;  // before the name: tree-sitter keeps it in the command node
        scanned_redirect r;
        if (!redirect(r, depth)) return false;
        c.redirects.push_back(std::move(r));
        continue;
      }
      if (ends_command(peek())) break;
      // tree-sitter's redirection destination takes every word after it: `> f b` is not `b` as an argument.
      if (!c.redirects.empty()) return false;
      const std::size_t word_start = i_;
      if (!names_seen && assignment_ahead()) {
        scanned_word value;
        i_ = s_.find('=', i_) + 1;
        if (at_end() || peek() == ' ' || peek() == '\t' || ends_command(peek())) return false;  // X= cmd
        if (!word(value, depth) || !value.substitutions.empty()) return false;
        words_end = i_;
        continue;
      }
      scanned_word w;
      if (!word(w, depth)) return false;
      const std::string_view raw = s_.substr(word_start, i_ - word_start);
      if (is_reserved(raw) || (!names_seen && raw == "{}")) return false;
      names_seen = true;
      c.words.push_back(std::move(w));
      words_end = i_;
    }
    if (c.words.empty()) return false;
    c.text = std::string(s_.substr(start, words_end - start));
    return true;
  }

  // NAME=... before the command's name (tree-sitter: a variable_assignment, which runs nothing itself).
  bool assignment_ahead() const {
    std::size_t k = i_;
    if (at_end() || !(is_name_char(s_[k]) && !(s_[k] >= '0' && s_[k] <= '9'))) return false;
    while (k < s_.size() && is_name_char(s_[k])) ++k;
    return k < s_.size() && s_[k] == '=';
  }

  bool redirect(scanned_redirect& r, int depth) {
    const std::size_t start = i_;
    while (!at_end() && peek() >= '0' && peek() <= '9') ++i_;
    auto take = [&](std::string_view op) {
      if (s_.substr(i_, op.size()) != op) return false;
      r.op = std::string(op);
      i_ += op.size();
      return true;
    };
    // Longest first; here-documents, here-strings, <>, >&- and process substitutions are not read here.
    if (take("<<") || take("<>") || take("<(") || take(">(") || take(">&-") || take("<&-")) return false;
    if (!(take("&>>") || take("&>") || take(">>") || take(">&") || take(">|") || take("<&") || take(">") ||
          take("<")))
      return false;
    skip_blanks(false);
    if (at_end() || ends_command(peek()) || at_redirect()) return false;
    if (!word(r.destination, depth) || !r.destination.substitutions.empty()) return false;
    r.text = std::string(s_.substr(start, i_ - start));
    return true;
  }

  // A word up to a blank or an operator; false when it holds anything not read here.
  bool word(scanned_word& w, int depth) {
    const std::size_t start = i_;
    bool plain_run = false;  // the previous character was part of an unquoted plain run (`#` may follow)
    // `{}` alone (find -exec's file, xargs -I's): tree-sitter reads it as a word; other braces are not read here.
    if (s_.substr(i_, 2) == "{}" && (i_ + 2 == s_.size() || s_[i_ + 2] == ' ' || s_[i_ + 2] == '\t' ||
                                     ends_command(s_[i_ + 2]))) {
      w.text += "{}";
      i_ += 2;
      return true;
    }
    while (!at_end()) {
      const char c = peek();
      const auto u = static_cast<unsigned char>(c);
      if (c == ' ' || c == '\t' || ends_command(c)) break;
      if (c == '<' || c == '>' || c == '(' || c == '`' || c == '{' || c == '}' || c == '[' || c == ']' ||
          c == '!' || u < 0x20 || u >= 0x7f)
        return false;
      if (c == '=' && i_ == start) return false;  // `== x`, `=~ x` are test arguments to tree-sitter
      if (c == '#' && !plain_run) return false;    // a comment, or a word tree-sitter reads its own way
      if (c == '#' && digits_only(start)) return false;  // `757#`: tree-sitter's number, then an error
      if (c == '\'') {
        auto close = s_.find('\'', i_ + 1);
        if (close == std::string_view::npos) return false;
        w.text.append(s_.substr(i_ + 1, close - i_ - 1));
        i_ = close + 1;
        plain_run = false;
      } else if (c == '"') {
        if (!double_quoted(w, depth)) return false;
        plain_run = false;
      } else if (c == '$') {
        if (!expansion(w, depth)) return false;
        plain_run = false;
      } else if (c == '\\') {
        if (i_ + 1 >= s_.size()) return false;
        const auto n = static_cast<unsigned char>(s_[i_ + 1]);
        if (n <= 0x20 || n >= 0x7f) return false;  // line continuations and escaped blanks
        w.text += s_[i_ + 1];
        i_ += 2;
        plain_run = true;
      } else {
        // A run of plain characters (`#` and `=` are plain inside one) is taken at once.
        std::size_t k = i_ + 1;
        while (k < s_.size() && (plain(s_[k]) || s_[k] == '=' || (s_[k] == '#' && !digits_only(start, k)))) ++k;
        w.text.append(s_.substr(i_, k - i_));
        i_ = k;
        plain_run = true;
      }
    }
    return i_ > start;
  }

  // "...": `\` keeps its meaning only before " \ $ ` (as bash_parse undoes it); $NAME, ${NAME}, $(...) inside.
  bool double_quoted(scanned_word& w, int depth) {
    ++i_;
    while (!at_end() && peek() != '"') {
      const char c = peek();
      const auto u = static_cast<unsigned char>(c);
      if (c == '`' || (u < 0x20 && c != '\t')) return false;
      if (c == '\\') {
        if (i_ + 1 >= s_.size()) return false;
        const char n = s_[i_ + 1];
        if (n == '\n' || n == '\r') return false;
        if (n == '"' || n == '\\' || n == '$' || n == '`') {
          w.text += n;
          i_ += 2;
        } else {
          w.text += c;
          ++i_;
        }
      } else if (c == '$') {
        if (!expansion(w, depth)) return false;
      } else {
        w.text += c;
        ++i_;
      }
    }
    if (at_end()) return false;
    ++i_;
    return true;
  }

  // $NAME, ${NAME} and $(...), kept as written; anything else after `$` is not read here.
  bool expansion(scanned_word& w, int depth) {
    const std::size_t start = i_;
    if (i_ + 1 >= s_.size()) return false;
    const char n = s_[i_ + 1];
    if (n == '(') {
      if (i_ + 2 < s_.size() && s_[i_ + 2] == '(') return false;  // arithmetic
      i_ += 2;
      scanned_list inner;
      if (!list(inner, true, depth + 1)) return false;
      w.substitutions.push_back(std::move(inner));
      w.dynamic = true;
    } else if (n == '{') {
      std::size_t k = i_ + 2;
      while (k < s_.size() && is_name_char(s_[k])) ++k;
      if (k == i_ + 2 || k >= s_.size() || s_[k] != '}') return false;
      i_ = k + 1;
    } else if (is_name_char(n)) {
      std::size_t k = i_ + 1;
      while (k < s_.size() && is_name_char(s_[k])) ++k;
      i_ = k;
    } else {
      return false;
    }
    const std::string_view written = s_.substr(start, i_ - start);
    // $HOME stays as written and is not dynamic: paths resolve it with the session's home.
    if (written != "$HOME" && written != "${HOME}") w.dynamic = true;
    w.text.append(written);
    return true;
  }

  std::string_view s_;
  std::size_t i_ = 0;
};

}  // namespace

std::optional<scanned_list> scan_bash(std::string_view command) {
  // tree-sitter's reading ends at a NUL byte (as a shell's argv string does); the scanner would read on past it.
  // Found by tests/fuzz/fuzz_bash (seeds/bash/nul_in_quotes_then_a_write).
  if (command.find('\0') != std::string_view::npos) return std::nullopt;
  scanned_list out;
  scanner sc(command);
  if (!sc.list(out, false, 0) || !sc.at_end()) return std::nullopt;
  return out;
}

}  // namespace paios::autonomy
