// The MCP server without a daemon: the JSON-RPC layer (each error code), the tool registry (every entry is a
// bus operation whose fields are the tool's arguments, its schemas compile), and the session against a bus in
// memory: version negotiation, paging, argument checks, paiosd not running, a tool's reply as structured
// content that its outputSchema accepts, task_submit's progress and cancellation, timeouts, the end of input.
#include <gtest/gtest.h>

#include <set>

#include "bridges/mcp/jsonrpc.hpp"
#include "bridges/mcp/mcp_server.hpp"
#include "bridges/mcp/tool_set.hpp"
#include "client/wire_client.hpp"
#include "core/mcp/tool_registry.hpp"
#include "messages/wire.hpp"
#include "tests/support/json_schema.hpp"

using nlohmann::json;
using paios::test::schema_error;
using paios::mcp::session;
using paios::mcp::tool_set;
namespace jsonrpc = paios::jsonrpc;

namespace {

// The tools of core/mcp/tools.json; the tests below name each of them.
constexpr std::size_t kToolCount = 28;

const json& registry() {
  static const json doc = json::parse(paios::mcp::registry_text());
  return doc;
}

const json& entry(const std::string& name) {
  for (const auto& t : registry()["tools"])
    if (t["name"] == name) return t;
  throw std::runtime_error("no tool " + name);
}

// A bus in memory: records what the session sends; the test answers as paiosd would.
struct fake_bus : paios::mcp::bus {
  bool up = false;
  std::vector<json> sent;
  int resets = 0;
  bool ready(bool, std::string& why) override {
    if (!up) why = paios::unreachable_message("/tmp/paios-home", {false, "no socket at /tmp/paios-home/run/paiosd.sock"});
    return up;
  }
  bool send(const json& r) override {
    sent.push_back(r);
    return up;
  }
  void reset() override { ++resets; }
};

struct harness {
  fake_bus bus;
  std::vector<json> out;
  session::clock::time_point now = session::clock::now();
  session s;

  explicit harness(paios::mcp::session_options o = {})
      : s(bus, [this](std::string line) {
          EXPECT_EQ(line.find('\n'), std::string::npos) << "one message per line";
          out.push_back(json::parse(line));
        }, std::move(o)) {}

  // Sends one line; returns what the session wrote in answer.
  std::vector<json> line(const std::string& text) {
    out.clear();
    s.on_line(text, now);
    return out;
  }
  json request(const json& id, const std::string& method, json params = json::object()) {
    auto got = line(json{{"jsonrpc", "2.0"}, {"id", id}, {"method", method}, {"params", params}}.dump());
    return got.empty() ? json() : got.back();
  }
  void notify(const std::string& method, json params = json::object()) {
    line(json{{"jsonrpc", "2.0"}, {"method", method}, {"params", params}}.dump());
  }
  json initialize(const std::string& version) {
    auto r = request(0, "initialize",
                     {{"protocolVersion", version}, {"capabilities", json::object()},
                      {"clientInfo", {{"name", "test"}, {"version", "1"}}}});
    notify("notifications/initialized");
    return r;
  }
  std::vector<json> reply(json frame) {
    out.clear();
    frame["v"] = 1;
    s.on_reply(frame, now);
    return out;
  }
  std::vector<json> advance(std::chrono::milliseconds d) {
    out.clear();
    now += d;
    s.on_tick(now);
    return out;
  }
  // paiosd answers the session's tools.list with the registry compiled in.
  void answer_tools_list() {
    ASSERT_FALSE(bus.sent.empty());
    ASSERT_EQ(bus.sent.back()["op"], "tools.list");
    auto body = json::parse(paios::mcp::tools_list_body());
    body["type"] = "tools";
    body["id"] = bus.sent.back()["id"];
    reply(body);
  }
};

int error_code(const json& r) { return r.contains("error") ? r["error"].value("code", 0) : 0; }

}  // namespace

// ---- JSON-RPC ---------------------------------------------------------------------------------------------

TEST(JsonRpc, ReadsRequestsNotificationsAndResponses) {
  auto r = jsonrpc::parse(R"({"jsonrpc":"2.0","id":7,"method":"tools/list","params":{"cursor":"x"}})");
  EXPECT_EQ(r.what, jsonrpc::message::kind::request);
  EXPECT_EQ(r.id, 7);
  EXPECT_EQ(r.method, "tools/list");
  EXPECT_EQ(r.params["cursor"], "x");
  auto n = jsonrpc::parse(R"({"jsonrpc":"2.0","method":"notifications/initialized"})");
  EXPECT_EQ(n.what, jsonrpc::message::kind::notification);
  EXPECT_TRUE(n.params.is_object());
  EXPECT_EQ(jsonrpc::parse(R"({"jsonrpc":"2.0","id":"a","result":{}})").what, jsonrpc::message::kind::response);
  EXPECT_EQ(jsonrpc::parse("  \r").what, jsonrpc::message::kind::blank);
  EXPECT_EQ(jsonrpc::parse(R"({"jsonrpc":"2.0","id":"s","method":"ping"})").id, "s");
}

