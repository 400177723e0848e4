#include "bridges/mcp/jsonrpc.hpp"

#include "messages/json_writer.hpp"

namespace paios::jsonrpc {
namespace {

using nlohmann::json;

message invalid(int code, std::string why, json id = nullptr) {
  message m;
  m.what = message::kind::invalid;
  m.error_code = code;
  m.error_message = std::move(why);
  m.id = std::move(id);
  return m;
}

bool valid_id(const json& id) { return id.is_string() || id.is_number_integer(); }

// Text from a peer or an agent may hold bytes that are not UTF-8: they become U+FFFD rather than an exception.
}  // namespace

message parse(std::string_view line) {
  if (line.find_first_not_of(" \t\r\n") == std::string_view::npos) return {};
  json doc = json::parse(line.begin(), line.end(), nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) return invalid(parse_error, "parse error: the line is not valid JSON");
  if (doc.is_array())
    return invalid(invalid_request,
                   "invalid request: JSON-RPC batches are not supported (MCP removed them in 2025-06-18); send one "
                   "message per line");
  if (!doc.is_object()) return invalid(invalid_request, "invalid request: a message must be a JSON object");

  // The id first, so that every later error can name the request it answers.
  auto id_it = doc.find("id");
  const bool has_id = id_it != doc.end();
  json id = has_id && valid_id(*id_it) ? *id_it : json(nullptr);
  auto jv = doc.find("jsonrpc");
  if (jv == doc.end() || !jv->is_string() || jv->get_ref<const std::string&>() != "2.0")
    return invalid(invalid_request, "invalid request: \"jsonrpc\" must be \"2.0\"", id);
  if (has_id && !valid_id(*id_it))
    return invalid(invalid_request, "invalid request: \"id\" must be a string or an integer");

  auto method = doc.find("method");
  if (method == doc.end()) {
    if (has_id && (doc.contains("result") || doc.contains("error"))) {
      message m;
      m.what = message::kind::response;
      m.id = std::move(id);
      return m;
    }
    return invalid(invalid_request, "invalid request: \"method\" is missing", id);
  }
  if (!method->is_string()) return invalid(invalid_request, "invalid request: \"method\" must be a string", id);

  message m;
  m.what = has_id ? message::kind::request : message::kind::notification;
  m.id = std::move(id);
  m.method = method->get<std::string>();
  auto params = doc.find("params");
  if (params == doc.end() || params->is_null()) {
    if (params != doc.end())
      return invalid(invalid_request, "invalid request: \"params\" must be an object when present", m.id);
    m.params = json::object();
  } else if (params->is_object()) {
    m.params = std::move(*params);
  } else if (params->is_array()) {
    // Well-formed JSON-RPC, but no MCP method takes its params by position. A notification gets no answer,
    // whatever is wrong with it: it arrives with no params, which every notification handler ignores.
    if (m.what == message::kind::notification) m.params = json::object();
    else
      return invalid(invalid_params, "invalid params: MCP methods take their params as an object, not by position",
                     m.id);
  } else {
    return invalid(invalid_request, "invalid request: \"params\" must be an object", m.id);
  }
  return m;
}

std::string result(const json& id, const json& result) {
  return json_dump(json{{"jsonrpc", "2.0"}, {"id", id}, {"result", result}});
}

std::string error(const json& id, int code, std::string_view message, const json& data) {
  json err{{"code", code}, {"message", message}};
  if (!data.is_null()) err["data"] = data;
  return json_dump(json{{"jsonrpc", "2.0"}, {"id", id}, {"error", std::move(err)}});
}

std::string notification(std::string_view method, const json& params) {
  return json_dump(json{{"jsonrpc", "2.0"}, {"method", method}, {"params", params}});
}

}  // namespace paios::jsonrpc
