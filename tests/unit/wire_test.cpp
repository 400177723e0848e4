// The wire codec (messages/wire.cpp) against docs/protocol.md: every operation parses, every bad field is a
// named error, and replies have the documented shapes.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "messages/ids.hpp"
#include "messages/wire.hpp"

using nlohmann::json;
using namespace paios;

namespace {
wire::parse_result parse(const json& j) { return wire::parse_request(j.dump()); }
}  // namespace

TEST(Wire, ParsesEveryOperation) {
  auto r = parse({{"v", 1}, {"op", "task.submit"}, {"id", "r1"}, {"prompt", "hi"}, {"brain", "echo"},
                  {"timeout_ms", 5000}, {"stream", false}});
  ASSERT_TRUE(r.req) << r.error.message();
  EXPECT_EQ(r.req->what, wire::op::task_submit);
  EXPECT_EQ(r.req->id, "r1");
  EXPECT_EQ(r.req->task.prompt, "hi");
  EXPECT_EQ(r.req->task.brain, "echo");
  EXPECT_EQ(r.req->task.timeout_ms, 5000);
  EXPECT_FALSE(r.req->stream);
  for (auto op : {"ping", "status"}) EXPECT_TRUE(parse({{"v", 1}, {"op", op}}).req) << op;
  for (auto op : {"task.cancel", "task.get"}) EXPECT_TRUE(parse({{"v", 1}, {"op", op}, {"task_id", "t"}}).req) << op;
  auto list = parse({{"v", 1}, {"op", "task.list"}, {"limit", 5}, {"state", "failed"}});
  ASSERT_TRUE(list.req);
  EXPECT_EQ(list.req->limit, 5);
  EXPECT_EQ(list.req->state, "failed");
  auto reset = parse({{"v", 1}, {"op", "breaker.reset"}, {"brain", "codex"}});
  ASSERT_TRUE(reset.req) << reset.error.message();
  EXPECT_EQ(reset.req->what, wire::op::breaker_reset);
  EXPECT_EQ(reset.req->task.brain, "codex");
  EXPECT_EQ(parse({{"v", 1}, {"op", "autonomy.show"}}).req->what, wire::op::autonomy_show);
  auto chk = parse({{"v", 1}, {"op", "autonomy.check"}, {"command", "ls"}, {"cwd", "/p"}});
  ASSERT_TRUE(chk.req) << chk.error.message();
  EXPECT_EQ(json::parse(chk.req->arguments),
            (json{{"tool", "Bash"}, {"command", "ls"}, {"path", ""}, {"cwd", "/p"}, {"brain", ""}}));
  chk = parse({{"v", 1}, {"op", "autonomy.check"}, {"command", "ls"}, {"cwd", "/p"}, {"brain", "pipeline:digest"}});
  ASSERT_TRUE(chk.req) << chk.error.message();
  EXPECT_EQ(json::parse(chk.req->arguments).value("brain", ""), "pipeline:digest");
  auto dem = parse({{"v", 1}, {"op", "autonomy.demote"}, {"pattern", "npm install"}, {"project", "/p"}});
  ASSERT_TRUE(dem.req) << dem.error.message();
  EXPECT_EQ(json::parse(dem.req->arguments), (json{{"rule", ""}, {"pattern", "npm install"}, {"project", "/p"}}));
  auto ev = parse({{"v", 1}, {"op", "event.publish"}, {"category", "hook"}, {"action", "stop"}, {"data", {{"a", 1}}}});
  ASSERT_TRUE(ev.req);
  EXPECT_EQ(json::parse(ev.req->event.data_json), (json{{"a", 1}}));
}

