#include "messages/wire.hpp"

#include <algorithm>
#include <array>
#include <limits>

#include <nlohmann/json.hpp>

#include "messages/hook_event.hpp"
#include "messages/ids.hpp"
#include "messages/json_writer.hpp"

namespace paios::wire {
namespace {

using nlohmann::json;

constexpr std::array<std::string_view, op_count> kOps = {
    "ping",           "task.submit", "task.cancel",   "task.get",     "task.list",
    "event.publish",  "status",      "debug.fault",   "route.classify", "route.list",
    "route.weights",  "route.adjust", "obs.query",    "obs.trace",    "obs.score",
    "kb.add",         "kb.search",   "kb.get",        "kb.rm",        "kb.stats",
    "kb.list",        "learnings.recall", "tools.list", "hook.event", "tools.call", "tools.cancel",
    "jobs.list",      "jobs.run",    "jobs.history",
    "pipeline.list",  "pipeline.run", "pipeline.runs", "pipeline.get", "pipeline.resume", "pipeline.cancel",
    "watch.list",     "watch.add",   "watch.rm",
    "approvals.list", "approvals.decide", "breaker.reset", "autonomy.show", "autonomy.check", "autonomy.demote",
    "backup.create",
    "alerts.list",    "alerts.ack",  "config.reload", "credentials.list", "report.get"};
constexpr std::size_t kMaxKbContentBytes = 32 * 1024 * 1024;
constexpr int kMaxKbResults = 100;
const std::array<std::string_view, 5> kKbKinds = {"document", "learning", "decision", "note", "report"};
constexpr int kMaxEventsLimit = 10000;
constexpr std::int64_t kMaxTimeMs = std::int64_t{1} << 52;
constexpr std::size_t kMaxAttachments = 64;
constexpr std::size_t kMaxIdBytes = 128;
constexpr int kMaxListLimit = 1000;

// Field readers: each returns an error naming the field and what it should have been.
struct fields {
  const json& obj;
  status err;

  bool fail(std::string msg) {
    if (err.ok()) err = {errc::bad_request, std::move(msg)};
    return false;
  }

  bool string(const char* key, std::string& out, bool required, std::size_t max_bytes = 0) {
    auto it = obj.find(key);
    if (it == obj.end() || it->is_null())
      return required ? fail(std::string{"missing field '"} + key + "' (string)") : true;
    if (!it->is_string()) return fail(std::string{"field '"} + key + "' must be a string");
    out = it->get<std::string>();
    if (max_bytes && out.size() > max_bytes)
      return fail(std::string{"field '"} + key + "' is longer than " + std::to_string(max_bytes) + " bytes");
    return true;
  }

  bool integer(const char* key, std::int64_t& out, std::int64_t lo, std::int64_t hi) {
    auto it = obj.find(key);
    if (it == obj.end() || it->is_null()) return true;
    if (!it->is_number_integer()) return fail(std::string{"field '"} + key + "' must be an integer");
    auto v = it->get<std::int64_t>();
    if (v < lo || v > hi)
      return fail(std::string{"field '"} + key + "' must be between " + std::to_string(lo) + " and " +
                  std::to_string(hi));
    out = v;
    return true;
  }

