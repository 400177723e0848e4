#pragma once
// pipeline_run: one run of one pipeline, an actor of its own, so that a slow step never delays the manager,
// the bus or another run. Spawned by the pipelines actor, which it answers once, at its end:
//   (done_atom, string run_id, string state, string error, string output) to the manager; state "ok" (output:
//   the last step's output, JSON text), "failed" (a step failed or timed out; error names it), "timeout" (the
//   pipeline's timeout_ms passed), "cancelled" (the manager's (cancel_atom, string reason)).
// It walks the steps from spec.start_step on. Each step's start and end (state, output, error) and the run's
// position are written to the state store, and acknowledged, before it goes on: a crash loses at most the step
// under way, and the run's record says which one it was. The full output goes on to the next step; the record
// keeps at most kRecordBytes of it (docs/config.md, "pipelines").
// Steps: task (a task submitted to the dispatcher as a client's task.submit is, in the run's trace), command
// (process_runner: its own process group, stdin the rendered input, stdout kept up to max_output_bytes, killed at
// the step's timeout, dies with the daemon; an argv carrying the run's data first asks the autonomy gate, which
// may refuse it or make it wait for a person: docs/autonomy.md, "Commands the daemon runs"), capture (a file or an http(s) URL read and converted to text on a
// detached helper), kb_ingest (kb store), wait (a timer), notify (notifier).
// If the daemon stops under a task step (the dispatcher answers shutting_down or interrupted) the run ends
// without a verdict and its record stays "running": the next start decides (the pipeline's on_interrupt). If the
// manager goes away the run ends (its task cancelled, its command killed).
#include <cstdint>
#include <string>

#include <caf/fwd.hpp>

#include "config/pipeline_config.hpp"

namespace paios {

struct pipeline_run_spec {
  std::string run_id;
  pipeline_config pipeline;
  std::string trigger;            // "manual", "job:<name>"
  std::string input = "null";     // the run's input, JSON text
  std::size_t start_step = 0;     // a resumed run starts at the step that stopped it
  std::string done_outputs = "{}";  // resumed: JSON {step name: output} of the steps before start_step
  std::string previous = "null";  // resumed: the output of step start_step - 1 (the run's input for step 0)
  int attempts = 1;               // of the first step run (a resumed step's earlier tries count)
  std::int64_t step_first_started_ms = 0;  // resumed: when step start_step first started (a wait counts from there)
  int resumes = 0;
  std::int64_t started_ms = 0;    // of the run's first start
  std::string trace_id;           // 32 hex digits: the run's trace
  std::uint64_t span = 0;         // the run's span: the parent of its steps
};

// The most of one step's output that its record keeps, in bytes.
constexpr std::size_t kRecordBytes = 1 << 20;

caf::actor spawn_pipeline_run(caf::actor_system& sys, pipeline_run_spec spec, caf::actor manager);

}  // namespace paios
