// The MCP client's JSON-RPC layer (core/mcp/mcp_rpc), without a server: line framing of a byte stream
// cut anywhere, each kind of message a server sends, the versions accepted from initialize, and how a server's
// tool is mounted under a prefix. And the "mcp" section of the configuration: defaults, and errors that name
// the field.
#include <gtest/gtest.h>

#include "config/config.hpp"
#include "core/mcp/mcp_rpc.hpp"

using nlohmann::json;
namespace rpc = paios::mcp_rpc;

TEST(McpRpc, LinesAreSplitWhereverTheStreamIsCut) {
  rpc::line_splitter s;
  std::vector<std::string> lines;
  const std::string stream = "{\"a\":1}\n\n{\"b\":2}\r\n  \n{\"c\":3}\n";
  for (char c : stream) s.feed(std::string_view{&c, 1}, lines);
  EXPECT_EQ(lines, (std::vector<std::string>{"{\"a\":1}", "{\"b\":2}", "{\"c\":3}"}));
  lines.clear();
  s.feed("{\"d\":", lines);
  EXPECT_TRUE(lines.empty()) << "half a line waits for its end";
  s.feed("4}\n", lines);
  EXPECT_EQ(lines, (std::vector<std::string>{"{\"d\":4}"}));
}

TEST(McpRpc, AnOverlongLineIsDroppedWholeAndCounted) {
  rpc::line_splitter s{16};
  std::vector<std::string> lines;
  s.feed(std::string(10, 'x'), lines);
  s.feed(std::string(10, 'y') + "\n{\"ok\":1}\n", lines);
  EXPECT_EQ(lines, (std::vector<std::string>{"{\"ok\":1}"}));
  EXPECT_EQ(s.dropped(), 1u);
}

TEST(McpRpc, RequestsAndNotificationsAreOneLineEach) {
  auto req = rpc::request_line(7, "tools/call", {{"name", "echo"}, {"arguments", {{"message", "a\nb"}}}});
  ASSERT_EQ(req.back(), '\n');
  EXPECT_EQ(req.find('\n'), req.size() - 1) << "a newline inside a string is escaped";
  auto j = json::parse(req);
  EXPECT_EQ(j["jsonrpc"], "2.0");
  EXPECT_EQ(j["id"], 7);
  EXPECT_EQ(j["method"], "tools/call");
  auto n = json::parse(rpc::notification_line("notifications/initialized", nullptr));
  EXPECT_FALSE(n.contains("id"));
  EXPECT_FALSE(n.contains("params"));
  auto c = json::parse(rpc::notification_line("notifications/cancelled", {{"requestId", 7}, {"reason", "timeout"}}));
  EXPECT_EQ(c["params"]["requestId"], 7);
  auto e = json::parse(rpc::error_line("s-1", -32601, "no"));
  EXPECT_EQ(e["id"], "s-1");
  EXPECT_EQ(e["error"]["code"], -32601);
  // Invalid UTF-8 from a tool's text is replaced, not thrown on.
  EXPECT_NO_THROW(rpc::request_line(1, "tools/call", {{"name", std::string("\xff\xfe")}}));
}

TEST(McpRpc, EachKindOfServerMessageIsRead) {
  using kind = rpc::message::kind;
  auto r = rpc::parse(R"({"jsonrpc":"2.0","id":3,"result":{"content":[]}})");
  EXPECT_EQ(r.what, kind::response);
  EXPECT_EQ(r.id, 3);
  EXPECT_TRUE(r.result.contains("content"));
  auto e = rpc::parse(R"({"jsonrpc":"2.0","id":4,"error":{"code":-32602,"message":"Invalid arguments"}})");
  EXPECT_EQ(e.what, kind::error);
  EXPECT_EQ(e.code, -32602);
  EXPECT_EQ(e.text, "Invalid arguments");
  auto q = rpc::parse(R"({"jsonrpc":"2.0","id":"s1","method":"ping"})");
  EXPECT_EQ(q.what, kind::request);
  EXPECT_EQ(q.method, "ping");
  EXPECT_EQ(q.id, "s1");
  auto n = rpc::parse(R"({"method":"notifications/tools/list_changed","jsonrpc":"2.0"})");
  EXPECT_EQ(n.what, kind::notification);
  EXPECT_EQ(n.method, "notifications/tools/list_changed");
  for (const char* bad : {"not json", "[1,2]", R"({"id":1,"result":{}})", R"({"jsonrpc":"2.0","result":{}})",
                          R"({"jsonrpc":"2.0","id":1})", R"({"jsonrpc":"2.0","method":7})"}) {
    auto m = rpc::parse(bad);
    EXPECT_EQ(m.what, kind::invalid) << bad;
    EXPECT_FALSE(m.text.empty()) << bad;
  }
}

