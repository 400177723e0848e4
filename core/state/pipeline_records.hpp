#pragma once
// The pipelines' rows of state.sqlite as JSON, the shape the state store's pipeline messages carry
// (state_store.hpp) and the wire shows (docs/protocol.md, pipeline.*).
#include <optional>
#include <string>

#include <nlohmann/json_fwd.hpp>

#include "core/state/state_db.hpp"

namespace paios {

nlohmann::json pipeline_run_json(const pipeline_run_row& r);
// with_output: the step's output (parsed back to JSON) and its error; else only its name, kind, state and times.
nlohmann::json pipeline_step_json(const pipeline_step_row& s, bool with_output);
// From a write message's JSON; nullopt when the id (run) or run_id and name (step) are missing.
std::optional<pipeline_run_row> pipeline_run_from_json(const nlohmann::json& j);
std::optional<pipeline_step_row> pipeline_step_from_json(const nlohmann::json& j);

// The read operations, answered as JSON text:
//   "list" {pipeline?, state?, limit?}  -> {runs: [run + steps (without outputs)]}, newest first
//   "get"  {run_id}                     -> {run: run + steps (with outputs)}, or {} when there is no such run
// A database error gives {"error": "..."}.
std::string pipeline_read(state_db& db, const std::string& op, const nlohmann::json& args);

}  // namespace paios