TEST(JsonRpc, EachMalformedMessageGetsItsCode) {
  struct {
    const char* line;
    int code;
    json id;
  } cases[] = {
      {"{not json", jsonrpc::parse_error, nullptr},
      {R"([{"jsonrpc":"2.0","id":1,"method":"ping"}])", jsonrpc::invalid_request, nullptr},  // a batch
      {"42", jsonrpc::invalid_request, nullptr},
      {R"({"id":3,"method":"ping"})", jsonrpc::invalid_request, 3},                 // no jsonrpc
      {R"({"jsonrpc":"1.0","id":3,"method":"ping"})", jsonrpc::invalid_request, 3},
      {R"({"jsonrpc":"2.0","id":null,"method":"ping"})", jsonrpc::invalid_request, nullptr},
      {R"({"jsonrpc":"2.0","id":1.5,"method":"ping"})", jsonrpc::invalid_request, nullptr},
      {R"({"jsonrpc":"2.0","id":{},"method":"ping"})", jsonrpc::invalid_request, nullptr},
      {R"({"jsonrpc":"2.0","id":4,"method":5})", jsonrpc::invalid_request, 4},
      {R"({"jsonrpc":"2.0","id":4})", jsonrpc::invalid_request, 4},
      {R"({"jsonrpc":"2.0","id":4,"method":"ping","params":"x"})", jsonrpc::invalid_request, 4},
      {R"({"jsonrpc":"2.0","id":4,"method":"ping","params":null})", jsonrpc::invalid_request, 4},
      {R"({"jsonrpc":"2.0","id":4,"method":"tools/call","params":["kb_search"]})", jsonrpc::invalid_params, 4},
  };
  for (const auto& c : cases) {
    auto m = jsonrpc::parse(c.line);
    EXPECT_EQ(m.what, jsonrpc::message::kind::invalid) << c.line;
    EXPECT_EQ(m.error_code, c.code) << c.line;
    EXPECT_EQ(m.id, c.id) << c.line;
    EXPECT_FALSE(m.error_message.empty());
  }
  // A notification with positional params is still a notification: it gets no answer.
  EXPECT_EQ(jsonrpc::parse(R"({"jsonrpc":"2.0","method":"notifications/x","params":[1]})").what,
            jsonrpc::message::kind::notification);
}

TEST(JsonRpc, WritesOneLineMessages) {
  auto e = json::parse(jsonrpc::error(nullptr, jsonrpc::parse_error, "bad"));
  EXPECT_EQ(e["jsonrpc"], "2.0");
  EXPECT_TRUE(e.contains("id") && e["id"].is_null()) << "JSON-RPC 2.0: null when the id could not be read";
  EXPECT_EQ(e["error"]["code"], -32700);
  auto r = jsonrpc::result("x", {{"text", "two\nlines \xff"}});
  EXPECT_EQ(r.find('\n'), std::string::npos);
  EXPECT_EQ(json::parse(r)["result"]["text"], "two\nlines \xEF\xBF\xBD") << "bytes that are not UTF-8 become U+FFFD";
  EXPECT_EQ(json::parse(jsonrpc::notification("notifications/progress", {{"progress", 1}}))["method"],
            "notifications/progress");
}

// ---- the registry -----------------------------------------------------------------------------------------

TEST(Registry, HoldsTheToolsOfTheIssueEachABusOperation) {
  std::set<std::string> names;
  for (const auto& t : registry()["tools"]) names.insert(t["name"].get<std::string>());
  const std::map<std::string, std::string> ops = {
      {"kb_search", "kb.search"},   {"kb_add", "kb.add"},         {"kb_get", "kb.get"},
      {"learnings_recall", "learnings.recall"}, {"router_classify", "route.classify"},
      {"task_submit", "task.submit"}, {"task_status", "task.get"}, {"obs_query", "obs.query"},
      {"obs_score", "obs.score"},   {"health", "status"},
      {"jobs_list", "jobs.list"},   {"jobs_run", "jobs.run"},     {"jobs_history", "jobs.history"},
      {"pipeline_list", "pipeline.list"}, {"pipeline_run", "pipeline.run"}, {"pipeline_runs", "pipeline.runs"},
      {"pipeline_status", "pipeline.get"}, {"pipeline_resume", "pipeline.resume"},
      {"pipeline_cancel", "pipeline.cancel"}, {"watch_list", "watch.list"},
      {"approvals_list", "approvals.list"}, {"approval_decide", "approvals.decide"},
      {"autonomy_show", "autonomy.show"}, {"autonomy_check", "autonomy.check"},
      {"breaker_reset", "breaker.reset"}, {"alerts_list", "alerts.list"}, {"alert_ack", "alerts.ack"},
      {"daily_report", "report.get"}};
  std::set<std::string> expected;
  for (const auto& [name, op] : ops) expected.insert(name);
  EXPECT_EQ(names, expected);
  EXPECT_EQ(names.size(), kToolCount);
  for (const auto& t : registry()["tools"]) {
    const auto name = t["name"].get<std::string>();
    EXPECT_EQ(t.value("op", ""), ops.at(name));
    EXPECT_FALSE(t.value("title", "").empty()) << name;
    EXPECT_GT(t.value("description", "").size(), 40u) << name;
    EXPECT_EQ(t["inputSchema"]["type"], "object") << name;
    EXPECT_EQ(t["inputSchema"]["additionalProperties"], false) << name << ": only the operation's fields";
    ASSERT_TRUE(t.contains("outputSchema")) << name << ": every tool's result is structured";
    EXPECT_EQ(t["outputSchema"]["type"], "object") << name;
    for (const char* hint : {"readOnlyHint", "destructiveHint", "idempotentHint", "openWorldHint"})
      EXPECT_TRUE(t["annotations"].contains(hint)) << name << " " << hint;
    // The schemas compile, and a schema accepts what it describes.
    EXPECT_EQ(schema_error(t["outputSchema"], json::object()).empty(), !t["outputSchema"].contains("required")) << name;
  }
  std::string error;
  auto set = tool_set::parse(registry()["tools"], error);
  ASSERT_TRUE(set) << error;
  EXPECT_EQ(set->all().size(), kToolCount);
  EXPECT_EQ(json::parse(paios::mcp::tools_list_body())["tools"].size(), kToolCount);
}

