#include "core/autonomy/rule_listing.hpp"

namespace paios::autonomy {
namespace {

std::string joined(const std::vector<std::string>& items, const char* sep) {
  std::string out;
  for (const auto& i : items) out += (out.empty() ? "" : sep) + i;
  return out;
}

}  // namespace

std::string rule_matches_text(const rule_spec& r) {
  std::string out = joined(r.tools, "|");
  std::vector<std::string> conditions;
  if (!r.commands.empty()) conditions.push_back(joined(r.commands, "|"));
  if (!r.words.empty()) conditions.push_back("words " + joined(r.words, " "));
  if (!r.flags.empty()) conditions.push_back("flags " + joined(r.flags, " "));
  if (!r.without_flags.empty()) conditions.push_back("without flags " + joined(r.without_flags, " "));
  if (!r.fed_by.empty()) conditions.push_back("fed by " + joined(r.fed_by, "|"));
  if (!r.match.empty()) conditions.push_back("regex " + r.match);
  if (!r.paths.empty()) conditions.push_back("paths " + joined(r.paths, "|"));
  if (r.where == "inside_project") conditions.push_back("inside the project");
  if (r.where == "outside_project") conditions.push_back("outside the project");
  if (!r.project.empty()) conditions.push_back("in project " + r.project);
  if (!r.brain.empty()) conditions.push_back("brain " + r.brain);
  if (!conditions.empty()) out += ": " + joined(conditions, ", ");
  return out;
}

nlohmann::json listed_rule(const rule_spec& r, std::string_view source) {
  nlohmann::json j{{"id", r.id},
                   {"level", std::string{to_string(r.lvl)}},
                   {"reason", r.reason},
                   {"matches", rule_matches_text(r)},
                   {"source", std::string{source}}};
  if (!r.project.empty()) j["project"] = r.project;
  if (!r.brain.empty()) j["brain"] = r.brain;
  if (!r.learnable) j["learnable"] = false;
  return j;
}

}  // namespace paios::autonomy
