#pragma once
// How `ai` shows the daemon's replies to a person. Pure functions of the reply JSON (docs/protocol.md).
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace paios {

std::string render_status(const nlohmann::json& reply);
std::string render_tasks(const nlohmann::json& reply);
std::string render_task(const nlohmann::json& reply);
std::string render_cancel(const nlohmann::json& reply);
std::string render_route(const nlohmann::json& reply);
std::string render_routes(const nlohmann::json& reply);
std::string render_weights(const nlohmann::json& reply);
std::string render_events(const nlohmann::json& reply);
std::string render_trace(const nlohmann::json& reply);
std::string render_kb_results(const nlohmann::json& reply);
std::string render_kb_article(const nlohmann::json& reply);
std::string render_kb_removed(const nlohmann::json& reply);
std::string render_kb_list(const nlohmann::json& reply);
std::string render_kb_stats(const nlohmann::json& reply);
// cli/render_jobs.cpp: jobs.list, jobs.run, jobs.history, and the scheduler part of status ("" when absent).
std::string render_jobs(const nlohmann::json& reply);
std::string render_job_started(const nlohmann::json& reply);
std::string render_job_history(const nlohmann::json& reply);
std::string render_jobs_status(const nlohmann::json& jobs);
// cli/render_pipelines.cpp: pipeline.list, pipeline.run, pipeline.runs, pipeline.get, pipeline.resume, .cancel.
std::string render_pipelines(const nlohmann::json& reply);
std::string render_pipeline_started(const nlohmann::json& reply);
std::string render_pipeline_runs(const nlohmann::json& reply);
std::string render_pipeline_run(const nlohmann::json& reply);
std::string render_pipeline_resumed(const nlohmann::json& reply);
std::string render_pipeline_cancel(const nlohmann::json& reply);
// cli/render_watch.cpp: watch.list, watch.add, watch.rm, and the watchers part of status ("" when absent).
std::string render_watch_list(const nlohmann::json& reply);
std::string render_watch_added(const nlohmann::json& reply);
std::string render_watch_removed(const nlohmann::json& reply);
std::string render_watch_status(const nlohmann::json& watchers);
// cli/render_alerts.cpp: alerts.list, alerts.ack, and the alerts line of status ("" when none is open).
std::string render_alerts(const nlohmann::json& reply);
std::string render_alert_acked(const nlohmann::json& reply);
std::string render_alerts_status(const nlohmann::json& alerts);
// cli/render_credentials.cpp: credentials.list, and a warning line of status per credential that needs attention.
std::string render_credentials(const nlohmann::json& reply);
std::string render_credentials_status(const nlohmann::json& alerts);
// One style for the tables `ai` prints: upper-case headers, each column but the last as wide as its widest value
// (a long value widens its column instead of pushing the rest out of line), one space between columns, and the
// last column cut with "…" to fit `width` terminal columns (0: no limit). A row is one line: line breaks and tabs in
// a value are shown as spaces. Notes that belong under a table go after it, in parentheses ("(times in UTC)").
class table {
 public:
  explicit table(std::vector<std::string> headers) : headers_(std::move(headers)) {}
  void add(std::vector<std::string> row);
  std::string str(std::size_t width) const;

 private:
  std::vector<std::string> headers_;
  std::vector<std::vector<std::string>> rows_;
};
// The terminal's width for tables: $COLUMNS, else the width of the terminal `fd` is (stdout by default), else 0
// (not a terminal: no limit).
std::size_t terminal_width(int fd = 1);
// `s` cut to `width` terminal columns, its end replaced by "…" when it was longer.
std::string fit(const std::string& s, std::size_t width);

// `s` followed by spaces up to `width` terminal columns (UTF-8 aware).
std::string pad(std::string s, std::size_t width);
std::string human_duration(std::int64_t ms);
std::string human_micros(std::int64_t us);

// A point in time for `ai obs --since/--until`: "90s", "15m", "2h", "3d" (that long ago), unix milliseconds,
// or "YYYY-MM-DD[THH:MM[:SS]][Z]" (local time unless Z). nullopt, and `error` set, when it is none of those.
std::optional<std::int64_t> parse_time_arg(const std::string& text, std::int64_t now_ms, std::string& error);

}  // namespace paios
