// `ai "prompt"`: submits a task and follows it to its end, streaming the answer as it comes.
#include <signal.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <optional>

#include "cli/commands.hpp"
#include "client/wire_client.hpp"

namespace paios::cli {
namespace {

using nlohmann::json;

constexpr int kQuietCheckMs = 5000;  // on a silent stream, check that the daemon is still there
// After Ctrl-C: how long `ai` waits for the task's id (to cancel it) and then for the cancel's answer.
constexpr int kCancelWaitMs = 3000;

std::atomic<bool> interrupted{false};

void on_sigint(int) { interrupted = true; }

// Submits and streams: chunks to stdout as they come, or (--json) one event per line.
int submit(const options& opt) {
  std::string prompt = opt.prompt.size() == 1 && opt.prompt[0] == "-" ? read_stdin() : join(opt.prompt);
  if (prompt.empty()) {
    std::cerr << "ai: the prompt is empty\n";
    return kExitUsage;
  }
  auto attachments = attachments_of(opt);
  if (!attachments) return kExitUsage;
  auto c = connect_or_explain(opt);
  if (!c) return kExitUnreachable;
  auto req = request("task.submit");
  req["prompt"] = std::move(prompt);
  if (!attachments->empty()) req["attachments"] = std::move(*attachments);
  if (!opt.brain.empty()) req["brain"] = opt.brain;
  if (opt.timeout_s > 0) req["timeout_ms"] = opt.timeout_s * 1000;
  c->send(req);

  std::string task_id;
  std::string shown;  // the answer text printed so far
  bool ends_with_newline = true, cancel_sent = false, checking = false;
  auto last_heard = std::chrono::steady_clock::now();
  std::optional<std::chrono::steady_clock::time_point> interrupted_at;
  for (;;) {
    if (interrupted && !interrupted_at) interrupted_at = std::chrono::steady_clock::now();
    // Ctrl-C at any moment cancels the task: at once when its id is known, else as soon as `accepted` brings it.
    // `ai` exits once the daemon has answered the cancel (or the task's end came), or after kCancelWaitMs.
    if (interrupted && !task_id.empty() && !cancel_sent) {
      c->send(json{{"v", 1}, {"op", "task.cancel"}, {"id", "cancel"}, {"task_id", task_id}});
      cancel_sent = true;
      interrupted_at = std::chrono::steady_clock::now();
    }
    std::string error;
    auto reply = c->receive(200, error);
    auto now = std::chrono::steady_clock::now();
    if (interrupted_at && now - *interrupted_at > std::chrono::milliseconds(kCancelWaitMs)) {
      std::cerr << "ai: interrupted" << (task_id.empty() ? "" : "; paiosd did not report task " + task_id + " cancelled")
                << "\n";
      return kExitInterrupted;
    }
    if (!reply) {
      if (!error.empty() && error != "Interrupted system call") {
        std::cerr << "ai: " << error << "\n";
        return kExitUnreachable;
      }
      auto quiet = std::chrono::duration_cast<std::chrono::milliseconds>(now - last_heard).count();
      if (quiet > kQuietCheckMs && !checking) {
        // A silent stream: ask about the task itself. If the daemon restarted a part of itself meanwhile,
        // the stream may be gone while the task finished; the stored record then says how.
        if (task_id.empty()) c->send(json{{"v", 1}, {"op", "ping"}, {"id", "alive"}});
        else c->send(json{{"v", 1}, {"op", "task.get"}, {"id", "alive"}, {"task_id", task_id}});
        checking = true;
      } else if (checking && quiet > kQuietCheckMs + 3000) {
        std::cerr << "ai: paiosd stopped answering" << (task_id.empty() ? "" : "; the task is " + task_id) << "\n";
        return kExitUnreachable;
      }
      continue;
    }
    last_heard = now;
    checking = false;
    auto type = reply->value("type", "");
    auto id = reply->value("id", "");
    if (id == "cancel") {
      // Cancelled: the task's `error` (code cancelled) follows, and ends the wait. Otherwise it is over already.
      if (type == "cancel" && reply->value("cancelled", false)) continue;
      if (type == "error")
        std::cerr << "ai: cancel: " << reply->value("code", "error") << ": " << reply->value("message", "") << "\n";
      return kExitInterrupted;
    }
    if (id == "alive") {
      if (type != "task") continue;
      const auto& t = (*reply)["task"];
      auto state = t.value("state", "");
      if (state == "queued" || state == "running") continue;
      // Finished while its stream was lost: report it from the record.
      json terminal = state == "succeeded"
                          ? json{{"type", "result"}, {"task_id", task_id}, {"state", state}, {"brain", t.value("brain", "")},
                                 {"text", t.value("text", "")}}
                          : json{{"type", "error"}, {"task_id", task_id}, {"state", state},
                                 {"code", t.value("error", json::object()).value("code", "failed")},
                                 {"message", t.value("error", json::object()).value("message", "")}};
      reply = std::move(terminal);
      type = reply->value("type", "");
    }
    if (opt.json_out) {
      std::cout << reply->dump() << "\n" << std::flush;
    }
    if (type == "accepted") {
      task_id = reply->value("task_id", "");
    } else if (type == "routed") {
      // The daemon's notice, the first time in its run that brains are passed over because they cannot run:
      // which, why, and how to install or configure one (docs/protocol.md, task.submit).
      if (!opt.json_out && !reply->value("notice", "").empty()) std::cerr << "ai: " << reply->value("notice", "") << "\n";
      if (opt.verbose && !opt.json_out)
        std::cerr << "[" << task_id << "] routed to " << reply->value("brain", "?") << " ("
                  << reply->value("reason", "") << ")\n";
    } else if (type == "chunk") {
      if (!opt.json_out) {
        auto text = reply->value("text", "");
        std::fwrite(text.data(), 1, text.size(), stdout);
        std::fflush(stdout);
        shown += text;
        if (!text.empty()) ends_with_newline = text.back() == '\n';
      }
    } else if (type == "result") {
      if (!opt.json_out) {
        // What the chunks did not show (all of it when the brain does not stream, the rest when the stream
        // was cut and the answer came from the stored record).
        auto text = reply->value("text", "");
        if (text.size() > shown.size() && text.compare(0, shown.size(), shown) == 0) {
          std::fwrite(text.data() + shown.size(), 1, text.size() - shown.size(), stdout);
          ends_with_newline = text.back() == '\n';
        }
        if (!ends_with_newline) std::fputc('\n', stdout);
        if (opt.verbose)
          std::cerr << "[" << task_id << "] " << reply->value("state", "") << " by " << reply->value("brain", "")
                    << " in " << reply->value("duration_ms", 0) << " ms\n";
      }
      return kExitOk;
    } else if (type == "error") {
      if (!opt.json_out) {
        if (!shown.empty() && !ends_with_newline) std::fputc('\n', stdout);
        std::cerr << "ai: " << reply->value("code", "error") << ": " << reply->value("message", "")
                  << (task_id.empty() ? "" : " (task " + task_id + ")") << "\n";
      }
      return interrupted ? kExitInterrupted : kExitError;
    }
  }
}

}  // namespace

int submit_prompt(const options& opt) {
  struct sigaction sa {};
  sa.sa_handler = on_sigint;
  sigaction(SIGINT, &sa, nullptr);  // no SA_RESTART: the wait returns, and the task is cancelled
  return submit(opt);
}

}  // namespace paios::cli