TEST(Wire, TraceparentGivesTheTraceId) {
  auto r = parse({{"v", 1}, {"op", "task.submit"}, {"prompt", "x"},
                  {"traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"}});
  ASSERT_TRUE(r.req);
  EXPECT_EQ(r.req->task.trace_id, "4bf92f3577b34da6a3ce929d0e0e4736");
  EXPECT_EQ(r.req->client_span, 0x00f067aa0ba902b7ull);
  auto bad = parse({{"v", 1}, {"op", "task.submit"}, {"prompt", "x"},
                    {"traceparent", "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01"}});
  EXPECT_FALSE(bad.req);
  EXPECT_NE(bad.error.message().find("traceparent"), std::string::npos);
  EXPECT_EQ(new_trace_id().size(), 32u);
}

TEST(Wire, ObservabilityQueries) {
  auto q = parse({{"v", 1}, {"op", "obs.query"}, {"trace_id", "4bf92f3577b34da6a3ce929d0e0e4736"}, {"category", "brain"},
                  {"since_ms", 1000}, {"until_ms", 2000}, {"min_score", 2}, {"limit", 50}, {"before", "e-77"}});
  ASSERT_TRUE(q.req) << q.error.message();
  EXPECT_EQ(to_hex(q.req->query.trace), "4bf92f3577b34da6a3ce929d0e0e4736");
  EXPECT_EQ(q.req->query.category, "brain");
  EXPECT_EQ(q.req->query.since_us, 1'000'000);
  EXPECT_EQ(q.req->query.until_us, 2'000'000);
  EXPECT_EQ(q.req->query.min_score, 2);
  EXPECT_EQ(q.req->query.limit, 50);
  EXPECT_EQ(q.req->query.before_seq, 77);
  auto t = parse({{"v", 1}, {"op", "obs.trace"}, {"trace_id", "4bf92f3577b34da6a3ce929d0e0e4736"}});
  ASSERT_TRUE(t.req);
  auto s = parse({{"v", 1}, {"op", "obs.score"}, {"task_id", "t-1"}, {"score", 4}, {"note", "good"}});
  ASSERT_TRUE(s.req);
  EXPECT_EQ(s.req->score.target, "t-1");
  EXPECT_EQ(s.req->score.score, 4);
  EXPECT_EQ(s.req->score.note, "good");
  struct bad {
    json frame;
    std::string says;
  };
  for (auto& b : std::vector<bad>{
           {{{"v", 1}, {"op", "obs.trace"}}, "missing field 'trace_id'"},
           {{{"v", 1}, {"op", "obs.trace"}, {"trace_id", "abc"}}, "32 hex digits"},
           {{{"v", 1}, {"op", "obs.query"}, {"min_score", 0}}, "'min_score' must be between 1 and 5"},
           {{{"v", 1}, {"op", "obs.query"}, {"min_score", 4}, {"max_score", 2}}, "not be greater"},
           {{{"v", 1}, {"op", "obs.query"}, {"since_ms", 5}, {"until_ms", 5}}, "before 'until_ms'"},
           {{{"v", 1}, {"op", "obs.query"}, {"before", "t-5"}}, "an event id"},
           {{{"v", 1}, {"op", "obs.query"}, {"limit", 0}}, "'limit'"},
           {{{"v", 1}, {"op", "obs.score"}, {"task_id", "t-1"}, {"score", 6}}, "from 1 to 5 (got 6)"},
           {{{"v", 1}, {"op", "obs.score"}, {"task_id", "t-1"}, {"score", 2.5}}, "from 1 to 5 (got 2.5)"},
           {{{"v", 1}, {"op", "obs.score"}, {"task_id", "t-1"}}, "missing field 'score'"},
           {{{"v", 1}, {"op", "obs.score"}, {"score", 3}}, "missing field 'task_id'"},
       }) {
    auto r = parse(b.frame);
    EXPECT_FALSE(r.req) << b.frame.dump();
    EXPECT_EQ(r.error.code(), errc::bad_request) << b.frame.dump();
    EXPECT_NE(r.error.message().find(b.says), std::string::npos) << b.frame.dump() << " -> " << r.error.message();
  }
}

