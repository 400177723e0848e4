#include "core/doctor/finding.hpp"

#include <nlohmann/json.hpp>

#include "messages/text.hpp"

namespace paios::doctor {
namespace {

int count(const std::vector<finding>& findings, level l) {
  int n = 0;
  for (const auto& f : findings) n += f.lvl == l;
  return n;
}

}  // namespace

const char* level_name(level l) {
  switch (l) {
    case level::ok: return "ok";
    case level::warning: return "warning";
    case level::error: return "error";
  }
  return "error";
}

bool any_error(const std::vector<finding>& findings) { return count(findings, level::error) > 0; }

nlohmann::json findings_json(const std::vector<finding>& findings) {
  auto list = nlohmann::json::array();
  for (const auto& f : findings)
    list.push_back({{"level", level_name(f.lvl)}, {"check", f.check}, {"found", f.found}, {"runbook", f.runbook}});
  return {{"findings", list}, {"errors", count(findings, level::error)}, {"warnings", count(findings, level::warning)}};
}

std::string render_findings(const std::vector<finding>& findings) {
  std::string out;
  for (const auto& f : findings) {
    // The level padded to one width, so that the checks line up: "ok     ", "warning", "error  ".
    std::string tag = level_name(f.lvl);
    tag.resize(7, ' ');
    out += tag + "  " + f.check + "\n         " + f.found + "\n";
    if (f.lvl != level::ok) out += "         runbook: " + f.runbook + "\n";
  }
  const int errors = count(findings, level::error), warnings = count(findings, level::warning);
  out += "\n" + counted(findings.size(), "check") + ": " + counted(static_cast<std::size_t>(errors), "error") + ", " +
         counted(static_cast<std::size_t>(warnings), "warning") + "\n";
  return out;
}

}  // namespace paios::doctor
