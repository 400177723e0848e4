// `ai pipeline`: the configured pipelines (the default, a list); `run` one, its `runs`, `show` one run,
// `resume` or `cancel` it. With --wait, run and resume follow the run's record to its end.
#include <chrono>
#include <iostream>
#include <memory>
#include <thread>

#include <CLI/CLI.hpp>

#include "cli/commands.hpp"
#include "cli/render.hpp"
#include "cli/wait_progress.hpp"

namespace paios::cli {
namespace {

using nlohmann::json;

// The number of steps of pipeline `name` as configured now (0 when it cannot be told): the "of N" of the progress.
std::size_t steps_of(const options& opt, const std::string& name) {
  int code = kExitOk;
  auto list = call(opt, request("pipeline.list"), code);
  if (!list) return 0;
  for (const auto& p : list->value("pipelines", json::array()))
    if (p.value("name", "") == name) return p.value("steps", json::array()).size();
  return 0;
}

// "summarize-to-kb: step 2 of 3, summarize (task), 4.2 s; 6.1 s in all": the step the run is on and how long
// this wait has seen it and the run go.
std::string progress_text(const json& run, std::size_t steps, std::int64_t step_ms, std::int64_t all_ms) {
  const auto index = run.value("step", 0);
  std::string kind;
  for (const auto& s : run.value("steps", json::array()))
    if (s.value("index", -1) == index) kind = s.value("kind", "");
  std::string text = run.value("pipeline", "?") + ": step " + std::to_string(index + 1);
  if (steps > 0) text += " of " + std::to_string(steps);
  text += ", " + run.value("step_name", "?") + (kind.empty() ? "" : " (" + kind + ")") + ", " + human_duration(step_ms);
  return text + "; " + human_duration(all_ms) + " in all";
}

// Follows the run's record until it ends: the run goes on in the daemon whatever happens to this client. A person
// at a terminal sees on stderr which step runs and for how long. The run is shown at its end; exit 1 unless it
// succeeded.
int wait_for_run(const options& opt, const std::string& pipeline, const std::string& run_id) {
  using clock = std::chrono::steady_clock;
  wait_progress progress{opt.json_out};
  const auto steps = progress.enabled() ? steps_of(opt, pipeline) : 0;
  const auto began = clock::now();
  auto step_began = began;
  int step = -1, code = kExitOk;
  auto get = request("pipeline.get");
  get["run_id"] = run_id;
  for (;;) {
    progress.clear();  // before anything else is printed: an error, or the run
    auto run = call(opt, get, code);
    if (!run) return code;
    const auto& r = (*run)["run"];
    const auto state = r.value("state", "");
    if (state != "running") {
      std::cout << (opt.json_out ? run->dump() + "\n" : render_pipeline_run(*run));
      return state == "ok" ? kExitOk : kExitError;
    }
    const auto now = clock::now();
    if (r.value("step", 0) != step) step = r.value("step", 0), step_began = now;
    auto ms = [&](clock::time_point since) {
      return std::chrono::duration_cast<std::chrono::milliseconds>(now - since).count();
    };
    progress.show(progress_text(r, steps, ms(step_began), ms(began)));
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
  }
}

}  // namespace

constexpr const char* kWaitHelp =
    "wait for the end and show the run; exit 1 unless it succeeded (on a terminal, stderr shows the step that runs)";

run_fn define_pipeline(CLI::App& sub, options&) {
  struct args {
    std::string name, input, run_id;
    int limit = 20;
    bool wait = false;
  };
  auto a = std::make_shared<args>();
  auto* run = sub.add_subcommand("run", "start a run (it goes on in the daemon; --wait follows it to its end)");
  run->add_option("name", a->name, "the pipeline")->required();
  run->add_option("--input", a->input, "the run's input: JSON (a text that is not JSON is taken as a string)");
  run->add_flag("--wait", a->wait, kWaitHelp);
  auto* runs = sub.add_subcommand("runs", "runs, newest first: state, time, each step's state");
  runs->add_option("name", a->name, "only this pipeline's runs");
  runs->add_option("--limit", a->limit, "how many")->check(CLI::Range(1, 1000));
  auto* show_run = sub.add_subcommand("show", "one run: its steps with their outputs and errors");
  show_run->add_option("run", a->run_id, "the run's id")->required();
  auto* resume = sub.add_subcommand("resume", "go on with a failed, timed out or interrupted run from the step that stopped it");
  resume->add_option("run", a->run_id, "the run's id")->required();
  resume->add_flag("--wait", a->wait, kWaitHelp);
  auto* cancel = sub.add_subcommand("cancel", "stop a run that is going (its step is stopped; resume goes on from it)");
  cancel->add_option("run", a->run_id, "the run's id")->required();
  return [=](const options& opt) {
    if (*runs) {
      auto req = request("pipeline.runs");
      if (!a->name.empty()) req["name"] = a->name;
      req["limit"] = a->limit;
      return show(opt, req, render_pipeline_runs);
    }
    if (*show_run) return show(opt, request("pipeline.get", {{"run_id", a->run_id}}), render_pipeline_run);
    if (*cancel) return show(opt, request("pipeline.cancel", {{"run_id", a->run_id}}), render_pipeline_cancel);
    if (!*run && !*resume) return show(opt, request("pipeline.list"), render_pipelines);
    auto req = request(*run ? "pipeline.run" : "pipeline.resume");
    if (*run) {
      req["name"] = a->name;
      if (!a->input.empty()) {
        auto input = json::parse(a->input, nullptr, false);
        req["input"] = input.is_discarded() ? json(a->input) : input;
      }
    } else {
      req["run_id"] = a->run_id;
    }
    const auto render_start = *run ? render_pipeline_started : render_pipeline_resumed;
    if (!a->wait) return show(opt, req, render_start);
    int code = kExitOk;
    auto started = call(opt, req, code);
    if (!started) return code;
    if (!opt.json_out) std::cout << render_start(*started) << std::flush;
    return wait_for_run(opt, started->value("pipeline", ""), started->value("run_id", ""));
  };
}

}  // namespace paios::cli
