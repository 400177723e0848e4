#pragma once
// pipelines: runs the configured pipelines (config "pipelines", docs/config.md), each run a pipeline_run actor of
// its own; keeps their records in the state store (pipeline_runs, pipeline_steps).
//
// Receives                                                    Replies
//   (pipeline_atom, string op, string args)                   (string code, string message, string body): code ""
//                                                             and body the reply's members (docs/protocol.md,
//                                                             pipeline.*), else an error code and a sentence.
//     op "list"   {}                       -> {pipelines: [{name, description, steps, timeout_ms, on_interrupt}]}
//     op "run"    {name, input?, trigger?, trace_id?, parent_span?}
//                                          -> {pipeline, run_id, trace_id} once the run is recorded (it goes on)
//     op "runs"   {name?, limit?}          -> {runs: [...]} newest first, each with its steps (no outputs)
//     op "get"    {run_id}                 -> {run: {..., steps: [{..., output}]}}
//     op "resume" {run_id}                 -> {pipeline, run_id, trace_id, from_step, step_name}: a failed, timed
//                                             out, cancelled or interrupted run goes on from the step that stopped it
//     op "cancel" {run_id, reason?}        -> {run_id, cancelled, state}: cancelled false when it had already
//                                             ended (state says how); not_found when there is no such run
//   (pipeline_atom, string op, string args, actor waiter)     as above ("run"); the waiter also gets
//                                                             (done_atom, run_id, state, error, output) at the
//                                                             run's end (a scheduled job waits so)
//   (done_atom, run_id, state, error, output)                 from its runs
//   (status_atom)                                             std::string JSON {pipelines, running}
// Owns: the runs in flight (each watched: a run that dies without answering is recorded as failed; the runs end
// with this actor). At start it takes over the runs the store has as "running" (a crash or a stop left them so):
// a pipeline with on_interrupt "resume" goes on from the step it was on; any other becomes "interrupted", with its
// step marked so, to be resumed by pipeline.resume. A failed run is notified (notifier), unless a job waits for it.
#include <caf/fwd.hpp>

#include <vector>

#include "config/pipeline_config.hpp"

namespace paios {

struct pipelines_options {
  std::vector<pipeline_config> pipelines;
};

caf::actor spawn_pipelines(caf::actor_system& sys, pipelines_options opts);

}  // namespace paios
