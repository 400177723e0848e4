#include "actors/hooks/hook_handler.hpp"

#include <algorithm>
#include <chrono>
#include <deque>
#include <memory>
#include <unordered_map>
#include <unordered_set>

#include <caf/all.hpp>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "actors/autonomy/autonomy_gate.hpp"
#include "actors/kb/kb_store.hpp"
#include "actors/names.hpp"
#include "actors/obs/obs_store.hpp"
#include "actors/supervisor/supervisor.hpp"
#include "core/content/envelope.hpp"
#include "core/hooks/hook_rules.hpp"
#include "core/autonomy/hook_gate.hpp"
#include "core/hooks/transcript.hpp"
#include "core/obs/event_sink.hpp"
#include "messages/caf_types.hpp"
#include "messages/hook_event.hpp"
#include "messages/ids.hpp"
#include "messages/redact.hpp"

namespace paios {
namespace {

using nlohmann::json;
using steady = std::chrono::steady_clock;
using promise = caf::typed_response_promise<std::string, std::string, std::string, std::string>;

constexpr auto kStoreTimeout = std::chrono::seconds(5);
constexpr auto kIngestTimeout = std::chrono::seconds(120);
constexpr std::size_t kMaxSessions = 10000;
constexpr std::size_t kStopTranscriptBytes = 1 << 20;  // the Stop gate reads the transcript's last MiB
constexpr int kLearningsListed = 200;
constexpr int kReplayQueryLimit = 10000;
constexpr std::int64_t kReplayLookbackMs = 10 * 60 * 1000;
// The Stop gate's counts are read back from the stored Stop events of this long ago at start (a session that
// has been quiet for a day starts its count again).
constexpr std::int64_t kGateLookbackMs = 24 * 60 * 60 * 1000;

// A member of outside data (a payload, a spool line), read without trusting its type.
std::string str_of(const json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string{};
}

// One hook event on its way through the handler.
struct hook_event_ctx {
  event_record event;
  std::string uid;
  std::string task_id;  // the daemon task whose agent made the call (PAIOS_TASK_ID), "" for a person's session
  json payload;
  json output = json::object();  // what `ai hook` prints
  json notes = json::object();   // what the handler decided, stored with the event
  bool replayed = false;
  std::int64_t spooled_ms = 0;

