// The MCP client side (actors/mcp_client) against the reference server @modelcontextprotocol/server-everything,
// run by a real paiosd from mcp.servers: its tools are mounted under a prefix in tools.list and called with
// tools.call; a call past its timeout fails as `timeout` and the server stays usable; a killed server is
// restarted and its call in flight fails clearly; a missing program is a state in `ai status`, not a crash; a
// mounted tool is called through a real `ai mcp`, as Claude Code would; no server outlives paiosd.
// The server is installed from npm into the build tree (tests/mcp/install_sdk.sh); the tests are skipped, saying
// why, only when npm cannot reach its registry. The last tests use tests/fake_agents/fake-mcp-server instead, for
// what the reference server does not do on demand: paging, other protocol versions, a server's own requests,
// list changes, a slow start.
#include <gtest/gtest.h>
#include <signal.h>

#include <algorithm>
#include <cerrno>

#include "tests/support/mcp_child.hpp"
#include "tests/support/test_support.hpp"

using nlohmann::json;
using namespace paios::test;  // the tests' shared support (tests/support)
using std::chrono::milliseconds;
using std::chrono::seconds;

namespace {

std::filesystem::path everything_dir() { return binary_dir() / "mcp-everything"; }

// "" once the server is installed; the reason to skip when npm cannot reach its registry. Any other failure
// to install fails the test.
std::string install_everything() {
  static const std::string why = [] {
    auto r = run_program({"/bin/bash", (source_dir() / "tests/mcp/install_sdk.sh").string(),
                                       everything_dir().string(), "server-everything"},
                                      {}, {}, seconds(700));
    if (r.exit_code == 77) return "npm cannot reach its registry, so @modelcontextprotocol/server-everything is not installed: " + r.err;
    if (r.exit_code != 0) return "FAILED: " + r.out + r.err;
    return std::string{};
  }();
  return why;
}

#define REQUIRE_EVERYTHING()                                          \
  do {                                                                \
    auto why = install_everything();                                  \
    ASSERT_EQ(why.rfind("FAILED", 0), std::string::npos) << why;      \
    if (!why.empty()) GTEST_SKIP() << why;                            \
  } while (0)

json server(json extra = json::object()) {
  json s{{"command",
          {"node", (everything_dir() / "node_modules/@modelcontextprotocol/server-everything/dist/index.js").string(),
           "stdio"}}};
  s.update(extra);
  return s;
}

json config(json servers) {
  return {{"mcp", {{"servers", std::move(servers)}}}, {"tasks", {{"default_brain", "echo"}, {"failover", json::array()}}}};
}

json request(wire_peer& peer, json req, milliseconds timeout = seconds(40)) {
  req["v"] = 1;
  if (!req.contains("id")) req["id"] = "r";
  auto replies = peer.exchange(req, timeout);
  return replies.empty() ? json() : replies.back();
}

json call(wire_peer& peer, const std::string& name, json arguments = json::object()) {
  return request(peer, {{"op", "tools.call"}, {"name", name}, {"arguments", std::move(arguments)}});
}

std::string text_of(const json& reply) { return reply["result"]["content"][0].value("text", ""); }

// The status of one MCP server, from the daemon's status.
json server_status(wire_peer& peer, const std::string& name) {
  auto s = request(peer, {{"op", "status"}});
  for (auto& m : s.value("mcp", json::array()))
    if (m.value("name", "") == name) return m;
  return json::object();
}

// Waits until `pred` holds for the server's status; returns the last status seen.
template <class Pred>
json wait_status(wire_peer& peer, const std::string& name, Pred pred, milliseconds timeout = seconds(30)) {
  return poll_until([&] { return server_status(peer, name); }, pred, timeout);
}

bool ready(const json& s) { return s.value("state", "") == "ready"; }

bool alive(pid_t pid) { return kill(pid, 0) == 0 || errno != ESRCH; }

}  // namespace

