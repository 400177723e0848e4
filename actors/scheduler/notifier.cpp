#include "actors/scheduler/notifier.hpp"

#include <caf/all.hpp>
#include <spdlog/spdlog.h>

#include "actors/supervisor/supervisor.hpp"
#include "core/obs/event_sink.hpp"
#include "core/process/run_command.hpp"
#include "messages/caf_types.hpp"
#include "messages/ids.hpp"

namespace paios {
namespace {

struct notifier_state {
  notify_config cfg;
  std::vector<std::string> base;  // the argv before title and body; empty: events only
  std::string via;                // "notify-send", "command" or "event"
  std::int64_t sent = 0;
  static inline const char* name = "notifier";
};

using notifier_actor = caf::stateful_actor<notifier_state>;

// One notification's command, for the helper actor that runs it. Passed as the spawn's argument: CAF 0.17
// dereferences a null argument tuple when a function actor is spawned with none (UBSan stops the daemon there).
struct notification {
  std::vector<std::string> argv;
  std::chrono::milliseconds timeout;
  std::string title, body, severity, via;
  std::int64_t start_us;
};

void run_notification(caf::event_based_actor* helper, const notification& n) {
  const auto r = sched::run_command(n.argv, n.timeout);
  const bool ok = r.started && !r.timed_out && r.exit_code == 0;
  if (!ok)
    spdlog::warn("notifier: {} failed: {}", n.via,
                 !r.started ? r.error.message() : r.timed_out ? std::string("timed out") : "exit " + std::to_string(r.exit_code));
  emit_span("notify", n.severity, new_trace(), 0, 0, n.start_us, now_us(), ok ? "ok" : "failed",
            json_object{}.str("title", n.title).str("body", n.body).str("via", n.via).num("exit_code", r.exit_code).done());
  helper->quit();
}

caf::behavior notifier_behavior(notifier_actor* self, notify_config cfg) {
  guard_actor(self, "notifier");
  auto& st = self->state;
  st.cfg = std::move(cfg);
  const auto notify_send = st.cfg.notify_send ? sched::find_on_path("notify-send") : std::string{};
  if (!notify_send.empty()) {
    st.base = {notify_send, "-a", "paios"};
    st.via = "notify-send";
  } else if (!st.cfg.command.empty()) {
    st.base = st.cfg.command;
    st.via = "command";
  } else {
    st.via = "event";
  }
  spdlog::info("notifier: notifications go to {}", st.via);
  return {
      [=](notify_atom, const std::string& title, const std::string& body, const std::string& severity) {
        auto& st = self->state;
        const auto start = now_us();
        auto argv = st.base;
        if (!argv.empty()) {
          if (st.via == "notify-send") {
            argv.insert(argv.end(), {"-u", severity == "critical" ? "critical" : "normal"});
          }
          argv.push_back(title);
          argv.push_back(body);
        }
        const auto via = st.via;
        const auto timeout = std::chrono::milliseconds(st.cfg.timeout_ms);
        if (argv.empty()) {
          emit_span("notify", severity, new_trace(), 0, 0, start, now_us(), "ok",
                    json_object{}.str("title", title).str("body", body).str("via", via).done());
          return;
        }
        // The command runs on a thread of its own; its end comes back as the event.
        self->spawn<caf::detached>(run_notification, notification{argv, timeout, title, body, severity, via, start});
        ++st.sent;
      },
      [=](status_atom) {
        auto& st = self->state;
        return json_object{}.str("via", st.via).num("sent", st.sent).done();
      },
  };
}

}  // namespace

caf::actor spawn_notifier(caf::actor_system& sys, notify_config cfg) { return sys.spawn(notifier_behavior, std::move(cfg)); }

}  // namespace paios
