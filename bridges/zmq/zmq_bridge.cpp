#include "bridges/zmq/zmq_bridge.hpp"

#include <unistd.h>

#include <iterator>
#include <unordered_map>
#include <unordered_set>
#include <utility>

#include <caf/all.hpp>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "actors/autonomy/autonomy_gate.hpp"
#include "actors/backup/backup_run.hpp"
#include "actors/config/config_reloader.hpp"
#include "actors/report/report_run.hpp"
#include "actors/dispatcher/dispatcher.hpp"
#include "actors/kb/kb_store.hpp"
#include "actors/names.hpp"
#include "actors/obs/obs_store.hpp"
#include "actors/state_store/state_store.hpp"
#include "actors/supervisor/supervisor.hpp"
#include "core/mcp/tool_registry.hpp"
#include "core/obs/event_sink.hpp"
#include "core/obs/metrics.hpp"
#include "messages/caf_types.hpp"
#include "messages/ids.hpp"
#include "messages/json_writer.hpp"
#include "messages/redact.hpp"

namespace paios {
namespace {

constexpr auto kAskTimeout = std::chrono::seconds(5);
// A backup copies every store: as long as the disk needs for them (the client waits as long: cli/cmd_backup.cpp).
constexpr auto kBackupTimeout = std::chrono::seconds(600);
// A reload restarts the actors whose keys changed, each within its orderly stop (the reloader waits 60 s at most).
constexpr auto kReloadTimeout = std::chrono::seconds(90);
constexpr auto kKbTimeout = std::chrono::seconds(120);
// A report reads a day of events in pages of a few thousand; the client waits as long (cli/cmd_report.cpp).
constexpr auto kReportTimeout = std::chrono::seconds(120);

// One request on its way: who asked, and the bridge's span for it (ended by the reply that completes it).
struct call {
  std::string identity;
  std::string id;
  wire::op op = wire::op::ping;
  trace_id trace;
  std::uint64_t span = 0;
  std::uint64_t parent = 0;  // the client's span (traceparent), 0 for none
  std::int64_t start_us = 0;

