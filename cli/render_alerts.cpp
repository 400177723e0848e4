// `ai alerts` and `ai alerts ack`: pure functions of the replies (docs/protocol.md, alerts.*).
#include <chrono>

#include "cli/render.hpp"

namespace paios {
namespace {

using nlohmann::json;

std::int64_t wall_now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

std::string state_of(const json& a) {
  if (!a.value("open", true)) return a.value("acknowledged", false) ? "acked" : "resolved";
  return a.value("acknowledged", false) ? "open, acked" : "open";
}

}  // namespace

std::string render_alerts(const json& r) {
  const auto& alerts = r.value("alerts", json::array());
  if (alerts.empty()) return "no open alerts\n";
  const auto now = wall_now_ms();
  table tab{{"id", "severity", "state", "kind", "key", "count", "first", "last", "title"}};
  for (const auto& a : alerts)
    tab.add({std::to_string(a.value("id", 0)), a.value("severity", "?"), state_of(a), a.value("kind", "?"),
             a.value("key", "?"), std::to_string(a.value("count", 0)),
             human_duration(now - a.value("first_ms", now)) + " ago", human_duration(now - a.value("last_ms", now)) + " ago",
             a.value("title", "")});
  return tab.str(terminal_width()) + "(ai alerts ack ID: seen, tell no more)\n";
}

std::string render_alert_acked(const json& r) {
  const auto a = r.value("alert", json::object());
  return "alert " + std::to_string(a.value("id", 0)) + " acknowledged (" + a.value("kind", "?") + " " +
         a.value("key", "?") + (a.value("open", false) ? ": open until its condition clears" : "") + ")\n";
}

std::string render_alerts_status(const json& a) {
  if (!a.is_object() || a.value("open", 0) == 0) return {};
  return "\nalerts: " + std::to_string(a.value("open", 0)) + " open, " + std::to_string(a.value("unacknowledged", 0)) +
         " not acknowledged (ai alerts)\n";
}

}  // namespace paios
