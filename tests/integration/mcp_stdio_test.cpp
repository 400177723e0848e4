// `ai mcp` as an MCP client runs it: a child process with pipes, against a real paiosd with fake agent brains.
// Every tool is called and its structured result checked against the outputSchema that tools/list gave;
// task_submit reports progress, does not hold up ping, and is cancelled (the agent stopped) by
// notifications/cancelled; the end of stdin finishes what runs; each JSON-RPC error code; and paiosd not
// running: initialize and tools/list answer, calls say how to start it, and calls work once it runs. The tools of
// the scheduler, the pipelines and the watchers run a job, and start, cancel and resume a pipeline run.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <future>
#include <set>

#include "tests/support/json_schema.hpp"
#include "tests/support/mcp_child.hpp"
#include "tests/support/test_support.hpp"

using nlohmann::json;
using paios::test::schema_error;
using paios::test::daemon_process;
using paios::test::mcp_child;
using std::chrono::milliseconds;

namespace {

json brain(const std::string& agent, json env) {
  return {{"kind", "process"}, {"command", {paios::test::fake_agent(agent).string()}}, {"format", "text"},
          {"env", std::move(env)}, {"kill_grace_ms", 500}};
}

json config() {
  return {{"brains",
           {{"slow", brain("fake-text", {{"FAKE_MODE", "slow"}, {"FAKE_DELAY_MS", "300"}})},
            {"hang", brain("fake-text", {{"FAKE_MODE", "hang"}})}}},
          {"tasks", {{"default_brain", "echo"}, {"failover", json::array()}}},
          // A pending approval the test fails to decide ends within a minute.
          {"autonomy", {{"approval_timeout_ms", 60000}}}};
}

std::vector<std::string> ai_mcp(const daemon_process& d, std::vector<std::string> extra = {}) {
  std::vector<std::string> argv{paios::test::ai_path().string(), "--home", d.home().string(), "mcp"};
  argv.insert(argv.end(), extra.begin(), extra.end());
  return argv;
}

json initialize(mcp_child& m, const std::string& version = "2025-11-25") {
  auto r = m.request(0, "initialize", {{"protocolVersion", version}, {"capabilities", json::object()},
                                       {"clientInfo", {{"name", "mcp_stdio_test"}, {"version", "1"}}}});
  m.notify("notifications/initialized");
  return r;
}

std::string text_of(const json& response) { return response["result"]["content"][0].value("text", ""); }

// The tools of core/mcp/tools.json. Those of the scheduler, the pipelines and the watchers need a daemon
// configured with a job, a pipeline and a folder: McpStdio.JobsPipelinesAndFoldersThroughARealDaemon calls them,
// McpStdio.EveryToolThroughARealDaemon every other.
constexpr std::size_t kToolCount = 28;
const std::set<std::string> kAutomationTools = {
    "jobs_list",     "jobs_run",        "jobs_history",    "pipeline_list",   "pipeline_run",
    "pipeline_runs", "pipeline_status", "pipeline_cancel", "pipeline_resume", "watch_list"};

// The tools of tools/list, all pages, by name.
std::map<std::string, json> list_tools(mcp_child& m) {
  std::map<std::string, json> out;
  json cursor;
  for (int page = 0; page < 20; ++page) {
    json params = json::object();
    if (!cursor.is_null()) params["cursor"] = cursor;
    auto r = m.request("list-" + std::to_string(page), "tools/list", params);
    for (auto& t : r["result"]["tools"]) out[t["name"]] = t;
    cursor = r["result"].value("nextCursor", json());
    if (cursor.is_null()) break;
  }
  return out;
}

// Calls tools that must succeed: each result is no tool error, its structuredContent passes the tool's
// outputSchema (as tools/list gave it), and its text content is the same JSON. Remembers the tools called.
struct checked_calls {
  mcp_child& m;
  std::map<std::string, json> tools;
  std::set<std::string> called;

