// Observability through a real daemon: one trace id follows a request from `ai` through the bridge, the
// router, the dispatcher, a real agent subprocess and the state store, and comes back as a span tree;
// an outside client's traceparent is kept; queries filter and page; scores are checked, stored and
// queryable; events survive an orderly restart.
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <regex>
#include <sstream>

#include "tests/support/test_support.hpp"

using nlohmann::json;
using paios::test::daemon_process;
using paios::test::fake_agent;
using paios::test::wire_peer;

namespace {

// The built-in router, with its code chains on a fake Claude Code (a real subprocess printing stream-json).
json traced_config(const std::filesystem::path& env_file) {
  return {{"brains",
           {{"claude",
             {{"command", {fake_agent("fake-claude").string()}}, {"env", {{"FAKE_ENV_FILE", env_file.string()}}}}}}},
          {"router", {{"chains", {{"code_write", {"claude"}}, {"chat", {"echo"}}}}}},
          {"tasks", {{"default_brain", "echo"}, {"failover", json::array()}}}};
}

std::vector<json> json_lines(const std::string& text) {
  std::vector<json> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);)
    if (!line.empty()) out.push_back(json::parse(line));
  return out;
}

const json* find_span(const json& spans, const std::string& category, const std::string& action) {
  for (const auto& s : spans)
    if (s.value("category", "") == category && s.value("action", "") == action) return &s;
  return nullptr;
}

