#include "actors/watcher/watchers.hpp"

#include <algorithm>
#include <map>

#include <caf/all.hpp>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "actors/names.hpp"
#include "actors/state_store/state_store.hpp"
#include "actors/supervisor/supervisor.hpp"
#include "actors/watcher/folder_watcher.hpp"
#include "messages/caf_types.hpp"
#include "messages/error.hpp"

namespace paios {
namespace {

using json = nlohmann::json;
using reply = caf::result<std::string, std::string, std::string>;
using promise_t = caf::typed_response_promise<std::string, std::string, std::string>;

constexpr auto kAskTimeout = std::chrono::seconds(10);
constexpr auto kRetryLoad = std::chrono::seconds(1);
constexpr auto kBackoffMax = std::chrono::seconds(60);

struct folder_entry {
  watch_folder folder;
  caf::actor watcher;
  json status;            // its last report
  int restarts = 0;
  std::string last_exit;
};

struct manager_state {
  watcher_config cfg;
  std::map<std::string, folder_entry> folders;  // by path
  bool loaded = false;
  static inline const char* name = "watchers";
};

using manager_actor = caf::stateful_actor<manager_state>;

reply ok(const json& body) { return reply{std::string{}, std::string{}, body.dump()}; }
reply fail(errc code, std::string message) { return reply{std::string{to_string(code)}, std::move(message), std::string{}}; }
void deliver_ok(promise_t& p, const json& body) { p.deliver(std::string{}, std::string{}, body.dump()); }
void deliver_fail(promise_t& p, errc code, std::string message) {
  p.deliver(std::string{to_string(code)}, std::move(message), std::string{});
}

void start(manager_actor* self, folder_entry& f) {
  f.watcher = spawn_folder_watcher(self->system(), f.folder, self->state.cfg, caf::actor_cast<caf::actor>(self));
  self->monitor(f.watcher);
  f.status = {{"loaded", false}};
}

std::string classes_text(const std::vector<file_class>& classes) {
  std::string out;
  for (auto c : classes) out += (out.empty() ? "" : ",") + std::string{file_class_name(c)};
  return out;
}

std::vector<file_class> parse_classes(const std::string& text) {
  std::vector<file_class> out;
  for (std::size_t at = 0; at <= text.size();) {
    auto comma = text.find(',', at);
    if (comma == std::string::npos) comma = text.size();
    if (auto c = parse_file_class(text.substr(at, comma - at))) out.push_back(*c);
    at = comma + 1;
  }
  return out;
}

void load(manager_actor* self) {
  auto store = registered_as<state_store_actor>(self, store_name::value);
  if (!store) {
    self->delayed_send(self, kRetryLoad, recover_atom::value);
    return;
  }
  // Awaited: watch.list, .add and .rm wait until the added folders are back, so that a listing just after a start
  // is complete and an add cannot race the load.
  self->request(store, kAskTimeout, watch_atom::value, std::string{"folders"}, std::string{})
      .await(
          [self](const std::string& body) {
            auto& st = self->state;
            auto j = json::parse(body, nullptr, false);
            if (!j.is_object() || !j.contains("folders")) {
              spdlog::warn("watchers: the state store could not read the added folders; trying again");
              self->delayed_send(self, kRetryLoad, recover_atom::value);
              return;
            }
            st.loaded = true;
            for (const auto& f : j["folders"]) {
              watch_folder w{f.value("path", ""), parse_classes(f.value("classes", "")), "added"};
              if (w.path.empty() || st.folders.count(w.path)) continue;  // configured too: the file wins
              auto& entry = st.folders[w.path];
              entry.folder = std::move(w);
              start(self, entry);
            }
          },
          [self](caf::error&) { self->delayed_send(self, kRetryLoad, recover_atom::value); });
}

// A folder as watch.list shows it: its watcher's last report, under what the manager itself knows of it (its
// path, source and classes hold from the start, before the watcher's first report; its restarts).
json folder_json(const folder_entry& f) {
  auto j = f.status;
  j["path"] = f.folder.path;
  j["source"] = f.folder.source;
  auto& classes = j["classes"] = json::array();
  for (auto c : f.folder.classes) classes.push_back(file_class_name(c));
  j["restarts"] = f.restarts;
  if (!f.last_exit.empty()) j["last_exit"] = f.last_exit;
  if (!f.watcher) j["running"] = false;
  return j;
}

json list_json(const manager_state& st) {
  auto folders = json::array();
  for (const auto& [path, f] : st.folders) folders.push_back(folder_json(f));
  return folders;
}

reply add(manager_actor* self, const std::string& arg) {
  auto& st = self->state;
  auto j = json::parse(arg, nullptr, false);
  if (!j.is_object() || !j.contains("path") || !j["path"].is_string())
    return fail(errc::bad_request, "watch.add needs a folder path");
  const auto raw = j["path"].get<std::string>();
  if (raw.empty() || (raw[0] != '/' && raw[0] != '~'))
    return fail(errc::bad_request, "field 'path' must be an absolute folder path (got \"" + raw + "\")");
  watch_folder w{normal_folder_path(raw), {}, "added"};
  if (w.path.empty()) return fail(errc::bad_request, "field 'path': \"" + raw + "\" cannot be resolved");
  for (const auto& c : j.value("classes", json::array())) {
    auto cls = c.is_string() ? parse_file_class(c.get<std::string>()) : std::nullopt;
    if (!cls)
      return fail(errc::bad_request, "field 'classes': unknown class " + c.dump() +
                                         " (image, document, media, code, archive, other)");
    if (std::find(w.classes.begin(), w.classes.end(), *cls) == w.classes.end()) w.classes.push_back(*cls);
  }
  if (auto it = st.folders.find(w.path); it != st.folders.end())
    return fail(errc::bad_request, w.path + " is watched already (" + it->second.folder.source + ")");
  auto store = registered_as<state_store_actor>(self, store_name::value);
  if (!store) return fail(errc::store_failed, "the state store is not running: nothing was added");
  promise_t promise = self->make_response_promise<std::string, std::string, std::string>();
  self->request(store, kAskTimeout, watch_atom::value, std::string{"add"},
                json{{"path", w.path}, {"classes", classes_text(w.classes)}}.dump())
      .then(
          [self, promise, w](const std::string& error) mutable {
            if (!error.empty()) return deliver_fail(promise, errc::store_failed, "not added: " + error);
            auto& entry = self->state.folders[w.path];
            entry.folder = w;
            start(self, entry);
            spdlog::info("watchers: {} added", w.path);
            deliver_ok(promise, {{"folder", folder_json(entry)}});
          },
          [promise](caf::error& e) mutable {
            deliver_fail(promise, errc::store_failed, "not added: the state store did not answer: " + caf::to_string(e));
          });
  return promise;
}

reply remove(manager_actor* self, const std::string& arg) {
  auto& st = self->state;
  auto j = json::parse(arg, nullptr, false);
  const auto raw = j.is_object() ? j.value("path", "") : std::string{};
  const auto path = normal_folder_path(raw);
  auto it = st.folders.find(path);
  if (path.empty() || it == st.folders.end()) return fail(errc::not_found, "\"" + raw + "\" is not watched");
  if (it->second.folder.source == "config")
    return fail(errc::bad_request, path + " is configured in the configuration file (watchers.folders): remove it "
                                          "there and restart paiosd");
  auto store = registered_as<state_store_actor>(self, store_name::value);
  if (!store) return fail(errc::store_failed, "the state store is not running: nothing was removed");
  promise_t promise = self->make_response_promise<std::string, std::string, std::string>();
  self->request(store, kAskTimeout, watch_atom::value, std::string{"rm"}, json{{"path", path}}.dump())
      .then(
          [self, promise, path](const std::string& error) mutable {
            if (!error.empty()) return deliver_fail(promise, errc::store_failed, "not removed: " + error);
            auto it = self->state.folders.find(path);
            if (it != self->state.folders.end()) {
              if (it->second.watcher) {
                self->demonitor(it->second.watcher);
                self->send_exit(it->second.watcher, caf::exit_reason::user_shutdown);
              }
              self->state.folders.erase(it);
            }
            spdlog::info("watchers: {} removed", path);
            deliver_ok(promise, {{"path", path}, {"removed", true}});
          },
          [promise](caf::error& e) mutable {
            deliver_fail(promise, errc::store_failed, "not removed: the state store did not answer: " + caf::to_string(e));
          });
  return promise;
}

caf::behavior manager_behavior(manager_actor* self, watcher_config cfg) {
  guard_actor(self, "watchers");
  auto& st = self->state;
  st.cfg = std::move(cfg);
  for (const auto& f : st.cfg.folders) {
    auto& entry = st.folders[f.path];
    entry.folder = f;
    entry.folder.source = "config";
    start(self, entry);
  }
  load(self);
  self->set_down_handler([self](caf::down_msg& m) {
    for (auto& [path, f] : self->state.folders) {
      if (!f.watcher || m.source != f.watcher.address()) continue;
      f.watcher = nullptr;
      f.last_exit = caf::to_string(m.reason);
      const auto delay = std::min<std::chrono::milliseconds>(kBackoffMax, std::chrono::milliseconds(1000L << std::min(f.restarts, 6)));
      spdlog::error("watchers: the watcher of {} stopped ({}); starting it again in {} ms", path, f.last_exit,
                    delay.count());
      self->delayed_send(self, delay, tick_atom::value, path);
      return;
    }
  });
  return {
      [=](watch_atom, const std::string& op, const std::string& arg) -> reply {
        if (op == "list") return ok({{"folders", list_json(self->state)}});
        if (op == "add") return add(self, arg);
        if (op == "rm") return remove(self, arg);
        return fail(errc::bad_request, "unknown watch operation '" + op + "' (list, add, rm)");
      },
      [=](tick_atom, const std::string& path) {  // a backoff ended
        auto it = self->state.folders.find(path);
        if (it == self->state.folders.end() || it->second.watcher) return;
        ++it->second.restarts;
        start(self, it->second);
      },
      [=](recover_atom) { load(self); },
      [=](whereis_atom, const std::string& path) -> caf::result<caf::actor> {  // debug.fault "watcher:<path>"
        auto it = self->state.folders.find(normal_folder_path(path));
        if (it == self->state.folders.end() || !it->second.watcher)
          return caf::make_error(caf::sec::runtime_error, "no watcher of " + path + " is running");
        return it->second.watcher;
      },
      [=](status_atom, const std::string& status) {
        auto j = json::parse(status, nullptr, false);
        if (!j.is_object()) return;
        auto it = self->state.folders.find(j.value("path", ""));
        if (it != self->state.folders.end()) it->second.status = std::move(j);
      },
      [=](status_atom) {
        std::uint64_t handled = 0, failed = 0;
        int watching = 0;
        auto problems = json::array();
        for (const auto& [path, f] : self->state.folders) {
          handled += f.status.value("handled", std::uint64_t{0});
          failed += f.status.value("failed", std::uint64_t{0});
          if (f.status.value("present", false)) ++watching;
          const auto problem = f.status.value("problem", "");
          if (!problem.empty()) problems.push_back(problem);
          else if (!f.watcher) problems.push_back("the watcher of " + path + " is being restarted");
        }
        return json{{"folders", self->state.folders.size()}, {"watching", watching}, {"handled", handled},
                    {"failed", failed}, {"problems", problems}}
            .dump();
      },
  };
}

}  // namespace

caf::actor spawn_watchers(caf::actor_system& sys, watcher_config config) {
  return sys.spawn(manager_behavior, std::move(config));
}

}  // namespace paios
