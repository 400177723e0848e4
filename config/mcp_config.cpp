#include "config/mcp_config.hpp"

#include <map>
#include <regex>

#include <nlohmann/json.hpp>

#include "config/config.hpp"

namespace paios {
namespace {

using nlohmann::json;

// A field the server's entry leaves out takes the schema's "default": defaults live in config/schema.json.
const json& field(const json& s, const char* key) {
  if (s.contains(key)) return s[key];
  static const json none;
  const auto& props = config_schema()["properties"]["mcp"]["properties"]["servers"]["additionalProperties"]["properties"];
  return props.contains(key) && props[key].contains("default") ? props[key]["default"] : none;
}

bool enabled(const json& s) { return s.is_object() && field(s, "enabled") == true; }

std::string prefix_of(const std::string& name, const json& s) {
  return s.contains("prefix") && s["prefix"].is_string() ? s["prefix"].get<std::string>() : name + "_";
}

void no_nul(const json& v, const std::string& where, std::vector<std::string>& errors) {
  if (v.is_string() && v.get<std::string>().find('\0') != std::string::npos)
    errors.push_back(where + ": must not contain a NUL character");
}

}  // namespace

std::vector<mcp_server_config> read_mcp_config(const json& section) {
  std::vector<mcp_server_config> out;
  for (auto& [name, s] : section.at("servers").items()) {
    if (!enabled(s)) continue;
    mcp_server_config c;
    c.name = name;
    c.command = s.at("command").get<std::vector<std::string>>();
    for (auto& [k, v] : field(s, "env").items()) c.env.emplace_back(k, v.get<std::string>());
    c.cwd = field(s, "cwd").get<std::string>();
    c.prefix = prefix_of(name, s);
    c.timeout_ms = field(s, "timeout_ms").get<std::int64_t>();
    c.start_timeout_ms = field(s, "start_timeout_ms").get<std::int64_t>();
    out.push_back(std::move(c));
  }
  return out;
}

void check_mcp_config(const json& section, std::vector<std::string>& errors) {
  if (!section.is_object() || !section.contains("servers") || !section["servers"].is_object()) return;  // the schema says
  static const std::regex name_re{"^[a-z][a-z0-9_-]{0,31}$"};
  static const std::regex env_re{"^[A-Za-z_][A-Za-z0-9_]*$"};
  std::map<std::string, std::string> by_prefix;  // prefix -> the first server mounting under it
  for (auto& [name, s] : section["servers"].items()) {
    const auto path = "mcp.servers." + name;
    if (!std::regex_search(name, name_re))
      errors.push_back(path + ": invalid server name (must match ^[a-z][a-z0-9_-]{0,31}$)");
    if (!s.is_object()) continue;
    if (s.contains("command") && s["command"].is_array())
      for (std::size_t i = 0; i < s["command"].size(); ++i)
        no_nul(s["command"][i], path + ".command." + std::to_string(i), errors);
    if (s.contains("env") && s["env"].is_object())
      for (auto& [k, v] : s["env"].items()) {
        if (!std::regex_search(k, env_re))
          errors.push_back(path + ".env." + k + ": invalid environment variable name (must match ^[A-Za-z_][A-Za-z0-9_]*$)");
        no_nul(v, path + ".env." + k, errors);
      }
    if (s.contains("cwd") && s["cwd"].is_string()) {
      auto cwd = s["cwd"].get<std::string>();
      no_nul(s["cwd"], path + ".cwd", errors);
      if (!cwd.empty() && cwd[0] != '/') errors.push_back(path + ".cwd: must be an absolute path (got \"" + cwd + "\")");
    }
    if (!enabled(s)) continue;
    // Two servers under one prefix would mount tools of the same name: which one a call reaches is undefined.
    auto prefix = prefix_of(name, s);
    auto [it, fresh] = by_prefix.emplace(prefix, name);
    if (!fresh)
      errors.push_back(path + ".prefix: \"" + prefix + "\" is already the prefix of mcp.servers." + it->second +
                       " (each server mounts its tools under its own prefix)");
  }
}

void check_mcp_brains(const json& doc, std::vector<std::string>& errors) {
  if (!doc.contains("brains") || !doc["brains"].is_object()) return;
  const json* servers = doc.contains("mcp") && doc["mcp"].is_object() && doc["mcp"].contains("servers") &&
                                doc["mcp"]["servers"].is_object()
                            ? &doc["mcp"]["servers"]
                            : nullptr;
  for (auto& [name, b] : doc["brains"].items()) {
    if (!b.is_object() || b.value("kind", json()) != "mcp" || !b.contains("server") || !b["server"].is_string()) continue;
    const auto server = b["server"].get<std::string>();
    if (!servers || !servers->contains(server))
      errors.push_back("brains." + name + ".server: no MCP server '" + server + "' in mcp.servers");
    else if (!enabled((*servers)[server]))
      errors.push_back("brains." + name + ".server: MCP server '" + server + "' is disabled (mcp.servers." + server +
                       ".enabled is false)");
  }
}

}  // namespace paios
