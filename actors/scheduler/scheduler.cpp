#include "actors/scheduler/scheduler.hpp"

#include <map>

#include <caf/all.hpp>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "actors/names.hpp"
#include "actors/scheduler/job_run.hpp"
#include "actors/state_store/state_store.hpp"
#include "actors/supervisor/supervisor.hpp"
#include "core/obs/event_sink.hpp"
#include "core/schedule/job_book.hpp"
#include "messages/caf_types.hpp"
#include "messages/ids.hpp"
#include "messages/text.hpp"

namespace paios {
namespace {

using nlohmann::json;
constexpr auto kStoreTimeout = std::chrono::seconds(5);
constexpr auto kTimeoutSlack = std::chrono::seconds(5);  // a run that overstays its own timeout by this is ended

struct run_info {
  std::string job, trigger, trace_id;
  std::uint64_t span = 0;
  std::int64_t started_ms = 0;
  std::int64_t start_us = 0;
  caf::actor handle;
};

struct sched_state {
  scheduler_options opts;
  std::unique_ptr<sched::job_book> book;
  std::string timezone;
  std::map<std::string, job_config> jobs;
  std::map<std::string, run_info> runs;  // in flight, by run id
  std::map<std::string, json> last;      // the last finished run of each job
  bool restored = false;
  static inline const char* name = "scheduler";
};

using sched_actor = caf::stateful_actor<sched_state>;

std::int64_t ms(sched::instant t) { return t.time_since_epoch().count(); }
std::int64_t now_of(sched_actor* self) { return ms(self->state.opts.clock->now()); }

json state_json(sched_actor* self, const std::string& job) {
  const auto s = self->state.book->saved(job);
  return {{"job", job}, {"schedule", s.schedule}, {"next_due_ms", s.next_due ? ms(*s.next_due) : -1},
          {"failures", s.failures}};
}

// Writes a run record and the job's state; a failed write is logged, the schedule goes on.
void record(sched_actor* self, const json& run, const std::string& job) {
  auto store = registered_as<state_store_actor>(self, store_name::value);
  if (!store) return spdlog::error("scheduler: the state store is not running; job {} not recorded", job);
  self->request(store, kStoreTimeout, jobrun_atom::value, run.is_null() ? std::string{} : run.dump(),
                state_json(self, job).dump())
      .then(
          [job](const std::string& err) {
            if (!err.empty()) spdlog::error("scheduler: recording job {}: {}", job, err);
          },
          [job](caf::error& e) { spdlog::error("scheduler: recording job {}: {}", job, caf::to_string(e)); });
}

void start_run(sched_actor* self, const std::string& job, const std::string& trigger, json* started = nullptr) {
  auto& st = self->state;
  const auto& cfg = st.jobs.at(job);
  const std::string run_id = "j" + new_task_id().substr(1);  // "j-<time>-<random>"
  run_info r{job, trigger, new_trace_id(), new_span_id(), now_of(self), now_us(), {}};
  job_run_spec spec{run_id, cfg,        r.trace_id,          r.span, st.opts.data_dir, st.opts.config.heartbeat_min_free_mb,
                    st.opts.version, st.timezone};
  r.handle = spawn_job_run(self->system(), std::move(spec), caf::actor_cast<caf::actor>(self));
  self->monitor(r.handle);
  self->delayed_send(self, std::chrono::milliseconds(cfg.timeout_ms) + kTimeoutSlack, done_atom::value, run_id,
                     std::string{"timeout"}, std::string{"the run did not end within its timeout"}, std::string{});
  json row{{"id", run_id},         {"job", job},         {"trigger", trigger},      {"started_ms", r.started_ms},
           {"ended_ms", 0},        {"outcome", "running"}, {"trace_id", r.trace_id}, {"task_id", ""},
           {"summary", ""}};
  spdlog::info("scheduler: job {} started ({}, run {})", job, trigger, run_id);
  if (started) *started = {{"job", job}, {"run_id", run_id}, {"trace_id", r.trace_id}};
  st.runs.emplace(run_id, std::move(r));
  record(self, row, job);
}

void finish_run(sched_actor* self, const std::string& run_id, const std::string& outcome, const std::string& summary,
                const std::string& task_id) {
  auto& st = self->state;
  auto it = st.runs.find(run_id);
  if (it == st.runs.end()) return;  // already finished (a late backstop timeout, or a down after done)
  auto r = std::move(it->second);
  st.runs.erase(it);
  const bool ok = outcome == "ok";
  if (outcome == "timeout" && r.handle) self->send_exit(r.handle, caf::exit_reason::user_shutdown);
  if (outcome == "interrupted") st.book->abandoned(r.job);  // the daemon is stopping: no verdict, no backoff
  else st.book->finished(r.job, st.opts.clock->now(), ok);
  json row{{"id", run_id},         {"job", r.job},         {"trigger", r.trigger},   {"started_ms", r.started_ms},
           {"ended_ms", now_of(self)}, {"outcome", outcome}, {"trace_id", r.trace_id}, {"task_id", task_id},
           {"summary", summary}};
  st.last[r.job] = row;
  record(self, row, r.job);
  auto trace = parse_trace_id(r.trace_id).value_or(trace_id{});
  emit_span("scheduler", "run", trace, r.span, 0, r.start_us, now_us(), outcome,
            json_object{}.str("job", r.job).str("run_id", run_id).str("trigger", r.trigger).str("task_id", task_id)
                .str("summary", summary).done());
  const auto& status = st.book->status(r.job);
  if (ok || outcome == "interrupted") {
    spdlog::info("scheduler: job {} {}", r.job, outcome);
    return;
  }
  const auto retry_s = status.next_due ? (ms(*status.next_due) - now_of(self)) / 1000 : 0;
  spdlog::warn("scheduler: job {} {} ({}); failure {} in a row, next try in {} s", r.job, outcome, summary,
               status.failures, retry_s);
  if (auto n = registered(self, notifier_name::value))
    self->send(n, notify_atom::value, "PAIOS job " + r.job + " " + outcome,
               summary + " (failure " + std::to_string(status.failures) + " in a row; next try in " +
                   std::to_string(retry_s) + " s)",
               std::string{status.failures >= 3 ? "critical" : "warning"});
}

json job_json(sched_actor* self, const std::string& name) {
  auto& st = self->state;
  const auto& cfg = st.jobs.at(name);
  const auto& s = st.book->status(name);
  json j{{"name", name},
         {"schedule", cfg.schedule},
         {"action", cfg.action == "task" ? json{{"task", {{"prompt", cfg.prompt}, {"brain", cfg.brain}}}}
                                         : json{{cfg.action, cfg.action == "builtin" ? cfg.builtin : cfg.pipeline}}},
         {"next_due_ms", s.next_due ? json(ms(*s.next_due)) : json(nullptr)},
         {"failures", s.failures},
         {"backing_off", s.backing_off},
         {"running", s.running},
         {"allow_overlap", cfg.allow_overlap},
         {"missed", cfg.run_once_missed ? "run_once" : "skip"},
         {"timeout_ms", cfg.timeout_ms}};
  auto last = st.last.find(name);
  j["last"] = last == st.last.end() ? json(nullptr) : last->second;
  return j;
}

void tick(sched_actor* self) {
  auto& st = self->state;
  for (const auto& f : st.book->tick(st.opts.clock->now())) {
    switch (f.kind) {
      case sched::job_book::fire::run:
        start_run(self, f.name, st.opts.clock->now() - f.due > std::chrono::seconds(st.opts.config.missed_grace_s)
                                    ? "missed" : "schedule");
        break;
      case sched::job_book::fire::refused:
        spdlog::warn("scheduler: job {} is due but its last run is still going; this time is skipped", f.name);
        emit_span("scheduler", "refused", new_trace(), 0, 0, now_us(), now_us(), "overloaded",
                  json_object{}.str("job", f.name).str("reason", "a run is still going").done());
        record(self, json(nullptr), f.name);
        break;
      case sched::job_book::fire::skipped:
        spdlog::info("scheduler: job {} missed its time (the machine slept); skipped", f.name);
        emit_span("scheduler", "missed", new_trace(), 0, 0, now_us(), now_us(), "skipped",
                  json_object{}.str("job", f.name).done());
        record(self, json(nullptr), f.name);
        break;
    }
  }
}

void restore(sched_actor* self) {
  auto store = registered_as<state_store_actor>(self, store_name::value);
  auto retry = [self] { self->delayed_send(self, std::chrono::seconds(1), jobs_atom::value, recover_atom::value); };
  if (!store) return retry();
  self->request(store, kStoreTimeout, jobs_atom::value, recover_atom::value)
      .then(
          [self, retry](const std::string& text) {
            auto& st = self->state;
            auto doc = json::parse(text, nullptr, false);
            if (doc.is_discarded() || doc.contains("error")) {
              spdlog::error("scheduler: reading job states: {}", doc.is_discarded() ? "not JSON" : doc["error"].dump());
              return retry();
            }
            std::map<std::string, sched::job_saved> saved;
            for (const auto& s : doc["states"]) {
              sched::job_saved js{s.value("schedule", ""), std::nullopt, s.value("failures", 0)};
              const auto due = s.value("next_due_ms", std::int64_t{-1});
              if (due >= 0) js.next_due = sched::instant(std::chrono::milliseconds(due));
              saved[s.value("job", "")] = js;
            }
            for (const auto& r : doc["last"])
              if (st.jobs.count(r.value("job", ""))) st.last[r.value("job", "")] = r;
            for (const auto& name : st.book->restore(st.opts.clock->now(), saved)) {
              spdlog::info("scheduler: job {} was due while the daemon was down; skipped (missed: skip)", name);
              emit_span("scheduler", "missed", new_trace(), 0, 0, now_us(), now_us(), "skipped",
                        json_object{}.str("job", name).str("while", "down").done());
            }
            for (const auto& [name, cfg] : st.jobs) record(self, json(nullptr), name);
            st.restored = true;
            spdlog::info("scheduler: {} in zone {}", counted(st.jobs.size(), "job"), st.timezone);
            tick(self);
          },
          [retry](caf::error& e) {
            spdlog::warn("scheduler: the state store did not answer ({}); retrying", caf::to_string(e));
            retry();
          });
}

using reply_t = caf::result<std::string, std::string, std::string>;

reply_t handle_jobs(sched_actor* self, const std::string& op, const std::string& name, int limit) {
  auto& st = self->state;
  auto ok = [](const json& body) { return reply_t{std::string{}, std::string{}, body.dump()}; };
  if (op == "list") {
    json jobs = json::array();
    for (const auto& [n, cfg] : st.jobs) jobs.push_back(job_json(self, n));
    return ok({{"timezone", st.timezone}, {"jobs", std::move(jobs)}});
  }
  if (op == "run") {
    if (!st.jobs.count(name)) return reply_t{std::string{"not_found"}, "no job named " + name, std::string{}};
    if (!st.book->begin_now(name))
      return reply_t{std::string{"overloaded"}, "job " + name + " is running and does not allow overlap",
                     std::string{}};
    json started;
    start_run(self, name, "manual", &started);
    return ok(started);
  }
  if (op == "history") {
    auto store = registered_as<state_store_actor>(self, store_name::value);
    if (!store) return reply_t{std::string{"internal"}, std::string{"the state store is not running"}, std::string{}};
    auto promise = self->make_response_promise<std::string, std::string, std::string>();
    const bool known = st.jobs.count(name) > 0;
    self->request(store, kStoreTimeout, jobs_atom::value, name, limit)
        .then(
            [promise, name, known](const std::string& runs) mutable {
              auto list = json::parse(runs, nullptr, false);
              if (!known && (list.is_discarded() || list.empty())) {
                promise.deliver(std::string{"not_found"}, "no job named " + name, std::string{});
                return;
              }
              promise.deliver(std::string{}, std::string{}, json{{"job", name}, {"runs", list}}.dump());
            },
            [promise](caf::error& e) mutable {
              promise.deliver(std::string{"internal"}, "the state store did not answer: " + caf::to_string(e),
                              std::string{});
            });
    return promise;
  }
  return reply_t{std::string{"bad_request"}, "unknown jobs operation " + op, std::string{}};
}

caf::behavior scheduler_behavior(sched_actor* self, scheduler_options opts) {
  guard_actor(self, "scheduler");
  auto& st = self->state;
  st.opts = std::move(opts);
  auto loaded = sched::time_zone::load(st.opts.config.timezone);
  if (!loaded) spdlog::error("scheduler: {}; using UTC", loaded.message());
  const auto tz = loaded ? *std::move(loaded) : sched::time_zone::utc();
  st.timezone = tz.name();
  sched::backoff_policy backoff{std::chrono::seconds(st.opts.config.backoff_initial_s),
                                std::chrono::seconds(st.opts.config.backoff_max_s)};
  st.book = std::make_unique<sched::job_book>(tz, backoff, std::chrono::seconds(st.opts.config.missed_grace_s));
  for (const auto& job : st.opts.config.jobs) {
    auto s = sched::schedule::parse(job.schedule);
    if (!s) {
      spdlog::error("scheduler: job {}: {}; not scheduled", job.name, s.message());
      continue;
    }
    st.jobs[job.name] = job;
    st.book->add({job.name, *s, job.run_once_missed ? sched::missed_policy::run_once : sched::missed_policy::skip,
                  job.allow_overlap});
  }
  self->set_down_handler([self](caf::down_msg& m) {
    for (auto& [id, r] : self->state.runs)
      if (r.handle && r.handle.address() == m.source) {
        const auto run_id = id;  // finish_run erases the entry
        return finish_run(self, run_id, "failed", "the run ended without an answer: " + caf::to_string(m.reason), "");
      }
  });
  restore(self);
  self->send(self, tick_atom::value);
  return {
      [=](tick_atom) {
        if (self->state.restored) tick(self);
        self->delayed_send(self, self->state.opts.tick, tick_atom::value);
      },
      [=](jobs_atom, recover_atom) { restore(self); },
      [=](done_atom, const std::string& run_id, const std::string& outcome, const std::string& summary,
          const std::string& task_id) { finish_run(self, run_id, outcome, summary, task_id); },
      [=](jobs_atom, const std::string& op, const std::string& name, int limit) -> reply_t {
        return handle_jobs(self, op, name, limit);
      },
      [=](status_atom) {
        auto& st = self->state;
        json failing = json::array();
        json jobs = json::array();
        for (const auto& [n, cfg] : st.jobs) {
          auto j = job_json(self, n);
          if (j["failures"].get<int>() > 0) failing.push_back(j);
          jobs.push_back(std::move(j));
        }
        json heartbeat = nullptr;
        for (const auto& [n, cfg] : st.jobs)
          if (cfg.action == "builtin" && cfg.builtin == "heartbeat" && st.last.count(n)) heartbeat = st.last.at(n);
        return json{{"timezone", st.timezone}, {"jobs", jobs}, {"failing", failing}, {"heartbeat", heartbeat}}.dump();
      },
  };
}

}  // namespace

caf::actor spawn_scheduler(caf::actor_system& sys, scheduler_options opts) {
  return sys.spawn(scheduler_behavior, std::move(opts));
}

}  // namespace paios
