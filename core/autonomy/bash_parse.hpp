#pragma once
// A bash command read as a shell would run it (tree-sitter's bash grammar): split into the simple commands it
// runs (`;`, `&&`, `||`, pipes, subshells, `$(...)`, backticks, `<(...)`, `>(...)`, function bodies), each with
// its quoting and escapes undone (`\rm`, `"rm"`, `r''m` are rm; `/bin/rm` is rm) and its wrappers taken off
// (sudo, doas, env with VAR=x, nice, nohup, timeout, time, command, exec, stdbuf, xargs and the command it runs,
// find -exec, `bash|sh|zsh|dash|ksh -c STRING`, `env -S STRING`, `eval` strings and here-documents a shell
// reads as its script parsed again (and `su|runuser -c STRING`), system()/exec() strings of
// `python -c`, `perl -e`, `node -e`, `ruby -e` one-liners parsed again), plus the files its redirections write.
// Promises: never throws; text that is only an argument (`echo "rm -rf /"`) is no command; what it cannot read
// surely (ERROR nodes, a command name made at run time, limits) is in `problems`, which the policy makes at
// least `ask`; over max_bytes nothing is parsed and `refused` says so.
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace paios::autonomy {

struct bash_limits {
  std::size_t max_bytes = 262144;  // a longer command is refused (ask), not parsed
  int max_depth = 8;               // strings parsed again (bash -c, eval, ...) inside each other, at most
  bool fast_scan = true;           // lists of simple commands read by bash_scan instead of tree-sitter (off:
                                   // tree-sitter reads everything; the equivalence test compares the two)
};

// One simple command as it runs.
struct command_part {
  std::vector<std::string> words;   // words[0] is the command's name (basename); never empty
  std::string program;              // a name written as a path, unquoted (`./run.sh`, `/bin/rm`): the file it
                                    // runs ("" for a name looked up in PATH: no copy for the common case)
  std::vector<std::string> fed_by;  // names of the commands whose output reaches it: earlier stages of its
                                    // pipeline, <(...) and $(...) in its words
  bool dynamic_name = false;        // the name is made at run time ($CMD, $(echo rm)): words[0] is its text
  bool interpreter_code = false;    // an interpreter one-liner (python -c CODE): words hold the code
  bool runtime_args = false;        // xargs adds arguments read at run time (unknown paths)
  std::string dir;                  // the folder a `cd` before it moved to ("" for the session's cwd)
  std::string text;                 // the source text it came from, for reasons (cut to 160 bytes)
};

// A redirection that writes a file (`>`, `>>`, `>|`, `&>`, `&>>`, `<>`, `>&FILE`).
struct file_write {
  std::string path;  // the destination, unquoted (not yet resolved)
  std::string text;  // the redirection's source text
};

struct bash_parse_result {
  std::vector<command_part> parts;
  std::vector<file_write> writes;
  std::vector<std::string> problems;  // why the reading is not sure
  bool refused = false;               // over a limit: nothing judged
};

bash_parse_result parse_bash(std::string_view command, const bash_limits& limits);

}  // namespace paios::autonomy
