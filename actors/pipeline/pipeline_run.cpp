#include "actors/pipeline/pipeline_run.hpp"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <map>

#include <caf/all.hpp>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "actors/autonomy/autonomy_gate.hpp"
#include "actors/dispatcher/dispatcher.hpp"
#include "actors/kb/kb_store.hpp"
#include "actors/names.hpp"
#include "actors/state_store/state_store.hpp"
#include "actors/supervisor/supervisor.hpp"
#include "core/content/convert.hpp"
#include "core/hooks/claude_hook_settings.hpp"
#include "core/http/http_client.hpp"
#include "core/obs/event_sink.hpp"
#include "core/pipeline/template.hpp"
#include "core/process/process_runner.hpp"
#include "messages/caf_types.hpp"
#include "messages/ids.hpp"
#include "messages/json_writer.hpp"
#include "messages/utf8.hpp"

namespace paios {
namespace {

using nlohmann::json;
constexpr auto kStoreTimeout = std::chrono::seconds(10);
constexpr auto kBackstop = std::chrono::seconds(5);  // past a task's or a command's own timeout
constexpr std::size_t kErrorBytes = 2000;

std::string cut(const std::string& text, std::size_t max) {
  if (text.size() <= max) return text;
  return utf8_prefix(text, max) + "...";
}

struct run_state {
  pipeline_run_spec spec;
  caf::actor manager;
  json run_input;
  json previous;                        // the current step's input
  std::map<std::string, json> outputs;  // of the steps done
  std::size_t index = 0;                // the current step
  std::int64_t seq = 0;                 // the current step's try: a late end of an earlier one is ignored
  bool in_step = false;
  int attempts = 1;
  std::int64_t step_started_ms = 0, step_start_us = 0;
  std::uint64_t step_span = 0;
  std::string task_request;             // a task step's request id
  std::string task_id;
  std::unique_ptr<process_runner> runner;
  bool gating = false;                  // the current step's command waits for the autonomy gate
  bool finished = false;
  static inline const char* name = "pipeline_run";
};

using run_actor = caf::stateful_actor<run_state>;

trace_id run_trace(run_actor* self) { return parse_trace_id(self->state.spec.trace_id).value_or(trace_id{}); }

const pipeline_step_config& current(run_actor* self) { return self->state.spec.pipeline.steps[self->state.index]; }

json run_row(run_actor* self, const std::string& state, const std::string& error) {
  auto& st = self->state;
  const auto& steps = st.spec.pipeline.steps;
  return {{"run_id", st.spec.run_id},
          {"pipeline", st.spec.pipeline.name},
          {"state", state},
          {"trigger", st.spec.trigger},
          {"input", st.run_input},
          {"step", st.index},
          {"step_name", st.index < steps.size() ? steps[st.index].name : ""},
          {"error", error},
          {"started_ms", st.spec.started_ms},
          {"ended_ms", state == "running" ? 0 : now_ms()},
          {"trace_id", st.spec.trace_id},
          {"resumes", st.spec.resumes}};
}

json step_row(run_actor* self, const std::string& state, const json* output, const std::string& error) {
  auto& st = self->state;
  const auto& s = current(self);
  std::string text = output ? json_dump(*output) : "";
  const auto bytes = static_cast<std::int64_t>(text.size());
  if (text.size() > kRecordBytes) text = json_dump(json(utf8_prefix(text, kRecordBytes)));
  return {{"run_id", st.spec.run_id}, {"index", st.index},        {"name", s.name},
          {"kind", s.kind},           {"state", state},            {"started_ms", st.step_started_ms},
          {"ended_ms", state == "running" ? 0 : now_ms()},           {"output", text},
          {"output_bytes", bytes},    {"error", error},            {"attempts", st.attempts}};
}

// Writes the records (each a (op, row) pair) in one batch, then calls `then` with "" or the error.
template <class F>
void record(run_actor* self, std::vector<std::pair<std::string, json>> rows, F then) {
  auto store = registered_as<state_store_actor>(self, store_name::value);
  if (!store) return then(std::string{"the state store is not running"});
  struct gather {
    std::size_t pending;
    std::string error;
    F then;
  };
  auto g = std::make_shared<gather>(gather{rows.size(), {}, std::move(then)});
  for (auto& [op, row] : rows) {
    auto done = [g](const std::string& err) {
      if (!err.empty() && g->error.empty()) g->error = err;
      if (--g->pending == 0) g->then(g->error);
    };
    self->request(store, kStoreTimeout, pipeline_atom::value, op, json_dump(row))
        .then([done](const std::string& err) { done(err); },
              [done](caf::error& e) { done("the state store did not answer: " + caf::to_string(e)); });
  }
}

// Cancels what the current step still has going: its task, its command, its wait for an approval.
void cleanup_step(run_actor* self) {
  auto& st = self->state;
  if (st.gating)
    if (auto gate = registered_as<autonomy_actor>(self, autonomy_name::value))
      caf::anon_send(gate, approvals_atom::value, std::string{"withdraw"},
                     json_dump(json{{"run_id", st.spec.run_id}, {"reason", "the run stopped waiting"}}));
  st.gating = false;
  if (!st.task_id.empty())
    if (auto d = registered_as<dispatcher_actor>(self, dispatch_name::value)) caf::anon_send(d, cancel_atom::value, st.task_id);
  st.task_id.clear();
  st.task_request.clear();
  if (st.runner) st.runner->cancel();  // reaped by the runner's thread; the runner itself goes with this actor
}

// Ends the current step without a verdict of its own: whatever it still sends is ignored.
void stop_step(run_actor* self) {
  auto& st = self->state;
  st.in_step = false;
  ++st.seq;
  cleanup_step(self);
}

// The run's end: recorded, then answered. A failed record is logged; the manager still hears of the end.
void finish(run_actor* self, const std::string& state, const std::string& error) {
  auto& st = self->state;
  if (st.finished) return;
  st.finished = true;
  if (state == "ok") st.index = st.spec.pipeline.steps.size();
  const std::string output = state == "ok" ? json_dump(st.previous) : std::string{};
  record(self, {{"run", run_row(self, state, error)}}, [self, state, error, output](const std::string& err) {
    auto& st = self->state;
    if (!err.empty()) spdlog::error("pipeline {} run {}: the end was not recorded: {}", st.spec.pipeline.name, st.spec.run_id, err);
    self->send(st.manager, done_atom::value, st.spec.run_id, state, error, output);
    self->quit();
  });
}

void start_step(run_actor* self);

// A step's end (its seq says which try): recorded, then the next step, or the run's end.
void step_ended(run_actor* self, std::int64_t seq, const std::string& code, const std::string& message,
                const std::string& output_text) {
  auto& st = self->state;
  if (seq != st.seq || !st.in_step || st.finished) return;
  st.in_step = false;
  if (!code.empty()) cleanup_step(self);  // a timeout: its task is cancelled, its command killed
  st.task_id.clear();
  st.task_request.clear();
  const auto& s = current(self);
  json output;
  std::string state = code.empty() ? "ok" : code;
  std::string error = message;
  if (code.empty()) {
    output = json::parse(output_text.empty() ? "null" : output_text, nullptr, false);
    if (output.is_discarded()) output = json(output_text);
  }
  const auto trace = run_trace(self);
  emit_span("pipeline", "step", trace, st.step_span, st.spec.span, st.step_start_us, now_us(), state,
            json_object{}.str("pipeline", st.spec.pipeline.name).str("run_id", st.spec.run_id).str("step", s.name)
                .str("kind", s.kind).num("index", static_cast<std::int64_t>(st.index)).str("error", error).done());
  const std::string run_error =
      code.empty() ? "" : "step " + std::to_string(st.index) + " (" + s.name + ", " + s.kind + ") " +
                              (code == "timeout" ? "timed out" : code) + ": " + cut(error, kErrorBytes);
  record(self, {{"step", step_row(self, state, code.empty() ? &output : nullptr, cut(error, kErrorBytes))}},
         [self, output, code, run_error](const std::string& err) mutable {
           auto& st = self->state;
           if (st.finished) return;
           if (!err.empty()) return finish(self, "failed", "the state store did not record the step: " + err);
           if (!code.empty()) return finish(self, "failed", run_error);
           st.outputs[current(self).name] = output;
           st.previous = std::move(output);
           ++st.index;
           st.attempts = 1;
           start_step(self);
         });
}

// ---- the kinds ---------------------------------------------------------------------------------------------------

pipe::template_scope scope(run_actor* self) {
  auto& st = self->state;
  pipe::template_scope s;
  s.input = &st.previous;
  s.run_input = &st.run_input;
  s.run_id = st.spec.run_id;
  s.pipeline = st.spec.pipeline.name;
  s.steps = &st.outputs;
  return s;
}

// Renders one of the current step's templates; nullopt after failing the step with the reason.
std::optional<std::string> render(run_actor* self, const std::string& text, const char* field) {
  auto out = pipe::render_template(text, scope(self));
  if (!out) {
    step_ended(self, self->state.seq, "failed", std::string(field) + ": " + out.message(), "");
    return std::nullopt;
  }
  return std::move(*out);
}

void run_task(run_actor* self, const pipeline_step_config& s) {
  auto& st = self->state;
  auto prompt = render(self, s.prompt, "prompt");
  if (!prompt) return;
  auto d = registered_as<dispatcher_actor>(self, dispatch_name::value);
  if (!d) return step_ended(self, st.seq, "failed", "the dispatcher is not running", "");
  task_spec t;
  t.prompt = std::move(*prompt);
  t.brain = s.brain;
  t.trace_id = st.spec.trace_id;
  t.parent_span = st.step_span;
  t.timeout_ms = s.timeout_ms;
  t.created_ms = now_ms();
  st.task_request = st.spec.run_id + "#" + std::to_string(st.seq);
  self->send(d, submit_atom::value, std::move(t), caf::actor_cast<caf::actor>(self), std::string{"pipeline"},
             st.task_request, false);
}

// The step's own timeout, from now on; a task's and a command's runs past it by kBackstop (they time out
// themselves first, with their own message).
void arm_step_timeout(run_actor* self, const pipeline_step_config& s) {
  const bool own_timeout = s.kind == "task" || s.kind == "command";
  self->delayed_send(self, std::chrono::milliseconds(s.timeout_ms) + (own_timeout ? kBackstop : std::chrono::seconds(0)),
                     step_atom::value, self->state.seq, std::string{"timeout"},
                     "still running after " + std::to_string(s.timeout_ms) + " ms", std::string{});
}

// Starts the command step's process; its timeout counts from here (not from a wait for an approval).
void start_process(run_actor* self, const pipeline_step_config& s, process_spec ps) {
  auto& st = self->state;
  arm_step_timeout(self, s);
  ps.timeout = std::chrono::milliseconds(s.timeout_ms);
  ps.kill_grace = std::chrono::milliseconds(1000);
  ps.env = {{"PAIOS_PIPELINE", st.spec.pipeline.name}, {"PAIOS_RUN_ID", st.spec.run_id},
            {"PAIOS_TRACE_ID", st.spec.trace_id}};
  // Touched only by the runner's thread until on_exit, which comes last.
  struct capture {
    std::string out;
    bool overflow = false;
  };
  auto buf = std::make_shared<capture>();
  const auto limit = s.max_output_bytes;
  auto on_stdout = [buf, limit](std::string_view bytes) {
    if (buf->out.size() + bytes.size() > limit) buf->overflow = true;
    else buf->out.append(bytes);
  };
  caf::actor_addr weak = self->address();
  const auto seq = st.seq;
  const auto timeout_ms = s.timeout_ms;
  auto on_exit = [buf, weak, seq, limit, timeout_ms](process_exit x) {
    std::string code, message, output;
    std::string tail = x.stderr_tail.size() > 1000 ? x.stderr_tail.substr(x.stderr_tail.size() - 1000) : x.stderr_tail;
    while (!tail.empty() && std::isspace(static_cast<unsigned char>(tail.back()))) tail.pop_back();
    switch (x.what) {
      case process_exit::how::spawn_failed: code = "failed"; message = x.error.message(); break;
      case process_exit::how::timed_out:
        code = "timeout";
        message = "still running after " + std::to_string(timeout_ms) + " ms; killed";
        break;
      case process_exit::how::cancelled: code = "cancelled"; message = "cancelled"; break;
      case process_exit::how::signaled:
        code = "failed";
        message = "killed by signal " + std::to_string(x.signal) + (tail.empty() ? "" : ": " + tail);
        break;
      case process_exit::how::exited:
        if (x.code != 0) {
          code = "failed";
          message = "exit " + std::to_string(x.code) + (tail.empty() ? "" : ": " + tail);
        } else if (buf->overflow) {
          code = "failed";
          message = "its output passed max_output_bytes (" + std::to_string(limit) + ")";
        } else {
          auto parsed = json::parse(buf->out, nullptr, false);
          output = !parsed.is_discarded() ? json_dump(parsed) : json_dump(json{{"stdout", buf->out}, {"exit_code", 0}});
        }
        break;
    }
    if (auto a = caf::actor_cast<caf::actor>(weak)) caf::anon_send(a, step_atom::value, seq, code, message, output);
  };
  st.runner = process_runner::start(std::move(ps), std::move(on_stdout), std::move(on_exit));
}

// A command built from data the run carries (docs/autonomy.md, "Commands the daemon runs") runs only once the
// autonomy gate allows it: judged as the Bash command a shell would read from the argv, by the brain
// "pipeline:NAME", in the step's folder (the daemon's when it names none). `never` fails the step with the rule and
// its reason, unstarted; `ask` waits for a person (ai approvals / ai approve / ai deny) or
// autonomy.approval_timeout_ms, in the run's trace.
void gate_command(run_actor* self, const pipeline_step_config& s, process_spec ps) {
  auto& st = self->state;
  const auto seq = st.seq;
  auto gate = registered_as<autonomy_actor>(self, autonomy_name::value);
  if (!gate)
    return step_ended(self, seq, "failed",
                      "not run: the autonomy gate is not running, and a command built from the run's data is never run "
                      "unjudged", "");
  std::error_code ec;
  const auto cwd = ps.cwd.empty() ? std::filesystem::current_path(ec).string() : ps.cwd;
  std::string line;
  for (const auto& word : ps.argv) line += (line.empty() ? "" : " ") + shell_quote(word);
  const auto call = json_dump(json{{"command", line}, {"cwd", cwd}, {"pipeline", st.spec.pipeline.name},
                                   {"run_id", st.spec.run_id}, {"step", s.name}});
  auto pending = std::make_shared<process_spec>(std::move(ps));
  st.gating = true;
  // The run's own timeout bounds the wait; the gate answers first (its approval timeout is far shorter by default).
  self->request(gate, std::chrono::milliseconds(st.spec.pipeline.timeout_ms), gate_atom::value, call, run_trace(self),
                st.step_span)
      .then(
          [self, seq, pending](const std::string& permission, const std::string& reason, const std::string&) {
            auto& st = self->state;
            if (seq != st.seq || !st.in_step || st.finished) return;  // cancelled or timed out while it waited
            st.gating = false;
            if (permission != "allow") return step_ended(self, seq, "failed", "not run: " + reason, "");
            start_process(self, current(self), std::move(*pending));
          },
          [self, seq](caf::error& e) {
            if (seq == self->state.seq) self->state.gating = false;
            step_ended(self, seq, "failed", "not run: the autonomy gate did not answer: " + caf::to_string(e), "");
          });
}

void run_command(run_actor* self, const pipeline_step_config& s) {
  process_spec ps;
  for (std::size_t i = 0; i < s.command.size(); ++i) {
    auto arg = render(self, s.command[i], ("command[" + std::to_string(i) + "]").c_str());
    if (!arg) return;
    ps.argv.push_back(std::move(*arg));
  }
  auto input = render(self, s.input, "input");
  if (!input) return;
  ps.stdin_data = std::move(*input);
  ps.cwd = s.cwd;
  // An argv all of the configuration's (no data of the run in it) is the user's own command, as a job's is.
  if (std::any_of(s.command.begin(), s.command.end(), [](const std::string& t) { return pipe::carries_run_data(t); }))
    return gate_command(self, s, std::move(ps));
  start_process(self, s, std::move(ps));
}

// A capture's blocking work, on a detached helper: the file or URL read and converted to text.
struct capture_job {
  std::string source;
  std::int64_t timeout_ms;
  std::int64_t seq;
  caf::actor reply_to;
};

void run_capture_helper(caf::event_based_actor* helper, const capture_job& job) {
  std::string code, message, output;
  std::string error;
  std::optional<converted> c;
  auto take = [&](expected<converted> r) {
    if (r) c = std::move(*r);
    else error = r.message();
  };
  std::string source = job.source;
  const bool web = source.rfind("http://", 0) == 0 || source.rfind("https://", 0) == 0;
  if (web) {
    http_request req;
    req.url = source;
    req.timeout_ms = job.timeout_ms;
    req.max_redirects = 5;
    auto r = http_send(req);
    if (!r.responded()) error = r.error.message();
    else if (r.status >= 400) error = "GET " + redact_url(source) + ": HTTP " + std::to_string(r.status);
    else {
      source = r.effective_url.empty() ? source : r.effective_url;
      take(convert_content(r.body, r.header("content-type"), source));
    }
  } else {
    if (source.rfind("file://", 0) == 0) source = source.substr(7);
    if (source.empty() || source[0] != '/') error = "a file to capture is an absolute path or an http(s) URL (got \"" + source + "\")";
    else take(convert_file(source));
  }
  if (!c && error.empty()) error = "nothing could be read from " + source;
  if (c) {
    output = json_dump(json{{"text", c->text}, {"title", c->title}, {"source", web ? redact_url(source) : source},
                       {"format", c->kind}});
  } else {
    code = "failed";
    message = error;
  }
  helper->send(job.reply_to, step_atom::value, job.seq, code, message, output);
  helper->quit();
}

void run_capture(run_actor* self, const pipeline_step_config& s) {
  auto& st = self->state;
  auto source = render(self, s.source, "source");
  if (!source) return;
  self->spawn<caf::detached>(run_capture_helper,
                             capture_job{std::move(*source), s.timeout_ms, st.seq, caf::actor_cast<caf::actor>(self)});
}

void run_kb_ingest(run_actor* self, const pipeline_step_config& s) {
  auto& st = self->state;
  kb_request r;
  auto content = render(self, s.content, "content");
  if (!content) return;
  auto title = render(self, s.title, "title");
  if (!title) return;
  auto source = render(self, s.source, "source");
  if (!source) return;
  if (content->find_first_not_of(" \t\r\n") == std::string::npos)
    return step_ended(self, st.seq, "failed", "content: the text to store is empty", "");
  r.content = std::move(*content);
  r.title = std::move(*title);
  r.source = source->empty() ? "pipeline:" + st.spec.pipeline.name + "/" + st.spec.run_id + "/" + s.name : *source;
  r.kind = s.article_kind;
  r.tags = s.tags;
  auto kb = registered_as<kb_store_actor>(self, kb_name::value);
  if (!kb) return step_ended(self, st.seq, "failed", "the knowledge base is not running", "");
  const auto seq = st.seq;
  self->request(kb, std::chrono::milliseconds(s.timeout_ms), kb_add_atom::value, std::move(r))
      .then(
          [self, seq](const std::string& code, const std::string& message, const std::string& body) {
            if (!code.empty()) return step_ended(self, seq, "failed", code + ": " + message, "");
            step_ended(self, seq, "", "", body);
          },
          [self, seq](caf::error& e) {
            step_ended(self, seq, e == caf::sec::request_timeout ? "timeout" : "failed",
                       "the knowledge base did not answer: " + caf::to_string(e), "");
          });
}

// "YYYY-MM-DDTHH:MM[:SS]Z" (UTC) or unix milliseconds; -1 when it is neither.
std::int64_t parse_until(const std::string& text) {
  if (!text.empty() && text.find_first_not_of("0123456789") == std::string::npos && text.size() < 16)
    return std::stoll(text);
  std::tm tm{};
  int n = 0;
  char z = 0;
  if (std::sscanf(text.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%c%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
                  &tm.tm_min, &tm.tm_sec, &z, &n) != 7 || z != 'Z' || static_cast<std::size_t>(n) != text.size())
    return -1;
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  const auto t = timegm(&tm);
  return t < 0 ? -1 : static_cast<std::int64_t>(t) * 1000;
}

void run_wait(run_actor* self, const pipeline_step_config& s) {
  auto& st = self->state;
  std::int64_t until = 0;
  if (s.seconds >= 0) {
    until = st.step_started_ms + s.seconds * 1000;
  } else {
    auto text = render(self, s.until, "until");
    if (!text) return;
    until = parse_until(*text);
    if (until < 0)
      return step_ended(self, st.seq, "failed",
                        "until: \"" + *text + "\" is neither unix milliseconds nor YYYY-MM-DDTHH:MM:SSZ", "");
  }
  const auto delay = std::max<std::int64_t>(0, until - now_ms());
  self->delayed_send(self, std::chrono::milliseconds(delay), step_atom::value, st.seq, std::string{}, std::string{},
                     json_dump(st.previous));
}

void run_notify(run_actor* self, const pipeline_step_config& s) {
  auto& st = self->state;
  auto title = render(self, s.title, "title");
  if (!title) return;
  auto body = render(self, s.body, "body");
  if (!body) return;
  auto n = registered(self, notifier_name::value);
  if (!n) return step_ended(self, st.seq, "failed", "the notifier is not running", "");
  self->send(n, notify_atom::value, std::move(*title), std::move(*body), s.severity);
  step_ended(self, st.seq, "", "", json_dump(st.previous));
}

void execute(run_actor* self) {
  auto& st = self->state;
  const auto& s = current(self);
  if (s.kind != "command") arm_step_timeout(self, s);  // a command's starts with its process (start_process)
  if (s.kind == "task") return run_task(self, s);
  if (s.kind == "command") return run_command(self, s);
  if (s.kind == "capture") return run_capture(self, s);
  if (s.kind == "kb_ingest") return run_kb_ingest(self, s);
  if (s.kind == "wait") return run_wait(self, s);
  if (s.kind == "notify") return run_notify(self, s);
  step_ended(self, st.seq, "failed", "unknown step kind " + s.kind, "");
}

// Records the step's start and the run's position, then runs it.
void start_step(run_actor* self) {
  auto& st = self->state;
  if (st.finished) return;
  if (st.index >= st.spec.pipeline.steps.size()) return finish(self, "ok", "");
  ++st.seq;
  st.in_step = true;
  st.step_started_ms = now_ms();
  // A resumed wait keeps its first start, so that `seconds` counts from there and not again in full.
  if (st.index == st.spec.start_step && st.spec.step_first_started_ms > 0 && current(self).kind == "wait")
    st.step_started_ms = std::min(st.step_started_ms, st.spec.step_first_started_ms);
  st.step_start_us = now_us();
  st.step_span = new_span_id();
  st.runner.reset();
  const auto seq = st.seq;
  record(self, {{"run", run_row(self, "running", "")}, {"step", step_row(self, "running", nullptr, "")}},
         [self, seq](const std::string& err) {
           auto& st = self->state;
           if (st.finished || seq != st.seq) return;
           if (!err.empty()) {
             st.in_step = false;
             return finish(self, "failed", "the state store did not record the start of step " + current(self).name + ": " + err);
           }
           execute(self);
         });
}

caf::behavior run_behavior(run_actor* self, pipeline_run_spec spec, caf::actor manager) {
  guard_actor(self, "pipeline_run " + spec.pipeline.name);
  auto& st = self->state;
  st.spec = std::move(spec);
  st.manager = std::move(manager);
  st.run_input = json::parse(st.spec.input, nullptr, false);
  if (st.run_input.is_discarded()) st.run_input = json(st.spec.input);
  st.previous = json::parse(st.spec.previous, nullptr, false);
  if (st.previous.is_discarded()) st.previous = st.run_input;
  auto outputs = json::parse(st.spec.done_outputs, nullptr, false);
  if (outputs.is_object())
    for (auto& [k, v] : outputs.items()) st.outputs[k] = v;
  st.index = st.spec.start_step;
  st.attempts = st.spec.attempts;
  self->monitor(st.manager);
  self->set_down_handler([self](caf::down_msg& m) {
    if (m.source == self->state.manager.address()) {
      stop_step(self);
      self->quit();
    }
  });
  self->delayed_send(self, std::chrono::milliseconds(st.spec.pipeline.timeout_ms), tick_atom::value);
  start_step(self);
  return {
      [=](step_atom, std::int64_t seq, const std::string& code, const std::string& message, const std::string& output) {
        step_ended(self, seq, code, message, output);
      },
      [=](update_atom, task_update& u) {
        auto& st = self->state;
        if (u.request_id != st.task_request || st.task_request.empty()) return;
        if (!u.task_id.empty()) st.task_id = u.task_id;
        const auto seq = st.seq;
        switch (u.what) {
          case task_update::kind::result:
            return step_ended(self, seq, "", "",
                              json_dump(json{{"text", u.text}, {"brain", u.brain}, {"task_id", u.task_id}}));
          case task_update::kind::error:
            if (u.error == errc::shutting_down || u.error == errc::interrupted) {
              // The daemon is stopping: no verdict; the next start decides (on_interrupt).
              st.finished = true;
              return self->quit();
            }
            return step_ended(self, seq, u.error == errc::timeout ? "timeout" : "failed",
                              std::string{to_string(u.error)} + ": " + u.message, "");
          default: return;
        }
      },
      [=](tick_atom) {  // the pipeline's timeout
        auto& st = self->state;
        if (st.finished) return;
        const bool stepping = st.in_step;
        const auto msg = "the run passed its timeout (" + std::to_string(st.spec.pipeline.timeout_ms) + " ms)";
        stop_step(self);
        auto end = [self, msg](const std::string&) { finish(self, "timeout", msg); };
        if (stepping && st.index < st.spec.pipeline.steps.size())
          return record(self, {{"step", step_row(self, "timeout", nullptr, msg)}}, end);
        end({});
      },
      [=](cancel_atom, const std::string& reason) {
        auto& st = self->state;
        if (st.finished) return;
        const bool stepping = st.in_step;
        stop_step(self);
        auto end = [self, reason](const std::string&) { finish(self, "cancelled", reason); };
        if (stepping && st.index < st.spec.pipeline.steps.size())
          return record(self, {{"step", step_row(self, "cancelled", nullptr, reason)}}, end);
        end({});
      },
  };
}

}  // namespace

caf::actor spawn_pipeline_run(caf::actor_system& sys, pipeline_run_spec spec, caf::actor manager) {
  return sys.spawn(run_behavior, std::move(spec), std::move(manager));
}

}  // namespace paios
