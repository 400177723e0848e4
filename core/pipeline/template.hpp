#pragma once
// Pipeline templates: text with references in double braces, filled from the data of a run. No actor runtime:
// the configuration checks the references of every template, the run actor renders them.
//
// References (a path of keys or array indexes may follow each with dots):
//   {{input}}                 the previous step's output (the run's input for the first step)
//   {{run.input}}             the input the run was started with
//   {{run.id}}, {{run.pipeline}}  the run's id and its pipeline's name
//   {{steps.NAME.output}}     the output of an earlier step of the same run
// A value that is a JSON string is inserted as it is; null is inserted as nothing; anything else as its JSON
// text. A reference to a field that is not there is an error naming it, never an empty insertion.
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "messages/error.hpp"

namespace paios::pipe {

struct template_ref {
  std::string text;               // as written between the braces, trimmed
  std::string root;               // "input", "run.input", "run.id", "run.pipeline" or "steps"
  std::string step;               // root "steps": the step's name
  std::vector<std::string> path;  // keys (or array indexes) below the root
};

// The references of `text`, in order; fails with bad_request when a brace pair is not closed or a reference
// names nothing known ("{{inptu}}: unknown reference; use input, run.input, run.id, run.pipeline or
// steps.NAME.output").
expected<std::vector<template_ref>> template_refs(std::string_view text);

// What a run's templates see.
struct template_scope {
  const nlohmann::json* input = nullptr;                      // the previous step's output
  const nlohmann::json* run_input = nullptr;
  std::string run_id, pipeline;
  const std::map<std::string, nlohmann::json>* steps = nullptr;  // outputs of the steps done, by name
};

// `text` with its references filled; fails with bad_request for a bad template (as template_refs) and with
// not_found for a reference to what is not there ("{{input.text}}: the previous step's output has no field
// \"text\"").
expected<std::string> render_template(std::string_view text, const template_scope& scope);

// Whether `text` inserts data a run carries (input, run.input, steps.NAME.output): text that callers or agents
// wrote (a run's input comes from `ai pipeline run`, a job, a watcher or an agent's MCP pipeline_run; a step's
// output from an agent or the web). run.id and run.pipeline are the daemon's own. A text that does not parse
// counts as carrying data (it is refused when rendered anyway).
bool carries_run_data(std::string_view text);

// A value as a template inserts it: a string as it is, null as "", anything else as JSON text.
std::string json_text(const nlohmann::json& v);

}  // namespace paios::pipe