// The arguments of each tool, as a client would send them, are accepted by the schema and, as fields of the
// tool's operation, by the daemon's own parser: the two agree on every name.
TEST(Registry, ArgumentsAreTheOperationsFields) {
  const std::map<std::string, json> samples = {
      {"kb_search", {{"query", "replica failover"}, {"k", 3}, {"kind", "document"}, {"project", "/p"}}},
      {"kb_add", {{"content", "text"}, {"title", "t"}, {"source", "/s"}, {"kind", "learning"}, {"tags", {"a"}},
                  {"project", "/p"}, {"brain", "claude"}, {"session", "s1"}, {"topic", "caf"}, {"format", "markdown"}}},
      {"kb_get", {{"article_id", "kb-1"}}},
      {"learnings_recall", {{"topic", "caf"}, {"k", 2}, {"project", "/p"}}},
      {"router_classify", {{"prompt", "review this"}, {"attachments", {"/a.png", {{"name", "/b.pdf"}, {"mime", "application/pdf"}}}}, {"brain", "codex"}}},
      {"task_submit", {{"prompt", "hello"}, {"brain", "echo"}, {"timeout_ms", 1000},
                       {"traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"}}},
      {"task_status", {{"task_id", "t-1"}}},
      {"obs_query", {{"trace_id", "4bf92f3577b34da6a3ce929d0e0e4736"}, {"category", "brain"}, {"action", "call"},
                     {"status", "ok"}, {"since_ms", 1}, {"until_ms", 2}, {"min_score", 1}, {"max_score", 5},
                     {"limit", 10}, {"before", "e-9"}}},
      {"obs_score", {{"task_id", "t-1"}, {"score", 4}, {"note", "fine"}}},
      {"health", json::object()},
      {"jobs_list", json::object()},
      {"jobs_run", {{"name", "nightly"}}},
      {"jobs_history", {{"name", "nightly"}, {"limit", 5}}},
      {"pipeline_list", json::object()},
      {"pipeline_run", {{"name", "summarize-to-kb"}, {"input", {{"source", "/notes/a.md"}}}}},
      {"pipeline_runs", {{"name", "summarize-to-kb"}, {"limit", 5}}},
      {"pipeline_status", {{"run_id", "p-1"}}},
      {"pipeline_resume", {{"run_id", "p-1"}}},
      {"pipeline_cancel", {{"run_id", "p-1"}}},
      {"watch_list", json::object()},
      {"approvals_list", json::object()},
      {"approval_decide", {{"approval_id", "ap-1"}, {"decision", "approve"}, {"reason", "fine"}, {"scope", "session"}}},
      {"autonomy_show", json::object()},
      {"autonomy_check", {{"tool", "Bash"}, {"command", "rm -rf /"}, {"path", ""}, {"cwd", "/p"}, {"brain", "pipeline:digest"}}},
      {"breaker_reset", {{"brain", "codex"}}},
      {"alerts_list", {{"all", true}, {"limit", 10}}},
      {"alert_ack", {{"alert_id", 3}}},
      {"daily_report", {{"date", "2026-12-06"}}}};
  const auto& tools = tool_set::embedded();
  for (const auto& t : tools.all()) {
    const auto& args = samples.at(t.name);
    EXPECT_EQ(tool_set::check_arguments(t, args), "") << t.name;
    json req = args;
    req["v"] = 1;
    req["op"] = t.op;
    req["id"] = "x";
    auto parsed = paios::wire::parse_request(req.dump());
    EXPECT_TRUE(parsed.req) << t.name << ": " << parsed.error.message();
    // Each property the schema offers is a field the operation reads (it refuses a wrong type of each).
    for (auto& [field, _] : t.definition["inputSchema"]["properties"].items()) {
      if (t.op == "status") break;
      if (t.op == "pipeline.run" && field == "input") {
        // The one field without a type: pipeline.run's input is any JSON value (docs/protocol.md), so there is
        // no wrong type to refuse. Instead: the schema and the parser take every kind of value, and the parser
        // keeps it as the run's input.
        for (const json& any : {json::object(), json::array({1, "two"}), json("text"), json(3.5), json(false)}) {
          json with = args;
          with[field] = any;
          EXPECT_EQ(tool_set::check_arguments(t, with), "") << t.name << ": " << any.dump();
          json r = req;
          r[field] = any;
          auto p = paios::wire::parse_request(r.dump());
          ASSERT_TRUE(p.req) << t.name << ": " << any.dump() << ": " << p.error.message();
          EXPECT_EQ(json::parse(p.req->arguments), any) << t.name;
        }
        continue;
      }
      json wrong = req;
      wrong[field] = json::object();
      auto p = paios::wire::parse_request(wrong.dump());
      EXPECT_FALSE(p.req) << t.name << ": the operation ignores field '" << field << "'";
    }
  }
}

