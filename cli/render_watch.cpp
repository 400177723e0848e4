// `ai watch`, `ai watch add`, `ai watch rm`, and the watchers' line of `ai status`: pure functions of the replies
// (docs/protocol.md, watch.*).
#include <sstream>

#include "cli/render.hpp"

namespace paios {
namespace {

using nlohmann::json;

std::string classes_of(const json& f) {
  const auto& classes = f.value("classes", json::array());
  if (!classes.is_array() || classes.empty()) return "all";
  std::string out;
  for (const auto& c : classes) out += (out.empty() ? "" : ",") + c.get<std::string>();
  return out;
}

std::string state_of(const json& f) {
  if (!f.value("running", true)) return "restarting";
  if (!f.value("loaded", false)) return "starting";
  if (!f.value("present", false)) return "not watched";
  return "watching";
}

// What else a person should know of a folder: why it is not watched, its restarts, the last file it took.
std::string detail_of(const json& f) {
  std::string out;
  auto add = [&](const std::string& text) { out += (out.empty() ? "" : "; ") + text; };
  if (f.value("running", true) && f.value("loaded", false) && !f.value("present", false)) add(f.value("problem", ""));
  if (f.value("restarts", 0) > 0)
    add("restarted " + std::to_string(f.value("restarts", 0)) + "x (last: " + f.value("last_exit", "?") + ")");
  if (!f.value("last_file", "").empty()) add("last: " + f.value("last_file", ""));
  return out;
}

}  // namespace

std::string render_watch_list(const json& r) {
  const auto& folders = r.value("folders", json::array());
  if (folders.empty()) return "no watched folders (ai watch add DIR, or watchers.folders in the configuration)\n";
  table tab{{"folder", "state", "source", "classes", "handled", "failed", "queued", "busy", "known", "detail"}};
  for (const auto& f : folders)
    tab.add({f.value("path", "?"), state_of(f), f.value("source", "?"), classes_of(f), std::to_string(f.value("handled", 0)),
             std::to_string(f.value("failed", 0)), std::to_string(f.value("queued", 0)),
             std::to_string(f.value("in_flight", 0)), std::to_string(f.value("known", 0)), detail_of(f)});
  return tab.str(terminal_width());
}

std::string render_watch_added(const json& r) { return "watching " + r.value("folder", json::object()).value("path", "?") + "\n"; }

std::string render_watch_removed(const json& r) { return "no longer watching " + r.value("path", "?") + "\n"; }

std::string render_watch_status(const json& w) {
  if (!w.is_object() || w.contains("error") || w.value("folders", 0) == 0) return {};
  std::ostringstream out;
  out << "\nwatchers: " << w.value("watching", 0) << " of " << w.value("folders", 0) << " folders watched, "
      << w.value("handled", 0) << " files handled, " << w.value("failed", 0) << " failed\n";
  for (const auto& p : w.value("problems", json::array())) out << "  ! " << p.get<std::string>() << "\n";
  return out.str();
}

}  // namespace paios
