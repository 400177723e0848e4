#include "actors/watcher/folder_watcher.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <deque>
#include <optional>
#include <thread>
#include <unordered_map>
#include <unordered_set>

#include <caf/all.hpp>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "actors/dispatcher/dispatcher.hpp"
#include "actors/kb/kb_store.hpp"
#include "actors/names.hpp"
#include "actors/state_store/state_store.hpp"
#include "actors/supervisor/supervisor.hpp"
#include "core/content/convert.hpp"
#include "core/kb/sha256.hpp"
#include "core/obs/event_sink.hpp"
#include "core/watch/file_class.hpp"
#include "core/watch/folder_watch.hpp"
#include "core/watch/watch_ledger.hpp"
#include "messages/caf_types.hpp"
#include "messages/ids.hpp"
#include "messages/kb.hpp"
#include "messages/trace.hpp"
#include "messages/watch_file.hpp"
#include "messages/text.hpp"

namespace paios {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

constexpr int kIdleWaitMs = 250;        // nothing to do: wait this long on inotify before looking at the mailbox
constexpr int kBusyWaitMs = 50;         // work waits for a free slot: the replies that free one come by mail
constexpr std::size_t kMaxQueued = 2000;
constexpr std::size_t kPerTick = 256;   // files looked at between two looks at the mailbox
constexpr auto kAskTimeout = std::chrono::seconds(10);
constexpr auto kKbTimeout = std::chrono::seconds(120);
constexpr auto kRetryLoad = std::chrono::seconds(1);
constexpr auto kStatusEvery = std::chrono::milliseconds(250);
constexpr auto kDispatcherGrace = std::chrono::seconds(30);  // past the describe timeout: the answer is lost

// A file whose action is under way, and what its records say.
struct work {
  std::string path, sha256, cls, action, mime;
  bool screenshot = false;
  trace_id trace;
  std::uint64_t span = 0;
  std::int64_t start_us = 0;
};

struct watcher_state {
  watch_folder folder;
  watcher_config cfg;
  caf::actor manager;
  std::unique_ptr<folder_watch> watch;
  std::unique_ptr<file_classifier> classifier;
  watch_ledger ledger;
  bool loaded = false;
  bool rescan_due = false;
  std::deque<std::string> queue;
  std::unordered_set<std::string> queued;
  std::unordered_map<std::string, work> in_flight;  // by path
  std::unordered_set<std::string> changed_meanwhile;  // files that changed while their action was under way
  std::uint64_t handled = 0, failed = 0;
  std::string last_file;
  bool dirty = true;
  std::chrono::steady_clock::time_point last_status{};
  static inline const char* name = "folder_watcher";
};

using watcher_actor = caf::stateful_actor<watcher_state>;

std::string file_name(const std::string& path) { return fs::path(path).filename().string(); }

std::int64_t mtime_ns(const struct stat& sb) {
  return static_cast<std::int64_t>(sb.st_mtim.tv_sec) * 1000000000 + sb.st_mtim.tv_nsec;
}

void record(watcher_actor* self, const std::string& path, const ledger_entry& e, const std::string& detail,
            const std::string& trace) {
  auto& st = self->state;
  auto store = registered_as<state_store_actor>(self, store_name::value);
  if (!store) {
    // Not lost: a file without a record is found again by the scan at the next start.
    spdlog::warn("watcher {}: {} not recorded: the state store is not running", st.folder.path, path);
    return;
  }
  const json row = watch_file_row{path, st.folder.path, e.sha256, e.size, e.mtime_ns, e.cls, e.action, e.outcome,
                                  e.attempts, detail, trace};
  self->request(store, kAskTimeout, watch_atom::value, std::string{"file"}, row.dump())
      .then(
          [self, path](const std::string& error) {
            if (!error.empty()) spdlog::error("watcher {}: recording {}: {}", self->state.folder.path, path, error);
          },
          [self, path](caf::error& e) {
            spdlog::error("watcher {}: recording {}: {}", self->state.folder.path, path, caf::to_string(e));
          });
}

void enqueue(watcher_state& st, const std::string& path) {
  if (st.in_flight.count(path)) {
    st.changed_meanwhile.insert(path);
    return;
  }
  if (st.queued.insert(path).second) st.queue.push_back(path);
}

void finish(watcher_actor* self, const std::string& path, bool ok, const std::string& detail) {
  auto& st = self->state;
  work w;
  if (auto it = st.in_flight.find(path); it != st.in_flight.end()) {
    w = std::move(it->second);
    st.in_flight.erase(it);
  }
  const auto& e = st.ledger.finish(path, ok);
  record(self, path, e, detail, to_hex(w.trace));
  ++(ok ? st.handled : st.failed);
  st.dirty = true;
  if (!ok) spdlog::warn("watcher {}: {} of {} failed (attempt {}): {}", st.folder.path, e.action, path, e.attempts, detail);
  if (e.action != "record")
    emit_span("watch", e.action, w.trace, new_span_id(), w.span, w.start_us, now_us(), ok ? "ok" : "failed",
              json{{"folder", st.folder.path}, {"path", path}, {"class", e.cls}, {"detail", detail}}.dump());
  if (st.changed_meanwhile.erase(path)) enqueue(st, path);
}

// The article for a file: its text (a document's, or an image's description) with the file as its source, so
// that a later version of the file replaces it.
void ingest_text(watcher_actor* self, const std::string& path, std::string text, std::string title) {
  auto kb = registered_as<kb_store_actor>(self, kb_name::value);
  if (!kb) return finish(self, path, false, "the knowledge base is not running");
  const auto& w = self->state.in_flight[path];
  kb_request r;
  r.content = std::move(text);
  r.title = std::move(title);
  r.source = path;
  r.kind = "document";
  r.tags = {"watch", w.cls};
  if (w.screenshot) r.tags.push_back("screenshot");
  self->request(kb, kKbTimeout, kb_add_atom::value, std::move(r))
      .then(
          [self, path](const std::string& code, const std::string& message, const std::string& body) {
            if (!self->state.in_flight.count(path)) return;
            if (!code.empty()) return finish(self, path, false, code + ": " + message);
            auto j = json::parse(body, nullptr, false);
            finish(self, path, true, "article " + (j.is_object() ? j.value("article_id", "") : std::string{}));
          },
          [self, path](caf::error& e) {
            if (self->state.in_flight.count(path))
              finish(self, path, false, "the knowledge base did not answer: " + caf::to_string(e));
          });
}

void ingest(watcher_actor* self, const std::string& path) {
  auto doc = convert_file(path);
  if (!doc) return finish(self, path, false, doc.message());
  if (doc->text.find_first_not_of(" \t\r\n") == std::string::npos)
    return finish(self, path, false, "no text in " + path);
  ingest_text(self, path, std::move(doc->text), doc->title.empty() ? file_name(path) : std::move(doc->title));
}

std::string describe_prompt(const std::string& tmpl, const std::string& path) {
  std::string out = tmpl;
  for (auto [key, value] : {std::pair<std::string, std::string>{"{path}", path}, {"{name}", file_name(path)}})
    for (auto at = out.find(key); at != std::string::npos; at = out.find(key, at + value.size()))
      out.replace(at, key.size(), value);
  return out;
}

void describe(watcher_actor* self, const std::string& path) {
  auto& st = self->state;
  auto d = registered_as<dispatcher_actor>(self, dispatch_name::value);
  if (!d) return finish(self, path, false, "the dispatcher is not running");
  const auto& w = st.in_flight[path];
  task_spec t;
  t.prompt = describe_prompt(st.cfg.describe_prompt, path);
  t.brain = st.cfg.vision_brain;
  t.trace_id = to_hex(w.trace);
  t.parent_span = w.span;
  t.timeout_ms = st.cfg.describe_timeout_ms;
  t.created_ms = now_ms();
  t.attachments = {attachment{path, w.mime}};
  self->send(d, submit_atom::value, std::move(t), caf::actor_cast<caf::actor>(self), std::string{"watch"}, path, false);
  // A dispatcher restarted under the task may never answer: the slot is not held forever.
  self->delayed_send(self, std::chrono::milliseconds(st.cfg.describe_timeout_ms) + kDispatcherGrace, done_atom::value,
                     path, w.start_us);
}

void notify(watcher_actor* self, const std::string& path, const std::string& mime) {
  auto n = registered(self, notifier_name::value);
  if (!n) return finish(self, path, false, "the notifier is not running");
  const auto name = file_name(path);
  self->send(n, notify_atom::value, "New media: " + name,
             path + (mime.empty() ? "" : " (" + mime + ")") + ". To capture it: ai --attach '" + path +
                 "' \"transcribe this\"",
             std::string{"info"});
  finish(self, path, true, "notified");
}

// A file's action begins: recorded as pending first, so that a stop in the middle leaves it to be done again.
void begin(watcher_actor* self, const std::string& path, const std::string& sha256, std::uintmax_t size,
           std::int64_t mtime) {
  auto& st = self->state;
  const auto c = st.classifier->classify(path);
  const bool acted = st.folder.classes.empty() ||
                     std::find(st.folder.classes.begin(), st.folder.classes.end(), c.cls) != st.folder.classes.end();
  const auto action = acted ? action_for(st.cfg, c.cls) : watch_action::record;
  work w{path, sha256, std::string{file_class_name(c.cls)}, std::string{watch_action_name(action)}, c.mime,
         c.screenshot, new_trace(), new_span_id(), now_us()};
  auto& e = st.ledger.start(path, sha256, size, mtime);
  e.cls = w.cls;
  e.action = w.action;
  record(self, path, e, "", to_hex(w.trace));
  emit_span("watch", "file", w.trace, w.span, 0, w.start_us, now_us(), "ok",
            json{{"folder", st.folder.path}, {"path", path},     {"name", file_name(path)}, {"class", w.cls},
                 {"mime", w.mime},          {"sha256", sha256}, {"size", size},           {"action", w.action},
                 {"screenshot", w.screenshot}, {"attempt", e.attempts}}
                .dump());
  st.last_file = path;
  st.dirty = true;
  const auto mime = w.mime;
  st.in_flight[path] = std::move(w);
  switch (action) {
    case watch_action::record: return finish(self, path, true, acted ? "recorded" : "recorded (class not acted on here)");
    case watch_action::notify: return notify(self, path, mime);
    case watch_action::ingest: return ingest(self, path);
    case watch_action::describe: return describe(self, path);
  }
}

// What the ledger says of a file from its size and time alone (no reading); nothing when it is not a regular file.
std::optional<watch_ledger::verdict> verdict_of(const watcher_state& st, const std::string& path, struct stat& sb) {
  if (::stat(path.c_str(), &sb) != 0 || !S_ISREG(sb.st_mode)) return std::nullopt;
  return st.ledger.look(path, static_cast<std::uintmax_t>(sb.st_size), mtime_ns(sb));
}

void look_at(watcher_actor* self, const std::string& path) {
  auto& st = self->state;
  struct stat sb {};
  const auto verdict = verdict_of(st, path, sb);
  if (!verdict || *verdict == watch_ledger::verdict::skip) return;
  const auto size = static_cast<std::uintmax_t>(sb.st_size);
  const auto mtime = mtime_ns(sb);
  if (*verdict == watch_ledger::verdict::retry) return begin(self, path, st.ledger.find(path)->sha256, size, mtime);
  std::string sha;
  if (st.cfg.max_hash_mb > 0 && size > static_cast<std::uintmax_t>(st.cfg.max_hash_mb) * 1024 * 1024) {
    sha = "size:" + std::to_string(size) + ":mtime:" + std::to_string(mtime);
  } else {
    auto hashed = sha256_file_hex(path);
    if (!hashed) {  // gone or unreadable since the stat: a later event or scan brings it back
      spdlog::debug("watcher {}: {}", st.folder.path, hashed.message());
      return;
    }
    sha = std::move(*hashed);
  }
  switch (st.ledger.after_hash(path, sha, size, mtime)) {
    case watch_ledger::content::done: {  // touched, same content: only its size and time are new
      const auto& e = *st.ledger.find(path);
      return record(self, path, e, "unchanged content", "");
    }
    case watch_ledger::content::retry:
    case watch_ledger::content::fresh: return begin(self, path, sha, size, mtime);
  }
}

void rescan(watcher_actor* self) {
  auto& st = self->state;
  st.rescan_due = false;
  std::size_t found = 0;
  for (const auto& p : st.watch->scan()) {
    const auto path = p.string();
    struct stat sb {};
    if (st.queued.count(path)) continue;
    const auto verdict = verdict_of(st, path, sb);
    if (!verdict || *verdict == watch_ledger::verdict::skip) continue;
    enqueue(st, path);
    ++found;
  }
  if (found) spdlog::info("watcher {}: a scan found {} to look at", st.folder.path, counted(found, "file"));
}

std::string status_json(const watcher_state& st) {
  std::vector<std::string> classes;
  for (auto c : st.folder.classes) classes.emplace_back(file_class_name(c));
  return json{{"path", st.folder.path},         {"source", st.folder.source},
              {"classes", classes},             {"present", st.watch->present()},
              {"problem", st.watch->problem().message()}, {"loaded", st.loaded},
              {"known", st.ledger.size()},      {"queued", st.queue.size()},
              {"in_flight", st.in_flight.size()}, {"handled", st.handled},
              {"failed", st.failed},            {"last_file", st.last_file}}
      .dump();
}

void report(watcher_actor* self, bool force) {
  auto& st = self->state;
  const auto now = std::chrono::steady_clock::now();
  if (!force && (!st.dirty || now - st.last_status < kStatusEvery)) return;
  st.dirty = false;
  st.last_status = now;
  self->send(st.manager, status_atom::value, status_json(st));
}

void tick(watcher_actor* self) {
  auto& st = self->state;
  const auto max = static_cast<std::size_t>(st.cfg.max_in_flight);
  const bool can_work = !st.queue.empty() && st.in_flight.size() < max;
  const int wait = can_work ? 0 : st.queue.empty() && st.in_flight.empty() ? kIdleWaitMs : kBusyWaitMs;
  if (st.queue.size() < kMaxQueued) {
    bool overflow = false;
    const bool was_present = st.watch->present();
    for (auto& p : st.watch->poll(wait, overflow)) enqueue(st, p.string());
    if (overflow) st.rescan_due = true;
    if (st.watch->present() != was_present) {
      st.dirty = true;
      if (!st.watch->present()) spdlog::warn("watcher {}: {}", st.folder.path, st.watch->problem().message());
      else spdlog::info("watcher {}: the folder is back; watching it again", st.folder.path);
    }
  } else if (!can_work) {
    std::this_thread::sleep_for(std::chrono::milliseconds(wait));
  }
  if (st.rescan_due && st.queue.size() < kMaxQueued) rescan(self);
  for (std::size_t n = 0; n < kPerTick && !st.queue.empty() && st.in_flight.size() < max; ++n) {
    auto path = std::move(st.queue.front());
    st.queue.pop_front();
    st.queued.erase(path);
    look_at(self, path);
    st.dirty = true;
  }
  report(self, false);
  self->send(self, tick_atom::value);
}

void load(watcher_actor* self) {
  auto& st = self->state;
  auto store = registered_as<state_store_actor>(self, store_name::value);
  if (!store) {
    self->delayed_send(self, kRetryLoad, recover_atom::value);
    return;
  }
  self->request(store, kAskTimeout, watch_atom::value, std::string{"files"}, st.folder.path)
      .then(
          [self](const std::string& body) {
            auto& st = self->state;
            auto j = json::parse(body, nullptr, false);
            if (!j.is_object() || !j.contains("files")) {
              spdlog::warn("watcher {}: the state store could not read its files ({}); trying again",
                           st.folder.path, j.is_object() ? j.value("error", "") : body);
              self->delayed_send(self, kRetryLoad, recover_atom::value);
              return;
            }
            for (const auto& f : j["files"]) {
              auto r = f.get<watch_file_row>();
              st.ledger.load(r.path, ledger_entry{std::move(r.sha256), r.size, r.mtime_ns, std::move(r.cls),
                                                  std::move(r.action), std::move(r.outcome), r.attempts});
            }
            st.loaded = true;
            st.rescan_due = true;  // what arrived while nobody watched
            spdlog::info("watcher {}: watching ({} known)", st.folder.path, counted(st.ledger.size(), "file"));
            report(self, true);
            self->send(self, tick_atom::value);
          },
          [self](caf::error&) { self->delayed_send(self, kRetryLoad, recover_atom::value); });
}

caf::behavior watcher_behavior(watcher_actor* self, watch_folder folder, watcher_config cfg, caf::actor manager) {
  guard_actor(self, "watcher " + folder.path);
  auto& st = self->state;
  st.ledger = watch_ledger(cfg.max_attempts);
  st.watch = std::make_unique<folder_watch>(folder.path, folder_watch_options{cfg.settle_ms, 500});
  st.classifier = std::make_unique<file_classifier>();
  if (!st.classifier->error())
    spdlog::warn("watcher {}: classifying by name only: {}", folder.path, st.classifier->error().message());
  if (!st.watch->problem()) spdlog::warn("watcher {}: {}", folder.path, st.watch->problem().message());
  st.folder = std::move(folder);
  st.cfg = std::move(cfg);
  st.manager = std::move(manager);
  self->monitor(st.manager);
  self->set_down_handler([self](caf::down_msg& m) {
    if (m.source == self->state.manager.address()) self->quit();
  });
  load(self);
  return {
      [=](tick_atom) { tick(self); },
      [=](recover_atom) { load(self); },
      [=](update_atom, task_update& u) {
        auto& st = self->state;
        const auto path = u.request_id;
        if (!st.in_flight.count(path)) return;
        if (u.what == task_update::kind::error)
          return finish(self, path, false, "describe: " + std::string{to_string(u.error)} + ": " + u.message);
        if (u.what != task_update::kind::result) return;
        if (u.text.find_first_not_of(" \t\r\n") == std::string::npos)
          return finish(self, path, false, "the vision brain " + u.brain + " answered nothing");
        const auto name = file_name(path);
        ingest_text(self, path, "Image " + name + " (" + path + "), described by " + u.brain + ":\n\n" + u.text,
                    (st.in_flight[path].screenshot ? "Screenshot " : "Image ") + name);
      },
      [=](done_atom, const std::string& path, std::int64_t start_us) {  // a describe's answer is overdue
        auto it = self->state.in_flight.find(path);
        if (it != self->state.in_flight.end() && it->second.start_us == start_us)
          finish(self, path, false, "describe: the dispatcher never answered");
      },
      [=](status_atom) { return status_json(self->state); },
  };
}

}  // namespace

caf::actor spawn_folder_watcher(caf::actor_system& sys, watch_folder folder, watcher_config config, caf::actor manager) {
  return sys.spawn<caf::detached>(watcher_behavior, std::move(folder), std::move(config), std::move(manager));
}

}  // namespace paios
