#include "core/autonomy/policy.hpp"

#include <algorithm>
#include <cstdint>

#include <nlohmann/json.hpp>

#include "core/autonomy/path_resolve.hpp"

namespace paios::autonomy {

namespace {

decision make_decision(level l, std::string rule, std::string reason) { return {l, std::move(rule), std::move(reason)}; }

// The stricter of two decisions; the first one on a tie (the earlier part names the reason).
void keep_strictest(decision& acc, decision d, bool& any) {
  if (!any || d.lvl > acc.lvl) acc = std::move(d);
  any = true;
}

const char* scope_name(scope s) {
  switch (s) {
    case scope::builtin: return "builtin";
    case scope::learned: return "learned";
    case scope::pinned: return "pins";
  }
  return "builtin";
}

// Two parts a rule cannot tell apart: the same words, folder, feeders and marks (their text may differ).
bool same_part(const command_part& a, const command_part& b) {
  return a.words == b.words && a.dir == b.dir && a.fed_by == b.fed_by && a.dynamic_name == b.dynamic_name &&
         a.interpreter_code == b.interpreter_code && a.runtime_args == b.runtime_args;
}

// A hash of the fields same_part compares, cheap rather than thorough: each string's length and first and last
// bytes (same_part settles what it confuses; hashing every byte cost more than all the comparisons it saves).
std::uint64_t part_hash(const command_part& p) {
  std::uint64_t h = 14695981039346656037ull ^ static_cast<unsigned>(p.dynamic_name | p.interpreter_code << 1 | p.runtime_args << 2);
  auto add = [&h](const std::string& s) {
    std::uint64_t v = s.size();
    if (!s.empty()) v |= static_cast<std::uint64_t>(static_cast<unsigned char>(s.front())) << 32 |
                         static_cast<std::uint64_t>(static_cast<unsigned char>(s.back())) << 40;
    h = (h ^ v) * 1099511628211ull;
    h ^= h >> 29;
  };
  add(p.dir);
  for (const auto& w : p.words) add(w);
  h = (h ^ 0xff) * 1099511628211ull;  // words end here, feeders follow
  for (const auto& w : p.fed_by) add(w);
  return h;
}

// The parts of one call, each seen once: open addressing over their indices (a call's parts are few, and a
// node-based set cost an allocation per part).
class seen_parts {
 public:
  explicit seen_parts(const std::vector<command_part>& parts) : parts_(parts) {
    std::size_t n = 16;
    while (n < parts.size() * 2) n *= 2;
    slots_.assign(n, empty);
    hashes_.resize(parts.size());
  }
  // Whether a part like parts[i] was seen before; if not, parts[i] is seen from now on.
  bool seen_before(std::size_t i) {
    const auto h = hashes_[i] = part_hash(parts_[i]);
    const std::size_t mask = slots_.size() - 1;
    for (std::size_t at = h & mask;; at = (at + 1) & mask) {
      const auto j = slots_[at];
      if (j == empty) {
        slots_[at] = static_cast<std::uint32_t>(i);
        return false;
      }
      if (hashes_[j] == h && same_part(parts_[j], parts_[i])) return true;
    }
  }

