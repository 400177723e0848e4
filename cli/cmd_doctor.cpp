// `ai doctor [--smoke]`: checks what PAIOS needs and says what to do about each problem (core/doctor: one finding
// per check, with its runbook). The configuration (as `ai config check`), the daemon (a ping over the bridge) and
// its systemd unit, the agent CLIs of the enabled brains (and those of doctor.tested_versions) with their versions
// against that lock, free disk, each database's quick_check and WAL, the hooks' spool; with --smoke, one task
// through each of the daemon's brains. Without --smoke nothing is sent to a brain. Exit 0 with no error, 1 with one.
// The credentials are those paiosd's alerts judge (config/credential_sources), read by `ai` itself: its $HOME and
// environment are taken to be the daemon's, as they are when a person runs it.
#include <algorithm>
#include <iostream>
#include <memory>
#include <optional>
#include <set>

#include <CLI/CLI.hpp>

#include "cli/commands.hpp"
#include "cli/doctor_service.hpp"
#include "client/wire_client.hpp"
#include "config/checked_config.hpp"
#include "config/credential_sources.hpp"
#include "config/home.hpp"
#include "core/doctor/agent_cli_check.hpp"
#include "core/doctor/credentials_check.hpp"
#include "core/doctor/home_check.hpp"
#include "messages/ids.hpp"

namespace paios::cli {
namespace {

namespace fs = std::filesystem;
using doctor::finding;
using doctor::level;

// The configuration paiosd would start with, and its finding. An invalid file is an error, and the other checks
// then go on with the built-in defaults (what paiosd would refuse is said; what it would run is still checked).
daemon_config checked_home_config(const paios_home& home, std::vector<finding>& out) {
  const auto file = home.config_file();
  std::error_code ec;
  const bool present = fs::exists(file, ec);
  auto checked = check_config(present ? std::optional<fs::path>{file} : std::nullopt);
  finding f{level::ok, "configuration " + file.string(), present ? "valid" : "no such file: the built-in defaults",
            doctor::runbook::daemon};
  if (!checked.config) {
    f.lvl = level::error;
    f.found = "not valid, paiosd would refuse to start:";
    for (const auto& e : checked.errors) f.found += " " + e + ";";
    f.found += " fix it with ai config edit (the checks below use the built-in defaults)";
    checked = check_config(std::nullopt);
  }
  out.push_back(std::move(f));
  return std::move(*checked.config);
}

// The programs of the enabled process brains, then those of the version lock no enabled brain runs.
std::vector<doctor::agent_program> agent_programs(const daemon_config& config) {
  std::vector<doctor::agent_program> programs;
  auto find = [&](const std::string& program) -> doctor::agent_program& {
    for (auto& p : programs)
      if (p.program == program) return p;
    return programs.emplace_back(doctor::agent_program{program, {}, {}});
  };
  for (const auto& b : config.brains) {
    if (b.kind != "process" || b.command.empty()) continue;
    auto& p = find(b.command.front());
    p.enabled_brains.push_back(b.name);
    if (std::find(p.formats.begin(), p.formats.end(), b.format) == p.formats.end()) p.formats.push_back(b.format);
  }
  std::set<std::string> named;  // by file name: /opt/bin/claude is the lock's "claude"
  for (const auto& p : programs) named.insert(fs::path{p.program}.filename().string());
  for (const auto& [program, _] : config.doctor.tested_versions)
    if (!named.count(program)) find(program);
  return programs;
}

}  // namespace

run_fn define_doctor(CLI::App& sub, options&) {
  auto smoke = std::make_shared<bool>(false);
  sub.add_flag("--smoke", *smoke,
               "also send one short task to each of the daemon's brains (real agent calls) and report each outcome "
               "and latency");
  return [smoke](const options& opt) {
    const auto home = resolve_home(opt.home);
    std::vector<finding> findings;
    const auto config = checked_home_config(home, findings);

    std::unique_ptr<wire_client> client;
    findings.push_back(check_daemon(home, client));
    findings.push_back(check_systemd_unit(config.doctor.systemd_unit, client != nullptr));

    for (const auto& p : agent_programs(config))
      findings.push_back(doctor::check_agent_program(p, config.doctor.tested_versions,
                                                     std::chrono::milliseconds(config.doctor.version_timeout_ms)));

    findings.push_back(doctor::check_disk(home.root, config.doctor.limits));
    for (auto& f : doctor::check_databases(home.data_dir(), config.doctor.limits)) findings.push_back(std::move(f));
    findings.push_back(doctor::check_spool(home.spool_dir(), config.doctor.limits, client != nullptr));
    const int warn_days = config.alerts.credential_warn_days;
    for (auto& f : doctor::check_credentials(
             inspect_credentials(credential_sources_of(config), process_env, now_ms(), warn_days), warn_days))
      findings.push_back(std::move(f));

    if (*smoke) {
      if (client)
        for (auto& f : smoke_brains(*client, std::chrono::milliseconds(config.doctor.smoke_timeout_ms)))
          findings.push_back(std::move(f));
      else
        findings.push_back({level::error, "smoke calls", "not sent: paiosd does not answer (see above)",
                            doctor::runbook::daemon});
    }

    std::cout << (opt.json_out ? doctor::findings_json(findings).dump() + "\n" : doctor::render_findings(findings));
    return doctor::any_error(findings) ? kExitError : kExitOk;
  };
}

}  // namespace paios::cli