TEST(McpClient, ToolsAreMountedUnderThePrefixAndCalled) {
  REQUIRE_EVERYTHING();
  daemon_process d{config({{"everything", server()}})};
  d.start();
  wire_peer peer{d.endpoint()};
  auto st = wait_status(peer, "everything", ready);
  ASSERT_TRUE(ready(st)) << st.dump() << d.log();
  EXPECT_EQ(st.value("protocol_version", ""), "2025-11-25");
  EXPECT_EQ(st.value("prefix", ""), "everything_");
  EXPECT_EQ(st.value("restarts", -1), 0);

  auto list = request(peer, {{"op", "tools.list"}});
  ASSERT_EQ(list.value("type", ""), "tools") << list.dump();
  std::map<std::string, json> tools;
  for (auto& t : list["tools"]) tools[t.value("name", "")] = t;
  EXPECT_TRUE(tools.count("kb_search")) << "the mesh's own tools stay";
  ASSERT_TRUE(tools.count("everything_echo")) << list.dump();
  EXPECT_EQ(tools["everything_echo"].value("op", ""), "tools.call");
  EXPECT_EQ(tools["everything_echo"].value("server", ""), "everything");
  EXPECT_EQ(tools["everything_echo"]["inputSchema"]["properties"]["message"]["type"], "string");
  ASSERT_TRUE(tools.count("everything_get-sum"));
  ASSERT_TRUE(tools.count("everything_get-structured-content"));
  EXPECT_TRUE(tools["everything_get-structured-content"].contains("outputSchema"));
  int mounted = 0;  // the server's tools: the mesh's own run other operations
  for (const auto& [name, t] : tools) mounted += t.value("op", "") == "tools.call";
  EXPECT_EQ(st.value("tools", 0), mounted) << "every tool of the server is mounted";

  auto echo = call(peer, "everything_echo", {{"message", "hello mesh"}});
  ASSERT_EQ(echo.value("type", ""), "tools.result") << echo.dump();
  EXPECT_EQ(echo.value("name", ""), "everything_echo");
  EXPECT_EQ(echo.value("server", ""), "everything");
  EXPECT_EQ(text_of(echo), "Echo: hello mesh");
  auto sum = call(peer, "everything_get-sum", {{"a", 2}, {"b", 40}});
  ASSERT_EQ(sum.value("type", ""), "tools.result") << sum.dump();
  EXPECT_NE(text_of(sum).find("42"), std::string::npos) << sum.dump();
  auto structured = call(peer, "everything_get-structured-content", {{"location", "Chicago"}});
  ASSERT_EQ(structured.value("type", ""), "tools.result") << structured.dump();
  EXPECT_TRUE(structured["result"].contains("structuredContent")) << structured.dump();

  // Errors are values with codes.
  auto unknown = call(peer, "everything_nope");
  EXPECT_EQ(unknown.value("code", ""), "not_found") << unknown.dump();
  auto unmounted = call(peer, "nobody_echo");
  EXPECT_EQ(unmounted.value("code", ""), "not_found") << unmounted.dump();
  auto bad = request(peer, {{"op", "tools.call"}, {"name", "everything_echo"}, {"arguments", "text"}});
  EXPECT_EQ(bad.value("code", ""), "bad_request") << bad.dump();
  EXPECT_NE(bad.value("message", "").find("arguments"), std::string::npos);

  // No orphan: the server's process goes with the daemon.
  const pid_t pid = server_status(peer, "everything").value("pid", 0);
  ASSERT_GT(pid, 0);
  EXPECT_TRUE(alive(pid));
  EXPECT_EQ(d.stop(), 0) << d.log();
  EXPECT_FALSE(alive(pid)) << "the MCP server outlived paiosd";
}

TEST(McpClient, ACallPastItsTimeoutFailsAndTheServerStaysUsable) {
  REQUIRE_EVERYTHING();
  daemon_process d{config({{"slow", server({{"timeout_ms", 1500}})}})};
  d.start();
  wire_peer peer{d.endpoint()};
  ASSERT_TRUE(ready(wait_status(peer, "slow", ready))) << d.log();
  auto start = std::chrono::steady_clock::now();
  auto r = call(peer, "slow_trigger-long-running-operation", {{"duration", 10}, {"steps", 5}});
  auto took = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(r.value("code", ""), "timeout") << r.dump();
  EXPECT_NE(r.value("message", "").find("1500 ms"), std::string::npos) << r.dump();
  EXPECT_LT(took, seconds(5));
  auto st = server_status(peer, "slow");
  EXPECT_EQ(st.value("state", ""), "ready") << st.dump();
  EXPECT_EQ(st.value("in_flight", -1), 0);
  auto echo = call(peer, "slow_echo", {{"message", "still here"}});
  EXPECT_EQ(text_of(echo), "Echo: still here") << echo.dump();
  EXPECT_EQ(server_status(peer, "slow").value("restarts", -1), 0) << "a timeout does not restart the server";

  // kill -9 of paiosd takes the server with it (PR_SET_PDEATHSIG): no orphan even then.
  const pid_t pid = server_status(peer, "slow").value("pid", 0);
  ASSERT_GT(pid, 0);
  d.kill9();
  EXPECT_TRUE(poll_until([&] { return !alive(pid); }, seconds(10), milliseconds(50))) << "the MCP server outlived a kill -9 of paiosd";
}

