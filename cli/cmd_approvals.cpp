// `ai approvals` (the pending approvals of daemon tasks' tool calls), `ai approve ID` and `ai deny ID`
// (docs/autonomy.md, "Approvals"; the wire's approvals.list and approvals.decide).
#include <cstdio>
#include <memory>
#include <string>

#include <CLI/CLI.hpp>

#include "cli/commands.hpp"
#include "messages/utf8.hpp"

namespace paios::cli {
namespace {

using nlohmann::json;

std::string age_of(std::int64_t ms) {
  const auto s = ms / 1000;
  if (s < 120) return std::to_string(s) + "s";
  if (s < 7200) return std::to_string(s / 60) + "m";
  return std::to_string(s / 3600) + "h";
}

std::string render_approvals(const json& r) {
  const auto& all = r.value("approvals", json::array());
  if (all.empty()) return "no pending approvals\n";
  std::string out;
  char line[512];
  std::snprintf(line, sizeof line, "%-12s %-6s %-10s %-44s %s\n", "ID", "AGE", "TOOL", "SUMMARY", "RULE");
  out += line;
  for (const auto& a : all) {
    auto summary = utf8_prefix(a.value("summary", ""), 44);
    std::snprintf(line, sizeof line, "%-12s %-6s %-10s %-44s %s\n", a.value("id", "").c_str(),
                  age_of(a.value("age_ms", std::int64_t{0})).c_str(), a.value("tool", "").c_str(), summary.c_str(),
                  a.value("rule", "").empty() ? "(no rule: ask)" : a.value("rule", "").c_str());
    out += line;
  }
  return out;
}

std::string render_decided(const json& r) {
  const auto decision = r.value("decision", "");
  const auto scope = r.value("scope", "once");
  if (decision == "approve")
    return "approved " + r.value("approval_id", "") +
           (scope == "once" ? std::string{} : " (and the same call for this " + scope + " from now on)") + "\n";
  return "denied " + r.value("approval_id", "") + "\n";
}

}  // namespace

run_fn define_approvals(CLI::App&, options&) {
  return [](const options& opt) { return show(opt, request("approvals.list"), render_approvals); };
}

run_fn define_approve(CLI::App& sub, options&) {
  struct args {
    std::string id;
    bool session = false, project = false;
  };
  auto a = std::make_shared<args>();
  sub.add_option("id", a->id, "the approval's id (ai approvals lists them)")->required();
  auto* once = sub.add_flag("--once", "this call only (the default)");
  auto* session = sub.add_flag("--session", a->session, "also the same call (tool, command, folder) later in this session");
  auto* project = sub.add_flag("--project", a->project, "also the same call later in this project folder");
  once->excludes(session)->excludes(project);
  session->excludes(project);
  return [a](const options& opt) {
    const char* scope = a->session ? "session" : a->project ? "project" : "once";
    return show(opt, request("approvals.decide", {{"approval_id", a->id}, {"decision", "approve"}, {"scope", scope}}),
                render_decided);
  };
}

run_fn define_deny(CLI::App& sub, options&) {
  struct args {
    std::string id, reason;
  };
  auto a = std::make_shared<args>();
  sub.add_option("id", a->id, "the approval's id (ai approvals lists them)")->required();
  sub.add_option("--reason", a->reason, "why: the agent is told");
  return [a](const options& opt) {
    json fields{{"approval_id", a->id}, {"decision", "deny"}};
    if (!a->reason.empty()) fields["reason"] = a->reason;
    return show(opt, request("approvals.decide", fields), render_decided);
  };
}

}  // namespace paios::cli
