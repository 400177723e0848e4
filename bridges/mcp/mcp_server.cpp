#include "bridges/mcp/mcp_server.hpp"

#include <algorithm>
#include <cinttypes>
#include <cstdio>

#include "bridges/mcp/jsonrpc.hpp"
#include "messages/json_writer.hpp"

#ifndef PAIOS_VERSION
#define PAIOS_VERSION "0.0.0"
#endif

namespace paios::mcp {
namespace {

using nlohmann::json;
using ms = std::chrono::milliseconds;

constexpr const char* kInstructions =
    "PAIOS runs AI agent CLIs (Claude Code, Codex, Gemini, ...) as supervised brains on this machine and keeps a "
    "shared knowledge base. Search it before you research (kb_search, learnings_recall), record what you learn "
    "(kb_add with kind \"learning\"), see where a task would go (router_classify), run a task on another brain "
    "(task_submit, task_status), run the scheduled jobs and pipelines the user configured (jobs_list, jobs_run, "
    "jobs_history, pipeline_list, pipeline_run, pipeline_status, pipeline_resume, pipeline_cancel), see the "
    "watched folders (watch_list), decide the tool calls of daemon tasks that wait for a person (approvals_list, "
    "approval_decide), and look at what happened (obs_query, obs_score, health).";

bool is_request_id(const json& j) { return j.is_string() || j.is_number_integer(); }

// The reply's members without the frame's own (v, type, id): the tool's structured result.
json body_of(const json& reply) {
  json body = reply;
  body.erase("v");
  body.erase("type");
  body.erase("id");
  return body;
}

// A bus error as the model reads it: "unknown_brain: unknown brain 'x'; known brains: ... (task t-...)".
std::string error_text(const json& reply) {
  std::string text = reply.value("code", std::string{"error"}) + ": " + reply.value("message", std::string{});
  if (auto task = reply.value("task_id", std::string{}); !task.empty()) text += " (task " + task + ")";
  return text;
}

// Cursors are opaque to the client: "t<offset>.<the list's fingerprint>", so that a cursor of another list (the
// daemon's list replaced ours between two pages) is refused instead of skipping tools.
std::string make_cursor(std::size_t offset, std::uint32_t fingerprint) {
  char buf[48];
  std::snprintf(buf, sizeof buf, "t%zu.%08" PRIx32, offset, fingerprint);
  return buf;
}

std::optional<std::size_t> read_cursor(const std::string& cursor, std::uint32_t fingerprint, std::size_t size) {
  std::size_t offset = 0;
  std::uint32_t fp = 0;
  int used = 0;
  if (std::sscanf(cursor.c_str(), "t%zu.%8" SCNx32 "%n", &offset, &fp, &used) != 2 ||
      static_cast<std::size_t>(used) != cursor.size() || make_cursor(offset, fp) != cursor)
    return std::nullopt;
  if (fp != fingerprint || offset == 0 || offset >= size) return std::nullopt;
  return offset;
}

}  // namespace

// A tools/call in flight: its bus request, and what its replies have told so far.
struct session::call {
  json rpc_id;
  std::string key;  // jsonrpc::id_key(rpc_id)
  std::string bus_id;
  std::string tool;
  bool streamed = false;
  bool mounted = false;  // a tool of an MCP server paiosd runs (op tools.call): its result is passed through
  int timeout_ms = 0;
  json progress_token;  // null: the client asked for no progress
  std::int64_t progress = 0;
  std::string task_id;  // streamed: from `accepted`
  bool cancelled = false;
  bool cancel_sent = false;
  bool checking = false;  // streamed: a liveness question is out
  clock::time_point deadline;
};

// A request waiting for the tool list.
struct session::parked {
  json id;
  std::string method;
  json params;
};

session::session(bus& link, std::function<void(std::string)> write, session_options opts)
    : bus_(link), write_(std::move(write)), opts_(std::move(opts)) {}

session::~session() = default;

void session::log(std::string_view line) const {
  if (opts_.log) opts_.log(line);
}

bool session::at_least(std::string_view version) const {
  return (version_.empty() ? kLatestVersion : std::string_view{version_}) >= version;  // ISO dates order as text
}

void session::reply(const json& id, const json& result) { write_(jsonrpc::result(id, result)); }

void session::reply_error(const json& id, int code, std::string_view message) {
  if (opts_.verbose) log("error " + std::to_string(code) + " to " + id.dump() + ": " + std::string{message});
  write_(jsonrpc::error(id, code, message));
}

// A tools/call answer, written as text: a tool's structured result is its JSON text already, included once
// as it is (a document tree would escape the same passages three times over).
void session::answer_tool(const json& id, std::string_view text, bool is_error, std::string_view structured) {
  json_array content;
  content.raw(json_object{}.str("type", "text").str("text", text).done());
  json_object result;
  result.raw("content", content.done()).boolean("isError", is_error);
  // structuredContent (and outputSchema) came with 2025-06-18.
  if (!structured.empty() && at_least("2025-06-18")) result.raw("structuredContent", structured);
  write_(json_object{}.str("jsonrpc", "2.0").raw("id", id.dump()).raw("result", result.done()).done());
}

std::size_t session::in_flight() const { return calls_.size() + waiting_.size(); }

bool session::finished() const { return input_closed_ && calls_.empty() && waiting_.empty(); }

void session::on_line(std::string_view line, clock::time_point now) {
  auto m = jsonrpc::parse(line);
  using kind = jsonrpc::message::kind;
  try {
    switch (m.what) {
      case kind::blank: return;
      case kind::invalid:
        log(m.error_message);
        write_(jsonrpc::error(m.id, m.error_code, m.error_message));
        return;
      case kind::response: log("ignored a response to id " + m.id.dump() + ": this server sends no requests"); return;
      case kind::notification: return handle_notification(m.method, m.params, now);
      case kind::request: return handle_request(m.id, m.method, m.params, now);
    }
  } catch (const std::exception& e) {
    // A bug, not the client's fault: say so, and keep the session.
    log(std::string{"internal error: "} + e.what());
    if (m.what == kind::request) write_(jsonrpc::error(m.id, jsonrpc::internal_error, std::string{"internal error: "} + e.what()));
  }
}

void session::refuse(std::string_view why) {
  log(why);
  write_(jsonrpc::error(nullptr, jsonrpc::invalid_request, why));
}

void session::handle_request(const json& id, const std::string& method, json& params, clock::time_point now) {
  if (opts_.verbose) log("<- " + method + " " + id.dump());
  const auto key = jsonrpc::id_key(id);
  auto reused = [&] {
    if (by_request_.count(key)) return true;
    return std::any_of(waiting_.begin(), waiting_.end(), [&](const parked& p) { return jsonrpc::id_key(p.id) == key; });
  };
  if (reused()) return reply_error(id, jsonrpc::invalid_request, "request id " + id.dump() + " is already in use by a request in flight");

  if (method == "initialize") return initialize(id, params);
  if (method == "ping") return reply(id, json::object());
  if (method == "tools/list") {
    if (params.contains("cursor") && !params["cursor"].is_string() && !params["cursor"].is_null())
      return reply_error(id, jsonrpc::invalid_params, "invalid params: cursor must be a string");
    return with_tools({id, method, std::move(params)}, now);
  }
  if (method == "tools/call") {
    auto name = params.find("name");
    if (name == params.end() || !name->is_string())
      return reply_error(id, jsonrpc::invalid_params, "invalid params: name (the tool's name, a string) is required");
    auto args = params.find("arguments");
    if (args != params.end() && !args->is_null() && !args->is_object())
      return reply_error(id, jsonrpc::invalid_params, "invalid params: arguments must be an object");
    auto meta = params.find("_meta");
    if (meta != params.end() && !meta->is_null() && !meta->is_object())
      return reply_error(id, jsonrpc::invalid_params, "invalid params: _meta must be an object");
    return with_tools({id, method, std::move(params)}, now);
  }
  reply_error(id, jsonrpc::method_not_found, "method not found: " + method);
}

void session::handle_notification(const std::string& method, const json& params, clock::time_point now) {
  if (opts_.verbose) log("<- " + method);
  if (method == "notifications/cancelled") {
    auto rid = params.find("requestId");
    if (rid == params.end() || !is_request_id(*rid)) return;  // nothing to cancel (a task-augmented cancel, or noise)
    auto reason = params.find("reason");
    log("client cancelled request " + rid->dump() +
        (reason != params.end() && reason->is_string() ? ": " + reason->get<std::string>() : std::string{}));
    cancel(*rid, now);
  }
  // Anything else (notifications/initialized, roots/list_changed, ...) asks nothing of this server: it serves
  // requests from the start, and sends none of its own that would have to wait for initialized.
}

void session::initialize(const json& id, const json& params) {
  if (!version_.empty())
    return reply_error(id, jsonrpc::invalid_request, "invalid request: the session is initialized already");
  auto requested = params.find("protocolVersion");
  if (requested == params.end() || !requested->is_string())
    return reply_error(id, jsonrpc::invalid_params, "invalid params: protocolVersion (a string) is required");
  for (const char* key : {"capabilities", "clientInfo"})
    if (params.contains(key) && !params[key].is_object())
      return reply_error(id, jsonrpc::invalid_params, std::string{"invalid params: "} + key + " must be an object");
  const auto& asked = requested->get_ref<const std::string&>();
  version_ = std::string{kLatestVersion};
  for (auto v : kSupportedVersions)
    if (asked == v) version_ = asked;
  std::string client = "a client";
  if (auto info = params.find("clientInfo"); info != params.end() && info->is_object())
    client = info->value("name", client) + " " + info->value("version", std::string{});
  log("session with " + client + ": asked for " + asked + ", speaking " + version_);
  json server{{"name", "paios"}, {"version", PAIOS_VERSION}};
  if (at_least("2025-06-18")) server["title"] = "PAIOS mesh";
  reply(id, {{"protocolVersion", version_},
             {"capabilities", {{"tools", {{"listChanged", false}}}}},
             {"serverInfo", std::move(server)},
             {"instructions", kInstructions}});
}

void session::with_tools(parked p, clock::time_point now) {
  auto run = [this, now](parked& q, const tool_set& tools) {
    if (q.method == "tools/list") list_tools(q.id, q.params, tools);
    else call_tool(q.id, q.params, tools, now);
  };
  if (daemon_tools_ && !fetching_) return run(p, *daemon_tools_);
  if (fetching_) return waiting_.push_back(std::move(p));
  std::string why;
  if (!bus_.ready(calls_.empty(), why)) return run(p, tool_set::embedded());  // paiosd is not running: our copy
  fetch_id_ = "tools-" + std::to_string(++next_bus_id_);
  if (!bus_.send(json{{"v", 1}, {"op", "tools.list"}, {"id", fetch_id_}})) {
    bus_.reset();
    return run(p, tool_set::embedded());
  }
  fetching_ = true;
  fetch_deadline_ = now + opts_.registry_timeout;
  waiting_.push_back(std::move(p));
}

void session::registry_arrived(const json* reply, clock::time_point now) {
  fetching_ = false;
  std::string error;
  std::optional<tool_set> got;
  if (!reply) error = "paiosd did not answer tools.list within " + std::to_string(opts_.registry_timeout.count()) + " ms";
  else if (reply->value("type", "") != "tools") error = "paiosd refused tools.list: " + error_text(*reply);
  else got = tool_set::parse(reply->value("tools", json()), error);
  if (!got) {
    log(error + "; serving the tools compiled into ai");
    got = tool_set::embedded();
  }
  daemon_tools_ = std::move(got);
  auto pending = std::move(waiting_);
  waiting_.clear();
  for (auto& p : pending) {
    if (p.method == "tools/list") list_tools(p.id, p.params, *daemon_tools_);
    else call_tool(p.id, p.params, *daemon_tools_, now);
  }
}

void session::list_tools(const json& id, const json& params, const tool_set& tools) {
  const auto& all = tools.all();
  std::size_t offset = 0;
  if (auto c = params.find("cursor"); c != params.end() && c->is_string()) {
    auto at = read_cursor(c->get<std::string>(), tools.fingerprint(), all.size());
    if (!at) return reply_error(id, jsonrpc::invalid_params, "invalid params: unknown cursor; list again without one");
    offset = *at;
  }
  const auto page = opts_.page_size ? opts_.page_size : all.size();
  const auto end = std::min(all.size(), offset + page);
  json out = json::array();
  for (auto i = offset; i < end; ++i) {
    json def = all[i].definition;
    if (!at_least("2025-06-18")) {  // title and outputSchema came with 2025-06-18
      def.erase("title");
      def.erase("outputSchema");
    }
    out.push_back(std::move(def));
  }
  json result{{"tools", std::move(out)}};
  if (end < all.size()) result["nextCursor"] = make_cursor(end, tools.fingerprint());
  reply(id, result);
}

void session::call_tool(const json& id, const json& params, const tool_set& tools, clock::time_point now) {
  const auto name = params["name"].get<std::string>();
  const tool* t = tools.find(name);
  if (!t) {
    std::string known;
    for (const auto& x : tools.all()) known += (known.empty() ? "" : ", ") + x.name;
    return reply_error(id, jsonrpc::invalid_params, "invalid params: unknown tool '" + name + "'; the tools are: " + known);
  }
  json args = params.contains("arguments") && params["arguments"].is_object() ? params["arguments"] : json::object();
  if (auto wrong = tool_set::check_arguments(*t, args); !wrong.empty()) {
    auto message = "invalid arguments for " + name + ": " + wrong;
    if (opts_.verbose) log(message);
    if (at_least("2025-11-25")) return answer_tool(id, message, true);
    return reply_error(id, jsonrpc::invalid_params, "invalid params: " + message);
  }
  json token;
  if (auto meta = params.find("_meta"); meta != params.end() && meta->is_object())
    if (auto pt = meta->find("progressToken"); pt != meta->end() && is_request_id(*pt)) token = *pt;

  std::string why;
  if (!bus_.ready(calls_.empty(), why)) {
    daemon_tools_.reset();  // when it comes back, it may be another version: ask for its list again
    return answer_tool(id, why, true);
  }
  auto c = std::make_unique<call>();
  c->rpc_id = id;
  c->key = jsonrpc::id_key(id);
  c->bus_id = "m" + std::to_string(++next_bus_id_);
  c->tool = name;
  c->streamed = t->streamed;
  c->mounted = t->op == "tools.call";
  c->timeout_ms = t->timeout_ms;
  c->progress_token = std::move(token);
  c->deadline = now + (c->streamed ? opts_.quiet_check : ms(c->timeout_ms));
  // A mounted tool's arguments are its server's business: they travel whole, under the tool's name.
  if (c->mounted) args = json{{"name", name}, {"arguments", std::move(args)}};
  // The arguments are the operation's fields (the schema admits no others, so they cannot set v, op or id).
  args["v"] = 1;
  args["op"] = t->op;
  args["id"] = c->bus_id;
  if (c->streamed) args["stream"] = !c->progress_token.is_null();  // chunks only when someone reads them
  if (!bus_.send(args)) {
    bus_.reset();
    return answer_tool(id, "cannot send to paiosd; try again", true);
  }
  by_request_[c->key] = c->bus_id;
  calls_[c->bus_id] = std::move(c);
}

void session::on_reply(const json& reply, clock::time_point now) {
  const auto id = reply.value("id", std::string{});
  if (fetching_ && id == fetch_id_) return registry_arrived(&reply, now);
  const auto slash = id.find('/');
  auto it = calls_.find(id.substr(0, slash));
  if (it == calls_.end()) {
    if (opts_.verbose) log("a reply for no call in flight: " + reply.dump().substr(0, 200));
    return;
  }
  auto& c = *it->second;
  if (slash == std::string::npos) return on_call_reply(c, reply, now);
  const auto what = id.substr(slash + 1);
  if (what == "check") return on_check_reply(c, reply, now);
  if (what == "cancel" && reply.value("type", "") == "error")
    log((c.mounted ? "tools.cancel of " + c.tool : "task.cancel of " + c.task_id) + ": " + error_text(reply));
}

void session::on_call_reply(call& c, const json& reply, clock::time_point now) {
  const auto type = reply.value("type", std::string{});
  if (!c.streamed) {
    if (c.cancelled) return end(c.bus_id);
    if (type == "error") return finish_error(c, error_text(reply));
    return finish_ok(c, body_of(reply));
  }
  c.checking = false;
  c.deadline = now + (c.cancelled ? opts_.cancel_grace : opts_.quiet_check);
  if (type == "accepted") {
    c.task_id = reply.value("task_id", std::string{});
    if (c.cancelled && !c.cancel_sent) send_cancel(c);
    progress(c, "accepted as task " + c.task_id);
  } else if (type == "routed") {
    progress(c, "routed to " + reply.value("brain", std::string{"?"}) + ": " + reply.value("reason", std::string{}));
  } else if (type == "chunk") {
    progress(c, reply.value("text", std::string{}));
  } else if (type == "result" || type == "error") {
    if (c.cancelled) return end(c.bus_id);
    if (type == "error") return finish_error(c, error_text(reply));
    finish_ok(c, body_of(reply));
  }
}

// The answer to a liveness question about a silent task: a pong (the task is not accepted yet) or its record.
void session::on_check_reply(call& c, const json& reply, clock::time_point now) {
  if (c.cancelled) return;
  const auto type = reply.value("type", std::string{});
  const json task = type == "task" ? reply.value("task", json::object()) : json::object();
  const auto state = task.value("state", std::string{});
  if (type == "pong" || state == "queued" || state == "running") {
    c.checking = false;
    c.deadline = now + opts_.quiet_check;
    return;
  }
  if (type == "error") return finish_error(c, "lost track of the task: " + error_text(reply));
  if (state == "succeeded") {
    // Its stream was lost (a part of the daemon restarted), but it finished: answer from the stored record.
    json body{{"task_id", c.task_id}, {"state", state}, {"brain", task.value("brain", std::string{})},
              {"text", task.value("text", std::string{})}, {"exit_code", task.value("exit_code", 0)},
              {"trace_id", task.value("trace_id", std::string{})}};
    if (task.contains("started_ms") && task.contains("finished_ms"))
      body["duration_ms"] = task["finished_ms"].get<std::int64_t>() - task["started_ms"].get<std::int64_t>();
    return finish_ok(c, std::move(body));
  }
  auto err = task.value("error", json::object());
  finish_error(c, err.value("code", state) + ": " + err.value("message", std::string{}) + " (task " + c.task_id + ")");
}

void session::progress(call& c, std::string message) {
  if (c.progress_token.is_null() || c.cancelled) return;
  json params{{"progressToken", c.progress_token}, {"progress", ++c.progress}};
  if (!message.empty()) params["message"] = std::move(message);
  write_(jsonrpc::notification("notifications/progress", params));
}

void session::finish_ok(call& c, const json& body) {
  if (!c.cancelled && c.mounted) {
    // The server's own CallToolResult, as its server gave it (structuredContent came with 2025-06-18).
    json result = body.value("result", json::object());
    if (!at_least("2025-06-18")) result.erase("structuredContent");
    if (!result.contains("content")) result["content"] = json::array();
    reply(c.rpc_id, result);
  } else if (!c.cancelled) {
    const auto text = body.dump(-1, ' ', false, json::error_handler_t::replace);
    answer_tool(c.rpc_id, text, false, text);
  }
  end(c.bus_id);
}

void session::finish_error(call& c, std::string text) {
  if (opts_.verbose) log(c.tool + ": " + text);
  if (!c.cancelled) answer_tool(c.rpc_id, text, true);
  end(c.bus_id);
}

void session::end(const std::string& bus_id) {
  auto it = calls_.find(bus_id);
  if (it == calls_.end()) return;
  auto r = by_request_.find(it->second->key);
  if (r != by_request_.end() && r->second == bus_id) by_request_.erase(r);
  calls_.erase(it);
}

void session::send_cancel(call& c) {
  c.cancel_sent = true;
  if (c.mounted) {
    bus_.send(json{{"v", 1}, {"op", "tools.cancel"}, {"id", c.bus_id + "/cancel"}, {"call", c.bus_id}});
    return;
  }
  bus_.send(json{{"v", 1}, {"op", "task.cancel"}, {"id", c.bus_id + "/cancel"}, {"task_id", c.task_id}});
}

void session::cancel(const json& request_id, clock::time_point now) {
  const auto key = jsonrpc::id_key(request_id);
  auto w = std::find_if(waiting_.begin(), waiting_.end(), [&](const parked& p) { return jsonrpc::id_key(p.id) == key; });
  if (w != waiting_.end()) {
    waiting_.erase(w);
    return;
  }
  auto r = by_request_.find(key);
  if (r == by_request_.end()) return;  // finished already, or never seen: nothing to do
  auto& c = *calls_.at(r->second);
  by_request_.erase(r);  // its id is free again; its answer will never be sent
  c.cancelled = true;
  c.deadline = now + opts_.cancel_grace;
  // A task that is not accepted yet is cancelled when its `accepted` arrives (on_call_reply).
  if (c.streamed && !c.task_id.empty() && !c.cancel_sent) send_cancel(c);
  if (c.mounted) send_cancel(c);  // the server gets notifications/cancelled
}

void session::cancel_all(clock::time_point now) {
  input_closed_ = true;
  waiting_.clear();
  std::vector<json> ids;
  for (auto& [bus_id, c] : calls_)
    if (!c->cancelled) ids.push_back(c->rpc_id);
  for (auto& id : ids) cancel(id, now);
}

std::optional<session::clock::time_point> session::next_deadline() const {
  std::optional<clock::time_point> next;
  auto consider = [&](clock::time_point t) {
    if (!next || t < *next) next = t;
  };
  if (fetching_) consider(fetch_deadline_);
  for (const auto& [id, c] : calls_) consider(c->deadline);
  return next;
}

void session::on_tick(clock::time_point now) {
  if (fetching_ && now >= fetch_deadline_) registry_arrived(nullptr, now);
  std::vector<std::string> due;
  for (const auto& [id, c] : calls_)
    if (c->deadline <= now) due.push_back(id);
  bool unanswered = false;
  for (const auto& id : due) {
    auto it = calls_.find(id);
    if (it == calls_.end()) continue;
    auto& c = *it->second;
    if (c.cancelled) {
      end(id);
    } else if (!c.streamed) {
      unanswered = true;
      finish_error(c, "paiosd did not answer " + c.tool + " within " + std::to_string(c.timeout_ms) + " ms");
    } else if (!c.checking) {
      // A silent task: ask about it (or, before it is accepted, whether the daemon is there at all).
      c.checking = true;
      c.deadline = now + opts_.check_timeout;
      bus_.send(c.task_id.empty() ? json{{"v", 1}, {"op", "ping"}, {"id", c.bus_id + "/check"}}
                                  : json{{"v", 1}, {"op", "task.get"}, {"id", c.bus_id + "/check"}, {"task_id", c.task_id}});
    } else {
      unanswered = true;
      finish_error(c, "paiosd stopped answering" +
                          (c.task_id.empty() ? std::string{} : "; the task is " + c.task_id + " (task_status tells how it ends)"));
    }
  }
  // A daemon that answers nothing may have gone: the next call connects anew (and says so if it has).
  if (unanswered && calls_.empty()) bus_.reset();
}

}  // namespace paios::mcp
