// `ai obs`, `ai trace`, `ai score`: the events every operation leaves, one trace as a tree, and a task's score.
#include <chrono>
#include <iostream>
#include <memory>
#include <tuple>

#include <CLI/CLI.hpp>

#include "cli/commands.hpp"
#include "cli/render.hpp"

namespace paios::cli {
namespace {

std::int64_t wall_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

// A task id, as messages/ids.hpp makes them: "t-" and hex digits. Anything else is given to obs.trace as a trace
// id, which says what a trace id looks like when it is none.
bool is_task_id(const std::string& id) { return id.rfind("t-", 0) == 0; }

}  // namespace

run_fn define_obs(CLI::App& sub, options&) {
  struct args {
    std::string trace, category, action, status, since, until, before;
    int min_score = 0, max_score = 0, limit = 50;
  };
  auto q = std::make_shared<args>();
  sub.add_option("--trace", q->trace, "one trace id (32 hex digits)");
  sub.add_option("--category", q->category, "task, route, brain, bridge, breaker, supervisor, config, hook, ...");
  sub.add_option("--action", q->action, "e.g. run, classify, call, task.submit");
  sub.add_option("--status", q->status, "ok, or an error code");
  sub.add_option("--since", q->since, "90s, 15m, 2h, 3d (ago), unix ms, or 2026-11-29T06:00[Z]");
  sub.add_option("--until", q->until, "as --since");
  sub.add_option("--min-score", q->min_score, "only traces scored at least this")->check(CLI::Range(1, 5));
  sub.add_option("--max-score", q->max_score, "only traces scored at most this")->check(CLI::Range(1, 5));
  sub.add_option("--limit", q->limit, "how many")->check(CLI::Range(1, 10000));
  sub.add_option("--before", q->before, "the next page: events older than this event id (e-N)");
  return [q](const options& opt) {
    auto req = request("obs.query");
    if (!q->trace.empty()) req["trace_id"] = q->trace;
    if (!q->category.empty()) req["category"] = q->category;
    if (!q->action.empty()) req["action"] = q->action;
    if (!q->status.empty()) req["status"] = q->status;
    if (!q->before.empty()) req["before"] = q->before;
    if (q->min_score) req["min_score"] = q->min_score;
    if (q->max_score) req["max_score"] = q->max_score;
    req["limit"] = q->limit;
    for (auto [flag, text, key] : {std::tuple{"--since", &q->since, "since_ms"}, std::tuple{"--until", &q->until, "until_ms"}}) {
      if (text->empty()) continue;
      std::string error;
      auto ms = parse_time_arg(*text, wall_ms(), error);
      if (!ms) {
        std::cerr << "ai obs: " << flag << ": " << error << "\n";
        return kExitUsage;
      }
      req[key] = *ms;
    }
    return show(opt, req, render_events);
  };
}

run_fn define_trace(CLI::App& sub, options&) {
  auto id = std::make_shared<std::string>();
  sub.add_option("id", *id, "a trace id (32 hex digits, as ai --json shows it), or a task id: the task's trace")
      ->required();
  return [id](const options& opt) {
    auto trace_id = *id;
    if (is_task_id(trace_id)) {
      // A task id: its trace is in its record.
      int code = kExitOk;
      auto task = call(opt, request("task.get", {{"task_id", *id}}), code);
      if (!task) return code;
      trace_id = (*task)["task"].value("trace_id", "");
    }
    return show(opt, request("obs.trace", {{"trace_id", trace_id}}), render_trace);
  };
}

run_fn define_score(CLI::App& sub, options&) {
  struct args {
    std::string task_id, note;
    int value = 0;
  };
  auto a = std::make_shared<args>();
  sub.add_option("id", a->task_id, "the task id")->required();
  sub.add_option("score", a->value, "1 (bad) to 5 (excellent)")->required()->check(CLI::Range(1, 5));
  sub.add_option("--note", a->note, "why");
  return [a](const options& opt) {
    auto req = request("obs.score", {{"task_id", a->task_id}, {"score", a->value}});
    if (!a->note.empty()) req["note"] = a->note;
    return show(opt, req, [a](const nlohmann::json&) {
      return a->task_id + ": scored " + std::to_string(a->value) + (a->note.empty() ? "" : " (" + a->note + ")") + "\n";
    });
  };
}

}  // namespace paios::cli
