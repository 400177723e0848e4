#include "core/autonomy/bash_scan.hpp"

#include <algorithm>
#include <array>
#include <deque>

namespace paios::autonomy {
namespace {

constexpr int max_nesting = 16;  // $( $( ... ) ) deeper than this goes to tree-sitter, which has its own limits

bool is_name_char(char c) {  // tree-sitter's \w
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

// Reserved words and the declarations tree-sitter reads as their own statements: where one stands as a word,
// the command is not a plain list of simple commands.
bool is_reserved(std::string_view w) {
  if (w.empty() || w[0] < 'a' || w[0] > 'z') return false;  // most words are none: a length and a first letter tell
  switch (w.size()) {
    case 2: return w == "if" || w == "fi" || w == "do" || w == "in";
    case 3: return w == "for" || w == "let";
    case 4: return w == "then" || w == "elif" || w == "else" || w == "case" || w == "esac" || w == "done" || w == "time";
    case 5: return w == "while" || w == "until" || w == "local" || w == "unset";
    case 6: return w == "select" || w == "coproc" || w == "export";
    case 7: return w == "declare" || w == "typeset";
    case 8: return w == "function" || w == "readonly" || w == "unsetenv";
    default: return false;
  }
}

// The words of the commands being read, one vector per command, kept between calls (a command's words cost no
// allocation once the thread has read a few). A stack: scanners nest (a sink reads a `bash -c` string while the
// words of the command holding it are in use), and a deque's elements stay where they are as it grows.
class word_vectors {
 public:
  std::vector<shell_word>& acquire() {
    if (used_ == vectors_.size()) vectors_.emplace_back();
    auto& v = vectors_[used_++];
    v.clear();
    return v;
  }
  void release() { --used_; }

 private:
  std::deque<std::vector<shell_word>> vectors_;
  std::size_t used_ = 0;
};

thread_local word_vectors scratch_words;

// A sink that keeps nothing: for bash_scannable.
class null_sink final : public scan_sink {
 public:
  void pipeline_begin() override {}
  void command(std::vector<shell_word>&, const std::vector<scanned_redirect>&, std::string_view) override {}
  void substitution_begin() override {}
  void substitution_end(shell_word&) override {}
};

class scanner {
 public:
  scanner(std::string_view s, scan_sink& sink) : s_(s), sink_(sink) {}

  // A list up to the end of the text, or (in a substitution) up to its `)`, which it consumes.
  bool list(bool in_substitution, int depth) {
    if (depth > max_nesting) return false;
    skip_blanks(true);
    bool any = false;  // a pipeline was read
    for (;;) {
      if (at_end()) return !in_substitution && any;
      if (peek() == ')') {
        if (!in_substitution || !any) return false;
        ++i_;
        return true;
      }
      if (!pipeline(depth)) return false;
      any = true;
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

  bool pipeline(int depth) {
    sink_.pipeline_begin();
    for (;;) {
      if (!command(depth)) return false;
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

  // A simple command, handed to the sink once it is all read.
  bool command(int depth) {
    auto& words = scratch_words.acquire();
    const bool read = command(words, depth);
    scratch_words.release();
    return read;
  }

  bool command(std::vector<shell_word>& words, int depth) {
    std::vector<scanned_redirect> redirects;
    skip_blanks(false);
    const std::size_t start = i_;
    std::size_t words_end = i_;
    for (;;) {
      skip_blanks(false);
      if (at_end()) break;
      if (at_redirect()) {
        if (words.empty()) return false;  // before the name: tree-sitter keeps it in the command node
        redirects.emplace_back();
        if (!redirect(redirects.back(), depth)) return false;
        continue;
      }
      if (ends_command(peek())) break;
      // tree-sitter's redirection destination takes every word after it: `> f b` is not `b` as an argument.
      if (!redirects.empty()) return false;
      const std::size_t word_start = i_;
      if (words.empty() && assignment_ahead()) {
        shell_word value;
        i_ = s_.find('=', i_) + 1;
        if (at_end() || peek() == ' ' || peek() == '\t' || ends_command(peek())) return false;  // X= cmd
        if (!word(value, depth, false)) return false;
        words_end = i_;
        continue;
      }
      words.emplace_back();
      if (!word(words.back(), depth, true)) return false;
      const std::string_view raw = s_.substr(word_start, i_ - word_start);
      if (is_reserved(raw) || (words.size() == 1 && raw.size() == 2 && raw[0] == '{' && raw[1] == '}')) return false;
      words_end = i_;
    }
    if (words.empty()) return false;
    sink_.command(words, redirects, s_.substr(start, words_end - start));
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
    shell_word destination;
    const std::size_t start = i_;
    while (!at_end() && peek() >= '0' && peek() <= '9') ++i_;
    auto take = [&](std::string_view op) {
      if (s_.substr(i_, op.size()) != op) return false;
      r.op = op;
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
    if (!word(destination, depth, false)) return false;
    r.destination = std::move(destination.text);
    r.text = s_.substr(start, i_ - start);
    return true;
  }

  // A word up to a blank or an operator; false when it holds anything not read here (a substitution, unless
  // `substitutions`: in an assignment or a redirection's destination tree-sitter's reading differs).
  bool word(shell_word& w, int depth, bool substitutions) {
    const std::size_t start = i_;
    bool plain_run = false;  // the previous character was part of an unquoted plain run (`#` may follow)
    // `{}` alone (find -exec's file, xargs -I's): tree-sitter reads it as a word; other braces are not read here.
    if (i_ + 1 < s_.size() && s_[i_] == '{' && s_[i_ + 1] == '}' && (i_ + 2 == s_.size() || s_[i_ + 2] == ' ' || s_[i_ + 2] == '\t' ||
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
        if (!double_quoted(w, depth, substitutions)) return false;
        plain_run = false;
      } else if (c == '$') {
        if (!expansion(w, depth, substitutions)) return false;
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
  bool double_quoted(shell_word& w, int depth, bool substitutions) {
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
        if (!expansion(w, depth, substitutions)) return false;
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
  bool expansion(shell_word& w, int depth, bool substitutions) {
    const std::size_t start = i_;
    if (i_ + 1 >= s_.size()) return false;
    const char n = s_[i_ + 1];
    if (n == '(') {
      if (i_ + 2 < s_.size() && s_[i_ + 2] == '(') return false;  // arithmetic
      if (!substitutions) return false;
      i_ += 2;
      sink_.substitution_begin();
      if (!list(true, depth + 1)) return false;
      sink_.substitution_end(w);
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
  scan_sink& sink_;
};

}  // namespace

bool scan_bash(std::string_view command, scan_sink& sink) {
  // tree-sitter's reading ends at a NUL byte (as a shell's argv string does); the scanner would read on past it.
  // Found by tests/fuzz/fuzz_bash (seeds/bash/nul_in_quotes_then_a_write).
  if (command.find('\0') != std::string_view::npos) return false;
  scanner sc(command, sink);
  return sc.list(false, 0) && sc.at_end();
}

bool bash_scannable(std::string_view command) {
  null_sink sink;
  return scan_bash(command, sink);
}

}  // namespace paios::autonomy
