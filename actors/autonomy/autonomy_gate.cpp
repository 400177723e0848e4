#include "actors/autonomy/autonomy_gate.hpp"

#include <sys/random.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <set>

#include <caf/all.hpp>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "actors/names.hpp"
#include "actors/supervisor/supervisor.hpp"
#include "core/autonomy/asked_calls.hpp"
#include "core/autonomy/grant_db.hpp"
#include "core/autonomy/hook_gate.hpp"
#include "core/autonomy/learning.hpp"
#include "core/autonomy/path_resolve.hpp"
#include "core/autonomy/policy.hpp"
#include "core/autonomy/rule_listing.hpp"
#include "core/autonomy/script_binding.hpp"
#include "core/obs/event_sink.hpp"
#include "messages/ids.hpp"

namespace paios {
namespace {

using nlohmann::json;
using gate_promise = caf::typed_response_promise<std::string, std::string, std::string>;

// The agent whose hook made the call, which is the brain a rule's `brain` names: the payload's `agent` (set by
// `ai hook --agent`, core/autonomy/hook_dialect.hpp) when it is one of them, else Claude Code, whose hook has none.
std::string brain_of(const json& payload) {
  static const char* const known[] = {"claude", "codex", "gemini"};
  auto it = payload.is_object() ? payload.find("agent") : payload.end();
  if (it != payload.end() && it->is_string())
    for (const char* k : known)
      if (*it == k) return k;
  return "claude";
}
// Sessions whose asked calls wait for the person's answer, at most (autonomy.session_asked_max calls each): past
// it the session heard from longest ago is dropped. Far more than one person has Claude Code sessions open.
constexpr std::size_t kAskedSessions = 256;

std::string dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

std::string str_of(const json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string{};
}

// A short id a person types: "ap-" and 8 hex digits.
std::string new_approval_id() {
  unsigned char bytes[4];
  if (getrandom(bytes, sizeof bytes, 0) != static_cast<ssize_t>(sizeof bytes)) {
    auto t = static_cast<std::uint32_t>(now_us());
    for (int i = 0; i < 4; ++i) bytes[i] = static_cast<unsigned char>(t >> (8 * i));
  }
  static const char* hex = "0123456789abcdef";
  std::string out = "ap-";
  for (auto b : bytes) {
    out += hex[b >> 4];
    out += hex[b & 15];
  }
  return out;
}

// One call and where it comes from: what every event of the gate says about it.
struct call_context {
  autonomy::tool_call call;
  std::string session;
  std::string task_id;
  std::string pipeline, run_id, step;  // a pipeline's command step: the daemon runs it for the run
  trace_id trace;
  std::uint64_t parent = 0;

  // No person sits at a terminal for this call (a daemon task's agent, a pipeline's step): an `ask` waits for one.
  bool unattended() const { return !task_id.empty() || !run_id.empty(); }

  // Who waits, as a notification says it.
  std::string waiter() const {
    if (!run_id.empty()) return "Pipeline " + pipeline + " run " + run_id + " (step " + step + ")";
    return "Task " + task_id;
  }

