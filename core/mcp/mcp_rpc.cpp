#include "core/mcp/mcp_rpc.hpp"

namespace paios::mcp_rpc {

using nlohmann::json;

namespace {
std::string line_of(const json& j) {
  // A server's text may be invalid UTF-8; replace rather than throw.
  return j.dump(-1, ' ', false, json::error_handler_t::replace) + "\n";
}
}  // namespace

void line_splitter::feed(std::string_view bytes, std::vector<std::string>& lines) {
  while (!bytes.empty()) {
    auto nl = bytes.find('\n');
    auto part = bytes.substr(0, nl);
    if (!skipping_) {
      buf_.append(part);
      if (buf_.size() > max_line_) {
        buf_.clear();
        skipping_ = true;
        ++dropped_;
      }
    }
    if (nl == std::string_view::npos) return;
    bytes.remove_prefix(nl + 1);
    if (skipping_) {
      skipping_ = false;
      continue;
    }
    if (!buf_.empty() && buf_.back() == '\r') buf_.pop_back();
    if (buf_.find_first_not_of(" \t") != std::string::npos) lines.push_back(std::move(buf_));
    buf_.clear();
  }
}

std::string request_line(std::int64_t id, std::string_view method, const json& params) {
  return line_of({{"jsonrpc", "2.0"}, {"id", id}, {"method", method}, {"params", params}});
}

std::string notification_line(std::string_view method, const json& params) {
  json j{{"jsonrpc", "2.0"}, {"method", method}};
  if (!params.is_null()) j["params"] = params;
  return line_of(j);
}

std::string result_line(const json& id, const json& result) {
  return line_of({{"jsonrpc", "2.0"}, {"id", id}, {"result", result}});
}

std::string error_line(const json& id, int code, std::string_view message) {
  return line_of({{"jsonrpc", "2.0"}, {"id", id}, {"error", {{"code", code}, {"message", message}}}});
}

message parse(std::string_view line) {
  message m;
  auto j = json::parse(line, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    m.text = j.is_discarded() ? "not JSON" : "not a JSON object";
    return m;
  }
  if (j.value("jsonrpc", "") != "2.0") {
    m.text = "jsonrpc is not \"2.0\"";
    return m;
  }
  auto id = j.find("id");
  const bool has_id = id != j.end() && (id->is_string() || id->is_number_integer());
  if (auto meth = j.find("method"); meth != j.end()) {
    if (!meth->is_string()) {
      m.text = "method is not a string";
      return m;
    }
    m.method = meth->get<std::string>();
    m.params = j.value("params", json());
    if (has_id) m.id = *id;
    m.what = has_id ? message::kind::request : message::kind::notification;
    return m;
  }
  if (!has_id) {
    m.text = "a response without a usable id";
    return m;
  }
  m.id = *id;
  if (auto r = j.find("result"); r != j.end()) {
    m.result = *r;
    m.what = message::kind::response;
    return m;
  }
  if (auto e = j.find("error"); e != j.end() && e->is_object()) {
    m.code = e->value("code", json(0)).is_number_integer() ? e->value("code", 0) : 0;
    auto text = e->find("message");
    m.text = text != e->end() && text->is_string() ? text->get<std::string>() : "(no message)";
    m.what = message::kind::error;
    return m;
  }
  m.text = "a response with neither result nor error";
  return m;
}

json initialize_params(std::string_view client_version) {
  return {{"protocolVersion", kProtocolVersion},
          {"capabilities", json::object()},
          {"clientInfo", {{"name", "paiosd"}, {"title", "PAIOS"}, {"version", client_version}}}};
}

expected<std::string> accepted_version(const json& r) {
  if (!r.is_object() || !r.contains("protocolVersion") || !r["protocolVersion"].is_string())
    return status{errc::tool_failed, "the initialize result has no protocolVersion"};
  auto v = r["protocolVersion"].get<std::string>();
  for (const char* known : {"2025-11-25", "2025-06-18", "2025-03-26"})
    if (v == known) return v;
  return status{errc::tool_failed, "the server speaks MCP " + v + "; this client speaks 2025-11-25, 2025-06-18 and 2025-03-26"};
}

expected<json> mount_tool(const json& tool, const std::string& prefix, const std::string& server,
                          std::int64_t timeout_ms) {
  if (!tool.is_object() || !tool.contains("name") || !tool["name"].is_string() || tool["name"].get<std::string>().empty())
    return status{errc::tool_failed, "a tool without a name"};
  const auto name = tool["name"].get<std::string>();
  // MCP asks for an object schema: the arguments are an object.
  if (!tool.contains("inputSchema") || !tool["inputSchema"].is_object() || tool["inputSchema"].value("type", json()) != "object")
    return status{errc::tool_failed, "tool '" + name + "' has no inputSchema of type object"};
  json out = json::object();
  out["name"] = prefix + name;
  if (tool.contains("title") && tool["title"].is_string()) out["title"] = tool["title"];
  out["description"] = tool.contains("description") && tool["description"].is_string() ? tool["description"] : json("");
  out["op"] = "tools.call";
  out["server"] = server;
  out["tool"] = name;
  out["inputSchema"] = tool["inputSchema"];
  if (tool.contains("outputSchema") && tool["outputSchema"].is_object()) out["outputSchema"] = tool["outputSchema"];
  if (tool.contains("annotations") && tool["annotations"].is_object()) out["annotations"] = tool["annotations"];
  // The daemon's own limit plus a margin: a client that waits this long sees the daemon's timeout error.
  out["timeout_ms"] = timeout_ms + 2000;
  return out;
}

}  // namespace paios::mcp_rpc