TEST(Registry, ArgumentErrorsNameTheArgument) {
  const auto& tools = tool_set::embedded();
  const auto& search = *tools.find("kb_search");
  EXPECT_NE(tool_set::check_arguments(search, json::object()).find("missing required argument 'query'"), std::string::npos);
  auto k = tool_set::check_arguments(search, {{"query", "x"}, {"k", 500}});
  EXPECT_NE(k.find("argument 'k' must be at most 100"), std::string::npos) << k;
  auto type = tool_set::check_arguments(search, {{"query", 5}});
  EXPECT_NE(type.find("argument 'query'"), std::string::npos) << type;
  auto extra = tool_set::check_arguments(search, {{"query", "x"}, {"op", "kb.rm"}});
  EXPECT_NE(extra.find("unknown argument 'op'"), std::string::npos) << extra;
  EXPECT_NE(extra.find("k, kind, project, query"), std::string::npos) << extra;
  auto kind = tool_set::check_arguments(search, {{"query", "x"}, {"kind", "poem"}});
  EXPECT_NE(kind.find("argument 'kind'"), std::string::npos) << kind;
  auto att = tool_set::check_arguments(*tools.find("task_submit"), {{"prompt", "x"}, {"attachments", {5}}});
  EXPECT_NE(att.find("attachments[0]"), std::string::npos) << att;
}

// ---- the session ------------------------------------------------------------------------------------------

TEST(McpSession, NegotiatesTheVersion) {
  for (auto [asked, got] : {std::pair{"2025-11-25", "2025-11-25"}, std::pair{"2025-06-18", "2025-06-18"},
                            std::pair{"2025-03-26", "2025-03-26"}, std::pair{"2024-11-05", "2025-11-25"},
                            std::pair{"2099-01-01", "2025-11-25"}}) {
    harness h;
    auto r = h.initialize(asked);
    ASSERT_TRUE(r.contains("result")) << r.dump();
    EXPECT_EQ(r["id"], 0);
    EXPECT_EQ(r["result"]["protocolVersion"], got) << asked;
    EXPECT_EQ(r["result"]["capabilities"], json::parse(R"({"tools":{"listChanged":false}})"));
    EXPECT_EQ(r["result"]["serverInfo"]["name"], "paios");
    EXPECT_FALSE(r["result"]["serverInfo"].value("version", "").empty());
    EXPECT_FALSE(r["result"].value("instructions", "").empty());
    EXPECT_EQ(h.s.version(), got);
  }
  harness h;
  EXPECT_EQ(error_code(h.request(1, "initialize", json::object())), jsonrpc::invalid_params);
  EXPECT_EQ(error_code(h.request(2, "initialize", {{"protocolVersion", 20250618}})), jsonrpc::invalid_params);
  h.initialize("2025-06-18");
  EXPECT_EQ(error_code(h.request(3, "initialize", {{"protocolVersion", "2025-06-18"}})), jsonrpc::invalid_request)
      << "initialized once";
}

TEST(McpSession, AnswersPingAndRefusesUnknownMethods) {
  harness h;
  h.initialize("2025-11-25");
  auto pong = h.request("p", "ping");
  EXPECT_EQ(pong["id"], "p");
  EXPECT_EQ(pong["result"], json::object());
  for (const char* m : {"server/discover", "resources/list", "prompts/list", "logging/setLevel", "completion/complete"}) {
    auto r = h.request(9, m);
    EXPECT_EQ(error_code(r), jsonrpc::method_not_found) << m << ": " << r.dump();
    EXPECT_EQ(r["id"], 9);
  }
  EXPECT_TRUE(h.line(R"({"jsonrpc":"2.0","method":"notifications/whatever"})").empty()) << "notifications get no answer";
  auto parse = h.line("{\"jsonrpc\":\"2.0\",");
  ASSERT_EQ(parse.size(), 1u);
  EXPECT_EQ(error_code(parse[0]), jsonrpc::parse_error);
  EXPECT_TRUE(parse[0]["id"].is_null());
  auto batch = h.line(R"([{"jsonrpc":"2.0","id":1,"method":"ping"},{"jsonrpc":"2.0","id":2,"method":"ping"}])");
  ASSERT_EQ(batch.size(), 1u);
  EXPECT_EQ(error_code(batch[0]), jsonrpc::invalid_request);
  EXPECT_NE(batch[0]["error"]["message"].get<std::string>().find("batch"), std::string::npos);
  EXPECT_TRUE(h.line(R"({"jsonrpc":"2.0","id":5,"result":{}})").empty()) << "a response to nothing is ignored";
}

