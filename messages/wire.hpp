#pragma once
// The ZeroMQ wire protocol, version 1: parsing of requests and encoding of replies. docs/protocol.md is the
// specification; every operation, field and error code named here is named the same way there.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "messages/error.hpp"
#include "messages/event.hpp"
#include "messages/kb.hpp"
#include "messages/routing.hpp"
#include "messages/task.hpp"

namespace paios::wire {

constexpr int protocol_version = 1;

enum class op : std::uint8_t {
  ping, task_submit, task_cancel, task_get, task_list, event_publish, status, debug_fault, route_classify,
  route_list, route_weights, route_adjust, obs_query, obs_trace, obs_score, kb_add, kb_search, kb_get, kb_rm,
  kb_stats, kb_list, learnings_recall, tools_list, hook_event, tools_call, tools_cancel, jobs_list, jobs_run,
  jobs_history, pipeline_list, pipeline_run, pipeline_runs, pipeline_get, pipeline_resume, pipeline_cancel, watch_list, watch_add, watch_rm,
  approvals_list, approvals_decide, breaker_reset, autonomy_show, autonomy_check, autonomy_demote, backup_create,
  alerts_list, alerts_ack, config_reload, credentials_list, report_get
};
// How many operations there are: the size of every table with one entry per op (their names in wire.cpp, the
// bridge's handlers).
constexpr std::size_t op_count = static_cast<std::size_t>(op::report_get) + 1;
std::string_view to_string(op o);

// One parsed request. Only the fields of its operation are meaningful.
struct request {
  op what = op::ping;
  std::string id;                     // the client's request id, echoed in every reply ("" when absent)
  task_spec task;                     // task.submit, route.classify (id and created_ms are assigned by the daemon);
                                      // breaker.reset: its brain
  bool stream = true;                 // task.submit: send chunks as they arrive
  std::string task_id;                // task.cancel, task.get; pipeline.get, .resume, .cancel: the run's id
  int limit = 20;                     // task.list, route.list
  std::string state;                  // task.list filter: a task state name, "" for all
  event_record event;                 // event.publish (seq and time assigned by the daemon); hook.event: category
                                      // "hook", action the canonical event name, data {uid, payload, task_id?}
  std::uint64_t client_span = 0;      // task.submit, event.publish: the span of the client's traceparent
  event_query query;                  // obs.query; obs.trace uses its trace
  score_record score;                 // obs.score: target, score, note
  std::string actor;                  // debug.fault: the name of an actor of the supervision tree
  rule_weight weight;                 // route.adjust: rule, factor, note
  kb_request kb;                      // kb.*, learnings.recall
  std::string tool;                   // tools.call: the mounted tool's name
  std::string arguments = "{}";       // tools.call: its arguments, a JSON object's text; pipeline.run: its
                                      // input, any JSON value's text ("{}" when absent); approvals.decide:
                                      // {id, decision, reason, scope}, checked; autonomy.check: {tool, command,
                                      // path, cwd}; autonomy.demote: {rule, pattern, project};
                                      // alerts.list: {all, limit}; alerts.ack: {id} (from alert_id)
  std::string call_id;                // tools.cancel: the id of this client's tools.call request
  std::string job;                    // jobs.run, jobs.history: the job's name (jobs.history uses limit too);
                                      // pipeline.run, pipeline.runs: the pipeline's name ("" for all in .runs)
  std::string path;                   // watch.add, watch.rm: the folder, absolute; backup.create: the backup's
                                      // folder, absolute ("" for PAIOS_HOME/backups/<UTC time>)
  std::vector<std::string> classes;   // watch.add: the file classes acted on there (empty: all)
  std::string date;                   // report.get: "YYYY-MM-DD", "today" or "yesterday" ("" for today), checked
                                      // by the daemon (core/report/report_day)
  std::int64_t received_us = 0;       // when the bridge read it: where its span begins
};

struct parse_result {
  std::optional<request> req;
  status error;  // failed when req is empty
  std::string id;    // the request id when it could be read, so that even an error reply carries it
  std::string op;    // the operation when it could be read (the refusal's span names it)
};

// Parses one request frame. Never throws; every failure is an error naming what was wrong.
parse_result parse_request(std::string_view frame);

// Replies. Each returns one frame of JSON.
std::string encode_error(std::string_view id, errc code, std::string_view message, std::string_view task_id = {});
std::string encode_pong(std::string_view id, std::string_view version, std::int64_t uptime_ms);
std::string encode_update(const task_update& u);
std::string encode_task(std::string_view id, const task_record& r);
std::string encode_tasks(std::string_view id, const std::vector<task_record>& rs);
std::string encode_cancel(std::string_view id, std::string_view task_id, bool cancelled, task_state state);
std::string encode_ack(std::string_view id, std::string_view event_id, std::string_view trace_id);
std::string encode_events(std::string_view id, const std::vector<event_record>& events, std::int64_t next_seq);
std::string encode_trace(std::string_view id, const trace_id& t, const std::vector<event_record>& spans);
std::string encode_reply(std::string_view id, std::string_view type, nlohmann::json body);
// A reply whose body is a JSON object's text already (its members follow v, type and id).
std::string encode_reply_text(std::string_view id, std::string_view type, std::string_view body_object);

// The event stream (PUB socket): [topic, json]. Topics are "task.<state>" and "event.<category>".
std::string encode_task_event(const task_update& u);

}  // namespace paios::wire
