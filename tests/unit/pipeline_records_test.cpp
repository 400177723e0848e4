// The pipelines' records in state.sqlite (core/state/pipeline_records): runs and steps are upserted by id,
// read back newest first and filtered, a step's output round-trips as JSON, a cut output says so, and the JSON the
// state store's messages carry reads back into the same rows.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "core/state/pipeline_records.hpp"
#include "tests/support/task_fixtures.hpp"

using nlohmann::json;
using namespace paios;

namespace {

pipeline_run_row run(const std::string& id, const std::string& pipeline, std::int64_t started, const std::string& state) {
  pipeline_run_row r;
  r.id = id;
  r.pipeline = pipeline;
  r.state = state;
  r.trigger = "manual";
  r.input = R"({"source":"/x"})";
  r.started_ms = started;
  r.trace_id = std::string(32, 'a');
  return r;
}

}  // namespace

TEST(PipelineRecords, RunsAndStepsRoundTrip) {
  test::temp_dir dir;
  auto db = test::open_state_db(dir);
  ASSERT_TRUE(db);
  ASSERT_EQ(db->begin().message(), "");
  EXPECT_EQ(db->save_pipeline_run(run("p-1", "digest", 100, "running")).message(), "");
  EXPECT_EQ(db->save_pipeline_run(run("p-2", "other", 200, "running")).message(), "");
  pipeline_step_row s;
  s.run_id = "p-1";
  s.index = 0;
  s.name = "fetch";
  s.kind = "capture";
  s.state = "running";
  s.started_ms = 101;
  EXPECT_EQ(db->save_pipeline_step(s).message(), "");
  s.state = "ok";
  s.ended_ms = 150;
  s.output = R"({"text":"hello"})";
  s.output_bytes = static_cast<std::int64_t>(s.output.size());
  EXPECT_EQ(db->save_pipeline_step(s).message(), "");  // the same step again: updated, not added
  auto r1 = run("p-1", "digest", 100, "failed");
  r1.step = 1;
  r1.step_name = "summary";
  r1.error = "step 1 failed";
  r1.ended_ms = 300;
  r1.input = "ignored on update";
  EXPECT_EQ(db->save_pipeline_run(r1).message(), "");
  ASSERT_EQ(db->commit().message(), "");

  auto listed = db->pipeline_runs("", "", 10);
  ASSERT_EQ(listed.message(), "");
  auto& all = *listed;
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].id, "p-2");  // newest first
  auto failed = db->pipeline_runs("digest", "failed", 10).value();
  ASSERT_EQ(failed.size(), 1u);
  EXPECT_EQ(failed[0].step, 1);
  EXPECT_EQ(failed[0].error, "step 1 failed");
  EXPECT_EQ(failed[0].input, R"({"source":"/x"})");  // the input is kept from the first write
  EXPECT_TRUE(db->pipeline_runs("", "running", 10)->size() == 1);

  auto got = json::parse(pipeline_read(*db, "get", {{"run_id", "p-1"}}));
  ASSERT_TRUE(got.contains("run")) << got.dump();
  EXPECT_EQ(got["run"]["input"], json({{"source", "/x"}}));
  ASSERT_EQ(got["run"]["steps"].size(), 1u);
  EXPECT_EQ(got["run"]["steps"][0]["output"], json({{"text", "hello"}}));
  EXPECT_EQ(got["run"]["steps"][0]["truncated"], false);
  EXPECT_EQ(json::parse(pipeline_read(*db, "get", {{"run_id", "p-none"}})), json::object());
  auto list = json::parse(pipeline_read(*db, "list", {{"pipeline", "digest"}}));
  ASSERT_EQ(list["runs"].size(), 1u) << list.dump();
  EXPECT_FALSE(list["runs"][0]["steps"][0].contains("output"));  // listings leave outputs out

  // The message JSON reads back into the same rows.
  auto back = pipeline_run_from_json(got["run"]);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->id, "p-1");
  EXPECT_EQ(back->step, 1);
  EXPECT_EQ(back->input, R"({"source":"/x"})");
  EXPECT_FALSE(pipeline_run_from_json(json{{"pipeline", "x"}}));
  json step_msg{{"run_id", "p-1"}, {"index", 1}, {"name", "summary"}, {"kind", "task"}, {"state", "ok"},
                {"output", "\"cut...\""}, {"output_bytes", 5000000}};
  auto st = pipeline_step_from_json(step_msg);
  ASSERT_TRUE(st);
  ASSERT_EQ(db->begin().message(), "");
  EXPECT_EQ(db->save_pipeline_step(*st).message(), "");
  ASSERT_EQ(db->commit().message(), "");
  got = json::parse(pipeline_read(*db, "get", {{"run_id", "p-1"}}));
  EXPECT_EQ(got["run"]["steps"][1]["truncated"], true) << got.dump();
  EXPECT_EQ(got["run"]["steps"][1]["output"], "cut...");
}
