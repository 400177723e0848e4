// `ai config`: the configuration paiosd reads at start (PAIOS_HOME/config.json over the built-in defaults).
// `show` (the default) prints the effective configuration and where each top-level key comes from, `path` the
// file's path, `check` validates it with the checker paiosd uses (config/checked_config.hpp), and `edit` opens
// it in $VISUAL, else $EDITOR, else vi, and keeps the edit only when it passes that check. None of them needs
// paiosd; paiosd reads the file at its next start.
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <optional>
#include <sstream>

#include <CLI/CLI.hpp>

#include "cli/commands.hpp"
#include "config/checked_config.hpp"
#include "config/home.hpp"

namespace paios::cli {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// The file paiosd would read, or nullopt when there is none (then the defaults alone apply).
std::optional<fs::path> existing(const fs::path& file) {
  std::error_code ec;
  return fs::exists(file, ec) ? std::optional<fs::path>{file} : std::nullopt;
}

void print_errors(const std::string& prefix, const fs::path& file, const std::vector<std::string>& errors) {
  std::cerr << prefix << file.string() << " is not a valid configuration:\n";
  for (const auto& e : errors) std::cerr << "  " << e << "\n";
}

// The home's config.json, whether it exists, and its check; the check's errors said on stderr after `prefix`.
struct checked_home_config {
  fs::path file;
  std::optional<fs::path> present;
  checked_config checked;
};

checked_home_config home_config(const options& opt, const std::string& prefix) {
  const auto file = resolve_home(opt.home).config_file();
  const auto present = existing(file);
  auto checked = check_config(present);
  if (!checked.config) print_errors(prefix, file, checked.errors);
  return {file, present, std::move(checked)};
}

// `ai config check`: 0 when paiosd would start with the file, 1 (and every mistake on stderr) when not.
int check(const options& opt) {
  const auto [file, present, checked] = home_config(opt, "ai config check: ");
  if (!checked.config) return kExitError;
  if (present) std::cout << file.string() << ": valid\n";
  else std::cout << file.string() << ": no such file; paiosd runs with the built-in defaults\n";
  return kExitOk;
}

// `ai config show`: the merged configuration, each top-level key with where it comes from.
int show_config(const options& opt) {
  const auto [file, present, checked] = home_config(opt, "ai config show: ");
  if (!checked.config) {
    std::cerr << "(ai config edit fixes it; until then paiosd refuses to start)\n";
    return kExitError;
  }
  json user = json::object();
  if (present) {
    std::ifstream in{*present};
    user = json::parse(in, nullptr, false);  // checked above: it parses
  }
  json sources = json::object();
  for (const auto& [key, _] : checked.config->merged.items())
    sources[key] = !user.contains(key) ? "default" : default_config().contains(key) ? "config.json over the default" : "config.json";
  if (opt.json_out) {
    std::cout << json{{"file", file.string()}, {"exists", present.has_value()}, {"sources", sources},
                      {"config", checked.config->merged}}.dump()
              << "\n";
    return kExitOk;
  }
  std::cout << "# " << file.string() << (present ? "" : " (no such file: the built-in defaults)") << "\n";
  for (const auto& [key, value] : checked.config->merged.items())
    std::cout << "\n" << key << "  (" << sources[key].get<std::string>() << ")\n" << value.dump(2) << "\n";
  return kExitOk;
}

// The editor a person chose: $VISUAL, else $EDITOR, else vi. A command with arguments ("code --wait") is fine:
// the shell splits it, and the file comes after it.
int run_editor(const fs::path& file) {
  std::string editor = "vi";
  for (const char* var : {"VISUAL", "EDITOR"})
    if (const char* e = std::getenv(var); e && *e) {
      editor = e;
      break;
    }
  const pid_t pid = fork();
  if (pid < 0) return -1;
  if (pid == 0) {
    const std::string command = editor + " \"$1\"";
    execl("/bin/sh", "sh", "-c", command.c_str(), "sh", file.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

std::string contents(const fs::path& file) {
  std::ifstream in{file, std::ios::binary};
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// `ai config edit`: the previous file is kept as config.json.bak; an edit that fails the check is kept as
// config.json.rejected and the previous file put back, so that paiosd never finds an invalid configuration.
int edit(const options& opt) {
  const auto home = resolve_home(opt.home);
  if (auto err = prepare_home(home); !err.empty()) {
    std::cerr << "ai config edit: " << err << "\n";
    return kExitError;
  }
  const auto file = home.config_file();
  const fs::path backup = file.string() + ".bak", rejected = file.string() + ".rejected";
  const bool existed = existing(file).has_value();
  std::error_code ec;
  if (existed) fs::copy_file(file, backup, fs::copy_options::overwrite_existing, ec);
  else std::ofstream{file} << "{\n}\n";
  if (ec) {
    std::cerr << "ai config edit: cannot keep a backup as " << backup.string() << ": " << ec.message() << "\n";
    return kExitError;
  }
  const auto before = existed ? contents(backup) : std::string{"{\n}\n"};
  // Puts the file back as it was before the edit.
  auto restore = [&] {
    if (existed) fs::copy_file(backup, file, fs::copy_options::overwrite_existing, ec);
    else fs::remove(file, ec);
  };
  const int editor_exit = run_editor(file);
  if (editor_exit != 0) {
    std::cerr << "ai config edit: the editor exited with " << editor_exit << "; " << file.string()
              << " is left as it was\n";
    restore();
    return kExitError;
  }
  if (contents(file) == before) {
    if (!existed) fs::remove(file, ec);
    std::cout << file.string() << ": unchanged\n";
    return kExitOk;
  }
  auto checked = check_config(file);
  if (!checked.config) {
    print_errors("ai config edit: ", file, checked.errors);
    fs::copy_file(file, rejected, fs::copy_options::overwrite_existing, ec);
    restore();
    std::cerr << "your edit is kept as " << rejected.string() << "; " << file.string()
              << (existed ? " is back as it was" : " is not created") << "\n";
    return kExitError;
  }
  std::cout << file.string() << ": valid, saved" << (existed ? " (the previous one is " + backup.string() + ")" : "")
            << "; paiosd reads it at its next start\n";
  return kExitOk;
}

}  // namespace

run_fn define_config(CLI::App& sub, options&) {
  sub.add_subcommand("show", "the effective configuration (the default): the defaults merged with "
                                          "config.json, and where each top-level key comes from");
  auto* path = sub.add_subcommand("path", "the path of config.json (which need not exist)");
  auto* edit_cmd = sub.add_subcommand("edit", "open config.json in $VISUAL, else $EDITOR, else vi; an edit that is "
                                              "not valid is kept aside and the previous file put back");
  auto* check_cmd = sub.add_subcommand("check", "validate config.json as paiosd does at start (exit 1 when invalid)");
  return [path, edit_cmd, check_cmd](const options& opt) {
    if (*path) {
      std::cout << resolve_home(opt.home).config_file().string() << "\n";
      return kExitOk;
    }
    if (*edit_cmd) return edit(opt);
    if (*check_cmd) return check(opt);
    return show_config(opt);
  };
}

}  // namespace paios::cli
