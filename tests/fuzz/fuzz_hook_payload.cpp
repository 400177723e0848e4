// A hook's payload, as Claude Code, Codex or Gemini CLI send it: a call the policy judges, or a refusal; never a
// crash, and never `safe` for a payload that is not a well-formed call.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include <nlohmann/json.hpp>

#include "config/config.hpp"
#include "core/autonomy/hook_dialect.hpp"
#include "core/autonomy/hook_gate.hpp"
#include "core/autonomy/policy.hpp"

namespace {
const paios::autonomy::policy& default_policy() {
  static const auto p = [] {
    auto cfg = paios::config_from_json(nlohmann::json::object());
    const auto& a = cfg.config->autonomy;
    return *paios::autonomy::policy::make(a.builtin, a.pins, {}, a.limits);
  }();
  return p;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace paios::autonomy;
  auto j = nlohmann::json::parse(std::string_view(reinterpret_cast<const char*>(data), size), nullptr, false);
  if (j.is_discarded()) return 0;
  for (auto dialect : {hook_dialect::claude, hook_dialect::codex, hook_dialect::gemini}) {
    auto payload = dialect == hook_dialect::claude ? j : as_pretooluse(dialect, j);
    auto call = pretooluse_call(payload, "/home/u", "claude", 262144);
    if (!call) continue;
    auto d = default_policy().decide(*call);
    if (d.lvl == level::safe && d.rule.empty()) __builtin_trap();  // safe always names its rule
    (void)gate_answer(dialect, pretooluse_output(permission_of(d.lvl), d.reason));
  }
  return 0;
}
