#pragma once
// The autonomy policy: the level of one tool call, from three ordered scopes of rules: the built-in defaults
// (config/defaults.json, autonomy.builtin), the user's pins (autonomy.pins) and learned rules (made later from
// a person's answers). Promises:
// - Each simple command of a Bash call, each file its redirections write, or a file tool's path is judged on
//   its own; the call gets the strictest level of them (never > ask > safe).
// - For one of them, the highest scope with a matching rule decides (pins > learned > built-in), the strictest
//   matching rule within it; a learned rule never lowers a built-in `never`, and never overrides a pin.
// - Nothing matched is `ask`; a command name made at run time, text the parser cannot read, a command over the
//   size or depth limits and a malformed call are at least `ask`, never `safe`.
// - decide() never throws and does no I/O beyond resolving paths (weakly_canonical). It is safe to call from
//   several threads at once.
// - With a decision cache (cache_entries > 0), a call equal in every field to one decided before gets the same
//   decision without being judged again, for the policy's lifetime (its rules never change): a symlink made or
//   moved in between is not seen for that same call, which is why the cache is off unless asked for.
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "core/autonomy/bash_parse.hpp"
#include "core/autonomy/level.hpp"
#include "core/autonomy/rule.hpp"
#include "messages/error.hpp"

namespace paios::autonomy {

// One tool call, as a PreToolUse hook sees it.
struct tool_call {
  std::string tool;     // Bash, Read, Write, Edit, WebFetch, mcp__server__tool, ...
  std::string command;  // Bash: the command line
  std::string path;     // file tools: the file or folder ("" for Grep/Glob: the cwd)
  std::string cwd;      // the session's folder, absolute
  std::string home;     // the session's home, absolute (passed in, never read from the environment)
  std::string brain;    // the brain making the call ("" when unknown)
};

// From a hook's JSON ({"tool_name", "tool_input": {...}, "cwd"}). Fails with bad_request naming the missing or
// mistyped field (a Bash call without a command, a Read without file_path, a relative cwd).
expected<tool_call> tool_call_from_json(const nlohmann::json& hook, const std::string& home, const std::string& brain);

enum class scope : unsigned char { builtin = 0, learned = 1, pinned = 2 };

class policy {
 public:
  // Fails with bad_request "<scope>.<index> (<id>): FIELD: ..." for the first rule that does not compile.
  // cache_entries: how many decisions to remember (0: none); when full, the cache starts again empty.
  static expected<policy> make(const std::vector<rule_spec>& builtin, const std::vector<rule_spec>& pins,
                               const std::vector<rule_spec>& learned, bash_limits limits,
                               std::size_t cache_entries = 0);

  decision decide(const tool_call& call) const;

 private:
  struct entry {
    compiled_rule rule;
    scope from;
  };
  struct decision_cache {
    std::size_t capacity = 0;
    std::mutex lock;
    std::unordered_map<std::string, decision> decided;  // by every field of the call
  };
  decision judge_call(const tool_call& call) const;
  // A rule that may match a part: its index in rules_, and whether it names the part's command plainly (then
  // its command names need not be compared again).
  struct candidate {
    std::size_t rule;
    bool named;
    bool operator<(const candidate& o) const { return rule < o.rule || (rule == o.rule && named > o.named); }
  };
  // The rule that decides one part (nullptr: none matches), among `candidates` (in rule order, all of them
  // naming the tool); `applies`: whether each rule applies to this call's session (project, brain).
  // matches(rule, named) says whether the rule matches the part.
  template <class Match>
  const entry* pick(const std::vector<candidate>& candidates, const std::vector<char>& applies, Match&& matches) const;
  // Its decision: `what` names the part in the reason.
  static decision describe(const entry* picked, const std::string& what);
  // The Bash rules that may match a command of this name, in rule order.
  const std::vector<candidate>& bash_candidates(const std::string& name) const;

  // Worked out once, when the policy is made: a part is judged only by the rules that can match it.
  std::vector<entry> rules_;
  std::unordered_map<std::string, std::vector<candidate>> by_name_;  // Bash rules that may match a command
                                                                        // of this name: those naming it plainly
                                                                        // and those naming commands by patterns
  std::vector<candidate> any_name_;  // Bash rules naming commands by globs or regexes (any name may match)
  std::vector<candidate> redirect_rules_;  // path rules of the Write tool: a redirection's file
  bash_limits limits_;
  std::shared_ptr<decision_cache> cache_;  // null when off
};

}  // namespace paios::autonomy
