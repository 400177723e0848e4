#pragma once
// The subcommands of `ai`, one define function each (cli/command.hpp says what it does), by the file that
// holds them; cli/main.cpp lists them in its table with their names and one-line help.
#include "cli/command.hpp"

namespace paios::cli {

// cli/cmd_submit.cpp: `ai "prompt"` submits a task and streams its answer (no subcommand of its own).
int submit_prompt(const options& opt);

// cli/cmd_status.cpp
run_fn define_ping(CLI::App& sub, options& opt);
run_fn define_status(CLI::App& sub, options& opt);
run_fn define_breaker(CLI::App& sub, options& opt);
// cli/cmd_tasks.cpp
run_fn define_tasks(CLI::App& sub, options& opt);
run_fn define_task(CLI::App& sub, options& opt);
run_fn define_cancel(CLI::App& sub, options& opt);
// cli/cmd_route.cpp
run_fn define_route(CLI::App& sub, options& opt);
run_fn define_routes(CLI::App& sub, options& opt);
run_fn define_weights(CLI::App& sub, options& opt);
// cli/cmd_obs.cpp
run_fn define_obs(CLI::App& sub, options& opt);
run_fn define_trace(CLI::App& sub, options& opt);
run_fn define_score(CLI::App& sub, options& opt);
// cli/cmd_kb.cpp
run_fn define_kb(CLI::App& sub, options& opt);
// cli/cmd_hooks.cpp
run_fn define_hook(CLI::App& sub, options& opt);
run_fn define_hooks(CLI::App& sub, options& opt);
// cli/cmd_mcp.cpp
run_fn define_mcp(CLI::App& sub, options& opt);
// cli/cmd_jobs.cpp
run_fn define_jobs(CLI::App& sub, options& opt);
// cli/cmd_watch.cpp
run_fn define_watch(CLI::App& sub, options& opt);
// cli/cmd_alerts.cpp
run_fn define_alerts(CLI::App& sub, options& opt);
// cli/cmd_credentials.cpp
run_fn define_credentials(CLI::App& sub, options& opt);
// cli/cmd_report.cpp
run_fn define_report(CLI::App& sub, options& opt);
// cli/cmd_pipeline.cpp
run_fn define_pipeline(CLI::App& sub, options& opt);
// cli/cmd_approvals.cpp
run_fn define_approvals(CLI::App& sub, options& opt);
run_fn define_approve(CLI::App& sub, options& opt);
run_fn define_deny(CLI::App& sub, options& opt);
// cli/cmd_autonomy.cpp
run_fn define_autonomy(CLI::App& sub, options& opt);
// cli/cmd_config.cpp
run_fn define_config(CLI::App& sub, options& opt);
// cli/cmd_backup.cpp
run_fn define_backup(CLI::App& sub, options& opt);
run_fn define_restore(CLI::App& sub, options& opt);
// cli/cmd_doctor.cpp
run_fn define_doctor(CLI::App& sub, options& opt);
// cli/cmd_logs.cpp
run_fn define_logs(CLI::App& sub, options& opt);
// cli/cmd_surface.cpp
run_fn define_completion(CLI::App& sub, options& opt);
run_fn define_reference(CLI::App& sub, options& opt);

}  // namespace paios::cli