  std::string str(const char* key) const { return str_of(payload, key); }
};
using ctx_ptr = std::shared_ptr<hook_event_ctx>;

struct hook_state {
  hook_handler_options opts;
  std::unique_ptr<stop_gate> gate;
  std::unordered_map<std::string, int> blocks;  // Stop gate blocks, by session
  std::deque<std::string> sessions;             // in the order first blocked: the oldest is forgotten first
  bool replaying = false;
  bool gate_restored = false;  // the block counts of sessions before this start are read back
  std::int64_t events = 0, blocked = 0, ingested = 0, learnings = 0, replayed = 0, replay_skipped = 0, failures = 0;
  static inline const char* name = "hooks";
};

using hook_actor = caf::stateful_actor<hook_state>;

std::string basename_of(const std::string& path) {
  auto p = path;
  while (p.size() > 1 && p.back() == '/') p.pop_back();
  auto slash = p.rfind('/');
  return slash == std::string::npos ? p : p.substr(slash + 1);
}

// ---- After the event is stored: ingest and learnings ---------------------------------------------------------

void add_to_kb(hook_actor* self, const ctx_ptr& h, kb_request r, const char* action) {
  auto kb = registered_as<kb_store_actor>(self, kb_name::value);
  const auto started = now_us();
  const auto trace = h->event.trace;
  const auto parent = h->event.span;
  auto source = r.source;
  if (!kb) {
    ++self->state.failures;
    spdlog::warn("hooks: {} of {} skipped: the knowledge base is not running", action, source);
    emit_span("hook", action, trace, new_span_id(), parent, started, now_us(), "internal",
              json_object{}.str("source", source).str("error", "the knowledge base is not running").done());
    return;
  }
  const bool learning = r.kind == "learning";
  self->request(kb, kIngestTimeout, kb_add_atom::value, std::move(r))
      .then(
          [=](const std::string& code, const std::string& message, const std::string& body) {
            auto& st = self->state;
            if (!code.empty()) {
              ++st.failures;
              spdlog::warn("hooks: {} of {} failed: {}: {}", action, source, code, message);
              emit_span("hook", action, trace, new_span_id(), parent, started, now_us(), code,
                        json_object{}.str("source", source).str("error", message).done());
              return;
            }
            ++(learning ? st.learnings : st.ingested);
            emit_span("hook", action, trace, new_span_id(), parent, started, now_us(), "ok",
                      json_object::extend(body).str("source", source).done());
          },
          [=](caf::error& e) {
            ++self->state.failures;
            spdlog::warn("hooks: {} of {}: the knowledge base did not answer: {}", action, source, caf::to_string(e));
          });
}

void ingest_tool_result(hook_actor* self, const ctx_ptr& h) {
  std::string why;
  auto note = tool_note_of(self->state.opts.cfg, h->payload, why);
  if (!note) {
    spdlog::debug("hooks: PostToolUse not ingested: {}", why);
    return;
  }
  kb_request r;
  r.content = std::move(note->content);
  r.title = std::move(note->title);
  r.source = std::move(note->source);
  r.kind = "note";
  r.brain = "claude";
  r.session = h->str("session_id");
  r.project = h->str("cwd");
  r.topic = note->topic;
  r.tags = {"claude-code", "tool:" + note->topic};
  r.format = "text";
  add_to_kb(self, h, std::move(r), "ingest");
}

void leave_learning(hook_actor* self, const ctx_ptr& h) {
  const auto& cfg = self->state.opts.cfg;
  const auto path = h->str("transcript_path");
  const auto session = h->str("session_id");
  if (!cfg.learnings.enabled || path.empty()) return;
  auto summary = read_transcript(path, cfg.learnings.max_transcript_bytes);
  if (!summary) {
    spdlog::warn("hooks: no learning for session {}: {}", session, summary.message());
    return;
  }
  auto l = make_learning(*summary, session, h->str("cwd"), h->str("reason"));
  if (!l) return;  // nothing was asked
  kb_request r;
  r.content = std::move(l->content);
  r.title = std::move(l->title);
  r.source = "claude-code:session:" + (session.empty() ? h->uid : session);  // a resumed session's end replaces it
  r.kind = "learning";
  r.brain = "claude";
  r.session = session;
  r.project = h->str("cwd");
  r.topic = std::move(l->topic);
  r.tags = {"claude-code", "session-end"};
  r.format = "text";
  add_to_kb(self, h, std::move(r), "learning");
}

void after_stored(hook_actor* self, const ctx_ptr& h) {
  const auto& name = h->event.action;
  if (name == "PostToolUse") ingest_tool_result(self, h);
  else if (name == "SessionEnd") leave_learning(self, h);
}

// ---- Storing the event ---------------------------------------------------------------------------------------

// Stores the event; `done(code, message, body, event_json)` is called once, after the commit or on failure.
template <class Done>
void store(hook_actor* self, const ctx_ptr& h, Done done) {
  auto& st = self->state;
  auto payload = h->payload;
  shrink_strings(payload, st.opts.cfg.event_max_string_bytes);
  json data{{"uid", h->uid}, {"payload", std::move(payload)}};
  if (h->replayed) {
    data["replayed"] = true;
    data["spooled_ms"] = h->spooled_ms;
  }
  for (auto& [k, v] : h->notes.items()) data[k] = v;
  auto e = h->event;
  e.data_json = redact_json(data.dump(-1, ' ', false, json::error_handler_t::replace));
  if (e.status.empty()) e.status = "ok";
  auto obs = registered_as<obs_store_actor>(self, obs_name::value);
  if (!obs) return done(std::string{"internal"}, std::string{"the event store is not running"}, std::string{}, std::string{});
  self->request(obs, kStoreTimeout, publish_atom::value, e)
      .then(
          [=](const std::string& err, std::int64_t seq) mutable {
            if (!err.empty()) {
              ++self->state.failures;
              return done(std::string{"store_failed"}, "the hook event was not stored: " + err, std::string{}, std::string{});
            }
            ++self->state.events;
            e.seq = seq;
            auto body = json{{"event_id", event_id(seq)}, {"trace_id", to_hex(e.trace)}, {"output", h->output}};
            done(std::string{}, std::string{}, body.dump(-1, ' ', false, json::error_handler_t::replace),
                 json(e).dump(-1, ' ', false, json::error_handler_t::replace));
            after_stored(self, h);
          },
          [=](caf::error& err) mutable {
            ++self->state.failures;
            done(std::string{"internal"}, "the event store did not answer: " + caf::to_string(err), std::string{}, std::string{});
          });
}

// ---- Context for SessionStart and UserPromptSubmit -----------------------------------------------------------

// What one context search gathers; `then` runs once all answers are in (or have timed out).
struct gathering {
  std::vector<context_piece> learnings, articles;
  std::vector<context_piece> project_articles;  // of the project (cwd): they come first
  std::unordered_set<std::string> seen;  // article ids
  std::string project, topic;
  int pending = 0;
  bool timed_out = false;
  std::function<void()> then;