TEST(McpRpc, TheServersVersionIsAcceptedWhenThisClientSpeaksIt) {
  auto init = rpc::initialize_params("1.2.3");
  EXPECT_EQ(init["protocolVersion"], "2025-11-25");
  EXPECT_EQ(init["clientInfo"]["version"], "1.2.3");
  for (const char* v : {"2025-11-25", "2025-06-18", "2025-03-26"}) {
    auto accepted = rpc::accepted_version({{"protocolVersion", v}});
    ASSERT_TRUE(accepted) << accepted.message();
    EXPECT_EQ(*accepted, v);
  }
  auto old = rpc::accepted_version({{"protocolVersion", "2024-11-05"}});
  ASSERT_FALSE(old);
  EXPECT_EQ(old.code(), paios::errc::tool_failed);
  EXPECT_NE(old.message().find("2024-11-05"), std::string::npos) << old.message();
  auto none = rpc::accepted_version(json::object());
  ASSERT_FALSE(none);
  EXPECT_NE(none.message().find("protocolVersion"), std::string::npos);
}

TEST(McpRpc, AToolIsMountedUnderItsPrefix) {
  json tool{{"name", "get-sum"},
            {"title", "Sum"},
            {"description", "Adds"},
            {"inputSchema", {{"type", "object"}, {"properties", {{"a", {{"type", "number"}}}}}}},
            {"outputSchema", {{"type", "object"}}},
            {"annotations", {{"readOnlyHint", true}}},
            {"execution", {{"taskSupport", "optional"}}}};
  auto mounted = rpc::mount_tool(tool, "everything_", "everything", 30000);
  ASSERT_TRUE(mounted) << mounted.message();
  const json& out = *mounted;
  EXPECT_EQ(out["name"], "everything_get-sum");
  EXPECT_EQ(out["tool"], "get-sum");
  EXPECT_EQ(out["server"], "everything");
  EXPECT_EQ(out["op"], "tools.call");
  EXPECT_EQ(out["title"], "Sum");
  EXPECT_EQ(out["inputSchema"], tool["inputSchema"]);
  EXPECT_EQ(out["outputSchema"], tool["outputSchema"]);
  EXPECT_EQ(out["annotations"], tool["annotations"]);
  EXPECT_FALSE(out.contains("execution")) << "only what the registry describes";
  EXPECT_GT(out["timeout_ms"].get<int>(), 30000) << "a client waits past the daemon's own limit";
  EXPECT_FALSE(rpc::mount_tool({{"name", "x"}}, "p_", "s", 1));
  auto not_object = rpc::mount_tool({{"name", "x"}, {"inputSchema", {{"type", "string"}}}}, "p_", "s", 1);
  ASSERT_FALSE(not_object);
  EXPECT_EQ(not_object.code(), paios::errc::tool_failed);
  EXPECT_NE(not_object.message().find("inputSchema"), std::string::npos);
  EXPECT_FALSE(rpc::mount_tool({{"inputSchema", json::object()}}, "p_", "s", 1));
}

TEST(McpConfig, ServersTakeTheSchemasDefaults) {
  auto r = paios::config_from_json({{"mcp", {{"servers", {{"everything", {{"command", {"npx", "-y", "x"}}}},
                                                          {"off", {{"command", {"y"}}, {"enabled", false}}},
                                                          {"fs", {{"command", {"z"}}, {"prefix", "files."},
                                                                  {"timeout_ms", 5000}, {"env", {{"A", "1"}}},
                                                                  {"cwd", "/tmp"}}}}}}}});
  ASSERT_TRUE(r.config) << (r.errors.empty() ? "" : r.errors[0]);
  const auto& s = r.config->mcp_servers;
  ASSERT_EQ(s.size(), 2u) << "a disabled server is not run";
  EXPECT_EQ(s[0].name, "everything");
  EXPECT_EQ(s[0].prefix, "everything_");
  EXPECT_EQ(s[0].timeout_ms, paios::mcp_server_config{}.timeout_ms);
  EXPECT_EQ(s[0].start_timeout_ms, paios::mcp_server_config{}.start_timeout_ms);
  EXPECT_EQ(s[0].command, (std::vector<std::string>{"npx", "-y", "x"}));
  EXPECT_EQ(s[1].name, "fs");
  EXPECT_EQ(s[1].prefix, "files.");
  EXPECT_EQ(s[1].timeout_ms, 5000);
  EXPECT_EQ(s[1].cwd, "/tmp");
  ASSERT_EQ(s[1].env.size(), 1u);
  EXPECT_TRUE(paios::config_from_json(json::object()).config->mcp_servers.empty()) << "none by default";
}

