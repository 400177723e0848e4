#pragma once
// alert_book: the alerts of one PAIOS_HOME, kept in data/alerts.sqlite so that a restart keeps them, and the rules
// that decide what a new observation of a problem does (docs/alerts.md):
//   - dedupe: an observation of the same kind and key as an alert that is open (not resolved) counts that alert
//     up (count, last_ms, its text refreshed) instead of opening another;
//   - rate limit: an observation is due for delivery only when nobody acknowledged its alert and nothing about the
//     same kind and key was delivered in the last `min_interval_ms` (so a lasting problem is told again at most
//     that often, and a flapping one no more often either);
//   - acknowledge: an acknowledged alert is delivered no more. One about a lasting condition (a breaker held open)
//     stays open, muted, until the condition clears; one about an event (an unclean exit) is closed by the ack;
//   - resolve: a condition no longer observed closes its alert (resolved_ms), and the next observation opens a
//     new one.
// Every call returns its error (store_failed, naming the file) rather than throwing. Not thread-safe: one owner
// (the alerts actor).
#include <cstdint>
#include <filesystem>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "messages/error.hpp"

namespace paios {

class sqlite_db;
struct sqlite_schema;

// What a check saw: a problem named by kind ("breaker_open") and key (what it is about: "claude").
struct alert_observation {
  std::string kind;
  std::string key;
  std::string severity = "warning";  // info | warning | critical
  std::string title;                 // one line for a person
  std::string detail;                // what was measured, and what to look at
  bool lasting = true;               // a condition that clears (resolved when it is no longer seen); false: an event
};

// One alert, as stored (table alerts).
struct alert_record {
  std::int64_t id = 0;
  std::string kind, key, severity, title, detail;
  bool lasting = true;
  std::int64_t first_ms = 0, last_ms = 0, count = 0;
  std::int64_t acked_ms = 0;      // 0: not acknowledged
  std::int64_t resolved_ms = 0;   // 0: open
  std::int64_t delivered_ms = 0;  // the last delivery of this alert, 0: none yet

  bool acknowledged() const { return acked_ms != 0; }
  bool open() const { return resolved_ms == 0; }
};

nlohmann::json to_json(const alert_record& a);

// An observation's effect: the alert it opened or counted up, and whether it is to be delivered now.
struct alert_raised {
  alert_record alert;
  bool opened = false;  // a new alert (else an open one counted up)
  bool due = false;     // to be delivered now (then mark_delivered)
};

// alerts.sqlite's schema as numbered migrations (core/sqlite/migrations.hpp), the newest last.
const sqlite_schema& alert_book_schema();

class alert_book {
 public:
  // Opens (creating) the file. Fails with store_failed naming it.
  static expected<std::unique_ptr<alert_book>> open(const std::filesystem::path& file, std::int64_t min_interval_ms);
  ~alert_book();

  expected<alert_raised> observe(const alert_observation& o, std::int64_t now_ms);
  status mark_delivered(std::int64_t id, std::int64_t now_ms);
  // Resolves the open lasting alerts of `kind` whose key is not in `present`: the alerts resolved.
  expected<std::vector<alert_record>> resolve_absent(const std::string& kind, const std::set<std::string>& present,
                                                      std::int64_t now_ms);
  // Acknowledges alert `id`: the alert as it is now; not_found when there is no such alert. Acknowledging twice
  // is not an error (the first time is kept).
  expected<alert_record> acknowledge(std::int64_t id, std::int64_t now_ms);
  // The alerts, newest first: the open ones, or with `resolved_too` every one, at most `limit`.
  expected<std::vector<alert_record>> list(bool resolved_too, int limit);
  expected<alert_record> get(std::int64_t id);

 private:
  alert_book() = default;
  std::unique_ptr<sqlite_db> db_;
  std::filesystem::path file_;
  std::int64_t min_interval_ms_ = 0;
};

}  // namespace paios
