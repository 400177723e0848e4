#include "actors/supervisor/supervisor.hpp"

#include <deque>

#include <caf/all.hpp>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "actors/names.hpp"
#include "core/obs/event_sink.hpp"
#include "core/obs/metrics.hpp"
#include "messages/caf_types.hpp"
#include "messages/ids.hpp"

namespace paios {
namespace {

using steady = std::chrono::steady_clock;
using retry_atom = caf::atom_constant<caf::atom("retry")>;
using kill_atom = caf::atom_constant<caf::atom("killafter")>;

enum class child_state { running, restarting, stopping, stopped, failed };

const char* to_string(child_state s) {
  switch (s) {
    case child_state::running: return "running";
    case child_state::restarting: return "restarting";
    case child_state::stopping: return "stopping";
    case child_state::stopped: return "stopped";
    case child_state::failed: return "failed";
  }
  return "?";
}

const char* to_string(restart_policy p) {
  switch (p) {
    case restart_policy::permanent: return "permanent";
    case restart_policy::transient: return "transient";
    case restart_policy::temporary: return "temporary";
  }
  return "?";
}

const char* to_string(restart_strategy s) {
  switch (s) {
    case restart_strategy::one_for_one: return "one_for_one";
    case restart_strategy::one_for_all: return "one_for_all";
    case restart_strategy::rest_for_one: return "rest_for_one";
  }
  return "?";
}

struct child {
  child_spec spec;
  caf::actor handle;
  child_state state = child_state::stopped;
  int restarts = 0;
  std::uint64_t generation = 0;  // tells a stale kill timer from a current one
  std::string last_exit;
  std::vector<caf::response_promise> restart_waiters;  // (restart_atom): answered once it runs again
};

struct supervisor_state {
  supervisor_spec spec;
  std::vector<child> children;
  std::deque<steady::time_point> restart_times;
  std::vector<std::size_t> waiting_to_start;  // a group restart: started once none of them is stopping
  bool stopping = false;
  std::vector<caf::response_promise> stop_waiters;
  static inline const char* name = "supervisor";

