#include "core/autonomy/rule.hpp"

#include <fnmatch.h>

#include <algorithm>

#include <nlohmann/json.hpp>
#include <re2/re2.h>

#include "core/autonomy/path_resolve.hpp"

namespace paios::autonomy {

namespace {

using nlohmann::json;

status bad(const std::string& field, const std::string& what) { return {errc::bad_request, field + ": " + what}; }

expected<std::vector<std::string>> strings(const json& j, const char* key) {
  std::vector<std::string> out;
  if (!j.contains(key)) return out;
  const auto& v = j[key];
  if (!v.is_array()) return bad(key, "must be an array of strings");
  for (std::size_t i = 0; i < v.size(); ++i) {
    if (!v[i].is_string() || v[i].get<std::string>().empty())
      return bad(std::string(key) + "." + std::to_string(i), "must be a non-empty string");
    out.push_back(v[i].get<std::string>());
  }
  return out;
}

// "a|b|re:x|y" is a, b and the regex x|y: a "re:" alternative takes the rest of the pattern.
std::vector<std::string> split_alternatives(const std::string& pattern) {
  std::vector<std::string> out;
  std::size_t start = 0;
  for (;;) {
    if (pattern.compare(start, 3, "re:") == 0) {
      out.push_back(pattern.substr(start));
      return out;
    }
    auto bar = pattern.find('|', start);
    out.push_back(pattern.substr(start, bar == std::string::npos ? std::string::npos : bar - start));
    if (bar == std::string::npos) return out;
    start = bar + 1;
  }
}

bool has_glob_chars(const std::string& pattern) { return pattern.find_first_of("*?[\\") != std::string::npos; }

// A pattern without glob characters is compared as it is (fnmatch costs a call per character).
bool glob(const std::string& pattern, const std::string& text) {
  if (!has_glob_chars(pattern)) return pattern == text;
  return fnmatch(pattern.c_str(), text.c_str(), 0) == 0;
}

std::string expand_path_pattern(const std::string& p, const session& s) {
  std::string out = p;
  if (out == "~" || out.rfind("~/", 0) == 0) out = s.home + out.substr(1);
  if (out.rfind("{project}", 0) == 0) out = s.cwd + out.substr(9);
  return out;
}

bool path_glob(const std::string& pattern, const std::string& path) {
  if (pattern.size() >= 3 && pattern.compare(pattern.size() - 3, 3, "/**") == 0) {
    auto base = pattern.substr(0, pattern.size() - 3);
    if (base.empty()) return !path.empty() && path[0] == '/';
    return glob(base, path) || glob(base + "/*", path);
  }
  return glob(pattern, path);
}

}  // namespace

// Each pattern of a rule, split into its alternatives; "re:" ones compiled.
struct compiled_rule::regexes {
  struct alternative {
    std::string glob;
    std::shared_ptr<RE2> re;
    bool literal = false;  // a plain name: compared as it is, without looking for glob characters each time
  };
  using pattern = std::vector<alternative>;
  std::vector<pattern> commands, words, fed_by;
  std::unique_ptr<RE2> match;
  // The other patterns split once into their alternatives.
  pattern tools;
  // A path alternative, split once: where it is rooted (`~`, `{project}` or nothing), the literal text that
  // follows up to its first glob character, and whether that is all of it (then it is compared as strings).
  struct path_alternative {
    enum class root : unsigned char { none, home, project } from = root::none;
    std::string pattern;  // as written
    std::string literal;  // after the root, up to the first glob character ("/**" at the end left out)
    bool plain = false;   // no glob character but a final "/**": the path is the literal or under it
    bool under = false;   // ends in "/**"
    bool may_match(std::string_view path, const session& s) const {
      std::string_view root_dir = from == root::home ? std::string_view(s.home)
                                  : from == root::project ? std::string_view(s.cwd) : std::string_view();
      return path.substr(0, root_dir.size()) == root_dir &&
             path.substr(root_dir.size(), literal.size()) == literal;
    }
    bool matches(const std::string& path, const session& s) const {
      if (!may_match(path, s)) return false;
      if (!plain) return path_glob(expand_path_pattern(pattern, s), path);
      std::size_t n = (from == root::home ? s.home.size() : from == root::project ? s.cwd.size() : 0) + literal.size();
      if (path.size() == n) return true;
      return under && path[n] == '/';  // X/** is X and everything under it
    }
    static path_alternative of(const std::string& alt) {
      path_alternative a;
      a.pattern = alt;
      std::string_view rest = alt;
      if (rest == "~" || rest.substr(0, 2) == "~/") {
        a.from = root::home;
        rest.remove_prefix(1);
      } else if (rest.substr(0, 9) == "{project}") {
        a.from = root::project;
        rest.remove_prefix(9);
      }
      if (rest.size() >= 3 && rest.substr(rest.size() - 3) == "/**") {
        a.under = true;
        rest.remove_suffix(3);
      }
      auto glob_at = rest.find_first_of("*?[\\");
      a.literal = std::string(rest.substr(0, glob_at));
      a.plain = glob_at == std::string_view::npos;
      // "/**" alone: every absolute path ("" then "/..."); "~" alone: the home itself.
      return a;
    }
  };
  std::vector<path_alternative> paths;
  std::vector<std::vector<std::string>> flags, without_flags;
  std::vector<std::string> literal_names;
  pattern name_patterns;     // the glob and regex alternatives among the command names
  bool other_names = false;  // name_patterns is not empty