TEST(McpSession, ListsToolsWithoutADaemonAndPagesThem) {
  paios::mcp::session_options o;
  o.page_size = 3;
  harness h{o};
  h.initialize("2025-11-25");
  std::vector<std::string> names;
  json cursor;
  int pages = 0;
  do {
    json params = json::object();
    if (!cursor.is_null()) params["cursor"] = cursor;
    auto r = h.request(100 + pages, "tools/list", params);
    ASSERT_TRUE(r.contains("result")) << r.dump();
    EXPECT_LE(r["result"]["tools"].size(), 3u);
    for (auto& t : r["result"]["tools"]) {
      names.push_back(t["name"]);
      EXPECT_TRUE(t.contains("inputSchema") && t.contains("outputSchema") && t.contains("title"));
      EXPECT_FALSE(t.contains("op")) << "the bus operation is ours, not the client's";
    }
    cursor = r["result"].value("nextCursor", json());
    ++pages;
  } while (!cursor.is_null() && pages < 10);
  EXPECT_EQ(pages, static_cast<int>((kToolCount + 2) / 3));
  EXPECT_EQ(names.size(), kToolCount);
  EXPECT_EQ(std::set<std::string>(names.begin(), names.end()).size(), kToolCount);
  for (const char* bad : {"nonsense", "t3", "t0.00000000", "t99.00000000"}) {
    auto r = h.request("c", "tools/list", {{"cursor", bad}});
    EXPECT_EQ(error_code(r), jsonrpc::invalid_params) << bad << ": " << r.dump();
  }
  EXPECT_EQ(error_code(h.request("c2", "tools/list", {{"cursor", 3}})), jsonrpc::invalid_params);
  EXPECT_TRUE(h.bus.sent.empty()) << "paiosd is not running: nothing was sent";
}

TEST(McpSession, TheOldestVersionSeesNoStructuredOutput) {
  harness h;
  h.initialize("2025-03-26");
  auto r = h.request(1, "tools/list");
  for (auto& t : r["result"]["tools"]) {
    EXPECT_FALSE(t.contains("outputSchema")) << "outputSchema came with 2025-06-18";
    EXPECT_FALSE(t.contains("title"));
  }
  h.bus.up = true;
  h.request(2, "tools/call", {{"name", "kb_get"}, {"arguments", {{"article_id", "kb-1"}}}});
  h.answer_tools_list();
  auto got = h.reply({{"type", "kb.article"}, {"id", h.bus.sent.back()["id"]}, {"article", {{"article_id", "kb-1"}}}});
  ASSERT_EQ(got.size(), 1u);
  EXPECT_FALSE(got[0]["result"].contains("structuredContent"));
  EXPECT_EQ(json::parse(got[0]["result"]["content"][0]["text"].get<std::string>())["article"]["article_id"], "kb-1");
}

TEST(McpSession, CallsFailAsToolErrorsWhenPaiosdIsNotRunning) {
  harness h;
  h.initialize("2025-11-25");
  auto r = h.request(1, "tools/call", {{"name", "kb_search"}, {"arguments", {{"query", "x"}}}});
  ASSERT_TRUE(r.contains("result")) << r.dump();
  EXPECT_EQ(r["result"]["isError"], true);
  const auto text = r["result"]["content"][0]["text"].get<std::string>();
  EXPECT_NE(text.find("paiosd is not running"), std::string::npos) << text;
  EXPECT_NE(text.find("paiosd --home /tmp/paios-home"), std::string::npos) << text;
  EXPECT_FALSE(r["result"].contains("structuredContent"));
}

TEST(McpSession, BadCallsAreInvalidParams) {
  harness h;
  h.initialize("2025-06-18");
  auto unknown = h.request(1, "tools/call", {{"name", "kb_delete_everything"}});
  EXPECT_EQ(error_code(unknown), jsonrpc::invalid_params);
  EXPECT_NE(unknown["error"]["message"].get<std::string>().find("kb_search"), std::string::npos) << "it lists the tools";
  EXPECT_EQ(error_code(h.request(2, "tools/call", json::object())), jsonrpc::invalid_params);
  EXPECT_EQ(error_code(h.request(3, "tools/call", {{"name", 7}})), jsonrpc::invalid_params);
  EXPECT_EQ(error_code(h.request(4, "tools/call", {{"name", "kb_search"}, {"arguments", "query=x"}})), jsonrpc::invalid_params);
  // Before 2025-11-25, arguments that break the schema are a protocol error naming the argument.
  auto bad = h.request(5, "tools/call", {{"name", "kb_search"}, {"arguments", {{"query", "x"}, {"k", 0}}}});
  EXPECT_EQ(error_code(bad), jsonrpc::invalid_params);
  EXPECT_NE(bad["error"]["message"].get<std::string>().find("'k'"), std::string::npos) << bad.dump();
}

TEST(McpSession, From20251125BadArgumentsAreToolErrorsTheModelCanRead) {
  harness h;
  h.initialize("2025-11-25");
  auto bad = h.request(5, "tools/call", {{"name", "kb_search"}, {"arguments", {{"query", "x"}, {"k", 0}}}});
  ASSERT_TRUE(bad.contains("result")) << bad.dump();
  EXPECT_EQ(bad["result"]["isError"], true);
  EXPECT_NE(bad["result"]["content"][0]["text"].get<std::string>().find("argument 'k' must be at least 1"),
            std::string::npos) << bad.dump();
  EXPECT_EQ(error_code(h.request(6, "tools/call", {{"name", "nope"}})), jsonrpc::invalid_params) << "unknown tool";
}

