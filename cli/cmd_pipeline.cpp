// `ai pipeline`: the configured pipelines (the default, a list); `run` one, its `runs`, `show` one run,
// `resume` or `cancel` it. With --wait, run and resume follow the run's record to its end.
#include <chrono>
#include <iostream>
#include <memory>
#include <thread>

#include <CLI/CLI.hpp>

#include "cli/commands.hpp"
#include "cli/render.hpp"

namespace paios::cli {
namespace {

using nlohmann::json;

// Follows the run's record until it ends: the run goes on in the daemon whatever happens to this client.
// The run is shown at its end; exit 1 unless it succeeded.
int wait_for_run(const options& opt, const std::string& run_id) {
  int code = kExitOk;
  auto get = request("pipeline.get");
  get["run_id"] = run_id;
  for (;;) {
    auto run = call(opt, get, code);
    if (!run) return code;
    const auto state = (*run)["run"].value("state", "");
    if (state != "running") {
      std::cout << (opt.json_out ? run->dump() + "\n" : render_pipeline_run(*run));
      return state == "ok" ? kExitOk : kExitError;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
  }
}

}  // namespace

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
  run->add_flag("--wait", a->wait, "wait for the end and show the run; exit 1 unless it succeeded");
  auto* runs = sub.add_subcommand("runs", "runs, newest first: state, time, each step's state");
  runs->add_option("name", a->name, "only this pipeline's runs");
  runs->add_option("--limit", a->limit, "how many")->check(CLI::Range(1, 1000));
  auto* show_run = sub.add_subcommand("show", "one run: its steps with their outputs and errors");
  show_run->add_option("run", a->run_id, "the run's id")->required();
  auto* resume = sub.add_subcommand("resume", "go on with a failed, timed out or interrupted run from the step that stopped it");
  resume->add_option("run", a->run_id, "the run's id")->required();
  resume->add_flag("--wait", a->wait, "wait for the end and show the run; exit 1 unless it succeeded");
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
    return wait_for_run(opt, started->value("run_id", ""));
  };
}

}  // namespace paios::cli
