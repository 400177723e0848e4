#include "bridges/zmq/zmq_bridge.hpp"

#include <unistd.h>

#include <caf/all.hpp>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "actors/supervisor/supervisor.hpp"
#include "messages/caf_types.hpp"
#include "messages/ids.hpp"

namespace paios {
namespace {

constexpr auto kAskTimeout = std::chrono::seconds(5);

struct bridge_state {
  zmq_bridge_options opts;
  std::shared_ptr<outbox> out = std::make_shared<outbox>();
  std::unique_ptr<bridge_io> io;
  bool draining = false;
  static inline const char* name = "zmq_bridge";
};

using bridge_actor = caf::stateful_actor<bridge_state>;

caf::actor lookup(bridge_actor* self, caf::atom_value name) {
  return self->system().registry().get<caf::actor>(name);
}

void reply_error(bridge_actor* self, const std::string& identity, const std::string& id, errc code,
                 std::string message) {
  self->state.out->reply(identity, wire::encode_error(id, code, message));
}

// Asks `name` for something and hands the answer to `then`; when the actor is missing or does not answer,
// the client gets an error naming it.
template <class... Ts, class F>
void ask(bridge_actor* self, caf::atom_value name, const char* what, const std::string& identity,
         const std::string& id, F then, Ts&&... xs) {
  auto target = lookup(self, name);
  if (!target) return reply_error(self, identity, id, errc::internal, std::string{what} + " is not running");
  self->request(target, kAskTimeout, std::forward<Ts>(xs)...)
      .then(std::move(then), [self, identity, id, what](caf::error& e) {
        reply_error(self, identity, id, errc::internal, std::string{what} + " did not answer: " + caf::to_string(e));
      });
}

void handle_status(bridge_actor* self, const std::string& identity, const std::string& id) {
  struct gather {
    nlohmann::json reply;
    int pending = 2;
  };
  auto g = std::make_shared<gather>();
  auto& st = self->state;
  auto& s = st.io->stats();
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
  auto done = [self, g, identity, id] {
    if (--g->pending == 0) self->state.out->reply(identity, wire::encode_reply(id, "status", std::move(g->reply)));
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
  using part_source = std::pair<caf::atom_value, const char*>;
  for (auto [name, key] : {part_source{root_name::value, "tree"}, part_source{dispatch_name::value, "tasks"}}) {
    auto target = lookup(self, name);
    if (!target) {
      g->reply[key] = {{"error", "not running"}};
      done();
      continue;
    }
    self->request(target, kAskTimeout, status_atom::value).then(part(key), missing(key));
  }
}

// Ends the named actor of the tree with an abnormal exit, as a crash would: its supervisor restarts it.
void inject_fault(bridge_actor* self, const std::string& identity, const std::string& id, const std::string& name) {
  if (!self->state.opts.allow_fault_injection)
    return reply_error(self, identity, id, errc::bad_request,
                       "debug.fault is disabled; start paiosd with PAIOS_FAULT_INJECTION=1 to test supervision");
  auto reason = caf::make_error(caf::sec::runtime_error, "fault injected by debug.fault");
  auto hit = [self, identity, id, name, reason](const caf::actor& target) {
    spdlog::warn("bridge: debug.fault: ending {}", name);
    self->state.out->reply(identity, wire::encode_reply(id, "fault", {{"actor", name}}));
    if (target == caf::actor_cast<caf::actor>(self)) self->quit(reason);
    else self->send_exit(target, reason);
  };
  const std::pair<const char*, caf::atom_value> known[] = {{"state_store", store_name::value},
                                                            {"brains", brains_name::value},
                                                            {"dispatcher", dispatch_name::value},
                                                            {"zmq_bridge", bridge_name::value}};
  for (auto& [n, atom] : known)
    if (name == n) {
      if (auto a = lookup(self, atom)) return hit(a);
      return reply_error(self, identity, id, errc::not_found, name + " is not running");
    }
  ask(self, brains_name::value, "the brains supervisor", identity, id, [hit](const caf::actor& a) { hit(a); },
      whereis_atom::value, name);
}

nlohmann::json weights_json(const std::vector<rule_weight>& ws) {
  auto out = nlohmann::json::array();
  for (const auto& w : ws)
    out.push_back({{"rule", w.rule}, {"factor", w.factor}, {"note", w.note}, {"updated_ms", w.updated_ms}});
  return out;
}

void handle(bridge_actor* self, std::string& identity, wire::request& req) {
  auto& st = self->state;
  auto id = req.id;
  switch (req.what) {
    case wire::op::ping:  // answered by the I/O thread
    case wire::op::status: return handle_status(self, identity, id);
    case wire::op::debug_fault: return inject_fault(self, identity, id, req.actor);
    case wire::op::route_classify:
      return ask(self, dispatch_name::value, "the dispatcher", identity, id,
                 [self, identity, id](const std::string& decision) {
                   auto d = nlohmann::json::parse(decision, nullptr, false);
                   if (d["chain"].empty() && d.contains("override") && !d["override"].is_null())
                     return reply_error(self, identity, id, errc::unknown_brain, d.value("reason", ""));
                   self->state.out->reply(identity, wire::encode_reply(id, "route", std::move(d)));
                 },
                 route_atom::value, std::move(req.task));
    case wire::op::route_list:
      return ask(self, store_name::value, "the state store", identity, id,
                 [self, identity, id](const std::vector<route_record>& rs) {
                   auto list = nlohmann::json::array();
                   for (const auto& r : rs) list.push_back(nlohmann::json::parse(r.json, nullptr, false));
                   self->state.out->reply(identity, wire::encode_reply(id, "routes", {{"decisions", std::move(list)}}));
                 },
                 decision_atom::value, req.limit);
    case wire::op::route_weights:
      return ask(self, dispatch_name::value, "the dispatcher", identity, id,
                 [self, identity, id](const std::vector<rule_weight>& ws) {
                   self->state.out->reply(identity, wire::encode_reply(id, "weights", {{"weights", weights_json(ws)}}));
                 },
                 weights_atom::value);
    case wire::op::route_adjust: {
      auto w = req.weight;
      return ask(self, dispatch_name::value, "the dispatcher", identity, id,
                 [self, identity, id, w](const std::string& code, const std::string& message) {
                   if (!code.empty())
                     return reply_error(self, identity, id, errc_from_string(code).value_or(errc::internal), message);
                   self->state.out->reply(identity, wire::encode_reply(id, "adjusted", {{"rule", w.rule}, {"factor", w.factor}}));
                 },
                 weights_atom::value, std::move(req.weight));
    }
    case wire::op::task_submit: {
      if (st.draining) return reply_error(self, identity, id, errc::shutting_down, "the daemon is shutting down");
      auto d = lookup(self, dispatch_name::value);
      if (!d) return reply_error(self, identity, id, errc::internal, "the dispatcher is not running");
      self->send(d, submit_atom::value, std::move(req.task), caf::actor_cast<caf::actor>(self), std::move(identity),
                 std::move(id), req.stream);
      return;
    }
    case wire::op::task_cancel: {
      auto task_id = req.task_id;
      return ask(self, dispatch_name::value, "the dispatcher", identity, id,
                 [self, identity, id, task_id](bool cancelled, const std::string& state) {
                   if (!cancelled && state.empty()) {
                     // Not in flight: either finished already or unknown. The store knows which.
                     ask(self, store_name::value, "the state store", identity, id,
                         [self, identity, id, task_id](bool found, const task_record& r) {
                           if (!found)
                             return reply_error(self, identity, id, errc::not_found, "no task " + task_id);
                           self->state.out->reply(identity, wire::encode_cancel(id, task_id, false, r.state));
                         },
                         get_atom::value, task_id);
                     return;
                   }
                   auto s = task_state_from_string(state).value_or(task_state::running);
                   self->state.out->reply(identity, wire::encode_cancel(id, task_id, cancelled, s));
                 },
                 cancel_atom::value, req.task_id);
    }
    case wire::op::task_get: {
      auto task_id = req.task_id;
      return ask(self, store_name::value, "the state store", identity, id,
                 [self, identity, id, task_id](bool found, const task_record& r) {
                   if (!found) return reply_error(self, identity, id, errc::not_found, "no task " + task_id);
                   self->state.out->reply(identity, wire::encode_task(id, r));
                 },
                 get_atom::value, req.task_id);
    }
    case wire::op::task_list:
      return ask(self, store_name::value, "the state store", identity, id,
                 [self, identity, id](const std::vector<task_record>& rs) {
                   self->state.out->reply(identity, wire::encode_tasks(id, rs));
                 },
                 list_atom::value, req.limit, req.state);
    case wire::op::event_publish: {
      auto& e = req.event;
      e.id = new_event_id();
      e.time_ms = now_ms();
      if (e.trace_id.empty()) e.trace_id = new_trace_id();
      auto event = e;
      return ask(self, store_name::value, "the state store", identity, id,
                 [self, identity, id, event](const std::string& err) {
                   if (!err.empty())
                     return reply_error(self, identity, id, errc::store_failed, "the event was not stored: " + err);
                   self->state.out->reply(identity, wire::encode_ack(id, event.id));
                   self->state.out->publish("event." + event.category, nlohmann::json(event).dump());
                 },
                 publish_atom::value, std::move(e));
    }
  }
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