TEST(McpSession, ATheDaemonsListIsUsedAndAReplyBecomesStructuredContent) {
  harness h;
  h.bus.up = true;
  h.initialize("2025-11-25");
  // The first call that needs the tool list asks paiosd for it, and waits for it.
  EXPECT_TRUE(h.request(1, "tools/call", {{"name", "kb_search"}, {"arguments", {{"query", "replica"}, {"k", 2}}}}).is_null());
  ASSERT_EQ(h.bus.sent.size(), 1u);
  EXPECT_EQ(h.bus.sent[0]["op"], "tools.list");
  h.answer_tools_list();
  ASSERT_EQ(h.bus.sent.size(), 2u);
  const auto req = h.bus.sent[1];
  EXPECT_EQ(req["v"], 1);
  EXPECT_EQ(req["op"], "kb.search");
  EXPECT_EQ(req["query"], "replica");
  EXPECT_EQ(req["k"], 2);
  json body = {{"results", {{{"article_id", "kb-7"}, {"title", "Replica"}, {"source", "/r.md"}, {"kind", "document"},
                             {"project", ""}, {"brain", ""}, {"chunk", 0}, {"score", 0.91}, {"vector_score", 0.8},
                             {"keyword_score", 1.0}, {"updated_ms", 1700000000000}, {"passage", "promote"}}}}};
  json frame = body;
  frame["type"] = "kb.results";
  frame["id"] = req["id"];
  auto got = h.reply(frame);
  ASSERT_EQ(got.size(), 1u);
  const auto& result = got[0]["result"];
  EXPECT_EQ(got[0]["id"], 1);
  EXPECT_EQ(result["isError"], false);
  EXPECT_EQ(result["structuredContent"], body);
  EXPECT_EQ(json::parse(result["content"][0]["text"].get<std::string>()), body) << "the JSON as text too";
  EXPECT_EQ(schema_error(entry("kb_search")["outputSchema"], result["structuredContent"]), "");
  // Later calls use the list already fetched.
  h.request(2, "tools/call", {{"name", "health"}});
  EXPECT_EQ(h.bus.sent.back()["op"], "status");
  // A bus error is a tool error with its code.
  auto err = h.reply({{"type", "error"}, {"id", h.bus.sent.back()["id"]}, {"code", "internal"}, {"message", "boom"}});
  ASSERT_EQ(err.size(), 1u);
  EXPECT_EQ(err[0]["result"]["isError"], true);
  EXPECT_EQ(err[0]["result"]["content"][0]["text"], "internal: boom");
}

TEST(McpSession, ADaemonWithoutToolsListFallsBackToOurCopy) {
  harness h;
  h.bus.up = true;
  h.initialize("2025-11-25");
  h.request(1, "tools/list");
  auto got = h.reply({{"type", "error"}, {"id", h.bus.sent[0]["id"]}, {"code", "unknown_op"}, {"message", "unknown operation"}});
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0]["result"]["tools"].size(), kToolCount);
  // And one that never answers: after the registry timeout.
  harness slow;
  slow.bus.up = true;
  slow.request(1, "tools/list");
  EXPECT_TRUE(slow.advance(std::chrono::milliseconds(100)).empty());
  auto late = slow.advance(std::chrono::milliseconds(3000));
  ASSERT_EQ(late.size(), 1u);
  EXPECT_EQ(late[0]["result"]["tools"].size(), kToolCount);
}

TEST(McpSession, TaskSubmitStreamsProgressWithoutBlockingOtherRequests) {
  harness h;
  h.bus.up = true;
  h.initialize("2025-11-25");
  h.request("t", "tools/call", {{"name", "task_submit"}, {"arguments", {{"prompt", "hello"}, {"brain", "echo"}}},
                                {"_meta", {{"progressToken", "tok"}}}});
  h.answer_tools_list();
  const auto req = h.bus.sent.back();
  EXPECT_EQ(req["op"], "task.submit");
  EXPECT_EQ(req["stream"], true) << "chunks only when someone reads them";
  const auto id = req["id"];
  auto p1 = h.reply({{"type", "accepted"}, {"id", id}, {"task_id", "t-1"}, {"trace_id", "ab"}});
  // While the task runs, other requests are answered.
  EXPECT_EQ(h.request("ping", "ping")["result"], json::object());
  auto p2 = h.reply({{"type", "routed"}, {"id", id}, {"task_id", "t-1"}, {"brain", "echo"}, {"reason", "requested"}});
  auto p3 = h.reply({{"type", "chunk"}, {"id", id}, {"task_id", "t-1"}, {"seq", 0}, {"text", "hel"}});
  auto p4 = h.reply({{"type", "chunk"}, {"id", id}, {"task_id", "t-1"}, {"seq", 1}, {"text", "lo"}});
  double last = 0;
  for (auto* p : {&p1, &p2, &p3, &p4}) {
    ASSERT_EQ(p->size(), 1u);
    EXPECT_EQ((*p)[0]["method"], "notifications/progress");
    EXPECT_EQ((*p)[0]["params"]["progressToken"], "tok");
    EXPECT_GT((*p)[0]["params"]["progress"].get<double>(), last) << "progress increases";
    last = (*p)[0]["params"]["progress"].get<double>();
  }
  EXPECT_EQ(p3[0]["params"]["message"], "hel");
  json result{{"task_id", "t-1"}, {"state", "succeeded"}, {"brain", "echo"}, {"text", "hello"}, {"exit_code", 0},
              {"duration_ms", 1}, {"trace_id", "ab"}};
  json frame = result;
  frame["type"] = "result";
  frame["id"] = id;
  auto done = h.reply(frame);
  ASSERT_EQ(done.size(), 1u);
  EXPECT_EQ(done[0]["id"], "t");
  EXPECT_EQ(done[0]["result"]["structuredContent"], result);
  EXPECT_EQ(schema_error(entry("task_submit")["outputSchema"], result), "");
  EXPECT_EQ(h.s.in_flight(), 0u);
  // Without a progress token, no chunks are asked for.
  h.request("t2", "tools/call", {{"name", "task_submit"}, {"arguments", {{"prompt", "x"}}}});
  EXPECT_EQ(h.bus.sent.back()["stream"], false);
  auto refused = h.reply({{"type", "error"}, {"id", h.bus.sent.back()["id"]}, {"code", "unknown_brain"}, {"message", "no"}});
  EXPECT_EQ(refused[0]["result"]["isError"], true);
}

