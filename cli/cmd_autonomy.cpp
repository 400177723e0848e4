// `ai autonomy`: the autonomy policy (docs/autonomy.md). Without a subcommand, every rule in force with where it
// comes from; `check` explains the decision a call would get, without running it; `set` pins a rule in
// config.json; `history` lists recent autonomy events; `demote` takes back a learned rule. With paiosd running,
// show and check ask it (its policy has the learned rules: wire autonomy.show, autonomy.check); with paiosd down
// they read the configuration files themselves (built-in rules and pins) and say that learned rules are left out.
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "cli/commands.hpp"
#include "cli/config_file.hpp"
#include "cli/render.hpp"
#include "client/wire_client.hpp"
#include "config/config.hpp"
#include "config/home.hpp"
#include "core/autonomy/policy.hpp"
#include "core/autonomy/rule_listing.hpp"
#include "messages/ids.hpp"

namespace paios::cli {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// Whether paiosd answers on this home's socket (without saying anything when it does not).
bool daemon_running(const options& opt) {
  unreachable why;
  return wire_client::connect(endpoint_of(resolve_home(opt.home)), why) != nullptr;
}

// The configuration paiosd would read at start (config.json over the defaults), or nullopt after saying why.
std::optional<autonomy_config> local_autonomy(const options& opt) {
  const auto file = resolve_home(opt.home).config_file();
  std::error_code ec;
  auto loaded = load_config(fs::exists(file, ec) ? std::optional<fs::path>{file} : std::nullopt);
  if (!loaded.config) {
    std::cerr << error_prefix(opt) << file.string() << " is not a valid configuration:\n";
    for (const auto& e : loaded.errors) std::cerr << "  " << e << "\n";
    return std::nullopt;
  }
  return loaded.config->autonomy;
}

// An absolute folder as a session's cwd is written: made absolute and normal, without a trailing slash.
std::string absolute_folder(const std::string& dir) {
  std::error_code ec;
  auto p = fs::absolute(dir.empty() ? fs::path(".") : fs::path(dir), ec).lexically_normal().string();
  while (p.size() > 1 && p.back() == '/') p.pop_back();
  return p;
}

// ---- show ---------------------------------------------------------------------------------------------------

std::string render_policy(const json& r) {
  std::string out;
  if (!r.value("learned_shown", false))
    out += "paiosd is not running: the built-in rules and pins of the configuration files; learned rules are not "
           "shown (they live in the daemon)\n";
  if (r.contains("policy_error")) out += "the policy does not compile, every call is denied: " + r.value("policy_error", "") + "\n";
  table tab{{"level", "source", "id", "matches"}};
  for (const auto& rule : r.value("rules", json::array())) {
    auto source = rule.value("source", "");
    if (source == "learned") source += " (" + std::to_string(rule.value("approvals", 0)) + " approvals)";
    tab.add({rule.value("level", ""), source, rule.value("id", ""), rule.value("matches", "")});
  }
  return out + tab.str(terminal_width());
}

int show_policy(const options& opt) {
  if (daemon_running(opt)) return show(opt, request("autonomy.show"), render_policy);
  auto cfg = local_autonomy(opt);
  if (!cfg) return kExitError;
  json rules = json::array();
  for (const auto& r : cfg->pins) rules.push_back(autonomy::listed_rule(r, "pin"));
  for (const auto& r : cfg->builtin) rules.push_back(autonomy::listed_rule(r, "builtin"));
  json body{{"rules", std::move(rules)}, {"learned_shown", false}};
  std::cout << (opt.json_out ? body.dump() + "\n" : render_policy(body));
  return kExitOk;
}

// ---- check --------------------------------------------------------------------------------------------------

struct check_args {
  std::string tool, path, cwd, brain;
  std::vector<std::string> command;
};

std::string render_decision(const json& r) {
  auto rule = r.value("rule", "");
  std::string out = r.value("level", "") + " (" + (rule.empty() ? std::string{"no rule"} : "rule " + rule) + "): " +
                    r.value("reason", "") + "\n";
  out += r.value("judged_by", "") == "local"
             ? "judged by `ai` with the configuration files (paiosd is not running: learned rules not applied)\n"
             : "judged by paiosd (learned rules included)\n";
  return out;
}

int check_call(const options& opt, const check_args& a) {
  json fields{{"tool", a.tool.empty() ? "Bash" : a.tool}, {"cwd", absolute_folder(a.cwd)}};
  if (!a.command.empty()) fields["command"] = join(a.command);
  if (!a.path.empty()) fields["path"] = a.path;
  if (!a.brain.empty()) fields["brain"] = a.brain;
  if (fields["tool"] == "Bash" && a.command.empty()) {
    std::cerr << error_prefix(opt) << "give the command after --, or --tool and --path for a file tool\n";
    return kExitUsage;
  }
  if (fields["tool"] != "Bash" && !a.command.empty()) {
    std::cerr << error_prefix(opt) << "a command is judged as tool Bash only (got --tool " << a.tool << ")\n";
    return kExitUsage;
  }
  if (daemon_running(opt)) {
    auto req = request("autonomy.check", fields);
    return show(opt, req, [](const json& r) {
      auto shown = r;
      shown["judged_by"] = "paiosd";
      return render_decision(shown);
    });
  }
  auto cfg = local_autonomy(opt);
  if (!cfg) return kExitError;
  auto policy = autonomy::policy::make(cfg->builtin, cfg->pins, {}, cfg->limits);
  if (!policy) {
    std::cerr << error_prefix(opt) << "the configured rules do not compile: " << policy.message() << "\n";
    return kExitError;
  }
  const char* home = std::getenv("HOME");
  autonomy::tool_call call{fields["tool"].get<std::string>(), fields.value("command", ""), a.path,
                           fields["cwd"].get<std::string>(), home && *home == '/' ? home : "/",
                           a.brain.empty() ? std::string{"claude"} : a.brain};
  auto d = policy->decide(call);
  if (d.reason.empty()) d.reason = "no rule matches; anything unmatched is ask";
  json body{{"level", std::string{autonomy::to_string(d.lvl)}}, {"rule", d.rule}, {"reason", d.reason}, {"judged_by", "local"}};
  std::cout << (opt.json_out ? body.dump() + "\n" : render_decision(body));
  return kExitOk;
}

// ---- set ----------------------------------------------------------------------------------------------------

struct set_args {
  std::string pattern, level, project, brain, reason;
};

// The pin a pattern makes: its first word the command (a glob), the others patterns its arguments must match.
std::optional<nlohmann::ordered_json> pin_of(const set_args& a, std::string& error) {
  std::vector<std::string> words;
  std::string word;
  for (char ch : a.pattern + " ") {
    if (ch == ' ' || ch == '\t') {
      if (!word.empty()) words.push_back(std::move(word));
      word.clear();
    } else {
      word += ch;
    }
  }
  if (words.empty()) {
    error = "the pattern is empty (give a command name, then argument patterns: \"npm install\")";
    return std::nullopt;
  }
  const auto project = a.project.empty() ? std::string{} : absolute_folder(a.project);
  nlohmann::ordered_json pin{{"id", "pin:" + a.pattern + (project.empty() ? "" : "@" + project) +
                                        (a.brain.empty() ? "" : " for " + a.brain)},
           {"level", a.level},
           {"reason", a.reason.empty() ? "pinned by the user (ai autonomy set)" : a.reason},
           {"commands", json::array({words[0]})}};
  if (words.size() > 1) pin["words"] = std::vector<std::string>(words.begin() + 1, words.end());
  if (!project.empty()) pin["project"] = project;
  if (!a.brain.empty()) pin["brain"] = a.brain;
  auto spec = autonomy::rule_spec_from_json(json::parse(pin.dump()));
  if (spec) {
    auto compiled = autonomy::compiled_rule::compile(*spec);
    if (compiled) return pin;
    error = "the pattern does not parse: " + compiled.message();
  } else {
    error = "the pattern does not parse: " + spec.message();
  }
  return std::nullopt;
}

int set_pin(const options& opt, const set_args& a) {
  std::string error;
  auto pin = pin_of(a, error);
  if (!pin) {
    std::cerr << error_prefix(opt) << error << "\n";
    return kExitUsage;
  }
  const auto home = resolve_home(opt.home);
  if (auto err = prepare_home(home); !err.empty()) {
    std::cerr << error_prefix(opt) << err << "\n";
    return kExitError;
  }
  // A pin of the same id is replaced where it stands; the whole configuration must still be one paiosd accepts.
  const auto& written = *pin;
  auto add = [&](nlohmann::ordered_json& config, std::string& why) {
    auto& autonomy = config["autonomy"];
    if (autonomy.is_null()) autonomy = nlohmann::ordered_json::object();
    if (!autonomy.is_object()) {
      why = "\"autonomy\" is not an object";
      return false;
    }
    auto& pins = autonomy["pins"];
    if (pins.is_null()) pins = nlohmann::ordered_json::array();
    if (!pins.is_array()) {
      why = "\"autonomy.pins\" is not an array";
      return false;
    }
    bool replaced = false;
    for (auto& p : pins)
      if (p.is_object() && p.value("id", "") == written["id"]) {
        p = written;
        replaced = true;
      }
    if (!replaced) pins.push_back(written);
    auto checked = config_from_json(json::parse(config.dump()));
    if (!checked.config) {
      why = "the configuration would not be valid:";
      for (const auto& e : checked.errors) why += "\n  " + e;
      return false;
    }
    return true;
  };
  const auto shown = (*pin)["id"].get<std::string>() + " = " + a.level;
  int code = install_edit(home.config_file(), false, json_object_edit(add),
                          {"ai autonomy set", "The pin " + shown + " is already in", "Pinned " + shown + " in",
                           "autonomy.pins"},
                          std::cout, std::cerr);
  if (code == 0) std::cout << "paiosd applies the pin at its next start or reload (systemctl --user reload paiosd, "
                               "or kill -HUP its pid; a restart does too)\n";
  return code == 0 ? kExitOk : kExitError;
}

// ---- history ------------------------------------------------------------------------------------------------

std::string render_history(const json& r) {
  const json list = r.value("events", json::array());
  if (list.empty()) return "no autonomy events\n";
  table tab{{"age", "action", "rule", "tool", "project", "summary"}};
  for (const auto& e : list) {
    const json data = e.value("data", json::object());
    auto rule = data.value("rule", data.value("learned_rule", ""));
    auto summary = data.value("summary", data.value("pattern", ""));
    if (data.contains("approval")) summary = data.value("approval", "") + " " + summary;
    tab.add({human_duration(now_ms() - e.value("time_us", std::int64_t{0}) / 1000), e.value("action", ""), rule,
             data.value("tool", ""), data.value("project", ""), summary});
  }
  return tab.str(terminal_width());
}

// ---- demote -------------------------------------------------------------------------------------------------

struct demote_args {
  std::string target, project;
};

std::string render_demoted(const json& r) {
  return "demoted " + r.value("rule", "") + ": its calls in " + r.value("project", "") + " are asked again\n";
}

}  // namespace

