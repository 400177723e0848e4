#include "actors/config/config_reloader.hpp"

#include <caf/all.hpp>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "actors/autonomy/autonomy_gate.hpp"
#include "actors/names.hpp"
#include "actors/supervisor/supervisor.hpp"
#include "config/checked_config.hpp"
#include "config/config_diff.hpp"
#include "config/live_keys.hpp"
#include "core/obs/event_sink.hpp"
#include "messages/error.hpp"
#include "messages/ids.hpp"

namespace paios {
namespace {

using nlohmann::json;
using reply = caf::result<std::string, std::string, std::string>;
// A restart waits for the actor's orderly stop (the scheduler's runs, the watchers' threads) and its new start.
constexpr auto kRestartTimeout = std::chrono::seconds(60);
constexpr auto kGateTimeout = std::chrono::seconds(10);

struct reloader_state {
  config_reloader_options opts;
  bool busy = false;
  std::int64_t reloads = 0, failed = 0, last_ms = 0;
  std::string last_error;
  static inline const char* name = "config";
};

using reloader_actor = config_actor::stateful_pointer<reloader_state>;

std::string dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

// The file as paiosd would read it at start: a missing PAIOS_HOME/config.json means the defaults alone.
checked_config check_file(const config_reloader_options& opts) {
  std::error_code ec;
  if (!opts.file_named && !std::filesystem::exists(opts.file, ec)) return check_config(std::nullopt);
  return check_config(opts.file);
}

// A reload refused: the running configuration stays, and a person hears of it (log, event, notification).
reply refuse(reloader_actor self, const std::string& origin, std::int64_t start_us, const std::vector<std::string>& errors) {
  auto& st = self->state;
  ++st.failed;
  std::string list;
  for (const auto& e : errors) list += (list.empty() ? "" : "; ") + e;
  st.last_error = list;
  const auto message = st.opts.file.string() + " is not a valid configuration; paiosd keeps running with the one it has: " + list;
  spdlog::error("config reload ({}): {}", origin, message);
  emit_span("config", "reload", new_trace(), 0, 0, start_us, now_us(), "failed",
            dump({{"origin", origin}, {"file", st.opts.file.string()}, {"errors", errors}}));
  if (auto n = registered(self, notifier_name::value))
    caf::anon_send(n, notify_atom::value, std::string{"PAIOS configuration not reloaded"}, message, std::string{"warning"});
  return reply{std::string{to_string(errc::bad_request)}, message, std::string{}};
}

// What is left of one reload once the change is known: the answers of the actors it waits for.
struct pending_reload {
  caf::typed_response_promise<std::string, std::string, std::string> promise;
  json body;
  std::string origin;
  std::int64_t start_us = 0;
  int waiting = 1;
  std::vector<std::string> errors;
};

void finish(reloader_actor self, const std::shared_ptr<pending_reload>& r) {
  if (--r->waiting > 0) return;
  auto& st = self->state;
  st.busy = false;
  const bool ok = r->errors.empty();
  r->body["errors"] = r->errors;
  emit_span("config", "reload", new_trace(), 0, 0, r->start_us, now_us(), ok ? "ok" : "failed",
            dump({{"origin", r->origin}, {"file", st.opts.file.string()}, {"applied", r->body["applied"]},
                  {"restart", r->body["restart"]}, {"errors", r->errors}}));
  spdlog::info("config reload ({}): {} key(s) applied live, {} need a restart{}", r->origin, r->body["applied"].size(),
               r->body["restart"].size(), ok ? "" : "; " + r->errors.front());
  r->promise.deliver(std::string{}, std::string{}, dump(r->body));
}

reply reload(reloader_actor self, const std::string& origin) {
  auto& st = self->state;
  if (st.busy) return reply{std::string{to_string(errc::overloaded)}, "a configuration reload is being applied; try again", ""};
  const auto start_us = now_us();
  auto checked = check_file(st.opts);
  if (!checked.config) return refuse(self, origin, start_us, checked.errors);
  ++st.reloads;
  st.last_ms = now_ms();
  st.last_error.clear();
  const auto before = st.opts.current->get();
  const auto changes = diff_config(before->merged, checked.config->merged);
  const auto plan = plan_reload(changes);
  const json autonomy_section = checked.config->merged.at("autonomy");
  const auto level = checked.config->log.level;
  // Set before anything restarts: the restarted actors start from it.
  st.opts.current->set(std::move(*checked.config));

  auto r = std::make_shared<pending_reload>();
  r->promise = self->make_response_promise<std::string, std::string, std::string>();
  r->origin = origin;
  r->start_us = start_us;
  r->body = {{"file", st.opts.file.string()}, {"applied", plan.live}, {"restart", plan.restart},
             {"restarted", plan.actors}};
  st.busy = true;
  if (plan.log_level) spdlog::set_level(spdlog::level::from_str(level));
  if (plan.autonomy) {
    ++r->waiting;
    auto gate = registered_as<autonomy_actor>(self, autonomy_name::value);
    if (!gate) {
      r->errors.push_back("autonomy: the gate is not running; it takes the new rules when it starts again");
      --r->waiting;
    } else {
      self->request(gate, kGateTimeout, approvals_atom::value, std::string{"reconfigure"}, dump(autonomy_section))
          .then(
              [self, r](const std::string& code, const std::string& message, const std::string&) {
                if (!code.empty()) r->errors.push_back("autonomy: " + message);
                finish(self, r);
              },
              [self, r](caf::error& e) {
                r->errors.push_back("autonomy: the gate did not answer: " + caf::to_string(e));
                finish(self, r);
              });
    }
  }
  auto root = registered(self, root_name::value);
  for (const auto& actor : plan.actors) {
    if (!root) {
      r->errors.push_back(actor + ": the root supervisor is not registered");
      continue;
    }
    ++r->waiting;
    self->request(root, kRestartTimeout, restart_atom::value, actor)
        .then([self, r](bool) { finish(self, r); },
              [self, r, actor](caf::error& e) {
                r->errors.push_back(actor + ": not restarted: " + caf::to_string(e));
                finish(self, r);
              });
  }
  finish(self, r);
  return r->promise;
}

config_actor::behavior_type reloader_behavior(reloader_actor self, config_reloader_options opts) {
  guard_actor(self, "config");
  self->state.opts = std::move(opts);
  return {
      [=](reload_atom, const std::string& origin) { return reload(self, origin); },
      [=](status_atom) {
        auto& st = self->state;
        return dump({{"reloads", st.reloads}, {"failed", st.failed}, {"last_ms", st.last_ms},
                     {"last_error", st.last_error}});
      },
  };
}

}  // namespace

config_actor spawn_config_reloader(caf::actor_system& sys, config_reloader_options opts) {
  return sys.spawn(reloader_behavior, std::move(opts));
}

}  // namespace paios