  json ok(const std::string& name, json args) {
    auto r = m.call_tool(name, std::move(args));
    called.insert(name);
    EXPECT_EQ(r["result"].value("isError", true), false) << name << ": " << r.dump() << m.err();
    const auto& sc = r["result"]["structuredContent"];
    EXPECT_TRUE(tools.count(name)) << name << " is not in tools/list";
    EXPECT_EQ(schema_error(tools[name]["outputSchema"], sc), "") << name << ": " << sc.dump();
    EXPECT_EQ(json::parse(text_of(r), nullptr, false), sc) << name;
    return sc;
  }

  // Calls the tool until `done` holds for its result, or 30 s have passed; returns the last result.
  template <class Pred>
  json until(const std::string& name, const json& args, Pred done) {
    return paios::test::poll_until([&] { return ok(name, args); }, done, std::chrono::seconds(30));
  }
};

}  // namespace

TEST(McpStdio, EveryToolThroughARealDaemon) {
  daemon_process d{config()};
  d.start();
  mcp_child m{ai_mcp(d, {"--page-size", "4"})};
  auto init = initialize(m);
  ASSERT_EQ(init["result"]["protocolVersion"], "2025-11-25") << init.dump() << m.err();
  checked_calls calls{m, list_tools(m), {}};
  const auto& tools = calls.tools;
  ASSERT_EQ(tools.size(), kToolCount) << m.err();
  auto ok = [&](const std::string& name, json args) { return calls.ok(name, std::move(args)); };

  auto added = ok("kb_add", {{"content", "Rotating the Postgres replica: promote the standby with pg_ctl promote."},
                             {"title", "Replica rotation"}, {"source", "/notes/replica.md"}, {"tags", {"postgres"}}});
  const auto article = added.value("article_id", "");
  EXPECT_TRUE(added.value("added", false));
  auto found = ok("kb_search", {{"query", "promote the standby replica"}, {"k", 3}});
  ASSERT_FALSE(found["results"].empty());
  EXPECT_EQ(found["results"][0].value("article_id", ""), article);
  auto got = ok("kb_get", {{"article_id", article}});
  EXPECT_NE(got["article"].value("content", "").find("pg_ctl promote"), std::string::npos);
  ok("kb_add", {{"content", "CAF 0.17 response handlers passed to then() must return void."}, {"kind", "learning"},
                {"brain", "claude"}, {"session", "s-1"}, {"topic", "caf"}});
  auto learned = ok("learnings_recall", {{"topic", "CAF response handlers"}, {"k", 2}});
  ASSERT_FALSE(learned["results"].empty());
  EXPECT_EQ(learned["results"][0].value("brain", ""), "claude");
  auto route = ok("router_classify", {{"prompt", "review this function"}});
  EXPECT_FALSE(route.value("reason", "").empty());
  auto task = ok("task_submit", {{"prompt", "hello mesh"}, {"brain", "echo"}});
  EXPECT_EQ(task.value("text", ""), "hello mesh");
  const auto task_id = task.value("task_id", "");
  auto status = ok("task_status", {{"task_id", task_id}});
  EXPECT_EQ(status["task"].value("state", ""), "succeeded");
  auto scored = ok("obs_score", {{"task_id", task_id}, {"score", 4}, {"note", "fine"}});
  EXPECT_EQ(scored.value("score", 0), 4);
  auto events = ok("obs_query", {{"trace_id", task.value("trace_id", "")}, {"limit", 50}});
  EXPECT_FALSE(events["events"].empty());
  auto health = ok("health", json::object());
  EXPECT_EQ(health["daemon"].value("pid", 0), d.pid());

  // A tool call of a daemon task's agent (its PreToolUse hook) waits for approval: listed, then approved here.
  EXPECT_TRUE(ok("approvals_list", json::object())["approvals"].empty());
  auto waiting = std::async(std::launch::async, [&] {
    json call{{"session_id", "s-mcp"},         {"cwd", d.home().string()}, {"hook_event_name", "PreToolUse"},
              {"tool_name", "Bash"},          {"tool_input", {{"command", "npm install left-pad"}}}};
    return paios::test::run_program({paios::test::ai_path().string(), "--home", d.home().string(), "hook"},
                                    {{"PAIOS_TASK_ID", "t-mcp"}}, call.dump());
  });
  auto listed = calls.until("approvals_list", json::object(), [](const json& r) { return r["approvals"].size() == 1; });
  EXPECT_EQ(listed["approvals"].size(), 1u) << listed.dump();
  if (listed["approvals"].size() == 1) {
    EXPECT_EQ(listed["approvals"][0].value("task", ""), "t-mcp");
    auto decided = ok("approval_decide", {{"approval_id", listed["approvals"][0]["id"]}, {"decision", "approve"}});
    EXPECT_EQ(decided.value("scope", ""), "once");
  }
  auto hook_out = json::parse(waiting.get().out, nullptr, false);
  ASSERT_TRUE(hook_out.is_object()) << "the hook printed no decision";
  EXPECT_EQ(hook_out["hookSpecificOutput"].value("permissionDecision", ""), "allow") << hook_out.dump();
  // The policy, read by an agent: its rules, and the decision a call would get (a pipeline's brain too).
  auto policy = ok("autonomy_show", json::object());
  EXPECT_TRUE(policy.value("learned_shown", false));
  EXPECT_GT(policy["rules"].size(), 30u);
  auto never = ok("autonomy_check", {{"command", "sudo rm -rf /"}, {"cwd", d.home().string()}});
  EXPECT_EQ(never.value("level", ""), "never") << never.dump();
  EXPECT_EQ(never.value("rule", ""), "rm-recursive-outside-project") << never.dump();
  auto as_pipeline = ok("autonomy_check", {{"command", "ls"}, {"cwd", d.home().string()}, {"brain", "pipeline:digest"}});
  EXPECT_EQ(as_pipeline.value("level", ""), "safe") << as_pipeline.dump();
  auto relative = m.call_tool("autonomy_check", {{"command", "ls"}, {"cwd", "home"}});
  EXPECT_EQ(relative["result"]["isError"], true) << relative.dump();
  EXPECT_NE(text_of(relative).find("cwd"), std::string::npos) << relative.dump();
  std::string with_breaker;  // a brain whose breaker is enabled (the defaults enable every one)
  for (const auto& b : health["brains"])
    if (b.contains("breaker") && with_breaker.empty()) with_breaker = b.value("name", "");
  ASSERT_FALSE(with_breaker.empty()) << health["brains"].dump();
  auto reset = ok("breaker_reset", {{"brain", with_breaker}});
  EXPECT_EQ(reset.value("brain", ""), with_breaker);
  EXPECT_EQ(reset["breaker"].value("state", ""), "closed");
  auto nobody = m.call_tool("breaker_reset", {{"brain", "nobody"}});
  EXPECT_EQ(nobody["result"]["isError"], true) << nobody.dump();
  EXPECT_NE(text_of(nobody).find("unknown brain 'nobody'; known brains: "), std::string::npos) << nobody.dump();
  // The alerts (none on a fresh home); acknowledging an unknown one is not_found, naming it.
  auto alerts = ok("alerts_list", {{"all", true}});
  EXPECT_TRUE(alerts["alerts"].is_array()) << alerts.dump();
  auto no_alert = m.call_tool("alert_ack", {{"alert_id", 424242}});
  EXPECT_EQ(no_alert["result"]["isError"], true) << no_alert.dump();
  EXPECT_NE(text_of(no_alert).find("not_found: no alert 424242"), std::string::npos) << no_alert.dump();
  calls.called.insert("alert_ack");  // its refusal here; tests/integration/alerts_test.cpp acknowledges real alerts
  // Today's report so far (tests/integration/report_test.cpp checks its numbers); a date that is none is refused.
  auto report = ok("daily_report", json::object());
  EXPECT_FALSE(report.value("complete", true)) << report.dump();
  EXPECT_TRUE(report["report"]["tasks"].is_object()) << report.dump();
  auto no_day = m.call_tool("daily_report", {{"date", "2026-02-30"}});
  EXPECT_EQ(no_day["result"]["isError"], true) << no_day.dump();
  EXPECT_NE(text_of(no_day).find("bad_request: date '2026-02-30'"), std::string::npos) << no_day.dump();
  for (const auto& [name, tool] : tools)
    EXPECT_TRUE(calls.called.count(name) || kAutomationTools.count(name)) << name << " is called by no test";

  // A bus error is a tool error that carries its code.
  auto missing = m.call_tool("kb_get", {{"article_id", "kb-nope"}});
  EXPECT_EQ(missing["result"]["isError"], true) << missing.dump();
  EXPECT_EQ(text_of(missing).rfind("not_found: ", 0), 0u) << text_of(missing);
  auto unknown = m.call_tool("task_submit", {{"prompt", "x"}, {"brain", "nope"}});
  EXPECT_EQ(unknown["result"]["isError"], true);
  EXPECT_EQ(text_of(unknown).rfind("unknown_brain: ", 0), 0u) << text_of(unknown);

  m.close_stdin();
  EXPECT_EQ(m.wait(milliseconds(5000)), 0) << m.err();
}