  void end_span(std::string_view status, std::string data_json = "{}") const {
    emit_span("bridge", wire::to_string(op), trace, span, parent, start_us, now_us(), status, std::move(data_json));
  }
};

struct bridge_state {
  zmq_bridge_options opts;
  std::shared_ptr<outbox> out = std::make_shared<outbox>();
  std::unique_ptr<bridge_io> io;
  bool draining = false;
  std::unordered_map<std::uint64_t, call> submits;  // by bridge span: tasks whose stream is still open
  std::unordered_map<std::string, caf::actor> tool_calls;  // tools.call in flight, by identity "\n" id: for tools.cancel
  static inline const char* name = "zmq_bridge";
};

using bridge_actor = caf::stateful_actor<bridge_state>;

void reply(bridge_actor* self, const call& c, std::string type, nlohmann::json body) {
  self->state.out->reply(c.identity, wire::encode_reply(c.id, type, std::move(body)));
  c.end_span("ok");
}

void reply_frame(bridge_actor* self, const call& c, std::string frame) {
  self->state.out->reply(c.identity, std::move(frame));
  c.end_span("ok");
}

void reply_error(bridge_actor* self, const call& c, errc code, std::string message) {
  self->state.out->reply(c.identity, wire::encode_error(c.id, code, message));
  c.end_span(to_string(code), json_object{}.str("message", message).done());
}

// Asks `name` for something and hands the answer to `then`; when the actor is missing or does not answer,
// the client gets an error naming it. With the typed handle of the actor's interface as `Handle`, the request
// and `then` are checked against that interface at compile time.
template <class Handle = caf::actor, class... Ts, class F>
void ask_within(bridge_actor* self, std::chrono::seconds timeout, caf::atom_value name, const char* what, const call& c,
                F then, Ts&&... xs) {
  auto target = registered_as<Handle>(self, name);
  if (!target) return reply_error(self, c, errc::internal, std::string{what} + " is not running");
  self->request(target, timeout, std::forward<Ts>(xs)...)
      .then(std::move(then), [self, c, what](caf::error& e) {
        reply_error(self, c, errc::internal, std::string{what} + " did not answer: " + caf::to_string(e));
      });
}

template <class Handle = caf::actor, class... Ts, class F>
void ask(bridge_actor* self, caf::atom_value name, const char* what, const call& c, F then, Ts&&... xs) {
  ask_within<Handle>(self, kAskTimeout, name, what, c, std::move(then), std::forward<Ts>(xs)...);
}

// ---- MCP servers' tools (actors/mcp_client) ------------------------------------------------------------------

// Asks every MCP client for one JSON text (tools_atom, status_atom); `then` gets the answers parsed, in the
// configuration's order, with {"name", "error"} for a client that is not running or did not answer.
template <class Atom, class F>
void ask_mcp_clients(bridge_actor* self, Atom atom, F then) {
  const auto mounts = self->state.opts.mcp;
  struct gather {
    std::vector<nlohmann::json> parts;
    std::size_t pending;
    F then;
  };
  auto g = std::make_shared<gather>(gather{std::vector<nlohmann::json>(mounts.size()), mounts.size(), std::move(then)});
  if (mounts.empty()) return g->then(std::move(g->parts));
  auto done = [g](std::size_t i, nlohmann::json j) {
    g->parts[i] = std::move(j);
    if (--g->pending == 0) g->then(std::move(g->parts));
  };
  auto sup = registered(self, mcp_name::value);
  for (std::size_t i = 0; i < mounts.size(); ++i) {
    auto fail = [done, i, name = mounts[i].server](std::string why) {
      done(i, {{"name", name}, {"error", std::move(why)}});
    };
    if (!sup) {
      fail("the mcp supervisor is not running");
      continue;
    }
    self->request(sup, kAskTimeout, whereis_atom::value, mcp_child_name(mounts[i].server))
        .then(
            [self, done, fail, i, atom](const caf::actor& a) {
              self->request(a, kAskTimeout, atom)
                  .then([done, i](const std::string& js) { done(i, nlohmann::json::parse(js, nullptr, false)); },
                        [fail](caf::error& e) { fail("did not answer: " + caf::to_string(e)); });
            },
            [fail](caf::error& e) { fail("not running: " + caf::to_string(e)); });
  }
}

// tools.list: the registry compiled in, then each server's tools under its prefix (a name already taken is
// not mounted twice: the first holds it).
void list_tools(bridge_actor* self, const call& c) {
  if (self->state.opts.mcp.empty())
    return reply_frame(self, c, wire::encode_reply_text(c.id, "tools", mcp::tools_list_body()));
  ask_mcp_clients(self, tools_atom::value, [self, c](std::vector<nlohmann::json> parts) {
    auto body = nlohmann::json::parse(mcp::tools_list_body());
    auto& tools = body["tools"];
    std::unordered_set<std::string> names;
    for (auto& t : tools) names.insert(t.value("name", ""));
    for (auto& part : parts) {
      if (!part.is_array()) continue;  // a server not running lists nothing
      for (auto& t : part) {
        auto name = t.value("name", "");
        if (!names.insert(name).second) {
          spdlog::warn("bridge: tools.list: {} of MCP server {} is not mounted: the name is taken", name,
                       t.value("server", ""));
          continue;
        }
        tools.push_back(std::move(t));
      }
    }
    reply(self, c, "tools", std::move(body));
  });
}

// The mounted server whose prefix begins `name` (the longest), or nullptr.
const mcp_mount* mount_of(const bridge_state& st, const std::string& name) {
  const mcp_mount* best = nullptr;
  for (const auto& m : st.opts.mcp)
    if (name.size() > m.prefix.size() && name.compare(0, m.prefix.size(), m.prefix) == 0 &&
        (!best || m.prefix.size() > best->prefix.size()))
      best = &m;
  return best;
}

// tools.call: the server's MCP client runs it (with its timeout); the reply carries the server's result.
void call_tool(bridge_actor* self, const call& c, std::string name, std::string arguments) {
  auto& st = self->state;
  const auto* m = mount_of(st, name);
  if (!m)
    return reply_error(self, c, errc::not_found,
                       "no mounted tool '" + name + "' (tools.list lists them; mcp.servers configures the servers)");
  auto sup = registered(self, mcp_name::value);
  if (!sup) return reply_error(self, c, errc::tool_failed, "the mcp supervisor is not running");
  auto key = c.identity + "\n" + c.id;
  auto tool = name.substr(m->prefix.size());
  auto wait = std::chrono::milliseconds{m->timeout_ms + 5000};
  auto server = m->server;
  self->request(sup, kAskTimeout, whereis_atom::value, mcp_child_name(server))
      .then(
          [self, c, key, tool, arguments, wait, name, server](const caf::actor& client) {
            if (!c.id.empty()) self->state.tool_calls[key] = client;
            self->request(client, wait, mcp_call_atom::value, tool, arguments, key)
                .then(
                    [self, c, key, name, server](const std::string& code, const std::string& message,
                                                  const std::string& result) {
                      self->state.tool_calls.erase(key);
                      if (!code.empty())
                        return reply_error(self, c, errc_from_string(code).value_or(errc::internal), message);
                      reply_frame(self, c,
                                  wire::encode_reply_text(c.id, "tools.result",
                                                          json_object{}
                                                              .str("name", name)
                                                              .str("server", server)
                                                              .raw("result", result)
                                                              .done()));
                    },
                    [self, c, key, server](caf::error& e) {
                      self->state.tool_calls.erase(key);
                      reply_error(self, c, errc::tool_failed, "the MCP client of " + server + " did not answer: " + caf::to_string(e));
                    });
          },
          [self, c, server](caf::error& e) {
            reply_error(self, c, errc::tool_failed, "the MCP client of " + server + " is not running: " + caf::to_string(e));
          });
}

// tools.cancel: the client's own call in flight, by its request id.
void cancel_tool(bridge_actor* self, const call& c, const std::string& call_id) {
  auto key = c.identity + "\n" + call_id;
  auto it = self->state.tool_calls.find(key);
  auto cancelled = [self, c, call_id](bool yes) { reply(self, c, "tools.cancelled", {{"call", call_id}, {"cancelled", yes}}); };
  if (it == self->state.tool_calls.end()) return cancelled(false);
  self->request(it->second, kAskTimeout, cancel_atom::value, key)
      .then([cancelled](bool yes) { cancelled(yes); }, [cancelled](caf::error&) { cancelled(false); });
}

void handle_status(bridge_actor* self, const call& c) {
  struct gather {
    nlohmann::json reply;
    int pending = 0;
  };
  // The actors that each give one part of the reply (besides the MCP clients, gathered as one part).
  using part_source = std::pair<caf::atom_value, const char*>;
  static constexpr part_source parts[] = {{root_name::value, "tree"},      {dispatch_name::value, "tasks"},
                                          {obs_name::value, "events"},     {http_name::value, "http"},
                                          {sched_name::value, "jobs"},     {watch_name::value, "watchers"},
                                          {alerts_name::value, "alerts"},      {config_name::value, "config"}};
  auto g = std::make_shared<gather>();
  g->pending = static_cast<int>(std::size(parts)) + 1;
  auto& st = self->state;
  auto& s = st.io->stats();
  g->reply["metrics"] = metrics::snapshot();
  g->reply["daemon"] = {{"pid", getpid()},
                        {"version", st.opts.io.version},
                        {"uptime_ms", now_ms() - st.opts.io.started_ms},
                        {"home", st.opts.home},
                        {"endpoint", st.opts.io.endpoint},
                        {"events_endpoint", st.opts.io.events_endpoint},
                        {"draining", st.draining}};
  g->reply["bridge"] = {{"requests", s.requests.load()},  {"errors", s.errors.load()},
                        {"replies", s.replies.load()},    {"dropped", s.dropped.load()},
                        {"published", s.published.load()}};
  auto done = [self, g, c] {
    if (--g->pending == 0) reply(self, c, "status", std::move(g->reply));
  };
  auto part = [g, done](const char* key) {
    return [g, done, key](const std::string& js) {
      auto j = nlohmann::json::parse(js, nullptr, false);
      if (std::string{key} == "tasks") {
        g->reply["brains"] = j.value("brains", nlohmann::json::array());
        j.erase("brains");
      }
      g->reply[key] = std::move(j);
      done();
    };
  };
  auto missing = [g, done](const char* key) {
    return [g, done, key](caf::error& e) {
      g->reply[key] = {{"error", caf::to_string(e)}};
      done();
    };
  };
  ask_mcp_clients(self, status_atom::value, [g, done](std::vector<nlohmann::json> servers) {
    g->reply["mcp"] = std::move(servers);
    done();
  });
  for (auto [name, key] : parts) {
    auto target = registered(self, name);
    if (!target) {
      g->reply[key] = {{"error", "not running"}};
      done();
      continue;
    }
    self->request(target, kAskTimeout, status_atom::value).then(part(key), missing(key));
  }
}

// Ends the named actor of the tree with an abnormal exit, as a crash would: its supervisor restarts it.
void inject_fault(bridge_actor* self, const call& c, const std::string& name) {
  if (!self->state.opts.allow_fault_injection)
    return reply_error(self, c, errc::bad_request,
                       "debug.fault is disabled; start paiosd with PAIOS_FAULT_INJECTION=1 to test supervision");
  auto reason = caf::make_error(caf::sec::runtime_error, "fault injected by debug.fault");
  auto hit = [self, c, name, reason](const caf::actor& target) {
    spdlog::warn("bridge: debug.fault: ending {}", name);
    reply(self, c, "fault", {{"actor", name}});
    if (target == caf::actor_cast<caf::actor>(self)) self->quit(reason);
    else self->send_exit(target, reason);
  };
  const std::pair<const char*, caf::atom_value> known[] = {{"state_store", store_name::value},
                                                            {"obs_store", obs_name::value},
                                                            {"hooks", hooks_name::value},
                                                            {"brains", brains_name::value},
                                                            {"mcp", mcp_name::value},
                                                            {"dispatcher", dispatch_name::value},
                                                            {"zmq_bridge", bridge_name::value},
                                                            {"http_bridge", http_name::value},
                                                            {"scheduler", sched_name::value},
                                                            {"pipelines", pipes_name::value},
                                                            {"watchers", watch_name::value},
                                                            {"notifier", notifier_name::value},
                                                            {"alerts", alerts_name::value},
                                                            {"config", config_name::value}};
  if (name.rfind("watcher:", 0) == 0)  // one folder's watcher: its manager knows it
    return ask(self, watch_name::value, "the watchers", c, [hit](const caf::actor& a) { hit(a); }, whereis_atom::value,
               name.substr(8));
  if (name.rfind("mcp:", 0) == 0)
    return ask(self, mcp_name::value, "the mcp supervisor", c, [hit](const caf::actor& a) { hit(a); },
               whereis_atom::value, name);
  for (auto& [n, atom] : known)
    if (name == n) {
      if (auto a = registered(self, atom)) return hit(a);
      return reply_error(self, c, errc::not_found, name + " is not running");
    }
  ask(self, brains_name::value, "the brains supervisor", c, [hit](const caf::actor& a) { hit(a); }, whereis_atom::value,
      name);
}

nlohmann::json weights_json(const std::vector<rule_weight>& ws) {
  auto out = nlohmann::json::array();
  for (const auto& w : ws)
    out.push_back({{"rule", w.rule}, {"factor", w.factor}, {"note", w.note}, {"updated_ms", w.updated_ms}});
  return out;
}

void publish_event(bridge_actor* self, const call& c, event_record e) {
  e.time_us = now_us();
  e.trace = c.trace;
  e.parent = c.parent;
  e.span = new_span_id();
  if (e.status.empty()) e.status = "ok";
  e.data_json = redact_json(e.data_json);  // before the event stream sees it, not only the store
  const auto category = e.category;
  ask<obs_store_actor>(self, obs_name::value, "the event store", c,
      [self, c, category, e](const std::string& err, std::int64_t seq) mutable {
        if (!err.empty()) return reply_error(self, c, errc::store_failed, "the event was not stored: " + err);
        e.seq = seq;
        reply_frame(self, c, wire::encode_ack(c.id, event_id(seq), to_hex(c.trace)));
        self->state.out->publish("event." + category, json_dump(nlohmann::json(e)));
      },
      publish_atom::value, e);
}

// hook.event: the hook handler stores it, answers with what Claude Code is to get, and acts on it afterwards.
void handle_hook(bridge_actor* self, const call& c, event_record e) {
  e.time_us = now_us();
  e.trace = c.trace;
  e.parent = c.parent;
  e.span = new_span_id();
  // A PreToolUse of a daemon task may wait for a person: the hook handler answers within its own limit.
  const auto within = std::chrono::seconds{(self->state.opts.hook_timeout_ms + 999) / 1000};
  ask_within(self, within, hooks_name::value, "the hook handler", c,
      [self, c](const std::string& code, const std::string& message, const std::string& body, const std::string& event) {
        if (!code.empty()) return reply_error(self, c, errc_from_string(code).value_or(errc::internal), message);
        reply_frame(self, c, wire::encode_reply_text(c.id, "hook", body));
        if (!event.empty()) self->state.out->publish("event.hook", event);
      },
      hook_atom::value, std::move(e));
}

// obs.score: the task must exist (a routing decision shares its task's id); the score joins its trace.
void score_task(bridge_actor* self, const call& c, score_record s) {
  ask<state_store_actor>(self, store_name::value, "the state store", c,
      [self, c, s](bool found, const task_record& r) mutable {
        if (!found)
          return reply_error(self, c, errc::not_found, "no task or routing decision with id " + s.target);
        s.trace = parse_trace_id(r.spec.trace_id).value_or(trace_id{});
        s.time_ms = now_ms();
        ask<obs_store_actor>(self, obs_name::value, "the event store", c,
            [self, c, s](const std::string& err) {
              if (!err.empty()) return reply_error(self, c, errc::store_failed, "the score was not stored: " + err);
              reply(self, c, "scored", {{"task_id", s.target}, {"score", s.score}, {"note", s.note}, {"trace_id", to_hex(s.trace)}});
            },
            score_atom::value, s);
      },
      get_atom::value, s.target);
}

// An actor that answers (code, message, body) as the kb store does: the body is the reply `type`'s members.
template <class Handle = caf::actor, class... Ts>
void ask_coded(bridge_actor* self, std::chrono::seconds timeout, caf::atom_value name, const char* what, const call& c,
               const char* type, Ts&&... xs) {
  ask_within<Handle>(self, timeout, name, what, c,
             [self, c, type](const std::string& code, const std::string& message, const std::string& body) {
               if (!code.empty()) return reply_error(self, c, errc_from_string(code).value_or(errc::internal), message);
               reply_frame(self, c, wire::encode_reply_text(c.id, type, body));
             },
             std::forward<Ts>(xs)...);
}

// The knowledge base's operations. An ingest embeds the whole article before it answers: a large one takes longer
// than other requests.
template <class... Ts>
void ask_kb(bridge_actor* self, const call& c, const char* type, Ts&&... xs) {
  ask_coded<kb_store_actor>(self, kKbTimeout, kb_name::value, "the knowledge base", c, type, std::forward<Ts>(xs)...);
}

// jobs.*: the scheduler.
void ask_jobs(bridge_actor* self, const call& c, const char* type, const char* op, std::string name, int limit) {
  ask_coded(self, kAskTimeout, sched_name::value, "the scheduler", c, type, jobs_atom::value, std::string{op}, std::move(name), limit);
}

// watch.*: the watchers' manager.
void ask_watchers(bridge_actor* self, const call& c, const char* type, const char* op, const nlohmann::json& arg) {
  ask_coded(self, kAskTimeout, watch_name::value, "the watchers", c, type, watch_atom::value, std::string{op},
            json_dump(arg));
}

// pipeline.*: the pipelines actor; args is its JSON.
void ask_pipelines(bridge_actor* self, const call& c, const char* type, const char* op, const nlohmann::json& args) {
  ask_coded(self, kAskTimeout, pipes_name::value, "the pipelines actor", c, type, pipeline_atom::value, std::string{op},
            json_dump(args));
}

// approvals.* and autonomy.*: the autonomy gate.
void ask_approvals(bridge_actor* self, const call& c, const char* type, const char* op, std::string args) {
  ask_coded<autonomy_actor>(self, kAskTimeout, autonomy_name::value, "the autonomy gate", c, type, approvals_atom::value,
                            std::string{op}, std::move(args));
}

// alerts.*: the alerts actor.
void ask_alerts(bridge_actor* self, const call& c, const char* type, const char* op, std::string args) {
  ask_coded(self, kAskTimeout, alerts_name::value, "the alerts actor", c, type, alerts_atom::value, std::string{op},
            std::move(args));
}

// ---- One handler per operation ---------------------------------------------------------------------------------
// Each takes the request's fields it needs (the request is its own to move from) and sees that `c` gets its
// reply. The op names are wire::op's (messages/wire.cpp, docs/protocol.md); an op the wire does not know never
// gets here: the I/O thread refuses it with unknown_op.
namespace on {

// ping is answered by the I/O thread; one that reached the actor would get the status.
void status(bridge_actor* self, const call& c, wire::request&) { handle_status(self, c); }

void debug_fault(bridge_actor* self, const call& c, wire::request& req) { inject_fault(self, c, req.actor); }

void route_classify(bridge_actor* self, const call& c, wire::request& req) {
  ask<dispatcher_actor>(self, dispatch_name::value, "the dispatcher", c,
      [self, c](const std::string& decision) {
        auto d = nlohmann::json::parse(decision, nullptr, false);
        if (d["chain"].empty() && d.contains("override") && !d["override"].is_null())
          return reply_error(self, c, errc::unknown_brain, d.value("reason", ""));
        reply(self, c, "route", std::move(d));
      },
      route_atom::value, std::move(req.task));
}

void route_list(bridge_actor* self, const call& c, wire::request& req) {
  ask<state_store_actor>(self, store_name::value, "the state store", c,
      [self, c](const std::vector<route_record>& rs) {
        auto list = nlohmann::json::array();
        for (const auto& r : rs) list.push_back(nlohmann::json::parse(r.json, nullptr, false));
        reply(self, c, "routes", {{"decisions", std::move(list)}});
      },
      decision_atom::value, req.limit);
}

void route_weights(bridge_actor* self, const call& c, wire::request&) {
  ask<dispatcher_actor>(self, dispatch_name::value, "the dispatcher", c,
      [self, c](const std::vector<rule_weight>& ws) { reply(self, c, "weights", {{"weights", weights_json(ws)}}); },
      weights_atom::value);
}

void route_adjust(bridge_actor* self, const call& c, wire::request& req) {
  auto w = req.weight;
  ask<dispatcher_actor>(self, dispatch_name::value, "the dispatcher", c,
      [self, c, w](const std::string& code, const std::string& message) {
        if (!code.empty()) return reply_error(self, c, errc_from_string(code).value_or(errc::internal), message);
        reply(self, c, "adjusted", {{"rule", w.rule}, {"factor", w.factor}});
      },
      weights_atom::value, std::move(req.weight));
}

void breaker_reset(bridge_actor* self, const call& c, wire::request& req) {
  ask<dispatcher_actor>(self, dispatch_name::value, "the dispatcher", c,
      [self, c](const std::string& code, const std::string& body) {
        if (!code.empty()) return reply_error(self, c, errc_from_string(code).value_or(errc::internal), body);
        reply(self, c, "breaker", nlohmann::json::parse(body, nullptr, false));
      },
      breaker_atom::value, std::move(req.task.brain));
}

// The dispatcher streams the task's updates back (update_atom); the span ends with its result or error.
void task_submit(bridge_actor* self, const call& c, wire::request& req) {
  auto& st = self->state;
  if (st.draining) return reply_error(self, c, errc::shutting_down, "the daemon is shutting down");
  auto d = registered_as<dispatcher_actor>(self, dispatch_name::value);
  if (!d) return reply_error(self, c, errc::internal, "the dispatcher is not running");
  req.task.trace_id = to_hex(c.trace);
  req.task.parent_span = c.span;
  st.submits.emplace(c.span, c);
  self->send(d, submit_atom::value, std::move(req.task), caf::actor_cast<caf::actor>(self), c.identity, c.id,
             req.stream);
}

void task_cancel(bridge_actor* self, const call& c, wire::request& req) {
  auto task_id = req.task_id;
  ask<dispatcher_actor>(self, dispatch_name::value, "the dispatcher", c,
      [self, c, task_id](bool cancelled, const std::string& state) {
        if (!cancelled && state.empty()) {
          // Not in flight: either finished already or unknown. The store knows which.
          ask<state_store_actor>(self, store_name::value, "the state store", c,
              [self, c, task_id](bool found, const task_record& r) {
                if (!found) return reply_error(self, c, errc::not_found, "no task " + task_id);
                reply_frame(self, c, wire::encode_cancel(c.id, task_id, false, r.state));
              },
              get_atom::value, task_id);
          return;
        }
        auto s = task_state_from_string(state).value_or(task_state::running);
        reply_frame(self, c, wire::encode_cancel(c.id, task_id, cancelled, s));
      },
      cancel_atom::value, req.task_id);
}

void task_get(bridge_actor* self, const call& c, wire::request& req) {
  auto task_id = req.task_id;
  ask<state_store_actor>(self, store_name::value, "the state store", c,
      [self, c, task_id](bool found, const task_record& r) {
        if (!found) return reply_error(self, c, errc::not_found, "no task " + task_id);
        reply_frame(self, c, wire::encode_task(c.id, r));
      },
      get_atom::value, req.task_id);
}

void task_list(bridge_actor* self, const call& c, wire::request& req) {
  ask<state_store_actor>(self, store_name::value, "the state store", c,
      [self, c](const std::vector<task_record>& rs) { reply_frame(self, c, wire::encode_tasks(c.id, rs)); },
      list_atom::value, req.limit, req.state);
}

void event_publish(bridge_actor* self, const call& c, wire::request& req) { publish_event(self, c, std::move(req.event)); }

void hook_event(bridge_actor* self, const call& c, wire::request& req) { handle_hook(self, c, std::move(req.event)); }

void obs_query(bridge_actor* self, const call& c, wire::request& req) {
  auto limit = req.query.limit;
  ask<obs_store_actor>(self, obs_name::value, "the event store", c,
      [self, c, limit](const std::string& err, const std::vector<event_record>& es) {
        if (!err.empty()) return reply_error(self, c, errc::store_failed, "the query failed: " + err);
        auto next = static_cast<int>(es.size()) == limit && !es.empty() ? es.back().seq : 0;
        reply_frame(self, c, wire::encode_events(c.id, es, next));
      },
      query_atom::value, req.query);
}

void obs_trace(bridge_actor* self, const call& c, wire::request& req) {
  auto t = req.query.trace;
  ask<obs_store_actor>(self, obs_name::value, "the event store", c,
      [self, c, t](const std::string& err, const std::vector<event_record>& es) {
        if (!err.empty()) return reply_error(self, c, errc::store_failed, "the query failed: " + err);
        if (es.empty()) return reply_error(self, c, errc::not_found, "no events for trace " + to_hex(t));
        reply_frame(self, c, wire::encode_trace(c.id, t, es));
      },
      trace_atom::value, t);
}

void obs_score(bridge_actor* self, const call& c, wire::request& req) { score_task(self, c, std::move(req.score)); }

void kb_add(bridge_actor* self, const call& c, wire::request& req) {
  ask_kb(self, c, "kb.added", kb_add_atom::value, std::move(req.kb));
}
void kb_search(bridge_actor* self, const call& c, wire::request& req) {
  ask_kb(self, c, "kb.results", kb_search_atom::value, std::move(req.kb));
}
void learnings_recall(bridge_actor* self, const call& c, wire::request& req) {
  ask_kb(self, c, "learnings", kb_search_atom::value, std::move(req.kb));
}
void kb_get(bridge_actor* self, const call& c, wire::request& req) {
  ask_kb(self, c, "kb.article", kb_get_atom::value, std::move(req.kb));
}
void kb_rm(bridge_actor* self, const call& c, wire::request& req) {
  ask_kb(self, c, "kb.removed", kb_rm_atom::value, std::move(req.kb));
}
void kb_list(bridge_actor* self, const call& c, wire::request& req) {
  ask_kb(self, c, "kb.articles", list_atom::value, std::move(req.kb), req.limit);
}
void kb_stats(bridge_actor* self, const call& c, wire::request&) {
  ask<kb_store_actor>(self, kb_name::value, "the knowledge base", c,
      [self, c](const std::string& stats) { reply_frame(self, c, wire::encode_reply_text(c.id, "kb.stats", stats)); },
      status_atom::value);
}

void tools_list(bridge_actor* self, const call& c, wire::request&) { list_tools(self, c); }  // for `ai mcp`
void tools_call(bridge_actor* self, const call& c, wire::request& req) {
  call_tool(self, c, std::move(req.tool), std::move(req.arguments));
}
void tools_cancel(bridge_actor* self, const call& c, wire::request& req) { cancel_tool(self, c, req.call_id); }

void jobs_list(bridge_actor* self, const call& c, wire::request&) { ask_jobs(self, c, "jobs", "list", {}, 0); }
void jobs_run(bridge_actor* self, const call& c, wire::request& req) {
  ask_jobs(self, c, "job.started", "run", std::move(req.job), 0);
}
void jobs_history(bridge_actor* self, const call& c, wire::request& req) {
  ask_jobs(self, c, "job.history", "history", std::move(req.job), req.limit);
}

void pipeline_list(bridge_actor* self, const call& c, wire::request&) {
  ask_pipelines(self, c, "pipelines", "list", nlohmann::json::object());
}
void pipeline_run(bridge_actor* self, const call& c, wire::request& req) {
  if (self->state.draining) return reply_error(self, c, errc::shutting_down, "the daemon is shutting down");
  auto input = nlohmann::json::parse(req.arguments, nullptr, false);
  ask_pipelines(self, c, "pipeline.started", "run",
                {{"name", req.job}, {"input", input.is_discarded() ? nlohmann::json::object() : input},
                 {"trigger", "manual"}, {"trace_id", to_hex(c.trace)}, {"parent_span", c.span}});
}
void pipeline_runs(bridge_actor* self, const call& c, wire::request& req) {
  ask_pipelines(self, c, "pipeline.runs", "runs", {{"name", req.job}, {"limit", req.limit}});
}
void pipeline_get(bridge_actor* self, const call& c, wire::request& req) {
  ask_pipelines(self, c, "pipeline.run", "get", {{"run_id", req.task_id}});
}
void pipeline_resume(bridge_actor* self, const call& c, wire::request& req) {
  if (self->state.draining) return reply_error(self, c, errc::shutting_down, "the daemon is shutting down");
  ask_pipelines(self, c, "pipeline.resumed", "resume", {{"run_id", req.task_id}});
}
void pipeline_cancel(bridge_actor* self, const call& c, wire::request& req) {
  ask_pipelines(self, c, "pipeline.cancel", "cancel", {{"run_id", req.task_id}, {"reason", "cancelled (pipeline.cancel)"}});
}

void watch_list(bridge_actor* self, const call& c, wire::request&) {
  ask_watchers(self, c, "watch.folders", "list", nlohmann::json::object());
}
void watch_add(bridge_actor* self, const call& c, wire::request& req) {
  ask_watchers(self, c, "watch.added", "add", {{"path", req.path}, {"classes", req.classes}});
}
void watch_rm(bridge_actor* self, const call& c, wire::request& req) {
  ask_watchers(self, c, "watch.removed", "rm", {{"path", req.path}});
}

void approvals_list(bridge_actor* self, const call& c, wire::request&) {
  ask_approvals(self, c, "approvals", "list", "{}");
}
void approvals_decide(bridge_actor* self, const call& c, wire::request& req) {
  ask_approvals(self, c, "approval.decided", "decide", std::move(req.arguments));
}
void autonomy_show(bridge_actor* self, const call& c, wire::request&) {
  ask_approvals(self, c, "autonomy.policy", "show", "{}");
}
void autonomy_check(bridge_actor* self, const call& c, wire::request& req) {
  ask_approvals(self, c, "autonomy.decision", "check", std::move(req.arguments));
}
void autonomy_demote(bridge_actor* self, const call& c, wire::request& req) {
  ask_approvals(self, c, "autonomy.demoted", "demote", std::move(req.arguments));
}
void alerts_list(bridge_actor* self, const call& c, wire::request& req) {
  ask_alerts(self, c, "alerts", "list", std::move(req.arguments));
}
void alerts_ack(bridge_actor* self, const call& c, wire::request& req) {
  ask_alerts(self, c, "alert.acked", "ack", std::move(req.arguments));
}
void credentials_list(bridge_actor* self, const call& c, wire::request& req) {
  ask_alerts(self, c, "credentials", "credentials", std::move(req.arguments));
}

// The configuration's reloader: the file read again, the live keys applied (which may restart actors) before it
// answers.
void config_reload(bridge_actor* self, const call& c, wire::request&) {
  ask_coded<config_actor>(self, kReloadTimeout, config_name::value, "the configuration's reloader", c,
                          "config.reloaded", reload_atom::value, std::string{"wire"});
}

// A run actor of its own (a backup_run, a report_run) answers (code, message, body) once: the bridge only waits
// for that answer and replies with it.
template <class Atom>
void reply_from_run(bridge_actor* self, const call& c, caf::actor run, Atom atom, std::chrono::seconds timeout,
                    const char* type, const char* what) {
  self->request(run, timeout, atom)
      .then(
          [self, c, type](const std::string& code, const std::string& message, const std::string& body) {
            if (!code.empty()) return reply_error(self, c, errc_from_string(code).value_or(errc::internal), message);
            reply_frame(self, c, wire::encode_reply_text(c.id, type, body));
          },
          [self, c, what](caf::error& e) {
            reply_error(self, c, errc::internal, std::string{what} + " did not finish: " + caf::to_string(e));
          });
}

// A backup_run of its own (actors/backup), on its own thread.
void backup_create(bridge_actor* self, const call& c, wire::request& req) {
  backup_run_spec spec{self->state.opts.home, req.path, self->state.opts.io.version, "manual", -1, c.trace, c.span};
  reply_from_run(self, c, spawn_backup_run(self->system(), std::move(spec)), backup_atom::value, kBackupTimeout,
                 "backup", "the backup");
}

// A report_run of its own (actors/report): the day's report computed, neither stored nor told.
void report_get(bridge_actor* self, const call& c, wire::request& req) {
  report_run_spec spec{req.date, self->state.opts.report_timezone, false, false, c.trace, c.span};
  reply_from_run(self, c, spawn_report_run(self->system(), std::move(spec)), report_atom::value, kReportTimeout,
                 "report", "the report");
}

}  // namespace on

using op_handler = void (*)(bridge_actor* self, const call& c, wire::request& req);
using wire::op;

// The handler of each operation, in wire::op's order, so that an op's handler is kHandlers[op].
constexpr std::pair<op, op_handler> kHandlers[] = {
    {op::ping, on::status},
    {op::task_submit, on::task_submit},
    {op::task_cancel, on::task_cancel},
    {op::task_get, on::task_get},
    {op::task_list, on::task_list},
    {op::event_publish, on::event_publish},
    {op::status, on::status},
    {op::debug_fault, on::debug_fault},
    {op::route_classify, on::route_classify},
    {op::route_list, on::route_list},
    {op::route_weights, on::route_weights},
    {op::route_adjust, on::route_adjust},
    {op::obs_query, on::obs_query},
    {op::obs_trace, on::obs_trace},
    {op::obs_score, on::obs_score},
    {op::kb_add, on::kb_add},
    {op::kb_search, on::kb_search},
    {op::kb_get, on::kb_get},
    {op::kb_rm, on::kb_rm},
    {op::kb_stats, on::kb_stats},
    {op::kb_list, on::kb_list},
    {op::learnings_recall, on::learnings_recall},
    {op::tools_list, on::tools_list},
    {op::hook_event, on::hook_event},
    {op::tools_call, on::tools_call},
    {op::tools_cancel, on::tools_cancel},
    {op::jobs_list, on::jobs_list},
    {op::jobs_run, on::jobs_run},
    {op::jobs_history, on::jobs_history},
    {op::pipeline_list, on::pipeline_list},
    {op::pipeline_run, on::pipeline_run},
    {op::pipeline_runs, on::pipeline_runs},
    {op::pipeline_get, on::pipeline_get},
    {op::pipeline_resume, on::pipeline_resume},
    {op::pipeline_cancel, on::pipeline_cancel},
    {op::watch_list, on::watch_list},
    {op::watch_add, on::watch_add},
    {op::watch_rm, on::watch_rm},
    {op::approvals_list, on::approvals_list},
    {op::approvals_decide, on::approvals_decide},
    {op::breaker_reset, on::breaker_reset},
    {op::autonomy_show, on::autonomy_show},
    {op::autonomy_check, on::autonomy_check},
    {op::autonomy_demote, on::autonomy_demote},
    {op::backup_create, on::backup_create},
    {op::alerts_list, on::alerts_list},
    {op::alerts_ack, on::alerts_ack},
    {op::config_reload, on::config_reload},
    {op::credentials_list, on::credentials_list},
    {op::report_get, on::report_get},
};

constexpr bool one_handler_per_op_in_order() {
  if (std::size(kHandlers) != wire::op_count) return false;
  for (std::size_t i = 0; i < std::size(kHandlers); ++i)
    if (static_cast<std::size_t>(kHandlers[i].first) != i) return false;
  return true;
}
static_assert(one_handler_per_op_in_order(), "kHandlers: one entry per wire::op, in the enum's order");

void handle(bridge_actor* self, std::string& identity, wire::request& req) {
  call c{std::move(identity), req.id, req.what, {}, new_span_id(), req.client_span, req.received_us ? req.received_us : now_us()};
  // The trace: the client's (traceparent), else a new one.
  if (req.what == op::task_submit && !req.task.trace_id.empty())
    c.trace = parse_trace_id(req.task.trace_id).value_or(new_trace());
  else if ((req.what == op::event_publish || req.what == op::hook_event) && req.event.trace.valid())
    c.trace = req.event.trace;
  else
    c.trace = new_trace();
  kHandlers[static_cast<std::size_t>(req.what)].second(self, c, req);
}

caf::behavior bridge_behavior(bridge_actor* self, zmq_bridge_options opts) {
  guard_actor(self, "zmq_bridge");
  auto& st = self->state;
  st.opts = std::move(opts);
  std::string error;
  caf::actor me = caf::actor_cast<caf::actor>(self);
  // The I/O thread holds only a weak reference, so that it never keeps this actor alive.
  caf::actor_addr weak = self->address();
  st.io = bridge_io::start(
      st.opts.io, st.out,
      [weak](std::string identity, wire::request req) {
        if (auto a = caf::actor_cast<caf::actor>(weak))
          caf::anon_send(a, wire_atom::value, std::move(identity), std::move(req));
      },
      error);
  if (!st.io) {
    spdlog::error("bridge: {}", error);
    self->quit(caf::make_error(caf::sec::runtime_error, error));
    return {};
  }
  spdlog::info("bridge: listening on {} (events on {})", st.opts.io.endpoint, st.opts.io.events_endpoint);
  return {
      [=](wire_atom, std::string& identity, wire::request& req) { handle(self, identity, req); },
      [=](update_atom, task_update& u) {
        auto& st = self->state;
        if (u.what != task_update::kind::chunk && u.what != task_update::kind::routed && !u.task_id.empty())
          st.out->publish("task." + std::string{to_string(u.what)}, wire::encode_task_event(u));
        const bool terminal = u.what == task_update::kind::result || u.what == task_update::kind::error;
        if (terminal)
          if (auto it = st.submits.find(u.parent_span); it != st.submits.end()) {
            auto status = u.what == task_update::kind::result ? std::string{"ok"} : std::string{to_string(u.error)};
            it->second.end_span(status, json_object{}.str("task_id", u.task_id).done());
            st.submits.erase(it);
          }
        auto identity = std::move(u.route);
        st.out->reply(std::move(identity), wire::encode_update(u));
      },
      [=](drain_atom) {
        self->state.draining = true;
        spdlog::info("bridge: no longer accepting tasks");
        return true;
      },
      [=](status_atom) {
        auto& s = self->state.io->stats();
        return nlohmann::json{{"requests", s.requests.load()}, {"replies", s.replies.load()},
                              {"dropped", s.dropped.load()}}
            .dump();
      },
  };
}

}  // namespace

caf::actor spawn_zmq_bridge(caf::actor_system& sys, zmq_bridge_options opts) {
  return sys.spawn(bridge_behavior, std::move(opts));
}

}  // namespace paios