TEST(Wire, EveryBadInputIsANamedError) {
  struct bad {
    std::string frame;
    errc code;
    std::string mentions;
  };
  std::vector<bad> cases = {
      {"", errc::bad_json, ""},
      {"{", errc::bad_json, ""},
      {"[]", errc::bad_json, "object"},
      {R"({"op":"ping"})", errc::bad_version, "'v'"},
      {R"({"v":2,"op":"ping"})", errc::bad_version, "2"},
      {R"({"v":1})", errc::bad_request, "'op'"},
      {R"({"v":1,"op":7})", errc::bad_request, "'op'"},
      {R"({"v":1,"op":"x"})", errc::unknown_op, "'x'"},
      {R"({"v":1,"op":"ping","id":5})", errc::bad_request, "'id'"},
      {R"({"v":1,"op":"task.submit"})", errc::bad_request, "'prompt'"},
      {R"({"v":1,"op":"task.submit","prompt":""})", errc::bad_request, "'prompt'"},
      {R"({"v":1,"op":"task.submit","prompt":"x","stream":"yes"})", errc::bad_request, "'stream'"},
      {R"({"v":1,"op":"task.submit","prompt":"x","timeout_ms":1.5})", errc::bad_request, "'timeout_ms'"},
      {R"({"v":1,"op":"task.submit","prompt":"x","traceparent":"00-xyz"})", errc::bad_request, "traceparent"},
      {R"({"v":1,"op":"task.get","task_id":""})", errc::bad_request, "'task_id'"},
      {R"({"v":1,"op":"task.list","limit":1001})", errc::bad_request, "'limit'"},
      {R"({"v":1,"op":"task.list","state":"nap"})", errc::bad_request, "'nap'"},
      {R"({"v":1,"op":"event.publish","category":"c","action":"a","data":"s"})", errc::bad_request, "'data'"},
      {R"({"v":1,"op":"breaker.reset"})", errc::bad_request, "'brain'"},
      {R"({"v":1,"op":"breaker.reset","brain":""})", errc::bad_request, "'brain'"},
      {R"({"v":1,"op":"autonomy.check","command":"ls"})", errc::bad_request, "'cwd'"},
      {R"({"v":1,"op":"autonomy.check","command":"ls","cwd":"rel"})", errc::bad_request, "'cwd'"},
      {R"({"v":1,"op":"autonomy.check","cwd":"/p"})", errc::bad_request, "'command'"},
      {R"({"v":1,"op":"autonomy.check","tool":"Read","command":"ls","cwd":"/p"})", errc::bad_request, "'command'"},
      {R"({"v":1,"op":"autonomy.demote"})", errc::bad_request, "'rule'"},
      {R"({"v":1,"op":"autonomy.demote","rule":"a","pattern":"b"})", errc::bad_request, "'pattern'"},
      {R"({"v":1,"op":"autonomy.demote","pattern":"b","project":"rel"})", errc::bad_request, "'project'"},
  };
  for (auto& c : cases) {
    auto r = wire::parse_request(c.frame);
    EXPECT_FALSE(r.req) << c.frame;
    EXPECT_EQ(r.error.code(), c.code) << c.frame << " -> " << r.error.message();
    EXPECT_NE(r.error.message().find(c.mentions), std::string::npos) << c.frame << " -> " << r.error.message();
  }
  // The id survives an error, so that the client can match the reply.
  EXPECT_EQ(wire::parse_request(R"({"v":9,"op":"ping","id":"q"})").id, "q");
}

