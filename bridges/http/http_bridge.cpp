#include "bridges/http/http_bridge.hpp"

#include <caf/all.hpp>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "actors/names.hpp"
#include "actors/supervisor/supervisor.hpp"
#include "core/http/http_server.hpp"
#include "core/obs/metrics.hpp"
#include "messages/caf_types.hpp"
#include "messages/ids.hpp"

namespace paios {
namespace {

constexpr auto kAskTimeout = std::chrono::seconds(2);

struct http_state {
  http_bridge_options opts;
  std::unique_ptr<http_server> server;
  std::string error;
  static inline const char* name = "http_bridge";
};

using http_actor = caf::stateful_actor<http_state>;

// The supervision tree, flattened: every actor with its state; nested supervisors' children too.
void collect(const nlohmann::json& tree, nlohmann::json& out, bool& healthy) {
  for (const auto& c : tree.value("children", nlohmann::json::array())) {
    auto state = c.value("state", "");
    if (state != "running") healthy = false;
    out.push_back({{"name", c.value("name", "")},
                   {"state", state},
                   {"restarts", c.value("restarts", 0)},
                   {"last_exit", c.value("last_exit", "")}});
    if (c.contains("tree")) collect(c["tree"], out, healthy);
  }
}

// Runs on the server's thread: it may wait for the actors (a scoped actor of its own), never they for it.
http_response health(caf::actor_system& sys, std::int64_t started_ms) {
  nlohmann::json doc{{"uptime_ms", now_ms() - started_ms}};
  bool healthy = true;
  auto components = nlohmann::json::array();
  caf::scoped_actor self{sys};
  auto ask = [&](caf::atom_value name, const char* what, auto then) {
    auto target = sys.registry().get<caf::actor>(name);
    if (!target) {
      healthy = false;
      doc["problems"].push_back(std::string{what} + " is not running");
      return;
    }
    self->request(target, kAskTimeout, status_atom::value)
        .receive([&](const std::string& js) { then(nlohmann::json::parse(js, nullptr, false)); },
                 [&](caf::error& e) {
                   healthy = false;
                   doc["problems"].push_back(std::string{what} + " did not answer: " + caf::to_string(e));
                 });
  };
  ask(root_name::value, "the supervision tree", [&](const nlohmann::json& tree) { collect(tree, components, healthy); });
  ask(obs_name::value, "the event store", [&](const nlohmann::json& events) {
    doc["events"] = {{"stored", events.value("stored", 0)},
                     {"dropped", events.value("dropped", 0)},
                     {"queued", events.value("queued", 0)},
                     {"last_error", events.value("last_error", "")}};
  });
  doc["components"] = std::move(components);
  doc["status"] = healthy ? "ok" : "failing";
  return {healthy ? 200 : 503, "application/json", doc.dump(2) + "\n"};
}

caf::behavior http_behavior(http_actor* self, http_bridge_options opts) {
  guard_actor(self, "http_bridge");
  auto& st = self->state;
  st.opts = std::move(opts);
  if (!st.opts.endpoint.empty()) {
    auto* sys = &self->system();
    auto started = st.opts.started_ms;
    auto server = http_server::start(
        st.opts.endpoint, [sys, started](const std::string& path) -> http_response {
          if (path == "/metrics") return {200, "text/plain; version=0.0.4; charset=utf-8", metrics::prometheus()};
          if (path == "/healthz") return health(*sys, started);
          return {404, "text/plain; charset=utf-8", "not found: " + path + " (try /metrics or /healthz)\n"};
        });
    if (server) {
      st.server = std::move(*server);
      spdlog::info("http: serving /metrics and /healthz on http://{}", st.server->endpoint());
    } else {
      st.error = server.message();
      spdlog::error("http: no metrics endpoint: {} (obs.http.endpoint)", st.error);
    }
  }
  return {
      [=](status_atom) {
        auto& st = self->state;
        return nlohmann::json{{"endpoint", st.server ? st.server->endpoint() : std::string{}}, {"error", st.error}}.dump();
      },
  };
}

}  // namespace

caf::actor spawn_http_bridge(caf::actor_system& sys, http_bridge_options opts) {
  return sys.spawn(http_behavior, std::move(opts));
}

}  // namespace paios