TEST(McpStdio, TaskSubmitReportsProgressAndPingIsAnsweredMeanwhile) {
  daemon_process d{config()};
  d.start();
  mcp_child m{ai_mcp(d)};
  initialize(m);
  const std::string prompt = "stream these words slowly to the client please";
  m.send({{"jsonrpc", "2.0"}, {"id", 10}, {"method", "tools/call"},
          {"params", {{"name", "task_submit"}, {"arguments", {{"prompt", prompt}, {"brain", "slow"}}},
                      {"_meta", {{"progressToken", "tok-10"}}}}}});
  std::vector<json> seen;
  bool pinged = false;
  json result;
  for (int i = 0; i < 100 && result.is_null(); ++i) {
    auto msg = m.read(milliseconds(20000));
    ASSERT_TRUE(msg) << "no answer; stderr: " << m.err();
    seen.push_back(*msg);
    if (msg->value("method", "") == "notifications/progress" && !pinged) {
      m.send({{"jsonrpc", "2.0"}, {"id", 11}, {"method", "ping"}});  // while the task runs
      pinged = true;
    }
    if (msg->value("id", json()) == 10) result = *msg;
  }
  ASSERT_FALSE(result.is_null());
  EXPECT_EQ(result["result"]["isError"], false) << result.dump();
  EXPECT_EQ(result["result"]["structuredContent"]["text"], prompt);
  std::string streamed;
  double last = 0;
  int chunks = 0;
  bool pong_before_result = false;
  for (auto& s : seen) {
    if (s.value("id", json()) == 11) pong_before_result = s["result"] == json::object();
    if (s.value("method", "") != "notifications/progress") continue;
    EXPECT_EQ(s["params"]["progressToken"], "tok-10");
    EXPECT_GT(s["params"]["progress"].get<double>(), last);
    last = s["params"]["progress"].get<double>();
    auto message = s["params"].value("message", "");
    if (message.rfind("accepted as task ", 0) == 0 || message.rfind("routed to ", 0) == 0) continue;
    streamed += message;
    ++chunks;
  }
  EXPECT_TRUE(pong_before_result) << "ping is answered while a task runs";
  EXPECT_GE(chunks, 3) << "the slow agent writes in five parts";
  EXPECT_EQ(streamed, prompt) << "the chunks, in order, are the answer";
}

