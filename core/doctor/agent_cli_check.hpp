#pragma once
// The agent CLIs a process brain runs (claude, codex, gemini, any brain's command): found on PATH, and their
// `--version` compared with the versions each output adapter is tested with (doctor.tested_versions, a version
// lock: the adapters read the CLIs' output formats, which change between versions).
#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/doctor/finding.hpp"

namespace paios::doctor {

// Program name (the command's file name: "claude" for /usr/local/bin/claude) -> the tested version patterns
// ("2.1.197", "2.1.x": an "x" component matches any).
using version_lock = std::map<std::string, std::vector<std::string>>;

// One program and the brains that run it.
struct agent_program {
  std::string program;                      // the command's first word, as configured ("claude", "/opt/bin/agent")
  std::vector<std::string> enabled_brains;  // the enabled brains that run it, in name order
  std::vector<std::string> formats;         // their output adapters ("claude-stream-json"), without repeats
};

// The first dotted number in `output` ("2.1.197" of "2.1.197 (Claude Code)", "0.171.0" of "codex-cli 0.171.0"),
// or nullopt when it has none.
std::optional<std::string> parse_version(std::string_view output);

// Whether `version` matches `pattern`: the same number of components, each equal or "x" in the pattern.
bool version_matches(std::string_view version, std::string_view pattern);

// The program's path: itself when it names a folder ("/opt/bin/agent", "./agent"), else its place on PATH; "" when
// there is none that can be run.
std::string locate_program(const std::string& program);

// Checks one program: an error when an enabled brain runs it and it is not there; ok when it is not there and no
// enabled brain needs it. Found, it runs `program --version` (stdin closed, bounded by `timeout`) and compares
// the version with `lock`'s entry for the program's file name: a version outside it, or none read, is a warning
// that names what to check; a program without an entry is ok (nothing is known to compare it with).
finding check_agent_program(const agent_program& p, const version_lock& lock, std::chrono::milliseconds timeout);

}  // namespace paios::doctor