TEST(Wire, RepliesHaveTheDocumentedShape) {
  auto e = json::parse(wire::encode_error("r", errc::not_found, "no task t", "t"));
  EXPECT_EQ(e, (json{{"v", 1}, {"type", "error"}, {"id", "r"}, {"code", "not_found"}, {"message", "no task t"},
                     {"task_id", "t"}}));
  task_update u;
  u.what = task_update::kind::result;
  u.request_id = "r";
  u.task_id = "t";
  u.trace_id = "tr";
  u.state = task_state::succeeded;
  u.brain = "echo";
  u.text = "answer";
  auto r = json::parse(wire::encode_update(u));
  EXPECT_EQ(r.value("type", ""), "result");
  EXPECT_EQ(r.value("state", ""), "succeeded");
  EXPECT_EQ(r.value("text", ""), "answer");
  EXPECT_EQ(r.value("trace_id", ""), "tr");
  // A routed update carries its notice only when it has one.
  task_update routed;
  routed.what = task_update::kind::routed;
  routed.task_id = "t";
  routed.brain = "kb";
  routed.text = "failover: claude: program 'claude' not found on PATH";
  EXPECT_FALSE(json::parse(wire::encode_update(routed)).contains("notice"));
  routed.message = "claude cannot run, so kb takes the task:\n  claude: not installed";
  EXPECT_EQ(json::parse(wire::encode_update(routed)).value("notice", ""), routed.message);
  // Invalid UTF-8 in an answer never breaks the encoder.
  u.text = "bad \xff byte";
  EXPECT_TRUE(json::accept(wire::encode_update(u)));
}

TEST(Wire, TaskListShowsPreviewsNotWholePrompts) {
  task_record r;
  r.spec.id = "t";
  r.spec.prompt = std::string(1000, 'a');
  r.text = "answer";
  r.state = task_state::succeeded;
  auto j = json::parse(wire::encode_tasks("", {r}));
  auto t = j["tasks"][0];
  EXPECT_FALSE(t.contains("prompt"));
  EXPECT_FALSE(t.contains("text"));
  EXPECT_LE(t.value("prompt_preview", "").size(), 123u);
}

TEST(Wire, ToolsCallAndCancel) {
  auto r = parse({{"v", 1}, {"op", "tools.call"}, {"id", "c1"}, {"name", "everything_echo"}, {"arguments", {{"message", "hi"}}}});
  ASSERT_TRUE(r.req) << r.error.message();
  EXPECT_EQ(r.req->what, wire::op::tools_call);
  EXPECT_EQ(r.req->tool, "everything_echo");
  EXPECT_EQ(json::parse(r.req->arguments), (json{{"message", "hi"}}));
  auto bare = parse({{"v", 1}, {"op", "tools.call"}, {"name", "x"}});
  ASSERT_TRUE(bare.req);
  EXPECT_EQ(bare.req->arguments, "{}") << "no arguments: an empty object";
  auto c = parse({{"v", 1}, {"op", "tools.cancel"}, {"call", "c1"}});
  ASSERT_TRUE(c.req);
  EXPECT_EQ(c.req->what, wire::op::tools_cancel);
  EXPECT_EQ(c.req->call_id, "c1");
  for (auto [frame, mentions] : std::vector<std::pair<json, std::string>>{
           {{{"v", 1}, {"op", "tools.call"}}, "'name'"},
           {{{"v", 1}, {"op", "tools.call"}, {"name", ""}}, "'name'"},
           {{{"v", 1}, {"op", "tools.call"}, {"name", "x"}, {"arguments", {1, 2}}}, "'arguments'"},
           {{{"v", 1}, {"op", "tools.cancel"}}, "'call'"},
           {{{"v", 1}, {"op", "tools.cancel"}, {"call", ""}}, "'call'"}}) {
    auto bad = parse(frame);
    EXPECT_FALSE(bad.req) << frame.dump();
    EXPECT_EQ(bad.error.code(), errc::bad_request) << frame.dump();
    EXPECT_NE(bad.error.message().find(mentions), std::string::npos) << bad.error.message();
  }
}

TEST(Ids, TaskIdsAreUniqueAndSortable) {
  auto a = new_task_id();
  auto b = new_task_id();
  EXPECT_NE(a, b);
  EXPECT_EQ(a.substr(0, 2), "t-");
  EXPECT_LE(a.substr(0, 13), b.substr(0, 13));
}

