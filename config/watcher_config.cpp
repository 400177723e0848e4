#include "config/watcher_config.hpp"

#include <cstdlib>
#include <filesystem>
#include <set>

#include <nlohmann/json.hpp>

namespace paios {
namespace {

constexpr std::string_view kActionNames[] = {"describe", "ingest", "notify", "record"};

}  // namespace

std::string_view watch_action_name(watch_action a) { return kActionNames[static_cast<int>(a)]; }

bool parse_watch_action(std::string_view name, watch_action& out) {
  for (int i = 0; i < 4; ++i)
    if (kActionNames[i] == name) {
      out = static_cast<watch_action>(i);
      return true;
    }
  return false;
}

watch_action action_for(const watcher_config& c, file_class cls) { return c.actions[static_cast<std::size_t>(cls)]; }

std::string normal_folder_path(const std::string& path) {
  std::string p = path;
  if (p == "~" || p.rfind("~/", 0) == 0) {
    const char* home = std::getenv("HOME");
    if (!home || !*home) return {};
    p = std::string{home} + p.substr(1);
  }
  if (p.empty()) return {};
  std::error_code ec;
  auto abs = std::filesystem::absolute(p, ec);
  if (ec) return {};
  auto s = abs.lexically_normal().string();
  while (s.size() > 1 && s.back() == '/') s.pop_back();
  return s;
}

watcher_config read_watcher_config(const nlohmann::json& s) {
  watcher_config c;
  for (const auto& [cls_name, action] : s.at("actions").items()) {
    auto cls = parse_file_class(cls_name);
    watch_action a;
    if (cls && action.is_string() && parse_watch_action(action.get<std::string>(), a))
      c.actions[static_cast<std::size_t>(*cls)] = a;
  }
  c.vision_brain = s.at("vision_brain").get<std::string>();
  c.describe_prompt = s.at("describe_prompt").get<std::string>();
  c.describe_timeout_ms = s.at("describe_timeout_ms").get<std::int64_t>();
  c.max_in_flight = s.at("max_in_flight").get<int>();
  c.settle_ms = s.at("settle_ms").get<std::int64_t>();
  c.max_hash_mb = s.at("max_hash_mb").get<std::int64_t>();
  c.max_attempts = s.at("max_attempts").get<int>();
  for (const auto& f : s.at("folders")) {
    watch_folder w;
    w.path = normal_folder_path(f.at("path").get<std::string>());
    for (const auto& name : f.value("classes", std::vector<std::string>{}))
      if (auto cls = parse_file_class(name)) w.classes.push_back(*cls);
    if (!w.path.empty()) c.folders.push_back(std::move(w));
  }
  return c;
}

void check_watcher_config(const nlohmann::json& doc, std::vector<std::string>& errors) {
  const auto& s = doc["watchers"];
  if (!s.is_object()) return;
  if (s.contains("vision_brain") && s["vision_brain"].is_string()) {
    const auto brain = s["vision_brain"].get<std::string>();
    const bool known = doc.contains("brains") && doc["brains"].is_object() && doc["brains"].contains(brain);
    if (!brain.empty() && !known) errors.push_back("watchers.vision_brain: no brain named \"" + brain + "\"");
  }
  if (!s.contains("folders") || !s["folders"].is_array()) return;
  std::set<std::string> seen;
  for (std::size_t i = 0; i < s["folders"].size(); ++i) {
    const auto& f = s["folders"][i];
    if (!f.is_object() || !f.contains("path") || !f["path"].is_string()) continue;
    const std::string where = "watchers.folders[" + std::to_string(i) + "].path";
    const auto raw = f["path"].get<std::string>();
    if (raw.empty()) continue;  // the schema names it
    if (raw[0] != '/' && raw[0] != '~') {
      errors.push_back(where + ": must be absolute or start with ~/ (got \"" + raw + "\")");
      continue;
    }
    const auto path = normal_folder_path(raw);
    if (path.empty()) errors.push_back(where + ": \"" + raw + "\" needs HOME, which is not set");
    else if (!seen.insert(path).second) errors.push_back(where + ": " + path + " is listed twice");
  }
}

}  // namespace paios
