#include "config/brains_config.hpp"

#include <algorithm>

#include <optional>
#include <regex>

#include <nlohmann/json.hpp>

#include "config/config.hpp"
#include "config/schema_errors.hpp"

namespace paios {
namespace {

using nlohmann::json;
using config_errors::check_no_nul;
using config_errors::schema_at;
using config_errors::shown;

struct name_rules {
  std::string brain_pattern, env_pattern;
  std::optional<std::regex> brain, env;
};

const name_rules& names() {
  // The patterns live in schema.json (propertyNames), the one place that defines them; valijson checks them
  // too but says only that something under "brains" failed.
  static const name_rules rules = [] {
    name_rules r;
    const json* brains = schema_at({"brains"});
    if (brains && brains->contains("propertyNames")) r.brain_pattern = (*brains)["propertyNames"].value("pattern", "");
    const json* env = schema_at({"brains", "NAME", "env"});
    if (env && env->contains("propertyNames")) r.env_pattern = (*env)["propertyNames"].value("pattern", "");
    if (!r.brain_pattern.empty()) r.brain.emplace(r.brain_pattern);
    if (!r.env_pattern.empty()) r.env.emplace(r.env_pattern);
    return r;
  }();
  return rules;
}

// A breaker whose minimum exceeds its window could never open.
void check_breaker(const json& section, const json& overrides, const std::string& path,
                   std::vector<std::string>& errors) {
  if (!section.is_object() || !overrides.is_object()) return;
  auto b = merge_config(section, overrides);
  if (!b.contains("window") || !b.contains("min_calls") || !b["window"].is_number_integer() ||
      !b["min_calls"].is_number_integer())
    return;
  if (b["min_calls"].get<std::int64_t>() > b["window"].get<std::int64_t>())
    errors.push_back(path + ".min_calls: must not exceed the window (" + b["window"].dump() +
                     " calls), or the breaker could never open (got " + b["min_calls"].dump() + ")");
}

// A brain field the document leaves out takes the schema's "default": defaults live in config/, not here.
const json& brain_field(const json& b, const char* key) {
  if (b.contains(key)) return b[key];
  static const json none;
  const json* s = schema_at({"brains", "NAME", key});
  return s && s->contains("default") ? (*s)["default"] : none;
}

// The "breaker" section, then a brain's own "breaker" keys over it.
breaker_config read_breaker(const json& section, const json& overrides) {
  auto merged = merge_config(section, overrides);
  breaker_config c;
  c.enabled = merged.at("enabled").get<bool>();
  c.window = merged.at("window").get<int>();
  c.min_calls = merged.at("min_calls").get<int>();
  c.failure_rate = merged.at("failure_rate").get<double>();
  c.slow_call_ms = merged.at("slow_call_ms").get<std::int64_t>();
  c.slow_rate = merged.at("slow_rate").get<double>();
  c.open_ms = merged.at("open_ms").get<std::int64_t>();
  c.half_open_calls = merged.at("half_open_calls").get<int>();
  return c;
}

// The gate is the agent CLI's own tool-call hook (docs/autonomy.md): a brain that is not one of the three CLIs it
// knows cannot have it (nothing may claim enforcement it does not have), and flags that switch hooks off, loosen
// the mode the gate relies on, or set what the gate sets would void it.
struct gated_cli {
  const char* format;
  const char* name;
  std::vector<std::string> refused_flags;
};
const std::vector<gated_cli>& gated_clis() {
  static const std::vector<gated_cli> clis = {
      {"claude-stream-json", "Claude Code",
       {"--bare", "--safe-mode", "--permission-mode", "--dangerously-skip-permissions",
        "--allow-dangerously-skip-permissions"}},
      // --disable hooks would switch the hook off; bypassing approvals and sandbox leaves no backstop when a hook
      // fails (Codex then runs the call).
      {"codex-jsonl", "Codex CLI", {"--disable", "--dangerously-bypass-approvals-and-sandbox"}},
      // The gate sets the approval mode (yolo, with the hook's deny as the brake).
      {"gemini-json", "Gemini CLI", {"--approval-mode", "-y", "--yolo"}},
  };
  return clis;
}

void check_autonomy_gate(const std::string& path, const std::string& kind, const json& b, const std::string& hint,
                         std::vector<std::string>& errors) {
  if (!b.contains("autonomy_gate") || b["autonomy_gate"] != true) return;
  const auto format = b.contains("format") && b["format"].is_string() ? b["format"].get<std::string>() : "";
  const gated_cli* cli = nullptr;
  for (const auto& c : gated_clis())
    if (format == c.format) cli = &c;
  if (kind != "process" || !cli) {
    errors.push_back(path + ".autonomy_gate: only a Claude Code, Codex CLI or Gemini CLI brain (kind process, format "
                            "claude-stream-json, codex-jsonl or gemini-json) can run with the gate; set it to false" +
                     hint);
    return;
  }
  if (!b.contains("command") || !b["command"].is_array()) return;
  for (const auto& word : b["command"]) {
    if (!word.is_string()) continue;
    const auto w = word.get<std::string>();
    const auto flag = w.substr(0, w.find('='));
    if (std::find(cli->refused_flags.begin(), cli->refused_flags.end(), flag) != cli->refused_flags.end())
      errors.push_back(path + ".command: " + flag + " would switch off or loosen the autonomy gate of " + cli->name +
                       ", which sets the permission mode and the hook itself; remove it, or set autonomy_gate to false");
  }
}

brain_config read_brain(const std::string& name, const json& b, const json& breaker_section) {
  brain_config c;
  c.name = name;
  c.kind = b.at("kind").get<std::string>();
  c.description = brain_field(b, "description").get<std::string>();
  if (c.kind == "process") {
    c.format = brain_field(b, "format").get<std::string>();
    c.command = b.at("command").get<std::vector<std::string>>();
    for (auto& [key, value] : brain_field(b, "env").items()) c.env.emplace_back(key, value.get<std::string>());
    c.cwd = brain_field(b, "cwd").get<std::string>();
    c.autonomy_gate = brain_field(b, "autonomy_gate").get<bool>();
  } else if (c.kind == "mcp") {
    c.server = b.at("server").get<std::string>();
    c.tool = b.at("tool").get<std::string>();
    c.prompt_argument = brain_field(b, "prompt_argument").get<std::string>();
    c.arguments = brain_field(b, "arguments").dump();
  } else {
    c.delay_ms = brain_field(b, "delay_ms").get<std::int64_t>();
  }
  c.timeout_ms = brain_field(b, "timeout_ms").get<std::int64_t>();
  c.kill_grace_ms = brain_field(b, "kill_grace_ms").get<std::int64_t>();
  c.max_concurrent = brain_field(b, "max_concurrent").get<int>();
  c.max_queue = brain_field(b, "max_queue").get<int>();
  c.breaker = read_breaker(breaker_section, brain_field(b, "breaker"));
  return c;
}

}  // namespace

std::vector<brain_config> read_brains_config(const json& doc) {
  std::vector<brain_config> brains;
  for (auto& [name, b] : doc.at("brains").items())  // nlohmann's object is a std::map: name order
    if (brain_field(b, "enabled") == true) brains.push_back(read_brain(name, b, doc.at("breaker")));
  return brains;
}

void check_brain_config(const std::string& name, const json& b, std::vector<std::string>& errors) {
  const auto path = "brains." + name;
  if (names().brain && !std::regex_search(name, *names().brain))
    errors.push_back(path + ": invalid brain name (must match " + names().brain_pattern + ")");
  if (!b.is_object()) return;
  const auto kind = b.contains("kind") && b["kind"].is_string() ? b["kind"].get<std::string>() : "";
  if (kind == "process" && !b.contains("command")) errors.push_back(path + ".command: is required for a process brain");
  // A default brain turned into the other kind keeps the default's fields unless the user drops them.
  auto hint = [&](const char* key) {
    const auto& defaults = default_config()["brains"];
    return defaults.contains(name) && defaults[name].contains(key) ? std::string{" (set it to null to drop the default)"}
                                                                   : std::string{};
  };
  if (kind == "echo" || kind == "kb" || kind == "mcp")
    for (const char* key : {"command", "format", "env", "cwd"})
      if (b.contains(key))
        errors.push_back(path + "." + key + ": only a process brain has it, not " +
                         (kind == "echo" ? "an echo brain" : kind == "kb" ? "the kb brain" : "an mcp brain") + hint(key));
  // An mcp brain runs one tool of an MCP server with the prompt as one of its arguments.
  if (kind == "mcp") {
    for (const char* key : {"server", "tool"})
      if (!b.contains(key)) errors.push_back(path + "." + key + ": is required for an mcp brain");
    if (b.contains("delay_ms")) errors.push_back(path + ".delay_ms: only an echo brain has it, not an mcp brain" + hint("delay_ms"));
  } else {
    for (const char* key : {"server", "tool", "prompt_argument", "arguments"})
      if (b.contains(key)) errors.push_back(path + "." + key + ": only an mcp brain has it" + hint(key));
  }
  if (kind == "kb" && b.contains("delay_ms"))
    errors.push_back(path + ".delay_ms: only an echo brain has it, not the kb brain" + hint("delay_ms"));
  if (kind == "process" && b.contains("delay_ms"))
    errors.push_back(path + ".delay_ms: only an echo brain has it, not a process brain" + hint("delay_ms"));

  if (b.contains("command") && b["command"].is_array())
    for (std::size_t i = 0; i < b["command"].size(); ++i)
      check_no_nul(b["command"][i], path + ".command." + std::to_string(i), errors);
  if (b.contains("env") && b["env"].is_object())
    for (auto& [key, value] : b["env"].items()) {
      if (names().env && !std::regex_search(key, *names().env))
        errors.push_back(path + ".env." + key + ": invalid environment variable name (must match " +
                         names().env_pattern + ")");
      check_no_nul(value, path + ".env." + key, errors);
    }
  check_autonomy_gate(path, kind, b, hint("autonomy_gate"), errors);
  if (b.contains("cwd") && b["cwd"].is_string()) {
    const auto cwd = b["cwd"].get<std::string>();
    check_no_nul(b["cwd"], path + ".cwd", errors);
    // Relative to what? The daemon's own directory is an accident of how it was started.
    if (!cwd.empty() && cwd[0] != '/') errors.push_back(path + ".cwd: must be an absolute path (got " + shown(b["cwd"]) + ")");
  }
}

void check_breaker_config(const json& doc, std::vector<std::string>& errors) {
  if (doc.contains("breaker")) check_breaker(doc["breaker"], json::object(), "breaker", errors);
  if (doc.contains("breaker") && doc.contains("brains") && doc["brains"].is_object())
    for (auto& [name, b] : doc["brains"].items())
      if (b.is_object() && b.contains("breaker") && (b["breaker"].contains("window") || b["breaker"].contains("min_calls")))
        check_breaker(doc["breaker"], b["breaker"], "brains." + name + ".breaker", errors);
}

}  // namespace paios