TEST(McpStdio, CancellingTaskSubmitStopsTheAgent) {
  daemon_process d{config()};
  d.start();
  mcp_child m{ai_mcp(d)};
  initialize(m);
  m.send({{"jsonrpc", "2.0"}, {"id", "long"}, {"method", "tools/call"},
          {"params", {{"name", "task_submit"}, {"arguments", {{"prompt", "never ends"}, {"brain", "hang"}}},
                      {"_meta", {{"progressToken", 7}}}}}});
  std::string task_id;
  for (int i = 0; i < 10 && task_id.empty(); ++i) {
    auto msg = m.read(milliseconds(10000));
    ASSERT_TRUE(msg) << m.err();
    auto message = (*msg)["params"].value("message", "");
    if (message.rfind("accepted as task ", 0) == 0) task_id = message.substr(17);
  }
  ASSERT_FALSE(task_id.empty());
  // Wait until the agent runs, then cancel the call.
  ASSERT_TRUE(d.agent_runs("fake-text"));
  m.notify("notifications/cancelled", {{"requestId", "long"}, {"reason", "the user changed their mind"}});
  // The cancelled call gets no response; the session goes on.
  std::vector<json> others;
  auto pong = m.request("after", "ping", json::object(), &others);
  EXPECT_EQ(pong["result"], json::object());
  auto state = paios::test::poll_until(
      [&] { return m.call_tool("task_status", {{"task_id", task_id}}, &others)["result"]["structuredContent"]["task"]["state"]; },
      [](const json& s) { return s == "cancelled"; }, std::chrono::seconds(10));
  EXPECT_EQ(state, "cancelled");
  EXPECT_TRUE(d.agents_gone()) << "the agent's process was stopped";
  m.close_stdin();
  EXPECT_EQ(m.wait(milliseconds(5000)), 0);
  while (auto msg = m.read(milliseconds(200))) others.push_back(*msg);
  for (auto& o : others) EXPECT_NE(o.value("id", json()), "long") << "a cancelled request is not answered: " << o.dump();
}

