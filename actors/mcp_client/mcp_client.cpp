#include "actors/mcp_client/mcp_client.hpp"

#include <signal.h>

#include <cstring>
#include <map>
#include <memory>

#include <caf/all.hpp>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "actors/names.hpp"
#include "actors/supervisor/supervisor.hpp"
#include "core/mcp/mcp_rpc.hpp"
#include "core/obs/event_sink.hpp"
#include "core/process/process_runner.hpp"
#include "messages/caf_types.hpp"
#include "messages/error.hpp"
#include "messages/ids.hpp"
#include "messages/json_writer.hpp"
#include "messages/trace.hpp"

namespace paios {
namespace {

using nlohmann::json;
using ms = std::chrono::milliseconds;
// From the runner's thread, each tagged with the child's generation: a message of a child already replaced
// is ignored.
using line_atom = caf::atom_constant<caf::atom("mcpline")>;        // one line of the server's stdout
using exited_atom = caf::atom_constant<caf::atom("mcpexited")>;    // the server ended, and why
// Timers.
using restart_atom = caf::atom_constant<caf::atom("mcprestart")>;  // a backoff has elapsed: start again
using start_deadline_atom = caf::atom_constant<caf::atom("mcpstartto")>; // start_timeout_ms has elapsed
using deadline_atom = caf::atom_constant<caf::atom("mcpdeadln")>;  // a call's timeout_ms has elapsed
using listwait_atom = caf::atom_constant<caf::atom("mcplistwt")>;  // a tools request has waited long enough

constexpr std::int64_t kFirstBackoffMs = 500;
constexpr std::int64_t kMaxBackoffMs = 30000;
constexpr std::int64_t kStableMs = 60000;  // ready this long: the next failure starts the backoff over
constexpr int kMaxPages = 1000;            // tools/list pages followed, against a server that never stops
// A tools request while the server starts for the first time waits this long for its list (paiosd just started
// and `ai mcp` asks at once): less than `ai mcp`'s own 2 s wait for tools.list.
constexpr auto kListWait = std::chrono::milliseconds(1500);

using call_promise = caf::typed_response_promise<std::string, std::string, std::string>;
using tools_promise = caf::typed_response_promise<std::string>;

enum class phase { initializing, listing, ready, restarting };
const char* to_string(phase p) {
  switch (p) {
    case phase::initializing: return "starting";
    case phase::listing: return "listing";
    case phase::ready: return "ready";
    case phase::restarting: return "restarting";
  }
  return "?";
}

struct tool_call {
  call_promise promise;
  std::string key;  // the caller's, for cancel
  std::string tool;
  json arguments;
  bool sent = false;  // the server has it (else it waits for the server to be ready)
};

struct client_state {
  mcp_server_config cfg;
  std::string daemon_version;
  std::unique_ptr<process_runner> runner;
  std::uint64_t gen = 0;
  phase at = phase::restarting;
  std::int64_t next_id = 1;
  std::int64_t init_id = 0, list_id = 0;  // the session's own requests in flight (0: none)
  int pages = 0;
  json listing = json::array();  // tools gathered across the pages of one tools/list
  json tools = json::array();    // the last complete list, mounted (kept while the server restarts)
  std::map<std::int64_t, tool_call> calls;  // by JSON-RPC id
  std::vector<tools_promise> tools_waiting;  // tools requests waiting for the first list
  std::string protocol_version;
  std::string last_error;
  bool stopping = false;  // this actor stopped the child (last_error says why)
  int restarts = 0;
  std::int64_t backoff_ms = kFirstBackoffMs;
  std::int64_t ready_since_ms = 0;
  std::uint64_t calls_total = 0;
  std::int64_t started_us = 0;  // of the current child: the lifecycle events' spans begin here
  static inline const char* name = "mcp_client";
};

using client_actor = caf::stateful_actor<client_state>;

std::string describe(const process_exit& x) {
  std::string why;
  switch (x.what) {
    case process_exit::how::spawn_failed: return "cannot start: " + x.error.message();
    case process_exit::how::exited: why = "exited with code " + std::to_string(x.code); break;
    case process_exit::how::signaled:
      why = "killed by signal " + std::to_string(x.signal) + " (" + strsignal(x.signal) + ")";
      break;
    case process_exit::how::cancelled: why = "stopped"; break;
    case process_exit::how::timed_out: why = "timed out"; break;
  }
  // The last line of stderr usually says why a server gave up.
  auto tail = x.stderr_tail;
  while (!tail.empty() && (tail.back() == '\n' || tail.back() == '\r')) tail.pop_back();
  if (auto nl = tail.rfind('\n'); nl != std::string::npos) tail.erase(0, nl + 1);
  if (tail.size() > 300) tail = tail.substr(tail.size() - 300);
  if (!tail.empty()) why += ": " + tail;
  return why;
}

// A lifecycle event of the server (category mcp, action start or exit), each its own trace: `ai obs` and
// `ai trace` show when a server came up, with how many tools, and each time it ended and why.
void lifecycle(const client_state& st, std::string_view action, std::string_view status, std::string data) {
  emit_span("mcp", action, new_trace(), new_span_id(), 0, st.started_us, now_us(), status, std::move(data));
}

std::string tools_text(const client_state& st) { return st.tools.dump(-1, ' ', false, json::error_handler_t::replace); }

// Answers the tools requests that wait for the first list with the list as it is now.
void answer_tools_waiting(client_actor* self) {
  auto waiting = std::move(self->state.tools_waiting);
  self->state.tools_waiting.clear();
  for (auto& rp : waiting) rp.deliver(tools_text(self->state));
}

void send_line(client_actor* self, std::string line) {
  if (self->state.runner) self->state.runner->write(std::move(line));  // refused once stdin closed: the exit follows
}

void answer(tool_call& c, errc code, std::string message) {
  c.promise.deliver(std::string{to_string(code)}, std::move(message), std::string{});
}

void send_call(client_actor* self, std::int64_t id, tool_call& c) {
  c.sent = true;
  send_line(self, mcp_rpc::request_line(id, "tools/call", {{"name", c.tool}, {"arguments", c.arguments}}));
}

void cancel_on_server(client_actor* self, std::int64_t id, const std::string& reason) {
  if (self->state.at == phase::ready)
    send_line(self, mcp_rpc::notification_line("notifications/cancelled", {{"requestId", id}, {"reason", reason}}));
}

// The server is not usable: say why and stop it; its exit fails the calls and schedules the restart.
void give_up_on_child(client_actor* self, std::string why) {
  auto& st = self->state;
  st.last_error = why;
  st.stopping = true;
  spdlog::warn("mcp {}: {}", st.cfg.name, why);
  if (st.runner) st.runner->cancel();
}

void start_child(client_actor* self) {
  auto& st = self->state;
  const auto gen = ++st.gen;
  process_spec ps;
  ps.argv = st.cfg.command;
  ps.env = st.cfg.env;
  ps.cwd = st.cfg.cwd;
  ps.keep_stdin_open = true;
  ps.kill_grace = ms{2000};
  caf::actor_addr weak = self->address();  // the runner's thread never keeps this actor alive
  auto out = std::make_shared<mcp_rpc::line_splitter>();
  auto err = std::make_shared<mcp_rpc::line_splitter>(16 * 1024);
  ps.on_stderr = [err, name = st.cfg.name](std::string_view bytes) {
    std::vector<std::string> lines;
    err->feed(bytes, lines);
    for (auto& l : lines) spdlog::info("mcp {}: stderr: {}", name, l);
  };
  auto on_stdout = [out, weak, gen](std::string_view bytes) {
    std::vector<std::string> lines;
    out->feed(bytes, lines);
    if (lines.empty()) return;
    if (auto a = caf::actor_cast<caf::actor>(weak))
      for (auto& l : lines) caf::anon_send(a, line_atom::value, gen, std::move(l));
  };
  auto on_exit = [weak, gen](process_exit x) {
    if (auto a = caf::actor_cast<caf::actor>(weak)) caf::anon_send(a, exited_atom::value, gen, describe(x));
  };
  st.started_us = now_us();
  st.runner = process_runner::start(std::move(ps), std::move(on_stdout), std::move(on_exit));
  st.at = phase::initializing;
  st.protocol_version.clear();
  st.init_id = st.next_id++;
  st.list_id = 0;
  // Queued until the child runs; a server reads its stdin once it is up.
  send_line(self, mcp_rpc::request_line(st.init_id, "initialize", mcp_rpc::initialize_params(st.daemon_version)));
  self->delayed_send(self, ms{st.cfg.start_timeout_ms}, start_deadline_atom::value, gen);
}

void list_tools(client_actor* self, const std::string& cursor) {
  auto& st = self->state;
  st.list_id = st.next_id++;
  json params = json::object();
  if (!cursor.empty()) params["cursor"] = cursor;
  send_line(self, mcp_rpc::request_line(st.list_id, "tools/list", params));
}

void on_initialized(client_actor* self, const mcp_rpc::message& m) {
  auto& st = self->state;
  st.init_id = 0;
  if (m.what == mcp_rpc::message::kind::error)
    return give_up_on_child(self, "initialize failed: " + std::to_string(m.code) + " " + m.text);
  auto version = mcp_rpc::accepted_version(m.result);
  if (!version) return give_up_on_child(self, version.message());
  st.protocol_version = std::move(*version);
  send_line(self, mcp_rpc::notification_line("notifications/initialized", nullptr));
  st.at = phase::listing;
  st.listing = json::array();
  st.pages = 0;
  list_tools(self, {});
}

void on_listed(client_actor* self, const mcp_rpc::message& m) {
  auto& st = self->state;
  st.list_id = 0;
  const bool first = st.at == phase::listing;
  if (m.what == mcp_rpc::message::kind::error) {
    auto why = "tools/list failed: " + std::to_string(m.code) + " " + m.text;
    if (first) return give_up_on_child(self, why);
    spdlog::warn("mcp {}: {} (the previous list stays)", st.cfg.name, why);
    return;
  }
  if (m.result.is_object() && m.result.contains("tools") && m.result["tools"].is_array())
    for (auto& t : m.result["tools"]) st.listing.push_back(t);
  if (m.result.is_object() && m.result.contains("nextCursor") && m.result["nextCursor"].is_string() &&
      !m.result["nextCursor"].get<std::string>().empty()) {
    if (++st.pages >= kMaxPages) return give_up_on_child(self, "tools/list gave more than 1000 pages");
    return list_tools(self, m.result["nextCursor"].get<std::string>());
  }
  json mounted = json::array();
  for (auto& t : st.listing) {
    auto tool = mcp_rpc::mount_tool(t, st.cfg.prefix, st.cfg.name, st.cfg.timeout_ms);
    if (tool) mounted.push_back(std::move(*tool));
    else spdlog::warn("mcp {}: {}: not mounted", st.cfg.name, tool.message());
  }
  st.tools = std::move(mounted);
  st.listing = json::array();
  if (!first) {
    spdlog::info("mcp {}: tools changed ({} now)", st.cfg.name, st.tools.size());
    return;
  }
  st.at = phase::ready;
  st.ready_since_ms = now_ms();
  spdlog::info("mcp {}: ready, protocol {}, {} tools (pid {})", st.cfg.name, st.protocol_version, st.tools.size(),
               st.runner ? st.runner->pid() : -1);
  lifecycle(st, "start", "ok",
            json_object{}
                .str("server", st.cfg.name)
                .num("pid", st.runner ? st.runner->pid() : -1)
                .str("protocol_version", st.protocol_version)
                .num("tools", static_cast<std::int64_t>(st.tools.size()))
                .num("restarts", st.restarts)
                .done());
  for (auto& [id, c] : st.calls)
    if (!c.sent) send_call(self, id, c);
  answer_tools_waiting(self);
}

void on_response(client_actor* self, const mcp_rpc::message& m) {
  auto& st = self->state;
  if (!m.id.is_number_integer()) return;  // not one of ours: ours are integers
  const auto id = m.id.get<std::int64_t>();
  if (id == st.init_id) return on_initialized(self, m);
  if (id == st.list_id) return on_listed(self, m);
  auto it = st.calls.find(id);
  if (it == st.calls.end()) return;  // timed out or cancelled already: the late answer is dropped
  auto& c = it->second;
  if (m.what == mcp_rpc::message::kind::response) {
    if (!m.result.is_object()) answer(c, errc::tool_failed, st.cfg.name + ": tools/call answered with a non-object");
    else c.promise.deliver(std::string{}, std::string{}, m.result.dump(-1, ' ', false, json::error_handler_t::replace));
  } else {
    // -32602 is the server refusing the arguments (or the tool's name): the caller's mistake, not the server's.
    auto code = m.code == -32602 ? errc::bad_request : errc::tool_failed;
    answer(c, code, st.cfg.name + " refused the call of " + c.tool + ": " + m.text + " (" + std::to_string(m.code) + ")");
  }
  st.calls.erase(it);
}

void on_line(client_actor* self, const std::string& line) {
  auto& st = self->state;
  auto m = mcp_rpc::parse(line);
  using kind = mcp_rpc::message::kind;
  switch (m.what) {
    case kind::response:
    case kind::error: return on_response(self, m);
    case kind::request:
      // A server may ping its client; it may ask nothing else of this one (no capabilities were offered).
      if (m.method == "ping") return send_line(self, mcp_rpc::result_line(m.id, json::object()));
      return send_line(self, mcp_rpc::error_line(m.id, -32601, "paiosd's MCP client does not serve " + m.method));
    case kind::notification:
      if (m.method == "notifications/tools/list_changed" && st.at == phase::ready && st.list_id == 0) {
        st.listing = json::array();
        st.pages = 0;
        list_tools(self, {});
      } else if (m.method == "notifications/message") {
        spdlog::info("mcp {}: {}", st.cfg.name, m.params.is_null() ? "" : m.params.dump());
      }
      return;
    case kind::invalid:
      spdlog::warn("mcp {}: a line that is not JSON-RPC ({}): {}", st.cfg.name, m.text, line.substr(0, 200));
      return;
  }
}

void on_exit(client_actor* self, std::string why) {
  auto& st = self->state;
  const bool was_ready = st.at == phase::ready;
  st.runner.reset();  // its thread has reported its last: the join is immediate
  if (!st.stopping) st.last_error = why;  // else keep the reason it was stopped for
  st.stopping = false;
  for (auto& [id, c] : st.calls)
    answer(c, errc::tool_failed, "the MCP server " + st.cfg.name + " " + (c.sent ? "ended during the call: " : "is not running: ") + st.last_error);
  st.calls.clear();
  answer_tools_waiting(self);
  st.init_id = st.list_id = 0;
  if (was_ready && now_ms() - st.ready_since_ms >= kStableMs) st.backoff_ms = kFirstBackoffMs;
  lifecycle(st, "exit", was_ready ? "exited" : "failed",
            json_object{}.str("server", st.cfg.name).str("error", st.last_error).num("restarts", st.restarts).done());
  st.at = phase::restarting;
  spdlog::warn("mcp {}: {}; starting it again in {} ms", st.cfg.name, st.last_error, st.backoff_ms);
  self->delayed_send(self, ms{st.backoff_ms}, restart_atom::value, st.gen);
  st.backoff_ms = std::min(st.backoff_ms * 2, kMaxBackoffMs);
}

caf::behavior client_behavior(client_actor* self, mcp_server_config cfg, std::string daemon_version) {
  guard_actor(self, mcp_child_name(cfg.name));
  self->state.cfg = std::move(cfg);
  self->state.daemon_version = std::move(daemon_version);
  spdlog::info("mcp {}: starting {}", self->state.cfg.name, self->state.cfg.command.front());
  start_child(self);
  return {
      [=](line_atom, std::uint64_t gen, const std::string& line) {
        if (gen == self->state.gen) on_line(self, line);
      },
      [=](exited_atom, std::uint64_t gen, std::string& why) {
        if (gen == self->state.gen) on_exit(self, std::move(why));
      },
      [=](restart_atom, std::uint64_t gen) {
        auto& st = self->state;
        if (gen != st.gen || st.at != phase::restarting) return;
        ++st.restarts;
        start_child(self);
      },
      [=](start_deadline_atom, std::uint64_t gen) {
        auto& st = self->state;
        if (gen != st.gen || st.at == phase::ready || st.at == phase::restarting) return;
        give_up_on_child(self, "did not finish initialize and tools/list within " +
                                   std::to_string(st.cfg.start_timeout_ms) + " ms (start_timeout_ms)");
      },
      [=](mcp_call_atom, std::string& tool, std::string& arguments, std::string& key) -> call_promise {
        auto& st = self->state;
        auto promise = self->make_response_promise<std::string, std::string, std::string>();
        auto args = json::parse(arguments, nullptr, false);
        if (args.is_discarded() || !args.is_object()) {
          promise.deliver(std::string{to_string(errc::bad_request)}, std::string{"arguments must be a JSON object"},
                          std::string{});
          return promise;
        }
        if (st.at == phase::restarting) {
          promise.deliver(std::string{to_string(errc::tool_failed)},
                          "the MCP server " + st.cfg.name + " is not running: " + st.last_error, std::string{});
          return promise;
        }
        // Known tools are checked here; while the server starts, its answer will say.
        if (st.at == phase::ready) {
          bool known = false;
          for (auto& t : st.tools) known = known || t.value("tool", "") == tool;
          if (!known) {
            promise.deliver(std::string{to_string(errc::not_found)},
                            "the MCP server " + st.cfg.name + " has no tool '" + tool + "'", std::string{});
            return promise;
          }
        }
        const auto id = st.next_id++;
        auto& c = st.calls[id];
        c = tool_call{promise, std::move(key), std::move(tool), std::move(args), false};
        ++st.calls_total;
        if (st.at == phase::ready) send_call(self, id, c);
        self->delayed_send(self, ms{st.cfg.timeout_ms}, deadline_atom::value, id);
        return promise;
      },
      [=](deadline_atom, std::int64_t id) {
        auto& st = self->state;
        auto it = st.calls.find(id);
        if (it == st.calls.end()) return;
        if (it->second.sent) cancel_on_server(self, id, "timeout");
        answer(it->second, errc::timeout, "the MCP server " + st.cfg.name + " did not answer the call of " +
                                              it->second.tool + " within " + std::to_string(st.cfg.timeout_ms) +
                                              " ms (mcp.servers." + st.cfg.name + ".timeout_ms)");
        st.calls.erase(it);
      },
      [=](cancel_atom, const std::string& key) {
        auto& st = self->state;
        for (auto it = st.calls.begin(); it != st.calls.end(); ++it)
          if (it->second.key == key) {
            if (it->second.sent) cancel_on_server(self, it->first, "cancelled by the caller");
            answer(it->second, errc::cancelled, "the call of " + it->second.tool + " was cancelled");
            st.calls.erase(it);
            return true;
          }
        return false;
      },
      [=](tools_atom) -> tools_promise {
        auto& st = self->state;
        auto rp = self->make_response_promise<std::string>();
        if (st.tools.empty() && (st.at == phase::initializing || st.at == phase::listing) && st.restarts == 0) {
          st.tools_waiting.push_back(rp);
          self->delayed_send(self, kListWait, listwait_atom::value);
        } else {
          rp.deliver(tools_text(st));
        }
        return rp;
      },
      [=](listwait_atom) { answer_tools_waiting(self); },
      [=](status_atom) {
        auto& st = self->state;
        json s{{"name", st.cfg.name},
               {"state", to_string(st.at)},
               {"pid", st.runner && st.runner->pid() > 0 ? json(st.runner->pid()) : json(nullptr)},
               {"protocol_version", st.protocol_version},
               {"prefix", st.cfg.prefix},
               {"tools", st.tools.size()},
               {"restarts", st.restarts},
               {"calls", st.calls_total},
               {"in_flight", st.calls.size()},
               {"last_error", st.last_error}};
        return s.dump(-1, ' ', false, json::error_handler_t::replace);
      },
  };
}

}  // namespace

caf::actor spawn_mcp_client(caf::actor_system& sys, mcp_server_config cfg, std::string daemon_version) {
  return sys.spawn(client_behavior, std::move(cfg), std::move(daemon_version));
}

}  // namespace paios
