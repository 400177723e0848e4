#pragma once
// report_run: one daily report made by the running daemon (core/report, docs/architecture.md "Daily report"), an
// actor of its own so that gathering a day of events never holds up the bridge or the scheduler.
//
// Receives                     Replies, once, then ends
//   (report_atom)              (string code, string message, string body): code "" and body {date, timezone,
//                              complete, report, markdown, summary, article_id}; else bad_request (the date is
//                              none: its message names it), store_failed (the event store or the knowledge base
//                              did not answer or failed; nothing is written or told)
// Gathers the day's events of core/report's report_sources() from the event store (obs_store: a query drains
// what is queued first, so today's report sees every event emitted before it), computes the report, then, when
// asked to (the scheduled job "daily-report"), stores it in the knowledge base (kb_store: kind "report", title "PAIOS
// report YYYY-MM-DD", source paios:report/YYYY-MM-DD, so a report made again replaces the day's earlier one;
// article_id is its id) and tells the notifier its summary. Leaves one event in the requester's trace: category
// "report", action "made", status ok or the error code, data {date, complete, article_id, error}.
// Spawned by the zmq bridge (report.get: computed, neither stored nor told) and by the scheduler's builtin
// "report" job (daily-report). If the requester goes away, the run still finishes (and stores what it was asked to) and ends.
#include <cstdint>
#include <string>

#include <caf/fwd.hpp>

#include "messages/trace.hpp"

namespace paios {

struct report_run_spec {
  std::string date;               // "YYYY-MM-DD", "today" ("" too) or "yesterday"
  std::string timezone;           // the zone the days are cut in (scheduler.timezone, resolved)
  bool store = false;             // write the report into the knowledge base
  bool notify = false;            // tell the notifier its summary
  trace_id trace;                 // the request's or the job run's trace (a new one when invalid)
  std::uint64_t parent_span = 0;  // the span the report's event is a child of
};

caf::actor spawn_report_run(caf::actor_system& sys, report_run_spec spec);

}  // namespace paios
