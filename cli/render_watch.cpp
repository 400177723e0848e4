// `ai watch`, `ai watch add`, `ai watch rm`, and the watchers' line of `ai status`: pure functions of the replies
// (docs/protocol.md, watch.*).
#include <sstream>

#include "cli/render.hpp"

namespace paios {
namespace {

using nlohmann::json;

std::string classes_of(const json& f) {
  const auto& classes = f.value("classes", json::array());
  if (!classes.is_array() || classes.empty()) return "all classes";
  std::string out;
  for (const auto& c : classes) out += (out.empty() ? "" : ", ") + c.get<std::string>();
  return out;
}

std::string folder_line(const json& f) {
  std::ostringstream out;
  out << f.value("path", "?") << "  (" << f.value("source", "?") << "; " << classes_of(f) << ")\n  ";
  if (!f.value("running", true)) out << "restarting";
  else if (!f.value("loaded", false)) out << "starting";
  else if (!f.value("present", false)) out << "not watched: " << f.value("problem", "");
  else out << "watching";
  out << " · " << f.value("handled", 0) << " handled, " << f.value("failed", 0) << " failed, "
      << f.value("queued", 0) << " queued, " << f.value("in_flight", 0) << " under way, " << f.value("known", 0)
      << " known";
  if (f.value("restarts", 0) > 0)
    out << " · restarted " << f.value("restarts", 0) << "x (last: " << f.value("last_exit", "?") << ")";
  const auto last = f.value("last_file", "");
  if (!last.empty()) out << "\n  last: " << last;
  out << "\n";
  return out.str();
}

}  // namespace

std::string render_watch_list(const json& r) {
  const auto& folders = r.value("folders", json::array());
  if (folders.empty()) return "no watched folders (ai watch add DIR, or watchers.folders in the configuration)\n";
  std::string out;
  for (const auto& f : folders) out += folder_line(f);
  return out;
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