TEST(Wire, JobsOperations) {
  auto list = parse({{"v", 1}, {"op", "jobs.list"}});
  ASSERT_TRUE(list.req) << list.error.message();
  EXPECT_EQ(list.req->what, wire::op::jobs_list);
  auto run = parse({{"v", 1}, {"op", "jobs.run"}, {"name", "nightly"}});
  ASSERT_TRUE(run.req) << run.error.message();
  EXPECT_EQ(run.req->what, wire::op::jobs_run);
  EXPECT_EQ(run.req->job, "nightly");
  auto history = parse({{"v", 1}, {"op", "jobs.history"}, {"name", "nightly"}, {"limit", 5}});
  ASSERT_TRUE(history.req) << history.error.message();
  EXPECT_EQ(history.req->job, "nightly");
  EXPECT_EQ(history.req->limit, 5);
  for (const auto& bad : {json{{"v", 1}, {"op", "jobs.run"}}, json{{"v", 1}, {"op", "jobs.run"}, {"name", ""}},
                          json{{"v", 1}, {"op", "jobs.history"}, {"name", 3}},
                          json{{"v", 1}, {"op", "jobs.history"}, {"name", "x"}, {"limit", 0}}}) {
    auto r = parse(bad);
    EXPECT_FALSE(r.req) << bad.dump();
    EXPECT_EQ(r.error.code(), errc::bad_request) << bad.dump();
  }
}

TEST(Wire, PipelineOperations) {
  auto list = parse({{"v", 1}, {"op", "pipeline.list"}});
  ASSERT_TRUE(list.req) << list.error.message();
  EXPECT_EQ(list.req->what, wire::op::pipeline_list);
  auto run = parse({{"v", 1}, {"op", "pipeline.run"}, {"name", "digest"}, {"input", {{"url", "https://x"}}}});
  ASSERT_TRUE(run.req) << run.error.message();
  EXPECT_EQ(run.req->what, wire::op::pipeline_run);
  EXPECT_EQ(run.req->job, "digest");
  EXPECT_EQ(json::parse(run.req->arguments), json({{"url", "https://x"}}));
  auto plain = parse({{"v", 1}, {"op", "pipeline.run"}, {"name", "digest"}, {"input", "just text"}});
  ASSERT_TRUE(plain.req) << plain.error.message();
  EXPECT_EQ(json::parse(plain.req->arguments), json("just text"));
  auto runs = parse({{"v", 1}, {"op", "pipeline.runs"}, {"limit", 3}});
  ASSERT_TRUE(runs.req) << runs.error.message();
  EXPECT_EQ(runs.req->job, "");
  EXPECT_EQ(runs.req->limit, 3);
  for (const char* op : {"pipeline.get", "pipeline.resume", "pipeline.cancel"}) {
    auto r = parse({{"v", 1}, {"op", op}, {"run_id", "p-1"}});
    ASSERT_TRUE(r.req) << r.error.message();
    EXPECT_EQ(wire::to_string(r.req->what), op);
    EXPECT_EQ(r.req->task_id, "p-1");
  }
  for (const auto& bad : {json{{"v", 1}, {"op", "pipeline.run"}}, json{{"v", 1}, {"op", "pipeline.run"}, {"name", ""}},
                          json{{"v", 1}, {"op", "pipeline.runs"}, {"name", 3}},
                          json{{"v", 1}, {"op", "pipeline.runs"}, {"limit", 0}},
                          json{{"v", 1}, {"op", "pipeline.get"}}, json{{"v", 1}, {"op", "pipeline.resume"}, {"run_id", ""}},
                          json{{"v", 1}, {"op", "pipeline.cancel"}}}) {
    auto r = parse(bad);
    EXPECT_FALSE(r.req) << bad.dump();
    EXPECT_EQ(r.error.code(), errc::bad_request) << bad.dump();
  }
}