TEST(McpClient, AKilledServerIsRestartedAndItsCallFailsClearly) {
  REQUIRE_EVERYTHING();
  daemon_process d{config({{"everything", server({{"prefix", "ev."}})}})};
  d.start();
  wire_peer peer{d.endpoint()};
  auto st = wait_status(peer, "everything", ready);
  ASSERT_TRUE(ready(st)) << d.log();
  const pid_t first = st.value("pid", 0);
  ASSERT_GT(first, 0);

  // A call in flight when the server dies.
  wire_peer caller{d.endpoint()};
  caller.send({{"v", 1}, {"op", "tools.call"}, {"id", "long"}, {"name", "ev.trigger-long-running-operation"},
               {"arguments", {{"duration", 20}, {"steps", 2}}}});
  wait_status(peer, "everything", [](const json& s) { return s.value("in_flight", 0) == 1; }, seconds(5));
  ASSERT_EQ(kill(first, SIGKILL), 0);
  auto failed = caller.receive(seconds(10));
  ASSERT_TRUE(failed);
  EXPECT_EQ(failed->value("code", ""), "tool_failed") << failed->dump();
  EXPECT_NE(failed->value("message", "").find("ended during the call"), std::string::npos) << failed->dump();
  EXPECT_NE(failed->value("message", "").find("signal 9"), std::string::npos) << failed->dump();

  st = wait_status(peer, "everything", [&](const json& s) { return ready(s) && s.value("pid", 0) != first; });
  ASSERT_TRUE(ready(st)) << st.dump() << d.log();
  EXPECT_EQ(st.value("restarts", 0), 1);
  EXPECT_NE(st.value("last_error", "").find("signal 9"), std::string::npos) << st.dump();
  EXPECT_FALSE(alive(first));
  auto echo = call(peer, "ev.echo", {{"message", "back"}});
  EXPECT_EQ(text_of(echo), "Echo: back") << echo.dump();

  // The event log tells the story: started, ended (and why), started again.
  auto events = request(peer, {{"op", "obs.query"}, {"category", "mcp"}, {"limit", 10}});
  std::vector<std::string> seen;
  for (auto& e : events.value("events", json::array())) seen.push_back(e.value("action", "") + ":" + e.value("status", ""));
  std::sort(seen.begin(), seen.end());
  EXPECT_EQ(seen, (std::vector<std::string>{"exit:exited", "start:ok", "start:ok"})) << events.dump();
}

