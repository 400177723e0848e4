#include "core/autonomy/script_binding.hpp"

#include <filesystem>
#include <string_view>
#include <system_error>

#include <nlohmann/json.hpp>

#include "core/autonomy/path_resolve.hpp"
#include "core/kb/sha256.hpp"

namespace paios::autonomy {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view kUnreadable = "unreadable";

bool one_of(std::string_view name, std::initializer_list<std::string_view> names) {
  for (auto n : names)
    if (n == name) return true;
  return false;
}

bool is_flag(const std::string& w) { return w.size() > 1 && w[0] == '-'; }

// The file an interpreter runs: its first argument that is not a flag. `python -m mod` runs a module by name,
// and a flag taking a value (`-W ignore`) is rare enough in calls worth approving that the value would just be
// a file that does not exist.
std::string interpreted_file(const command_part& part) {
  for (std::size_t i = 1; i < part.words.size(); ++i) {
    const auto& w = part.words[i];
    if (w == "-m" || w == "-c" || w == "-e") return {};
    if (w == "--") return i + 1 < part.words.size() ? part.words[i + 1] : std::string{};
    if (!is_flag(w)) return w;
  }
  return {};
}

// The makefile `make` reads: -f FILE / --file=FILE / --makefile=FILE, else GNU make's names in -C DIR or here.
std::string makefile_of(const command_part& part, const std::string& dir, const std::string& home) {
  std::string folder = dir;
  for (std::size_t i = 1; i < part.words.size(); ++i) {
    const auto& w = part.words[i];
    auto next = [&] { return i + 1 < part.words.size() ? part.words[i + 1] : std::string{}; };
    if (w == "-f" || w == "--file" || w == "--makefile") return resolve_path(next(), folder, home);
    for (std::string_view long_form : {"--file=", "--makefile="})
      if (w.rfind(long_form, 0) == 0) return resolve_path(w.substr(long_form.size()), folder, home);
    if (w.size() > 2 && w.rfind("-f", 0) == 0) return resolve_path(w.substr(2), folder, home);
    if (w == "-C" || w == "--directory") folder = resolve_path(next(), folder, home);
    else if (w.rfind("--directory=", 0) == 0) folder = resolve_path(w.substr(12), folder, home);
  }
  for (const char* name : {"GNUmakefile", "makefile", "Makefile"}) {
    auto p = folder + "/" + name;
    std::error_code ec;
    if (fs::is_regular_file(p, ec)) return p;
  }
  return {};
}

// The file a simple command runs from the project, "" for none it can name.
std::string script_of(const command_part& part, const std::string& dir, const std::string& home) {
  if (part.dynamic_name || part.interpreter_code || part.words.empty()) return {};
  const auto& name = part.words[0];
  if (!part.program.empty()) return resolve_path(part.program, dir, home);
  if (one_of(name, {"bash", "sh", "zsh", "dash", "ksh", "python", "python3", "node", "ruby", "perl", "php"})) {
    auto file = interpreted_file(part);
    return file.empty() ? file : resolve_path(file, dir, home);
  }
  if (name == "make") return makefile_of(part, dir, home);
  return {};
}

}  // namespace

script_hashes scripts_run(const tool_call& c, const bash_limits& limits) {
  script_hashes out;
  if (c.tool != "Bash" || c.command.empty() || c.cwd.empty()) return out;
  const auto parsed = parse_bash(c.command, limits);
  const auto project = resolve_path(c.cwd, "/", c.home);
  for (const auto& part : parsed.parts) {
    if (part.dir == "?") continue;  // a `cd` to a folder known only at run time: nothing it names can be found
    const std::string dir = part.dir.empty() ? c.cwd : resolve_path(part.dir, c.cwd, c.home);
    auto file = script_of(part, dir, c.home);
    std::error_code ec;
    if (file.empty() || !path_within(file, project) || !fs::is_regular_file(file, ec)) continue;
    auto hash = sha256_file_hex(file);
    out[file] = hash ? *hash : std::string{kUnreadable};
  }
  return out;
}

std::string differing_script(const script_hashes& approved, const script_hashes& now) {
  for (const auto& [path, hash] : now) {
    auto it = approved.find(path);
    if (it != approved.end() && (it->second != hash || hash == kUnreadable)) return path;
  }
  return {};
}

std::string changed_script(const script_hashes& approved, const script_hashes& now) {
  if (auto differs = differing_script(approved, now); !differs.empty()) return differs;
  for (const auto& [path, hash] : now)
    if (!approved.count(path)) return path;
  for (const auto& [path, hash] : approved)
    if (!now.count(path)) return path;
  return {};
}

std::string scripts_text(const script_hashes& s) {
  if (s.empty()) return {};
  return nlohmann::json(s).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

script_hashes scripts_of_text(const std::string& text) {
  script_hashes out;
  auto j = nlohmann::json::parse(text, nullptr, false);
  if (!j.is_object()) return out;
  for (auto& [path, hash] : j.items())
    if (hash.is_string()) out[path] = hash.get<std::string>();
  return out;
}

}  // namespace paios::autonomy
