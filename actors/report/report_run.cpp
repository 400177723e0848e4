#include "actors/report/report_run.hpp"

#include <caf/all.hpp>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "actors/kb/kb_store.hpp"
#include "actors/names.hpp"
#include "actors/obs/obs_store.hpp"
#include "actors/supervisor/supervisor.hpp"
#include "core/obs/event_sink.hpp"
#include "core/report/daily_report.hpp"
#include "messages/caf_types.hpp"
#include "messages/ids.hpp"

namespace paios {
namespace {

using answer = std::tuple<std::string, std::string, std::string>;

constexpr auto kAskTimeout = std::chrono::seconds(30);
// Events asked for in one query; a source with more is read in pages (by seq, newest first).
constexpr int kPage = 5000;

struct run_state {
  report_run_spec spec;
  sched::time_zone tz = sched::time_zone::utc();
  report::report_day day;
  std::vector<event_record> events;
  std::size_t sources_left = 0;
  std::int64_t start_us = 0;
  bool answered = false;
  caf::typed_response_promise<std::string, std::string, std::string> promise;
  static inline const char* name = "report_run";
};

using run_actor = caf::stateful_actor<run_state>;

void finish(run_actor* self, errc code, const std::string& message, nlohmann::json body) {
  auto& st = self->state;
  if (st.answered) return;
  st.answered = true;
  if (!body.is_object()) body = nlohmann::json::object();  // a failure passes none
  const trace_id trace = st.spec.trace.valid() ? st.spec.trace : new_trace();
  nlohmann::json data{{"date", st.day.date}, {"complete", body.value("complete", false)},
                      {"article_id", body.value("article_id", "")}};
  if (code != errc::none) data["error"] = message;
  emit_span("report", "made", trace, new_span_id(), st.spec.parent_span, st.start_us, now_us(),
            code == errc::none ? std::string_view{"ok"} : to_string(code), data.dump());
  if (code != errc::none) {
    spdlog::warn("report: {}", message);
    st.promise.deliver(std::string{to_string(code)}, message, std::string{});
  } else {
    st.promise.deliver(std::string{}, std::string{}, body.dump());
  }
  self->quit();
}

void tell(run_actor* self, const report::daily_report& r, nlohmann::json body) {
  if (self->state.spec.notify)
    if (auto n = registered(self, notifier_name::value))
      self->send(n, notify_atom::value, report::title(r), report::summary(r), std::string{"info"});
  finish(self, errc::none, "", std::move(body));
}

void made(run_actor* self) {
  auto& st = self->state;
  const auto r = report::compute(st.day, st.tz, st.events, now_us());
  st.events.clear();
  nlohmann::json body{{"date", r.day.date},          {"timezone", r.timezone},       {"complete", r.complete},
                      {"report", report::to_json(r)}, {"markdown", report::markdown(r)}, {"summary", report::summary(r)},
                      {"article_id", ""}};
  if (!st.spec.store) return tell(self, r, std::move(body));
  auto kb = registered_as<kb_store_actor>(self, kb_name::value);
  if (!kb) return finish(self, errc::store_failed, "the knowledge base is not running: the report of " + r.day.date + " is not stored", {});
  kb_request add;
  add.title = report::title(r);
  add.source = "paios:report/" + r.day.date;
  add.kind = "report";
  add.format = "markdown";
  add.content = body["markdown"].get<std::string>();
  self->request(kb, kAskTimeout, kb_add_atom::value, std::move(add))
      .then(
          [self, r, body](const std::string& code, const std::string& message, const std::string& reply) mutable {
            if (!code.empty()) return finish(self, errc::store_failed, "the knowledge base refused the report: " + message, {});
            body["article_id"] = nlohmann::json::parse(reply, nullptr, false).value("article_id", "");
            tell(self, r, std::move(body));
          },
          [self](caf::error& e) {
            finish(self, errc::store_failed, "the knowledge base did not answer: " + caf::to_string(e), {});
          });
}

// One source's events of the day, a page at a time (newest first: the next page is before the last seq seen).
void gather(run_actor* self, const obs_store_actor& obs, const std::pair<std::string, std::string>& source,
            std::int64_t before_seq) {
  auto& st = self->state;
  event_query q;
  q.category = source.first;
  q.action = source.second;
  q.since_us = st.day.since_us;
  q.until_us = st.day.until_us;
  q.limit = kPage;
  q.before_seq = before_seq;
  self->request(obs, kAskTimeout, query_atom::value, q)
      .then(
          [self, obs, source](const std::string& error, std::vector<event_record>& page) {
            auto& st = self->state;
            if (!error.empty()) return finish(self, errc::store_failed, "the event store failed: " + error, {});
            const bool more = page.size() == static_cast<std::size_t>(kPage);
            const auto last_seq = page.empty() ? 0 : page.back().seq;
            std::move(page.begin(), page.end(), std::back_inserter(st.events));
            if (more) return gather(self, obs, source, last_seq);
            if (--st.sources_left == 0) made(self);
          },
          [self](caf::error& e) { finish(self, errc::store_failed, "the event store did not answer: " + caf::to_string(e), {}); });
}

caf::behavior run_behavior(run_actor* self, report_run_spec spec) {
  guard_actor(self, "report_run");
  self->state.spec = std::move(spec);
  return {
      [=](report_atom) -> caf::typed_response_promise<std::string, std::string, std::string> {
        auto& st = self->state;
        st.start_us = now_us();
        st.promise = self->make_response_promise<std::string, std::string, std::string>();
        auto promise = st.promise;
        if (auto tz = sched::time_zone::load(st.spec.timezone)) st.tz = *std::move(tz);
        else spdlog::warn("report: days are cut in UTC: {}", tz.message());  // the config checked it: a zone file gone since
        auto day = report::resolve_day(st.spec.date, st.tz, now_ms());
        if (!day) {
          finish(self, day.error().code(), day.error().message(), {});
          return promise;
        }
        st.day = *std::move(day);
        auto obs = registered_as<obs_store_actor>(self, obs_name::value);
        if (!obs) {
          finish(self, errc::store_failed, "the event store is not running", {});
          return promise;
        }
        const auto& sources = report::report_sources();
        st.sources_left = sources.size();
        for (const auto& s : sources) gather(self, obs, s, 0);
        return promise;
      },
  };
}

}  // namespace

caf::actor spawn_report_run(caf::actor_system& sys, report_run_spec spec) { return sys.spawn(run_behavior, std::move(spec)); }

}  // namespace paios
