#include "config/credentials_config.hpp"

#include <cstdlib>
#include <set>

#include <nlohmann/json.hpp>

#include "core/credentials/token_expiry.hpp"

namespace paios {
namespace {

using nlohmann::json;

std::string expand_home(const std::string& path) {
  if (path.rfind("~/", 0) != 0) return path;
  const char* home = std::getenv("HOME");
  return std::string{home ? home : ""} + path.substr(1);
}

}  // namespace

std::vector<credential_entry> read_credentials_config(const json& doc) {
  std::vector<credential_entry> out;
  for (const auto& c : doc.at("credentials")) {
    credential_entry e;
    e.name = c.at("name").get<std::string>();
    e.kind = *credential_kind_from(c.at("kind").get<std::string>());  // the schema's enum
    e.where = e.kind == credential_kind::env ? c.at("env").get<std::string>() : expand_home(c.at("path").get<std::string>());
    e.expires = c.value("expires", "");
    e.used_by = c.value("used_by", std::vector<std::string>{});
    e.declared = true;
    out.push_back(std::move(e));
  }
  return out;
}

void check_credentials_config(const json& doc, std::vector<std::string>& errors) {
  if (!doc.contains("credentials") || !doc["credentials"].is_array()) return;
  std::set<std::string> brains, names;
  if (doc.contains("brains") && doc["brains"].is_object())
    for (auto& [name, b] : doc["brains"].items()) brains.insert(name);
  const auto& list = doc["credentials"];
  for (std::size_t i = 0; i < list.size(); ++i) {
    const auto& c = list[i];
    if (!c.is_object()) continue;  // the schema said so
    const auto at = "credentials." + std::to_string(i);
    if (c.contains("name") && c["name"].is_string() && !names.insert(c["name"].get<std::string>()).second)
      errors.push_back(at + ".name: '" + c["name"].get<std::string>() + "' is declared twice");
    const auto kind = c.value("kind", std::string{});
    if (kind == "env") {
      if (!c.contains("env")) errors.push_back(at + ".env: required for kind env (the variable's name)");
      if (c.contains("path")) errors.push_back(at + ".path: only for kind file or oauth_token_file (kind is env)");
    } else if (kind == "file" || kind == "oauth_token_file") {
      if (!c.contains("path")) errors.push_back(at + ".path: required for kind " + kind + " (the file's path)");
      else if (c["path"].is_string()) {
        const auto p = c["path"].get<std::string>();
        if (p.front() != '/' && p.rfind("~/", 0) != 0)
          errors.push_back(at + ".path: must be absolute or start with ~/ (got \"" + p + "\")");
      }
      if (c.contains("env")) errors.push_back(at + ".env: only for kind env (kind is " + kind + ")");
    }
    if (c.contains("expires") && c["expires"].is_string() && !parse_utc_time_ms(c["expires"].get<std::string>()))
      errors.push_back(at + ".expires: not a date: use YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ (got \"" +
                       c["expires"].get<std::string>() + "\")");
    if (c.contains("used_by") && c["used_by"].is_array())
      for (const auto& u : c["used_by"])
        if (u.is_string() && !brains.count(u.get<std::string>()))
          errors.push_back(at + ".used_by: '" + u.get<std::string>() + "' is not a configured brain");
  }
}

}  // namespace paios
