#include "core/doctor/agent_cli_check.hpp"

#include <unistd.h>

#include <cctype>
#include <filesystem>

#include "core/process/run_command.hpp"
#include "messages/text.hpp"

namespace paios::doctor {
namespace {

// `--version` prints a line; more than this is not a version banner, and is not kept.
constexpr std::size_t kVersionOutputBytes = 4096;

std::string joined(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& i : items) out += (out.empty() ? "" : ", ") + i;
  return out;
}

// The first line of `output`, at most 120 bytes: what a finding quotes of a CLI that printed no version.
std::string first_line(const std::string& output) {
  auto line = output.substr(0, output.find('\n'));
  if (line.size() > 120) line = line.substr(0, 117) + "...";
  return line;
}

// "brain claude" / "brains claude, work": who needs the program.
std::string brains_phrase(const agent_program& p) {
  return (p.enabled_brains.size() == 1 ? "brain " : "brains ") + joined(p.enabled_brains);
}

std::string adapters_phrase(const agent_program& p) {
  if (p.formats.empty()) return "";
  return " (output adapter " + joined(p.formats) + ")";
}

}  // namespace

std::optional<std::string> parse_version(std::string_view output) {
  auto digit = [](char c) { return std::isdigit(static_cast<unsigned char>(c)) != 0; };
  for (std::size_t i = 0; i < output.size(); ++i) {
    if (!digit(output[i]) || (i > 0 && (digit(output[i - 1]) || output[i - 1] == '.'))) continue;
    std::size_t end = i, dots = 0;
    while (end < output.size() && (digit(output[end]) || (output[end] == '.' && end + 1 < output.size() && digit(output[end + 1])))) {
      dots += output[end] == '.';
      ++end;
    }
    if (dots > 0) return std::string{output.substr(i, end - i)};
    i = end;
  }
  return std::nullopt;
}

bool version_matches(std::string_view version, std::string_view pattern) {
  // Component by component, each up to the next dot: both must run out at the same time.
  for (;;) {
    const auto v_end = version.find('.'), p_end = pattern.find('.');
    const auto v = version.substr(0, v_end), p = pattern.substr(0, p_end);
    if (p != "x" && p != v) return false;
    if ((v_end == std::string_view::npos) != (p_end == std::string_view::npos)) return false;
    if (v_end == std::string_view::npos) return true;
    version.remove_prefix(v_end + 1);
    pattern.remove_prefix(p_end + 1);
  }
}

std::string locate_program(const std::string& program) {
  if (program.find('/') == std::string::npos) return sched::find_on_path(program);
  return ::access(program.c_str(), X_OK) == 0 ? std::filesystem::absolute(program).lexically_normal().string() : "";
}

finding check_agent_program(const agent_program& p, const version_lock& lock, std::chrono::milliseconds timeout) {
  finding f{level::ok, "agent CLI " + p.program, "", runbook::brains};
  const auto path = locate_program(p.program);
  if (path.empty()) {
    if (p.enabled_brains.empty()) {
      f.found = "not installed; no enabled brain runs it";
      return f;
    }
    f.lvl = level::error;
    f.found = "'" + p.program + "' not found on PATH, and " + brains_phrase(p) + " run" +
              (p.enabled_brains.size() == 1 ? "s" : "") + " it: install it, or change brains." + p.enabled_brains[0] +
              ".command, or set brains." + p.enabled_brains[0] + ".enabled to false (ai config edit)";
    return f;
  }
  const auto name = std::filesystem::path{p.program}.filename().string();
  const auto run = sched::run_command({path, "--version"}, timeout, kVersionOutputBytes);
  const auto version = run.started && !run.timed_out ? parse_version(run.output) : std::nullopt;
  const auto entry = lock.find(name);
  const std::string where = path + adapters_phrase(p);
  if (!version) {
    const std::string why = !run.started  ? run.error.message()
                            : run.timed_out ? "did not answer within " + std::to_string(timeout.count()) + " ms"
                            : run.exit_code != 0 ? "exited with status " + std::to_string(run.exit_code)
                                                 : "printed no version: \"" + first_line(run.output) + "\"";
    f.lvl = entry == lock.end() ? level::ok : level::warning;
    f.found = where + ": `" + name + " --version` " + why + (f.lvl == level::ok ? "" :
              "; run it by hand, then `ai doctor --smoke` to check that the adapter still reads its answers");
    return f;
  }
  if (entry == lock.end()) {
    f.found = where + ": version " + *version + " (doctor.tested_versions has no entry for " + name + ")";
    return f;
  }
  for (const auto& pattern : entry->second)
    if (version_matches(*version, pattern)) {
      f.found = where + ": version " + *version + ", tested";
      return f;
    }
  f.lvl = level::warning;
  f.found = where + ": version " + *version + " is not one the adapter is tested with (doctor.tested_versions." + name +
            ": " + (entry->second.empty() ? "none" : joined(entry->second)) +
            "); run `ai doctor --smoke` and check that its answers arrive whole (its output format may have "
            "changed), then add the version to doctor.tested_versions." + name;
  return f;
}

}  // namespace paios::doctor
