#include "actors/brain/brain.hpp"

#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <cstring>
#include <deque>
#include <filesystem>
#include <unordered_map>

#include <caf/all.hpp>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "actors/dispatcher/dispatcher.hpp"
#include "actors/kb/kb_store.hpp"
#include "actors/names.hpp"
#include "actors/supervisor/supervisor.hpp"
#include "core/hooks/agent_gate_settings.hpp"
#include "core/hooks/claude_hook_settings.hpp"
#include "core/obs/event_sink.hpp"
#include "core/obs/metrics.hpp"
#include "core/process/output_adapter.hpp"
#include "core/process/process_runner.hpp"
#include "messages/caf_types.hpp"
#include "messages/ids.hpp"

namespace paios {
namespace {

struct running_call {
  task_spec spec;
  std::int64_t started_ms = 0;
  std::unique_ptr<process_runner> runner;  // empty for echo
  std::uint64_t span = 0;                  // the call's span, a child of the task's
  std::int64_t started_us = 0;
  caf::actor peer;                         // mcp: the server's client, told of a cancel
};

struct brain_state {
  brain_config cfg;
  brain_gate gate;
  std::string gate_settings;  // gemini: the system settings file that holds its hook (written at start)
  std::string gate_error;     // why the gate cannot be installed ("" when it can)
  std::deque<task_spec> queue;
  std::unordered_map<std::string, running_call> running;
  std::uint64_t calls = 0;
  std::uint64_t failures = 0;
  static inline const char* name = "brain";
};

using brain_actor = caf::stateful_actor<brain_state>;

// The span of one call (category brain, action call), under the task's span; status "ok" or the error code.
void call_span(const brain_state& st, const task_spec& spec, std::uint64_t span, std::int64_t started_us,
               const task_update& u) {
  auto trace = parse_trace_id(spec.trace_id);
  if (!trace) return;
  json_object data;
  data.str("brain", st.cfg.name).str("task_id", spec.id);
  if (st.cfg.kind == "process") data.num("exit_code", u.exit_code);
  if (u.error != errc::none) data.str("message", u.message);
  emit_span("brain", "call", *trace, span, spec.span_id, started_us, now_us(),
            u.error == errc::none ? std::string_view{"ok"} : to_string(u.error), data.done());
}

// An outcome for a call that never started (unavailable, over the queue, cancelled while queued).
void refuse_call(brain_actor* self, const task_spec& spec, task_update u);

void to_dispatcher(brain_actor* self, task_update u) {
  if (u.state != task_state::succeeded) ++self->state.failures;
  auto d = registered_as<dispatcher_actor>(self, dispatch_name::value);
  if (d) self->send(d, outcome_atom::value, std::move(u));
}

task_update make_outcome(const brain_state& st, const std::string& task_id, task_state s, errc e,
                         std::string message) {
  task_update u;
  u.what = e == errc::none ? task_update::kind::result : task_update::kind::error;
  u.task_id = task_id;
  u.brain = st.cfg.name;
  u.state = s;
  u.error = e;
  u.message = std::move(message);
  return u;
}

std::string last_line(const std::string& text) {
  auto end = text.find_last_not_of(" \n\r\t");
  if (end == std::string::npos) return {};
  auto start = text.find_last_of('\n', end);
  return text.substr(start == std::string::npos ? 0 : start + 1, end - (start == std::string::npos ? 0 : start + 1) + 1);
}

// Turns how the child ended, and what its output said, into the task's outcome.
task_update outcome_of(const brain_config& cfg, const std::string& task_id, const process_exit& x,
                       const adapter_result& out) {
  task_update u;
  u.task_id = task_id;
  u.brain = cfg.name;
  u.what = task_update::kind::error;
  u.state = task_state::failed;
  u.error = errc::brain_failed;
  u.exit_code = x.code;
  u.duration_ms = x.run_us / 1000;
  auto tail = last_line(x.stderr_tail);
  switch (x.what) {
    case process_exit::how::spawn_failed:
      u.error = errc::brain_unavailable;
      u.message = x.error.message();
      return u;
    case process_exit::how::timed_out:
      u.state = task_state::timed_out;
      u.error = errc::timeout;
      u.message = "gave no complete answer within the task's timeout";
      return u;
    case process_exit::how::cancelled:
      u.state = task_state::cancelled;
      u.error = errc::cancelled;
      u.message = "cancelled";
      return u;
    case process_exit::how::signaled:
      u.message = "was killed by signal " + std::to_string(x.signal) + " (" + strsignal(x.signal) + ")";
      if (!tail.empty()) u.message += ": " + tail;
      return u;
    case process_exit::how::exited: break;
  }
  if (x.code != 0) {
    u.message = "exited with status " + std::to_string(x.code);
    if (!out.error.message().empty()) u.message += ": " + out.error.message();
    else if (!tail.empty()) u.message += ": " + tail;
    return u;
  }
  if (!out.error) {
    u.message = "reported an error: " + (out.error.message().empty() ? out.text : out.error.message());
    return u;
  }
  u.what = task_update::kind::result;
  u.state = task_state::succeeded;
  u.error = errc::none;
  u.text = out.text;
  return u;
}

void start_next(brain_actor* self);

void refuse_call(brain_actor* self, const task_spec& spec, task_update u) {
  call_span(self->state, spec, 0, now_us(), u);
  to_dispatcher(self, std::move(u));
}

// `ai hook` waits for a pending approval up to approval_timeout_ms and 15 s (cli/hook.cpp): Claude Code must wait
// longer still, or it would abandon the hook (and then deny, in dontAsk) before the person's answer arrives.
constexpr std::int64_t kHookMarginS = 30;

// Which agent CLI a gated brain runs, told by its output format (config/brains_config.cpp allows no other).
enum class gated_agent { claude, codex, gemini };
gated_agent agent_of(const brain_config& cfg) {
  if (cfg.format == "codex-jsonl") return gated_agent::codex;
  if (cfg.format == "gemini-json") return gated_agent::gemini;
  return gated_agent::claude;
}

// Claude Code runs identical hook commands once, so its run's hook is the very text `ai hooks install` writes; Codex
// and Gemini get a distinct one (--run-gate, with PAIOS_RUN_GATE in the environment: cli/hook.hpp).
std::string gate_hook_command(const brain_gate& g, const char* agent) {
  return hook_command(g.ai_path, g.name_home ? g.home : std::string{}, "pre-tool-use", agent, *agent != '\0');
}

std::int64_t gate_timeout_s(const brain_gate& g) { return (g.approval_timeout_ms + 999) / 1000 + kHookMarginS; }

// The agent's arguments (and, for Gemini, the environment) that install the gate in one run.
void install_gate(const brain_state& st, process_spec& ps) {
  switch (agent_of(st.cfg)) {
    case gated_agent::claude:
      for (auto& a : claude_gate_arguments(gate_hook_command(st.gate, ""), gate_timeout_s(st.gate)))
        ps.argv.push_back(std::move(a));
      break;
    case gated_agent::codex:
      for (auto& a : codex_gate_arguments(gate_hook_command(st.gate, "codex"), gate_timeout_s(st.gate)))
        ps.argv.push_back(std::move(a));
      ps.env.emplace_back("PAIOS_RUN_GATE", "codex");
      break;
    case gated_agent::gemini:
      // yolo: Gemini runs every tool without asking, and the hook's deny is what stops one. In its default mode a
      // headless run is not even offered the shell and write tools, and a hook cannot allow them.
      ps.argv.insert(ps.argv.end(), {"--approval-mode", "yolo"});
      ps.env.emplace_back("GEMINI_CLI_SYSTEM_SETTINGS_PATH", st.gate_settings);
      ps.env.emplace_back("PAIOS_RUN_GATE", "gemini");
      break;
  }
}

// Writes what the gate needs on disk (Gemini's settings file) once, at start; the reason it cannot, or "".
void prepare_gate(brain_state& st) {
  if (!st.cfg.autonomy_gate || agent_of(st.cfg) != gated_agent::gemini || st.gate.ai_path.empty()) return;
  std::error_code ec;
  const auto dir = std::filesystem::path(st.gate.home) / "run";
  std::filesystem::create_directories(dir, ec);
  auto written = write_gemini_gate_settings((dir / "gemini-gate-settings.json").string(),
                                            gate_hook_command(st.gate, "gemini"), gate_timeout_s(st.gate) * 1000);
  if (written)
    st.gate_settings = *written;
  else
    st.gate_error = "the autonomy gate cannot be installed for Gemini CLI: " + written.message() +
                    " (run paiosd as root with PAIOS_HOME in such a folder, or set autonomy_gate false)";
}

void start_process(brain_actor* self, task_spec spec) {
  auto& st = self->state;
  auto adapter = std::shared_ptr<output_adapter>(make_output_adapter(st.cfg.format));
  process_spec ps;
  ps.argv = st.cfg.command;
  ps.stdin_data = spec.prompt;
  ps.env = st.cfg.env;
  if (st.cfg.autonomy_gate) {
    // The hook must reach this daemon, whatever the brain's env says.
    ps.env.erase(std::remove_if(ps.env.begin(), ps.env.end(),
                                [](const auto& kv) {
                                  return kv.first == "PAIOS_HOME" || kv.first == "GEMINI_CLI_SYSTEM_SETTINGS_PATH" ||
                                         kv.first == "PAIOS_RUN_GATE";
                                }),
                 ps.env.end());
    ps.env.emplace_back("PAIOS_HOME", st.gate.home);
    install_gate(st, ps);
  }
  ps.env.emplace_back("PAIOS_TASK_ID", spec.id);
  ps.env.emplace_back("PAIOS_TRACE_ID", spec.trace_id);
  const auto span = new_span_id();
  // The agent (and the hooks it runs) can continue the trace: W3C's environment-variable carrier.
  if (auto trace = parse_trace_id(spec.trace_id)) ps.env.emplace_back("TRACEPARENT", format_traceparent(*trace, span));
  ps.cwd = st.cfg.cwd;
  ps.timeout = std::chrono::milliseconds{spec.timeout_ms > 0 ? spec.timeout_ms : st.cfg.timeout_ms};
  ps.kill_grace = std::chrono::milliseconds{st.cfg.kill_grace_ms};
  caf::actor me = caf::actor_cast<caf::actor>(self);
  auto id = spec.id;
  auto cfg = st.cfg;
  // Both callbacks run on the runner's thread: they parse there and only post results to this actor.
  auto on_stdout = [me, id, adapter](std::string_view bytes) {
    std::vector<std::string> chunks;
    adapter->feed(bytes, chunks);
    for (auto& c : chunks) caf::anon_send(me, chunk_atom::value, id, std::move(c));
  };
  auto on_exit = [me, id, adapter, cfg](process_exit x) {
    auto out = adapter->finish();
    caf::anon_send(me, outcome_atom::value, outcome_of(cfg, id, x, out));
  };
  running_call call{spec, now_ms(), nullptr, span, now_us(), {}};
  auto [it, _] = st.running.emplace(spec.id, std::move(call));
  it->second.runner = process_runner::start(std::move(ps), std::move(on_stdout), std::move(on_exit));
}

void tell_started(brain_actor* self, const std::string& id) {
  if (auto d = registered_as<dispatcher_actor>(self, dispatch_name::value))
    self->send(d, started_atom::value, id);
}

// The kb brain's answer: the best passages of the knowledge base and where each comes from.
std::string kb_answer(const std::string& body) {
  auto j = nlohmann::json::parse(body, nullptr, false);
  const auto results = j.is_object() ? j.value("results", nlohmann::json::array()) : nlohmann::json::array();
  if (results.empty())
    return "The knowledge base has nothing on this yet. Add documents with `ai kb add PATH` (a file, a folder, a URL "
           "or - for stdin), then ask again.\n";
  std::string out = "From the knowledge base:\n";
  int n = 0;
  for (const auto& r : results) {
    auto passage = r.value("passage", "");
    constexpr std::size_t kMaxPassage = 700;
    if (passage.size() > kMaxPassage) {
      auto cut = passage.rfind(' ', kMaxPassage);
      passage = passage.substr(0, cut == std::string::npos ? kMaxPassage : cut) + " …";
    }
    out += "\n[" + std::to_string(++n) + "] " + r.value("title", "") + "  (" +
           (r.value("source", "").empty() ? r.value("article_id", "") : r.value("source", "")) + ")\n" + passage + "\n";
  }
  return out;
}

// A kb call: a search of the knowledge base, answered through the outcome handler like a process's exit.
void start_kb(brain_actor* self, task_spec spec) {
  auto& st = self->state;
  auto id = spec.id;
  auto kb = registered_as<kb_store_actor>(self, kb_name::value);
  kb_request q;
  q.query = spec.prompt;
  q.k = 3;
  tell_started(self, id);
  st.running.emplace(id, running_call{std::move(spec), now_ms(), nullptr, new_span_id(), now_us(), {}});
  caf::actor me = caf::actor_cast<caf::actor>(self);
  if (!kb) {
    caf::anon_send(me, outcome_atom::value,
                   make_outcome(st, id, task_state::failed, errc::brain_unavailable, "the knowledge base is not running"));
    return;
  }
  self->request(kb, std::chrono::seconds(30), kb_search_atom::value, std::move(q))
      .then(
          [self, me, id](const std::string& code, const std::string& message, const std::string& body) {
            auto& st = self->state;
            if (!code.empty()) {
              caf::anon_send(me, outcome_atom::value,
                             make_outcome(st, id, task_state::failed, errc::brain_failed, message));
              return;
            }
            auto text = kb_answer(body);
            caf::anon_send(me, chunk_atom::value, id, text);
            auto u = make_outcome(st, id, task_state::succeeded, errc::none, {});
            u.text = std::move(text);
            caf::anon_send(me, outcome_atom::value, std::move(u));
          },
          [self, me, id](caf::error& e) {
            caf::anon_send(me, outcome_atom::value,
                           make_outcome(self->state, id, task_state::failed, errc::brain_failed,
                                        "the knowledge base did not answer: " + caf::to_string(e)));
          });
}

// An mcp brain's answer: the text items of the tool's result, in order (other items named); structuredContent
// when the result has no text.
std::string mcp_answer(const nlohmann::json& result) {
  std::string out;
  for (const auto& item : result.value("content", nlohmann::json::array())) {
    if (!item.is_object()) continue;
    const auto type = item.value("type", "");
    std::string part = type == "text" ? item.value("text", "")
                       : type == "resource_link" ? "[" + item.value("uri", std::string{"resource"}) + "]"
                       : type == "resource" && item.contains("resource") && item["resource"].is_object()
                           ? item["resource"].value("text", "[" + item["resource"].value("uri", std::string{"resource"}) + "]")
                           : "[" + type + "]";
    out += (out.empty() ? "" : "\n") + part;
  }
  if (out.empty() && result.contains("structuredContent")) out = result["structuredContent"].dump();
  return out;
}

// The outcome of an mcp call from the MCP client's answer: (code, message, the CallToolResult).
task_update mcp_outcome(const brain_state& st, const std::string& id, const std::string& code, const std::string& message,
                        const std::string& body) {
  if (!code.empty()) {
    auto e = errc_from_string(code).value_or(errc::brain_failed);
    if (e == errc::timeout) return make_outcome(st, id, task_state::timed_out, errc::timeout, message);
    if (e == errc::cancelled) return make_outcome(st, id, task_state::cancelled, errc::cancelled, "cancelled");
    // A server that is not running, or lacks the tool, cannot take the task: the chain moves on.
    auto as = e == errc::not_found || message.find("is not running") != std::string::npos ? errc::brain_unavailable
                                                                                            : errc::brain_failed;
    return make_outcome(st, id, task_state::failed, as, message);
  }
  auto result = nlohmann::json::parse(body, nullptr, false);
  auto text = result.is_object() ? mcp_answer(result) : std::string{};
  if (result.is_object() && result.value("isError", false))
    return make_outcome(st, id, task_state::failed, errc::brain_failed, "reported an error: " + text);
  auto u = make_outcome(st, id, task_state::succeeded, errc::none, {});
  u.text = std::move(text);
  return u;
}

// An mcp call: one tool of an MCP server with the prompt as an argument, answered through the outcome handler.
void start_mcp(brain_actor* self, task_spec spec) {
  auto& st = self->state;
  auto id = spec.id;
  auto timeout = std::chrono::milliseconds{spec.timeout_ms > 0 ? spec.timeout_ms : st.cfg.timeout_ms};
  auto args = nlohmann::json::parse(st.cfg.arguments, nullptr, false);
  if (!args.is_object()) args = nlohmann::json::object();
  args[st.cfg.prompt_argument] = spec.prompt;
  st.running.emplace(id, running_call{std::move(spec), now_ms(), nullptr, new_span_id(), now_us(), {}});
  caf::actor me = caf::actor_cast<caf::actor>(self);
  auto fail = [self, me, id](errc e, const std::string& why) {
    caf::anon_send(me, outcome_atom::value, make_outcome(self->state, id, task_state::failed, e, why));
  };
  auto sup = registered(self, mcp_name::value);
  if (!sup) return fail(errc::brain_unavailable, "the MCP clients are not running");
  const auto key = brain_child_name(st.cfg.name) + "/" + id;
  self->request(sup, std::chrono::seconds(5), whereis_atom::value, mcp_child_name(st.cfg.server))
      .then(
          [self, me, id, key, timeout, fail, args = args.dump()](const caf::actor& client) {
            auto it = self->state.running.find(id);
            if (it == self->state.running.end()) return;  // cancelled meanwhile
            it->second.peer = client;
            self->request(client, timeout, mcp_call_atom::value, self->state.cfg.tool, args, key)
                .then(
                    [self, me, id](const std::string& code, const std::string& message, const std::string& body) {
                      auto u = mcp_outcome(self->state, id, code, message, body);
                      if (u.what == task_update::kind::result) caf::anon_send(me, chunk_atom::value, id, u.text);
                      caf::anon_send(me, outcome_atom::value, std::move(u));
                    },
                    [self, me, id, client, key](caf::error& e) {
                      if (e == caf::sec::request_timeout) {
                        self->send(client, cancel_atom::value, key);  // the server stops too
                        caf::anon_send(me, outcome_atom::value,
                                       make_outcome(self->state, id, task_state::timed_out, errc::timeout,
                                                    "gave no complete answer within the task's timeout"));
                        return;
                      }
                      caf::anon_send(me, outcome_atom::value,
                                     make_outcome(self->state, id, task_state::failed, errc::brain_failed,
                                                  "the MCP client did not answer: " + caf::to_string(e)));
                    });
          },
          [fail, server = st.cfg.server](caf::error&) {
            fail(errc::brain_unavailable, "the MCP server " + server + " is not running");
          });
}

// An agent that acts on the world (a process, an MCP tool) starts only once its task is stored as running: a
// task that was still queued when the daemon died runs at the next start, one that had started never runs
// again (it is interrupted). Meanwhile the call holds its slot, and a cancel ends it before it starts.
void start_once_running(brain_actor* self, task_spec spec, void (*start_agent)(brain_actor*, task_spec)) {
  auto& st = self->state;
  auto id = spec.id;
  st.running.emplace(id, running_call{std::move(spec), now_ms(), nullptr, 0, now_us(), {}});
  caf::actor me = caf::actor_cast<caf::actor>(self);
  auto not_stored = [self, me, id](const std::string& why) {
    caf::anon_send(me, outcome_atom::value,
                   make_outcome(self->state, id, task_state::failed, errc::store_failed,
                                "the task's start could not be stored, so its agent did not run: " + why));
  };
  auto d = registered_as<dispatcher_actor>(self, dispatch_name::value);
  if (!d) return not_stored("the dispatcher is not running");
  self->request(d, caf::infinite, running_atom::value, id)
      .then(
          [self, id, start_agent, not_stored](const std::string& err) {
            auto it = self->state.running.find(id);
            if (it == self->state.running.end()) return;  // cancelled meanwhile
            if (!err.empty()) return not_stored(err);
            auto spec = std::move(it->second.spec);
            self->state.running.erase(it);
            start_agent(self, std::move(spec));
          },
          [not_stored](caf::error& e) { not_stored("the dispatcher did not answer: " + caf::to_string(e)); });
}

void start(brain_actor* self, task_spec spec) {
  auto& st = self->state;
  ++st.calls;
  if (st.cfg.kind == "kb") return start_kb(self, std::move(spec));
  if (st.cfg.kind == "mcp") return start_once_running(self, std::move(spec), start_mcp);
  if (st.cfg.kind == "echo") {
    if (st.cfg.delay_ms <= 0) {
      const auto started_us = now_us();
      auto d = registered_as<dispatcher_actor>(self, dispatch_name::value);
      if (d) self->send(d, chunk_atom::value, spec.id, spec.prompt);
      auto u = make_outcome(st, spec.id, task_state::succeeded, errc::none, {});
      call_span(st, spec, new_span_id(), started_us, u);
      u.text = std::move(spec.prompt);
      to_dispatcher(self, std::move(u));
      return;
    }
    auto id = spec.id;
    tell_started(self, id);
    st.running.emplace(id, running_call{std::move(spec), now_ms(), nullptr, new_span_id(), now_us(), {}});
    self->delayed_send(self, std::chrono::milliseconds{st.cfg.delay_ms}, tick_atom::value, id);
    return;
  }
  start_once_running(self, std::move(spec), start_process);
}

// The queue depth and running calls, as gauges: after every change.
void report_load(const brain_state& st) {
  metrics::set("paios_brain_queue_depth", {{"brain", st.cfg.name}}, static_cast<double>(st.queue.size()));
  metrics::set("paios_brain_running", {{"brain", st.cfg.name}}, static_cast<double>(st.running.size()));
}

void start_next(brain_actor* self) {
  auto& st = self->state;
  while (!st.queue.empty() && st.running.size() < static_cast<std::size_t>(st.cfg.max_concurrent)) {
    auto spec = std::move(st.queue.front());
    st.queue.pop_front();
    start(self, std::move(spec));
  }
  report_load(st);
}

// A missing program is found before anything is queued, so that the task fails over at once.
std::string unavailable_reason(const brain_state& st) {
  const auto& cfg = st.cfg;
  const auto& gate = st.gate;
  if (cfg.kind != "process") return {};
  if (cfg.command.empty()) return "no command configured";
  if (auto why = program_missing(cfg.command.front()); !why.empty()) return why;
  if (!make_output_adapter(cfg.format)) return "unknown output format '" + cfg.format + "'";
  if (cfg.autonomy_gate && (gate.ai_path.empty() || ::access(gate.ai_path.c_str(), X_OK) != 0))
    return "the autonomy gate needs the ai binary, " +
           (gate.ai_path.empty() ? std::string{"found neither beside paiosd nor in the build tree"}
                                 : "and " + gate.ai_path + " is not executable") +
           " (set hooks.ai_path, or autonomy_gate false)";
  if (cfg.autonomy_gate) return st.gate_error;
  return {};
}

caf::behavior brain_behavior(brain_actor* self, brain_config cfg, brain_gate gate) {
  guard_actor(self, brain_child_name(cfg.name));
  self->state.cfg = std::move(cfg);
  self->state.gate = std::move(gate);
  prepare_gate(self->state);
  auto reason = unavailable_reason(self->state);
  spdlog::info("brain {}: {} ({})", self->state.cfg.name, reason.empty() ? "available" : "unavailable",
               reason.empty() ? self->state.cfg.kind : reason);
  return {
      [=](run_atom, task_spec& spec) {
        auto& st = self->state;
        if (auto why = unavailable_reason(st); !why.empty()) {
          refuse_call(self, spec, make_outcome(st, spec.id, task_state::failed, errc::brain_unavailable, why));
          return;
        }
        if (st.running.size() < static_cast<std::size_t>(st.cfg.max_concurrent)) {
          start(self, std::move(spec));
          report_load(st);
        } else if (st.queue.size() < static_cast<std::size_t>(st.cfg.max_queue)) {
          st.queue.push_back(std::move(spec));
          report_load(st);
        } else {
          refuse_call(self, spec, make_outcome(st, spec.id, task_state::failed, errc::overloaded,
                                               std::to_string(st.cfg.max_concurrent) +
                                                   " calls running and " + std::to_string(st.cfg.max_queue) +
                                                   " queued (the configured limits)"));
        }
      },
      [=](chunk_atom, std::string& id, std::string& text) {
        if (!self->state.running.count(id)) return;
        auto d = registered_as<dispatcher_actor>(self, dispatch_name::value);
        if (d) self->send(d, chunk_atom::value, std::move(id), std::move(text));
      },
      [=](outcome_atom, task_update& u) {
        auto& st = self->state;
        auto it = st.running.find(u.task_id);
        if (it == st.running.end()) return;
        if (u.duration_ms == 0) u.duration_ms = now_ms() - it->second.started_ms;
        call_span(st, it->second.spec, it->second.span, it->second.started_us, u);
        st.running.erase(it);  // joins the runner's thread, which has already reported
        to_dispatcher(self, std::move(u));
        start_next(self);
      },
      [=](tick_atom, const std::string& id) {  // an echo's delay is over
        auto& st = self->state;
        auto it = st.running.find(id);
        if (it == st.running.end()) return;  // cancelled meanwhile
        auto d = registered_as<dispatcher_actor>(self, dispatch_name::value);
        if (d) self->send(d, chunk_atom::value, id, it->second.spec.prompt);
        auto u = make_outcome(st, id, task_state::succeeded, errc::none, {});
        u.text = std::move(it->second.spec.prompt);
        u.duration_ms = now_ms() - it->second.started_ms;
        call_span(st, it->second.spec, it->second.span, it->second.started_us, u);
        st.running.erase(it);
        to_dispatcher(self, std::move(u));
        start_next(self);
      },
      [=](cancel_atom, const std::string& id) {
        auto& st = self->state;
        for (auto q = st.queue.begin(); q != st.queue.end(); ++q) {
          if (q->id != id) continue;
          auto spec = std::move(*q);
          st.queue.erase(q);
          report_load(st);
          refuse_call(self, spec, make_outcome(st, id, task_state::cancelled, errc::cancelled, "cancelled"));
          return true;
        }
        auto it = st.running.find(id);
        if (it == st.running.end()) return false;
        if (it->second.runner) {
          it->second.runner->cancel();  // the outcome (cancelled) follows from the runner
        } else {
          // An mcp call: the server gets notifications/cancelled; its late answer finds no call here.
          if (it->second.peer) self->send(it->second.peer, cancel_atom::value, brain_child_name(st.cfg.name) + "/" + id);
          auto u = make_outcome(st, id, task_state::cancelled, errc::cancelled, "cancelled");
          call_span(st, it->second.spec, it->second.span, it->second.started_us, u);
          st.running.erase(it);
          to_dispatcher(self, std::move(u));
          start_next(self);
        }
        return true;
      },
      [=](status_atom) {
        auto& st = self->state;
        auto why = unavailable_reason(st);
        nlohmann::json j{{"name", st.cfg.name},
                         {"kind", st.cfg.kind},
                         {"available", why.empty()},
                         {"running", st.running.size()},
                         {"queued", st.queue.size()},
                         {"max_concurrent", st.cfg.max_concurrent},
                         {"max_queue", st.cfg.max_queue},
                         {"calls", st.calls},
                         {"failures", st.failures}};
        if (!why.empty()) j["reason"] = why;
        if (!st.cfg.description.empty()) j["description"] = st.cfg.description;
        if (st.cfg.kind == "process") j["format"] = st.cfg.format;
        if (st.cfg.autonomy_gate) j["autonomy_gate"] = st.gate.ai_path;
        if (st.cfg.kind == "mcp") j["tool"] = st.cfg.server + "/" + st.cfg.tool;
        return j.dump();
      },
  };
}

}  // namespace

caf::actor spawn_brain(caf::actor_system& sys, brain_config cfg, brain_gate gate) {
  return sys.spawn(brain_behavior, std::move(cfg), std::move(gate));
}

}  // namespace paios
