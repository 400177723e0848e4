#pragma once
// alerts: notices the problems a person should hear about before they notice them, keeps each as an alert
// (core/alerts/alert_book: deduplicated by kind and key, rate-limited per key, acknowledged, resolved when its
// condition clears; data/alerts.sqlite, so a restart keeps them) and delivers it through the notifier and every
// configured webhook (docs/alerts.md).
//
// Sources, checked every alerts.check_ms (and once at start):
//   unclean_exit   the previous paiosd did not stop in order (its run marker was left behind): an event, once
//   breaker_open   a brain's circuit breaker open longer than alerts.breaker_open_ms (the dispatcher's status)
//   job_failing    a scheduler job whose last runs failed (the scheduler's status), until one succeeds
//   spool_large    the hooks' spool over alerts.spool_max_bytes
//   disk_low       free disk under PAIOS_HOME/data below alerts.min_free_mb
//   db_large       a database file in PAIOS_HOME/data (with its WAL) over alerts.db_max_mb
//   credential_expiry   a credential in use (core/credentials) expiring within alerts.credential_warn_days, or expired
//   credential_missing  a credential in use that is not there (an unset variable, an absent file, an empty value)
//   budget_exceeded     a brain's calls hitting their time budget (status timeout in the event store) at least
//                       alerts.budget_timeouts times in alerts.budget_window_ms
// A source that does not answer (the dispatcher restarting) resolves nothing of its kind that check.
// Pushed, not checked:
//   supervisor_escalation  a supervisor gave up on a child (its restart intensity exceeded): an event
//
// Receives                                        Replies
//   (alerts_atom, string op, string args JSON)    (string code, string message, string body JSON): op "list"
//                                                 {all?, limit?} -> {alerts: [...]}, "ack" {id} -> {alert},
//                                                 "credentials" {} -> {credentials: [...], warn_days} (each as
//                                                 core/credentials' to_json: never a value); code "" on success,
//                                                 else a docs/protocol.md error code (not_found, bad_request,
//                                                 store_failed) and its message
//   (escalate_atom, supervisor, child, reason)    nothing: raises supervisor_escalation (actors/supervisor sends it)
//   (status_atom)                                 string JSON {open, unacknowledged, webhooks, deliveries_pending,
//                                                 credentials: [the credentials that need attention]}
// Owns: data/alerts.sqlite (the alert book), the webhook deliveries in flight. Each delivery is a detached
// helper actor (libcurl blocks); a failed one is logged and tried again after a doubling backoff up to
// alerts.retries times; the alert stays stored either way. The notifier is told with notify_atom (fire and
// forget: a notifier that is down loses that notice, not the alert). When the book cannot be opened the actor
// fails, and its supervisor restarts it.
#include <atomic>
#include <filesystem>
#include <memory>
#include <string>

#include <caf/fwd.hpp>

#include "config/alerts_config.hpp"
#include "core/credentials/credential_registry.hpp"

namespace paios {

struct alerts_options {
  alerts_config cfg;
  std::filesystem::path file;       // data/alerts.sqlite
  std::filesystem::path data_dir;   // free disk and database sizes are measured here
  std::filesystem::path spool_dir;  // the hooks' spool
  // The previous run's marker when it was left behind ("" when the last stop was orderly), taken by the first
  // start of the actor only: a restarted actor does not raise it again.
  std::shared_ptr<std::string> unclean_exit;
  std::shared_ptr<std::atomic<bool>> first_start;
  credential_sources credentials;   // the declared credentials, the enabled brains, $HOME (core/credentials)
};

caf::actor spawn_alerts(caf::actor_system& sys, alerts_options opts);

}  // namespace paios
