// Pipelines without a daemon: templates (references, paths, what is inserted, errors that name the reference) and
// the configuration's checks of the "pipelines" section (unknown kinds, fields of another kind, brains that are not
// configured, templates that refer to steps that do not come before), each error naming its path.
#include <gtest/gtest.h>

#include "config/config.hpp"
#include "core/pipeline/template.hpp"
#include "tests/support/config_checks.hpp"

using nlohmann::json;
using namespace paios;
using paios::test::all;
using paios::test::expect_refused;

namespace {

json pipeline(json steps) { return {{"pipelines", {{"p", {{"steps", std::move(steps)}}}}}}; }

// The rendered text, or "?" and the failure's message.
std::string rendered(std::string_view text, const pipe::template_scope& s) {
  auto r = pipe::render_template(text, s);
  return r ? *r : "? " + r.message();
}

// The message of a render that must fail with `code`.
std::string render_failure(std::string_view text, const pipe::template_scope& s, errc code) {
  auto r = pipe::render_template(text, s);
  EXPECT_FALSE(r) << text;
  EXPECT_EQ(r.code(), code) << text;
  return r.message();
}

}  // namespace

TEST(PipelineTemplate, FillsReferencesFromTheRun) {
  json input{{"text", "hello"}, {"n", 3}, {"list", {"a", "b"}}, {"none", nullptr}};
  json run_input{{"url", "https://example.org/x"}};
  std::map<std::string, json> steps{{"fetch", json{{"title", "T"}}}};
  pipe::template_scope s{&input, &run_input, "p-1", "digest", &steps};
  EXPECT_EQ(rendered("{{input.text}} {{ input.n }} {{input.list.1}} [{{input.none}}]", s), "hello 3 b []");
  EXPECT_EQ(rendered("{{run.input.url}} {{run.id}} {{run.pipeline}} {{steps.fetch.output.title}}", s),
            "https://example.org/x p-1 digest T");
  // A whole object is its JSON text; a string as it is.
  EXPECT_EQ(rendered("{{steps.fetch.output}}", s), R"({"title":"T"})");
  json text = "plain";
  s.input = &text;
  EXPECT_EQ(rendered("<{{input}}>", s), "<plain>");
  EXPECT_EQ(rendered("no references, { single } braces", s), "no references, { single } braces");
}

TEST(PipelineTemplate, MissingDataIsAnErrorNamingTheReference) {
  json input{{"text", "hello"}};
  pipe::template_scope s{&input, &input, "p-1", "digest", nullptr};
  auto error = render_failure("{{input.title}}", s, errc::not_found);
  EXPECT_NE(error.find("{{input.title}}"), std::string::npos) << error;
  EXPECT_NE(error.find("no field \"title\""), std::string::npos) << error;
  error = render_failure("{{input.text.deeper}}", s, errc::not_found);
  EXPECT_NE(error.find("not an object"), std::string::npos) << error;
  error = render_failure("{{steps.fetch.output}}", s, errc::not_found);
  EXPECT_NE(error.find("step \"fetch\""), std::string::npos) << error;
  error = render_failure("{{input", s, errc::bad_request);
  EXPECT_NE(error.find("not closed"), std::string::npos) << error;
}

TEST(PipelineTemplate, ReferencesAreReadWithoutData) {
  auto refs = pipe::template_refs("a {{input.text}} b {{steps.fetch.output.title}} {{run.input}}");
  ASSERT_TRUE(refs) << refs.message();
  ASSERT_EQ(refs->size(), 3u);
  EXPECT_EQ((*refs)[0].root, "input");
  EXPECT_EQ((*refs)[0].path, std::vector<std::string>{"text"});
  EXPECT_EQ((*refs)[1].root, "steps");
  EXPECT_EQ((*refs)[1].step, "fetch");
  EXPECT_EQ((*refs)[2].root, "run.input");
  auto unknown = pipe::template_refs("{{inptu.text}}");
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.code(), errc::bad_request);
  EXPECT_NE(unknown.message().find("unknown reference"), std::string::npos) << unknown.message();
  EXPECT_FALSE(pipe::template_refs("{{steps.fetch}}"));
  EXPECT_FALSE(pipe::template_refs("{{input..x}}"));
}

