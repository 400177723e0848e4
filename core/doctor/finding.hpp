#pragma once
// What `ai doctor` reports: a list of findings, each one check's outcome (ok, warning, error), what it found, and
// the runbook (docs/runbooks/) that says what to do about it. Runtime-free, so that every check is unit-tested on
// real files without a daemon; cli/cmd_doctor.cpp runs the checks and prints the list.
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace paios::doctor {

// ok: nothing to do. warning: works, but a person should look (an untested CLI version, a large WAL). error:
// something does not work or will not (a missing CLI of an enabled brain, a corrupt database); `ai doctor`
// exits 1.
enum class level { ok, warning, error };

const char* level_name(level l);

struct finding {
  level lvl = level::ok;
  std::string check;    // what was checked: "agent CLI claude", "database data/state.sqlite"
  std::string found;    // what was found and, when it is not ok, what to do or check
  std::string runbook;  // the page that says what to do: "docs/runbooks/state-store.md"
};

// The runbooks the findings name, one constant per page (docs/runbooks/README.md lists them).
namespace runbook {
constexpr const char* daemon = "docs/runbooks/daemon.md";
constexpr const char* brains = "docs/runbooks/brains-and-breakers.md";
constexpr const char* state_store = "docs/runbooks/state-store.md";
constexpr const char* obs_store = "docs/runbooks/obs-store.md";
constexpr const char* kb_store = "docs/runbooks/kb-store.md";
constexpr const char* approvals = "docs/runbooks/approvals.md";
constexpr const char* spool = "docs/runbooks/hooks-and-spool.md";
constexpr const char* bridge = "docs/runbooks/zmq-bridge.md";
constexpr const char* credentials = "docs/runbooks/credentials.md";
}  // namespace runbook

// True when a finding is an error: `ai doctor` then exits 1.
bool any_error(const std::vector<finding>& findings);

// {"findings": [{level, check, found, runbook}...], "errors": N, "warnings": N}: `ai doctor --json`.
nlohmann::json findings_json(const std::vector<finding>& findings);

// For a person: one block per finding ("ERROR  database data/state.sqlite" then the text and the runbook,
// indented), then a summary line.
std::string render_findings(const std::vector<finding>& findings);

}  // namespace paios::doctor
