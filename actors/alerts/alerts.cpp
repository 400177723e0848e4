#include "actors/alerts/alerts.hpp"

#include <algorithm>
#include <map>
#include <set>

#include <caf/all.hpp>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "actors/dispatcher/dispatcher.hpp"
#include "actors/names.hpp"
#include "actors/obs/obs_store.hpp"
#include "actors/supervisor/supervisor.hpp"
#include "core/alerts/alert_book.hpp"
#include "core/alerts/webhook.hpp"
#include "core/obs/event_sink.hpp"
#include "messages/caf_types.hpp"
#include "messages/ids.hpp"
#include "messages/json_writer.hpp"

namespace paios {
namespace {

using nlohmann::json;
using reply_t = caf::result<std::string, std::string, std::string>;

constexpr auto kAskTimeout = std::chrono::seconds(5);
constexpr int kMaxList = 1000;
// The timeouts a budget check reads at most: far more than any sensible alerts.budget_timeouts.
constexpr int kMaxBudgetEvents = 10000;

// One webhook delivery of one alert: what the helper needs, and where it is in its retries.
struct delivery {
  webhook_config hook;
  alert_record alert;
  std::int64_t timeout_ms = 10000;
  int attempt = 0;  // 0: the first try
};

struct alerts_state {
  alerts_options opts;
  std::unique_ptr<alert_book> book;
  int pending = 0;  // webhook deliveries in flight or waiting for their retry
  static inline const char* name = "alerts";
};

using alerts_actor = caf::stateful_actor<alerts_state>;

// ---- What is measured on disk -------------------------------------------------------------------------------

std::int64_t tree_bytes(const std::filesystem::path& dir) {
  std::error_code ec;
  std::int64_t total = 0;
  for (auto it = std::filesystem::recursive_directory_iterator(dir, ec); !ec && it != std::filesystem::end(it);
       it.increment(ec)) {
    std::error_code size_ec;
    if (it->is_regular_file(size_ec)) {
      auto n = it->file_size(size_ec);
      if (!size_ec) total += static_cast<std::int64_t>(n);
    }
  }
  return total;
}

std::int64_t file_bytes(const std::filesystem::path& f) {
  std::error_code ec;
  auto n = std::filesystem::file_size(f, ec);
  return ec ? 0 : static_cast<std::int64_t>(n);
}

std::string mib(std::int64_t bytes) { return std::to_string(bytes >> 20) + " MiB"; }

std::vector<alert_observation> spool_check(const alerts_options& o) {
  if (o.cfg.spool_max_bytes <= 0) return {};
  const auto bytes = tree_bytes(o.spool_dir);
  if (bytes <= o.cfg.spool_max_bytes) return {};
  return {{"spool_large", o.spool_dir.string(), "warning", "PAIOS: the hooks' spool holds " + mib(bytes),
           "The spool " + o.spool_dir.string() + " holds " + std::to_string(bytes) + " bytes (alerts.spool_max_bytes: " +
               std::to_string(o.cfg.spool_max_bytes) + "): hook events are waiting for the daemon. See docs/alerts.md."}};
}

std::vector<alert_observation> disk_check(const alerts_options& o) {
  if (o.cfg.min_free_mb <= 0) return {};
  std::error_code ec;
  const auto space = std::filesystem::space(o.data_dir, ec);
  if (ec) return {};
  const auto free_mb = static_cast<std::int64_t>(space.available >> 20);
  if (free_mb >= o.cfg.min_free_mb) return {};
  return {{"disk_low", o.data_dir.string(), free_mb < o.cfg.min_free_mb / 4 ? "critical" : "warning",
           "PAIOS: " + std::to_string(free_mb) + " MiB of disk left",
           "The disk under " + o.data_dir.string() + " has " + std::to_string(free_mb) +
               " MiB free (alerts.min_free_mb: " + std::to_string(o.cfg.min_free_mb) + ")."}};
}

std::vector<alert_observation> db_check(const alerts_options& o) {
  if (o.cfg.db_max_mb <= 0) return {};
  std::vector<alert_observation> out;
  std::error_code ec;
  for (auto it = std::filesystem::directory_iterator(o.data_dir, ec); !ec && it != std::filesystem::end(it);
       it.increment(ec)) {
    const auto& p = it->path();
    if (p.extension() != ".sqlite") continue;
    const auto bytes = file_bytes(p) + file_bytes(p.string() + "-wal");
    if (bytes <= o.cfg.db_max_mb << 20) continue;
    out.push_back({"db_large", p.filename().string(), "warning", "PAIOS: " + p.filename().string() + " is " + mib(bytes),
                   p.string() + " (with its WAL) is " + std::to_string(bytes) + " bytes (alerts.db_max_mb: " +
                       std::to_string(o.cfg.db_max_mb) + ")."});
  }
  return out;
}

// ---- Raising, delivering, resolving -------------------------------------------------------------------------

void emit_alert_event(const char* action, const alert_record& a) {
  const auto t = now_us();
  emit_span("alerts", action, new_trace(), 0, 0, t, t, "ok", to_json(a).dump());
}

std::int64_t backoff_ms(const alerts_config& cfg, int attempt) {
  std::int64_t wait = cfg.retry_base_ms;
  for (int i = 1; i < attempt && wait < cfg.retry_max_ms; ++i) wait *= 2;
  return std::min(wait, cfg.retry_max_ms);
}

// The helper: one HTTP request, its outcome sent back to the alerts actor.
void run_delivery(caf::event_based_actor* helper, const delivery& d, const caf::actor& owner) {
  const auto r = http_send(webhook_request(d.hook, d.alert, d.timeout_ms));
  const auto outcome = webhook_outcome(d.hook, r);
  helper->send(owner, delivery_atom::value, d.hook.kind, d.hook.url, d.alert.id, d.attempt, outcome.message());
  helper->quit();
}

void start_delivery(alerts_actor* self, const delivery& d) {
  self->spawn<caf::detached>(run_delivery, d, caf::actor_cast<caf::actor>(self));
}

void deliver(alerts_actor* self, const alert_record& a) {
  auto& st = self->state;
  emit_alert_event("delivering", a);  // each webhook's outcome is logged when it comes back
  if (auto n = registered(self, notifier_name::value))
    self->send(n, notify_atom::value, a.title, a.detail, a.severity);
  else
    spdlog::warn("alerts: the notifier is not running; alert {} ({} {}) goes to the webhooks only", a.id, a.kind, a.key);
  for (const auto& hook : st.opts.cfg.webhooks) {
    ++st.pending;
    start_delivery(self, {hook, a, st.opts.cfg.webhook_timeout_ms, 0});
  }
}

void raise(alerts_actor* self, const alert_observation& o) {
  auto& st = self->state;
  const auto now = now_ms();
  auto r = st.book->observe(o, now);
  if (!r) {
    spdlog::error("alerts: cannot record {} {}: {}", o.kind, o.key, r.message());
    return;
  }
  if (r->opened) {
    spdlog::warn("alerts: #{} {} {}: {}", r->alert.id, o.kind, o.key, o.title);
    emit_alert_event("raised", r->alert);
  }
  if (!r->due) return;
  if (auto m = st.book->mark_delivered(r->alert.id, now); !m) spdlog::error("alerts: {}", m.message());
  r->alert.delivered_ms = now;
  deliver(self, r->alert);
}

// The observations of one source's kind: each raised, and the open alerts of that kind it no longer sees resolved.
void apply(alerts_actor* self, const std::string& kind, const std::vector<alert_observation>& seen) {
  std::set<std::string> keys;
  for (const auto& o : seen) {
    keys.insert(o.key);
    raise(self, o);
  }
  auto resolved = self->state.book->resolve_absent(kind, keys, now_ms());
  if (!resolved) return spdlog::error("alerts: cannot resolve {}: {}", kind, resolved.message());
  for (const auto& a : *resolved) {
    spdlog::info("alerts: #{} {} {} resolved", a.id, a.kind, a.key);
    emit_alert_event("resolved", a);
  }
}

void check_breakers(alerts_actor* self) {
  auto d = registered_as<dispatcher_actor>(self, dispatch_name::value);
  if (!d) return;
  self->request(d, kAskTimeout, status_atom::value).then([self](const std::string& text) {
    const auto status = json::parse(text, nullptr, false);
    if (!status.is_object()) return;
    const auto limit = self->state.opts.cfg.breaker_open_ms;
    const auto now = now_ms();
    std::vector<alert_observation> seen;
    for (const auto& b : status.value("brains", json::array())) {
      const auto breaker = b.value("breaker", json::object());
      if (breaker.value("state", "") != "open") continue;
      // Open since its last transition; a breaker with none recorded cannot say how long, so it waits for one.
      const auto since = breaker.value("last_change", json::object()).value("time_ms", now);
      if (now - since < limit) continue;
      const auto brain = b.value("name", std::string{"?"});
      seen.push_back({"breaker_open", brain, "warning", "PAIOS: brain " + brain + "'s breaker is open",
                      "The circuit breaker of brain " + brain + " has been open for " + std::to_string((now - since) / 1000) +
                          " s (alerts.breaker_open_ms: " + std::to_string(limit) + "): tasks skip it. " +
                          "`ai status` says why; `ai breaker reset " + brain + "` closes it."});
    }
    apply(self, "breaker_open", seen);
  }, [](caf::error&) {});  // a dispatcher that does not answer resolves nothing
}

void check_jobs(alerts_actor* self) {
  auto s = registered(self, sched_name::value);
  if (!s) return;
  self->request(s, kAskTimeout, status_atom::value).then([self](const std::string& text) {
    const auto status = json::parse(text, nullptr, false);
    if (!status.is_object()) return;
    std::vector<alert_observation> seen;
    for (const auto& j : status.value("failing", json::array())) {
      const auto name = j.value("name", std::string{"?"});
      const auto failures = j.value("failures", 0);
      seen.push_back({"job_failing", name, "warning", "PAIOS: job " + name + " is failing",
                      "The scheduler job " + name + " failed its last " + std::to_string(failures) +
                          " run(s). `ai jobs history " + name + "` shows them."});
    }
    apply(self, "job_failing", seen);
  }, [](caf::error&) {});
}

std::vector<credential_status> credentials_now(const alerts_options& o) {
  return inspect_credentials(o.credentials, process_env, now_ms(), o.cfg.credential_warn_days);
}

std::string users_of(const credential_entry& e) {
  if (e.used_by.empty()) return "the whole mesh";
  std::string s;
  for (const auto& u : e.used_by) s += (s.empty() ? "" : ", ") + u;
  return s;
}

// Each credential in use that is missing, expired or expiring; only its name, place and dates reach the alert.
void check_credentials(alerts_actor* self) {
  std::vector<alert_observation> expiry, missing;
  for (const auto& c : credentials_now(self->state.opts)) {
    if (!c.needs_attention()) continue;
    const auto& name = c.entry.name;
    const auto detail = describe(c) + ". Used by " + users_of(c.entry) +
                        ". `ai credentials` lists them; docs/runbooks/credentials.md says how to renew one.";
    if (c.state == "missing") {
      missing.push_back({"credential_missing", name, "warning", "PAIOS: credential " + name + " is missing", detail});
      continue;
    }
    const bool expired = c.state == "expired";
    expiry.push_back({"credential_expiry", name, expired ? "critical" : "warning",
                      "PAIOS: credential " + name +
                          (expired ? std::string{" has expired"} : " expires in " + std::to_string(*c.days_left) + " day(s)"),
                      detail});
  }
  apply(self, "credential_expiry", expiry);
  apply(self, "credential_missing", missing);
}

// A brain's task has a time budget (its timeout); no token or money budget exists in the configuration. A brain
// whose calls hit it alerts.budget_timeouts times within alerts.budget_window_ms is told, from the event store's
// brain/call spans with status timeout.
void check_budgets(alerts_actor* self) {
  const auto& cfg = self->state.opts.cfg;
  if (cfg.budget_timeouts <= 0) return;
  auto obs = registered_as<obs_store_actor>(self, obs_name::value);
  if (!obs) return;
  event_query q;
  q.category = "brain";
  q.action = "call";
  q.status = "timeout";
  q.since_us = (now_ms() - cfg.budget_window_ms) * 1000;
  q.limit = kMaxBudgetEvents;
  self->request(obs, kAskTimeout, query_atom::value, q)
      .then([self](const std::string& error, const std::vector<event_record>& events) {
        if (!error.empty()) return spdlog::warn("alerts: the budget check cannot read the event store: {}", error);
        const auto& cfg = self->state.opts.cfg;
        std::map<std::string, int> per_brain;
        for (const auto& e : events) {
          const auto data = json::parse(e.data_json, nullptr, false);
          if (data.is_object()) ++per_brain[data.value("brain", std::string{"?"})];
        }
        std::vector<alert_observation> seen;
        for (const auto& [brain, n] : per_brain) {
          if (n < cfg.budget_timeouts) continue;
          seen.push_back({"budget_exceeded", brain, "warning", "PAIOS: brain " + brain + "'s tasks hit their time budget",
                          std::to_string(n) + " call(s) of brain " + brain + " ran out of their time (the task's timeout_ms, "
                              "else brains." + brain + ".timeout_ms) in the last " +
                              std::to_string(cfg.budget_window_ms / 1000) + " s (alerts.budget_timeouts: " +
                              std::to_string(cfg.budget_timeouts) + "). `ai tasks` shows them; the agent may be stuck, "
                              "or its timeout too short for the work."});
        }
        apply(self, "budget_exceeded", seen);
      }, [](caf::error&) {});  // an event store that does not answer resolves nothing
}

void check(alerts_actor* self) {
  const auto& o = self->state.opts;
  apply(self, "spool_large", spool_check(o));
  apply(self, "disk_low", disk_check(o));
  apply(self, "db_large", db_check(o));
  check_credentials(self);
  check_breakers(self);
  check_jobs(self);
  check_budgets(self);
}

// ---- alerts.list, alerts.ack --------------------------------------------------------------------------------

reply_t fail(errc code, std::string message) { return {std::string{to_string(code)}, std::move(message), std::string{}}; }

reply_t handle(alerts_actor* self, const std::string& op, const std::string& args_text) {
  auto& st = self->state;
  const auto args = json::parse(args_text, nullptr, false);
  if (!args.is_object()) return fail(errc::bad_request, "the arguments are not a JSON object");
  if (op == "list") {
    const int limit = std::clamp(args.value("limit", 100), 1, kMaxList);
    auto rows = st.book->list(args.value("all", false), limit);
    if (!rows) return fail(errc::store_failed, rows.message());
    json list = json::array();
    for (const auto& a : *rows) list.push_back(to_json(a));
    return {std::string{}, std::string{}, json{{"alerts", std::move(list)}}.dump()};
  }
  if (op == "ack") {
    const auto id = args.value("id", std::int64_t{0});
    auto a = st.book->acknowledge(id, now_ms());
    if (!a) return fail(a.code(), a.message());
    spdlog::info("alerts: #{} {} {} acknowledged", a->id, a->kind, a->key);
    emit_alert_event("acknowledged", *a);
    return {std::string{}, std::string{}, json{{"alert", to_json(*a)}}.dump()};
  }
  if (op == "credentials") {
    json list = json::array();
    for (const auto& c : credentials_now(st.opts)) list.push_back(to_json(c));
    return {std::string{}, std::string{}, json{{"credentials", std::move(list)}, {"warn_days", st.opts.cfg.credential_warn_days}}.dump()};
  }
  return fail(errc::bad_request, "unknown alerts operation '" + op + "'");
}

caf::behavior alerts_behavior(alerts_actor* self, alerts_options opts) {
  guard_actor(self, "alerts");
  auto& st = self->state;
  st.opts = std::move(opts);
  auto book = alert_book::open(st.opts.file, st.opts.cfg.min_interval_ms);
  if (!book) throw std::runtime_error(book.message());  // guard_actor makes it the exit reason; the supervisor restarts
  st.book = std::move(*book);
  const bool first = !st.opts.first_start || st.opts.first_start->exchange(false);
  if (first && st.opts.unclean_exit && !st.opts.unclean_exit->empty())
    raise(self, {"unclean_exit", "paiosd", "critical", "PAIOS: paiosd restarted after an unclean exit",
                 "The previous paiosd did not stop in order (" + *st.opts.unclean_exit +
                     "): it crashed, was killed, or the machine lost power. Its log is in PAIOS_HOME/logs; tasks it "
                     "was running are marked interrupted.",
                 false});
  self->send(self, tick_atom::value);
  return {
      [=](tick_atom) {
        check(self);
        self->delayed_send(self, std::chrono::milliseconds(self->state.opts.cfg.check_ms), tick_atom::value);
      },
      [=](alerts_atom, const std::string& op, const std::string& args) -> reply_t { return handle(self, op, args); },
      [=](escalate_atom, const std::string& supervisor, const std::string& child, const std::string& reason) {
        raise(self, {"supervisor_escalation", supervisor, "critical",
                     "PAIOS: supervisor " + supervisor + " gave up on " + child,
                     "Supervisor " + supervisor + " restarted its children more often than supervision.max_restarts in "
                         "supervision.within_ms allows, and escalated to its parent, which restarts it with all of its "
                         "children. " + reason + ". `ai status` shows the tree; the log in PAIOS_HOME/logs has each failure.",
                     false});
      },
      [=](delivery_atom, const std::string& kind, const std::string& url, std::int64_t id, int attempt,
          const std::string& error) {
        auto& st = self->state;
        if (error.empty()) {
          --st.pending;
          spdlog::info("alerts: #{} delivered to the {} webhook", id, kind);
          return;
        }
        const auto& cfg = st.opts.cfg;
        if (attempt >= cfg.retries) {
          --st.pending;
          spdlog::error("alerts: #{} not delivered to the {} webhook after {} tries: {} (the alert is kept; `ai alerts` "
                        "lists it)", id, kind, attempt + 1, error);
          return;
        }
        const auto wait = backoff_ms(cfg, attempt + 1);
        spdlog::warn("alerts: #{} to the {} webhook failed (try {}): {}; again in {} ms", id, kind, attempt + 1, error, wait);
        self->delayed_send(self, std::chrono::milliseconds(wait), delivery_atom::value, kind, url, id, attempt + 1);
      },
      [=](delivery_atom, const std::string& kind, const std::string& url, std::int64_t id, int attempt) {
        auto& st = self->state;
        auto a = st.book->get(id);  // as it is now: its count may have grown meanwhile
        if (!a) {
          --st.pending;
          spdlog::error("alerts: #{} cannot be read for its retry: {}", id, a.message());
          return;
        }
        start_delivery(self, {{kind, url}, *a, st.opts.cfg.webhook_timeout_ms, attempt});
      },
      [=](status_atom) {
        auto& st = self->state;
        auto rows = st.book->list(false, kMaxList);
        std::int64_t open = 0, unacked = 0;
        if (rows)
          for (const auto& a : *rows) {
            ++open;
            if (!a.acknowledged()) ++unacked;
          }
        json attention = json::array();
        for (const auto& c : credentials_now(st.opts))
          if (c.needs_attention()) attention.push_back(to_json(c));
        return json{{"open", open},
                    {"unacknowledged", unacked},
                    {"webhooks", st.opts.cfg.webhooks.size()},
                    {"deliveries_pending", st.pending},
                    {"credentials", std::move(attention)}}
            .dump();
      },
  };
}

}  // namespace

caf::actor spawn_alerts(caf::actor_system& sys, alerts_options opts) { return sys.spawn(alerts_behavior, std::move(opts)); }

}  // namespace paios