// What decides whether a command step goes through the autonomy gate (docs/autonomy.md, "Commands the daemon
// runs"): data of the run in a template, which callers and agents wrote; the daemon's own run.id and run.pipeline
// are not.
TEST(PipelineTemplate, RunDataIsWhatCallersAndAgentsWrote) {
  for (const char* text : {"{{input}}", "x{{input.text}}y", "{{run.input.urls.0}}", "{{steps.fetch.output.title}}",
                           "--id={{run.id}} {{input.path}}", "{{input"})
    EXPECT_TRUE(pipe::carries_run_data(text)) << text;
  for (const char* text : {"rm", "-rf", "/var/cache/{{run.pipeline}}/{{run.id}}", "{ not a reference }", ""})
    EXPECT_FALSE(pipe::carries_run_data(text)) << text;
}

TEST(PipelineConfig, TheExampleIsValidAndReadWhenEnabled) {
  auto r = config_from_json(json::object());
  ASSERT_TRUE(r.config) << all(r);
  EXPECT_TRUE(r.config->pipelines.empty());  // the example is disabled by default
  r = config_from_json({{"pipelines", {{"summarize-to-kb", {{"enabled", true}}}}}});
  ASSERT_TRUE(r.config) << all(r);
  ASSERT_EQ(r.config->pipelines.size(), 1u);
  const auto& p = r.config->pipelines[0];
  EXPECT_EQ(p.name, "summarize-to-kb");
  ASSERT_EQ(p.steps.size(), 3u);
  EXPECT_EQ(p.steps[0].kind, "capture");
  EXPECT_EQ(p.steps[1].kind, "task");
  EXPECT_EQ(p.steps[1].timeout_ms, 600000);  // the kind's default
  EXPECT_EQ(p.steps[2].kind, "kb_ingest");
  EXPECT_FALSE(p.resume_on_interrupt);
  EXPECT_EQ(p.timeout_ms, 3600000);
}

TEST(PipelineConfig, EveryKindIsReadWithItsFields) {
  auto r = config_from_json(
      {{"brains", {{"echo", {{"kind", "echo"}}}}},
       {"pipelines",
        {{"all",
          {{"on_interrupt", "resume"},
           {"timeout_ms", 5000},
           {"steps",
            {{{"name", "a"}, {"kind", "command"}, {"command", {"cat"}}, {"max_output_bytes", 2048}, {"timeout_ms", 100},
              {"cwd", "/srv/p"}},
             {{"name", "b"}, {"kind", "task"}, {"prompt", "{{input.stdout}}"}, {"brain", "echo"}},
             {{"name", "c"}, {"kind", "wait"}, {"seconds", 0}},
             {{"name", "d"}, {"kind", "notify"}, {"title", "t {{steps.a.output}}"}, {"severity", "warning"}},
             {{"name", "e"}, {"kind", "kb_ingest"}, {"content", "{{steps.b.output.text}}"}, {"tags", {"x"}}},
             {{"name", "f"}, {"kind", "capture"}, {"source", "/tmp/x"}}}}}}}}});
  ASSERT_TRUE(r.config) << all(r);
  const auto& p = r.config->pipelines.at(0);
  EXPECT_TRUE(p.resume_on_interrupt);
  EXPECT_EQ(p.steps[0].command, std::vector<std::string>{"cat"});
  EXPECT_EQ(p.steps[0].input, "{{input}}");
  EXPECT_EQ(p.steps[0].max_output_bytes, 2048u);
  EXPECT_EQ(p.steps[0].timeout_ms, 100);
  EXPECT_EQ(p.steps[0].cwd, "/srv/p");
  EXPECT_EQ(p.steps[1].brain, "echo");
  EXPECT_EQ(p.steps[2].seconds, 0);
  EXPECT_EQ(p.steps[3].severity, "warning");
  EXPECT_EQ(p.steps[4].tags, std::vector<std::string>{"x"});
  EXPECT_EQ(p.steps[4].article_kind, "document");
  EXPECT_EQ(p.steps[5].source, "/tmp/x");
}

