#include "core/autonomy/learning.hpp"

#include <nlohmann/json.hpp>
#include <re2/re2.h>

namespace paios::autonomy {

std::optional<learn_pattern> pattern_of(const tool_call& c, const bash_limits& limits) {
  if (c.tool != "Bash" || c.command.empty() || c.cwd.empty()) return std::nullopt;
  auto parsed = parse_bash(c.command, limits);
  if (parsed.refused || !parsed.problems.empty() || !parsed.writes.empty() || parsed.parts.size() != 1) return std::nullopt;
  const auto& part = parsed.parts.front();
  if (part.dynamic_name || part.interpreter_code || part.runtime_args || !part.fed_by.empty() || part.words.empty())
    return std::nullopt;
  learn_pattern p;
  const auto& name = part.words[0];
  std::string sub;
  for (std::size_t i = 1; i < part.words.size(); ++i)
    if (!part.words[i].empty() && part.words[i][0] != '-') {
      sub = part.words[i];
      break;
    }
  p.text = sub.empty() ? name : name + " " + sub;
  p.key = nlohmann::json::array({c.tool, p.text, c.cwd}).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  // The name, then (when there is one) that argument first: `npm install x`, not `npm run install`.
  p.rule.id = "learned:" + p.text + "@" + c.cwd;
  p.rule.lvl = level::safe;
  p.rule.reason = "learned: `" + p.text + "` was approved repeatedly without a denial in " + c.cwd;
  p.rule.tools = {"Bash"};
  p.rule.commands = {"re:" + RE2::QuoteMeta(name)};
  p.rule.match = "^" + RE2::QuoteMeta(name) + (sub.empty() ? std::string{} : " " + RE2::QuoteMeta(sub)) + "( |$)";
  p.rule.project = c.cwd;
  // Only where every path it names is in the project: a learned `rm build.log` never reaches outside it.
  p.rule.where = "inside_project";
  return p;
}

nlohmann::json learned_rule_json(const rule_spec& r) {
  return {{"id", r.id},           {"level", std::string{to_string(r.lvl)}}, {"reason", r.reason}, {"tools", r.tools},
          {"commands", r.commands}, {"match", r.match},                      {"project", r.project}, {"where", r.where}};
}

}  // namespace paios::autonomy
