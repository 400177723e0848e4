#include "cli/doctor_service.hpp"

#include <algorithm>
#include <map>
#include <optional>
#include <sstream>

#include <nlohmann/json.hpp>

#include "cli/command.hpp"
#include "client/wire_client.hpp"
#include "config/home.hpp"
#include "core/process/run_command.hpp"

namespace paios::cli {
namespace {

using nlohmann::json;
using doctor::finding;
using doctor::level;
namespace runbook = doctor::runbook;

using clock_type = std::chrono::steady_clock;

constexpr int kPingTimeoutMs = 3000;
constexpr auto kSystemctlTimeout = std::chrono::seconds(5);
// After a smoke task's own timeout: the time for the daemon to report it (its kill grace, the store's write).
constexpr auto kSmokeReportMargin = std::chrono::seconds(15);
// What each brain is asked: short, so that a real agent answers fast and cheaply.
constexpr const char* kSmokePrompt = "This is a health check from `ai doctor --smoke`. Reply with the single word: ok";

std::string first_line(const std::string& text) { return text.substr(0, text.find('\n')); }

std::string ms_text(std::int64_t ms) { return std::to_string(ms) + " ms"; }

// "KEY=value" lines of `systemctl show` as a map.
std::map<std::string, std::string> properties(const std::string& output) {
  std::map<std::string, std::string> out;
  std::istringstream in{output};
  for (std::string line; std::getline(in, line);)
    if (auto eq = line.find('='); eq != std::string::npos) out[line.substr(0, eq)] = line.substr(eq + 1);
  return out;
}

// The start of an answer, for a finding: one line, at most 60 bytes.
std::string excerpt(const std::string& text) {
  auto line = first_line(text);
  return line.size() > 60 ? line.substr(0, 57) + "..." : line;
}

// One brain's smoke call while it is in flight.
struct smoke_call {
  std::string brain;
  clock_type::time_point sent;
  std::optional<finding> done;
};

finding smoke_outcome(const smoke_call& call, const json& reply) {
  finding f{level::error, "smoke call brain " + call.brain, "", runbook::brains};
  const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(clock_type::now() - call.sent).count();
  const auto by = reply.value("brain", std::string{});
  if (reply.value("type", "") == "result" && by == call.brain) {
    f.lvl = level::ok;
    f.found = "answered in " + ms_text(took) + ": \"" + excerpt(reply.value("text", "")) + "\"";
  } else if (reply.value("type", "") == "result") {
    f.found = "answered by brain " + by + " instead, after " + ms_text(took) + ": " + call.brain +
              " failed and the task failed over (ai task " + reply.value("task_id", "") + " shows why)";
  } else {
    f.found = reply.value("state", std::string{"refused"}) + " after " + ms_text(took) + ": " +
              reply.value("code", std::string{"error"}) + ": " + reply.value("message", std::string{});
  }
  return f;
}

}  // namespace

finding check_daemon(const paios_home& home, std::unique_ptr<wire_client>& client) {
  finding f{level::error, "paiosd on " + home.root.string(), "", runbook::daemon};
  unreachable why;
  client = wire_client::connect(endpoint_of(home), why);
  if (!client) {
    f.found = first_line(unreachable_message(home.root.string(), why)) + " Start it: paiosd --home " +
              home.root.string() + " &, or systemctl --user start paiosd";
    return f;
  }
  const auto start = clock_type::now();
  std::string error;
  std::optional<json> reply;
  if (client->send(request("ping"))) reply = client->receive(kPingTimeoutMs, error);
  if (!reply || reply->value("type", "") != "pong") {
    client.reset();
    f.runbook = runbook::bridge;
    f.found = "its socket is there but no pong came within " + ms_text(kPingTimeoutMs) +
              (error.empty() ? "" : " (" + error + ")") + ": it is hung or overloaded";
    return f;
  }
  const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(clock_type::now() - start).count();
  f.lvl = level::ok;
  f.found = "paiosd " + reply->value("version", std::string{"?"}) + " answers a ping in " + ms_text(took) + " (up " +
            std::to_string(reply->value("uptime_ms", std::int64_t{0}) / 1000) + " s)";
  return f;
}

finding check_systemd_unit(const std::string& unit, bool daemon_answers) {
  finding f{level::ok, "systemd unit " + unit, "", runbook::daemon};
  if (sched::find_on_path("systemctl").empty()) {
    f.found = "skipped: no systemctl on PATH (not a systemd machine)";
    return f;
  }
  const auto run = sched::run_command(
      {"systemctl", "--user", "show", "--property=LoadState,ActiveState,SubState", unit}, kSystemctlTimeout, 4096);
  const auto props = properties(run.output);
  if (!run.started || run.timed_out || run.exit_code != 0 || !props.count("LoadState")) {
    f.found = "skipped: systemctl --user cannot answer (" +
              (run.timed_out ? std::string{"no answer within 5 s"} : first_line(run.output)) +
              "): no user service manager here";
    return f;
  }
  if (props.at("LoadState") != "loaded") {
    f.found = "skipped: not installed as a user unit (LoadState " + props.at("LoadState") +
              "); deploy/setup.sh installs it";
    return f;
  }
  const auto active = props.count("ActiveState") ? props.at("ActiveState") : "";
  const auto sub = props.count("SubState") ? props.at("SubState") : "";
  f.found = active + " (" + sub + ")";
  if (active == "failed") {
    f.lvl = level::error;
    f.found += ": it gave up restarting paiosd; journalctl --user -u " + unit + " says why, then systemctl --user restart " +
               unit;
  } else if (active != "active" && !daemon_answers) {
    f.lvl = level::warning;
    f.found += ": paiosd is not running; systemctl --user start " + unit;
  } else if (active != "active") {
    f.found += "; paiosd runs outside the unit";
  }
  return f;
}

std::vector<finding> smoke_brains(wire_client& client, std::chrono::milliseconds timeout) {
  std::vector<finding> out;
  std::string error;
  std::optional<json> status;
  if (client.send(request("status"))) status = client.receive(kReplyTimeoutMs, error);
  if (!status || status->value("type", "") != "status") {
    out.push_back({level::error, "smoke calls", "paiosd did not answer its status request" +
                                                    (error.empty() ? std::string{} : ": " + error),
                   runbook::daemon});
    return out;
  }
  std::map<std::string, smoke_call> calls;  // by the request id each call's replies carry
  for (const auto& b : (*status)["brains"]) {
    const auto name = b.value("name", std::string{});
    smoke_call call{name, clock_type::now(), std::nullopt};
    if (!b.value("available", true)) {
      call.done = finding{level::error, "smoke call brain " + name,
                          "not sent: the brain cannot run (" + b.value("reason", std::string{"unavailable"}) + ")",
                          runbook::brains};
    } else {
      auto req = request("task.submit", {{"prompt", kSmokePrompt}, {"brain", name}, {"stream", false},
                                         {"timeout_ms", timeout.count()}});
      req["id"] = "smoke:" + name;
      if (!client.send(req))
        call.done = finding{level::error, "smoke call brain " + name, "cannot send the task to paiosd", runbook::bridge};
    }
    calls.emplace("smoke:" + name, std::move(call));
  }
  const auto deadline = clock_type::now() + timeout + kSmokeReportMargin;
  auto waiting = [&] {
    for (const auto& [_, c] : calls)
      if (!c.done) return true;
    return false;
  };
  while (waiting() && clock_type::now() < deadline) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock_type::now()).count();
    auto reply = client.receive(static_cast<int>(std::max<std::int64_t>(left, 1)), error);
    if (!reply) continue;
    auto it = calls.find(reply->value("id", std::string{}));
    const auto type = reply->value("type", std::string{});
    if (it == calls.end() || it->second.done || (type != "result" && type != "error")) continue;
    it->second.done = smoke_outcome(it->second, *reply);
  }
  for (auto& [_, c] : calls)
    out.push_back(c.done ? *c.done
                         : finding{level::error, "smoke call brain " + c.brain,
                                   "no outcome within " + ms_text(timeout.count()) + " and a margin; ai tasks shows it",
                                   runbook::brains});
  return out;
}

}  // namespace paios::cli