TEST(McpClient, AMissingProgramIsAStatusNotACrash) {
  REQUIRE_EVERYTHING();
  daemon_process d{config({{"broken", {{"command", {"/nonexistent/mcp-server", "--stdio"}}}},
                           {"missing", {{"command", {"paios-no-such-mcp-server"}}}},
                           {"everything", server()}})};
  d.start();
  wire_peer peer{d.endpoint()};
  auto broken = wait_status(peer, "broken", [](const json& s) { return !s.value("last_error", "").empty(); });
  EXPECT_NE(broken.value("last_error", "").find("/nonexistent/mcp-server"), std::string::npos) << broken.dump();
  EXPECT_NE(broken.value("state", ""), "ready");
  auto missing = wait_status(peer, "missing", [](const json& s) { return !s.value("last_error", "").empty(); });
  EXPECT_NE(missing.value("last_error", "").find("not found on PATH"), std::string::npos) << missing.dump();
  auto r = call(peer, "broken_echo", {{"message", "x"}});
  EXPECT_EQ(r.value("code", ""), "tool_failed") << r.dump();
  EXPECT_NE(r.value("message", "").find("not running"), std::string::npos) << r.dump();

  // The rest of the daemon, and the other servers, go on; the tree is whole.
  ASSERT_TRUE(ready(wait_status(peer, "everything", ready))) << d.log();
  EXPECT_EQ(text_of(call(peer, "everything_echo", {{"message", "fine"}})), "Echo: fine");
  // The broken ones are started again and fail again, a few times, and the daemon takes it.
  for (const auto* name : {"broken", "missing"}) {
    auto again = wait_status(peer, name, [](const json& s) { return s.value("restarts", 0) >= 2; });
    EXPECT_GE(again.value("restarts", 0), 2) << again.dump();
  }
  EXPECT_TRUE(d.running());
  auto text = d.ai({"status"});
  EXPECT_EQ(text.exit_code, 0) << text.err;
  EXPECT_NE(text.out.find("mcp servers:"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("broken"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("last error: cannot start"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("everything"), std::string::npos) << text.out;
  auto js = json::parse(d.ai({"status", "--json"}).out, nullptr, false);
  ASSERT_TRUE(js.is_object());
  for (auto& c : js["tree"]["children"])
    EXPECT_EQ(c.value("state", ""), "running") << c.dump();
}

TEST(McpClient, AMountedToolThroughAiMcp) {
  REQUIRE_EVERYTHING();
  daemon_process d{config({{"everything", server({{"timeout_ms", 60000}})}})};
  d.start();
  wire_peer peer{d.endpoint()};
  ASSERT_TRUE(ready(wait_status(peer, "everything", ready))) << d.log();
  mcp_child m{{ai_path().string(), "--home", d.home().string(), "mcp"}};
  auto init = m.request(0, "initialize", {{"protocolVersion", "2025-11-25"}, {"capabilities", json::object()},
                                          {"clientInfo", {{"name", "mcp_client_test"}, {"version", "1"}}}});
  ASSERT_EQ(init["result"]["protocolVersion"], "2025-11-25") << init.dump() << m.err();
  m.notify("notifications/initialized");
  auto list = m.request(1, "tools/list");
  std::map<std::string, json> tools;
  for (auto& t : list["result"]["tools"]) tools[t.value("name", "")] = t;
  ASSERT_TRUE(tools.count("everything_echo")) << list.dump() << m.err();
  EXPECT_FALSE(tools["everything_echo"].contains("op")) << "the bus's fields stay inside";
  EXPECT_TRUE(tools["everything_get-structured-content"].contains("outputSchema"));

  auto echo = m.call_tool("everything_echo", {{"message", "through ai mcp"}});
  EXPECT_EQ(echo["result"]["content"][0].value("text", ""), "Echo: through ai mcp") << echo.dump() << m.err();
  EXPECT_FALSE(echo["result"].value("isError", false));
  auto structured = m.call_tool("everything_get-structured-content", {{"location", "New York"}});
  EXPECT_TRUE(structured["result"].contains("structuredContent")) << structured.dump();
  auto wrong = m.call_tool("everything_get-sum", {{"a", "two"}, {"b", 3}});
  EXPECT_TRUE(wrong["result"].value("isError", false)) << "arguments checked against the server's inputSchema: "
                                                       << wrong.dump();

  // notifications/cancelled reaches the server: the call is no longer in flight long before it would end.
  m.send_line(json{{"jsonrpc", "2.0"}, {"id", "long"}, {"method", "tools/call"},
                   {"params", {{"name", "everything_trigger-long-running-operation"},
                               {"arguments", {{"duration", 30}, {"steps", 3}}}}}}
                  .dump());
  auto busy = wait_status(peer, "everything", [](const json& s) { return s.value("in_flight", 0) == 1; }, seconds(5));
  ASSERT_EQ(busy.value("in_flight", 0), 1) << busy.dump();
  m.notify("notifications/cancelled", {{"requestId", "long"}, {"reason", "test"}});
  auto idle = wait_status(peer, "everything", [](const json& s) { return s.value("in_flight", 1) == 0; }, seconds(5));
  EXPECT_EQ(idle.value("in_flight", 1), 0) << idle.dump();
  EXPECT_EQ(m.call_tool("everything_echo", {{"message", "after"}})["result"]["content"][0].value("text", ""), "Echo: after");
}

TEST(McpClient, AnMcpBrainAnswersWithTheToolsText) {
  REQUIRE_EVERYTHING();
  auto cfg = config({{"everything", server()}});
  cfg["brains"] = {{"echoer", {{"kind", "mcp"}, {"server", "everything"}, {"tool", "echo"}, {"prompt_argument", "message"}}},
                   {"slowpoke", {{"kind", "mcp"}, {"server", "everything"}, {"tool", "trigger-long-running-operation"},
                                 {"prompt_argument", "note"}, {"arguments", {{"duration", 30}, {"steps", 3}}}}}};
  daemon_process d{cfg};
  d.start();
  wire_peer peer{d.endpoint()};
  ASSERT_TRUE(ready(wait_status(peer, "everything", ready))) << d.log();
  auto replies = peer.exchange({{"v", 1}, {"op", "task.submit"}, {"id", "t1"}, {"prompt", "hello from a task"}, {"brain", "echoer"}});
  ASSERT_FALSE(replies.empty());
  auto& last = replies.back();
  EXPECT_EQ(last.value("type", ""), "result") << last.dump() << d.log();
  EXPECT_EQ(last.value("text", ""), "Echo: hello from a task") << last.dump();
  bool streamed = false;
  for (auto& r : replies) streamed = streamed || (r.value("type", "") == "chunk" && r.value("text", "") == "Echo: hello from a task");
  EXPECT_TRUE(streamed) << "the text comes as a chunk too";

  // A task timeout shorter than the tool: the task times out and the server's call is cancelled.
  replies = peer.exchange({{"v", 1}, {"op", "task.submit"}, {"id", "t2"}, {"prompt", "x"}, {"brain", "slowpoke"},
                           {"timeout_ms", 1000}}, seconds(20));
  ASSERT_FALSE(replies.empty());
  EXPECT_EQ(replies.back().value("code", ""), "timeout") << replies.back().dump();
  auto idle = wait_status(peer, "everything", [](const json& s) { return s.value("in_flight", 1) == 0; }, seconds(5));
  EXPECT_EQ(idle.value("in_flight", 1), 0) << idle.dump();
}

// ---- Against tests/fake_agents/fake-mcp-server: what the reference server does not show on demand ----------

namespace {
json fake(json env, json extra = json::object()) {
  json s{{"command", {fake_agent("fake-mcp-server").string()}}, {"env", std::move(env)}};
  s.update(extra);
  return s;
}
}  // namespace

TEST(McpClient, PagingOlderVersionsServerPingsAndListChanges) {
  daemon_process d{config({{"fake", fake({{"FAKE_MCP_PAGES", "3"}, {"FAKE_MCP_VERSION", "2025-03-26"}})}})};
  d.start();
  wire_peer peer{d.endpoint()};
  auto st = wait_status(peer, "fake", ready);
  ASSERT_TRUE(ready(st)) << st.dump() << d.log();
  EXPECT_EQ(st.value("protocol_version", ""), "2025-03-26") << "an older version the server answers is accepted";
  EXPECT_EQ(st.value("tools", 0), 6) << "every page of tools/list: " << st.dump();
  EXPECT_EQ(text_of(call(peer, "fake_t2", {{"text", "from the last page"}})), "from the last page");
  // The server asks the client something (a ping) in the middle of a call: the client answers.
  EXPECT_EQ(text_of(call(peer, "fake_ping_me")), "pong:{}");
  // notifications/tools/list_changed: the client lists again.
  EXPECT_EQ(text_of(call(peer, "fake_change")), "changed");
  auto listed = wait_status(peer, "fake", [](const json& s) { return s.value("tools", 0) == 7; }, seconds(5));
  EXPECT_EQ(listed.value("tools", 0), 7) << listed.dump();
  EXPECT_EQ(text_of(call(peer, "fake_added", {{"text", "new"}})), "new");
  auto unknown = call(peer, "fake_nope");
  EXPECT_EQ(unknown.value("code", ""), "not_found") << unknown.dump();
}

TEST(McpClient, AVersionThisClientDoesNotSpeakIsAnError) {
  daemon_process d{config({{"old", fake({{"FAKE_MCP_VERSION", "2024-11-05"}})}})};
  d.start();
  wire_peer peer{d.endpoint()};
  auto st = wait_status(peer, "old", [](const json& s) { return !s.value("last_error", "").empty(); });
  EXPECT_NE(st.value("last_error", "").find("2024-11-05"), std::string::npos) << st.dump();
  EXPECT_NE(st.value("state", ""), "ready");
  EXPECT_TRUE(d.running());
}

TEST(McpClient, ToolsListRightAfterTheStartWaitsForAStartingServer) {
  daemon_process d{config({{"fake", fake({{"FAKE_MCP_DELAY_MS", "600"}})}})};
  d.start();
  wire_peer peer{d.endpoint()};
  auto list = request(peer, {{"op", "tools.list"}});
  bool mounted = false;
  for (auto& t : list.value("tools", json::array())) mounted = mounted || t.value("name", "") == "fake_echo";
  EXPECT_TRUE(mounted) << "a server still starting is waited for (briefly): " << list.dump().substr(0, 300);
}
