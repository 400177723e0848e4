#include "actors/dispatcher/dispatcher.hpp"

#include <algorithm>
#include <optional>
#include <random>
#include <set>
#include <unordered_map>

#include <caf/all.hpp>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "actors/names.hpp"
#include "actors/state_store/state_store.hpp"
#include "actors/supervisor/supervisor.hpp"
#include "core/fault/crash_point.hpp"
#include "core/obs/event_sink.hpp"
#include "core/obs/metrics.hpp"
#include "core/process/process_runner.hpp"
#include "core/routing/brain_health.hpp"
#include "core/routing/chain_walk.hpp"
#include "core/routing/circuit_breaker.hpp"
#include "core/routing/classifier.hpp"
#include "messages/caf_types.hpp"
#include "messages/ids.hpp"
#include "messages/json_writer.hpp"
#include "messages/redact.hpp"

namespace paios {
namespace {

// Writes on the task path carry no timeout: CAF keeps a timer per timed request until it fires, which at
// tens of thousands of tasks a second is megabytes of timers. A store that is gone still answers at once
// (the request fails with the receiver down); a store that is alive always answers.
constexpr auto kWriteTimeout = caf::infinite;
constexpr auto kStoreTimeout = std::chrono::seconds(10);
constexpr auto kLookupTimeout = std::chrono::seconds(5);
// A task's decision log entry is written when it ends; one still running after this long gets its entry
// then, so that `ai routes` shows it and a crash keeps it. Most tasks of a busy daemon end sooner, and write
// once instead of twice (docs/benchmarks.md).
constexpr auto kDecisionAfter = std::chrono::milliseconds(500);
// An outcome the store could not take (state.sqlite and its task journal both refused it) is held here and
// written again after a backoff (doubling up to kHeldOutcomeMaxMs), until it is stored; its submitter waits
// for it this long, then is told store_failed with the task's id (never a result that is not stored).
constexpr std::int64_t kHeldOutcomeFirstMs = 100;
constexpr std::int64_t kHeldOutcomeMaxMs = 5000;
constexpr std::int64_t kHeldOutcomeWaitMs = 5000;

struct in_flight {
  task_record record;
  caf::actor listener;  // null for tasks recovered at boot: nobody is waiting for them
  std::string route;
  std::string request_id;
  bool stream = true;
  std::optional<chain_walk> walk;  // the brains to try and how each went; empty until the task is planned
  std::string category;            // the router's category, "" when it did not classify the task
  std::string decision_head;       // the decision log entry's JSON object, but for brain, tried and outcome
  std::uint32_t seq = 0;
  bool streamed = false;           // output has reached the client: never re-run, here or elsewhere
  bool finishing = false;          // its outcome is decided and being stored: later news from a brain is moot
  bool backing_off = false;        // waiting to retry: no brain has it
  std::optional<std::uint64_t> ticket;  // the current call's place in its brain's breaker
  std::int64_t call_started_ms = 0;
  std::int64_t accepted_us = 0;    // where the task's span begins
  bool decision_stored = false;    // its decision log entry is written (see kDecisionAfter)
  std::optional<task_update> held_outcome;  // decided, not yet stored (kHeldOutcomeFirstMs)
  std::int64_t held_since_ms = 0;
  std::int64_t held_delay_ms = kHeldOutcomeFirstMs;
};

struct dispatcher_state {
  dispatcher_options opts;
  std::unordered_map<std::string, in_flight> tasks;
  std::unordered_map<std::string, caf::actor> brains;  // cache of brains-supervisor children
  std::unique_ptr<brain_health> health;
  std::map<std::string, rule_weight> weights;  // the router's adjustments, as stored
  std::mt19937_64 rng{std::random_device{}()};
  bool draining = false;
  std::vector<caf::response_promise> drain_waiters;
  bool drain_complete = true;
  bool decision_timer = false;  // a tick_atom is pending: decisions of long tasks get written
  // Task writes of this turn, sent to the store together when the flush_atom queued behind them arrives: one
  // request per turn keeps the actor's table of awaited replies short (CAF searches it linearly).
  std::vector<task_write> writes;
  std::vector<std::function<void(std::string)>> written;  // each write's continuation, in the same order
  bool writes_scheduled = false;
  std::set<std::string> told_unable;  // brains a routed notice has named in this run (see the header)
  static inline const char* name = "dispatcher";
};

using dispatcher_ptr = dispatcher_actor::stateful_pointer<dispatcher_state>;

void notify(dispatcher_ptr self, const in_flight& t, task_update u) {
  if (!t.listener) return;
  u.route = t.route;
  u.request_id = t.request_id;
  u.task_id = t.record.spec.id;
  u.trace_id = t.record.spec.trace_id;
  u.parent_span = t.record.spec.parent_span;
  // Listeners and brains are dynamically typed, and a typed actor may not send() to them; the sender mixin's
  // anon_send still names this actor as the sender, exactly as send() did.
  self->anon_send(t.listener, update_atom::value, std::move(u));
}

void refuse(dispatcher_ptr self, const caf::actor& listener, const std::string& route,
            const std::string& request_id, const task_spec& spec, errc code, std::string message) {
  task_update u;
  u.what = task_update::kind::error;
  u.route = route;
  u.request_id = request_id;
  u.trace_id = spec.trace_id;
  u.parent_span = spec.parent_span;
  u.state = task_state::failed;
  u.error = code;
  u.message = std::move(message);
  if (listener) self->anon_send(listener, update_atom::value, std::move(u));
}

// Queues a task write for this turn's batch; `then` gets "" once it is durable, else the error.
void persist(dispatcher_ptr self, const task_record& r, bool is_new, std::function<void(std::string)> then) {
  auto& st = self->state;
  st.writes.push_back(task_write{r, is_new});
  st.written.push_back(std::move(then));
  if (!st.writes_scheduled) {
    st.writes_scheduled = true;
    self->send(self, flush_atom::value);
  }
}

// Sends the batch of this turn's task writes, and answers each write's continuation with its own result.
void send_writes(dispatcher_ptr self) {
  auto& st = self->state;
  st.writes_scheduled = false;
  if (st.writes.empty()) return;
  auto writes = std::move(st.writes);
  auto written = std::make_shared<std::vector<std::function<void(std::string)>>>(std::move(st.written));
  st.writes.clear();
  st.written.clear();
  auto fail_all = [written](const std::string& why) {
    for (auto& then : *written) then(why);
  };
  auto store = registered_as<state_store_actor>(self, store_name::value);
  if (!store) return fail_all("the state store is not running");
  self->request(store, kWriteTimeout, persist_atom::value, std::move(writes))
      .then(
          [written, fail_all](std::vector<std::string>& errors) {
            if (errors.size() != written->size())
              return fail_all("the state store answered " + std::to_string(errors.size()) + " of " +
                              std::to_string(written->size()) + " writes");
            for (std::size_t i = 0; i < errors.size(); ++i) (*written)[i](std::move(errors[i]));
          },
          [fail_all](caf::error& e) { fail_all("the state store did not answer: " + caf::to_string(e)); });
}

// Fire-and-forget writes of routing facts: a failure is logged, and the task goes on.
template <class Record>
void store_quietly(dispatcher_ptr self, Record r, const char* what) {
  auto store = registered_as<state_store_actor>(self, store_name::value);
  if (!store) return;
  self->request(store, kWriteTimeout, persist_atom::value, std::move(r))
      .then(
          [what](const std::string& err) {
            if (!err.empty()) spdlog::warn("dispatcher: storing {} failed: {}", what, err);
          },
          [what](caf::error& e) { spdlog::warn("dispatcher: storing {} failed: {}", what, caf::to_string(e)); });
}

// A breaker transition: logged, stored, and an event in the trace of the task whose call moved it.
void store_breaker(dispatcher_ptr self, breaker_record r, const task_spec* cause = nullptr) {
  spdlog::log(r.state == "closed" ? spdlog::level::info : spdlog::level::warn, "breaker {}: {} -> {}: {}", r.brain,
              r.from, r.state, r.reason);
  metrics::count("paios_breaker_transitions_total", {{"brain", r.brain}, {"to", r.state}});
  if (r.state == "closed") self->state.told_unable.erase(r.brain);  // it may run again: a new loss is told
  auto trace = cause ? parse_trace_id(cause->trace_id) : std::nullopt;
  auto now = now_us();
  emit_span("breaker", "transition", trace.value_or(new_trace()), 0, cause ? cause->span_id : 0, now, now, r.state,
            nlohmann::json{{"brain", r.brain}, {"from", r.from}, {"to", r.state}, {"reason", r.reason}}.dump());
  store_quietly(self, std::move(r), "a breaker transition");
}

// "" when the brain's program is on PATH (or it runs none), else why not. A PATH lookup: cheap.
std::string missing_program(const dispatcher_options& o, const std::string& brain) {
  auto it = o.programs.find(brain);
  return it == o.programs.end() ? std::string{} : program_missing(it->second);
}

// "claude, codex and gemini".
std::string names_in_words(const std::vector<std::string>& names) {
  std::string out;
  for (std::size_t i = 0; i < names.size(); ++i)
    out += (i == 0 ? "" : i + 1 == names.size() ? " and " : ", ") + names[i];
  return out;
}

// "a, b, c": every configured brain, for an error that names an unknown one.
std::string known_brains(const dispatcher_options& o) {
  std::string known;
  for (auto& b : o.brain_names) known += (known.empty() ? "" : ", ") + b;
  return known;
}

// One line of a notice: why a brain could not run, and what a person can do about it.
std::string remedy(const dispatcher_options& o, const std::string& brain, const std::string& why) {
  if (auto missing = missing_program(o, brain); !missing.empty()) {
    auto d = o.descriptions.count(brain) ? o.descriptions.at(brain) : std::string{};
    auto what = d.substr(0, d.find(','));  // "Claude Code, non-interactive": "Claude Code"
    if (what.empty()) what = "`" + o.programs.at(brain) + "`";
    return brain + ": not installed (" + missing + "); install " + what + " or set brains." + brain + ".command in " +
           o.config_file;
  }
  if (why.rfind("circuit breaker", 0) == 0) return brain + ": " + why + "; `ai breaker reset " + brain + "` closes it now";
  return brain + ": " + why;
}

// A task no brain could run: for each brain passed over (and `last`, the one that ended it) whose program is
// missing, how to install or configure it, as lines after the error's message ("" when there is none).
std::string install_hints(const dispatcher_options& o, const chain_walk& walk, const std::string& last) {
  std::vector<std::string> brains;
  for (const auto& [brain, why] : walk.passed_over()) brains.push_back(brain);
  if (!last.empty()) brains.push_back(last);
  std::string out;
  std::set<std::string> seen;
  for (const auto& b : brains)
    if (seen.insert(b).second && !missing_program(o, b).empty()) out += "\n  " + remedy(o, b, {});
  return out;
}

// The notice of the routed update that hands the task to `taken_by`: the brains passed over that this run has
// not told of yet, "" when there are none (docs/protocol.md, task.submit's `routed.notice`). Only a client of the
// wire protocol is told (through the bridge): the daemon's own jobs, pipelines and watchers show no one.
std::string unable_notice(dispatcher_ptr self, const in_flight& t, const std::string& taken_by) {
  auto& st = self->state;
  if (!t.listener || !t.walk || t.walk->passed_over().empty()) return {};
  if (t.listener != registered(self, bridge_name::value)) return {};
  std::vector<std::string> names;
  std::string lines;
  for (const auto& [brain, why] : t.walk->passed_over()) {
    if (!st.told_unable.insert(brain).second) continue;
    names.push_back(brain);
    lines += "\n  " + remedy(st.opts, brain, why);
  }
  if (names.empty()) return {};
  return names_in_words(names) + " cannot run, so " + taken_by +
         " takes the task:" + lines;
}

// Every call and skip so far ("[]" for a task refused before its chain was planned).
std::string tried_json(const in_flight& t) { return t.walk ? t.walk->tried_json() : std::string{"[]"}; }

// The routing decision as the task's row keeps it (task_record::route): the head written when the task was
// routed, the brains tried so far, and the outcome once there is one. It is written with the task's next write.
void record_decision(in_flight& t) {
  const auto outcome = t.finishing ? std::string{to_string(t.record.state)} : std::string{};
  t.record.route = json_object::extend(t.decision_head)
                       .raw("tried", tried_json(t))
                       .str("brain", t.record.brain)
                       .str("outcome", outcome)
                       .done();
}

// A point in a task's life (a retry, a failover), in its trace under its span.
void task_event(const in_flight& t, std::string_view action, std::string_view status, nlohmann::json data) {
  auto trace = parse_trace_id(t.record.spec.trace_id);
  if (!trace) return;
  data["task_id"] = t.record.spec.id;
  auto now = now_us();
  emit_span("task", action, *trace, 0, t.record.spec.span_id, now, now, status, data.dump());
}

// The task's span: from acceptance to its stored outcome; "ok" or the error code. And its metrics.
void end_task_span(const in_flight& t, const task_update& outcome) {
  const auto& r = t.record;
  const auto brain = r.brain.empty() ? std::string{"none"} : r.brain;
  const auto ended_us = now_us();
  metrics::count("paios_tasks_total", {{"brain", brain}, {"outcome", to_string(r.state)}});
  metrics::observe("paios_task_duration_seconds", {{"brain", brain}}, static_cast<double>(ended_us - t.accepted_us) / 1e6);
  auto trace = parse_trace_id(t.record.spec.trace_id);
  if (!trace) return;
  auto data = json_object{}
                  .str("task_id", r.spec.id)
                  .str("state", to_string(r.state))
                  .str("brain", r.brain)
                  .raw("tried", tried_json(t))
                  .done();
  emit_span("task", "run", *trace, r.spec.span_id, r.spec.parent_span, t.accepted_us, ended_us,
            outcome.what == task_update::kind::result ? std::string_view{"ok"} : to_string(outcome.error),
            std::move(data));
}

void check_drained(dispatcher_ptr self) {
  auto& st = self->state;
  if (!st.draining || !st.tasks.empty()) return;
  for (auto& p : st.drain_waiters) p.deliver(st.drain_complete);
  st.drain_waiters.clear();
}

void store_outcome(dispatcher_ptr self, const std::string& id);
void hold_outcome(dispatcher_ptr self, in_flight& t, const std::string& err);

// The end of a task: stored first, then told to its submitter.
void finish(dispatcher_ptr self, const std::string& id, task_update outcome) {
  auto& st = self->state;
  auto it = st.tasks.find(id);
  if (it == st.tasks.end() || it->second.finishing) return;
  auto& t = it->second;
  t.finishing = true;
  if (t.ticket) st.health->release(t.record.brain, *t.ticket);  // ended before its brain said how it went
  t.ticket.reset();
  auto& r = t.record;
  r.state = outcome.state;
  r.text = outcome.what == task_update::kind::result ? outcome.text : std::string{};
  r.error = outcome.error;
  r.error_message = outcome.message;
  r.exit_code = outcome.exit_code;
  r.finished_ms = now_ms();
  if (!outcome.brain.empty()) r.brain = outcome.brain;
  if (outcome.duration_ms == 0 && r.started_ms) outcome.duration_ms = r.finished_ms - r.started_ms;
  record_decision(t);
  t.held_outcome = std::move(outcome);
  crash_point("ended");
  store_outcome(self, id);
}

// Writes a decided outcome; once it is stored the submitter is told and the task leaves the table. A write
// that fails keeps the outcome held and tries again (persist_atom to itself).
void store_outcome(dispatcher_ptr self, const std::string& id) {
  auto it = self->state.tasks.find(id);
  if (it == self->state.tasks.end() || !it->second.held_outcome) return;
  persist(self, it->second.record, false, [self, id](std::string err) {
    auto& st = self->state;
    auto it = st.tasks.find(id);
    if (it == st.tasks.end()) return;
    auto& t = it->second;
    if (!err.empty()) return hold_outcome(self, t, err);
    crash_point("stored");
    if (t.held_since_ms) spdlog::info("dispatcher: task {}: its held outcome is stored", id);
    auto outcome = std::move(*t.held_outcome);
    end_task_span(t, outcome);
    notify(self, t, std::move(outcome));
    st.tasks.erase(it);
    metrics::set("paios_tasks_in_flight", {}, static_cast<double>(st.tasks.size()));
    check_drained(self);
  });
}

void hold_outcome(dispatcher_ptr self, in_flight& t, const std::string& err) {
  const auto& id = t.record.spec.id;
  const auto now = now_ms();
  if (!t.held_since_ms) {
    t.held_since_ms = now;
    spdlog::error("dispatcher: task {}: storing its outcome ({}) failed, holding it and trying again: {}", id,
                  to_string(t.record.state), err);
  }
  if (t.listener && now - t.held_since_ms >= kHeldOutcomeWaitMs) {
    // The submitter is told the truth: the task ended, its outcome is not stored yet.
    task_update u;
    u.what = task_update::kind::error;
    u.state = t.record.state;
    u.error = errc::store_failed;
    u.message = "task " + id + " ended (" + std::string{to_string(t.record.state)} +
                ") but its outcome could not be stored: " + err + "; paiosd holds it and keeps trying (ai task " + id + ")";
    notify(self, t, std::move(u));
    t.listener = nullptr;
  }
  self->delayed_send(self, std::chrono::milliseconds{t.held_delay_ms}, persist_atom::value, id);
  t.held_delay_ms = std::min(t.held_delay_ms * 2, kHeldOutcomeMaxMs);
}

void fail(dispatcher_ptr self, const std::string& id, errc code, std::string message) {
  task_update u;
  u.what = task_update::kind::error;
  u.state = code == errc::cancelled ? task_state::cancelled
                                    : code == errc::interrupted ? task_state::interrupted : task_state::failed;
  u.error = code;
  u.message = std::move(message);
  finish(self, id, std::move(u));
}

void send_to_brain(dispatcher_ptr self, const std::string& id, const std::string& brain_name,
                   const caf::actor& brain);
void try_next(dispatcher_ptr self, const std::string& id);

// Sends the task to `name` (already admitted by its breaker), looking the brain up when it is not cached.
void call_brain(dispatcher_ptr self, const std::string& id, const std::string& name) {
  auto& st = self->state;
  if (auto b = st.brains.find(name); b != st.brains.end()) {
    send_to_brain(self, id, name, b->second);
    return;
  }
  auto brains = registered(self, brains_name::value);
  if (!brains) {
    fail(self, id, errc::internal, "the brains supervisor is not running");
    return;
  }
  self->request(brains, kLookupTimeout, whereis_atom::value, brain_child_name(name))
      .then(
          [self, id, name](const caf::actor& brain) {
            self->state.brains[name] = brain;
            self->monitor(brain);
            send_to_brain(self, id, name, brain);
          },
          [self, id, name](caf::error& e) {
            auto& st = self->state;
            auto it = st.tasks.find(id);
            if (it == st.tasks.end() || it->second.finishing) return;
            auto& t = it->second;
            if (t.ticket) st.health->release(name, *t.ticket);
            t.ticket.reset();
            t.walk->unreachable(name, "not running (" + caf::to_string(e) + ")");
            try_next(self, id);
          });
}

// The walk's admit(): asks the brain's breaker, keeps the call's ticket; "" to admit, else why not.
auto breaker_admits(dispatcher_ptr self, in_flight& t) {
  return [self, &t](const std::string& name) {
    auto a = self->state.health->admit(name, now_ms());
    if (a.changed) store_breaker(self, std::move(*a.changed), &t.record.spec);
    if (!a.ticket) return a.refusal;
    t.ticket = a.ticket;
    return std::string{};
  };
}

// Sends the task to the next brain of its chain whose breaker lets it through, or fails it naming every brain
// and why it could not run.
void try_next(dispatcher_ptr self, const std::string& id) {
  auto& st = self->state;
  auto it = st.tasks.find(id);
  if (it == st.tasks.end() || it->second.finishing) return;
  auto& t = it->second;
  if (auto brain = t.walk->next(breaker_admits(self, t))) return call_brain(self, id, *brain);
  auto end = t.walk->exhausted();
  fail(self, id, end.error, end.message + install_hints(st.opts, *t.walk, {}));
}

void send_to_brain(dispatcher_ptr self, const std::string& id, const std::string& brain_name,
                   const caf::actor& brain) {
  auto it = self->state.tasks.find(id);
  if (it == self->state.tasks.end() || it->second.finishing) return;
  auto& t = it->second;
  auto& r = t.record;
  r.brain = brain_name;
  ++r.attempts;
  t.call_started_ms = now_ms();
  task_update routed;
  routed.what = task_update::kind::routed;
  routed.brain = brain_name;
  routed.text = t.walk->reason();
  // Told on the way to a brain that may answer: one whose program is missing fails at once, and the notice
  // waits for the brain after it (so it names every brain passed over, and the one that takes the task).
  if (!t.walk->passed_over().empty() && missing_program(self->state.opts, brain_name).empty())
    routed.message = unable_notice(self, t, brain_name);  // (the common task passed over none: no lookup at all)
  notify(self, t, std::move(routed));
  // The agent reads attached files itself: it is told where they are.
  auto spec = r.spec;
  if (!spec.attachments.empty()) {
    spec.prompt += "\n\nAttached files:";
    for (const auto& a : spec.attachments) spec.prompt += "\n- " + a.name + (a.mime.empty() ? "" : " (" + a.mime + ")");
  }
  self->anon_send(brain, run_atom::value, std::move(spec));
}

void on_outcome(dispatcher_ptr self, task_update& u) {
  auto& st = self->state;
  auto it = st.tasks.find(u.task_id);
  if (it == st.tasks.end()) {
    // Not ours: this dispatcher was restarted while the task ran. Store the outcome all the same.
    auto store = registered_as<state_store_actor>(self, store_name::value);
    if (!store) return;
    self->request(store, kStoreTimeout, get_atom::value, u.task_id)
        .then([self, u](bool found, task_record r) {
          if (!found || is_terminal(r.state)) return;
          r.state = u.state;
          r.text = u.text;
          r.error = u.error;
          r.error_message = u.message;
          r.exit_code = u.exit_code;
          r.finished_ms = now_ms();
          persist(self, r, false, [](std::string) {});
        });
    return;
  }
  auto& t = it->second;
  // E.g. the brain's "cancelled" after the drain deadline already stored the task as interrupted.
  if (t.finishing) return;
  const auto brain = t.record.brain;
  const auto now = now_ms();
  const auto took = now - t.call_started_ms;
  const bool is_result = u.what == task_update::kind::result;
  if (is_result) st.told_unable.erase(brain);  // it runs: a later loss of it is told again
  if (t.ticket) {
    auto v = judge_call(is_result, u.error);
    std::optional<breaker_record> moved;
    if (v == call_verdict::neutral) st.health->release(brain, *t.ticket);
    else moved = st.health->record(brain, *t.ticket, v == call_verdict::failure, took, now, u.message);
    t.ticket.reset();
    if (moved) store_breaker(self, std::move(*moved), &t.record.spec);
  }
  t.walk->record_call(brain, is_result ? std::string_view{"succeeded"} : to_string(u.error), u.message, took);
  auto id = u.task_id;
  if (u.what != task_update::kind::error || u.error == errc::cancelled || u.error == errc::interrupted)
    return finish(self, id, std::move(u));
  t.record.error = u.error;
  auto next = t.walk->on_error(brain, u.error, u.message, t.streamed);
  switch (next.what) {
    case chain_walk::decision::kind::retry: {
      const auto& p = st.opts.retry;
      auto delay = retry_delay_ms(next.retry, p.base_delay_ms, p.max_delay_ms,
                                  std::uniform_real_distribution<double>{0.0, 1.0}(st.rng));
      t.backing_off = true;
      spdlog::info("dispatcher: task {}: {} failed ({}); retry {} of {} in {} ms", id, brain, u.message, next.retry,
                   p.max_retries, delay);
      task_event(t, "retry", to_string(u.error),
                 {{"brain", brain}, {"retry", next.retry}, {"delay_ms", delay}, {"message", u.message}});
      self->delayed_send(self, std::chrono::milliseconds{delay}, retry_atom::value, id);
      return;
    }
    case chain_walk::decision::kind::fail_over:
      task_event(t, "failover", to_string(u.error), {{"from", brain}, {"message", u.message}});
      return try_next(self, id);
    case chain_walk::decision::kind::finish:
      u.error = next.error;
      u.message = next.message + (next.error == errc::brain_unavailable ? install_hints(st.opts, *t.walk, brain) : "");
      return finish(self, id, std::move(u));
  }
}

// A backoff has elapsed: the same brain again, if its breaker still lets the task through.
void on_retry(dispatcher_ptr self, const std::string& id) {
  auto& st = self->state;
  auto it = st.tasks.find(id);
  if (it == st.tasks.end() || it->second.finishing || !it->second.backing_off) return;
  auto& t = it->second;
  t.backing_off = false;
  auto brain = t.record.brain;
  if (!t.walk->readmit(brain, breaker_admits(self, t))) return try_next(self, id);
  call_brain(self, id, brain);
}

std::vector<route_attachment> route_attachments(const task_spec& spec) {
  std::vector<route_attachment> out;
  for (const auto& a : spec.attachments) out.push_back({a.name, a.mime});
  return out;
}

// Chooses the brains a task tries, in order: the one it names; or the one its prompt names ("ask codex to
// ..."), removed from the prompt; or the router's chain for its category, then the default brain and the
// failover list, so that a task is answered while any brain can answer it. Returns "" or why the task is
// refused (an override naming an unknown brain).
std::string plan_chain(const dispatcher_state& st, in_flight& t) {
  auto& spec = t.record.spec;
  json_object head;  // the decision log entry; its chain, summary and ids are added below
  std::vector<std::string> brains;
  std::string reason;
  auto summary = redacted_summary(spec.prompt);  // as the client wrote it, before an override is taken out
  if (!spec.brain.empty()) {
    brains = {spec.brain};
    reason = "requested by the client";
    head.str("override", spec.brain).str("reason", reason);
  } else if (st.opts.router) {
    const auto started = now_us();
    auto d = st.opts.router->classify(spec.prompt, route_attachments(spec));
    if (auto trace = parse_trace_id(spec.trace_id))
      emit_span("route", "classify", *trace, 0, spec.span_id, started, now_us(),
                !d.override_brain.empty() && d.chain.empty() ? std::string_view{"unknown_brain"} : std::string_view{"ok"},
                json_object{}
                    .str("category", d.category)
                    .real("confidence", d.confidence)
                    .str("brain", d.chain.empty() ? std::string_view{} : std::string_view{d.chain.front()})
                    .str("override", d.override_brain)
                    .boolean("below_threshold", d.below_threshold)
                    .done());
    if (!d.override_brain.empty() && d.chain.empty()) return d.reason;  // names an unknown brain
    reason = d.reason;
    brains = d.chain;
    t.category = d.category;
    write_decision(head, d, false);
    if (!d.override_brain.empty()) {
      spec.prompt = std::move(d.prompt);
      spec.brain = d.override_brain;
    }
  } else {
    head.str("reason", "the default brain (no router)");
  }
  // A task that names its brain tries just that one; any other is answered while any brain can answer it.
  if (spec.brain.empty()) {
    auto add = [&](const std::string& b) {
      if (std::find(brains.begin(), brains.end(), b) == brains.end()) brains.push_back(b);
    };
    add(st.opts.default_brain);
    for (auto& b : st.opts.failover) add(b);
  }
  json_array chain;
  for (const auto& b : brains) chain.str(b);
  head.raw("chain", chain.done())
      .str("summary", summary)
      .str("task_id", spec.id)
      .str("trace_id", spec.trace_id)
      .num("time_ms", spec.created_ms);
  t.decision_head = head.done();
  t.walk.emplace(std::move(brains), st.opts.retry.max_retries, std::move(reason));
  return {};
}

void start_task(dispatcher_ptr self, in_flight t) {
  auto& st = self->state;
  auto& spec = t.record.spec;
  if (!t.walk) {
    if (auto refusal = plan_chain(st, t); !refusal.empty()) {
      auto id = spec.id;
      st.tasks.emplace(id, std::move(t));
      metrics::set("paios_tasks_in_flight", {}, static_cast<double>(st.tasks.size()));
      fail(self, id, errc::unknown_brain, refusal);
      return;
    }
  }
  auto id = spec.id;
  st.tasks.emplace(id, std::move(t));
  metrics::set("paios_tasks_in_flight", {}, static_cast<double>(st.tasks.size()));
  if (!st.decision_timer) {
    st.decision_timer = true;
    self->delayed_send(self, kDecisionAfter, tick_atom::value);
  }
  try_next(self, id);
}

void submit(dispatcher_ptr self, task_spec spec, caf::actor listener, std::string route,
            std::string request_id, bool stream) {
  auto& st = self->state;
  if (st.draining)
    return refuse(self, listener, route, request_id, spec, errc::shutting_down, "the daemon is shutting down");
  if (!spec.brain.empty() &&
      std::find(st.opts.brain_names.begin(), st.opts.brain_names.end(), spec.brain) == st.opts.brain_names.end()) {
    return refuse(self, listener, route, request_id, spec, errc::unknown_brain,
                  "unknown brain '" + spec.brain + "'; known brains: " + known_brains(st.opts));
  }
  if (st.tasks.size() >= st.opts.max_in_flight)
    return refuse(self, listener, route, request_id, spec, errc::overloaded,
                  std::to_string(st.tasks.size()) + " tasks in flight (tasks.max_in_flight)");
  spec.id = new_task_id();
  spec.created_ms = now_ms();
  if (spec.trace_id.empty()) spec.trace_id = new_trace_id();
  spec.span_id = new_span_id();
  in_flight t;
  t.accepted_us = now_us();
  t.record.spec = std::move(spec);
  if (auto refusal = plan_chain(st, t); !refusal.empty())
    return refuse(self, listener, route, request_id, t.record.spec, errc::unknown_brain, refusal);
  t.listener = std::move(listener);
  t.route = std::move(route);
  t.request_id = std::move(request_id);
  t.stream = stream;
  auto record = t.record;
  auto id = record.spec.id;
  // Reserve the slot now, so that max_in_flight counts tasks still being written.
  st.tasks.emplace(id, std::move(t));
  metrics::set("paios_tasks_in_flight", {}, static_cast<double>(st.tasks.size()));
  persist(self, record, true, [self, id](std::string err) {
    auto& st = self->state;
    auto it = st.tasks.find(id);
    if (it == st.tasks.end()) return;
    auto t = std::move(it->second);
    st.tasks.erase(it);
    metrics::set("paios_tasks_in_flight", {}, static_cast<double>(st.tasks.size()));
    if (!err.empty()) {
      spdlog::error("dispatcher: task {} refused: the store failed: {}", id, err);
      refuse(self, t.listener, t.route, t.request_id, t.record.spec, errc::store_failed,
             "the task could not be stored: " + err);
      check_drained(self);
      return;
    }
    crash_point("accepted");
    task_update accepted;
    accepted.what = task_update::kind::accepted;
    notify(self, t, std::move(accepted));
    start_task(self, std::move(t));
  });
}

void recover(dispatcher_ptr self) {
  auto store = registered_as<state_store_actor>(self, store_name::value);
  if (!store) {
    spdlog::error("dispatcher: no state store at start; nothing recovered");
    return;
  }
  self->request(store, kStoreTimeout, recover_atom::value)
      .then(
          [self](std::vector<task_record>& queued) {
            if (!queued.empty()) spdlog::info("dispatcher: dispatching {} tasks left queued by the last run", queued.size());
            for (auto& r : queued) {
              in_flight t;
              t.record = std::move(r);
              // A new span in the task's old trace: this run of it begins now.
              t.record.spec.span_id = new_span_id();
              t.record.spec.parent_span = 0;
              t.accepted_us = now_us();
              start_task(self, std::move(t));
            }
          },
          [](caf::error& e) { spdlog::error("dispatcher: recovery failed: {}", caf::to_string(e)); });
}

// At the drain deadline every task still in flight is cancelled and stored as interrupted.
void drain_deadline(dispatcher_ptr self) {
  auto& st = self->state;
  if (st.tasks.empty()) return;
  st.drain_complete = false;
  spdlog::warn("dispatcher: drain deadline reached with {} tasks in flight; interrupting them", st.tasks.size());
  std::vector<std::string> ids;
  for (auto& [id, t] : st.tasks) {
    ids.push_back(id);
    if (auto b = st.brains.find(t.record.brain); b != st.brains.end())
      caf::anon_send(b->second, cancel_atom::value, id);  // anonymous: the brain's bool reply is not wanted
  }
  for (auto& id : ids) fail(self, id, errc::interrupted, "the daemon stopped before the task finished");
}

void status(dispatcher_ptr self, caf::response_promise promise) {
  auto& st = self->state;
  struct gather {
    nlohmann::json brains = nlohmann::json::array();
    std::size_t pending = 0;
    caf::response_promise promise;
    nlohmann::json base;
  };
  auto g = std::make_shared<gather>();
  g->promise = std::move(promise);
  g->base = {{"in_flight", st.tasks.size()}, {"draining", st.draining}, {"default_brain", st.opts.default_brain},
             {"failover", st.opts.failover}};
  auto done = [self, g] {
    if (--g->pending > 0) return;
    std::sort(g->brains.begin(), g->brains.end(),
              [](const nlohmann::json& a, const nlohmann::json& b) { return a.value("name", "") < b.value("name", ""); });
    for (auto& b : g->brains) {
      nlohmann::json breaker;
      self->state.health->describe(b.value("name", ""), breaker);
      if (!breaker.is_null()) b["breaker"] = std::move(breaker);
    }
    g->base["brains"] = std::move(g->brains);
    g->promise.deliver(g->base.dump());
  };
  auto brains = registered(self, brains_name::value);
  g->pending = st.opts.brain_names.size() + 1;
  for (auto& name : st.opts.brain_names) {
    if (!brains) {
      g->brains.push_back({{"name", name}, {"available", false}, {"reason", "the brains supervisor is not running"}});
      done();
      continue;
    }
    self->request(brains, kLookupTimeout, whereis_atom::value, brain_child_name(name))
        .then(
            [self, g, name, done](const caf::actor& b) {
              self->request(b, kLookupTimeout, status_atom::value)
                  .then(
                      [g, done](const std::string& js) {
                        g->brains.push_back(nlohmann::json::parse(js, nullptr, false));
                        done();
                      },
                      [g, name, done](caf::error& e) {
                        g->brains.push_back({{"name", name}, {"available", false}, {"reason", caf::to_string(e)}});
                        done();
                      });
            },
            [g, name, done](caf::error& e) {
              g->brains.push_back({{"name", name}, {"available", false}, {"reason", "not running: " + caf::to_string(e)}});
              done();
            });
  }
  done();
}

// route.classify: the router's decision, and the brains the task would try (as plan_chain orders them), each
// marked whether it can run now (its program is there, its breaker lets a call through) and, first of those,
// the brain that would take it. Nothing is run and no breaker moves.
std::string route_json(const dispatcher_state& st, const route_decision& d) {
  auto out = nlohmann::json::parse(decision_json(d));
  if (d.override_brain.empty() || d.chain.empty()) {  // no override: then the default brain and the failover list
    auto chain = d.chain;
    chain.push_back(st.opts.default_brain);
    chain.insert(chain.end(), st.opts.failover.begin(), st.opts.failover.end());
    std::vector<std::string> tries;
    for (auto& b : chain)
      if (std::find(tries.begin(), tries.end(), b) == tries.end()) tries.push_back(b);
    out["tries"] = tries;
  } else {
    out["tries"] = d.chain;
  }
  auto brains = nlohmann::json::array();
  nlohmann::json would_run = nullptr;
  for (const auto& name : out["tries"]) {
    auto b = name.get<std::string>();
    auto why = missing_program(st.opts, b);
    if (!why.empty()) why = "not installed: " + why;
    else why = st.health->would_refuse(b, now_ms());
    nlohmann::json entry{{"name", b}, {"can_run", why.empty()}};
    if (!why.empty()) entry["why"] = why;
    else if (would_run.is_null()) would_run = b;
    brains.push_back(std::move(entry));
  }
  out["brains"] = std::move(brains);
  out["would_run"] = std::move(would_run);
  return out.dump();
}

// breaker.reset: the brain's breaker closed now, the transition stored like any other. Replies (code, body).
caf::result<std::string, std::string> reset_breaker(dispatcher_ptr self, const std::string& brain) {
  using reply = caf::result<std::string, std::string>;
  auto& st = self->state;
  const auto& names = st.opts.brain_names;
  if (std::find(names.begin(), names.end(), brain) == names.end())
    return reply{std::string{to_string(errc::unknown_brain)},
                 "unknown brain '" + brain + "'; known brains: " + known_brains(st.opts)};
  auto r = st.health->reset(brain, now_ms(), "reset by a client (breaker.reset)");
  if (!r)
    return reply{std::string{to_string(errc::not_found)},
                 "brain '" + brain + "' has no circuit breaker (breaker.enabled is false for it)"};
  store_breaker(self, *r);
  nlohmann::json body;
  st.health->describe(brain, body);
  return reply{std::string{}, nlohmann::json{{"brain", brain}, {"breaker", std::move(body)}}.dump()};
}

void apply_weights(dispatcher_ptr self) {
  auto& st = self->state;
  if (!st.opts.router) return;
  std::map<std::string, double> factors;
  for (auto& [rule, w] : st.weights) factors[rule] = w.factor;
  st.opts.router->set_adjustments(std::move(factors));
}

// Breakers and router weights as the store kept them, before any task is taken: `await` holds every other
// message until each answer is in.
void restore_from_store(dispatcher_ptr self) {
  auto store = registered_as<state_store_actor>(self, store_name::value);
  if (!store) {
    spdlog::warn("dispatcher: no state store at start; breakers start closed and the router unadjusted");
    return;
  }
  self->request(store, kStoreTimeout, breaker_atom::value)
      .await(
          [self](std::vector<breaker_record>& saved) {
            auto closed = self->state.health->restore(saved, now_ms());
            for (auto& b : saved) {
              auto reopened = std::find_if(closed.begin(), closed.end(), [&](auto& c) { return c.brain == b.brain; });
              if (b.state != "closed" && reopened == closed.end())
                spdlog::warn("breaker {}: {} since the last run ({})", b.brain, b.state, b.reason);
            }
            for (auto& c : closed) store_breaker(self, std::move(c));
          },
          [](caf::error& e) { spdlog::error("dispatcher: reading breakers failed: {}", caf::to_string(e)); });
  self->request(store, kStoreTimeout, weights_atom::value)
      .await(
          [self](std::vector<rule_weight>& saved) {
            auto& st = self->state;
            for (auto& w : saved) {
              if (st.opts.router && !st.opts.router->has_rule(w.rule)) {
                spdlog::warn("router: a stored weight names rule '{}', which the configuration no longer has; ignored",
                             w.rule);
                continue;
              }
              st.weights[w.rule] = w;
            }
            apply_weights(self);
            if (!st.weights.empty()) spdlog::info("router: {} weight adjustments in effect", st.weights.size());
          },
          [](caf::error& e) { spdlog::error("dispatcher: reading router weights failed: {}", caf::to_string(e)); });
}

// A new factor for one rule: stored first, then in effect for the next task. Replies (error code, message),
// both empty on success.
caf::result<std::string, std::string> adjust_weight(dispatcher_ptr self, rule_weight w) {
  auto& st = self->state;
  using reply = caf::result<std::string, std::string>;
  auto refuse = [](errc code, std::string message) { return reply{std::string{to_string(code)}, std::move(message)}; };
  if (!st.opts.router) return refuse(errc::not_found, "the router is not configured");
  if (!st.opts.router->has_rule(w.rule))
    return refuse(errc::not_found, "no router rule '" + w.rule + "' (see router.rules in the configuration)");
  if (!(w.factor >= 0 && w.factor <= 10))
    return refuse(errc::bad_request, "factor must be from 0 to 10 (got " + std::to_string(w.factor) + ")");
  w.updated_ms = now_ms();
  auto store = registered_as<state_store_actor>(self, store_name::value);
  if (!store) return refuse(errc::store_failed, "the state store is not running");
  auto promise = self->make_response_promise<std::string, std::string>();
  self->request(store, kWriteTimeout, persist_atom::value, w)
      .then(
          [self, promise, w](const std::string& err) mutable {
            if (!err.empty()) {
              promise.deliver(std::string{to_string(errc::store_failed)}, err);
              return;
            }
            auto& st = self->state;
            if (w.factor == 1.0) st.weights.erase(w.rule);
            else st.weights[w.rule] = w;
            apply_weights(self);
            spdlog::info("router: rule {} weight factor {} ({})", w.rule, w.factor, w.note);
            promise.deliver(std::string{}, std::string{});
          },
          [promise](caf::error& e) mutable {
            promise.deliver(std::string{to_string(errc::store_failed)}, "the state store did not answer: " + caf::to_string(e));
          });
  return promise;
}

// Stored as running only once a brain really runs it: a task still waiting in a brain's queue when the daemon
// dies is queued, and is run again at the next start. A brain whose agent acts on the world (a process, an MCP
// tool) waits for this write before it starts the agent (running_atom), so a task that started is never run
// again after a restart; the others (echo, kb) only tell (started_atom).
// False when the task is not in flight any more (cancelled, drained): nothing is written.
bool mark_running(dispatcher_ptr self, const std::string& id, std::function<void(std::string)> then) {
  auto it = self->state.tasks.find(id);
  if (it == self->state.tasks.end() || it->second.finishing) return false;
  auto& r = it->second.record;
  r.state = task_state::running;
  r.started_ms = now_ms();
  persist(self, r, false, std::move(then));
  return true;
}

dispatcher_actor::behavior_type dispatcher_behavior(dispatcher_ptr self, dispatcher_options opts) {
  guard_actor(self, "dispatcher");
  self->state.opts = std::move(opts);
  self->set_down_handler([self](caf::down_msg& dm) {
    auto& st = self->state;
    for (auto it = st.brains.begin(); it != st.brains.end(); ++it) {
      if (it->second.address() != dm.source) continue;
      auto name = it->first;
      st.brains.erase(it);
      std::vector<std::string> orphans;
      for (auto& [id, t] : st.tasks)
        if (t.record.brain == name) orphans.push_back(id);
      spdlog::warn("dispatcher: brain {} stopped ({}); failing its {} running tasks", name, caf::to_string(dm.reason),
                   orphans.size());
      for (auto& id : orphans)
        fail(self, id, errc::brain_failed, "brain " + name + " stopped while running the task: " + caf::to_string(dm.reason));
      return;
    }
  });
  // The breakers look for a missing program with the same lookup the brains use (core/process).
  self->state.health = std::make_unique<brain_health>(
      self->state.opts.breakers, [opts = &self->state.opts](const std::string& brain) { return missing_program(*opts, brain); });
  restore_from_store(self);
  if (self->state.opts.recover_at_start) recover(self);
  return {
      [=](submit_atom, task_spec& spec, caf::actor& listener, std::string& route, std::string& request_id,
          bool stream) { submit(self, std::move(spec), std::move(listener), std::move(route), std::move(request_id), stream); },
      [=](started_atom, const std::string& id) {
        mark_running(self, id, [id](std::string err) {
          if (!err.empty()) spdlog::warn("dispatcher: task {}: storing 'running' failed: {}", id, err);
        });
      },
      [=](running_atom, const std::string& id) -> caf::result<std::string> {
        auto promise = self->make_response_promise<std::string>();
        auto stored = [promise](std::string err) mutable {
          if (err.empty()) crash_point("running");
          promise.deliver(std::move(err));
        };
        if (!mark_running(self, id, std::move(stored)))
          promise.deliver(std::string{"the task is no longer in flight"});
        return promise;
      },
      [=](persist_atom, const std::string& id) { store_outcome(self, id); },
      [=](flush_atom) { send_writes(self); },
      [=](chunk_atom, const std::string& id, std::string& text) {
        auto it = self->state.tasks.find(id);
        if (it == self->state.tasks.end() || it->second.finishing) return;
        auto& t = it->second;
        t.streamed = true;
        if (!t.stream) return;
        task_update u;
        u.what = task_update::kind::chunk;
        u.seq = t.seq++;
        u.brain = t.record.brain;
        u.text = std::move(text);
        notify(self, t, std::move(u));
      },
      [=](outcome_atom, task_update& u) { on_outcome(self, u); },
      [=](route_atom, const task_spec& spec) {
        auto& st = self->state;
        if (!st.opts.router) return std::string{"{}"};
        auto d = st.opts.router->classify(spec.prompt, route_attachments(spec), spec.brain);
        return route_json(st, d);
      },
      [=](breaker_atom, const std::string& brain) { return reset_breaker(self, brain); },
      [=](cancel_atom, const std::string& id) -> caf::result<bool, std::string> {
        auto& st = self->state;
        auto it = st.tasks.find(id);
        if (it == st.tasks.end()) return {false, std::string{}};
        auto& t = it->second;
        if (t.finishing) return {true, std::string{to_string(t.record.state)}};
        if (!t.record.brain.empty() && !t.backing_off) {
          if (auto b = st.brains.find(t.record.brain); b != st.brains.end()) {
            caf::anon_send(b->second, cancel_atom::value, id);  // anonymous: the brain's bool reply is not wanted
            return {true, std::string{to_string(t.record.state)}};
          }
        }
        fail(self, id, errc::cancelled, "cancelled");
        return {true, std::string{"queued"}};
      },
      [=](status_atom) {
        auto promise = self->make_response_promise<std::string>();
        status(self, promise);
        return promise;
      },
      [=](drain_atom, std::int64_t deadline_ms) {
        auto& st = self->state;
        st.draining = true;
        auto promise = self->make_response_promise<bool>();
        st.drain_waiters.push_back(promise);
        spdlog::info("dispatcher: draining {} tasks in flight (deadline {} ms)", st.tasks.size(), deadline_ms);
        self->delayed_send(self, std::chrono::milliseconds{deadline_ms}, drain_atom::value);
        check_drained(self);
        return promise;
      },
      [=](drain_atom) { drain_deadline(self); },
      [=](retry_atom, const std::string& id) { on_retry(self, id); },
      [=](tick_atom) {
        auto& st = self->state;
        st.decision_timer = false;
        const auto due = now_us() - std::chrono::duration_cast<std::chrono::microseconds>(kDecisionAfter).count();
        for (auto& [id, t] : st.tasks)
          if (!t.decision_stored && !t.finishing && t.accepted_us <= due) {
            t.decision_stored = true;
            record_decision(t);
            persist(self, t.record, false, [id = id](const std::string& err) {
              if (!err.empty()) spdlog::warn("dispatcher: storing the routing decision of task {} failed: {}", id, err);
            });
          }
        if (!st.tasks.empty()) {
          st.decision_timer = true;
          self->delayed_send(self, kDecisionAfter, tick_atom::value);
        }
      },
      [=](weights_atom) {
        std::vector<rule_weight> out;
        for (auto& [rule, w] : self->state.weights) out.push_back(w);
        return out;
      },
      [=](weights_atom, rule_weight& w) { return adjust_weight(self, std::move(w)); },
  };
}

}  // namespace

dispatcher_actor spawn_dispatcher(caf::actor_system& sys, dispatcher_options opts) {
  return sys.spawn(dispatcher_behavior, std::move(opts));
}

}  // namespace paios