TEST(McpStdio, SigtermCancelsWhatRunsAndExits) {
  daemon_process d{config()};
  d.start();
  mcp_child m{ai_mcp(d)};
  initialize(m);
  m.send({{"jsonrpc", "2.0"}, {"id", 1}, {"method", "tools/call"},
          {"params", {{"name", "task_submit"}, {"arguments", {{"prompt", "never ends"}, {"brain", "hang"}}},
                      {"_meta", {{"progressToken", 1}}}}}});
  ASSERT_TRUE(m.read(milliseconds(10000))) << "accepted";
  ASSERT_TRUE(d.agent_runs("fake-text"));
  kill(m.pid(), SIGTERM);
  EXPECT_EQ(m.wait(milliseconds(5000)), 0) << m.err();
  EXPECT_TRUE(d.agents_gone()) << "the task was cancelled on the bus before the server left";
}

TEST(McpStdio, TheEndOfInputFinishesTheCallsInFlight) {
  daemon_process d{config()};
  d.start();
  mcp_child m{ai_mcp(d)};
  initialize(m);
  m.send({{"jsonrpc", "2.0"}, {"id", 1}, {"method", "tools/call"},
          {"params", {{"name", "task_submit"}, {"arguments", {{"prompt", "finish me"}, {"brain", "slow"}}}}}});
  m.close_stdin();
  auto r = m.response_to(1);
  ASSERT_FALSE(r.is_null()) << m.err();
  EXPECT_EQ(r["result"]["structuredContent"]["text"], "finish me");
  EXPECT_EQ(m.wait(milliseconds(5000)), 0);
}

