#pragma once
// The "pipelines" section: named lists of steps that pass JSON from one to the next (actors/pipeline,
// docs/config.md). Apart from config.hpp so that the pipelines' tests need only these structs. The initial
// values equal schema.json's defaults.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace paios {

// One step. Only the fields of its kind are meaningful; every string marked "template" may hold {{...}}
// references (core/pipeline/template.hpp).
struct pipeline_step_config {
  std::string name;
  std::string kind;                      // task | command | capture | kb_ingest | wait | notify
  std::int64_t timeout_ms = 0;           // resolved: the step's own or its kind's default
  std::string prompt, brain;             // task: prompt (template); brain "" = routed like a client's task
  std::vector<std::string> command;      // command: argv (each a template), no shell
  std::string input = "{{input}}";       // command: its stdin (template)
  std::size_t max_output_bytes = 1 << 20;  // command: stdout kept; more fails the step
  std::string cwd;                       // command: its folder, absolute, not a template ("" the daemon's): the
                                         // project the autonomy policy judges its command in
  std::string source;                    // capture: a file path or an http(s) URL (template); kb_ingest: the
                                         // article's source (template)
  std::string content = "{{input.text}}";  // kb_ingest (template)
  std::string title;                     // kb_ingest, notify (template)
  std::string article_kind = "document"; // kb_ingest: document | learning | decision | note
  std::vector<std::string> tags;         // kb_ingest
  std::string until;                     // wait: unix ms or "YYYY-MM-DDTHH:MM:SSZ" (template)
  std::int64_t seconds = -1;             // wait: a duration instead of `until`
  std::string body = "{{input}}";        // notify (template)
  std::string severity = "info";         // notify: info | warning | critical
};

struct pipeline_config {
  std::string name, description;
  std::vector<pipeline_step_config> steps;
  std::int64_t timeout_ms = 3600000;  // the whole run
  bool resume_on_interrupt = false;   // on_interrupt: "resume" (true) or "mark"
};

// The default timeout of a step of `kind`, in ms.
std::int64_t default_step_timeout_ms(const std::string& kind);

// The enabled pipelines, in name order.
std::vector<pipeline_config> read_pipelines_config(const nlohmann::json& section);
// Checks beyond the schema, each error naming its path ("pipelines.NAME.steps[2].brain: no brain named \"x\""):
// unknown step kinds, fields of another kind, missing fields, repeated step names, brains that are not
// configured, templates that do not parse or refer to a step that does not come before.
void check_pipelines_config(const nlohmann::json& doc, std::vector<std::string>& errors);

}  // namespace paios