TEST(PipelineConfig, MistakesAreRefusedNamingTheirPath) {
  expect_refused(pipeline({{{"name", "a"}, {"kind", "teleport"}}}), "pipelines.p.steps[0].kind: unknown step kind \"teleport\"");
  expect_refused(pipeline({{{"name", "a"}, {"kind", "capture"}, {"source", "/x"}},
                         {{"name", "b"}, {"kind", "command"}, {"command", {"cat"}}},
                         {{"name", "c"}, {"kind", "task"}, {"prompt", "x"}, {"brain", "x"}}}),
               "pipelines.p.steps[2].brain: no brain named \"x\"");
  expect_refused(pipeline({{{"name", "a"}, {"kind", "command"}, {"command", {"cat"}}, {"prompt", "x"}}}),
               "pipelines.p.steps[0].prompt: not a field of a command step");
  expect_refused(pipeline({{{"name", "a"}, {"kind", "task"}}}), "pipelines.p.steps[0].prompt: a task step needs it");
  // A command step's folder is absolute and the configuration's: not a template, not another kind's.
  expect_refused(pipeline({{{"name", "a"}, {"kind", "command"}, {"command", {"ls"}}, {"cwd", "work/p"}}}),
                 "pipelines.p.steps[0].cwd: must be an absolute folder (got \"work/p\")");
  expect_refused(pipeline({{{"name", "a"}, {"kind", "task"}, {"prompt", "x"}, {"cwd", "/p"}}}),
                 "pipelines.p.steps[0].cwd: not a field of a task step");
  expect_refused(pipeline({{{"name", "a"}, {"kind", "task"}, {"prompt", "{{steps.b.output}}"}},
                         {{"name", "b"}, {"kind", "command"}, {"command", {"cat"}}}}),
               "pipelines.p.steps[0].prompt: {{steps.b.output}} refers to step \"b\", which does not come before");
  expect_refused(pipeline({{{"name", "a"}, {"kind", "task"}, {"prompt", "{{steps.zz.output}}"}}}),
               "pipelines.p.steps[0].prompt: {{steps.zz.output}} refers to no step named \"zz\"");
  expect_refused(pipeline({{{"name", "a"}, {"kind", "command"}, {"command", {"echo", "{{inptu}}"}}}}),
               "pipelines.p.steps[0].command[1]: {{inptu}}: unknown reference");
  expect_refused(pipeline({{{"name", "a"}, {"kind", "wait"}}}), "pipelines.p.steps[0]: a wait step needs exactly one");
  expect_refused(pipeline({{{"name", "a"}, {"kind", "wait"}, {"seconds", 1}}, {{"name", "a"}, {"kind", "wait"}, {"seconds", 1}}}),
               "pipelines.p.steps[1].name: step name \"a\" is used twice");
  // The scheduler's jobs name pipelines that exist and are enabled.
  json job{{"schedule", "@hourly"}, {"action", {{"pipeline", "nope"}}}};
  expect_refused({{"scheduler", {{"jobs", {{"j", job}}}}}}, "scheduler.jobs.j.action.pipeline: no pipeline named \"nope\"");
  job["action"]["pipeline"] = "summarize-to-kb";
  expect_refused({{"scheduler", {{"jobs", {{"j", job}}}}}}, "scheduler.jobs.j.action.pipeline: pipeline \"summarize-to-kb\" is disabled");
  auto r = config_from_json({{"scheduler", {{"jobs", {{"j", job}}}}}, {"pipelines", {{"summarize-to-kb", {{"enabled", true}}}}}});
  EXPECT_TRUE(r.config) << all(r);
}