TEST(McpStdio, EachErrorCodeAndNothingButProtocolOnStdout) {
  daemon_process d{config()};
  d.start();
  mcp_child m{ai_mcp(d, {"--verbose"})};  // logs every message, on stderr only
  initialize(m);
  m.send_line("{\"jsonrpc\": \"2.0\", \"id\": 1, \"method\": ");
  auto parse = m.read();
  ASSERT_TRUE(parse);
  EXPECT_EQ((*parse)["error"]["code"], -32700);
  EXPECT_TRUE((*parse)["id"].is_null());
  m.send_line(R"([{"jsonrpc":"2.0","id":2,"method":"ping"}])");
  EXPECT_EQ((*m.read())["error"]["code"], -32600);
  m.send_line(R"({"jsonrpc":"2.0","id":3,"method":"ping","params":"x"})");
  auto invalid = m.read();
  EXPECT_EQ((*invalid)["error"]["code"], -32600);
  EXPECT_EQ((*invalid)["id"], 3);
  EXPECT_EQ(m.request(4, "server/discover")["error"]["code"], -32601);
  EXPECT_EQ(m.request(5, "tools/call", {{"name", "no_such_tool"}})["error"]["code"], -32602);
  EXPECT_EQ(m.request(6, "tools/list", {{"cursor", "forged"}})["error"]["code"], -32602);
  auto bad_args = m.call_tool("kb_search", {{"query", "x"}, {"k", 1000}});
  EXPECT_EQ(bad_args["result"]["isError"], true) << "2025-11-25: a tool error the model can read";
  EXPECT_NE(text_of(bad_args).find("'k'"), std::string::npos);
  m.close_stdin();
  EXPECT_EQ(m.wait(milliseconds(5000)), 0);
  EXPECT_FALSE(m.read(milliseconds(100))) << "nothing after the last answer";
  EXPECT_NE(m.err().find("server/discover"), std::string::npos) << "the log is on stderr: " << m.err();

  // An older client: invalid arguments are a protocol error there.
  mcp_child old{ai_mcp(d)};
  EXPECT_EQ(initialize(old, "2025-06-18")["result"]["protocolVersion"], "2025-06-18");
  auto r = old.call_tool("kb_search", {{"query", "x"}, {"k", 1000}});
  EXPECT_EQ(r["error"]["code"], -32602) << r.dump();
  EXPECT_NE(r["error"]["message"].get<std::string>().find("'k'"), std::string::npos);
}

TEST(McpStdio, WithoutADaemonItStillAnswersAndSaysHowToStartIt) {
  daemon_process d{config()};  // not started yet
  // --trust-ms 0: each call with none other in flight checks that paiosd listens, as one does once a connection
  // has not been heard from for a second, without the test waiting for that second.
  mcp_child m{ai_mcp(d, {"--trust-ms", "0"})};
  auto init = initialize(m);
  ASSERT_TRUE(init.contains("result")) << init.dump() << m.err();
  EXPECT_EQ(list_tools(m).size(), kToolCount);
  auto down = m.call_tool("health");
  EXPECT_EQ(down["result"]["isError"], true) << down.dump();
  EXPECT_NE(text_of(down).find("paiosd is not running"), std::string::npos) << text_of(down);
  EXPECT_NE(text_of(down).find("paiosd --home " + d.home().string()), std::string::npos) << text_of(down);

  d.start();  // the server finds it for the next call
  auto up = m.call_tool("health");
  EXPECT_EQ(up["result"]["isError"], false) << up.dump() << m.err();
  EXPECT_EQ(up["result"]["structuredContent"]["daemon"].value("pid", 0), d.pid());

  d.stop();
  auto again = m.call_tool("kb_search", {{"query", "x"}});
  EXPECT_EQ(again["result"]["isError"], true);
  EXPECT_NE(text_of(again).find("paiosd --home"), std::string::npos) << text_of(again);
  m.close_stdin();
  EXPECT_EQ(m.wait(milliseconds(5000)), 0);
}