TEST(McpSession, CancellingATaskCancelsItOnTheBusAndAnswersNothing) {
  harness h;
  h.bus.up = true;
  h.initialize("2025-11-25");
  h.request(41, "tools/call", {{"name", "task_submit"}, {"arguments", {{"prompt", "long"}}}, {"_meta", {{"progressToken", 1}}}});
  h.answer_tools_list();
  const auto id = h.bus.sent.back()["id"];
  // Cancelled before paiosd accepted it: the cancel goes out once the task has an id.
  h.notify("notifications/cancelled", {{"requestId", 41}, {"reason", "user"}});
  auto accepted = h.reply({{"type", "accepted"}, {"id", id}, {"task_id", "t-9"}});
  EXPECT_TRUE(accepted.empty()) << "no progress for a cancelled call";
  ASSERT_EQ(h.bus.sent.back()["op"], "task.cancel");
  EXPECT_EQ(h.bus.sent.back()["task_id"], "t-9");
  EXPECT_TRUE(h.reply({{"type", "cancel"}, {"id", h.bus.sent.back()["id"]}, {"task_id", "t-9"}, {"cancelled", true}}).empty());
  EXPECT_TRUE(h.reply({{"type", "error"}, {"id", id}, {"task_id", "t-9"}, {"code", "cancelled"}, {"message", "x"}}).empty())
      << "the cancelled request gets no response";
  EXPECT_EQ(h.s.in_flight(), 0u);
  // Cancelled after it was accepted: the cancel goes out at once.
  h.request(42, "tools/call", {{"name", "task_submit"}, {"arguments", {{"prompt", "long"}}}});
  const auto id2 = h.bus.sent.back()["id"];
  h.reply({{"type", "accepted"}, {"id", id2}, {"task_id", "t-10"}});
  h.notify("notifications/cancelled", {{"requestId", 42}});
  EXPECT_EQ(h.bus.sent.back()["op"], "task.cancel");
  // A request cancelled whose answer then arrives anyway, and a cancel for something unknown: silence.
  h.request(43, "tools/call", {{"name", "health"}});
  h.notify("notifications/cancelled", {{"requestId", 43}});
  EXPECT_TRUE(h.reply({{"type", "status"}, {"id", h.bus.sent.back()["id"]}, {"daemon", json::object()}}).empty());
  h.notify("notifications/cancelled", {{"requestId", 999}});
  EXPECT_TRUE(h.out.empty());
  // The task that never ends after its cancel is dropped after the grace period.
  h.advance(std::chrono::seconds(11));
  EXPECT_EQ(h.s.in_flight(), 0u);
}

TEST(McpSession, ACallThatGetsNoAnswerFailsAfterItsTimeout) {
  harness h;
  h.bus.up = true;
  h.initialize("2025-11-25");
  h.request(1, "tools/call", {{"name", "router_classify"}, {"arguments", {{"prompt", "x"}}}});
  h.answer_tools_list();
  EXPECT_TRUE(h.advance(std::chrono::seconds(5)).empty());
  auto late = h.advance(std::chrono::seconds(6));
  ASSERT_EQ(late.size(), 1u);
  EXPECT_EQ(late[0]["result"]["isError"], true);
  EXPECT_NE(late[0]["result"]["content"][0]["text"].get<std::string>().find("did not answer"), std::string::npos);
  EXPECT_EQ(h.bus.resets, 1) << "the next call connects anew";
  // A silent task is asked about; its stored record ends the call when its stream was lost.
  h.request(2, "tools/call", {{"name", "task_submit"}, {"arguments", {{"prompt", "x"}}}});
  const auto id = h.bus.sent.back()["id"].get<std::string>();
  h.reply({{"type", "accepted"}, {"id", id}, {"task_id", "t-5"}});
  h.advance(std::chrono::seconds(6));
  ASSERT_EQ(h.bus.sent.back()["op"], "task.get");
  auto done = h.reply({{"type", "task"}, {"id", h.bus.sent.back()["id"]},
                       {"task", {{"task_id", "t-5"}, {"state", "succeeded"}, {"brain", "echo"}, {"text", "x"},
                                 {"exit_code", 0}, {"trace_id", "ab"}, {"started_ms", 5}, {"finished_ms", 7}}}});
  ASSERT_EQ(done.size(), 1u);
  EXPECT_EQ(done[0]["result"]["structuredContent"]["text"], "x");
  EXPECT_EQ(done[0]["result"]["structuredContent"]["duration_ms"], 2);
}

