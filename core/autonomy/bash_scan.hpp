#pragma once
// A small scanner for the Bash that agents write most: lists of simple commands joined by `;`, `&&`, `||`, `|`,
// `&` and newlines, whose words are plain, single- or double-quoted, escaped, `$NAME`, `${NAME}` or `$(...)`
// (scanned the same way), with redirections after the words. It exists because tree-sitter-bash costs about
// 0.5 us a byte, and a 2 KB compound command must be judged in well under 50 us (issue 18).
// Promises: it reads a command only when it is certain to read it as bash_parse's tree-sitter walk does (the
// same words, quoting undone the same way, the same substitutions, redirections and pipelines), and says no
// for anything else: keywords, comments, globs in braces or brackets, backticks, here-documents,
// subshells, arithmetic, `${...}` operators, line continuations, control or non-ASCII bytes outside quotes, a NUL
// byte anywhere, a `#` after a word of digits (`757#`: tree-sitter's number, then an error), and
// every form it does not know. autonomy_scan_test compares both readings on the corpus and on generated lists.
//
// It hands what it reads to a sink as it reads it (no tree of the command is built: building one cost more
// than reading), so a sink sees the start of a command that the scanner may still refuse; then scan_bash
// returns false and the sink undoes what it was given since the call (bash_parse keeps a checkpoint).
#include <string>
#include <string_view>
#include <vector>

namespace paios::autonomy {

// One word as the shell passes it on: its text with quoting and escapes undone, expansions and substitutions
// left as written.
struct shell_word {
  std::string text;
  bool dynamic = false;             // holds an expansion other than $HOME, or a substitution
  std::vector<std::string> fed_by;  // names of the commands substituted into it (filled by the sink)
};

// A redirection after a command's words (`> f`, `2>&1`, `&>> log`, `< in`). Views into the scanned text.
struct scanned_redirect {
  std::string_view op;  // as tree-sitter names it: <, >, >>, &>, &>>, <&, >&, >|
  std::string destination;
  std::string_view text;  // its source text
};

// What the scanner reads, in the order a walk of tree-sitter's tree meets it. Calls nest: the commands of a
// `$(...)` come between substitution_begin and substitution_end, while the word holding it is being read
// (before the command of that word).
class scan_sink {
 public:
  virtual ~scan_sink() = default;
  virtual void pipeline_begin() = 0;
  // A simple command, a stage of the current pipeline: `words` (never empty; assignments before the name left
  // out) may be taken apart; `text` is the source text of its words and assignments, as tree-sitter's command
  // node spans it.
  virtual void command(std::vector<shell_word>& words, const std::vector<scanned_redirect>& redirects,
                       std::string_view text) = 0;
  virtual void substitution_begin() = 0;
  // The substitution's commands feed the word being read: the sink adds their names to `word.fed_by`.
  virtual void substitution_end(shell_word& word) = 0;
};

// Whether the command was read (the sink got all of it), or not certain (then tree-sitter reads it, and the
// sink drops what it got). Never throws.
bool scan_bash(std::string_view command, scan_sink& sink);

// Whether scan_bash would read the command (for tests and the fuzzer).
bool bash_scannable(std::string_view command);

}  // namespace paios::autonomy