run_fn define_autonomy(CLI::App& sub, options&) {
  auto c = std::make_shared<check_args>();
  auto* check = sub.add_subcommand("check", "explain the decision a tool call would get (nothing is run)");
  check->add_option("--tool", c->tool, "the tool (default Bash): Read, Write, Edit, Grep, mcp__server__tool, ...");
  check->add_option("--path", c->path, "a file tool's path");
  check->add_option("--cwd", c->cwd, "the session's folder (default: the current folder)");
  check->add_option("--brain", c->brain, "the brain making the call (default claude; a pipeline's command step is pipeline:NAME)");
  check->add_option("command", c->command, "the Bash command, after -- (its words joined by spaces)");

  auto s = std::make_shared<set_args>();
  auto* set = sub.add_subcommand("set", "pin a rule in config.json: PATTERN (a command, then argument patterns) gets LEVEL");
  set->add_option("pattern", s->pattern, "\"npm install\", \"git push\", \"make\"")->required();
  set->add_option("level", s->level, "safe, ask or never")->required()->check(CLI::IsMember({"safe", "ask", "never"}));
  set->add_option("--project", s->project, "only in this folder (and under it)");
  set->add_option("--brain", s->brain, "only for this brain's calls (a pipeline's command steps: pipeline:NAME)");
  set->add_option("--reason", s->reason, "why, as decisions will say it");

  auto limit = std::make_shared<int>(20);
  auto* history = sub.add_subcommand("history", "recent autonomy decisions, approvals, denials, promotions, demotions");
  history->add_option("-n", *limit, "how many, newest first")->check(CLI::Range(1, 1000));

  auto d = std::make_shared<demote_args>();
  auto* demote = sub.add_subcommand("demote", "take back a learned rule: its calls are asked again");
  demote->add_option("rule", d->target, "the learned rule's id (learned:...), or its pattern (\"npm install\")")->required();
  demote->add_option("--project", d->project, "the project a pattern was learned in (when several learned it)");

  return [=](const options& opt) {
    if (*check) return check_call(opt, *c);
    if (*set) return set_pin(opt, *s);
    if (*history)
      return show(opt, request("obs.query", {{"category", "autonomy"}, {"limit", *limit}}), render_history);
    if (*demote) {
      json fields{{d->target.rfind("learned:", 0) == 0 ? "rule" : "pattern", d->target}};
      if (!d->project.empty()) fields["project"] = absolute_folder(d->project);
      return show(opt, request("autonomy.demote", fields), render_demoted);
    }
    return show_policy(opt);
  };
}

}  // namespace paios::cli