TEST(McpSession, TheEndOfInputWaitsForCallsInFlight) {
  harness h;
  h.bus.up = true;
  h.initialize("2025-11-25");
  h.request(1, "tools/call", {{"name", "obs_score"}, {"arguments", {{"task_id", "t-1"}, {"score", 5}}}});
  h.answer_tools_list();
  h.s.on_input_closed();
  EXPECT_FALSE(h.s.finished());
  auto got = h.reply({{"type", "scored"}, {"id", h.bus.sent.back()["id"]}, {"task_id", "t-1"}, {"score", 5},
                      {"note", ""}, {"trace_id", "ab"}});
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0]["result"]["isError"], false);
  EXPECT_TRUE(h.s.finished());
}

TEST(McpSession, RefusesAnIdInUse) {
  harness h;
  h.bus.up = true;
  h.initialize("2025-11-25");
  h.request(1, "tools/call", {{"name", "health"}});
  h.answer_tools_list();
  EXPECT_EQ(error_code(h.request(1, "ping")), jsonrpc::invalid_request);
  EXPECT_EQ(h.request("1", "ping")["result"], json::object()) << "\"1\" is not 1";
}

// A tool of an MCP server that paiosd runs (op tools.call, docs/mcp.md): its arguments travel whole under its
// name, its result is the server's own, and a cancel goes out as tools.cancel.
TEST(McpSession, AMountedToolGoesThroughToolsCallAndItsResultIsTheServers) {
  harness h;
  h.bus.up = true;
  h.initialize("2025-11-25");
  EXPECT_TRUE(h.request(1, "tools/call", {{"name", "everything_echo"}, {"arguments", {{"message", "hi"}}}}).is_null());
  ASSERT_EQ(h.bus.sent.back()["op"], "tools.list");
  auto body = json::parse(paios::mcp::tools_list_body());
  body["tools"].push_back({{"name", "everything_echo"}, {"description", "Echoes"}, {"op", "tools.call"},
                           {"server", "everything"}, {"tool", "echo"}, {"timeout_ms", 32000},
                           {"inputSchema", {{"type", "object"}, {"properties", {{"message", {{"type", "string"}}}}},
                                            {"required", {"message"}}}}});
  body["type"] = "tools";
  body["id"] = h.bus.sent.back()["id"];
  h.reply(body);
  const auto req = h.bus.sent.back();
  EXPECT_EQ(req["op"], "tools.call");
  EXPECT_EQ(req["name"], "everything_echo");
  EXPECT_EQ(req["arguments"], (json{{"message", "hi"}}));
  json result{{"content", {{{"type", "text"}, {"text", "Echo: hi"}}}}, {"structuredContent", {{"echo", "hi"}}}};
  auto got = h.reply({{"type", "tools.result"}, {"id", req["id"]}, {"name", "everything_echo"}, {"server", "everything"},
                      {"result", result}});
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0]["id"], 1);
  EXPECT_EQ(got[0]["result"], result) << "the server's result as it gave it";
  // Arguments are checked against the server's inputSchema first.
  const auto sent = h.bus.sent.size();
  auto wrong = h.request(2, "tools/call", {{"name", "everything_echo"}, {"arguments", {{"message", 5}}}});
  EXPECT_EQ(wrong["result"]["isError"], true) << wrong.dump();
  EXPECT_EQ(h.bus.sent.size(), sent);
  // A bus error is a tool error, as for the mesh's own tools.
  h.request(3, "tools/call", {{"name", "everything_echo"}, {"arguments", {{"message", "x"}}}});
  auto err = h.reply({{"type", "error"}, {"id", h.bus.sent.back()["id"]}, {"code", "timeout"}, {"message", "slow"}});
  ASSERT_EQ(err.size(), 1u);
  EXPECT_EQ(err[0]["result"]["content"][0]["text"], "timeout: slow");
  // notifications/cancelled: tools.cancel names the call; the call's answer is not sent.
  h.request(4, "tools/call", {{"name", "everything_echo"}, {"arguments", {{"message", "y"}}}});
  const auto call_id = h.bus.sent.back()["id"];
  h.notify("notifications/cancelled", {{"requestId", 4}});
  EXPECT_EQ(h.bus.sent.back()["op"], "tools.cancel");
  EXPECT_EQ(h.bus.sent.back()["call"], call_id);
  EXPECT_TRUE(h.reply({{"type", "tools.cancelled"}, {"id", h.bus.sent.back()["id"]}, {"call", call_id}, {"cancelled", true}}).empty());
  EXPECT_TRUE(h.reply({{"type", "error"}, {"id", call_id}, {"code", "cancelled"}, {"message", "x"}}).empty());
  EXPECT_EQ(h.s.in_flight(), 0u);
}
