// `ai config diff FILE`, `ai config apply FILE [--dry-run]`, `ai config rollback [N] [--dry-run]`
// (cli/config_change.hpp says what each promises).
#include <iostream>
#include <optional>

#include "cli/config_change.hpp"
#include "cli/config_file.hpp"
#include "cli/config_history.hpp"
#include "client/wire_client.hpp"
#include "config/checked_config.hpp"
#include "config/config_diff.hpp"
#include "config/home.hpp"
#include "config/live_keys.hpp"

namespace paios::cli {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// A reload restarts the actors whose keys changed; the daemon answers within its own 90 s bound.
constexpr int kReloadTimeoutMs = 100000;
constexpr std::size_t kShownValueBytes = 160;

// A configuration file as written, and what it means once merged with the defaults.
struct config_text {
  fs::path file;
  bool exists = false;
  std::string text;
  json user = json::object();
  json merged;
};

// config.json now. One that no longer parses counts as {} (a file paiosd would refuse has no running meaning).
config_text current_config(const paios_home& home) {
  config_text c;
  c.file = home.config_file();
  std::error_code ec;
  c.exists = fs::exists(c.file, ec);
  std::string error;
  if (c.exists && read_text_file(c.file, c.text, error)) {
    auto parsed = json::parse(c.text, nullptr, false);
    if (parsed.is_object()) c.user = std::move(parsed);
  }
  c.merged = merge_config(default_config(), c.user);
  return c;
}

// `file` read and checked as paiosd would check it; nullopt after naming every mistake on stderr.
std::optional<config_text> proposed_config(const options& opt, const fs::path& file) {
  config_text p;
  p.file = file;
  std::string error;
  if (!read_text_file(file, p.text, error)) {
    std::cerr << error_prefix(opt) << error << "\n";
    return std::nullopt;
  }
  auto checked = check_config(file);
  if (!checked.config) {
    std::cerr << error_prefix(opt) << file.string() << " is not a valid configuration (nothing was changed):\n";
    for (const auto& e : checked.errors) std::cerr << "  " << e << "\n";
    return std::nullopt;
  }
  p.exists = true;
  p.user = json::parse(p.text);  // it parsed in the check
  p.merged = std::move(checked.config->merged);
  return p;
}

std::string shown(const json& v) {
  auto s = v.dump(-1, ' ', false, json::error_handler_t::replace);
  return s.size() > kShownValueBytes ? s.substr(0, kShownValueBytes) + "..." : s;
}

json change_json(const key_change& c) {
  json j{{"key", c.key}, {"kind", to_string(c.kind)}};
  if (c.kind != change_kind::added) j["before"] = c.before;
  if (c.kind != change_kind::removed) j["after"] = c.after;
  return j;
}

// The change from `now` to `next`: {file, changes (the file as written), effective (with live and how)}.
json describe(const config_text& now, const config_text& next) {
  json out{{"file", now.file.string()}, {"changes", json::array()}, {"effective", json::array()}};
  for (const auto& c : diff_config(now.user, next.user)) out["changes"].push_back(change_json(c));
  for (const auto& c : diff_config(now.merged, next.merged)) {
    auto j = change_json(c);
    const auto* rule = live_rule_for(c.key);
    j["live"] = is_live(c.key);
    j["how"] = rule ? rule->why : "takes effect at the next start of paiosd";
    out["effective"].push_back(std::move(j));
  }
  return out;
}

void print_change(const json& c) {
  const auto kind = c["kind"].get<std::string>();
  if (kind == "added") std::cout << "  + " << c["key"].get<std::string>() << ": " << shown(c["after"]);
  else if (kind == "removed") std::cout << "  - " << c["key"].get<std::string>() << " (was " << shown(c["before"]) << ")";
  else std::cout << "  ~ " << c["key"].get<std::string>() << ": " << shown(c["before"]) << " -> " << shown(c["after"]);
}

void print_description(const json& d, const std::string& source) {
  if (d["changes"].empty() && d["effective"].empty()) {
    std::cout << source << " changes nothing in " << d["file"].get<std::string>() << "\n";
    return;
  }
  std::cout << "In " << d["file"].get<std::string>() << " (from " << source << "):\n";
  for (const auto& c : d["changes"]) {
    print_change(c);
    std::cout << "\n";
  }
  std::cout << "In the effective configuration:\n";
  if (d["effective"].empty()) std::cout << "  nothing (the defaults hold the same values)\n";
  for (const auto& c : d["effective"]) {
    print_change(c);
    std::cout << "  [" << (c["live"].get<bool>() ? "live" : "needs a restart") << "]\n";
  }
}

// Asks paiosd to read config.json again. nullopt with `down` true when no daemon listens; nullopt with `down`
// false after saying on stderr what went wrong.
std::optional<json> reload(const options& opt, bool& down) {
  down = false;
  unreachable why;
  auto c = wire_client::connect(endpoint_of(resolve_home(opt.home)), why);
  if (!c) {
    down = !why.denied;
    if (why.denied) std::cerr << error_prefix(opt) << unreachable_message(resolve_home(opt.home).root.string(), why);
    return std::nullopt;
  }
  std::string error;
  if (!c->send(request("config.reload"))) {
    std::cerr << error_prefix(opt) << "cannot send to paiosd\n";
    return std::nullopt;
  }
  auto reply = c->receive(kReloadTimeoutMs, error);
  if (!reply) {
    std::cerr << error_prefix(opt) << "paiosd did not answer the reload within " << kReloadTimeoutMs << " ms"
              << (error.empty() ? "" : ": " + error) << "\n";
    return std::nullopt;
  }
  if (reply->value("type", "") == "error") {
    std::cerr << error_prefix(opt) << "paiosd refused the reload: " << reply->value("code", "error") << ": "
              << reply->value("message", "") << "\n";
    return std::nullopt;
  }
  return reply;
}

std::string joined(const json& keys) {
  std::string out;
  for (const auto& k : keys) out += (out.empty() ? "" : ", ") + k.get<std::string>();
  return out.empty() ? "none" : out;
}

// The apply path `apply` and `rollback` share: `next` (already checked) becomes config.json.
int apply_checked(const options& opt, const config_text& next, const std::string& source, bool dry_run) {
  const auto home = resolve_home(opt.home);
  const auto now = current_config(home);
  auto d = describe(now, next);
  d["source"] = source;
  d["dry_run"] = dry_run;
  const bool same = now.exists && now.text == next.text;
  d["written"] = false;
  if (!opt.json_out) print_description(d, source);
  if (same || dry_run) {
    if (opt.json_out) std::cout << d.dump() << "\n";
    else std::cout << (same ? "config.json already holds exactly this; nothing written\n"
                            : "(dry run: nothing written, paiosd not told)\n");
    return kExitOk;
  }
  if (auto err = prepare_home(home); !err.empty()) {
    std::cerr << error_prefix(opt) << err << "\n";
    return kExitError;
  }
  std::string error;
  if (now.exists) {
    fs::path kept;
    const auto keep = next.merged.at("config").at("history_keep").get<std::size_t>();
    if (!keep_in_config_history(home.config_history_dir(), now.text, keep, kept, error)) {
      std::cerr << error_prefix(opt) << "cannot keep the current file in the history: " << error << "; nothing changed\n";
      return kExitError;
    }
    d["backup"] = kept.string();
  }
  if (!write_file_atomically(now.file, next.text, 0600, error)) {
    std::cerr << error_prefix(opt) << error << "; nothing changed\n";
    return kExitError;
  }
  d["written"] = true;
  bool down = false;
  auto reply = reload(opt, down);
  d["daemon"] = reply ? "reloaded" : down ? "not running" : "failed";
  if (reply) {
    d["applied"] = reply->value("applied", json::array());
    d["restart"] = reply->value("restart", json::array());
    d["restarted"] = reply->value("restarted", json::array());
    d["errors"] = reply->value("errors", json::array());
  }
  if (opt.json_out) {
    std::cout << d.dump() << "\n";
  } else {
    std::cout << now.file.string() << " written"
              << (d.contains("backup") ? "; the previous file is kept as " + d["backup"].get<std::string>() : "") << "\n";
    if (down) std::cout << "paiosd is not running: the new configuration takes effect at its next start\n";
    if (reply) {
      std::cout << "paiosd reloaded it. Applied live: " << joined(d["applied"]) << "\n"
                << "Needs a restart of paiosd: " << joined(d["restart"]) << "\n";
      for (const auto& e : d["errors"]) std::cout << "warning: " << e.get<std::string>() << "\n";
    }
  }
  return reply || down ? kExitOk : kExitError;
}

}  // namespace

int config_diff(const options& opt, const std::string& file) {
  auto next = proposed_config(opt, file);
  if (!next) return kExitUsage;
  auto d = describe(current_config(resolve_home(opt.home)), *next);
  if (opt.json_out) std::cout << d.dump() << "\n";
  else print_description(d, file);
  return kExitOk;
}

int config_apply(const options& opt, const std::string& file, bool dry_run) {
  auto next = proposed_config(opt, file);
  if (!next) return kExitUsage;
  return apply_checked(opt, *next, file, dry_run);
}

int config_rollback(const options& opt, std::size_t n, bool dry_run) {
  const auto dir = resolve_home(opt.home).config_history_dir();
  const auto ring = config_history(dir);
  if (n == 0 || n > ring.size()) {
    std::cerr << error_prefix(opt) << "the history (" << dir.string() << ") holds " << ring.size()
              << " previous file(s); there is no number " << n << "\n";
    return kExitUsage;
  }
  auto next = proposed_config(opt, ring[n - 1]);
  if (!next) return kExitUsage;
  return apply_checked(opt, *next, ring[n - 1].string(), dry_run);
}

}  // namespace paios::cli
