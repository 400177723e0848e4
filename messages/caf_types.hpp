#pragma once
// The bus vocabulary as CAF sees it: atoms and inspect() overloads for every struct that crosses actors.
// Included only by the actor runtime's side: actor implementation files, and the actor headers whose typed
// interfaces (caf::typed_actor) name these atoms and types. The `ai` client never sees it.
#include <caf/atom.hpp>
#include <caf/fwd.hpp>
#include <caf/meta/type_name.hpp>

#include "messages/event.hpp"
#include "messages/routing.hpp"
#include "messages/task.hpp"
#include "messages/wire.hpp"

namespace paios {

// Atoms: at most 10 characters each (CAF 0.17).
using submit_atom = caf::atom_constant<caf::atom("submit")>;      // dispatcher: new task
using run_atom = caf::atom_constant<caf::atom("run")>;            // brain: run a task
using cancel_atom = caf::atom_constant<caf::atom("cancel")>;      // dispatcher, brain: cancel a task
using started_atom = caf::atom_constant<caf::atom("started")>;    // brain -> dispatcher: the call began
using running_atom = caf::atom_constant<caf::atom("running")>;    // brain -> dispatcher: store it running, then answer
using chunk_atom = caf::atom_constant<caf::atom("chunk")>;        // brain -> dispatcher: streamed text
using outcome_atom = caf::atom_constant<caf::atom("outcome")>;    // brain -> dispatcher: the end of a call
using update_atom = caf::atom_constant<caf::atom("update")>;      // dispatcher -> submitter
using persist_atom = caf::atom_constant<caf::atom("persist")>;    // state store: write
using get_atom = caf::atom_constant<caf::atom("get")>;            // state store: read one
using list_atom = caf::atom_constant<caf::atom("list")>;          // state store: read many
using recover_atom = caf::atom_constant<caf::atom("recover")>;    // state store: unfinished tasks at boot
using flush_atom = caf::atom_constant<caf::atom("flush")>;        // state store: commit the pending batch
using publish_atom = caf::atom_constant<caf::atom("publish")>;    // event.publish
using status_atom = caf::atom_constant<caf::atom("status")>;      // any actor: a JSON status snapshot
using drain_atom = caf::atom_constant<caf::atom("drain")>;        // orderly shutdown: finish, then stop
using children_atom = caf::atom_constant<caf::atom("children")>;  // supervisor: child handles by name
using whereis_atom = caf::atom_constant<caf::atom("whereis")>;    // supervisor: one child's handle
using tick_atom = caf::atom_constant<caf::atom("tick")>;          // timers
using wire_atom = caf::atom_constant<caf::atom("wire")>;          // bridge thread -> bridge actor
using route_atom = caf::atom_constant<caf::atom("route")>;        // dispatcher: classify without running
using breaker_atom = caf::atom_constant<caf::atom("breaker")>;    // state store: breaker states and transitions
using decision_atom = caf::atom_constant<caf::atom("decision")>;  // state store: the routing decision log
using weights_atom = caf::atom_constant<caf::atom("weights")>;    // router weight adjustments
using retry_atom = caf::atom_constant<caf::atom("retry")>;        // dispatcher: a backoff has elapsed
using query_atom = caf::atom_constant<caf::atom("query")>;        // obs store: events matching a query
using trace_atom = caf::atom_constant<caf::atom("trace")>;        // obs store: the events of one trace
using score_atom = caf::atom_constant<caf::atom("score")>;        // obs store: quality scores
using kb_add_atom = caf::atom_constant<caf::atom("kbadd")>;       // kb store: store an article
using kb_search_atom = caf::atom_constant<caf::atom("kbsearch")>; // kb store: hybrid search
using kb_get_atom = caf::atom_constant<caf::atom("kbget")>;       // kb store: one article
using kb_rm_atom = caf::atom_constant<caf::atom("kbrm")>;         // kb store: remove an article
using hook_atom = caf::atom_constant<caf::atom("hook")>;          // hook handler: a Claude Code hook event
using mcp_call_atom = caf::atom_constant<caf::atom("mcpcall")>;   // MCP client: call one of its server's tools
using tools_atom = caf::atom_constant<caf::atom("tools")>;        // MCP client: its server's tools, mounted
using jobs_atom = caf::atom_constant<caf::atom("jobs")>;          // scheduler: jobs.*; state store: job records
using jobrun_atom = caf::atom_constant<caf::atom("jobrun")>;      // state store: a job run / job state write
using done_atom = caf::atom_constant<caf::atom("done")>;          // a job run -> the scheduler: it ended
using notify_atom = caf::atom_constant<caf::atom("notify")>;      // notifier: tell a person
using watch_atom = caf::atom_constant<caf::atom("watch")>;        // watchers: watch.*; state store: their records
using pipeline_atom = caf::atom_constant<caf::atom("pipeline")>;  // pipelines: pipeline.*; state store: run records
using gate_atom = caf::atom_constant<caf::atom("gate")>;          // autonomy: judge a PreToolUse call
using approvals_atom = caf::atom_constant<caf::atom("approvals")>;  // autonomy: approvals.list, approvals.decide
using expire_atom = caf::atom_constant<caf::atom("expire")>;      // autonomy: a pending approval's time is up
using step_atom = caf::atom_constant<caf::atom("step")>;          // a pipeline run: one of its steps ended
using backup_atom = caf::atom_constant<caf::atom("backup")>;      // backup_run: take the backup it was made for
using alerts_atom = caf::atom_constant<caf::atom("alerts")>;      // alerts: alerts.list, alerts.ack, credentials.list
using delivery_atom = caf::atom_constant<caf::atom("delivery")>;  // alerts: a webhook delivery ended, or is due again
using reload_atom = caf::atom_constant<caf::atom("reload")>;      // config: read config.json again (config.reload, SIGHUP)
using restart_atom = caf::atom_constant<caf::atom("restart")>;    // supervisor: stop one child and start it again
using escalate_atom = caf::atom_constant<caf::atom("escalate")>;  // supervisor -> alerts: it gave up on a child
using report_atom = caf::atom_constant<caf::atom("report")>;      // report_run: make the report it was made for


template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, attachment& x) {
  return f(caf::meta::type_name("attachment"), x.name, x.mime);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, task_spec& x) {
  return f(caf::meta::type_name("task_spec"), x.id, x.prompt, x.brain, x.trace_id, x.span_id, x.parent_span,
           x.timeout_ms, x.created_ms, x.attachments);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, task_record& x) {
  return f(caf::meta::type_name("task_record"), x.spec, x.state, x.brain, x.text, x.error, x.error_message,
           x.exit_code, x.started_ms, x.finished_ms, x.attempts, x.route);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, task_write& x) {
  return f(caf::meta::type_name("task_write"), x.record, x.is_new);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, task_update& x) {
  return f(caf::meta::type_name("task_update"), x.what, x.route, x.request_id, x.task_id, x.trace_id, x.parent_span, x.brain,
           x.text, x.seq, x.state, x.error, x.message, x.exit_code, x.duration_ms);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, trace_id& x) {
  return f(caf::meta::type_name("trace_id"), x.hi, x.lo);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, event_record& x) {
  return f(caf::meta::type_name("event_record"), x.seq, x.time_us, x.duration_us, x.trace, x.span, x.parent,
           x.category, x.action, x.status, x.data_json);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, event_query& x) {
  return f(caf::meta::type_name("event_query"), x.trace, x.category, x.action, x.status, x.since_us, x.until_us,
           x.min_score, x.max_score, x.limit, x.before_seq);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, score_record& x) {
  return f(caf::meta::type_name("score_record"), x.target, x.trace, x.score, x.note, x.time_ms);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, breaker_record& x) {
  return f(caf::meta::type_name("breaker_record"), x.brain, x.state, x.since_ms, x.open_until_ms, x.window, x.opened,
           x.from, x.reason, x.cause);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, route_record& x) {
  return f(caf::meta::type_name("route_record"), x.task_id, x.time_ms, x.trace_id, x.category, x.brain, x.outcome,
           x.json);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, kb_request& x) {
  return f(caf::meta::type_name("kb_request"), x.content, x.title, x.source, x.kind, x.brain, x.session, x.project,
           x.topic, x.format, x.tags, x.query, x.k, x.id);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, rule_weight& x) {
  return f(caf::meta::type_name("rule_weight"), x.rule, x.factor, x.note, x.updated_ms);
}

namespace wire {
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, request& x) {
  return f(caf::meta::type_name("wire_request"), x.what, x.id, x.task, x.stream, x.task_id, x.limit, x.state,
           x.event, x.client_span, x.query, x.score, x.actor, x.weight, x.kb, x.received_us, x.tool, x.arguments,
           x.call_id, x.job);
}
}  // namespace wire

// Registers every type above with the actor system.
void register_message_types(caf::actor_system_config& cfg);

}  // namespace paios
