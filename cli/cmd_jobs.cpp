// `ai jobs`: the scheduler's jobs (the default, a list), `run` one now, or a job's `history`.
#include <memory>

#include <CLI/CLI.hpp>

#include "cli/commands.hpp"
#include "cli/render.hpp"

namespace paios::cli {

run_fn define_jobs(CLI::App& sub, options&) {
  struct args {
    std::string name;
    int limit = 20;
  };
  auto a = std::make_shared<args>();
  auto* run = sub.add_subcommand("run", "run a job now (refused while it runs, unless it allows overlap)");
  run->add_option("name", a->name, "the job")->required();
  auto* history = sub.add_subcommand("history", "a job's runs, newest first: outcome, time, trace");
  history->add_option("name", a->name, "the job")->required();
  history->add_option("--limit", a->limit, "how many")->check(CLI::Range(1, 1000));
  return [a, run, history](const options& opt) {
    auto req = request(*run ? "jobs.run" : *history ? "jobs.history" : "jobs.list");
    if (*run || *history) req["name"] = a->name;
    if (*history) req["limit"] = a->limit;
    return show(opt, req, *run ? render_job_started : *history ? render_job_history : render_jobs);
  };
}

}  // namespace paios::cli
