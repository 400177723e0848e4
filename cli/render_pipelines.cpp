// `ai pipeline` and its run, runs, show, resume and cancel: pure functions of the replies (docs/protocol.md,
// pipeline.*).
#include <sstream>

#include "cli/render.hpp"
#include "messages/ids.hpp"

namespace paios {
namespace {

using nlohmann::json;

std::string ago(std::int64_t at_ms) {
  if (at_ms <= 0) return "-";
  const auto d = now_ms() - at_ms;
  return d < 1000 ? "now" : human_duration(d) + " ago";
}

std::string took(const json& j) {
  const auto start = j.value("started_ms", std::int64_t{0});
  const auto end = j.value("ended_ms", std::int64_t{0});
  return end && start ? human_duration(end - start) : "-";
}

std::string one_line(std::string s, std::size_t max) {
  for (auto& c : s)
    if (c == '\n' || c == '\r' || c == '\t') c = ' ';
  return s.size() > max ? s.substr(0, max) + "..." : s;
}

}  // namespace

std::string render_pipelines(const json& r) {
  const auto& ps = r.value("pipelines", json::array());
  if (ps.empty()) return "no pipelines (configure pipelines; docs/config.md)\n";
  table tab{{"pipeline", "steps", "description"}};
  for (const auto& p : ps) {
    std::string steps;
    for (const auto& s : p.value("steps", json::array()))
      steps += (steps.empty() ? "" : " -> ") + s.value("name", "?") + " (" + s.value("kind", "?") + ")";
    tab.add({p.value("name", "?"), steps, p.value("description", "")});
  }
  return tab.str(terminal_width());
}

std::string render_pipeline_started(const json& r) {
  return "pipeline " + r.value("pipeline", "?") + " started: run " + r.value("run_id", "") + ", trace " +
         r.value("trace_id", "") + "\n";
}

std::string render_pipeline_resumed(const json& r) {
  return "run " + r.value("run_id", "") + " of " + r.value("pipeline", "?") + " resumed at step " +
         std::to_string(r.value("from_step", 0)) + " (" + r.value("step_name", "") + "), trace " + r.value("trace_id", "") +
         "\n";
}

std::string render_pipeline_cancel(const json& r) {
  const auto run = r.value("run_id", "");
  return r.value("cancelled", false) ? "cancelling run " + run + " (ai pipeline resume " + run + " goes on from its step)\n"
                                     : "run " + run + " already ended " + r.value("state", "") + "; nothing to cancel\n";
}

std::string render_pipeline_runs(const json& r) {
  const auto& runs = r.value("runs", json::array());
  if (runs.empty()) return "no pipeline runs yet\n";
  table tab{{"run", "pipeline", "state", "started", "took", "steps", "error"}};
  for (const auto& run : runs) {
    std::string steps;
    for (const auto& s : run.value("steps", json::array()))
      steps += (steps.empty() ? "" : " ") + s.value("name", "?") + ":" + s.value("state", "?");
    tab.add({run.value("run_id", ""), run.value("pipeline", "?"), run.value("state", "?"),
             ago(run.value("started_ms", std::int64_t{0})), took(run), steps, run.value("error", "")});
  }
  return tab.str(terminal_width());
}

std::string render_pipeline_run(const json& reply) {
  std::ostringstream out;
  const auto& r = reply.value("run", json::object());
  out << "run " << r.value("run_id", "") << " of " << r.value("pipeline", "?") << ": " << r.value("state", "?") << "\n"
      << "  started " << ago(r.value("started_ms", std::int64_t{0})) << ", took " << took(r) << ", trigger "
      << r.value("trigger", "") << ", trace " << r.value("trace_id", "");
  if (r.value("resumes", 0) > 0) out << ", resumed " << r.value("resumes", 0) << "x";
  out << "\n  input: " << one_line(r.value("input", json()).dump(), 200) << "\n";
  const auto error = r.value("error", "");
  if (!error.empty()) out << "  error: " << error << "\n";
  for (const auto& s : r.value("steps", json::array())) {
    out << "  [" << s.value("index", 0) << "] " << pad(s.value("name", "?"), 14) << pad(s.value("kind", "?"), 11)
        << pad(s.value("state", "?"), 12) << took(s);
    if (s.value("attempts", 1) > 1) out << " (try " << s.value("attempts", 1) << ")";
    out << "\n";
    if (!s.value("error", "").empty()) out << "      error: " << one_line(s.value("error", ""), 300) << "\n";
    if (s.contains("output") && !s["output"].is_null()) {
      const auto& o = s["output"];
      std::string text = o.is_string() ? o.get<std::string>() : o.dump();
      out << "      output: " << one_line(text, 300) << (s.value("truncated", false) ? " (cut in the record)" : "") << "\n";
    }
  }
  return out.str();
}

}  // namespace paios
