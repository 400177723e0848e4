#pragma once
// A small scanner for the Bash that agents write most: lists of simple commands joined by `;`, `&&`, `||`, `|`,
// `&` and newlines, whose words are plain, single- or double-quoted, escaped, `$NAME`, `${NAME}` or `$(...)`
// (scanned the same way), with redirections after the words. It exists because tree-sitter-bash costs about
// 0.5 us a byte, and a 2 KB compound command must be judged in well under 50 us (issue 18).
// Promises: it reads a command only when it is certain to read it as bash_parse's tree-sitter walk does (the
// same words, quoting undone the same way, the same substitutions, redirections and pipelines), and returns
// nothing for anything else: keywords, comments, globs in braces or brackets, backticks, here-documents,
// subshells, arithmetic, `${...}` operators, line continuations, control or non-ASCII bytes outside quotes, a NUL
// byte anywhere, a `#` after a word of digits (`757#`: tree-sitter's number, then an error), and
// every form it does not know. autonomy_scan_test compares both readings on the corpus and on generated lists.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace paios::autonomy {

struct scanned_list;

// One word: its text with quoting and escapes undone, expansions and substitutions left as written.
struct scanned_word {
  std::string text;
  bool dynamic = false;                     // holds an expansion other than $HOME, or a substitution
  std::vector<scanned_list> substitutions;  // the $(...) in it, in order
};

// A redirection after a command's words (`> f`, `2>&1`, `&>> log`, `< in`).
struct scanned_redirect {
  std::string op;  // as tree-sitter names it: <, >, >>, &>, &>>, <&, >&, >|
  scanned_word destination;
  std::string text;  // its source text
};

struct scanned_command {
  std::vector<scanned_word> words;  // never empty; assignments before the name are left out (they run nothing)
  std::vector<scanned_redirect> redirects;
  std::string text;  // the source text of the words (and assignments), as tree-sitter's command node spans it
};

struct scanned_list {
  std::vector<std::vector<scanned_command>> pipelines;  // each a pipeline's stages, in order
};

// The command read, or nothing when it is not certain (then tree-sitter reads it). Never throws.
std::optional<scanned_list> scan_bash(std::string_view command);

}  // namespace paios::autonomy
