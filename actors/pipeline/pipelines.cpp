#include "actors/pipeline/pipelines.hpp"

#include <map>
#include <optional>

#include <caf/all.hpp>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "actors/names.hpp"
#include "actors/pipeline/pipeline_run.hpp"
#include "actors/state_store/state_store.hpp"
#include "actors/supervisor/supervisor.hpp"
#include "core/obs/event_sink.hpp"
#include "messages/caf_types.hpp"
#include "messages/ids.hpp"
#include "messages/json_writer.hpp"
#include "messages/text.hpp"

namespace paios {
namespace {

using nlohmann::json;
constexpr auto kStoreTimeout = std::chrono::seconds(10);
constexpr int kMaxRecovered = 1000;

struct run_info {
  std::string pipeline, trigger, trace_id;
  std::uint64_t span = 0;
  std::uint64_t parent = 0;  // the span that started it: the bridge's request, a job run
  std::int64_t start_us = 0;
  caf::actor handle;  // empty until its record is written
  caf::actor waiter;  // a job run waiting for the end, if any
  std::optional<std::string> cancel;  // a cancel that came while it was being recorded: sent once it runs
};

struct pipes_state {
  std::map<std::string, pipeline_config> pipelines;
  std::map<std::string, run_info> runs;  // in flight (or being recorded), by run id
  static inline const char* name = "pipelines";
};

using pipes_actor = caf::stateful_actor<pipes_state>;
using reply_t = caf::result<std::string, std::string, std::string>;
using promise_t = caf::typed_response_promise<std::string, std::string, std::string>;

// Answers a promise when there is one (a run taken over at start has nobody to answer).
struct answer {
  std::optional<promise_t> promise;
  void ok(const json& body) {
    if (promise) promise->deliver(std::string{}, std::string{}, json_dump(body));
  }
  void fail(const char* code, const std::string& message) {
    if (promise) promise->deliver(std::string{code}, message, std::string{});
  }
};

// Asks the state store (pipeline_atom, op, args); `then` gets the reply's text, or "" and the error.
template <class F>
void ask_store(pipes_actor* self, const std::string& op, const json& args, F then) {
  auto store = registered_as<state_store_actor>(self, store_name::value);
  if (!store) return then(std::string{}, std::string{"the state store is not running"});
  self->request(store, kStoreTimeout, pipeline_atom::value, op, json_dump(args))
      .then([then](const std::string& text) mutable { then(text, std::string{}); },
            [then](caf::error& e) mutable { then(std::string{}, "the state store did not answer: " + caf::to_string(e)); });
}

// A write's reply is "" or the error.
template <class F>
void write_store(pipes_actor* self, const std::string& op, const json& row, F then) {
  ask_store(self, op, row, [then](const std::string& text, const std::string& err) mutable {
    then(err.empty() ? text : err);
  });
}

void launch(pipes_actor* self, pipeline_run_spec spec) {
  auto& info = self->state.runs[spec.run_id];
  const auto run_id = spec.run_id;
  info.handle = spawn_pipeline_run(self->system(), std::move(spec), caf::actor_cast<caf::actor>(self));
  self->monitor(info.handle);
  spdlog::info("pipelines: run {} of {} going ({})", run_id, info.pipeline, info.trigger);
  if (info.cancel) self->send(info.handle, cancel_atom::value, *info.cancel);
}

void start_run(pipes_actor* self, const json& args, caf::actor waiter, answer reply) {
  auto& st = self->state;
  const auto name = args.value("name", "");
  auto it = st.pipelines.find(name);
  if (it == st.pipelines.end()) return reply.fail("not_found", "no pipeline named \"" + name + "\" (or it is disabled)");
  const auto& cfg = it->second;
  const std::string run_id = "p" + new_task_id().substr(1);  // "p-<time>-<random>"
  run_info info;
  info.pipeline = name;
  info.trigger = args.value("trigger", "manual");
  info.trace_id = args.value("trace_id", "");
  if (!parse_trace_id(info.trace_id)) info.trace_id = new_trace_id();
  info.span = new_span_id();
  info.parent = args.value("parent_span", std::uint64_t{0});
  info.start_us = now_us();
  info.waiter = std::move(waiter);
  const json input = args.contains("input") && !args["input"].is_null() ? args["input"] : json::object();
  pipeline_run_spec spec;
  spec.run_id = run_id;
  spec.pipeline = cfg;
  spec.trigger = info.trigger;
  spec.input = json_dump(input);
  spec.previous = spec.input;
  spec.started_ms = now_ms();
  spec.trace_id = info.trace_id;
  spec.span = info.span;
  json row{{"run_id", run_id},        {"pipeline", name},          {"state", "running"},
           {"trigger", info.trigger}, {"input", input},            {"step", 0},
           {"step_name", cfg.steps.empty() ? "" : cfg.steps[0].name}, {"error", ""},
           {"started_ms", spec.started_ms}, {"ended_ms", 0},        {"trace_id", info.trace_id},
           {"resumes", 0}};
  st.runs[run_id] = info;  // taken, so that the recovery at start leaves it alone
  write_store(self, "run", row, [self, spec, reply](const std::string& err) mutable {
    if (!err.empty()) {
      self->state.runs.erase(spec.run_id);
      return reply.fail("store_failed", "the run was not recorded: " + err);
    }
    json body{{"pipeline", spec.pipeline.name}, {"run_id", spec.run_id}, {"trace_id", spec.trace_id}};
    launch(self, std::move(spec));
    reply.ok(body);
  });
}

// A run record (pipeline.get's "run") goes on from the step that stopped it.
void continue_run(pipes_actor* self, const json& run, const std::string& why, answer reply) {
  auto& st = self->state;
  const auto run_id = run.value("run_id", "");
  const auto name = run.value("pipeline", "");
  auto it = st.pipelines.find(name);
  if (it == st.pipelines.end())
    return reply.fail("not_found", "pipeline \"" + name + "\" of run " + run_id + " is no longer configured");
  const auto& cfg = it->second;
  const auto from = static_cast<std::size_t>(std::max(0, run.value("step", 0)));
  if (from >= cfg.steps.size())
    return reply.fail("bad_request", "run " + run_id + " stopped at step " + std::to_string(from) + ", but pipeline " +
                                         name + " now has " + std::to_string(cfg.steps.size()) + " steps");
  pipeline_run_spec spec;
  spec.run_id = run_id;
  spec.pipeline = cfg;
  spec.trigger = run.value("trigger", "manual");
  const json input = run.contains("input") ? run["input"] : json::object();
  spec.input = json_dump(input);
  json outputs = json::object();
  json previous = input;
  for (const auto& s : run.value("steps", json::array())) {
    const auto idx = static_cast<std::size_t>(s.value("index", 0));
    if (idx < from && s.value("state", "") == "ok") {
      outputs[s.value("name", "")] = s.contains("output") ? s["output"] : json();
      if (idx + 1 == from) previous = s.contains("output") ? s["output"] : json();
    }
    if (idx == from) {
      spec.attempts = s.value("attempts", 1) + 1;
      spec.step_first_started_ms = s.value("started_ms", std::int64_t{0});
    }
  }
  spec.start_step = from;
  spec.done_outputs = json_dump(outputs);
  spec.previous = json_dump(previous);
  spec.resumes = run.value("resumes", 0) + 1;
  spec.started_ms = run.value("started_ms", now_ms());
  spec.trace_id = run.value("trace_id", "");
  if (!parse_trace_id(spec.trace_id)) spec.trace_id = new_trace_id();
  spec.span = new_span_id();
  run_info info;
  info.pipeline = name;
  info.trigger = spec.trigger;
  info.trace_id = spec.trace_id;
  info.span = spec.span;
  info.start_us = now_us();
  st.runs[run_id] = info;
  json row = run;
  row.erase("steps");
  row["state"] = "running";
  row["error"] = "";
  row["ended_ms"] = 0;
  row["resumes"] = spec.resumes;
  row["step"] = from;
  row["step_name"] = cfg.steps[from].name;
  emit_span("pipeline", "resume", parse_trace_id(spec.trace_id).value_or(trace_id{}), new_span_id(), 0, now_us(), now_us(),
            "ok", json_object{}.str("pipeline", name).str("run_id", run_id).str("why", why)
                      .num("from_step", static_cast<std::int64_t>(from)).done());
  write_store(self, "run", row, [self, spec, reply, from](const std::string& err) mutable {
    if (!err.empty()) {
      self->state.runs.erase(spec.run_id);
      return reply.fail("store_failed", "the resumed run was not recorded: " + err);
    }
    json body{{"pipeline", spec.pipeline.name}, {"run_id", spec.run_id}, {"trace_id", spec.trace_id},
              {"from_step", from}, {"step_name", spec.pipeline.steps[from].name}};
    launch(self, std::move(spec));
    reply.ok(body);
  });
}

// A run that a stop of the daemon left "running" and that is not to be resumed by itself.
void mark_interrupted(pipes_actor* self, const json& run) {
  const auto run_id = run.value("run_id", "");
  const auto step = run.value("step", 0);
  json row = run;
  row.erase("steps");
  row["state"] = "interrupted";
  row["ended_ms"] = now_ms();
  row["error"] = "the daemon stopped during step " + std::to_string(step) + " (" + run.value("step_name", "") +
                 "); `ai pipeline resume " + run_id + "` goes on from there";
  for (const auto& s : run.value("steps", json::array())) {
    if (s.value("index", -1) != step || s.value("state", "") != "running") continue;
    json srow = s;
    srow["run_id"] = run_id;
    srow["state"] = "interrupted";
    srow["ended_ms"] = now_ms();
    srow["output"] = "";
    srow["error"] = "the daemon stopped";
    write_store(self, "step", srow, [run_id](const std::string& err) {
      if (!err.empty()) spdlog::error("pipelines: marking the step of run {}: {}", run_id, err);
    });
  }
  write_store(self, "run", row, [run_id](const std::string& err) {
    if (!err.empty()) spdlog::error("pipelines: marking run {} interrupted: {}", run_id, err);
    else spdlog::warn("pipelines: run {} was interrupted by a stop of the daemon", run_id);
  });
  emit_span("pipeline", "interrupted", parse_trace_id(run.value("trace_id", "")).value_or(trace_id{}), new_span_id(), 0,
            now_us(), now_us(), "interrupted", json_object{}.str("pipeline", run.value("pipeline", "")).str("run_id", run_id)
                                                   .num("step", static_cast<std::int64_t>(step)).done());
}

// At start: the runs the store has as "running" are taken over.
void recover(pipes_actor* self) {
  auto retry = [self] { self->delayed_send(self, std::chrono::seconds(1), recover_atom::value); };
  ask_store(self, "list", json{{"state", "running"}, {"limit", kMaxRecovered}},
            [self, retry](const std::string& text, const std::string& err) {
              auto doc = json::parse(text.empty() ? "{}" : text, nullptr, false);
              if (!err.empty() || doc.is_discarded() || doc.contains("error")) {
                spdlog::warn("pipelines: reading the runs left going: {}; retrying",
                             !err.empty() ? err : doc.is_discarded() ? "not JSON" : doc["error"].dump());
                return retry();
              }
              for (const auto& r : doc.value("runs", json::array())) {
                const auto run_id = r.value("run_id", "");
                if (self->state.runs.count(run_id)) continue;  // started by this instance
                ask_store(self, "get", json{{"run_id", run_id}}, [self, run_id](const std::string& text, const std::string& err) {
                  auto doc = json::parse(text.empty() ? "{}" : text, nullptr, false);
                  if (!err.empty() || doc.is_discarded() || !doc.contains("run"))
                    return spdlog::error("pipelines: reading run {}: {}", run_id, err.empty() ? "no record" : err);
                  const auto& run = doc["run"];
                  if (self->state.runs.count(run_id) || run.value("state", "") != "running") return;
                  auto it = self->state.pipelines.find(run.value("pipeline", ""));
                  // Resumed only when its pipeline still has the step it was on; else marked, to be looked at.
                  if (it != self->state.pipelines.end() && it->second.resume_on_interrupt &&
                      static_cast<std::size_t>(std::max(0, run.value("step", 0))) < it->second.steps.size())
                    return continue_run(self, run, "restart", answer{});
                  mark_interrupted(self, run);
                });
              }
            });
}

void finish_run(pipes_actor* self, const std::string& run_id, const std::string& state, const std::string& error,
                const std::string& output) {
  auto& st = self->state;
  auto it = st.runs.find(run_id);
  if (it == st.runs.end()) return;
  auto info = std::move(it->second);
  st.runs.erase(it);
  emit_span("pipeline", "run", parse_trace_id(info.trace_id).value_or(trace_id{}), info.span, info.parent, info.start_us, now_us(),
            state, json_object{}.str("pipeline", info.pipeline).str("run_id", run_id).str("trigger", info.trigger)
                       .str("error", error).done());
  if (info.waiter) self->send(info.waiter, done_atom::value, run_id, state, error, output);
  if (state == "ok") return spdlog::info("pipelines: run {} of {} ok", run_id, info.pipeline);
  spdlog::warn("pipelines: run {} of {} {}: {}", run_id, info.pipeline, state, error);
  if (info.waiter || state == "cancelled") return;  // a job's failure is the scheduler's to tell
  if (auto n = registered(self, notifier_name::value))
    self->send(n, notify_atom::value, "PAIOS pipeline " + info.pipeline + " " + state,
               error + " (`ai pipeline resume " + run_id + "` goes on from the failed step)", std::string{"warning"});
}

json pipeline_json(const pipeline_config& p) {
  json steps = json::array();
  for (const auto& s : p.steps) steps.push_back({{"name", s.name}, {"kind", s.kind}, {"timeout_ms", s.timeout_ms}});
  return {{"name", p.name},
          {"description", p.description},
          {"steps", steps},
          {"timeout_ms", p.timeout_ms},
          {"on_interrupt", p.resume_on_interrupt ? "resume" : "mark"}};
}

reply_t handle(pipes_actor* self, const std::string& op, const std::string& args_text, caf::actor waiter) {
  auto& st = self->state;
  auto args = json::parse(args_text.empty() ? "{}" : args_text, nullptr, false);
  if (!args.is_object()) return reply_t{std::string{"bad_request"}, std::string{"the arguments are not a JSON object"}, std::string{}};
  if (op == "list") {
    json list = json::array();
    for (const auto& [name, p] : st.pipelines) list.push_back(pipeline_json(p));
    return reply_t{std::string{}, std::string{}, json_dump(json{{"pipelines", list}})};
  }
  if (op == "cancel") {
    const auto run_id = args.value("run_id", "");
    if (auto it = st.runs.find(run_id); it != st.runs.end()) {
      const auto reason = args.value("reason", std::string{"cancelled"});
      if (it->second.handle)
        self->send(it->second.handle, cancel_atom::value, reason);
      else
        it->second.cancel = reason;  // its record is being written: cancelled as soon as it runs
      return reply_t{std::string{}, std::string{}, json_dump(json{{"run_id", run_id}, {"cancelled", true}, {"state", "running"}})};
    }
  }
  auto promise = self->make_response_promise<std::string, std::string, std::string>();
  answer reply{promise};
  if (op == "run") {
    start_run(self, args, std::move(waiter), reply);
    return promise;
  }
  if (op == "runs") {
    const auto name = args.value("name", "");
    const bool known = name.empty() || st.pipelines.count(name);
    ask_store(self, "list", json{{"pipeline", name}, {"limit", args.value("limit", 20)}},
              [reply, name, known](const std::string& text, const std::string& err) mutable {
                auto doc = json::parse(text.empty() ? "{}" : text, nullptr, false);
                if (!err.empty() || doc.is_discarded() || doc.contains("error"))
                  return reply.fail("internal", "reading the runs: " + (err.empty() ? text : err));
                if (!known && doc.value("runs", json::array()).empty())
                  return reply.fail("not_found", "no pipeline named \"" + name + "\"");
                reply.ok(doc);
              });
    return promise;
  }
  if (op == "cancel") {  // not going: say how it ended, or that there is no such run
    const auto run_id = args.value("run_id", "");
    ask_store(self, "get", json{{"run_id", run_id}}, [reply, run_id](const std::string& text, const std::string& err) mutable {
      auto doc = json::parse(text.empty() ? "{}" : text, nullptr, false);
      if (!err.empty() || doc.is_discarded() || doc.contains("error"))
        return reply.fail("internal", "reading run " + run_id + ": " + (err.empty() ? text : err));
      if (!doc.contains("run")) return reply.fail("not_found", "no pipeline run " + run_id);
      reply.ok(json{{"run_id", run_id}, {"cancelled", false}, {"state", doc["run"].value("state", "")}});
    });
    return promise;
  }
  if (op == "get" || op == "resume") {
    const auto run_id = args.value("run_id", "");
    if (op == "resume" && st.runs.count(run_id)) {
      reply.fail("bad_request", "run " + run_id + " is still going");
      return promise;
    }
    ask_store(self, "get", json{{"run_id", run_id}}, [self, reply, run_id, op](const std::string& text, const std::string& err) mutable {
      auto doc = json::parse(text.empty() ? "{}" : text, nullptr, false);
      if (!err.empty() || doc.is_discarded() || doc.contains("error"))
        return reply.fail("internal", "reading run " + run_id + ": " + (err.empty() ? text : err));
      if (!doc.contains("run")) return reply.fail("not_found", "no pipeline run " + run_id);
      if (op == "get") return reply.ok(doc);
      const auto state = doc["run"].value("state", "");
      if (self->state.runs.count(run_id) || state == "running")
        return reply.fail("bad_request", "run " + run_id + " is still going");
      if (state == "ok") return reply.fail("bad_request", "run " + run_id + " succeeded; there is nothing to resume");
      continue_run(self, doc["run"], "resume", reply);
    });
    return promise;
  }
  reply.fail("bad_request", "unknown pipeline operation " + op);
  return promise;
}

caf::behavior pipes_behavior(pipes_actor* self, pipelines_options opts) {
  guard_actor(self, "pipelines");
  for (auto& p : opts.pipelines) self->state.pipelines[p.name] = std::move(p);
  self->set_down_handler([self](caf::down_msg& m) {
    for (auto& [id, r] : self->state.runs)
      if (r.handle && r.handle.address() == m.source) {
        const auto run_id = id;
        const auto why = "the run ended without an answer: " + caf::to_string(m.reason);
        // Its record is read back and ended as failed, at the step it was on.
        ask_store(self, "get", json{{"run_id", run_id}}, [self, run_id, why](const std::string& text, const std::string&) {
          auto doc = json::parse(text.empty() ? "{}" : text, nullptr, false);
          if (doc.is_object() && doc.contains("run")) {
            json row = doc["run"];
            row.erase("steps");
            row["state"] = "failed";
            row["error"] = why;
            row["ended_ms"] = now_ms();
            write_store(self, "run", row, [](const std::string&) {});
          }
        });
        return finish_run(self, run_id, "failed", why, "");
      }
  });
  spdlog::info("pipelines: {}", counted(self->state.pipelines.size(), "pipeline"));
  recover(self);
  return {
      [=](pipeline_atom, const std::string& op, const std::string& args) -> reply_t {
        return handle(self, op, args, caf::actor{});
      },
      [=](pipeline_atom, const std::string& op, const std::string& args, caf::actor waiter) -> reply_t {
        return handle(self, op, args, std::move(waiter));
      },
      [=](done_atom, const std::string& run_id, const std::string& state, const std::string& error,
          const std::string& output) { finish_run(self, run_id, state, error, output); },
      [=](recover_atom) { recover(self); },
      [=](status_atom) {
        json running = json::array();
        for (const auto& [id, r] : self->state.runs) running.push_back({{"run_id", id}, {"pipeline", r.pipeline}});
        return json_dump(json{{"pipelines", self->state.pipelines.size()}, {"running", running}});
      },
  };
}

}  // namespace

caf::actor spawn_pipelines(caf::actor_system& sys, pipelines_options opts) {
  return sys.spawn(pipes_behavior, std::move(opts));
}

}  // namespace paios