  bool boolean(const char* key, bool& out) {
    auto it = obj.find(key);
    if (it == obj.end() || it->is_null()) return true;
    if (!it->is_boolean()) return fail(std::string{"field '"} + key + "' must be true or false");
    out = it->get<bool>();
    return true;
  }
};

// "traceparent": the trace a client's request belongs to, and the client's span in it.
bool read_trace(fields& f, trace_id& trace, std::uint64_t& span) {
  std::string tp;
  if (!f.string("traceparent", tp, false)) return false;
  if (tp.empty()) return true;
  auto parsed = parse_traceparent(tp);
  if (!parsed)
    return f.fail("field 'traceparent' must be a W3C traceparent: 00-<32 lower-case hex>-<16 lower-case hex>-<2 hex>");
  trace = parsed->trace;
  span = parsed->span;
  return true;
}

bool read_trace_id(fields& f, trace_id& trace, bool required) {
  std::string hex;
  if (!f.string("trace_id", hex, required, 64)) return false;
  if (hex.empty()) return required ? f.fail("field 'trace_id' must not be empty") : true;
  auto t = parse_trace_id(hex);
  if (!t) return f.fail("field 'trace_id' must be 32 hex digits, not all zero (got '" + hex + "')");
  trace = *t;
  return true;
}

bool parse_query(fields& f, request& r) {
  auto& q = r.query;
  std::int64_t limit = 100, since = 0, until = 0, min_score = 0, max_score = 0;
  std::string before;
  if (!read_trace_id(f, q.trace, false) || !f.string("category", q.category, false, 64) ||
      !f.string("action", q.action, false, 128) || !f.string("status", q.status, false, 64) ||
      !f.integer("since_ms", since, 0, kMaxTimeMs) || !f.integer("until_ms", until, 0, kMaxTimeMs) ||
      !f.integer("min_score", min_score, 1, 5) || !f.integer("max_score", max_score, 1, 5) ||
      !f.integer("limit", limit, 1, kMaxEventsLimit) || !f.string("before", before, false, 32))
    return false;
  if (min_score && max_score && min_score > max_score)
    return f.fail("field 'min_score' must not be greater than 'max_score'");
  if (since && until && since >= until) return f.fail("field 'since_ms' must be before 'until_ms'");
  if (!before.empty() && (q.before_seq = event_seq(before)) == 0)
    return f.fail("field 'before' must be an event id like \"e-42\" (got '" + before + "')");
  q.since_us = since * 1000;
  q.until_us = until * 1000;
  q.min_score = static_cast<int>(min_score);
  q.max_score = static_cast<int>(max_score);
  q.limit = static_cast<int>(limit);
  return true;
}

// watch.add, watch.rm: an absolute folder (the client resolves a relative one); watch.add: classes to act on.
bool parse_watch(fields& f, request& r, bool with_classes) {
  if (!f.string("path", r.path, true, 4096)) return false;
  if (r.path.empty() || r.path[0] != '/')
    return f.fail("field 'path' must be an absolute folder path (got '" + r.path + "')");
  if (r.path.find('\0') != std::string::npos) return f.fail("field 'path' must not contain NUL");
  if (!with_classes) return true;
  auto it = f.obj.find("classes");
  if (it == f.obj.end() || it->is_null()) return true;
  if (!it->is_array()) return f.fail("field 'classes' must be an array of class names");
  for (const auto& c : *it) {
    static constexpr std::string_view known[] = {"image", "document", "media", "code", "archive", "other"};
    if (!c.is_string() || std::find(std::begin(known), std::end(known), c.get<std::string>()) == std::end(known))
      return f.fail("field 'classes': unknown class " + c.dump() + " (image, document, media, code, archive, other)");
    r.classes.push_back(c.get<std::string>());
  }
  return true;
}

bool parse_score(fields& f, request& r) {
  auto& s = r.score;
  if (!f.string("task_id", s.target, true, 64) || !f.string("note", s.note, false, 4096)) return false;
  if (s.target.empty()) return f.fail("field 'task_id' must not be empty");
  auto it = f.obj.find("score");
  if (it == f.obj.end() || it->is_null()) return f.fail("missing field 'score' (an integer from 1 to 5)");
  if (!it->is_number_integer() || it->get<std::int64_t>() < 1 || it->get<std::int64_t>() > 5)
    return f.fail("field 'score' must be an integer from 1 to 5 (got " + it->dump() + ")");
  s.score = static_cast<int>(it->get<std::int64_t>());
  return true;
}

// "attachments": ["path", ...] or [{"name": "path", "mime": "image/png"}, ...]
bool read_attachments(fields& f, std::vector<attachment>& out) {
  auto it = f.obj.find("attachments");
  if (it == f.obj.end() || it->is_null()) return true;
  if (!it->is_array() || it->size() > kMaxAttachments)
    return f.fail("field 'attachments' must be an array of at most " + std::to_string(kMaxAttachments) + " files");
  for (const auto& a : *it) {
    if (a.is_string()) {
      out.push_back({a.get<std::string>(), {}});
    } else if (a.is_object() && a.contains("name") && a["name"].is_string() &&
               (!a.contains("mime") || a["mime"].is_string())) {
      out.push_back({a["name"].get<std::string>(), a.value("mime", "")});
    } else {
      return f.fail("each of 'attachments' must be a path or {\"name\": path, \"mime\": type}");
    }
    if (out.back().name.empty()) return f.fail("an attachment's name must not be empty");
  }
  return true;
}

bool read_submit_trace(fields& f, request& r) {
  trace_id t;
  if (!read_trace(f, t, r.client_span)) return false;
  if (t.valid()) r.task.trace_id = to_hex(t);
  return true;
}

bool parse_submit(fields& f, request& r) {
  if (!f.string("prompt", r.task.prompt, true) || !read_attachments(f, r.task.attachments)) return false;
  if (r.task.prompt.empty()) return f.fail("field 'prompt' must not be empty");
  std::int64_t timeout = 0;
  return f.string("brain", r.task.brain, false, 64) &&
         f.integer("timeout_ms", timeout, 0, std::int64_t{24} * 3600 * 1000) &&
         (r.task.timeout_ms = timeout, true) && f.boolean("stream", r.stream) && read_submit_trace(f, r);
}

bool parse_list(fields& f, request& r) {
  std::int64_t limit = r.limit;
  if (!f.integer("limit", limit, 1, kMaxListLimit) || !f.string("state", r.state, false, 32)) return false;
  r.limit = static_cast<int>(limit);
  if (!r.state.empty() && !task_state_from_string(r.state))
    return f.fail("field 'state' names no task state: '" + r.state + "'");
  return true;
}

bool parse_adjust(fields& f, request& r) {
  if (!f.string("rule", r.weight.rule, true, 128) || !f.string("note", r.weight.note, false, 1024)) return false;
  if (r.weight.rule.empty()) return f.fail("field 'rule' must not be empty");
  auto it = f.obj.find("factor");
  if (it == f.obj.end() || it->is_null()) return f.fail("missing field 'factor' (number from 0 to 10)");
  if (!it->is_number()) return f.fail("field 'factor' must be a number from 0 to 10");
  r.weight.factor = it->get<double>();
  if (!(r.weight.factor >= 0 && r.weight.factor <= 10)) return f.fail("field 'factor' must be from 0 to 10");
  return true;
}

bool parse_publish(fields& f, request& r) {
  auto& e = r.event;
  if (!f.string("category", e.category, true, 64) || !f.string("action", e.action, true, 128) ||
      !f.string("status", e.status, false, 64) || !read_trace(f, e.trace, r.client_span))
    return false;
  if (e.category.empty() || e.action.empty()) return f.fail("fields 'category' and 'action' must not be empty");
  auto it = f.obj.find("data");
  if (it == f.obj.end() || it->is_null()) {
    e.data_json = "{}";
  } else if (!it->is_object()) {
    return f.fail("field 'data' must be a JSON object");
  } else {
    e.data_json = it->dump();
  }
  return true;
}

// hook.event: {event, payload, uid?, task_id?, traceparent?} becomes an event of category "hook" whose data is
// {uid, payload, task_id?}.
bool parse_hook(fields& f, request& r) {
  auto& e = r.event;
  std::string name, uid, task_id;
  if (!f.string("event", name, true, 64) || !f.string("uid", uid, false, 64) || !f.string("task_id", task_id, false, 64) ||
      !read_trace(f, e.trace, r.client_span))
    return false;
  auto canonical = canonical_hook_event(name);
  if (!canonical) return f.fail("field 'event' must be a hook event name such as SessionStart or post-tool-use (got '" + name + "')");
  auto it = f.obj.find("payload");
  if (it == f.obj.end() || it->is_null()) return f.fail("missing field 'payload' (the hook's JSON object)");
  if (!it->is_object()) return f.fail("field 'payload' must be a JSON object");
  e.category = "hook";
  e.action = std::move(*canonical);
  json data{{"uid", uid}, {"payload", *it}};
  if (!task_id.empty()) data["task_id"] = task_id;
  e.data_json = data.dump(-1, ' ', false, json::error_handler_t::replace);
  return true;
}

// approvals.decide: {approval_id, decision: approve|deny, reason?, scope?: once|session|project}, into
// r.arguments as {id, decision, reason, scope}. (Not "id": that is the envelope's request id.)
bool parse_approval_decision(fields& f, request& r) {
  std::string id, decision, reason, scope;
  if (!f.string("approval_id", id, true, 64) || !f.string("decision", decision, true, 16) || !f.string("reason", reason, false, 4096) ||
      !f.string("scope", scope, false, 16))
    return false;
  if (id.empty()) return f.fail("field 'approval_id' must not be empty");
  if (decision != "approve" && decision != "deny")
    return f.fail("field 'decision' must be approve or deny (got '" + decision + "')");
  if (scope.empty()) scope = "once";
  if (scope != "once" && scope != "session" && scope != "project")
    return f.fail("field 'scope' must be once, session or project (got '" + scope + "')");
  if (decision == "deny" && scope != "once") return f.fail("field 'scope' applies to approve only");
  r.arguments = json{{"id", id}, {"decision", decision}, {"reason", reason}, {"scope", scope}}.dump(
      -1, ' ', false, json::error_handler_t::replace);
  return true;
}

std::string dump_args(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

// alerts.list: {all?: false, limit?: 100}; alerts.ack: {alert_id}, a positive integer ("id" is the request's own).
// Into r.arguments as {all, limit} and {id}.
bool parse_alerts_list(fields& f, request& r) {
  bool all = false;
  std::int64_t limit = 100;
  if (!f.boolean("all", all) || !f.integer("limit", limit, 1, kMaxListLimit)) return false;
  r.arguments = dump_args(json{{"all", all}, {"limit", limit}});
  return true;
}

bool parse_alerts_ack(fields& f, request& r) {
  std::int64_t id = 0;
  if (!f.integer("alert_id", id, 1, std::numeric_limits<std::int64_t>::max())) return false;
  if (id == 0) return f.fail("field 'alert_id' is required: the alert's id, as alerts.list gives it");
  r.arguments = dump_args(json{{"id", id}});
  return true;
}

// autonomy.check: {tool?: Bash, command?, path?, cwd, brain?}, into r.arguments as {tool, command, path, cwd,
// brain}: a Bash call needs its command, a file tool its path (Grep and Glob may go without: the cwd); brain ""
// is the gate's default (claude).
bool parse_autonomy_check(fields& f, request& r) {
  std::string tool, command, path, cwd, brain;
  if (!f.string("tool", tool, false, 256) || !f.string("command", command, false, 1 << 20) ||
      !f.string("path", path, false, 4096) || !f.string("cwd", cwd, true, 4096) || !f.string("brain", brain, false, 128))
    return false;
  if (tool.empty()) tool = "Bash";
  if (cwd.empty() || cwd[0] != '/') return f.fail("field 'cwd' must be an absolute path");
  if (tool == "Bash" && command.empty()) return f.fail("field 'command' is required for tool Bash");
  if (tool != "Bash" && !command.empty()) return f.fail("field 'command' applies to tool Bash only");
  r.arguments = dump_args(json{{"tool", tool}, {"command", command}, {"path", path}, {"cwd", cwd}, {"brain", brain}});
  return true;
}

// autonomy.demote: {rule} (a learned rule's id) or {pattern, project?} ("npm install"; the project when more than
// one project learned it), into r.arguments as {rule, pattern, project}.
bool parse_autonomy_demote(fields& f, request& r) {
  std::string rule, pattern, project;
  if (!f.string("rule", rule, false, 4096) || !f.string("pattern", pattern, false, 4096) ||
      !f.string("project", project, false, 4096))
    return false;
  if (rule.empty() == pattern.empty()) return f.fail("give exactly one of the fields 'rule' and 'pattern'");
  if (!project.empty() && project[0] != '/') return f.fail("field 'project' must be an absolute path");
  r.arguments = dump_args(json{{"rule", rule}, {"pattern", pattern}, {"project", project}});
  return true;
}

bool read_kb_kind(fields& f, std::string& kind) {
  if (!f.string("kind", kind, false, 32)) return false;
  if (kind.empty() || std::find(kKbKinds.begin(), kKbKinds.end(), kind) != kKbKinds.end()) return true;
  return f.fail("field 'kind' must be one of document, learning, decision, note, report (got '" + kind + "')");
}

bool parse_kb_add(fields& f, request& r) {
  auto& k = r.kb;
  if (!f.string("content", k.content, true, kMaxKbContentBytes) || !f.string("title", k.title, false, 1024) ||
      !f.string("source", k.source, false, 4096) || !read_kb_kind(f, k.kind) || !f.string("brain", k.brain, false, 64) ||
      !f.string("session", k.session, false, 256) || !f.string("project", k.project, false, 4096) ||
      !f.string("topic", k.topic, false, 1024) || !f.string("format", k.format, false, 32))
    return false;
  if (k.content.find_first_not_of(" \t\r\n") == std::string::npos) return f.fail("field 'content' must not be empty");
  auto it = f.obj.find("tags");
  if (it != f.obj.end() && !it->is_null()) {
    if (!it->is_array()) return f.fail("field 'tags' must be an array of strings");
    for (const auto& t : *it) {
      if (!t.is_string()) return f.fail("field 'tags' must be an array of strings");
      k.tags.push_back(t.get<std::string>());
    }
  }
  if (k.kind.empty()) k.kind = "document";
  return true;
}

bool parse_kb_search(fields& f, request& r, const char* text_field) {
  auto& k = r.kb;
  std::int64_t n = k.k;
  if (!f.string(text_field, k.query, true, 64 * 1024) || !f.integer("k", n, 1, kMaxKbResults) ||
      !read_kb_kind(f, k.kind) || !f.string("project", k.project, false, 4096))
    return false;
  if (k.query.find_first_not_of(" \t\r\n") == std::string::npos)
    return f.fail(std::string{"field '"} + text_field + "' must not be empty");
  k.k = static_cast<int>(n);
  return true;
}

bool parse_kb_id(fields& f, request& r) {
  if (!f.string("article_id", r.kb.id, true, 128)) return false;
  if (r.kb.id.empty()) return f.fail("field 'article_id' must not be empty");
  return true;
}

// tools.call: {name, arguments?}; a mounted tool's name (prefix + the server's name for it), its arguments an
// object (the server checks them against the tool's inputSchema).
bool parse_tools_call(fields& f, request& r) {
  if (!f.string("name", r.tool, true, 256)) return false;
  if (r.tool.empty()) return f.fail("field 'name' must not be empty");
  auto it = f.obj.find("arguments");
  if (it == f.obj.end() || it->is_null()) return true;
  if (!it->is_object()) return f.fail("field 'arguments' must be an object");
  r.arguments = it->dump(-1, ' ', false, json::error_handler_t::replace);
  return true;
}

// pipeline.run: {name, input?}; the input is any JSON value (the first step's {{input}}, every step's {{run.input}}).
bool parse_pipeline_run(fields& f, request& r) {
  if (!f.string("name", r.job, true, 64)) return false;
  if (r.job.empty()) return f.fail("field 'name' must not be empty");
  auto it = f.obj.find("input");
  if (it == f.obj.end() || it->is_null()) return true;
  r.arguments = it->dump(-1, ' ', false, json::error_handler_t::replace);
  return true;
}

}  // namespace

std::string_view to_string(op o) { return kOps[static_cast<std::size_t>(o)]; }

parse_result parse_request(std::string_view frame) {
  parse_result out;
  json doc = json::parse(frame.begin(), frame.end(), nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) {
    out.error = {errc::bad_json, "the frame is not valid JSON"};
    return out;
  }
  if (!doc.is_object()) {
    out.error = {errc::bad_json, "the frame must be a JSON object"};
    return out;
  }
  fields f{doc, {}};
  request r;
  if (!f.string("id", r.id, false, kMaxIdBytes)) {
    out.error = f.err;
    return out;
  }
  out.id = r.id;

  auto v = doc.find("v");
  if (v == doc.end()) {
    out.error = {errc::bad_version, "missing field 'v' (the protocol version, 1)"};
    return out;
  }
  if (!v->is_number_integer() || v->get<std::int64_t>() != protocol_version) {
    out.error = {errc::bad_version, "protocol version " + v->dump() + " is not supported; this daemon speaks 1"};
    return out;
  }
  std::string op_name;
  if (!f.string("op", op_name, true, 64)) {
    out.error = f.err;
    return out;
  }
  std::size_t i = 0;
  while (i < kOps.size() && kOps[i] != op_name) ++i;
  if (i == kOps.size()) {
    out.error = {errc::unknown_op, "unknown operation '" + op_name + "'"};
    return out;
  }
  r.what = static_cast<op>(i);
  out.op = op_name;

  bool ok = true;
  switch (r.what) {
    case op::ping:
    case op::status: break;
    case op::task_submit: ok = parse_submit(f, r); break;
    case op::task_cancel:
    case op::task_get:
      ok = f.string("task_id", r.task_id, true, 64);
      if (ok && r.task_id.empty()) ok = f.fail("field 'task_id' must not be empty");
      break;
    case op::task_list: ok = parse_list(f, r); break;
    case op::event_publish: ok = parse_publish(f, r); break;
    case op::hook_event: ok = parse_hook(f, r); break;
    case op::route_classify:
      ok = f.string("prompt", r.task.prompt, true) && read_attachments(f, r.task.attachments) &&
           f.string("brain", r.task.brain, false, 64);
      break;
    case op::route_list: {
      std::int64_t limit = r.limit;
      ok = f.integer("limit", limit, 1, kMaxListLimit);
      r.limit = static_cast<int>(limit);
      break;
    }
    case op::route_weights: break;
    case op::breaker_reset:
      ok = f.string("brain", r.task.brain, true, 64);
      if (ok && r.task.brain.empty()) ok = f.fail("field 'brain' must not be empty");
      break;
    case op::route_adjust: ok = parse_adjust(f, r); break;
    case op::obs_query: ok = parse_query(f, r); break;
    case op::obs_trace: ok = read_trace_id(f, r.query.trace, true); break;
    case op::obs_score: ok = parse_score(f, r); break;
    case op::kb_add: ok = parse_kb_add(f, r); break;
    case op::kb_search: ok = parse_kb_search(f, r, "query"); break;
    case op::learnings_recall: ok = parse_kb_search(f, r, "topic") && (r.kb.kind = "learning", true); break;
    case op::kb_get:
    case op::kb_rm: ok = parse_kb_id(f, r); break;
    case op::kb_stats:
    case op::tools_list: break;
    case op::kb_list: {
      std::int64_t limit = r.limit;
      ok = f.integer("limit", limit, 1, kMaxListLimit) && read_kb_kind(f, r.kb.kind);
      r.limit = static_cast<int>(limit);
      break;
    }
    case op::tools_call: ok = parse_tools_call(f, r); break;
    case op::jobs_list: break;
    case op::watch_list: break;
    case op::watch_add: ok = parse_watch(f, r, true); break;
    case op::watch_rm: ok = parse_watch(f, r, false); break;
    case op::approvals_list: break;
    case op::approvals_decide: ok = parse_approval_decision(f, r); break;
    case op::autonomy_show: break;
    case op::autonomy_check: ok = parse_autonomy_check(f, r); break;
    case op::autonomy_demote: ok = parse_autonomy_demote(f, r); break;
    case op::backup_create:
      ok = f.string("dir", r.path, false, 4096);
      if (ok && !r.path.empty() && r.path.front() != '/') ok = f.fail("field 'dir' must be an absolute path");
      break;
    case op::alerts_list: ok = parse_alerts_list(f, r); break;
    case op::alerts_ack: ok = parse_alerts_ack(f, r); break;
    case op::config_reload: break;
    case op::credentials_list: r.arguments = "{}"; break;
    case op::report_get: ok = f.string("date", r.date, false, 32); break;
    case op::jobs_run:
    case op::jobs_history: {
      ok = f.string("name", r.job, true, 64);
      if (ok && r.job.empty()) ok = f.fail("field 'name' must not be empty");
      std::int64_t limit = r.limit;
      ok = ok && f.integer("limit", limit, 1, kMaxListLimit);
      r.limit = static_cast<int>(limit);
      break;
    }
    case op::pipeline_list: break;
    case op::pipeline_run: ok = parse_pipeline_run(f, r); break;
    case op::pipeline_runs: {
      std::int64_t limit = r.limit;
      ok = f.string("name", r.job, false, 64) && f.integer("limit", limit, 1, kMaxListLimit);
      r.limit = static_cast<int>(limit);
      break;
    }
    case op::pipeline_get:
    case op::pipeline_resume:
    case op::pipeline_cancel:
      ok = f.string("run_id", r.task_id, true, 64);
      if (ok && r.task_id.empty()) ok = f.fail("field 'run_id' must not be empty");
      break;
    case op::tools_cancel:
      ok = f.string("call", r.call_id, true, kMaxIdBytes);
      if (ok && r.call_id.empty()) ok = f.fail("field 'call' must not be empty");
      break;
    case op::debug_fault:
      ok = f.string("actor", r.actor, true, 64);
      if (ok && r.actor.empty()) ok = f.fail("field 'actor' must not be empty");
      break;
  }
  if (!ok) {
    out.error = f.err;
    return out;
  }
  out.req = std::move(r);
  return out;
}

namespace {
// {"v", "type", "id"?: the members every reply begins with.
json_object reply_head(std::string_view id, std::string_view type) {
  json_object j;
  j.num("v", protocol_version).str("type", type);
  if (!id.empty()) j.str("id", id);
  return j;
}
}  // namespace

std::string encode_error(std::string_view id, errc code, std::string_view message, std::string_view task_id) {
  auto j = reply_head(id, "error");
  j.str("code", to_string(code)).str("message", message);
  if (!task_id.empty()) j.str("task_id", task_id);
  return j.done();
}

std::string encode_reply(std::string_view id, std::string_view type, json body) {
  return encode_reply_text(id, type, body.dump(-1, ' ', false, json::error_handler_t::replace));
}

std::string encode_reply_text(std::string_view id, std::string_view type, std::string_view body_object) {
  auto head = reply_head(id, type).done();
  if (body_object.size() <= 2) return head;
  head.back() = ',';
  head.append(body_object.substr(1));
  return head;
}

std::string encode_pong(std::string_view id, std::string_view version, std::int64_t uptime_ms) {
  return reply_head(id, "pong").str("version", version).num("uptime_ms", uptime_ms).done();
}

namespace {
// The members of a task update after the reply head; `with_text` false leaves out what the agent wrote (the
// event stream carries lifecycle, not content).
void write_update(json_object& j, const task_update& u, bool with_text) {
  j.str("task_id", u.task_id);
  switch (u.what) {
    case task_update::kind::accepted: break;
    case task_update::kind::routed:
      j.str("brain", u.brain).str("reason", u.text);
      if (!u.message.empty()) j.str("notice", u.message);
      break;
    case task_update::kind::chunk:
      j.num("seq", u.seq);
      if (with_text) j.str("text", u.text);
      break;
    case task_update::kind::result:
      j.str("state", to_string(u.state)).str("brain", u.brain);
      if (with_text) j.str("text", u.text);
      j.num("exit_code", u.exit_code).num("duration_ms", u.duration_ms);
      break;
    case task_update::kind::error:
      j.str("state", to_string(u.state)).str("code", to_string(u.error)).str("message", u.message);
      if (!u.brain.empty()) j.str("brain", u.brain);
      j.num("duration_ms", u.duration_ms);
      break;
  }
  if (!u.trace_id.empty() || u.what == task_update::kind::accepted) j.str("trace_id", u.trace_id);
}
}  // namespace

std::string encode_update(const task_update& u) {
  // A refused submission has no task: it is a plain error reply.
  if (u.task_id.empty() && u.what == task_update::kind::error) return encode_error(u.request_id, u.error, u.message);
  auto j = reply_head(u.request_id, to_string(u.what));
  write_update(j, u, true);
  return j.done();
}

std::string encode_task_event(const task_update& u) {
  json_object j;
  write_update(j, u, false);
  return j.str("event", to_string(u.what)).done();
}

std::string encode_task(std::string_view id, const task_record& r) {
  return encode_reply(id, "task", {{"task", r}});
}

namespace {
// A list shows what a task was, not all of it: a short prompt preview and no answer.
constexpr std::size_t kPreviewBytes = 120;

std::string preview(const std::string& text) {
  if (text.size() <= kPreviewBytes) return text;
  auto cut = kPreviewBytes;
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;  // not inside a UTF-8 sequence
  return text.substr(0, cut) + "...";
}
}  // namespace

std::string encode_tasks(std::string_view id, const std::vector<task_record>& rs) {
  json list = json::array();
  for (const auto& r : rs) {
    json j = r;
    j.erase("prompt");
    j.erase("text");
    j["prompt_preview"] = preview(r.spec.prompt);
    list.push_back(std::move(j));
  }
  return encode_reply(id, "tasks", {{"tasks", std::move(list)}});
}

std::string encode_cancel(std::string_view id, std::string_view task_id, bool cancelled, task_state state) {
  return encode_reply(id, "cancel", {{"task_id", task_id}, {"cancelled", cancelled}, {"state", to_string(state)}});
}

std::string encode_ack(std::string_view id, std::string_view event_id, std::string_view trace_id) {
  return encode_reply(id, "ack", {{"event_id", event_id}, {"trace_id", trace_id}});
}

std::string encode_events(std::string_view id, const std::vector<event_record>& events, std::int64_t next_seq) {
  return encode_reply(id, "events", {{"events", events}, {"next", next_seq > 0 ? json(event_id(next_seq)) : json(nullptr)}});
}

std::string encode_trace(std::string_view id, const trace_id& t, const std::vector<event_record>& spans) {
  return encode_reply(id, "trace", {{"trace_id", to_hex(t)}, {"spans", spans}});
}

}  // namespace paios::wire
