#include "core/state/pipeline_records.hpp"

#include <nlohmann/json.hpp>

#include "core/sqlite/sqlite_row.hpp"
#include "messages/json_writer.hpp"

namespace paios {

using nlohmann::json;

// ---- state_db: the pipeline tables (schema in state_db.cpp) -------------------------------------------------

status state_db::save_pipeline_run(const pipeline_run_row& r) {
  return run_statement(
      *db_,
      "INSERT INTO pipeline_runs (id, pipeline, state, trigger, input, step, step_name, error, started_ms, ended_ms, "
      "trace_id, resumes) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12) ON CONFLICT(id) DO UPDATE SET "
      "state = ?3, step = ?6, step_name = ?7, error = ?8, ended_ms = ?10, resumes = ?12",
      r.id, r.pipeline, r.state, r.trigger, r.input, r.step, r.step_name, r.error, r.started_ms, r.ended_ms, r.trace_id,
      r.resumes);
}

status state_db::save_pipeline_step(const pipeline_step_row& s) {
  return run_statement(
      *db_,
      "INSERT INTO pipeline_steps (run_id, idx, name, kind, state, started_ms, ended_ms, output, output_bytes, error, "
      "attempts) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11) ON CONFLICT(run_id, idx) DO UPDATE SET "
      "name = ?3, kind = ?4, state = ?5, started_ms = ?6, ended_ms = ?7, output = ?8, output_bytes = ?9, error = ?10, "
      "attempts = ?11",
      s.run_id, s.index, s.name, s.kind, s.state, s.started_ms, s.ended_ms, s.output, s.output_bytes, s.error,
      s.attempts);
}

namespace {
constexpr const char* kPipelineRunColumns =
    "id, pipeline, state, trigger, input, step, step_name, error, started_ms, ended_ms, trace_id, resumes";
pipeline_run_row read_pipeline_run(const sqlite_stmt& s) {
  pipeline_run_row r;
  read_row(s, r.id, r.pipeline, r.state, r.trigger, r.input, r.step, r.step_name, r.error, r.started_ms, r.ended_ms,
           r.trace_id, r.resumes);
  return r;
}

constexpr const char* kPipelineStepColumns =
    "run_id, idx, name, kind, state, started_ms, ended_ms, output, output_bytes, error, attempts";
pipeline_step_row read_pipeline_step(const sqlite_stmt& stmt) {
  pipeline_step_row s;
  read_row(stmt, s.run_id, s.index, s.name, s.kind, s.state, s.started_ms, s.ended_ms, s.output, s.output_bytes,
           s.error, s.attempts);
  return s;
}
}  // namespace

expected<std::vector<pipeline_run_row>> state_db::pipeline_runs(const std::string& pipeline,
                                                                const std::string& state, int limit) {
  return select_rows(*db_,
                     std::string{"SELECT "} + kPipelineRunColumns +
                         " FROM pipeline_runs WHERE (?1 = '' OR pipeline = ?1) AND (?2 = '' OR state = ?2) "
                         "ORDER BY started_ms DESC, id DESC LIMIT ?3",
                     read_pipeline_run, pipeline, state, limit);
}

expected<std::optional<pipeline_run_row>> state_db::pipeline_run(const std::string& id) {
  auto stmt = db_->prepare(std::string{"SELECT "} + kPipelineRunColumns + " FROM pipeline_runs WHERE id = ?1");
  if (!stmt) return stmt.error();
  stmt->bind(1, id);
  std::optional<pipeline_run_row> out;
  if (stmt->step()) out = read_pipeline_run(*stmt);
  if (!stmt->error()) return stmt->error();
  return out;
}

expected<std::vector<pipeline_step_row>> state_db::pipeline_steps(const std::string& run_id) {
  return select_rows(
      *db_, std::string{"SELECT "} + kPipelineStepColumns + " FROM pipeline_steps WHERE run_id = ?1 ORDER BY idx",
      read_pipeline_step, run_id);
}

// ---- JSON ------------------------------------------------------------------------------------------------------

json pipeline_run_json(const pipeline_run_row& r) {
  auto input = json::parse(r.input, nullptr, false);
  return {{"run_id", r.id},         {"pipeline", r.pipeline},   {"state", r.state},
          {"trigger", r.trigger},   {"input", input.is_discarded() ? json(r.input) : input},
          {"step", r.step},         {"step_name", r.step_name}, {"error", r.error},
          {"started_ms", r.started_ms}, {"ended_ms", r.ended_ms}, {"trace_id", r.trace_id},
          {"resumes", r.resumes}};
}

json pipeline_step_json(const pipeline_step_row& s, bool with_output) {
  json j{{"index", s.index},           {"name", s.name},         {"kind", s.kind},
         {"state", s.state},           {"started_ms", s.started_ms}, {"ended_ms", s.ended_ms},
         {"output_bytes", s.output_bytes}, {"attempts", s.attempts}, {"error", s.error}};
  if (with_output) {
    auto out = json::parse(s.output.empty() ? "null" : s.output, nullptr, false);
    j["output"] = out.is_discarded() ? json(s.output) : out;
    j["truncated"] = s.output_bytes > static_cast<std::int64_t>(s.output.size());
  }
  return j;
}

std::optional<pipeline_run_row> pipeline_run_from_json(const json& j) {
  if (!j.is_object() || !j.contains("run_id") || !j["run_id"].is_string()) return std::nullopt;
  pipeline_run_row r;
  r.id = j.value("run_id", "");
  r.pipeline = j.value("pipeline", "");
  r.state = j.value("state", "running");
  r.trigger = j.value("trigger", "");
  r.input = j.contains("input") ? json_dump(j["input"]) : "null";
  r.step = j.value("step", 0);
  r.step_name = j.value("step_name", "");
  r.error = j.value("error", "");
  r.started_ms = j.value("started_ms", std::int64_t{0});
  r.ended_ms = j.value("ended_ms", std::int64_t{0});
  r.trace_id = j.value("trace_id", "");
  r.resumes = j.value("resumes", 0);
  return r;
}

std::optional<pipeline_step_row> pipeline_step_from_json(const json& j) {
  if (!j.is_object() || !j.contains("run_id") || !j.contains("name")) return std::nullopt;
  pipeline_step_row s;
  s.run_id = j.value("run_id", "");
  s.index = j.value("index", 0);
  s.name = j.value("name", "");
  s.kind = j.value("kind", "");
  s.state = j.value("state", "running");
  s.started_ms = j.value("started_ms", std::int64_t{0});
  s.ended_ms = j.value("ended_ms", std::int64_t{0});
  s.output = j.value("output", "");  // already JSON text, cut by the writer
  s.output_bytes = j.value("output_bytes", std::int64_t{0});
  s.error = j.value("error", "");
  s.attempts = j.value("attempts", 1);
  return s;
}

std::string pipeline_read(state_db& db, const std::string& op, const json& args) {
  if (op == "get") {
    auto run = db.pipeline_run(args.value("run_id", ""));
    if (!run) return json{{"error", run.message()}}.dump();
    if (!*run) return "{}";
    auto j = pipeline_run_json(**run);
    j["steps"] = json::array();
    auto steps = db.pipeline_steps((*run)->id);
    if (!steps) return json{{"error", steps.message()}}.dump();
    for (const auto& s : *steps) j["steps"].push_back(pipeline_step_json(s, true));
    return json_dump(json{{"run", std::move(j)}});
  }
  if (op == "list") {
    auto runs = db.pipeline_runs(args.value("pipeline", ""), args.value("state", ""), args.value("limit", 20));
    if (!runs) return json{{"error", runs.message()}}.dump();
    status last;  // as before: the error of the last run's steps, if any, fails the list
    json out = json::array();
    for (const auto& r : *runs) {
      auto j = pipeline_run_json(r);
      j["steps"] = json::array();
      auto steps = db.pipeline_steps(r.id);
      last = steps.error();
      if (steps)
        for (const auto& s : *steps) j["steps"].push_back(pipeline_step_json(s, false));
      out.push_back(std::move(j));
    }
    if (!last) return json{{"error", last.message()}}.dump();
    return json_dump(json{{"runs", std::move(out)}});
  }
  return json{{"error", "unknown pipeline read " + op}}.dump();
}

}  // namespace paios
