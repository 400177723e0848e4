// `ai config`: the configuration paiosd reads (PAIOS_HOME/config.json over the built-in defaults). `show [KEY]`
// (the default) prints the effective configuration, or one key, with where each value comes from; `path` the
// file's path; `check` validates it with the checker paiosd uses (config/checked_config.hpp); `edit` opens it in
// $VISUAL, else $EDITOR, else vi, and keeps the edit only when it passes that check; `diff`, `apply` and
// `rollback` (cli/config_change.hpp) change it with a history and tell a running paiosd to reload it.
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
#include "cli/config_change.hpp"
#include "config/checked_config.hpp"
#include "config/config_diff.hpp"
#include "config/live_keys.hpp"
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

// One effective value as `ai config show` tells it: its key, value, origin, and whether a change applies live.
json value_json(const std::string& key, const json& value, const json& user) {
  return {{"key", key}, {"value", value}, {"origin", value_origin(user, key)}, {"live", is_live(key)}};
}

void print_value(const json& v) {
  std::cout << "  " << v["key"].get<std::string>() << " = "
            << v["value"].dump(-1, ' ', false, json::error_handler_t::replace) << "  ("
            << v["origin"].get<std::string>() << ")\n";
}

// `ai config show [KEY]`: the merged configuration, or the value of KEY (a dotted path; a section shows each of
// its values), each value with where it comes from.
int show_config(const options& opt, const std::string& key) {
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
  const auto& merged = checked.config->merged;
  auto at = value_at(merged, key);
  if (!at) {
    std::cerr << "ai config show: no key '" << key << "' in the configuration (a dotted path, e.g. "
              << "autonomy.approval_timeout_ms; `ai config show` lists them all)\n";
    return kExitUsage;
  }
  json values = json::array();
  for (const auto& [leaf, value] : leaves(*at))
    values.push_back(value_json(key.empty() ? leaf : leaf.empty() ? key : key + "." + leaf, value, user));
  if (!key.empty()) {
    if (opt.json_out) {
      auto one = value_json(key, *at, user);
      one["values"] = values;
      std::cout << one.dump() << "\n";
    } else {
      for (const auto& v : values) print_value(v);
    }
    return kExitOk;
  }
  json sources = json::object();
  for (const auto& [section, _] : merged.items()) sources[section] = value_origin(user, section);
  if (opt.json_out) {
    std::cout << json{{"file", file.string()}, {"exists", present.has_value()}, {"sources", sources},
                      {"config", merged}, {"values", values}}.dump()
              << "\n";
    return kExitOk;
  }
  std::cout << "# " << file.string() << (present ? "" : " (no such file: the built-in defaults)") << "\n";
  for (const auto& [section, value] : merged.items()) {
    std::cout << "\n" << section << "  (" << sources[section].get<std::string>() << ")\n";
    for (const auto& v : values)
      if (v["key"].get<std::string>().compare(0, section.size() + 1, section + ".") == 0 || v["key"] == section) print_value(v);
  }
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
            << "; paiosd reads it at its next start, or at a reload (systemctl --user reload paiosd, kill -HUP its "
               "pid; ai config apply does both)\n";
  return kExitOk;
}

}  // namespace

run_fn define_config(CLI::App& sub, options&) {
  struct args {
    std::string key, file;
    std::size_t back = 1;
    bool dry_run = false;
  };
  auto a = std::make_shared<args>();
  auto* show = sub.add_subcommand("show", "the effective configuration (the default): the defaults merged with "
                                          "config.json, each value with where it comes from; or one KEY");
  show->add_option("key", a->key, "a dotted key or section, e.g. autonomy.approval_timeout_ms (a section named as an "
                                  "ai command goes after --: ai config show -- autonomy)");
  auto* path = sub.add_subcommand("path", "the path of config.json (which need not exist)");
  auto* edit_cmd = sub.add_subcommand("edit", "open config.json in $VISUAL, else $EDITOR, else vi; an edit that is "
                                              "not valid is kept aside and the previous file put back");
  auto* check_cmd = sub.add_subcommand("check", "validate config.json as paiosd does at start (exit 1 when invalid)");
  auto* diff_cmd = sub.add_subcommand("diff", "what FILE would change against config.json: keys added, removed and "
                                              "changed, and the effective values, each live or needing a restart "
                                              "(exit 2 when FILE is not valid)");
  diff_cmd->add_option("file", a->file, "the proposed configuration file")->required();
  auto* apply_cmd = sub.add_subcommand("apply", "make FILE config.json: validated, the current file kept in "
                                                "config.history/, written atomically, and paiosd told to reload "
                                                "(live keys apply at once; the others are listed as needing a restart)");
  apply_cmd->add_option("file", a->file, "the new configuration file")->required();
  apply_cmd->add_flag("--dry-run", a->dry_run, "show what would change; write nothing, tell paiosd nothing");
  auto* rollback_cmd = sub.add_subcommand("rollback", "put back the N-th previous config.json from config.history/ "
                                                      "(default 1, the newest) through the same path as apply");
  rollback_cmd->add_option("n", a->back, "which previous file: 1 is the newest")->check(CLI::PositiveNumber);
  rollback_cmd->add_flag("--dry-run", a->dry_run, "show what would change; write nothing, tell paiosd nothing");
  return [a, path, edit_cmd, check_cmd, diff_cmd, apply_cmd, rollback_cmd](const options& opt) {
    if (*path) {
      std::cout << resolve_home(opt.home).config_file().string() << "\n";
      return kExitOk;
    }
    if (*edit_cmd) return edit(opt);
    if (*check_cmd) return check(opt);
    if (*diff_cmd) return config_diff(opt, a->file);
    if (*apply_cmd) return config_apply(opt, a->file, a->dry_run);
    if (*rollback_cmd) return config_rollback(opt, a->back, a->dry_run);
    return show_config(opt, a->key);
  };
}

}  // namespace paios::cli
