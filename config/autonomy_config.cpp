#include "config/autonomy_config.hpp"

#include <set>

#include <nlohmann/json.hpp>

namespace paios {

autonomy_config read_autonomy_config(const nlohmann::json& s) {
  autonomy_config c;
  c.limits.max_bytes = s.at("max_command_bytes").get<std::size_t>();
  c.limits.max_depth = s.at("max_depth").get<int>();
  c.approval_timeout_ms = s.at("approval_timeout_ms").get<std::int64_t>();
  c.promote_after = s.at("promote_after").get<int>();
  c.session_answer_timeout_ms = s.at("session_answer_timeout_ms").get<std::int64_t>();
  c.session_asked_max = s.at("session_asked_max").get<int>();
  // Checked (check_autonomy_config) before it is read: a rule that would not parse is not here.
  for (const char* list : {"builtin", "pins"})
    for (const auto& r : s.at(list)) {
      auto spec = autonomy::rule_spec_from_json(r);
      if (spec) (std::string(list) == "pins" ? c.pins : c.builtin).push_back(std::move(*spec));
    }
  return c;
}

void check_autonomy_config(const nlohmann::json& s, std::vector<std::string>& errors) {
  if (!s.is_object()) return;  // the schema says so
  std::set<std::string> ids;
  for (const char* list : {"builtin", "pins"}) {
    if (!s.contains(list) || !s[list].is_array()) continue;
    for (std::size_t i = 0; i < s[list].size(); ++i) {
      const std::string at = std::string("autonomy.") + list + "." + std::to_string(i);
      auto spec = autonomy::rule_spec_from_json(s[list][i]);
      if (!spec) {
        errors.push_back(at + "." + spec.message());
        continue;
      }
      if (!ids.insert(spec->id).second)
        errors.push_back(at + ".id: \"" + spec->id + "\" is the id of another autonomy rule");
      auto compiled = autonomy::compiled_rule::compile(*spec);
      if (!compiled) errors.push_back(at + "." + compiled.message());
    }
  }
}

}  // namespace paios