TEST(McpConfig, BadValuesAreErrorsNamingTheField) {
  auto errors_of = [](json servers) {
    auto r = paios::config_from_json({{"mcp", {{"servers", std::move(servers)}}}});
    std::string all;
    for (auto& e : r.errors) all += e + "\n";
    return all;
  };
  auto e = errors_of({{"a", {{"command", json::array()}, {"timeout_ms", 0}, {"cwd", "rel/dir"}, {"bogus", 1}}}});
  EXPECT_NE(e.find("mcp.servers.a.command"), std::string::npos) << e;
  EXPECT_NE(e.find("mcp.servers.a.timeout_ms"), std::string::npos) << e;
  EXPECT_NE(e.find("mcp.servers.a.cwd: must be an absolute path"), std::string::npos) << e;
  EXPECT_NE(e.find("mcp.servers.a.bogus"), std::string::npos) << e;
  e = errors_of({{"a", {{"timeout_ms", 10}}}});
  EXPECT_NE(e.find("mcp.servers.a"), std::string::npos) << e;
  EXPECT_NE(e.find("command"), std::string::npos) << "a server without a command: " << e;
  e = errors_of({{"a", {{"command", {"x"}}, {"prefix", "t_"}}}, {"b", {{"command", {"y"}}, {"prefix", "t_"}}}});
  EXPECT_NE(e.find("mcp.servers.b.prefix"), std::string::npos) << e;
  e = errors_of({{"Bad Name", {{"command", {"x"}}}}});
  EXPECT_NE(e.find("mcp.servers.Bad Name"), std::string::npos) << e;
  e = errors_of({{"a", {{"command", {"x"}}, {"prefix", "has space"}}}});
  EXPECT_NE(e.find("mcp.servers.a.prefix"), std::string::npos) << e;
  e = errors_of({{"a", {{"command", {"x"}}, {"env", {{"1BAD", "v"}}}}}});
  EXPECT_NE(e.find("mcp.servers.a.env.1BAD"), std::string::npos) << e;
}

TEST(McpConfig, AnMcpBrainNamesARunningServerAndATool) {
  auto servers = json{{"servers", {{"everything", {{"command", {"x"}}}}, {"off", {{"command", {"y"}}, {"enabled", false}}}}}};
  auto good = paios::config_from_json(
      {{"mcp", servers}, {"brains", {{"ev", {{"kind", "mcp"}, {"server", "everything"}, {"tool", "echo"}, {"arguments", {{"n", 1}}}}}}}});
  ASSERT_TRUE(good.config) << (good.errors.empty() ? "" : good.errors[0]);
  const paios::brain_config* b = nullptr;
  for (auto& x : good.config->brains)
    if (x.name == "ev") b = &x;
  ASSERT_TRUE(b);
  EXPECT_EQ(b->server, "everything");
  EXPECT_EQ(b->tool, "echo");
  EXPECT_EQ(b->prompt_argument, "prompt");
  EXPECT_EQ(json::parse(b->arguments), (json{{"n", 1}}));
  auto errors_of = [&](json brain) {
    auto r = paios::config_from_json({{"mcp", servers}, {"brains", {{"ev", std::move(brain)}}}});
    std::string all;
    for (auto& e : r.errors) all += e + "\n";
    return all;
  };
  auto e = errors_of({{"kind", "mcp"}});
  EXPECT_NE(e.find("brains.ev.server: is required"), std::string::npos) << e;
  EXPECT_NE(e.find("brains.ev.tool: is required"), std::string::npos) << e;
  e = errors_of({{"kind", "mcp"}, {"server", "nope"}, {"tool", "t"}});
  EXPECT_NE(e.find("brains.ev.server: no MCP server 'nope'"), std::string::npos) << e;
  e = errors_of({{"kind", "mcp"}, {"server", "off"}, {"tool", "t"}});
  EXPECT_NE(e.find("is disabled"), std::string::npos) << e;
  e = errors_of({{"kind", "mcp"}, {"server", "everything"}, {"tool", "t"}, {"command", {"x"}}});
  EXPECT_NE(e.find("brains.ev.command: only a process brain"), std::string::npos) << e;
  e = errors_of({{"kind", "echo"}, {"tool", "t"}});
  EXPECT_NE(e.find("brains.ev.tool: only an mcp brain"), std::string::npos) << e;
}
