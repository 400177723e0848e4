#pragma once
// One autonomy rule: what it matches (a tool name; for Bash a command, its words, flags, what feeds it; for
// file tools and redirections a path) and the level it gives. rule_spec is the plain data the configuration
// holds; compiled_rule is it checked, with its regular expressions compiled once. Promises: a bad rule is a
// bad_request naming the field ("flags.1: empty alternative"); matching never throws and allocates little.
//
// Patterns: a word or command pattern is a glob (`*`, `?`, `[...]`), or an RE2 regex after "re:" (matched
// against the whole word); `|` separates alternatives, and a "re:" alternative takes the rest of the pattern. A flag is "r" (a short flag, also inside
// merged ones: -rf, -fr), "recursive" (--recursive, --recursive=...), or "-delete" (that word exactly, as find
// spells its options). A path pattern is a glob over the resolved path, `~` the session's home, `{project}`
// its cwd; "X/**" is X and everything under it.
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "core/autonomy/bash_parse.hpp"
#include "core/autonomy/level.hpp"
#include "core/autonomy/path_resolve.hpp"
#include "messages/error.hpp"

namespace paios::autonomy {

struct rule_spec {
  std::string id;                          // unique in its scope; named in every decision it makes
  level lvl = level::ask;
  std::string reason;                      // why, for a person
  std::vector<std::string> tools{"Bash"};  // tool-name globs (Bash, Read, mcp__*)
  // Bash: every condition given must hold for one simple command.
  std::vector<std::string> commands;       // its name, one of these globs
  std::vector<std::string> words;          // each matches one of its arguments
  std::vector<std::string> flags;          // each present ("r|R|recursive": one of them)
  std::vector<std::string> without_flags;  // none of these present
  std::vector<std::string> fed_by;         // the output of one of these commands reaches it
  std::string match;                       // RE2, searched in its words joined by spaces
  // Paths: Bash's arguments that are not flags, a file tool's path, a redirection's file (as tool "Write").
  std::vector<std::string> paths;          // one of the paths matches one of these
  std::string where;                       // "", "inside_project" (all paths in the cwd), "outside_project" (one not)
  // Where the rule applies at all.
  std::string project;                     // "" or a folder the session's cwd must be in
  std::string brain;                       // "" or the brain making the call
  // false: a learned rule never loosens it (as it never loosens a `never`), and the calls it decides are never
  // counted toward a pattern. For what must stay a person's decision each time (changing the policy itself).
  bool learnable = true;
};

// From a JSON rule (config/schema.json, "autonomy" rules). Fails with bad_request naming the field.
expected<rule_spec> rule_spec_from_json(const nlohmann::json& j);

// The session a call belongs to, resolved once per call. Not shared between threads (one per decide()).
struct session {
  // `cwd_raw` is resolved here, with the resolver the call's other paths share (its folders are theirs).
  session(std::string_view cwd_raw, std::string home_dir, std::string brain_name)
      : home(std::move(home_dir)), brain(std::move(brain_name)), resolver_(home) {
    cwd = resolver_.resolve(cwd_raw, "/");
  }
  std::string cwd;    // resolved
  std::string home;
  std::string brain;
  // resolve_path(path, dir, home), remembered for the rest of this call: a compound command names the same
  // paths again and again, and each resolution costs a stat or two per component. Within one call the
  // filesystem is taken as it was at the first resolution.
  const std::string& resolve(const std::string& path, const std::string& dir) const;

 private:
  mutable std::unordered_map<std::string, std::string> resolved_;
  mutable std::string key_;  // the lookup key, its buffer kept from one resolve() to the next
  mutable path_resolver resolver_;
};

// What the rules look at in one simple command, worked out once for all of them.
struct part_facts {
  const command_part* part = nullptr;
  std::string shorts;                        // short flags, merged ones split (-rf: "rf")
  std::vector<std::string_view> longs;       // long flags' names (--force-with-lease=x: "force-with-lease")
  std::vector<std::string_view> dash_words;  // every word starting with '-', as written (-delete)
  static part_facts of(const command_part& part, const session& s);
  // The words joined by spaces (what a rule's `match` searches): worked out on first use.
  const std::string& joined() const;
  // The arguments that are not flags, resolved as paths: worked out on first use (resolving costs syscalls).
  // They point into the session's resolutions (or a constant), which outlive the facts.
  const std::vector<const std::string*>& paths() const;

 private:
  const session* session_ = nullptr;
  mutable bool resolved_ = false;
  mutable std::vector<const std::string*> paths_;
  mutable bool joined_made_ = false;
  mutable std::string joined_;
};

class compiled_rule {
 public:
  // Fails with bad_request "FIELD: what is wrong" (a regex that does not compile, an empty pattern, ...).
  static expected<compiled_rule> compile(rule_spec spec);

  const rule_spec& spec() const { return spec_; }
  bool applies_to(const session& s) const;
  bool matches_tool(const std::string& tool) const;
  // A Bash command's part (the tool already matched). The caller knows whether the part's command name is one
  // of the rule's plain names (`named`) or none of them (then only its glob and regex names are tried: a rule
  // such as read-only-command names seventy commands, and most parts are none of them).
  bool matches_part(const part_facts& part, const session& s, bool named) const;
  // A file tool's path, or a redirection's (resolved).
  bool matches_path(const std::string& resolved, const session& s) const;
  bool is_bash_rule() const { return !spec_.commands.empty(); }
  // Whether it looks at paths (a `paths` or `where` condition).
  bool has_path_condition() const { return !spec_.paths.empty() || where_ != where::anywhere; }
  // The plain command names (no glob, no regex) among its command alternatives.
  const std::vector<std::string>& literal_names() const;
  // Whether it also names commands by a glob or a regex (then any name may match).
  bool names_by_pattern() const;

 private:
  struct regexes;
  enum class where : unsigned char { anywhere, inside_project, outside_project };
  rule_spec spec_;
  where where_ = where::anywhere;  // spec_.where, read once
  std::shared_ptr<const regexes> re_;
};

}  // namespace paios::autonomy