 private:
  static constexpr std::uint32_t empty = ~std::uint32_t{0};
  const std::vector<command_part>& parts_;
  std::vector<std::uint32_t> slots_;
  std::vector<std::uint64_t> hashes_;
};

bool is_file_tool(const std::string& tool) {
  return tool == "Read" || tool == "Write" || tool == "Edit" || tool == "MultiEdit" || tool == "NotebookEdit" ||
         tool == "Grep" || tool == "Glob" || tool == "LS";
}

}  // namespace

expected<tool_call> tool_call_from_json(const nlohmann::json& hook, const std::string& home, const std::string& brain) {
  if (!hook.is_object()) return status{errc::bad_request, "the tool call must be a JSON object"};
  if (!hook.contains("tool_name") || !hook["tool_name"].is_string() || hook["tool_name"].get<std::string>().empty())
    return status{errc::bad_request, "tool_name: is required, a non-empty string"};
  if (!hook.contains("cwd") || !hook["cwd"].is_string() || hook["cwd"].get<std::string>().rfind('/', 0) != 0)
    return status{errc::bad_request, "cwd: is required, an absolute path"};
  if (home.empty() || home[0] != '/') return status{errc::bad_request, "home: must be an absolute path"};
  tool_call c;
  c.tool = hook["tool_name"].get<std::string>();
  c.cwd = hook["cwd"].get<std::string>();
  c.home = home;
  c.brain = brain;
  const auto input = hook.value("tool_input", nlohmann::json::object());
  if (!input.is_object()) return status{errc::bad_request, "tool_input: must be an object"};
  auto text = [&](const char* key) -> expected<std::string> {
    if (!input.contains(key)) return std::string();
    if (!input[key].is_string()) return status{errc::bad_request, std::string("tool_input.") + key + ": must be a string"};
    return input[key].get<std::string>();
  };
  if (c.tool == "Bash") {
    auto cmd = text("command");
    if (!cmd) return cmd.error();
    if (cmd->empty()) return status{errc::bad_request, "tool_input.command: is required for Bash, a non-empty string"};
    c.command = std::move(*cmd);
  } else if (is_file_tool(c.tool)) {
    for (const char* key : {"file_path", "notebook_path", "path"}) {
      auto p = text(key);
      if (!p) return p.error();
      if (!p->empty()) {
        c.path = std::move(*p);
        break;
      }
    }
    if (c.path.empty() && c.tool != "Grep" && c.tool != "Glob" && c.tool != "LS")
      return status{errc::bad_request, "tool_input.file_path: is required for " + c.tool};
  }
  return c;
}

expected<policy> policy::make(const std::vector<rule_spec>& builtin, const std::vector<rule_spec>& pins,
                              const std::vector<rule_spec>& learned, bash_limits limits,
                              std::size_t cache_entries) {
  policy p;
  p.limits_ = limits;
  if (cache_entries > 0) {
    p.cache_ = std::make_shared<decision_cache>();
    p.cache_->capacity = cache_entries;
  }
  struct layer {
    const std::vector<rule_spec>* specs;
    scope from;
  };
  for (auto [specs, from] : {layer{&builtin, scope::builtin}, layer{&pins, scope::pinned}, layer{&learned, scope::learned}})
    for (std::size_t i = 0; i < specs->size(); ++i) {
      auto r = compiled_rule::compile((*specs)[i]);
      if (!r)
        return status{errc::bad_request, std::string(scope_name(from)) + "." + std::to_string(i) + " (" +
                                             (*specs)[i].id + "): " + r.message()};
      p.rules_.push_back({std::move(*r), from});
    }
  // Most parts are judged by a handful of rules: index them by the command names they name.
  for (std::size_t i = 0; i < p.rules_.size(); ++i) {
    const auto& r = p.rules_[i].rule;
    if (r.is_bash_rule() && r.matches_tool("Bash") && r.names_by_pattern()) p.any_name_.push_back({i, false});
    if (!r.is_bash_rule() && r.matches_tool("Write") && r.has_path_condition())
      p.redirect_rules_.push_back({i, false});
  }
  for (std::size_t i = 0; i < p.rules_.size(); ++i) {
    const auto& r = p.rules_[i].rule;
    if (!r.is_bash_rule() || !r.matches_tool("Bash")) continue;
    for (const auto& name : r.literal_names()) {
      auto& list = p.by_name_[name];
      if (list.empty()) list = p.any_name_;
      list.push_back({i, true});
    }
  }
  for (auto& [name, list] : p.by_name_) {
    // A rule naming `ls` and `mkfs.*` is in both lists: once, as naming it.
    std::sort(list.begin(), list.end());
    list.erase(std::unique(list.begin(), list.end(), [](const candidate& a, const candidate& b) { return a.rule == b.rule; }),
               list.end());
  }
  return p;
}

const std::vector<policy::candidate>& policy::bash_candidates(const std::string& name) const {
  auto it = by_name_.find(name);
  return it != by_name_.end() ? it->second : any_name_;
}

template <class Match>
const policy::entry* policy::pick(const std::vector<candidate>& candidates, const std::vector<char>& applies,
                                  Match&& matches) const {
  // The strictest match of each scope.
  const entry* best[3] = {nullptr, nullptr, nullptr};
  bool held = false;  // a built-in rule a learned one may not loosen matched: a never, or one not learnable
  for (const candidate& c : candidates) {
    const entry& e = rules_[c.rule];
    if (!applies[c.rule] || !matches(e.rule, c.named)) continue;
    if (e.from == scope::builtin && (e.rule.spec().lvl == level::never || !e.rule.spec().learnable)) held = true;
    auto& b = best[static_cast<int>(e.from)];
    if (!b || e.rule.spec().lvl > b->rule.spec().lvl) b = &e;
  }
  const entry* pick = best[2] ? best[2] : best[1] ? best[1] : best[0];
  // A learned rule may loosen a built-in rule, except a built-in never or one marked not learnable.
  if (pick && pick->from == scope::learned && held) pick = best[0];
  return pick;
}

decision policy::describe(const entry* picked, const std::string& what) {
  if (!picked) return make_decision(level::ask, "", "no rule matches " + what + ": a person decides");
  const auto& r = picked->rule.spec();
  return make_decision(r.lvl, r.id, "rule " + r.id + " (" + r.reason + ") matches " + what);
}

decision policy::decide(const tool_call& call) const {
  if (!cache_) return judge_call(call);
  std::string key;
  key.reserve(call.tool.size() + call.command.size() + call.path.size() + call.cwd.size() + call.home.size() +
              call.brain.size() + 36);
  // Each field after its length: no two different calls share a key, whatever bytes they hold.
  for (const std::string* field : {&call.tool, &call.command, &call.path, &call.cwd, &call.home, &call.brain})
    key.append(std::to_string(field->size())).append(":").append(*field);
  {
    std::lock_guard<std::mutex> hold(cache_->lock);
    auto it = cache_->decided.find(key);
    if (it != cache_->decided.end()) return it->second;
  }
  decision d = judge_call(call);  // outside the lock: a slow call does not hold up the others
  std::lock_guard<std::mutex> hold(cache_->lock);
  if (cache_->decided.size() >= cache_->capacity) cache_->decided.clear();
  cache_->decided.emplace(std::move(key), d);
  return d;
}

decision policy::judge_call(const tool_call& call) const {
  if (call.tool.empty() || call.cwd.empty() || call.cwd[0] != '/' || call.home.empty() || call.home[0] != '/')
    return make_decision(level::ask, "", "malformed tool call (a tool name, an absolute cwd and home are needed)");
  session s{call.cwd, call.home, call.brain};
  std::vector<char> applies(rules_.size());
  for (std::size_t k = 0; k < rules_.size(); ++k) applies[k] = rules_[k].rule.applies_to(s);
  decision acc;
  bool any = false;

  if (call.tool != "Bash") {
    std::string path = call.path.empty() ? s.cwd : s.resolve(call.path, s.cwd);
    std::string what = call.path.empty() ? call.tool : call.tool + " `" + path + "`";
    bool has_path = is_file_tool(call.tool);
    std::vector<candidate> candidates;
    for (std::size_t k = 0; k < rules_.size(); ++k)
      if (!rules_[k].rule.is_bash_rule() && rules_[k].rule.matches_tool(call.tool)) candidates.push_back({k, false});
    return describe(pick(candidates, applies, [&](const compiled_rule& r, bool) {
      if (!r.has_path_condition()) return true;
      return has_path && r.matches_path(path, s);
    }), what);
  }
  // A part's decision, made (with its reason's text) only when it is stricter than those before it.
  auto consider = [&](const entry* picked, auto&& what) {
    const level l = picked ? picked->rule.spec().lvl : level::ask;
    if (!any || l > acc.lvl) keep_strictest(acc, describe(picked, what()), any);
  };

  if (call.command.empty()) return make_decision(level::ask, "", "malformed tool call: Bash without a command");
  auto parsed = parse_bash(call.command, limits_);
  for (const auto& p : parsed.problems) keep_strictest(acc, make_decision(level::ask, "", p + ": a person decides"), any);
  if (parsed.refused) return acc;
  // A part judged before in this call is judged the same again: its decision cannot be stricter than the one
  // kept (a long command repeats `cd`, `echo`, `grep` ...).
  seen_parts judged(parsed.parts);
  for (std::size_t i = 0; i < parsed.parts.size(); ++i) {
    const auto& part = parsed.parts[i];
    if (judged.seen_before(i)) continue;
    if (part.dynamic_name) {
      keep_strictest(acc, make_decision(level::ask, "", "the command name `" + part.words[0] +
                                                            "` is made at run time in `" + part.text + "`"), any);
      continue;
    }
    auto facts = part_facts::of(part, s);
    consider(pick(bash_candidates(part.words[0]), applies,
                  [&](const compiled_rule& r, bool named) { return r.matches_part(facts, s, named); }),
             [&] { return "`" + part.text + "`"; });
  }
  // A redirection writes its file as the Write tool would.
  for (const auto& w : parsed.writes) {
    const auto& path = s.resolve(w.path, s.cwd);
    consider(pick(redirect_rules_, applies, [&](const compiled_rule& r, bool) { return r.matches_path(path, s); }),
             [&] { return "the redirection `" + w.text + "` (" + path + ")"; });
  }
  if (!any) return make_decision(level::ask, "", "the command runs nothing the policy can judge");
  return acc;
}

}  // namespace paios::autonomy
