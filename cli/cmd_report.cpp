// `ai report [--date DAY] [--json]`: the daily report of a local day, computed by the daemon on demand (report.get,
// docs/protocol.md); today so far by default. The scheduled job `daily-report` stores each finished day's in the
// knowledge base (`ai kb list --kind report`).
#include <memory>
#include <string>

#include <CLI/CLI.hpp>

#include "cli/commands.hpp"
#include "cli/render.hpp"

namespace paios::cli {
namespace {

// As long as the daemon's bridge waits for a report (bridges/zmq/zmq_bridge.cpp, kReportTimeout), and a little
// more, so the daemon's own answer arrives first.
constexpr int kReportReplyTimeoutMs = 125000;

// The report is Markdown: readable as it is in a terminal.
std::string render_report(const nlohmann::json& reply) { return reply.value("markdown", std::string{}); }

}  // namespace

run_fn define_report(CLI::App& sub, options&) {
  auto date = std::make_shared<std::string>();
  sub.add_option("--date", *date,
                 "the local day (scheduler.timezone): YYYY-MM-DD, today (the default: so far) or yesterday");
  return [date](const options& opt) {
    nlohmann::json fields = nlohmann::json::object();
    if (!date->empty()) fields["date"] = *date;
    return show(opt, request("report.get", fields), render_report, kReportReplyTimeoutMs);
  };
}

}  // namespace paios::cli