std::string read_file(const std::filesystem::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

TEST(Trace, OneTraceFollowsARequestThroughEveryComponent) {
  paios::test::temp_dir scratch;
  auto env_file = scratch.path() / "agent.env";
  daemon_process d{traced_config(env_file)};
  d.start();
  auto r = d.ai({"--json", "write a python function that parses ISO dates"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  auto lines = json_lines(r.out);
  ASSERT_GE(lines.size(), 3u);
  const auto trace = lines.front().value("trace_id", "");
  ASSERT_EQ(trace.size(), 32u);
  for (const auto& l : lines) EXPECT_EQ(l.value("trace_id", ""), trace) << "every ai --json line carries it: " << l.dump();
  EXPECT_EQ(lines.back().value("brain", ""), "claude");

  auto t = d.ai({"--json", "trace", trace});
  ASSERT_EQ(t.exit_code, 0) << t.err;
  auto spans = json::parse(t.out)["spans"];
  for (const auto& s : spans) {
    EXPECT_EQ(s.value("trace_id", ""), trace);
    EXPECT_EQ(s.value("span_id", "").size(), 16u);
    for (auto key : {"event_id", "parent_id", "time_us", "duration_us", "category", "action", "status", "data"})
      EXPECT_TRUE(s.contains(key)) << key << " missing from " << s.dump();
  }
  const json* bridge = find_span(spans, "bridge", "task.submit");
  const json* task = find_span(spans, "task", "run");
  const json* route = find_span(spans, "route", "classify");
  const json* brain = find_span(spans, "brain", "call");
  ASSERT_TRUE(bridge && task && route && brain) << spans.dump(2);
  // The tree: bridge -> task -> {route, brain, persist...}.
  EXPECT_TRUE(bridge->at("parent_id").is_null());
  EXPECT_EQ(task->value("parent_id", ""), bridge->value("span_id", ""));
  EXPECT_EQ(route->value("parent_id", ""), task->value("span_id", ""));
  EXPECT_EQ(brain->value("parent_id", ""), task->value("span_id", ""));
  std::vector<std::string> persisted;  // each state the store wrote, in order
  for (const auto& s : spans)
    if (s.value("category", "") == "task" && s.value("action", "") == "persist") {
      persisted.push_back(s["data"].value("state", ""));
      EXPECT_EQ(s.value("parent_id", ""), task->value("span_id", ""));
      EXPECT_EQ(s.value("status", ""), "ok");
    }
  EXPECT_EQ(persisted, (std::vector<std::string>{"queued", "running", "succeeded"}));
  for (const json* s : {bridge, task, route, brain}) EXPECT_EQ(s->value("status", ""), "ok") << s->dump();
  EXPECT_EQ(route->at("data").value("category", ""), "code_write");
  EXPECT_EQ(brain->at("data").value("brain", ""), "claude");
  EXPECT_EQ(brain->at("data").value("exit_code", -1), 0);
  // Timings nest: the brain's call inside the task, the task inside the request.
  auto start = [](const json* s) { return s->value("time_us", std::int64_t{0}); };
  auto end = [&](const json* s) { return start(s) + s->value("duration_us", std::int64_t{0}); };
  EXPECT_GT(brain->value("duration_us", 0), 0);
  EXPECT_LE(start(bridge), start(task));
  EXPECT_LE(start(task), start(brain));
  EXPECT_LE(end(brain), end(task));
  EXPECT_LE(end(task), end(bridge));
  // The agent itself was given the trace (W3C's environment carrier): it can continue it.
  auto env = read_file(env_file);
  EXPECT_NE(env.find("TRACEPARENT=00-" + trace + "-" + brain->value("span_id", "") + "-01"), std::string::npos) << env;
  // The tree for people.
  auto tree = d.ai({"trace", trace}).out;
  EXPECT_NE(tree.find("bridge task.submit  ok"), std::string::npos) << tree;
  EXPECT_NE(tree.find("└─ task run  ok"), std::string::npos) << tree;
  EXPECT_NE(tree.find("brain call  ok"), std::string::npos) << tree;
}

TEST(Trace, AnOutsideClientsTraceparentIsKept) {
  daemon_process d{{{"tasks", {{"default_brain", "echo"}, {"failover", json::array()}}}}};
  d.start();
  wire_peer peer{d.endpoint()};
  const std::string trace = "4bf92f3577b34da6a3ce929d0e0e4736";
  auto replies = peer.exchange({{"v", 1}, {"op", "task.submit"}, {"prompt", "hello"}, {"brain", "echo"},
                                {"traceparent", "00-" + trace + "-00f067aa0ba902b7-01"}});
  ASSERT_FALSE(replies.empty());
  for (const auto& r : replies) EXPECT_EQ(r.value("trace_id", ""), trace) << r.dump();
  auto spans = json::parse(d.ai({"--json", "trace", trace}).out)["spans"];
  const json* bridge = find_span(spans, "bridge", "task.submit");
  ASSERT_TRUE(bridge) << spans.dump();
  EXPECT_EQ(bridge->value("parent_id", ""), "00f067aa0ba902b7") << "the client's span is the parent";
  // `ai obs` shows the end of the id, which tells traces apart (the start is a timestamp).
  auto listed = d.ai({"obs", "--trace", trace});
  EXPECT_NE(listed.out.find(" 0e0e4736 "), std::string::npos) << listed.out;
  EXPECT_EQ(listed.out.find("4bf92f35"), std::string::npos) << listed.out;
  // The task's id names the same trace.
  const auto task_id = replies.front().value("task_id", "");
  ASSERT_FALSE(task_id.empty()) << replies.front().dump();
  auto by_task = d.ai({"--json", "trace", task_id});
  EXPECT_EQ(by_task.exit_code, 0) << by_task.err;
  EXPECT_EQ(json::parse(by_task.out)["spans"], spans);
  auto unknown_task = d.ai({"trace", "t-0000000000-00000000"});
  EXPECT_EQ(unknown_task.exit_code, 1);
  EXPECT_NE(unknown_task.err.find("not_found"), std::string::npos) << unknown_task.err;
  // A trace nobody has seen is an error that says so; a malformed id is a usage error on the wire.
  auto none = d.ai({"trace", "0123456789abcdef0123456789abcdef"});
  EXPECT_EQ(none.exit_code, 1);
  EXPECT_NE(none.err.find("no events for trace"), std::string::npos) << none.err;
  auto bad = d.ai({"trace", "xyz"});
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_NE(bad.err.find("32 hex digits"), std::string::npos) << bad.err;
}

TEST(Trace, QueriesFilterAndPage) {
  daemon_process d{{{"tasks", {{"default_brain", "echo"}, {"failover", json::array()}}}}};
  d.start();
  for (int i = 0; i < 12; ++i) ASSERT_EQ(d.ai({"--brain", "echo", "task " + std::to_string(i)}).exit_code, 0);
  auto q = json::parse(d.ai({"--json", "obs", "--category", "brain", "--limit", "100"}).out);
  ASSERT_EQ(q["events"].size(), 12u) << q.dump();
  for (const auto& e : q["events"]) {
    EXPECT_EQ(e.value("category", ""), "brain");
    EXPECT_EQ(e.value("action", ""), "call");
  }
  // Paging: five at a time, newest first, each page older than the last.
  std::vector<std::string> seen;
  std::string before;
  for (int page = 0; page < 10; ++page) {
    std::vector<std::string> args{"--json", "obs", "--category", "task", "--action", "run", "--limit", "5"};
    if (!before.empty()) args.insert(args.end(), {"--before", before});
    auto p = json::parse(d.ai(args).out);
    for (const auto& e : p["events"]) seen.push_back(e.value("event_id", ""));
    if (!p["next"].is_string()) break;
    before = p["next"].get<std::string>();
  }
  EXPECT_EQ(seen.size(), 12u);
  // Time: nothing in the future, everything in the last hour.
  EXPECT_TRUE(json::parse(d.ai({"--json", "obs", "--since", "2099-01-01"}).out)["events"].empty());
  EXPECT_FALSE(json::parse(d.ai({"--json", "obs", "--since", "1h"}).out)["events"].empty());
  auto bad = d.ai({"obs", "--since", "yesterday-ish"});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("is no time"), std::string::npos) << bad.err;
  // The table for people.
  auto table = d.ai({"obs", "--category", "brain", "--limit", "3"}).out;
  EXPECT_TRUE(std::regex_search(table, std::regex{" brain +call +ok +"})) << table;  // columns as wide as their values
  EXPECT_NE(table.find("--before e-"), std::string::npos) << table;
}

TEST(Trace, ScoresAreCheckedStoredAndQueryable) {
  daemon_process d{{{"tasks", {{"default_brain", "echo"}, {"failover", json::array()}}}}};
  d.start();
  auto good = json_lines(d.ai({"--json", "--brain", "echo", "a good answer"}).out).back();
  auto other = json_lines(d.ai({"--json", "--brain", "echo", "another"}).out).back();
  auto r = d.ai({"score", good.value("task_id", ""), "5", "--note", "exactly right"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("scored 5"), std::string::npos);
  auto unknown = d.ai({"score", "t-0000000000-nope", "3"});
  EXPECT_EQ(unknown.exit_code, 1);
  EXPECT_NE(unknown.err.find("no task or routing decision with id t-0000000000-nope"), std::string::npos) << unknown.err;
  auto out_of_range = d.ai({"score", good.value("task_id", ""), "9"});
  EXPECT_EQ(out_of_range.exit_code, 2) << out_of_range.err;
  wire_peer peer{d.endpoint()};
  auto wire = peer.exchange({{"v", 1}, {"op", "obs.score"}, {"task_id", good.value("task_id", "")}, {"score", 0}});
  ASSERT_FALSE(wire.empty());
  EXPECT_EQ(wire.back().value("code", ""), "bad_request");
  EXPECT_NE(wire.back().value("message", "").find("from 1 to 5"), std::string::npos) << wire.back().dump();
  // Queryable: the events of the scored task's trace, and none of the other's.
  auto q = json::parse(d.ai({"--json", "obs", "--min-score", "4", "--limit", "1000"}).out);
  ASSERT_FALSE(q["events"].empty());
  for (const auto& e : q["events"]) EXPECT_EQ(e.value("trace_id", ""), good.value("trace_id", ""));
  EXPECT_TRUE(json::parse(d.ai({"--json", "obs", "--max-score", "3"}).out)["events"].empty());
  (void)other;
}

TEST(Trace, EventsSurviveARestartAndStatusCountsThem) {
  daemon_process d{{{"tasks", {{"default_brain", "echo"}, {"failover", json::array()}}}}};
  d.start();
  auto line = json_lines(d.ai({"--json", "--brain", "echo", "kept"}).out).back();
  auto status = json::parse(d.ai({"--json", "status"}).out);
  ASSERT_TRUE(status.contains("events")) << status.dump();
  EXPECT_EQ(status["events"].value("dropped", -1), 0);
  EXPECT_GE(status["events"].value("capacity", 0), 1000);
  ASSERT_EQ(d.stop(SIGTERM), 0);
  d.start();
  auto spans = json::parse(d.ai({"--json", "trace", line.value("trace_id", "")}).out)["spans"];
  EXPECT_TRUE(find_span(spans, "task", "run")) << spans.dump();
  // The restart left its own events: the configuration loaded, at each start.
  auto config = json::parse(d.ai({"--json", "obs", "--category", "config"}).out)["events"];
  EXPECT_EQ(config.size(), 2u) << config.dump();
}