  json event_data(const autonomy::decision& d) const {
    json data{{"rule", d.rule},     {"level", std::string{autonomy::to_string(d.lvl)}}, {"tool", call.tool},
              {"summary", autonomy::call_summary(call)}, {"project", call.cwd}, {"brain", call.brain},
              {"session", session}};
    if (!task_id.empty()) data["task"] = task_id;
    if (!run_id.empty()) {
      data["pipeline"] = pipeline;
      data["run_id"] = run_id;
      data["step"] = step;
    }
    return data;
  }
};

// A call a person is asked about, and what their answer is bound to and counts toward.
struct asked_call {
  call_context ctx;
  autonomy::decision decision;
  std::optional<autonomy::learn_pattern> pattern;  // what an approval counts toward (none: never learned)
  autonomy::script_hashes scripts;                 // the project's scripts it runs, as they are now
};

// A daemon task's asked call: it waits here until a person decides it (ai approve / ai deny) or the timeout.
struct pending_approval {
  std::string id;
  asked_call asked;
  std::string key;  // approval_key of the call
  std::int64_t since_us = 0;
  std::uint64_t wait_span = 0;
  gate_promise promise;
};

struct gate_state {
  autonomy_gate_options opts;
  std::unique_ptr<autonomy::policy> policy;
  std::string policy_error;  // when the rules did not compile: every call is denied with it
  std::map<std::string, pending_approval> pending;             // by id
  // Calls of a person's session answered `ask`: Claude Code asks the person, whose answer shows in the hooks
  // that follow (the hook handler passes them on: hook_atom).
  autonomy::asked_calls<asked_call> asked{16, kAskedSessions};
  // (key, scope, scope value) -> the scripts the approved call ran (script_binding: changed, the grant is void)
  std::map<std::tuple<std::string, std::string, std::string>, autonomy::script_hashes> grants;
  std::unique_ptr<autonomy::grant_db> db;
  std::map<std::string, autonomy::pattern_count> patterns;  // approvals since the last denial, by pattern key
  std::vector<autonomy::rule_spec> learned;                  // the promoted patterns' rules
  // Rules whose decisions are never counted toward a pattern: the pins (never learned past) and the built-in
  // rules marked learnable: false.
  std::set<std::string> unlearned_ids;
  std::int64_t decisions = 0, approved = 0, denied = 0, expired = 0, promoted = 0;
  static inline const char* name = "autonomy";
};

using gate_actor = autonomy_actor::stateful_pointer<gate_state>;

// Leaves one autonomy event in the call's trace.
void record(const call_context& c, std::string_view action, std::int64_t start_us, json data,
            std::uint64_t span = 0, std::string_view status = "ok") {
  emit_span("autonomy", action, c.trace, span ? span : new_span_id(), c.parent, start_us, now_us(), status, dump(data));
}

std::tuple<std::string, std::string, std::string> reply(std::string_view permission, std::string reason,
                                                        const autonomy::decision& d, const std::string& approval = {}) {
  json notes{{"level", std::string{autonomy::to_string(d.lvl)}}, {"rule", d.rule}, {"permission", std::string{permission}}};
  if (!approval.empty()) notes["approval"] = approval;
  return {std::string{permission}, std::move(reason), dump(notes)};
}

// What a person's earlier approval says of this call: `by` names the grant that lets it through without asking
// ("" for none); `changed` the script whose content is no longer what was approved (the grant then is void).
struct grant_check {
  std::string by;
  std::string changed;
};

grant_check granted(const gate_state& st, const std::string& key, const call_context& c,
                    const autonomy::script_hashes& scripts) {
  grant_check out;
  auto look = [&](const char* scope, const std::string& value, std::string by) {
    if (!out.by.empty() || value.empty()) return;
    auto it = st.grants.find({key, scope, value});
    if (it == st.grants.end()) return;
    auto changed = autonomy::changed_script(it->second, scripts);
    if (changed.empty()) out.by = std::move(by);
    else if (out.changed.empty()) out.changed = changed;
  };
  look("session", c.session, "this session");
  look("project", c.call.cwd, "the project " + c.call.cwd);
  if (!out.by.empty()) out.changed.clear();
  return out;
}

// Whether this pattern's count made the learned rule of this id.
bool promoted_as(const autonomy::pattern_count& count, const std::string& rule_id) {
  return count.promoted && json::parse(count.rule_json, nullptr, false).value("id", "") == rule_id;
}

// The count whose promotion made this learned rule (nullptr: none).
const autonomy::pattern_count* learned_count(const gate_state& st, const std::string& rule_id) {
  for (const auto& [key, count] : st.patterns)
    if (promoted_as(count, rule_id)) return &count;
  return nullptr;
}

// The policy again, with the learned rules; false (and the old policy kept) if they do not compile.
bool remake_policy(gate_state& st) {
  auto p = autonomy::policy::make(st.opts.cfg.builtin, st.opts.cfg.pins, st.learned, st.opts.cfg.limits);
  if (!p) {
    spdlog::error("autonomy: the learned rules do not compile; kept the policy without the newest: {}", p.message());
    return false;
  }
  st.policy = std::make_unique<autonomy::policy>(std::move(*p));
  return true;
}

void save_pattern(gate_state& st, const autonomy::pattern_count& p) {
  if (st.db)
    if (auto ok = st.db->put(p); !ok) spdlog::warn("autonomy: the count of {} is kept for this run only: {}", p.key, ok.message());
}

// Takes a learned rule out of the policy (its count is the caller's to reset); false when the policy could not
// be made without it (then it stays).
bool drop_learned(gate_state& st, const std::string& rule_id) {
  auto it = std::find_if(st.learned.begin(), st.learned.end(), [&](const auto& r) { return r.id == rule_id; });
  if (it == st.learned.end()) return true;
  auto rule = *it;
  auto at = st.learned.erase(it);
  if (remake_policy(st)) return true;
  st.learned.insert(at, std::move(rule));
  return false;
}

// A person's answer counts toward the call's pattern: an approval adds one, and the promote_after-th without a
// denial between makes the pattern a learned `safe` rule for the project (notified, an event); a denial resets.
// Approvals count for one content of the scripts the pattern runs: an approval of other content starts the count
// again from it, and takes back a rule learned for the old content.
void learn_from(gate_actor self, const asked_call& a, bool approved) {
  auto& st = self->state;
  if (!a.pattern) return;
  auto& count = st.patterns[a.pattern->key];
  count.key = a.pattern->key;
  const auto scripts = autonomy::scripts_text(a.scripts);
  if (!approved) {
    count.approvals = 0;
    if (count.rule_json.empty()) count.rule_json = dump(autonomy::learned_rule_json(a.pattern->rule));
    return save_pattern(st, count);  // a rule already learned stays: a denial takes back nothing promoted
  }
  if (count.scripts != scripts) {
    if (count.promoted && drop_learned(st, json::parse(count.rule_json, nullptr, false).value("id", ""))) {
      count.promoted = false;
      spdlog::info("autonomy: `{}` in {} runs changed scripts: its learned rule is taken back until it is approved "
                   "again", a.pattern->text, a.ctx.call.cwd);
    }
    count.approvals = 0;
    count.scripts = scripts;
  }
  count.rule_json = dump(autonomy::learned_rule_json(a.pattern->rule));
  ++count.approvals;
  if (count.promoted || count.approvals < st.opts.cfg.promote_after) return save_pattern(st, count);
  st.learned.push_back(a.pattern->rule);
  if (!remake_policy(st)) {
    st.learned.pop_back();
    return save_pattern(st, count);
  }
  count.promoted = true;
  ++st.promoted;
  save_pattern(st, count);
  auto data = a.ctx.event_data(a.decision);
  data["pattern"] = a.pattern->text;
  data["learned_rule"] = a.pattern->rule.id;
  data["approvals"] = count.approvals;
  if (!a.scripts.empty()) data["scripts"] = a.scripts;
  record(a.ctx, "promoted", now_us(), data);
  spdlog::info("autonomy: `{}` is now safe in {} ({} approvals without a denial)", a.pattern->text, a.ctx.call.cwd,
               count.approvals);
  if (auto n = registered(self, notifier_name::value))
    caf::anon_send(n, notify_atom::value, "PAIOS learned: `" + a.pattern->text + "` is safe in " + a.ctx.call.cwd,
                   "Approved " + std::to_string(count.approvals) + " times without a denial; it now runs there without "
                   "asking (rule " + a.pattern->rule.id + ").",
                   std::string{"info"});
}

// A person's answer in their own session, read from the hooks that followed the `ask` (asked_calls.hpp): an
// event (action approved or denied, by "session") and a count toward the call's pattern, as `ai approve` does.
void session_answered(gate_actor self, const asked_call& a, bool approved, const std::string& why = {}) {
  auto& st = self->state;
  ++(approved ? st.approved : st.denied);
  auto data = a.ctx.event_data(a.decision);
  data["by"] = "session";
  if (!approved) data["reason"] = why;
  record(a.ctx, approved ? "approved" : "denied", now_us(), data);
  learn_from(self, a, approved);
}

// Asked calls of any session that had no answer within autonomy.session_answer_timeout_ms: denied.
void expire_asked(gate_actor self) {
  auto& st = self->state;
  for (auto& a : st.asked.expired(now_ms(), st.opts.cfg.session_answer_timeout_ms))
    session_answered(self, a, false, "no PostToolUse within " + std::to_string(st.opts.cfg.session_answer_timeout_ms / 1000) + " s");
}

// A hook of a person's session that says what became of its asked calls: PostToolUse (or PostToolUseFailure)
// of one, that it ran (approved); Stop, SessionEnd or UserPromptSubmit, that those still waiting did not.
void session_event(gate_actor self, const std::string& event, const std::string& payload_text) {
  auto& st = self->state;
  expire_asked(self);
  auto payload = json::parse(payload_text, nullptr, false);
  if (!payload.is_object()) return;
  const auto session = str_of(payload, "session_id");
  if (session.empty()) return;
  if (event == "PostToolUse" || event == "PostToolUseFailure") {
    if (auto a = st.asked.ran(session, str_of(payload, "tool_use_id")))
      session_answered(self, *a, true);
    return;
  }
  for (auto& a : st.asked.unanswered(session))
    session_answered(self, a, false, "the session went on without running it (" + event + ")");
}

// A learned rule bound to scripts of the call's project: its id and the content it was approved for.
struct script_bound_rule {
  std::string rule;
  autonomy::script_hashes scripts;
};

// Every learned rule bound to a script in `cwd`. A learned rule may decide one part of a compound call while the
// decision names another part's rule (`ls && ./build.sh`), so all of them are looked at, not only the one named.
std::vector<script_bound_rule> script_bound_rules(const gate_state& st, const std::string& cwd) {
  std::vector<script_bound_rule> out;
  for (const auto& [key, count] : st.patterns) {
    if (!count.promoted || count.scripts.empty()) continue;
    auto scripts = autonomy::scripts_of_text(count.scripts);
    if (std::any_of(scripts.begin(), scripts.end(), [&](const auto& s) { return autonomy::path_within(s.first, cwd); }))
      out.push_back({json::parse(count.rule_json, nullptr, false).value("id", ""), std::move(scripts)});
  }
  return out;
}

// A safe call that runs a script whose content is not what a learned rule was approved for: asked again, the
// reason naming the script and the rule. Scripts are read only when such a rule exists in the project.
void check_learned_scripts(const gate_state& st, const autonomy::tool_call& call, autonomy::decision& d,
                           autonomy::script_hashes& scripts) {
  auto bound = script_bound_rules(st, call.cwd);
  if (bound.empty()) return;
  scripts = autonomy::scripts_run(call, st.opts.cfg.limits);
  for (const auto& b : bound)
    if (auto changed = autonomy::differing_script(b.scripts, scripts); !changed.empty()) {
      d.lvl = autonomy::level::ask;
      d.reason = "the script " + changed + " changed since rule " + b.rule + " was learned: asked again";
      return;
    }
}

using gate_result = caf::result<std::string, std::string, std::string>;

// A call the gate cannot judge (no policy, a malformed call): denied, and recorded as a `never`.
gate_result refuse(call_context& c, std::int64_t start, std::string rule, std::string reason) {
  autonomy::decision d{autonomy::level::never, std::move(rule), std::move(reason)};
  record(c, "never", start, c.event_data(d));
  auto [p, r, n] = reply("deny", d.reason, d);
  return gate_result{p, r, n};
}

gate_result judge(gate_actor self, call_context c, std::int64_t start, const std::string& tool_use_id);

// A call's context in its trace, counted as one more decision.
call_context new_call(gate_state& st, trace_id trace, std::uint64_t parent) {
  ++st.decisions;
  call_context c;
  c.trace = trace;
  c.parent = parent;
  return c;
}

// A PreToolUse hook's call (Claude Code's payload), from an agent's session or a daemon task's agent.
gate_result decide_call(gate_actor self, const std::string& payload_text, const std::string& task_id, trace_id trace,
                        std::uint64_t parent) {
  auto& st = self->state;
  const auto start = now_us();
  auto c = new_call(st, trace, parent);
  c.task_id = task_id;
  auto payload = json::parse(payload_text, nullptr, false);
  c.session = payload.is_object() ? str_of(payload, "session_id") : std::string{};
  const auto tool_use_id = payload.is_object() ? str_of(payload, "tool_use_id") : std::string{};
  expire_asked(self);
  // A person's session asks for another call: the calls it asked about before were not let run.
  if (task_id.empty() && !c.session.empty())
    for (auto& a : st.asked.unanswered(c.session, tool_use_id))
      session_answered(self, a, false, "the session went on to another call without running it");
  c.call.tool = payload.is_object() ? str_of(payload, "tool_name") : std::string{};
  c.call.cwd = payload.is_object() ? str_of(payload, "cwd") : std::string{};
  c.call.brain = brain_of(payload);
  if (!st.policy) return refuse(c, start, "policy-unavailable", "PAIOS cannot judge tool calls: " + st.policy_error);
  auto call = autonomy::pretooluse_call(payload, st.opts.home, brain_of(payload), st.opts.cfg.limits.max_bytes);
  if (!call) return refuse(c, start, "malformed-call", "PAIOS refused a malformed PreToolUse call: " + call.message());
  c.call = std::move(*call);
  return judge(self, std::move(c), start, tool_use_id);
}

// A command the daemon itself runs for a pipeline's run (docs/autonomy.md, "Commands the daemon runs"): judged as
// the Bash call it would be, by the brain `pipeline:NAME`; an `ask` always waits for a person.
gate_result decide_command(gate_actor self, const std::string& args_text, trace_id trace, std::uint64_t parent) {
  auto& st = self->state;
  const auto start = now_us();
  auto c = new_call(st, trace, parent);
  auto args = json::parse(args_text, nullptr, false);
  if (args.is_object()) {
    c.pipeline = str_of(args, "pipeline");
    c.run_id = str_of(args, "run_id");
    c.step = str_of(args, "step");
    c.call = {"Bash", str_of(args, "command"), "", str_of(args, "cwd"), st.opts.home, "pipeline:" + c.pipeline};
  }
  if (!st.policy) return refuse(c, start, "policy-unavailable", "PAIOS cannot judge commands: " + st.policy_error);
  std::string wrong;
  if (!args.is_object()) wrong = "the gate's command call is not a JSON object";
  else if (c.run_id.empty() || c.pipeline.empty()) wrong = "the command names no pipeline and run";
  else if (c.call.command.empty()) wrong = "the command is empty";
  else if (c.call.cwd.empty() || c.call.cwd[0] != '/') wrong = "the command's cwd is not absolute ('" + c.call.cwd + "')";
  if (!wrong.empty()) return refuse(c, start, "malformed-call", "PAIOS refused to judge a command: " + wrong);
  return judge(self, std::move(c), start, std::string{});
}

// The policy's decision on a call, a grant's, or (an `ask` with no person at a terminal) a pending approval.
// tool_use_id: Claude Code's id of the call, by which a person's answer is followed ("" for none).
gate_result judge(gate_actor self, call_context c, std::int64_t start, const std::string& tool_use_id) {
  auto& st = self->state;
  auto d = st.policy->decide(c.call);
  if (d.reason.empty()) d.reason = "no rule matches; anything unmatched is ask";
  // The project's scripts the call runs, read only when an approval may be bound to them.
  autonomy::script_hashes scripts;
  if (d.lvl == autonomy::level::safe && !st.learned.empty()) check_learned_scripts(st, c.call, d, scripts);
  if (d.lvl == autonomy::level::ask && scripts.empty()) scripts = autonomy::scripts_run(c.call, st.opts.cfg.limits);
  auto data = c.event_data(d);
  if (d.lvl != autonomy::level::ask) {
    record(c, autonomy::to_string(d.lvl), start, data);
    auto [p, r, n] = reply(autonomy::permission_of(d.lvl), d.reason, d);
    return {p, r, n};
  }
  const auto key = autonomy::approval_key(c.call);
  auto grant = granted(st, key, c, scripts);
  if (!grant.by.empty()) {
    data["granted"] = grant.by;
    record(c, "ask", start, data);
    auto [p, r, n] = reply("allow", "approved earlier for " + grant.by + " (" + d.reason + ")", d);
    return {p, r, n};
  }
  if (!grant.changed.empty()) {
    d.reason = "the script " + grant.changed + " changed since it was approved: asked again (" + d.reason + ")";
    data["reason"] = d.reason;
  }
  record(c, "ask", start, data);
  asked_call asked{c, d, std::nullopt, std::move(scripts)};
  if (st.opts.cfg.promote_after > 0 && !st.unlearned_ids.count(d.rule))
    asked.pattern = autonomy::pattern_of(c.call, st.opts.cfg.limits);
  if (!c.unattended()) {  // a person sits at the session: Claude Code asks them, with the reason shown
    // Their answer shows in the hooks that follow (session_event); a call without ids cannot be followed.
    if (!c.session.empty() && !tool_use_id.empty())
      for (auto& dropped : st.asked.add(c.session, tool_use_id, std::move(asked), now_ms()))
        spdlog::debug("autonomy: stopped waiting for the answer to {} in session {}", autonomy::call_summary(dropped.ctx.call),
                      dropped.ctx.session);
    auto [p, r, n] = reply("ask", d.reason, d);
    return {p, r, n};
  }
  // A daemon task or a pipeline: nobody is at its terminal. The call waits for a person (ai approve / ai deny) or
  // the timeout.
  pending_approval a;
  do a.id = new_approval_id(); while (st.pending.count(a.id));
  a.asked = std::move(asked);
  a.key = key;
  a.since_us = now_us();
  a.wait_span = new_span_id();
  a.promise = self->make_response_promise<std::string, std::string, std::string>();
  auto promise = a.promise;
  const auto id = a.id;
  const auto summary = autonomy::call_summary(c.call, 120);
  spdlog::info("autonomy: {} waits for approval: {} {} ({})", id, c.call.tool, summary, c.waiter());
  if (auto n = registered(self, notifier_name::value))
    caf::anon_send(n, notify_atom::value, "PAIOS approval " + id + ": " + c.call.tool + " " + summary,
               c.waiter() + " waits: " + d.reason + ". Approve with `ai approve " + id +
                   "` (--session or --project to stop asking), or deny with `ai deny " + id + " --reason TEXT`.",
               std::string{"warning"});
  st.pending.emplace(id, std::move(a));
  self->delayed_send(self, std::chrono::milliseconds{st.opts.cfg.approval_timeout_ms}, expire_atom::value, id);
  return promise;
}

// Ends a pending approval: the hook gets its answer, the wait span ends, the outcome is an event.
void settle(pending_approval& a, std::string_view permission, std::string reason, std::string_view action,
            json extra) {
  auto data = a.asked.ctx.event_data(a.asked.decision);
  data["approval"] = a.id;
  for (auto& [k, v] : extra.items()) data[k] = v;
  record(a.asked.ctx, "wait", a.since_us, data, a.wait_span, permission == "allow" ? "ok" : "denied");
  record(a.asked.ctx, action, now_us(), data);
  auto [p, r, n] = reply(permission, std::move(reason), a.asked.decision, a.id);
  a.promise.deliver(std::move(p), std::move(r), std::move(n));
}

std::tuple<std::string, std::string, std::string> coded(errc code, std::string message) {
  return {std::string{to_string(code)}, std::move(message), std::string{}};
}

std::tuple<std::string, std::string, std::string> list_approvals(gate_actor self) {
  auto& st = self->state;
  std::vector<const pending_approval*> all;
  for (auto& [id, a] : st.pending) all.push_back(&a);
  std::sort(all.begin(), all.end(), [](auto* x, auto* y) { return x->since_us < y->since_us; });
  json out = json::array();
  const auto now = now_us();
  for (auto* a : all)
    out.push_back({{"id", a->id},
                   {"tool", a->asked.ctx.call.tool},
                   {"summary", autonomy::call_summary(a->asked.ctx.call)},
                   {"rule", a->asked.decision.rule},
                   {"reason", a->asked.decision.reason},
                   {"task", a->asked.ctx.task_id},
                   {"pipeline", a->asked.ctx.pipeline},
                   {"run_id", a->asked.ctx.run_id},
                   {"step", a->asked.ctx.step},
                   {"session", a->asked.ctx.session},
                   {"project", a->asked.ctx.call.cwd},
                   {"trace", to_hex(a->asked.ctx.trace)},
                   {"age_ms", (now - a->since_us) / 1000}});
  return {std::string{}, std::string{}, dump(json{{"approvals", std::move(out)}})};
}

std::tuple<std::string, std::string, std::string> decide_approval(gate_actor self, const std::string& args_text) {
  auto& st = self->state;
  auto args = json::parse(args_text, nullptr, false);
  if (!args.is_object()) return coded(errc::bad_request, "approvals.decide takes a JSON object");
  const auto id = str_of(args, "id"), decision = str_of(args, "decision"), reason = str_of(args, "reason");
  auto scope = str_of(args, "scope");
  if (scope.empty()) scope = "once";
  if (decision != "approve" && decision != "deny")
    return coded(errc::bad_request, "field 'decision' must be approve or deny (got '" + decision + "')");
  if (scope != "once" && scope != "session" && scope != "project")
    return coded(errc::bad_request, "field 'scope' must be once, session or project (got '" + scope + "')");
  auto it = st.pending.find(id);
  if (it == st.pending.end())
    return coded(errc::not_found, "no pending approval with id '" + id + "' (decided, expired, or never asked)");
  auto& a = it->second;
  if (decision == "approve") {
    if (scope != "once") {
      autonomy::grant g{a.key, scope, scope == "session" ? a.asked.ctx.session : a.asked.ctx.call.cwd, a.id, now_ms(),
                        autonomy::scripts_text(a.asked.scripts)};
      if (g.scope_value.empty())
        return coded(errc::bad_request, "approval '" + id + "' has no " + scope + " to grant (its call came with none)");
      st.grants[{g.key, g.scope, g.scope_value}] = a.asked.scripts;
      if (st.db)
        if (auto ok = st.db->add(g); !ok) spdlog::warn("autonomy: the grant of {} is kept for this run only: {}", id, ok.message());
    }
    ++st.approved;
    settle(a, "allow", "approved by a person (approval " + id + ", " + scope + "): " + a.asked.decision.reason, "approved",
           {{"scope", scope}});
    learn_from(self, a.asked, true);
  } else {
    ++st.denied;
    settle(a, "deny",
           "denied by a person (approval " + id + "): " + (reason.empty() ? std::string{"no reason given"} : reason),
           "denied", {{"reason", reason}});
    learn_from(self, a.asked, false);
  }
  st.pending.erase(it);
  // "approval_id", not "id": the reply's members sit beside the envelope's id.
  return {std::string{}, std::string{}, dump(json{{"approval_id", id}, {"decision", decision}, {"scope", scope}})};
}


// autonomy.show: every rule the policy holds, in the order of the scopes (pins, learned, built-in), learned ones
// with their pattern's approvals.
std::tuple<std::string, std::string, std::string> show_policy(gate_actor self) {
  auto& st = self->state;
  json rules = json::array();
  for (const auto& r : st.opts.cfg.pins) rules.push_back(autonomy::listed_rule(r, "pin"));
  for (const auto& r : st.learned) {
    auto j = autonomy::listed_rule(r, "learned");
    if (const auto* count = learned_count(st, r.id)) j["approvals"] = count->approvals;
    rules.push_back(std::move(j));
  }
  for (const auto& r : st.opts.cfg.builtin) rules.push_back(autonomy::listed_rule(r, "builtin"));
  json body{{"rules", std::move(rules)}, {"learned_shown", true}};
  if (!st.policy) body["policy_error"] = st.policy_error;
  return {std::string{}, std::string{}, dump(body)};
}

// A run that no longer waits (cancelled, timed out, its manager gone) takes back its pending approvals: they
// leave the list, their wait ends denied, and each is an event (action "withdrawn"). Nothing is learned from them.
std::tuple<std::string, std::string, std::string> withdraw_run(gate_actor self, const std::string& args_text) {
  auto& st = self->state;
  auto args = json::parse(args_text, nullptr, false);
  const auto run_id = args.is_object() ? str_of(args, "run_id") : std::string{};
  const auto reason = args.is_object() ? str_of(args, "reason") : std::string{};
  if (run_id.empty()) return coded(errc::bad_request, "withdraw names no run_id");
  json ids = json::array();
  for (auto it = st.pending.begin(); it != st.pending.end();) {
    if (it->second.asked.ctx.run_id != run_id) {
      ++it;
      continue;
    }
    ids.push_back(it->first);
    settle(it->second, "deny", "withdrawn: " + reason, "withdrawn", {{"reason", reason}});
    it = st.pending.erase(it);
  }
  return {std::string{}, std::string{}, dump(json{{"withdrawn", std::move(ids)}})};
}

// A PermissionRequest: Claude Code is about to ask the person about a call (its own ask rules, or the gate's `ask`
// answer to the PreToolUse before it). The gate answers for them where they already did: allow what their pin or
// a rule learned from their approvals makes safe, or what they granted for the session or project; deny what is
// never. Anything else (an ask, a built-in safe their own Claude Code rule asks about) stays theirs (no
// behavior). Nothing waits and nothing is counted: the PreToolUse before it did that.
std::tuple<std::string, std::string, std::string> permission_request(gate_actor self, const std::string& payload_text) {
  auto& st = self->state;
  auto answer = [](std::string behavior, const autonomy::decision& d) -> std::tuple<std::string, std::string, std::string> {
    return {std::string{}, std::string{},
            dump(json{{"behavior", std::move(behavior)}, {"level", std::string{autonomy::to_string(d.lvl)}},
                      {"rule", d.rule}, {"reason", d.reason}})};
  };
  if (!st.policy)
    return answer("deny", {autonomy::level::never, "policy-unavailable", "PAIOS cannot judge tool calls: " + st.policy_error});
  auto payload = json::parse(payload_text, nullptr, false);
  auto call = autonomy::pretooluse_call(payload, st.opts.home, brain_of(payload), st.opts.cfg.limits.max_bytes);
  if (!call)
    return answer("deny", {autonomy::level::never, "malformed-call",
                           "PAIOS refused a malformed PermissionRequest call: " + call.message()});
  auto d = st.policy->decide(*call);
  if (d.reason.empty()) d.reason = "no rule matches; anything unmatched is ask";
  autonomy::script_hashes scripts;
  if (d.lvl == autonomy::level::safe && !st.learned.empty()) check_learned_scripts(st, *call, d, scripts);
  if (d.lvl == autonomy::level::never) return answer("deny", d);
  if (d.lvl == autonomy::level::safe) {
    // The person's own word (a pin, or a rule learned from their approvals) answers their dialog; a built-in safe
    // does not overrule the ask rule of theirs that made Claude Code ask.
    auto named = [&](const std::vector<autonomy::rule_spec>& rules) {
      return std::any_of(rules.begin(), rules.end(), [&](const auto& r) { return r.id == d.rule; });
    };
    return answer(named(st.opts.cfg.pins) || named(st.learned) ? "allow" : "", d);
  }
  call_context c;
  c.call = *call;
  c.session = str_of(payload, "session_id");
  if (scripts.empty()) scripts = autonomy::scripts_run(c.call, st.opts.cfg.limits);
  auto grant = granted(st, autonomy::approval_key(c.call), c, scripts);
  if (grant.by.empty()) return answer("", d);
  d.reason = "approved earlier for " + grant.by + " (" + d.reason + ")";
  return answer("allow", d);
}

// autonomy.check: the decision the policy (with the learned rules) gives a call, without running or recording
// anything. Grants are not consulted: they are bound to one call a person approved, not to the policy.
std::tuple<std::string, std::string, std::string> check_call(gate_actor self, const std::string& args_text) {
  auto& st = self->state;
  if (!st.policy) return coded(errc::internal, "PAIOS cannot judge tool calls: " + st.policy_error);
  auto args = json::parse(args_text, nullptr, false);
  if (!args.is_object()) return coded(errc::bad_request, "autonomy.check takes a JSON object");
  const auto brain = str_of(args, "brain");
  autonomy::tool_call call{str_of(args, "tool"), str_of(args, "command"), str_of(args, "path"), str_of(args, "cwd"),
                           st.opts.home, brain.empty() ? brain_of(args) : brain};
  auto d = st.policy->decide(call);
  if (d.reason.empty()) d.reason = "no rule matches; anything unmatched is ask";
  return {std::string{}, std::string{},
          dump(json{{"level", std::string{autonomy::to_string(d.lvl)}}, {"rule", d.rule}, {"reason", d.reason}})};
}

// autonomy.demote: a learned rule taken back. Its pattern's count starts again from zero (persisted), the policy
// is made without it, and the demotion is an event (action "demoted") and a notification.
std::tuple<std::string, std::string, std::string> demote_rule(gate_actor self, const std::string& args_text) {
  auto& st = self->state;
  auto args = json::parse(args_text, nullptr, false);
  if (!args.is_object()) return coded(errc::bad_request, "autonomy.demote takes a JSON object");
  const auto id = str_of(args, "rule"), pattern = str_of(args, "pattern"), project = str_of(args, "project");
  // A learned rule's id is "learned:<pattern>@<project>" (core/autonomy/learning.cpp).
  std::vector<std::size_t> found;
  for (std::size_t i = 0; i < st.learned.size(); ++i) {
    const auto& r = st.learned[i];
    if (!id.empty() ? r.id == id
                    : r.id == "learned:" + pattern + "@" + r.project && (project.empty() || r.project == project))
      found.push_back(i);
  }
  const auto asked = !id.empty() ? "rule '" + id + "'" : "pattern '" + pattern + "'" + (project.empty() ? "" : " in " + project);
  if (found.empty()) return coded(errc::not_found, "no learned rule matches " + asked + " (`ai autonomy` lists them)");
  if (found.size() > 1) {
    std::string projects;
    for (auto i : found) projects += (projects.empty() ? "" : ", ") + st.learned[i].project;
    return coded(errc::bad_request, asked + " was learned in several projects (" + projects + "); name one with --project");
  }
  const auto rule = st.learned[found[0]];
  if (!drop_learned(st, rule.id))
    return coded(errc::internal, "the policy could not be made without " + rule.id + "; it is kept");
  std::int64_t approvals = 0;
  for (auto& [key, count] : st.patterns)
    if (promoted_as(count, rule.id)) {
      approvals = count.approvals;
      count.promoted = false;
      count.approvals = 0;
      save_pattern(st, count);
    }
  call_context c;
  c.trace = new_trace();
  json data{{"learned_rule", rule.id}, {"project", rule.project}, {"approvals", approvals}};
  record(c, "demoted", now_us(), data);
  spdlog::info("autonomy: the learned rule {} was demoted: its calls are asked again", rule.id);
  if (auto n = registered(self, notifier_name::value))
    caf::anon_send(n, notify_atom::value, "PAIOS demoted the learned rule " + rule.id,
                   "Its calls in " + rule.project + " are asked again; " + std::to_string(st.opts.cfg.promote_after) +
                       " approvals without a denial would learn it again.",
                   std::string{"info"});
  return {std::string{}, std::string{}, dump(json{{"rule", rule.id}, {"project", rule.project}, {"demoted", true}})};
}

// The rule ids a person's approvals never promote into learned rules: the pins, and the built-ins marked so.
void collect_unlearned(gate_state& st) {
  st.unlearned_ids.clear();
  for (const auto& pin : st.opts.cfg.pins) st.unlearned_ids.insert(pin.id);
  for (const auto& r : st.opts.cfg.builtin)
    if (!r.learnable) st.unlearned_ids.insert(r.id);
}

// A reload's new `autonomy` section (validated by the reloader): the policy is made again from it with the learned
// rules; pending approvals, grants and counts stay. The keys config/live_keys.hpp lists as needing a restart keep
// their running values. A section whose rules do not compile changes nothing (bad_request naming the error).
std::tuple<std::string, std::string, std::string> reconfigure(gate_actor self, const std::string& section) {
  auto& st = self->state;
  auto doc = json::parse(section, nullptr, false);
  if (!doc.is_object()) return coded(errc::bad_request, "the autonomy section is not a JSON object");
  autonomy_config next;
  try {
    next = read_autonomy_config(doc);
  } catch (const std::exception& e) {
    return coded(errc::bad_request, std::string{"the autonomy section cannot be read: "} + e.what());
  }
  next.approval_timeout_ms = st.opts.cfg.approval_timeout_ms;
  next.session_asked_max = st.opts.cfg.session_asked_max;
  auto p = autonomy::policy::make(next.builtin, next.pins, st.learned, next.limits);
  if (!p) return coded(errc::bad_request, "the new autonomy rules do not compile: " + p.message());
  st.opts.cfg = std::move(next);
  st.policy = std::make_unique<autonomy::policy>(std::move(*p));
  st.policy_error.clear();
  collect_unlearned(st);
  spdlog::info("autonomy: the policy was made again from the reloaded configuration ({} pins)", st.opts.cfg.pins.size());
  return {std::string{}, std::string{}, "{}"};
}

autonomy_actor::behavior_type gate_behavior(gate_actor self, autonomy_gate_options opts) {
  guard_actor(self, "autonomy");
  auto& st = self->state;
  st.opts = std::move(opts);
  st.asked = autonomy::asked_calls<asked_call>{static_cast<std::size_t>(st.opts.cfg.session_asked_max), kAskedSessions};
  collect_unlearned(st);
  if (auto db = autonomy::grant_db::open(st.opts.grants_file)) {
    st.db = std::move(*db);
    for (auto& g : st.db->all()) st.grants[{g.key, g.scope, g.scope_value}] = autonomy::scripts_of_text(g.scripts);
    for (auto& p : st.db->patterns()) {
      if (p.promoted)
        if (auto spec = autonomy::rule_spec_from_json(json::parse(p.rule_json, nullptr, false))) st.learned.push_back(*spec);
      st.patterns[p.key] = std::move(p);
    }
  } else {
    spdlog::warn("autonomy: grants and learned rules are kept for this run only: {}", db.message());
  }
  auto p = autonomy::policy::make(st.opts.cfg.builtin, st.opts.cfg.pins, st.learned, st.opts.cfg.limits);
  if (!p && !st.learned.empty()) {
    spdlog::error("autonomy: the learned rules do not compile; started without them: {}", p.message());
    st.learned.clear();
    p = autonomy::policy::make(st.opts.cfg.builtin, st.opts.cfg.pins, {}, st.opts.cfg.limits);
  }
  if (p) st.policy = std::make_unique<autonomy::policy>(std::move(*p));
  else {
    st.policy_error = p.message();
    spdlog::error("autonomy: the policy's rules do not compile; every tool call is denied: {}", st.policy_error);
  }
  return {
      [=](gate_atom, const std::string& payload, const std::string& task_id, trace_id trace,
          std::uint64_t parent) -> caf::result<std::string, std::string, std::string> {
        return decide_call(self, payload, task_id, trace, parent);
      },
      [=](gate_atom, const std::string& command_call, trace_id trace,
          std::uint64_t parent) -> caf::result<std::string, std::string, std::string> {
        return decide_command(self, command_call, trace, parent);
      },
      [=](approvals_atom, const std::string& op, const std::string& args) -> std::tuple<std::string, std::string, std::string> {
        if (op == "list") return list_approvals(self);
        if (op == "decide") return decide_approval(self, args);
        if (op == "show") return show_policy(self);
        if (op == "check") return check_call(self, args);
        if (op == "demote") return demote_rule(self, args);
        if (op == "withdraw") return withdraw_run(self, args);
        if (op == "permission") return permission_request(self, args);
        if (op == "reconfigure") return reconfigure(self, args);
        return coded(errc::bad_request, "unknown approvals operation '" + op + "'");
      },
      [=](hook_atom, const std::string& event, const std::string& payload) { session_event(self, event, payload); },
      [=](expire_atom, const std::string& id) {
        auto& st = self->state;
        auto it = st.pending.find(id);
        if (it == st.pending.end()) return;  // decided in time
        ++st.expired;
        const auto secs = st.opts.cfg.approval_timeout_ms / 1000.0;
        char shown[32];
        std::snprintf(shown, sizeof shown, "%g", secs);
        settle(it->second, "deny",
               std::string{"no one approved within "} + shown + " s (approval " + id + "; " + it->second.asked.decision.reason + ")",
               "expired", json::object());
        st.pending.erase(it);
      },
      [=](status_atom) {
        auto& st = self->state;
        return dump(json{{"decisions", st.decisions}, {"pending", st.pending.size()}, {"approved", st.approved},
                         {"denied", st.denied},       {"expired", st.expired},       {"grants", st.grants.size()},
                         {"promoted", st.promoted},   {"learned", st.learned.size()},
                         {"asked", st.asked.size()}});
      },
  };
}

}  // namespace

autonomy_actor spawn_autonomy_gate(caf::actor_system& sys, autonomy_gate_options opts) {
  return sys.spawn(gate_behavior, std::move(opts));
}

}  // namespace paios
