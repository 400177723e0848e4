// `ai tasks`, `ai task ID`, `ai cancel ID`: the daemon's record of tasks.
#include <iostream>
#include <memory>

#include <CLI/CLI.hpp>

#include "cli/commands.hpp"
#include "cli/render.hpp"

namespace paios::cli {
namespace {

// A request about one task, named by the subcommand's `id` argument.
run_fn define_one_task(CLI::App& sub, const char* op, std::string (*render)(const nlohmann::json&)) {
  auto task_id = std::make_shared<std::string>();
  sub.add_option("id", *task_id, "the task id")->required();
  return [task_id, op, render](const options& opt) {
    return show(opt, request(op, {{"task_id", *task_id}}), render);
  };
}

}  // namespace

run_fn define_tasks(CLI::App& sub, options&) {
  struct args {
    int limit = 20;
    std::string state;
  };
  auto a = std::make_shared<args>();
  sub.add_option("--limit", a->limit, "how many")->check(CLI::Range(1, 1000));
  sub.add_option("--state", a->state, "only tasks in this state (queued, running, succeeded, failed, ...)");
  return [a](const options& opt) {
    auto req = request("task.list", {{"limit", a->limit}});
    if (!a->state.empty()) req["state"] = a->state;
    int code = kExitOk;
    auto reply = call(opt, req, code);
    if (!reply) return code;
    std::cout << (opt.json_out ? reply->dump() : render_tasks(*reply));  // no newline after the JSON, as ever
    return kExitOk;
  };
}

run_fn define_task(CLI::App& sub, options&) { return define_one_task(sub, "task.get", render_task); }

run_fn define_cancel(CLI::App& sub, options&) { return define_one_task(sub, "task.cancel", render_cancel); }

}  // namespace paios::cli