// The scheduler's, the pipelines' and the watchers' tools against a daemon with one job, one pipeline whose second
// step waits for a flag file (so that its run can be cancelled while it runs) and one watched folder: every result
// passes its tool's outputSchema, and the run is started, cancelled and resumed to its end through MCP alone.
TEST(McpStdio, JobsPipelinesAndFoldersThroughARealDaemon) {
  paios::test::temp_dir files;
  const auto flag = files.path() / "flag";
  const auto inbox = files.path() / "inbox";
  std::filesystem::create_directory(inbox);
  auto command = [](const std::string& name, const std::string& script) {
    return json{{"name", name}, {"kind", "command"}, {"command", {"sh", "-c", script}}};
  };
  auto cfg = config();
  cfg["scheduler"] = {{"jobs", {{"heartbeat", nullptr},
                                {"hello", {{"schedule", "every 1h"},
                                           {"action", {{"task", {{"prompt", "scheduled hello"}, {"brain", "echo"}}}}}}}}},
                      {"timezone", "UTC"}};
  cfg["notify"] = {{"notify_send", false}};
  cfg["report"] = {{"enabled", false}};  // the jobs are `hello` alone
  cfg["pipelines"] = {{"held", {{"description", "one step, then another that waits for a flag file"},
                                {"steps", {command("first", "printf one"),
                                           command("hold", "while [ ! -f " + flag.string() +
                                                               " ]; do sleep 0.05; done; printf held")}}}}};
  cfg["watchers"] = {{"folders", {{{"path", inbox.string()}, {"classes", {"document"}}}}}};
  daemon_process d{cfg};
  d.start();
  mcp_child m{ai_mcp(d)};
  initialize(m);
  checked_calls calls{m, list_tools(m), {}};
  ASSERT_EQ(calls.tools.size(), kToolCount) << m.err();

  // Jobs: listed, run now, and the run in the history once it has ended.
  auto jobs = calls.ok("jobs_list", json::object());
  ASSERT_EQ(jobs["jobs"].size(), 1u) << jobs.dump();
  EXPECT_EQ(jobs["jobs"][0].value("name", ""), "hello");
  EXPECT_EQ(jobs["jobs"][0].value("schedule", ""), "every 1h");
  auto started = calls.ok("jobs_run", {{"name", "hello"}});
  const auto job_run = started.value("run_id", "");
  ASSERT_FALSE(job_run.empty()) << started.dump();
  auto ended_run = [&](const json& h) {
    for (const auto& r : h.value("runs", json::array()))
      if (r.value("id", "") == job_run) return r.value("outcome", "running") != "running" ? r : json();
    return json();
  };
  auto history = calls.until("jobs_history", {{"name", "hello"}, {"limit", 5}},
                             [&](const json& h) { return !ended_run(h).is_null(); });
  const auto run = ended_run(history);
  ASSERT_FALSE(run.is_null()) << history.dump() << d.log();
  EXPECT_EQ(run.value("outcome", ""), "ok") << run.dump();
  EXPECT_EQ(run.value("trigger", ""), "manual");
  EXPECT_EQ(run.value("summary", ""), "scheduled hello");  // the echo brain answers with the prompt
  EXPECT_EQ(calls.ok("jobs_list", json::object())["jobs"][0]["last"].value("id", ""), job_run);

  // A pipeline: listed, started with an input, cancelled while its second step waits, resumed to its end.
  auto pipelines = calls.ok("pipeline_list", json::object());
  ASSERT_EQ(pipelines["pipelines"].size(), 1u) << pipelines.dump();
  EXPECT_EQ(pipelines["pipelines"][0]["steps"].size(), 2u);
  const json input = {{"note", "from mcp"}, {"n", 2}};
  auto begun = calls.ok("pipeline_run", {{"name", "held"}, {"input", input}});
  const auto run_id = begun.value("run_id", "");
  ASSERT_FALSE(run_id.empty()) << begun.dump();
  auto holding = calls.until("pipeline_status", {{"run_id", run_id}},
                             [](const json& s) { return s["run"].value("steps", json::array()).size() == 2; });
  ASSERT_EQ(holding["run"]["steps"].size(), 2u) << holding.dump() << d.log();
  EXPECT_EQ(holding["run"].value("state", ""), "running");
  EXPECT_EQ(holding["run"]["input"], input);
  EXPECT_EQ(holding["run"]["steps"][0]["output"].value("stdout", ""), "one") << holding.dump();
  auto runs = calls.ok("pipeline_runs", {{"name", "held"}, {"limit", 5}});
  ASSERT_EQ(runs["runs"].size(), 1u) << runs.dump();
  EXPECT_EQ(runs["runs"][0].value("run_id", ""), run_id);

  auto cancel = calls.ok("pipeline_cancel", {{"run_id", run_id}});
  EXPECT_EQ(cancel.value("cancelled", false), true) << cancel.dump();
  auto stopped = calls.until("pipeline_status", {{"run_id", run_id}},
                             [](const json& s) { return s["run"].value("state", "running") != "running"; });
  ASSERT_EQ(stopped["run"].value("state", ""), "cancelled") << stopped.dump() << d.log();
  EXPECT_EQ(stopped["run"]["steps"][1].value("state", ""), "cancelled") << stopped.dump();
  auto again = calls.ok("pipeline_cancel", {{"run_id", run_id}});
  EXPECT_EQ(again.value("cancelled", true), false) << again.dump();
  EXPECT_EQ(again.value("state", ""), "cancelled") << again.dump();

  std::ofstream(flag) << "open";
  auto resumed = calls.ok("pipeline_resume", {{"run_id", run_id}});
  EXPECT_EQ(resumed.value("from_step", -1), 1) << resumed.dump();
  EXPECT_EQ(resumed.value("step_name", ""), "hold");
  auto done = calls.until("pipeline_status", {{"run_id", run_id}},
                          [](const json& s) { return s["run"].value("state", "running") != "running"; });
  ASSERT_EQ(done["run"].value("state", ""), "ok") << done.dump() << d.log();
  EXPECT_EQ(done["run"]["steps"][1]["output"].value("stdout", ""), "held") << done.dump();
  EXPECT_EQ(done["run"]["steps"][0].value("attempts", 0), 1) << "the step before the cancelled one ran once";
  runs = calls.ok("pipeline_runs", json::object());
  ASSERT_FALSE(runs["runs"].empty()) << runs.dump();
  EXPECT_EQ(runs["runs"][0].value("state", ""), "ok");
  EXPECT_EQ(runs["runs"][0].value("resumes", 0), 1);

  // The watched folder of the configuration.
  auto folders = calls.ok("watch_list", json::object());
  ASSERT_EQ(folders["folders"].size(), 1u) << folders.dump();
  EXPECT_EQ(folders["folders"][0].value("path", ""), inbox.string());
  EXPECT_EQ(folders["folders"][0].value("source", ""), "config");

  EXPECT_EQ(calls.called, kAutomationTools) << "each tool of the scheduler, the pipelines and the watchers was called";

  // Arguments the operation would refuse are refused before it is asked, naming the argument; a run that does not
  // exist is the daemon's not_found.
  auto no_id = m.call_tool("pipeline_status", json::object());
  EXPECT_EQ(no_id["result"]["isError"], true) << no_id.dump();
  EXPECT_NE(text_of(no_id).find("'run_id'"), std::string::npos) << text_of(no_id);
  auto unknown = m.call_tool("pipeline_status", {{"run_id", "p-nosuch"}});
  EXPECT_EQ(unknown["result"]["isError"], true) << unknown.dump();
  EXPECT_EQ(text_of(unknown).rfind("not_found: ", 0), 0u) << text_of(unknown);

  m.close_stdin();
  EXPECT_EQ(m.wait(milliseconds(5000)), 0) << m.err();
}
