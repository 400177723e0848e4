// `ai credentials` and the credentials lines of `ai status`: pure functions of the replies (docs/protocol.md,
// credentials.list; status's alerts.credentials). Names, places, dates and fingerprints only: the replies hold
// no value.
#include "cli/render.hpp"

namespace paios {
namespace {

using nlohmann::json;

std::string joined(const json& list) {
  std::string s;
  for (const auto& v : list)
    if (v.is_string()) s += (s.empty() ? "" : ",") + v.get<std::string>();
  return s.empty() ? "all" : s;
}

std::string days_of(const json& c) {
  if (!c.contains("days_left")) return "-";
  return std::to_string(c.value("days_left", 0));
}

// "expires in 3 day(s) (2026-12-10)", "expired 2 day(s) ago", "missing: no such file".
std::string finding(const json& c) {
  const auto state = c.value("state", std::string{"?"});
  if (state == "missing") return "missing: " + c.value("note", std::string{"not there"});
  const auto date = c.value("expires", std::string{}).substr(0, 10);
  if (state == "expired") return "expired " + std::to_string(-c.value("days_left", 0)) + " day(s) ago (" + date + ")";
  return "expires in " + days_of(c) + " day(s) (" + date + ")";
}

}  // namespace

std::string render_credentials(const json& r) {
  const auto& list = r.value("credentials", json::array());
  if (list.empty()) return "no credentials declared or discovered (docs/runbooks/credentials.md)\n";
  table tab{{"name", "state", "days", "expires", "kind", "used by", "fingerprint", "where"}};
  for (const auto& c : list) {
    auto state = c.value("state", std::string{"?"});
    if (!c.value("in_use", true)) state += " (unused)";
    tab.add({c.value("name", "?"), state, days_of(c), c.value("expires", std::string{"-"}).substr(0, 10), c.value("kind", "?"),
             joined(c.value("used_by", json::array())), c.value("fingerprint", std::string{"-"}), c.value("where", "?")});
  }
  return tab.str(terminal_width()) + "(warned " + std::to_string(r.value("warn_days", 7)) +
         " days ahead; times in UTC; fingerprint: the value's sha256, first 8 hex digits)\n";
}

std::string render_credentials_status(const json& alerts) {
  if (!alerts.is_object()) return {};
  std::string out;
  for (const auto& c : alerts.value("credentials", json::array()))
    out += "warning: credential " + c.value("name", std::string{"?"}) + " " + finding(c) + " (ai credentials)\n";
  return out.empty() ? out : "\n" + out;
}

}  // namespace paios