  void one_done() {
    if (--pending == 0 && then) {
      auto f = std::move(then);
      then = nullptr;
      f();
    }
  }
};
using gathering_ptr = std::shared_ptr<gathering>;

std::chrono::milliseconds left(steady::time_point deadline) {
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - steady::now());
  return std::max(ms, std::chrono::milliseconds{1});
}

// At most `max` search results of at least `min_score`, learnings or anything else, into `into`.
void gather_search(hook_actor* self, const kb_store_actor& kb, const gathering_ptr& g, steady::time_point deadline,
                   kb_request r, bool learnings, std::size_t max, double min_score,
                   std::vector<context_piece> gathering::*into_member) {
  ++g->pending;
  self->request(kb, left(deadline), kb_search_atom::value, std::move(r))
      .then(
          [=](const std::string& code, const std::string&, const std::string& body) {
            if (code.empty()) {
              auto j = json::parse(body, nullptr, false);
              auto& into = (*g).*into_member;
              std::size_t added = 0;
              if (j.is_object() && j.contains("results"))
                for (const auto& hit : j["results"]) {
                  if (added >= max) break;
                  auto id = hit.value("article_id", "");
                  bool is_learning = hit.value("kind", "") == "learning";
                  if (is_learning != learnings || hit.value("score", 0.0) < min_score || !g->seen.insert(id).second) continue;
                  into.push_back({hit.value("title", ""), "PAIOS " + std::string{learnings ? "learning " : "article "} + id +
                                                              (hit.value("source", "").empty() ? "" : " from " + hit.value("source", "")),
                                  hit.value("passage", "")});
                  ++added;
                }
            }
            g->one_done();
          },
          [=](caf::error&) {
            g->timed_out = true;
            g->one_done();
          });
}

// Calls `then(context)`, "" for none.
template <class Then>
void session_context(hook_actor* self, const ctx_ptr& h, Then then) {
  const auto& cfg = self->state.opts.cfg;
  auto kb = registered_as<kb_store_actor>(self, kb_name::value);
  if (!kb || cfg.context.budget_tokens <= 0) {
    h->notes["context"] = {{"pieces", 0}, {"why", kb ? "budget 0" : "the knowledge base is not running"}};
    return then(std::string{});
  }
  const auto deadline = steady::now() + std::chrono::milliseconds{cfg.context.timeout_ms};
  auto g = std::make_shared<gathering>();
  g->project = h->str("cwd");
  auto finish = [self, h, g, then] {
    const auto& cfg = self->state.opts.cfg;
    int used = 0;
    auto articles = std::move(g->project_articles);
    for (auto& a : g->articles) articles.push_back(std::move(a));
    if (articles.size() > static_cast<std::size_t>(cfg.context.max_articles)) articles.resize(cfg.context.max_articles);
    auto text = assemble_context(g->learnings, articles, g->project, g->topic,
                                 static_cast<std::size_t>(cfg.context.budget_tokens) * 4, used);
    h->notes["context"] = {{"pieces", used}, {"bytes", text.size()}, {"topic", g->topic}, {"timed_out", g->timed_out}};
    then(std::move(text));
  };
  const auto prompt = h->event.action == "UserPromptSubmit" ? h->str("prompt") : std::string{};
  const int max_learnings = cfg.context.max_learnings, max_articles = cfg.context.max_articles;
  const double min_score = cfg.context.min_score;
  if (!prompt.empty()) {
    // The prompt is the topic.
    g->topic = prompt;
    g->then = finish;
    ++g->pending;  // held until both searches are sent
    kb_request l;
    l.query = prompt;
    l.kind = "learning";
    l.k = max_learnings;
    if (max_learnings > 0)
      gather_search(self, kb, g, deadline, std::move(l), true, static_cast<std::size_t>(max_learnings), min_score,
                    &gathering::learnings);
    kb_request a;
    a.query = prompt;
    a.k = max_articles + max_learnings + 2;
    if (max_articles > 0)
      gather_search(self, kb, g, deadline, std::move(a), false, static_cast<std::size_t>(max_articles), min_score,
                    &gathering::articles);
    g->one_done();
    return;
  }
  // SessionStart: the project's newest learnings, whose topic is the project's recent topic; then learnings and
  // articles on that topic.
  kb_request list;
  list.kind = "learning";
  self->request(kb, left(deadline), list_atom::value, std::move(list), kLearningsListed)
      .then(
          [=](const std::string& code, const std::string&, const std::string& body) {
            std::vector<std::pair<std::string, std::string>> mine;  // id, topic
            if (code.empty()) {
              auto j = json::parse(body, nullptr, false);
              if (j.is_object() && j.contains("articles"))
                for (const auto& a : j["articles"])
                  if (a.value("project", "") == g->project && !g->project.empty() &&
                      static_cast<int>(mine.size()) < max_learnings)
                    mine.emplace_back(a.value("article_id", ""), a.value("topic", ""));
            }
            g->topic = !mine.empty() && !mine.front().second.empty() ? mine.front().second : basename_of(g->project);
            g->then = finish;
            ++g->pending;
            for (const auto& entry : mine) {
              const auto id = entry.first;
              g->seen.insert(id);
              ++g->pending;
              kb_request get;
              get.id = id;
              self->request(kb, left(deadline), kb_get_atom::value, std::move(get))
                  .then(
                      [=](const std::string& code, const std::string&, const std::string& body) {
                        if (code.empty()) {
                          auto j = json::parse(body, nullptr, false);
                          if (j.is_object() && j.contains("article")) {
                            const auto& a = j["article"];
                            std::string source;
                            auto text = unwrap_outside(a.value("content", ""), &source).value_or(std::string{});
                            if (!text.empty())
                              g->learnings.push_back({a.value("title", ""),
                                                      "PAIOS learning " + id + " (session " + a.value("session", "") + ")", text});
                          }
                        }
                        g->one_done();
                      },
                      [=](caf::error&) {
                        g->timed_out = true;
                        g->one_done();
                      });
            }
            if (!g->topic.empty()) {
              const auto others = max_learnings - static_cast<int>(mine.size());
              if (others > 0) {
                kb_request l;
                l.query = g->topic;
                l.kind = "learning";
                l.k = max_learnings;
                gather_search(self, kb, g, deadline, std::move(l), true, static_cast<std::size_t>(others), min_score,
                              &gathering::learnings);
              }
              if (max_articles > 0) {
                // The project's own articles (added with its path as project, or its tool results), whatever their
                // score; then any on the topic that score well enough.
                kb_request own;
                own.query = g->topic;
                own.project = g->project;
                own.k = max_articles + max_learnings + 2;
                gather_search(self, kb, g, deadline, std::move(own), false, static_cast<std::size_t>(max_articles), 0.0,
                              &gathering::project_articles);
                kb_request a;
                a.query = g->topic;
                a.k = max_articles + max_learnings + 2;
                gather_search(self, kb, g, deadline, std::move(a), false, static_cast<std::size_t>(max_articles), min_score,
                              &gathering::articles);
              }
            }
            g->one_done();
          },
          [=](caf::error&) {
            g->timed_out = true;
            finish();
          });
}

// ---- The Stop gate -------------------------------------------------------------------------------------------

void judge_stop(hook_actor* self, const ctx_ptr& h) {
  auto& st = self->state;
  const auto& cfg = st.opts.cfg;
  auto allow = [&](const char* why) { h->notes["gate"] = {{"decision", "allow"}, {"why", why}}; };
  if (!cfg.stop_gate.enabled) return allow("disabled");
  if (auto it = h->payload.find("stop_hook_active"); it != h->payload.end() && it->is_boolean() && it->get<bool>())
    return allow("stop_hook_active");
  const auto session = h->str("session_id");
  auto& count = st.blocks[session];
  if (count >= cfg.stop_gate.max_blocks_per_session) return allow("max_blocks_per_session");
  stop_input in;
  if (auto it = h->payload.find("last_assistant_message"); it != h->payload.end() && it->is_string())
    in.answer = it->get<std::string>();
  const auto path = h->str("transcript_path");
  if (!path.empty() && (!in.answer || cfg.stop_gate.open_todos)) {
    if (auto s = read_transcript(path, kStopTranscriptBytes)) {
      if (!in.answer) in.answer = s->last_answer;
      in.open_todos = std::move(s->open_todos);
    } else {
      spdlog::debug("hooks: Stop without the transcript: {}", s.message());
    }
  }
  auto v = st.gate->judge(in);
  if (!v.block) return allow("complete");
  if (count == 0) {
    st.sessions.push_back(session);
    if (st.sessions.size() > kMaxSessions) {
      st.blocks.erase(st.sessions.front());
      st.sessions.pop_front();
    }
  }
  ++count;
  ++st.blocked;
  h->output = {{"decision", "block"}, {"reason", v.reason}};
  h->notes["gate"] = {{"decision", "block"}, {"rule", v.rule}, {"detail", v.detail}, {"count", count}};
}

// ---- The tool-call gate (PreToolUse) -------------------------------------------------------------------------

// What runs when the gate gives a hook event no decision (not running, no answer in time, an error): the event
// says why, and `then` goes on with no output for Claude Code.
template <class Then>
auto without_decision(const ctx_ptr& h, Then then) {
  return [h, then](std::string why) mutable {
    spdlog::warn("hooks: {} without a decision: {}", h->event.action, why);
    h->notes["autonomy"] = {{"error", why}};
    then();
  };
}

// Asks the autonomy gate for the call's decision, which may wait for a person (a daemon task's pending
// approval); `then` runs once h->output holds Claude Code's answer. Without the gate (not running, or no
// answer in time) the hook gets no decision: Claude Code's own permission flow applies, and the event says why.
template <class Then>
void gate_tool_call(hook_actor* self, const ctx_ptr& h, Then then) {
  auto gate = registered_as<autonomy_actor>(self, autonomy_name::value);
  auto unavailable = without_decision(h, then);
  if (!gate) return unavailable("the autonomy gate is not running");
  self->request(gate, std::chrono::milliseconds{self->state.opts.gate_timeout_ms}, gate_atom::value,
                h->payload.dump(-1, ' ', false, json::error_handler_t::replace), h->task_id, h->event.trace, h->event.span)
      .then(
          [h, then](const std::string& permission, const std::string& reason, const std::string& notes) mutable {
            h->output = autonomy::pretooluse_output(permission, reason);
            auto n = json::parse(notes, nullptr, false);
            h->notes["autonomy"] = n.is_object() ? n : json::object();
            then();
          },
          [unavailable](caf::error& e) mutable { unavailable("the autonomy gate did not answer: " + caf::to_string(e)); });
}

// Claude Code is about to ask the person about a call (PermissionRequest): the gate answers for them where the
// policy is plain (allow safe, deny never); an `ask`, no gate or no answer in time leave the question to them.
template <class Then>
void gate_permission_request(hook_actor* self, const ctx_ptr& h, Then then) {
  auto gate = registered_as<autonomy_actor>(self, autonomy_name::value);
  auto unavailable = without_decision(h, then);
  if (!gate) return unavailable("the autonomy gate is not running");
  self->request(gate, std::chrono::milliseconds{self->state.opts.gate_timeout_ms}, approvals_atom::value,
                std::string{"permission"}, h->payload.dump(-1, ' ', false, json::error_handler_t::replace))
      .then(
          [h, then, unavailable](const std::string& code, const std::string& message, const std::string& body) mutable {
            if (!code.empty()) return unavailable(code + ": " + message);
            auto b = json::parse(body, nullptr, false);
            if (!b.is_object()) return unavailable("the autonomy gate's answer is not JSON");
            const auto behavior = b.value("behavior", "");
            if (!behavior.empty()) h->output = autonomy::permission_request_output(behavior, b.value("reason", ""));
            h->notes["autonomy"] = {{"level", b.value("level", "")}, {"rule", b.value("rule", "")},
                                    {"behavior", behavior}};
            then();
          },
          [unavailable](caf::error& e) mutable { unavailable("the autonomy gate did not answer: " + caf::to_string(e)); });
}

// What a person did with the calls of their session that the gate asked about shows in the hooks that follow:
// PostToolUse (or PostToolUseFailure) of a call, that they let it run; Stop, SessionEnd, UserPromptSubmit, that
// the calls still waiting were not. The gate hears them (no reply); a missing gate is no loss to the hook.
void tell_gate(hook_actor* self, const ctx_ptr& h) {
  static constexpr std::string_view kAfterCalls[] = {"PostToolUse", "PostToolUseFailure", "Stop", "SessionEnd",
                                                     "UserPromptSubmit"};
  const auto& name = h->event.action;
  if (std::find(std::begin(kAfterCalls), std::end(kAfterCalls), name) == std::end(kAfterCalls)) return;
  if (auto gate = registered_as<autonomy_actor>(self, autonomy_name::value))
    caf::anon_send(gate, hook_atom::value, name, h->payload.dump(-1, ' ', false, json::error_handler_t::replace));
}

// ---- One live hook event -------------------------------------------------------------------------------------

ctx_ptr context_of(event_record e, std::string& error) {
  auto h = std::make_shared<hook_event_ctx>();
  auto data = json::parse(e.data_json, nullptr, false);
  if (!data.is_object() || !data.contains("payload") || !data["payload"].is_object()) {
    error = "a hook event's data must be {uid, payload: {...}}";
    return nullptr;
  }
  h->uid = str_of(data, "uid");
  if (h->uid.empty()) h->uid = to_hex(new_trace()).substr(0, 16);
  h->task_id = str_of(data, "task_id");
  if (!h->task_id.empty()) h->notes["task_id"] = h->task_id;
  h->payload = std::move(data["payload"]);
  h->event = std::move(e);
  return h;
}

promise handle(hook_actor* self, event_record& e) {
  auto rp = self->make_response_promise<std::string, std::string, std::string, std::string>();
  std::string error;
  auto h = context_of(std::move(e), error);
  if (!h) {
    rp.deliver(std::string{"bad_request"}, error, std::string{}, std::string{});
    return rp;
  }
  auto reply = [rp](std::string code, std::string message, std::string body, std::string event_json) mutable {
    rp.deliver(std::move(code), std::move(message), std::move(body), std::move(event_json));
  };
  const auto& name = h->event.action;
  const auto& cfg = self->state.opts.cfg;
  tell_gate(self, h);
  if (name == "SessionStart" || (name == "UserPromptSubmit" && cfg.context.prompt_context)) {
    session_context(self, h, [self, h, reply](std::string context) {
      if (!context.empty())
        h->output = {{"hookSpecificOutput", {{"hookEventName", h->event.action}, {"additionalContext", std::move(context)}}}};
      store(self, h, reply);
    });
    return rp;
  }
  if (name == "PreToolUse") {
    gate_tool_call(self, h, [self, h, reply] { store(self, h, reply); });
    return rp;
  }
  if (name == "PermissionRequest") {
    gate_permission_request(self, h, [self, h, reply] { store(self, h, reply); });
    return rp;
  }
  if (name == "Stop" || name == "SubagentStop") {
    if (name == "Stop") judge_stop(self, h);
  }
  store(self, h, reply);
  return rp;
}

// ---- Spool replay --------------------------------------------------------------------------------------------

struct replay_run {
  std::vector<ctx_ptr> entries;
  std::unordered_set<std::string> stored;  // uids the event store has
  std::size_t pending = 0, failed = 0, skipped = 0;
};
using replay_ptr = std::shared_ptr<replay_run>;

void replay_done(hook_actor* self, const replay_ptr& run) {
  auto& st = self->state;
  st.replaying = false;
  if (run->failed > 0) {
    spdlog::warn("hooks: spool replay: {} of {} events could not be stored; kept for the next replay", run->failed,
                 run->entries.size());
    return;
  }
  if (auto done = st.opts.spool.finish(); !done) spdlog::warn("hooks: spool replay: {}", done.message());
  spdlog::info("hooks: spool replayed: {} events stored, {} already stored", run->entries.size() - run->skipped,
               run->skipped);
}

void replay_store(hook_actor* self, const replay_ptr& run) {
  for (auto& h : run->entries) {
    if (run->stored.count(h->uid)) {
      ++run->skipped;
      ++self->state.replay_skipped;
      continue;
    }
    ++run->pending;
  }
  if (run->pending == 0) return replay_done(self, run);
  for (auto& h : run->entries) {
    if (run->stored.count(h->uid)) continue;
    run->stored.insert(h->uid);  // a uid twice in the spool is stored once
    store(self, h, [self, run](std::string code, std::string message, std::string, std::string) {
      if (!code.empty()) {
        ++run->failed;
        spdlog::warn("hooks: spool replay: {}: {}", code, message);
      } else {
        ++self->state.replayed;
      }
      if (--run->pending == 0) replay_done(self, run);
    });
  }
}

// The uids of hook events stored since `q.since_us`, page by page; then the replay goes on.
void find_stored(hook_actor* self, const replay_ptr& run, event_query q) {
  auto obs = registered_as<obs_store_actor>(self, obs_name::value);
  if (!obs) {
    self->state.replaying = false;
    spdlog::warn("hooks: spool replay postponed: the event store is not running");
    return;
  }
  self->request(obs, kStoreTimeout, query_atom::value, q)
      .then(
          [=](const std::string& err, const std::vector<event_record>& es) mutable {
            if (!err.empty()) {
              self->state.replaying = false;
              spdlog::warn("hooks: spool replay postponed: {}", err);
              return;
            }
            for (const auto& e : es) {
              auto d = json::parse(e.data_json, nullptr, false);
              if (d.is_object() && d.contains("uid") && d["uid"].is_string()) run->stored.insert(d["uid"].get<std::string>());
            }
            if (static_cast<int>(es.size()) == q.limit && !es.empty()) {
              q.before_seq = es.back().seq;
              return find_stored(self, run, q);
            }
            replay_store(self, run);
          },
          [=](caf::error& e) {
            self->state.replaying = false;
            spdlog::warn("hooks: spool replay postponed: the event store did not answer: {}", caf::to_string(e));
          });
}

void replay_spool(hook_actor* self) {
  auto& st = self->state;
  if (st.replaying || !st.opts.spool.pending()) return;
  auto lines = st.opts.spool.take();
  if (!lines) {
    spdlog::warn("hooks: spool replay: {}", lines.message());
    return;
  }
  auto run = std::make_shared<replay_run>();
  std::int64_t oldest = now_ms();
  std::size_t bad = 0;
  for (auto& line : *lines) {
    auto j = json::parse(line, nullptr, false);
    auto name = j.is_object() ? canonical_hook_event(str_of(j, "event")) : std::nullopt;
    if (!name || !j.contains("payload") || !j["payload"].is_object()) {
      ++bad;
      continue;
    }
    auto h = std::make_shared<hook_event_ctx>();
    h->replayed = true;
    h->uid = str_of(j, "uid");
    if (h->uid.empty()) h->uid = to_hex(new_trace()).substr(0, 16);
    h->spooled_ms = j.contains("spooled_ms") && j["spooled_ms"].is_number_integer() ? j["spooled_ms"].get<std::int64_t>() : 0;
    if (h->spooled_ms > 0) oldest = std::min(oldest, h->spooled_ms);
    h->payload = std::move(j["payload"]);
    h->event.category = "hook";
    h->event.action = *name;
    h->event.trace = new_trace();
    h->event.span = new_span_id();
    h->event.time_us = now_us();
    run->entries.push_back(std::move(h));
  }
  if (bad > 0) spdlog::warn("hooks: spool replay: {} lines were not hook events; dropped", bad);
  if (run->entries.empty()) {
    if (auto done = st.opts.spool.finish(); !done) spdlog::warn("hooks: spool replay: {}", done.message());
    return;
  }
  st.replaying = true;
  spdlog::info("hooks: replaying {} spooled hook events", run->entries.size());
  event_query q;
  q.category = "hook";
  q.since_us = (oldest - kReplayLookbackMs) * 1000;
  q.limit = kReplayQueryLimit;
  find_stored(self, run, q);
}

// Reads the Stop gate's counts back from the stored Stop events (each block's event data holds gate.count, the
// session's count after it), page by page, so that a restarted daemon does not block a session more than
// max_blocks_per_session times. The answer is awaited: hook events wait in the mailbox until the counts are
// back (at most the store's timeout); if the store does not answer, ticks try again.
void restore_gate_counts(hook_actor* self, event_query q) {
  auto obs = registered_as<obs_store_actor>(self, obs_name::value);
  if (!obs) return;
  self->request(obs, kStoreTimeout, query_atom::value, q)
      .await(
          [=](const std::string& err, const std::vector<event_record>& es) mutable {
            if (!err.empty()) return spdlog::warn("hooks: the Stop gate's counts are not read back yet: {}", err);
            auto& st = self->state;
            for (const auto& e : es) {
              auto d = json::parse(e.data_json, nullptr, false);
              if (!d.is_object() || !d.contains("gate") || !d.contains("payload")) continue;
              const auto& gate = d["gate"];
              if (!gate.is_object() || gate.value("decision", "") != "block" || !gate.contains("count")) continue;
              const auto session = str_of(d["payload"], "session_id");
              if (session.empty() || !gate["count"].is_number_integer()) continue;
              auto [it, fresh] = st.blocks.try_emplace(session, 0);
              if (fresh) st.sessions.push_back(session);
              it->second = std::max(it->second, gate["count"].get<int>());
            }
            if (static_cast<int>(es.size()) == q.limit && !es.empty()) {
              q.before_seq = es.back().seq;
              return restore_gate_counts(self, q);
            }
            while (st.sessions.size() > kMaxSessions) {
              st.blocks.erase(st.sessions.front());
              st.sessions.pop_front();
            }
            st.gate_restored = true;
          },
          [=](caf::error& e) {
            spdlog::warn("hooks: the Stop gate's counts are not read back yet: {}", caf::to_string(e));
          });
}

event_query gate_query() {
  event_query q;
  q.category = "hook";
  q.action = "Stop";
  q.since_us = (now_ms() - kGateLookbackMs) * 1000;
  q.limit = kReplayQueryLimit;
  return q;
}

caf::behavior hook_behavior(hook_actor* self, hook_handler_options opts) {
  guard_actor(self, "hooks");
  auto& st = self->state;
  st.opts = std::move(opts);
  st.gate = std::make_unique<stop_gate>(st.opts.cfg);
  // The spool is taken at once (what a stopped daemon left), before the gate's counts are awaited.
  replay_spool(self);
  restore_gate_counts(self, gate_query());
  self->delayed_send(self, std::chrono::milliseconds{st.opts.spool_check_ms}, tick_atom::value);
  return {
      [=](hook_atom, event_record& e) -> caf::result<std::string, std::string, std::string, std::string> {
        return handle(self, e);
      },
      [=](tick_atom) {
        if (!self->state.gate_restored) restore_gate_counts(self, gate_query());
        replay_spool(self);
        self->delayed_send(self, std::chrono::milliseconds{self->state.opts.spool_check_ms}, tick_atom::value);
      },
      [=](status_atom) {
        auto& st = self->state;
        return json{{"events", st.events},       {"blocked", st.blocked},   {"ingested", st.ingested},
                    {"learnings", st.learnings}, {"replayed", st.replayed}, {"replay_skipped", st.replay_skipped},
                    {"failures", st.failures},   {"spool_pending", st.opts.spool.pending()}}
            .dump();
      },
  };
}

}  // namespace

caf::actor spawn_hook_handler(caf::actor_system& sys, hook_handler_options opts) {
  return sys.spawn<caf::detached>(hook_behavior, std::move(opts));
}

}  // namespace paios
