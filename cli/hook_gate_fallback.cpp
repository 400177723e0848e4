#include "cli/hook_gate_fallback.hpp"

#include <cstdlib>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "config/config.hpp"
#include "core/autonomy/policy.hpp"

namespace paios {

std::optional<std::string> fallback_never(const nlohmann::json& payload, const char* why) {
  const auto& section = default_autonomy_config();
  autonomy::bash_limits limits;
  limits.max_bytes = section.at("max_command_bytes").get<std::size_t>();
  limits.max_depth = section.at("max_depth").get<int>();
  std::vector<autonomy::rule_spec> never;
  for (const auto& r : section.at("builtin")) {
    auto spec = autonomy::rule_spec_from_json(r);
    if (spec && spec->lvl == autonomy::level::never) never.push_back(std::move(*spec));
  }
  auto policy = autonomy::policy::make(never, {}, {}, limits);
  if (!policy) return std::nullopt;  // the embedded rules are checked by the build's tests
  const char* home = std::getenv("HOME");
  auto call = autonomy::tool_call_from_json(payload, home && *home == '/' ? home : "/", "claude");
  if (!call) return std::nullopt;
  auto d = policy->decide(*call);
  if (d.lvl != autonomy::level::never) return std::nullopt;
  return d.reason + " (judged by `ai hook` itself: " + why + ")";
}

}  // namespace paios