  // Whatever ends the supervisor (its state goes with it), its children end too.
  ~supervisor_state() {
    for (auto& c : children)
      if (c.handle) caf::anon_send_exit(c.handle, caf::exit_reason::kill);
  }
};

using supervisor_actor = caf::stateful_actor<supervisor_state>;

bool is_normal(const caf::error& reason) {
  return reason == caf::exit_reason::normal || reason == caf::exit_reason::user_shutdown;
}

std::string describe(const caf::error& reason) {
  if (!reason) return "normal";
  auto ctx = reason.context();
  // An exit reason made by log_exceptions carries the exception text; show it plainly.
  if (ctx.match_elements<std::string>()) return ctx.get_as<std::string>(0);
  return caf::to_string(reason);
}

void escalate(supervisor_actor* self, const std::string& child, const std::string& why);
bool note_restart(supervisor_actor* self, const std::string& failed_child, const std::string& reason);

void start_child(supervisor_actor* self, std::size_t i) {
  auto& c = self->state.children[i];
  ++c.generation;
  try {
    c.handle = c.spec.start(self->system());
  } catch (const std::exception& e) {
    c.handle = nullptr;
    c.last_exit = std::string{"start failed: "} + e.what();
  }
  if (!c.handle) {
    if (c.last_exit.rfind("start failed", 0) != 0) c.last_exit = "start failed: no actor";
    c.state = child_state::restarting;
    spdlog::error("supervisor {}: child {}: {}", self->state.spec.name, c.spec.name, c.last_exit);
    if (note_restart(self, c.spec.name, c.last_exit))
      self->delayed_send(self, std::chrono::milliseconds(100), retry_atom::value, i, c.generation);
    return;
  }
  self->monitor(c.handle);
  c.state = child_state::running;
  for (auto& p : c.restart_waiters) p.deliver(true);
  c.restart_waiters.clear();
}

// Counts a restart; false (after escalating) when the intensity is exceeded.
bool note_restart(supervisor_actor* self, const std::string& failed_child, const std::string& reason) {
  auto& st = self->state;
  auto now = steady::now();
  st.restart_times.push_back(now);
  while (!st.restart_times.empty() && now - st.restart_times.front() > st.spec.within) st.restart_times.pop_front();
  if (static_cast<int>(st.restart_times.size()) <= st.spec.max_restarts) return true;
  escalate(self, failed_child, "supervisor " + st.spec.name + ": restart intensity exceeded (" +
                     std::to_string(st.restart_times.size()) + " restarts in " +
                     std::to_string(st.spec.within.count()) + " ms), last failure: " + failed_child + ": " + reason);
  return false;
}

void ask_to_stop(supervisor_actor* self, std::size_t i) {
  auto& c = self->state.children[i];
  if (c.state != child_state::running || !c.handle) return;
  c.state = child_state::stopping;
  self->send_exit(c.handle, caf::exit_reason::user_shutdown);
  self->delayed_send(self, c.spec.shutdown, kill_atom::value, i, c.generation);
}

bool any_stopping(const supervisor_state& st) {
  for (auto& c : st.children)
    if (c.state == child_state::stopping) return true;
  return false;
}

void start_waiting_group(supervisor_actor* self) {
  auto& st = self->state;
  if (st.waiting_to_start.empty() || any_stopping(st)) return;
  auto group = std::move(st.waiting_to_start);
  st.waiting_to_start.clear();
  for (auto i : group) start_child(self, i);
}

// Orderly stop: the last started child first, each fully gone before the next.
void stop_next(supervisor_actor* self) {
  auto& st = self->state;
  if (any_stopping(st)) return;
  for (auto i = st.children.size(); i-- > 0;) {
    if (st.children[i].state == child_state::running) {
      ask_to_stop(self, i);
      return;
    }
  }
  for (auto& p : st.stop_waiters) p.deliver(true);
  st.stop_waiters.clear();
  spdlog::info("supervisor {}: stopped", st.spec.name);
  self->quit(caf::exit_reason::normal);
}

void begin_stop(supervisor_actor* self) {
  auto& st = self->state;
  if (!st.stopping) spdlog::info("supervisor {}: stopping {} children", st.spec.name, st.children.size());
  st.stopping = true;
  st.waiting_to_start.clear();
  stop_next(self);
}

// A supervision fact as an event (category supervisor): each is the root of a trace of its own.
void supervision_event(std::string_view action, std::string_view status, nlohmann::json data) {
  auto now = now_us();
  emit_span("supervisor", action, new_trace(), 0, 0, now, now, status,
            data.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

void escalate(supervisor_actor* self, const std::string& child, const std::string& why) {
  spdlog::error("{}; stopping its children and failing", why);
  supervision_event("escalate", "failed", {{"supervisor", self->state.spec.name}, {"child", child}, {"reason", why}});
  // A person hears of it through the alerts actor, which is no child of any supervisor below the root: told
  // before the children go, so that the root's own escalation reaches it too (as the daemon ends).
  if (auto alerts = registered(self, alerts_name::value))
    self->send(alerts, escalate_atom::value, self->state.spec.name, child, why);
  for (auto it = self->state.children.rbegin(); it != self->state.children.rend(); ++it)
    if (it->handle) self->send_exit(it->handle, caf::exit_reason::kill);
  self->quit(caf::make_error(caf::sec::runtime_error, why));
}

void on_child_down(supervisor_actor* self, caf::down_msg& dm) {
  auto& st = self->state;
  std::size_t i = 0;
  while (i < st.children.size() && st.children[i].handle.address() != dm.source) ++i;
  if (i == st.children.size()) return;
  auto& c = st.children[i];
  c.handle = nullptr;
  if (c.state == child_state::stopping) {  // we asked for it
    c.state = child_state::stopped;
    if (st.stopping) stop_next(self);
    else start_waiting_group(self);
    return;
  }
  c.last_exit = describe(dm.reason);
  bool abnormal = !is_normal(dm.reason);
  if (st.stopping) {
    c.state = abnormal ? child_state::failed : child_state::stopped;
    stop_next(self);
    return;
  }
  if (abnormal) {
    spdlog::error("supervisor {}: child {} failed: {}", st.spec.name, c.spec.name, c.last_exit);
    supervision_event("child_failed", "failed",
                      {{"supervisor", st.spec.name}, {"child", c.spec.name}, {"reason", c.last_exit}});
  }
  bool restart = c.spec.restart == restart_policy::permanent ||
                 (c.spec.restart == restart_policy::transient && abnormal);
  if (!restart) {
    c.state = abnormal ? child_state::failed : child_state::stopped;
    spdlog::info("supervisor {}: child {} ended ({}) and is not restarted ({})", st.spec.name, c.spec.name,
                 c.last_exit, to_string(c.spec.restart));
    return;
  }
  if (!note_restart(self, c.spec.name, c.last_exit)) return;
  ++c.restarts;
  c.state = child_state::restarting;
  std::vector<std::size_t> group{i};
  if (st.spec.strategy != restart_strategy::one_for_one) {
    auto first = st.spec.strategy == restart_strategy::one_for_all ? 0 : i;
    for (auto j = first; j < st.children.size(); ++j) {
      if (j == i) continue;
      auto& other = st.children[j];
      if (other.state != child_state::running && other.state != child_state::stopping) continue;
      ++other.restarts;
      ask_to_stop(self, j);
      group.push_back(j);
    }
    std::sort(group.begin(), group.end());
  }
  spdlog::warn("supervisor {}: restarting {} ({})", st.spec.name,
               group.size() == 1 ? c.spec.name : std::to_string(group.size()) + " children", to_string(st.spec.strategy));
  nlohmann::json restarted = nlohmann::json::array();
  for (auto j : group) {
    restarted.push_back(st.children[j].spec.name);
    metrics::count("paios_actor_restarts_total", {{"supervisor", st.spec.name}, {"child", st.children[j].spec.name}});
  }
  supervision_event("restart", "ok",
                    {{"supervisor", st.spec.name}, {"child", c.spec.name}, {"restarts", c.restarts},
                     {"strategy", to_string(st.spec.strategy)}, {"restarted", restarted}, {"reason", c.last_exit}});
  st.waiting_to_start.insert(st.waiting_to_start.end(), group.begin(), group.end());
  start_waiting_group(self);
}

void status(supervisor_actor* self, caf::response_promise promise) {
  auto& st = self->state;
  struct gather {
    nlohmann::json doc;
    std::size_t pending = 1;
    caf::response_promise promise;
  };
  auto g = std::make_shared<gather>();
  g->promise = std::move(promise);
  g->doc = {{"name", st.spec.name},
            {"strategy", to_string(st.spec.strategy)},
            {"max_restarts", st.spec.max_restarts},
            {"within_ms", st.spec.within.count()},
            {"children", nlohmann::json::array()}};
  auto done = [g] {
    if (--g->pending == 0) g->promise.deliver(g->doc.dump());
  };
  for (std::size_t i = 0; i < st.children.size(); ++i) {
    auto& c = st.children[i];
    g->doc["children"].push_back({{"name", c.spec.name},
                                  {"state", to_string(c.state)},
                                  {"restarts", c.restarts},
                                  {"last_exit", c.last_exit},
                                  {"policy", to_string(c.spec.restart)},
                                  {"supervisor", c.spec.is_supervisor}});
    if (!c.spec.is_supervisor || !c.handle || c.state != child_state::running) continue;
    ++g->pending;
    self->request(c.handle, std::chrono::seconds(1), status_atom::value)
        .then(
            [g, i, done](const std::string& js) {
              g->doc["children"][i]["tree"] = nlohmann::json::parse(js, nullptr, false);
              done();
            },
            [g, i, done](caf::error& e) {
              g->doc["children"][i]["tree"] = {{"error", "did not answer: " + caf::to_string(e)}};
              done();
            });
  }
  done();
}

caf::behavior supervisor_behavior(supervisor_actor* self, supervisor_spec spec) {
  auto& st = self->state;
  st.spec = std::move(spec);
  guard_actor(self, "supervisor " + st.spec.name);
  for (auto& cs : st.spec.children) st.children.push_back(child{cs, nullptr, child_state::stopped, 0, 0, {}});
  self->set_down_handler([self](caf::down_msg& dm) { on_child_down(self, dm); });
  self->set_exit_handler([self](caf::exit_msg& em) {
    if (is_normal(em.reason)) begin_stop(self);  // a parent's orderly stop
    else self->quit(em.reason);
  });
  for (std::size_t i = 0; i < st.children.size(); ++i) {
    start_child(self, i);
    if (self->getf(caf::abstract_actor::is_terminated_flag)) return {};
  }
  spdlog::info("supervisor {}: started {} children ({})", st.spec.name, st.children.size(), to_string(st.spec.strategy));
  return {
      [=](status_atom) {
        auto promise = self->make_response_promise<std::string>();
        status(self, promise);
        return promise;
      },
      [=](whereis_atom, const std::string& name) -> caf::result<caf::actor> {
        for (auto& c : self->state.children)
          if (c.spec.name == name && c.handle && c.state == child_state::running) return c.handle;
        return caf::make_error(caf::sec::runtime_error, "no running child named " + name);
      },
      [=](stop_atom) {
        auto promise = self->make_response_promise<bool>();
        self->state.stop_waiters.push_back(promise);
        begin_stop(self);
        return promise;
      },
      // A restart someone asked for (a configuration reload): the child stops in order and starts again from its
      // spec. Not a failure: it counts toward no intensity and no restart metric.
      [=](restart_atom, const std::string& name) -> caf::result<bool> {
        auto& st = self->state;
        if (st.stopping) return caf::make_error(caf::sec::runtime_error, "supervisor " + st.spec.name + " is stopping");
        for (std::size_t i = 0; i < st.children.size(); ++i) {
          auto& c = st.children[i];
          if (c.spec.name != name) continue;
          if (c.state != child_state::running)
            return caf::make_error(caf::sec::runtime_error, "child " + name + " is " + to_string(c.state));
          auto promise = self->make_response_promise<bool>();
          c.restart_waiters.push_back(promise);
          spdlog::info("supervisor {}: restarting {} as asked", st.spec.name, name);
          ask_to_stop(self, i);
          st.waiting_to_start.push_back(i);
          return promise;
        }
        return caf::make_error(caf::sec::runtime_error, "no child named " + name);
      },
      [=](retry_atom, std::size_t i, std::uint64_t generation) {
        auto& st = self->state;
        if (st.stopping || i >= st.children.size() || st.children[i].generation != generation) return;
        start_child(self, i);
      },
      [=](kill_atom, std::size_t i, std::uint64_t generation) {
        auto& st = self->state;
        if (i >= st.children.size()) return;
        auto& c = st.children[i];
        if (c.generation != generation || c.state != child_state::stopping || !c.handle) return;
        spdlog::warn("supervisor {}: child {} did not stop within {} ms; killing it", st.spec.name, c.spec.name,
                     c.spec.shutdown.count());
        self->send_exit(c.handle, caf::exit_reason::kill);
      },
  };
}

}  // namespace

caf::actor spawn_supervisor(caf::actor_system& sys, supervisor_spec spec) {
  return sys.spawn(supervisor_behavior, std::move(spec));
}

child_spec supervisor_child(supervisor_spec spec, restart_policy restart) {
  child_spec c;
  c.name = spec.name;
  c.restart = restart;
  c.is_supervisor = true;
  // A supervisor's own orderly stop takes as long as its children's, in turn.
  std::chrono::milliseconds total{1000};
  for (auto& ch : spec.children) total += ch.shutdown;
  c.shutdown = total;
  c.start = [spec = std::move(spec)](caf::actor_system& sys) { return spawn_supervisor(sys, spec); };
  return c;
}

void guard_actor(caf::scheduled_actor* self, std::string name) {
  self->set_exception_handler([name](caf::scheduled_actor*, std::exception_ptr& eptr) -> caf::error {
    std::string what = "unknown exception";
    try {
      std::rethrow_exception(eptr);
    } catch (const std::exception& e) {
      what = e.what();
    } catch (...) {
    }
    spdlog::error("{}: uncaught exception: {}", name, what);
    return caf::make_error(caf::sec::runtime_error, name + " threw: " + what);
  });
  self->set_default_handler([name](caf::scheduled_actor*, caf::message_view& x) -> caf::result<caf::message> {
    spdlog::warn("{}: dropped an unexpected message: {}", name, caf::deep_to_string(x.content()));
    return caf::sec::unexpected_message;
  });
  self->set_error_handler([name](caf::error& e) {
    spdlog::warn("{}: ignored an error message: {}", name, caf::to_string(e));
  });
}

}  // namespace paios
