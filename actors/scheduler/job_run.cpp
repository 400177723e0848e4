#include "actors/scheduler/job_run.hpp"

#include <sys/statvfs.h>

#include <caf/all.hpp>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "actors/backup/backup_run.hpp"
#include "actors/dispatcher/dispatcher.hpp"
#include "actors/names.hpp"
#include "actors/report/report_run.hpp"
#include "actors/supervisor/supervisor.hpp"
#include "core/obs/event_sink.hpp"
#include "messages/caf_types.hpp"
#include "messages/ids.hpp"
#include "messages/text.hpp"

namespace paios {
namespace {

constexpr auto kAskTimeout = std::chrono::seconds(5);
constexpr std::size_t kSummaryBytes = 400;

struct run_state {
  job_run_spec spec;
  caf::actor scheduler;
  std::string task_id;
  std::int64_t start_us = 0;
  bool answered = false;
  static inline const char* name = "job_run";
};

using run_actor = caf::stateful_actor<run_state>;

std::string cut(std::string text) {
  if (text.size() <= kSummaryBytes) return text;
  std::size_t n = kSummaryBytes;
  while (n > 0 && (static_cast<unsigned char>(text[n]) & 0xC0) == 0x80) --n;  // not inside a UTF-8 sequence
  return text.substr(0, n) + "...";
}

void answer(run_actor* self, const std::string& outcome, const std::string& summary) {
  auto& st = self->state;
  if (st.answered) return;
  st.answered = true;
  self->send(st.scheduler, done_atom::value, st.spec.run_id, outcome, cut(summary), st.task_id);
  self->quit();
}

void cancel_task(run_actor* self) {
  auto& st = self->state;
  if (st.task_id.empty()) return;
  if (st.spec.job.action == "pipeline") {
    if (auto p = registered(self, pipes_name::value))
      caf::anon_send(p, pipeline_atom::value, std::string{"cancel"},
                     nlohmann::json{{"run_id", st.task_id}, {"reason", "job " + st.spec.job.name + " timed out"}}.dump());
    return;
  }
  if (auto d = registered_as<dispatcher_actor>(self, dispatch_name::value)) caf::anon_send(d, cancel_atom::value, st.task_id);
}

// A pipeline job: the run is started in the job run's trace and waited for; its id is the run's task_id.
void run_pipeline(run_actor* self) {
  auto& st = self->state;
  auto p = registered(self, pipes_name::value);
  if (!p) return answer(self, "failed", "the pipelines actor is not running");
  nlohmann::json args{{"name", st.spec.job.pipeline}, {"trigger", "job:" + st.spec.job.name},
                      {"trace_id", st.spec.trace_id}, {"parent_span", st.spec.span}};
  self->request(p, kAskTimeout, pipeline_atom::value, std::string{"run"}, args.dump(), caf::actor_cast<caf::actor>(self))
      .then(
          [self](const std::string& code, const std::string& message, const std::string& body) {
            if (!code.empty()) return answer(self, "failed", "pipeline " + self->state.spec.job.pipeline + ": " + code + ": " + message);
            auto j = nlohmann::json::parse(body, nullptr, false);
            if (j.is_object()) self->state.task_id = j.value("run_id", "");
          },
          [self](caf::error& e) { answer(self, "failed", "the pipelines actor did not answer: " + caf::to_string(e)); });
}

void run_task(run_actor* self) {
  auto& st = self->state;
  auto d = registered_as<dispatcher_actor>(self, dispatch_name::value);
  if (!d) return answer(self, "failed", "the dispatcher is not running");
  task_spec t;
  t.prompt = st.spec.job.prompt;
  t.brain = st.spec.job.brain;
  t.trace_id = st.spec.trace_id;
  t.parent_span = st.spec.span;
  t.timeout_ms = st.spec.job.timeout_ms;
  t.created_ms = now_ms();
  self->send(d, submit_atom::value, std::move(t), caf::actor_cast<caf::actor>(self), std::string{"job"},
             st.spec.run_id, false);
}

std::int64_t free_mb(const std::filesystem::path& dir) {
  struct statvfs fs {};
  if (::statvfs(dir.c_str(), &fs) != 0) return -1;
  return static_cast<std::int64_t>(fs.f_bavail) * static_cast<std::int64_t>(fs.f_frsize) / (1024 * 1024);
}

void finish_heartbeat(run_actor* self, const nlohmann::json& brains, std::vector<std::string> problems) {
  auto& st = self->state;
  const std::pair<const char*, caf::atom_value> stores[] = {
      {"state_store", store_name::value}, {"obs_store", obs_name::value}, {"kb_store", kb_name::value}};
  for (auto& [name, atom] : stores)
    if (!registered(self, atom)) problems.push_back(std::string(name) + " is not running");
  const auto mb = free_mb(st.spec.data_dir);
  if (mb >= 0 && mb < st.spec.min_free_mb)
    problems.push_back("only " + std::to_string(mb) + " MB free under " + st.spec.data_dir.string());
  nlohmann::json data{{"problems", problems}, {"brains", brains}, {"free_mb", mb}};
  auto trace = parse_trace_id(st.spec.trace_id).value_or(new_trace());
  emit_span("scheduler", "heartbeat", trace, new_span_id(), st.spec.span, st.start_us, now_us(),
            problems.empty() ? "ok" : "problem", data.dump());
  std::string summary;
  for (const auto& p : problems) summary += (summary.empty() ? "" : "; ") + p;
  if (!problems.empty()) {
    if (auto n = registered(self, notifier_name::value))
      self->send(n, notify_atom::value, std::string{"PAIOS heartbeat: "} + counted(problems.size(), "problem"),
                 summary, std::string{"warning"});
    return answer(self, "ok", counted(problems.size(), "problem") + ": " + summary);
  }
  answer(self, "ok", "all well");
}

void run_heartbeat(run_actor* self) {
  auto d = registered_as<dispatcher_actor>(self, dispatch_name::value);
  if (!d) return finish_heartbeat(self, nlohmann::json::array(), {"the dispatcher is not running"});
  self->request(d, kAskTimeout, status_atom::value)
      .then(
          [self](const std::string& js) {
            auto j = nlohmann::json::parse(js, nullptr, false);
            std::vector<std::string> problems;
            nlohmann::json brains = nlohmann::json::object();
            int available = 0, total = 0;
            if (j.is_object() && j.contains("brains"))
              for (const auto& b : j["brains"]) {
                const auto name = b.value("name", "?");
                const bool up = b.value("available", false);
                std::string breaker = b.contains("breaker") && b["breaker"].is_object() ? b["breaker"].value("state", "") : "";
                brains[name] = {{"available", up}, {"breaker", breaker}};
                ++total;
                if (up) ++available;
                if (breaker == "open") problems.push_back("the breaker of brain " + name + " is open");
              }
            if (total > 0 && available == 0) problems.push_back("no brain is available");
            finish_heartbeat(self, brains, std::move(problems));
          },
          [self](caf::error& e) {
            finish_heartbeat(self, nlohmann::json::object(), {"the dispatcher did not answer: " + caf::to_string(e)});
          });
}

// A builtin that is a run actor of its own (backup_run, report_run): its one answer (code, message, body) is the
// job's outcome, `describe` making the summary from the body. The job's own timeout (tick_atom) answers first if the
// run takes longer; the run still finishes.
template <class Atom, class Describe>
void await_run(run_actor* self, caf::actor run, Atom atom, const char* what, Describe describe) {
  self->request(run, caf::infinite, atom)
      .then(
          [self, what, describe](const std::string& code, const std::string& message, const std::string& body) {
            if (!code.empty()) return answer(self, "failed", code + ": " + message);
            auto b = nlohmann::json::parse(body, nullptr, false);
            if (!b.is_object()) return answer(self, "failed", std::string{what} + " answered no JSON object");
            answer(self, "ok", describe(b));
          },
          [self, what](caf::error& e) { answer(self, "failed", std::string{what} + " did not finish: " + caf::to_string(e)); });
}

void run_backup(run_actor* self) {
  const auto& spec = self->state.spec;
  auto run = spawn_backup_run(self->system(), {spec.data_dir.parent_path(), {}, spec.version, "scheduled", spec.job.keep,
                                               parse_trace_id(spec.trace_id).value_or(trace_id{}), spec.span});
  await_run(self, run, backup_atom::value, "the backup", [](const nlohmann::json& b) {
    const auto pruned = b.value("pruned", nlohmann::json::array()).size();
    return "backup of " + std::to_string(b.value("manifest", nlohmann::json::object()).value("files", nlohmann::json::array()).size()) + " files in " +
           b.value("dir", std::string{}) + (pruned ? "; removed " + std::to_string(pruned) + " older" : "");
  });
}

void run_report(run_actor* self) {
  const auto& spec = self->state.spec;
  auto run = spawn_report_run(self->system(), {"yesterday", spec.timezone, true, spec.job.notify,
                                               parse_trace_id(spec.trace_id).value_or(trace_id{}), spec.span});
  await_run(self, run, report_atom::value, "the report", [](const nlohmann::json& b) {
    return "report " + b.value("date", std::string{}) + " stored as " + b.value("article_id", std::string{}) + ": " +
           b.value("summary", std::string{});
  });
}

caf::behavior run_behavior(run_actor* self, job_run_spec spec, caf::actor scheduler) {
  guard_actor(self, "job_run " + spec.job.name);
  auto& st = self->state;
  st.spec = std::move(spec);
  st.scheduler = std::move(scheduler);
  st.start_us = now_us();
  self->monitor(st.scheduler);
  self->set_down_handler([self](caf::down_msg& m) {
    if (m.source == self->state.scheduler.address()) {
      cancel_task(self);
      self->quit();
    }
  });
  self->delayed_send(self, std::chrono::milliseconds(st.spec.job.timeout_ms), tick_atom::value);
  if (st.spec.job.action == "task") run_task(self);
  else if (st.spec.job.action == "pipeline") run_pipeline(self);
  else if (st.spec.job.builtin == "heartbeat") run_heartbeat(self);
  else if (st.spec.job.builtin == "backup") run_backup(self);
  else if (st.spec.job.builtin == "report") run_report(self);
  else answer(self, "failed", "unknown action " + st.spec.job.action + " " + st.spec.job.builtin);
  return {
      [=](update_atom, task_update& u) {
        auto& st = self->state;
        if (!u.task_id.empty()) st.task_id = u.task_id;
        switch (u.what) {
          case task_update::kind::result: return answer(self, "ok", u.text);
          case task_update::kind::error: {
            // A daemon that stops under the run gives it no verdict: not a failure to back off from.
            const bool stopping = u.error == errc::shutting_down || u.error == errc::interrupted;
            return answer(self, u.error == errc::timeout ? "timeout" : stopping ? "interrupted" : "failed",
                          std::string{to_string(u.error)} + ": " + u.message);
          }
          default: return;
        }
      },
      [=](done_atom, const std::string& run_id, const std::string& state, const std::string& error,
          const std::string& output) {  // the end of a pipeline job's run
        if (run_id != self->state.task_id) return;
        const auto& pipeline = self->state.spec.job.pipeline;
        if (state == "ok") return answer(self, "ok", "pipeline " + pipeline + " ok: " + output);
        answer(self, state == "timeout" ? "timeout" : "failed", "pipeline " + pipeline + " " + state + ": " + error);
      },
      [=](tick_atom) {  // the job's timeout
        cancel_task(self);
        answer(self, "timeout",
               "still running after " + std::to_string(self->state.spec.job.timeout_ms) + " ms; cancelled");
      },
  };
}

}  // namespace

caf::actor spawn_job_run(caf::actor_system& sys, job_run_spec spec, caf::actor scheduler) {
  return sys.spawn(run_behavior, std::move(spec), std::move(scheduler));
}

}  // namespace paios