  bool matches(const pattern& p, const std::string& text) const {
    return std::any_of(p.begin(), p.end(), [&](const alternative& a) {
      if (a.literal) return a.glob == text;
      return a.re ? RE2::FullMatch(text, *a.re) : fnmatch(a.glob.c_str(), text.c_str(), 0) == 0;
    });
  }
};

expected<rule_spec> rule_spec_from_json(const json& j) {
  if (!j.is_object()) return bad("rule", "must be an object");
  rule_spec r;
  for (const char* key : {"id", "level", "reason"})
    if (!j.contains(key) || !j[key].is_string() || j[key].get<std::string>().empty())
      return bad(key, "is required, a non-empty string");
  r.id = j["id"].get<std::string>();
  auto lvl = level_from_string(j["level"].get<std::string>());
  if (!lvl) return bad("level", "must be safe, ask or never (got \"" + j["level"].get<std::string>() + "\")");
  r.lvl = *lvl;
  r.reason = j["reason"].get<std::string>();
  for (const char* key : {"match", "where", "project", "brain"}) {
    if (!j.contains(key)) continue;
    if (!j[key].is_string()) return bad(key, "must be a string");
  }
  r.match = j.value("match", "");
  r.where = j.value("where", "");
  r.project = j.value("project", "");
  r.brain = j.value("brain", "");
  if (j.contains("learnable")) {
    if (!j["learnable"].is_boolean()) return bad("learnable", "must be true or false");
    r.learnable = j["learnable"].get<bool>();
  }
  struct list {
    const char* key;
    std::vector<std::string>* into;
  };
  for (auto [key, into] : {list{"tools", &r.tools}, list{"commands", &r.commands}, list{"words", &r.words},
                           list{"flags", &r.flags}, list{"without_flags", &r.without_flags},
                           list{"fed_by", &r.fed_by}, list{"paths", &r.paths}}) {
    auto v = strings(j, key);
    if (!v) return v.error();
    if (j.contains(key)) *into = std::move(*v);
  }
  return r;
}

expected<compiled_rule> compiled_rule::compile(rule_spec spec) {
  auto re = std::make_shared<regexes>();
  auto patterns = [](const std::vector<std::string>& in, const std::string& field,
                     std::vector<regexes::pattern>& out) -> status {
    for (std::size_t i = 0; i < in.size(); ++i) {
      regexes::pattern p;
      for (auto& alt : split_alternatives(in[i])) {
        if (alt.empty()) return bad(field + "." + std::to_string(i), "has an empty alternative");
        if (alt.rfind("re:", 0) == 0) {
          auto r = std::make_shared<RE2>(alt.substr(3), RE2::Quiet);
          if (!r->ok()) return bad(field + "." + std::to_string(i), "not a valid RE2 regex: " + r->error());
          p.push_back({"", std::move(r), false});
        } else {
          p.push_back({alt, nullptr, !has_glob_chars(alt)});
        }
      }
      out.push_back(std::move(p));
    }
    return {};
  };
  if (auto s = patterns(spec.commands, "commands", re->commands); !s) return s;
  if (auto s = patterns(spec.words, "words", re->words); !s) return s;
  if (auto s = patterns(spec.fed_by, "fed_by", re->fed_by); !s) return s;
  for (const auto* field : {&spec.flags, &spec.without_flags})
    for (std::size_t i = 0; i < field->size(); ++i)
      for (auto& alt : split_alternatives((*field)[i]))
        if (alt.empty() || alt == "-")
          return bad(std::string(field == &spec.flags ? "flags." : "without_flags.") + std::to_string(i),
                     "has an empty alternative");
  if (!spec.match.empty()) {
    re->match = std::make_unique<RE2>(spec.match, RE2::Quiet);
    if (!re->match->ok()) return bad("match", "not a valid RE2 regex: " + re->match->error());
  }
  if (!spec.where.empty() && spec.where != "inside_project" && spec.where != "outside_project")
    return bad("where", "must be inside_project or outside_project (got \"" + spec.where + "\")");
  bool bash_only = !spec.commands.empty() || !spec.words.empty() || !spec.flags.empty() ||
                   !spec.without_flags.empty() || !spec.fed_by.empty() || !spec.match.empty();
  if (bash_only && spec.commands.empty())
    return bad("commands", "is required when words, flags, without_flags, fed_by or match are given");
  if (spec.tools.empty()) return bad("tools", "must name at least one tool");
  for (const auto& t : spec.tools)
    for (auto& alt : split_alternatives(t)) re->tools.push_back({alt, nullptr, !has_glob_chars(alt)});
  for (const auto& p : spec.paths)
    for (auto& alt : split_alternatives(p)) re->paths.push_back(regexes::path_alternative::of(alt));
  for (const auto& f : spec.flags) re->flags.push_back(split_alternatives(f));
  for (const auto& f : spec.without_flags) re->without_flags.push_back(split_alternatives(f));
  for (const auto& p : re->commands)
    for (const auto& a : p) {
      if (a.literal) {
        re->literal_names.push_back(a.glob);
      } else {
        re->name_patterns.push_back(a);
        re->other_names = true;
      }
    }
  compiled_rule out;
  out.where_ = spec.where == "inside_project"    ? where::inside_project
               : spec.where == "outside_project" ? where::outside_project
                                                 : where::anywhere;
  out.spec_ = std::move(spec);
  out.re_ = std::move(re);
  return out;
}

const std::string& session::resolve(const std::string& path, const std::string& dir) const {
  key_.assign(dir).push_back('\0');
  key_.append(path);
  auto it = resolved_.find(key_);
  if (it == resolved_.end()) it = resolved_.emplace(key_, resolver_.resolve(path, dir)).first;
  return it->second;
}

bool compiled_rule::applies_to(const session& s) const {
  if (!spec_.brain.empty() && spec_.brain != s.brain) return false;
  if (!spec_.project.empty() && !path_within(s.cwd, s.resolve(spec_.project, "/"))) return false;
  return true;
}

bool compiled_rule::matches_tool(const std::string& tool) const { return re_->matches(re_->tools, tool); }

namespace {

bool has_flag(const part_facts& f, const std::string& alt) {
  if (alt[0] == '-') return std::find(f.dash_words.begin(), f.dash_words.end(), alt) != f.dash_words.end();
  if (alt.size() == 1) return f.shorts.find(alt[0]) != std::string::npos;
  return std::find(f.longs.begin(), f.longs.end(), alt) != f.longs.end();
}

bool has_any_flag(const part_facts& f, const std::vector<std::string>& alts) {
  return std::any_of(alts.begin(), alts.end(), [&](const std::string& a) { return has_flag(f, a); });
}

}  // namespace

part_facts part_facts::of(const command_part& part, const session& s) {
  part_facts f;
  f.part = &part;
  f.session_ = &s;
  bool options = true;
  for (std::size_t k = 1; k < part.words.size(); ++k) {
    const std::string_view w = part.words[k];
    if (!options || w.size() < 2 || w[0] != '-') continue;
    if (w == "--") {
      options = false;
    } else if (w[1] == '-') {
      f.longs.push_back(w.substr(2, w.find('=') == std::string_view::npos ? std::string_view::npos : w.find('=') - 2));
      f.dash_words.push_back(w);
    } else {
      f.shorts.append(w.substr(1));
      f.dash_words.push_back(w);
    }
  }
  return f;
}

const std::string& part_facts::joined() const {
  if (joined_made_) return joined_;
  joined_made_ = true;
  for (const auto& w : part->words) {
    if (!joined_.empty()) joined_ += ' ';
    joined_ += w;
  }
  return joined_;
}

const std::vector<const std::string*>& part_facts::paths() const {
  if (resolved_) return paths_;
  resolved_ = true;
  const session& s = *session_;
  // After `cd X`, relative paths are X's; after `cd $UNKNOWN`, nobody knows ("/?" is outside every folder).
  static const std::string unknown_dir = "/?", unknown_path = "?";
  const std::string& dir = part->dir.empty() ? s.cwd : part->dir == "?" ? unknown_dir : s.resolve(part->dir, s.cwd);
  bool options = true;
  for (std::size_t k = 1; k < part->words.size() && !part->interpreter_code; ++k) {
    const auto& w = part->words[k];
    if (options && w == "--")
      options = false;
    else if (!options || w.size() < 2 || w[0] != '-')
      paths_.push_back(&s.resolve(w, dir));  // a node of the session's map: it stays where it is
  }
  // Arguments xargs reads at run time could be anything: "?" is a path outside every folder.
  if (part->runtime_args) paths_.push_back(&unknown_path);
  return paths_;
}

const std::vector<std::string>& compiled_rule::literal_names() const { return re_->literal_names; }
bool compiled_rule::names_by_pattern() const { return re_->other_names; }

bool compiled_rule::matches_path(const std::string& resolved, const session& s) const {
  if (!spec_.paths.empty()) {
    bool any = std::any_of(re_->paths.begin(), re_->paths.end(),
                           [&](const regexes::path_alternative& alt) { return alt.matches(resolved, s); });
    if (!any) return false;
  }
  if (where_ == where::inside_project && !path_within(resolved, s.cwd)) return false;
  if (where_ == where::outside_project && path_within(resolved, s.cwd)) return false;
  return true;
}

bool compiled_rule::matches_part(const part_facts& f, const session& s, bool named) const {
  const command_part& part = *f.part;
  if (part.dynamic_name) return false;
  const auto& r = *re_;
  if (!named && !r.commands.empty() && !r.matches(r.name_patterns, part.words[0])) return false;
  for (const auto& p : r.words)
    if (std::none_of(part.words.begin() + 1, part.words.end(), [&](const std::string& w) { return r.matches(p, w); }))
      return false;
  for (const auto& fl : r.flags)
    if (!has_any_flag(f, fl)) return false;
  for (const auto& fl : r.without_flags)
    if (has_any_flag(f, fl)) return false;
  if (!r.fed_by.empty()) {
    bool fed = std::any_of(part.fed_by.begin(), part.fed_by.end(), [&](const std::string& name) {
      return std::any_of(r.fed_by.begin(), r.fed_by.end(), [&](const auto& p) { return r.matches(p, name); });
    });
    if (!fed) return false;
  }
  if (r.match && !RE2::PartialMatch(f.joined(), *r.match)) return false;
  if (has_path_condition()) {
    const auto& paths = f.paths();
    if (paths.empty()) return false;
    if (where_ == where::inside_project)  // all of them inside (and what else they name)
      return std::all_of(paths.begin(), paths.end(), [&](const std::string* p) { return matches_path(*p, s); });
    return std::any_of(paths.begin(), paths.end(), [&](const std::string* p) { return matches_path(*p, s); });
  }
  return true;
}

}  // namespace paios::autonomy
