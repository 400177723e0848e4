// `ai approvals` (the pending approvals of daemon tasks' tool calls and pipelines' command steps), `ai approve ID`
// and `ai deny ID` (docs/autonomy.md, "Approvals"; the wire's approvals.list and approvals.decide).
#include <memory>
#include <string>

#include <CLI/CLI.hpp>

#include "cli/commands.hpp"
#include "cli/render.hpp"

namespace paios::cli {
namespace {

using nlohmann::json;

std::string render_approvals(const json& r) {
  const auto& all = r.value("approvals", json::array());
  if (all.empty()) return "no pending approvals\n";
  table tab{{"id", "age", "for", "tool", "rule", "summary"}};
  for (const auto& a : all) {
    // Who waits: a pipeline's run (its command step) or a daemon task's agent.
    const auto run = a.value("run_id", "");
    const auto waiter = run.empty() ? "task " + a.value("task", "") : "pipeline " + a.value("pipeline", "") + " " + run;
    tab.add({a.value("id", ""), human_duration(a.value("age_ms", std::int64_t{0})), waiter, a.value("tool", ""),
             a.value("rule", "").empty() ? "(no rule: ask)" : a.value("rule", ""), a.value("summary", "")});
  }
  return tab.str(terminal_width());
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
