#pragma once
// config_file: how `ai` edits another program's configuration file (Claude Code's settings.json and .mcp.json,
// Codex's config.toml, Gemini's settings.json) without losing anything of it.
//
// Promises: a file is only ever replaced whole, atomically (a temporary file beside it, fsync'd, renamed over
// it, with the old file's permissions), after a copy of the old one was made (<file>.paios-backup-<unix ms>);
// when any step fails, the file is as it was and the error names the file and the cause.
#include <filesystem>
#include <functional>
#include <ostream>
#include <string>

#include <nlohmann/json.hpp>

#include "core/hooks/claude_hook_settings.hpp"  // shell_quote

namespace paios {

// The file's bytes into `out`; false with `error` set when it cannot be read.
bool read_text_file(const std::filesystem::path& file, std::string& out, std::string& error);

// Replaces (or creates, with its folder) `file` with `text` atomically (a temporary file beside it, fsync'd,
// renamed over it, with `mode`), without a backup. False with `error` set, the file as it was.
bool write_file_atomically(const std::filesystem::path& file, const std::string& text, unsigned mode, std::string& error);

// Replaces (or creates, with its folder) `file` with `text` as promised above. `backup` gets the copy's path
// ("" when there was no file). False with `error` set ("cannot write /x/settings.json: Permission denied").
bool replace_file(const std::filesystem::path& file, const std::string& text, std::string& backup, std::string& error);

enum class edit_result { unchanged, changed, refused };

// Makes a file's new text from its old one (`exists` false and `before` "" for a file not there yet); refused
// with `error` set leaves the file alone.
using text_edit = std::function<edit_result(const std::string& before, bool exists, std::string& after, std::string& error)>;

// A text_edit for a file holding one JSON object (empty or missing: {}): anything else is refused; `change`
// edits the object (false with `error` set: refused); an object equal to the old one is `unchanged`, whatever
// the old file's layout; the new text is the object indented by 2, members in their order.
text_edit json_object_edit(std::function<bool(nlohmann::ordered_json& object, std::string& error)> change);

struct file_edit {
  bool changed = false;  // the file was rewritten (a dry run: would be)
  std::string diff;      // a dry run's change, as a unified diff
  std::string backup;    // the old file's copy, when one was made
};

// Reads `file`, applies `edit`, and (unless `dry_run`) replaces the file as promised above. False with `error`
// set ("/x/settings.json is not a JSON object; left as it is") when it could not be read, edited or written.
bool edit_file(const std::filesystem::path& file, bool dry_run, const text_edit& edit, file_edit& result, std::string& error);

// The end every `ai ... install` shares: edit_file, then one report. On `out`: "<already> FILE; nothing
// changed", a dry run's diff, or "<done> FILE (<detail>); the previous file is BACKUP"; on `err`: "<command>:
// <error>". Returns 0, or 1 when the edit failed.
struct install_words {
  std::string command;  // "ai hooks install"
  std::string already;  // "PAIOS hooks are already installed in"
  std::string done;     // "PAIOS hooks installed in"
  std::string detail;   // what was written, in a few words
};
int install_edit(const std::filesystem::path& file, bool dry_run, const text_edit& edit, const install_words& words,
                 std::ostream& out, std::ostream& err);

// A unified diff (3 lines of context) from `a` to `b`; "" when they are equal.
std::string unified_diff(const std::string& a, const std::string& b, const std::string& name_a, const std::string& name_b);

// The absolute path of the running program (/proc/self/exe); "" when it cannot be told.
std::string self_exe();

}  // namespace paios
