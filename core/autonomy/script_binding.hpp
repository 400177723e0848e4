#pragma once
// What an approval of a Bash call is bound to beyond its text: the content of the project's scripts the call
// runs. `./deploy.sh` approved today is not `./deploy.sh` after someone edited it, so a grant or a learned rule
// holds only while each script's SHA-256 is what it was when a person approved it (docs/autonomy.md, "Learning").
//
// Which files a command runs (scripts_run), for each simple command of it (after wrappers are taken off):
// - a program named by a path (`./x.sh`, `scripts/y.sh`, `/abs/project/tool`): that file;
// - a shell or interpreter (bash, sh, zsh, dash, ksh, python, python3, node, ruby, perl, php) given a file
//   (`bash scripts/y.sh`, `python3 -u tools/z.py`): its first argument that is not a flag (none with
//   `python -m`, whose module is not a file the command names);
// - `make`: the makefile it reads (`-f FILE`, `--file=FILE`, else GNUmakefile, makefile, Makefile in the folder
//   `-C DIR` names or the cwd, GNU make's order): the recipes are what runs. Files it includes are not followed.
// Only regular files inside the project (the call's cwd) count: a script of the system is not the project's.
// Runtime-free apart from reading the files.
#include <map>
#include <string>

#include "core/autonomy/bash_parse.hpp"
#include "core/autonomy/policy.hpp"

namespace paios::autonomy {

// Each script's resolved path and the SHA-256 of its content (64 hex digits, or "unreadable" when it could not
// be read: changed_script never takes an unreadable script for the one approved).
using script_hashes = std::map<std::string, std::string>;

// The project's scripts the call runs, hashed now (empty for a call that runs none, or not a Bash call).
script_hashes scripts_run(const tool_call& c, const bash_limits& limits);

// The first script whose content differs between what was approved and what the call runs now (one approved
// and not run now, or run now and not approved, counts too); "" when they are the same.
std::string changed_script(const script_hashes& approved, const script_hashes& now);
// The first script both approved and run now whose content differs ("" for none): for a rule that may decide one
// part of a call that runs other scripts too.
std::string differing_script(const script_hashes& approved, const script_hashes& now);

// As one string for a database column ("" for none; else a JSON object {path: sha256}), and back ({} for a
// text that is not such an object: an approval recorded before scripts were bound runs none).
std::string scripts_text(const script_hashes& s);
script_hashes scripts_of_text(const std::string& text);

}  // namespace paios::autonomy
