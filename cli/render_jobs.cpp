// `ai jobs`, `ai jobs run`, `ai jobs history`, and the scheduler's lines of `ai status`: pure functions of the
// replies (docs/protocol.md, jobs.*).
#include <chrono>
#include <sstream>

#include "cli/render.hpp"
#include "messages/ids.hpp"
#include "messages/text.hpp"

namespace paios {
namespace {

using nlohmann::json;

// "in 4m10s", "now", "5 s ago".
std::string relative(std::int64_t at_ms) {
  const auto d = at_ms - now_ms();
  if (d > 0) return "in " + human_duration(d);
  if (d > -1000) return "now";
  return human_duration(-d) + " ago";
}

std::string last_line(const json& last) {
  if (!last.is_object()) return "never ran";
  std::string s = last.value("outcome", "?");
  const auto end = last.value("ended_ms", std::int64_t{0});
  s += " " + relative(end ? end : last.value("started_ms", std::int64_t{0}));
  const auto summary = last.value("summary", "");
  if (!summary.empty()) s += ": " + summary.substr(0, 80);
  return s;
}

}  // namespace

std::string render_jobs(const json& r) {
  const auto& jobs = r.value("jobs", json::array());
  if (jobs.empty()) return "no jobs (configure scheduler.jobs)\n";
  table tab{{"job", "schedule", "next", "failing", "last"}};
  for (const auto& j : jobs) {
    std::string next = j["next_due_ms"].is_number() ? relative(j["next_due_ms"].get<std::int64_t>()) : "-";
    if (j.value("running", 0) > 0) next = "running";
    else if (j.value("backing_off", false)) next += " (backoff)";
    const auto failures = j.value("failures", 0);
    tab.add({j.value("name", "?"), j.value("schedule", ""), next, failures > 0 ? std::to_string(failures) + " in a row" : "-",
             last_line(j.value("last", json()))});
  }
  return tab.str(terminal_width()) + "(times in " + r.value("timezone", "UTC") + ")\n";
}

std::string render_job_started(const json& r) {
  return "job " + r.value("job", "?") + " started: run " + r.value("run_id", "") + ", trace " +
         r.value("trace_id", "") + "\n";
}

std::string render_job_history(const json& r) {
  const auto& runs = r.value("runs", json::array());
  if (runs.empty()) return "job " + r.value("job", "?") + " has not run yet\n";
  table tab{{"outcome", "started", "took", "trigger", "trace", "summary"}};
  for (const auto& run : runs) {
    const auto start = run.value("started_ms", std::int64_t{0});
    const auto end = run.value("ended_ms", std::int64_t{0});
    tab.add({run.value("outcome", "?"), relative(start), end ? human_duration(end - start) : "-", run.value("trigger", ""),
             run.value("trace_id", ""), run.value("summary", "")});
  }
  return tab.str(terminal_width());
}

std::string render_jobs_status(const json& jobs) {
  if (!jobs.is_object() || jobs.contains("error")) return {};
  std::ostringstream out;
  out << "\nscheduler (" << jobs.value("timezone", "UTC") << "): " << counted(jobs.value("jobs", json::array()).size(), "job");
  const auto& hb = jobs.value("heartbeat", json());
  out << "\n  last heartbeat: " << (hb.is_object() ? last_line(hb) : "none yet") << "\n";
  for (const auto& j : jobs.value("failing", json::array())) {
    out << "  FAILING " << pad(j.value("name", "?"), 14) << j.value("failures", 0) << " in a row, ";
    if (j["next_due_ms"].is_number()) out << "next try " << relative(j["next_due_ms"].get<std::int64_t>());
    out << " · " << last_line(j.value("last", json())) << "\n";
  }
  return out.str();
}

}  // namespace paios
