#include "cli/hook.hpp"

#include <fcntl.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>

#include <nlohmann/json.hpp>
#include <zmq.h>

#include "cli/hook_gate_fallback.hpp"
#include "core/autonomy/hook_gate.hpp"
#include "client/wire_client.hpp"
#include "core/hooks/hook_rules.hpp"
#include "core/hooks/hook_spool.hpp"
#include "messages/hook_event.hpp"
#include "messages/ids.hpp"
#include "messages/json_writer.hpp"
#include "messages/utf8.hpp"

namespace paios {
namespace {

using nlohmann::json;
using steady = std::chrono::steady_clock;

constexpr std::int64_t kDefaultDeadlineMs = 150;
constexpr std::int64_t kDefaultApprovalTimeoutMs = 600000;  // autonomy.approval_timeout_ms's default
// Beyond approval_timeout_ms: the daemon's gate, hook handler and bridge answer within 10 s of it.
constexpr std::int64_t kApprovalMarginMs = 15000;
constexpr std::size_t kMaxInputBytes = 64u << 20;
// Below the daemon's default bridge.max_message_bytes (4 MiB): a larger payload has its longest strings cut.
constexpr std::size_t kMaxFrameBytes = 3u << 20;

// A line on stderr, and in PAIOS_HOME/logs/hooks.log when that folder exists (the hook never creates a home).
void log_line(const std::string& home, const std::string& text) {
  std::fprintf(stderr, "ai hook: %s\n", text.c_str());
  const auto dir = home + "/logs";
  struct stat st {};
  if (::stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) return;
  int fd = ::open((dir + "/hooks.log").c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return;
  char when[32];
  std::time_t now = std::time(nullptr);
  std::strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%S", std::localtime(&now));
  auto line = std::string{when} + " [" + std::to_string(getpid()) + "] " + text + "\n";
  (void)!::write(fd, line.data(), line.size());
  ::close(fd);
}

std::string read_all_stdin(bool& cut) {
  std::string in;
  char buf[65536];
  cut = false;
  for (;;) {
    auto n = ::read(STDIN_FILENO, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    if (in.size() + static_cast<std::size_t>(n) > kMaxInputBytes) {
      cut = true;
      continue;  // drain, so that the writer is not blocked on a full pipe
    }
    in.append(buf, static_cast<std::size_t>(n));
  }
  return in;
}

std::string new_uid() {
  unsigned char bytes[8];
  if (getrandom(bytes, sizeof bytes, 0) != static_cast<ssize_t>(sizeof bytes)) {
    auto t = static_cast<std::uint64_t>(now_us()) ^ (static_cast<std::uint64_t>(getpid()) << 40);
    std::memcpy(bytes, &t, sizeof bytes);
  }
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (auto b : bytes) {
    out += hex[b >> 4];
    out += hex[b & 15];
  }
  return out;
}

// The daemon's configuration, when the user has one (PAIOS_HOME/config.json): only the keys the hook needs are
// read from it, and any problem means the defaults.
json user_config(const std::string& home) {
  const auto file = home + "/config.json";
  struct stat st {};
  if (::stat(file.c_str(), &st) != 0 || !S_ISREG(st.st_mode) || st.st_size >= (1 << 20)) return json::object();
  FILE* f = std::fopen(file.c_str(), "rb");
  if (!f) return json::object();
  std::string text(static_cast<std::size_t>(st.st_size), '\0');
  text.resize(std::fread(text.data(), 1, text.size(), f));
  std::fclose(f);
  auto j = json::parse(text, nullptr, false);
  return j.is_object() ? j : json::object();
}

// section.key of the user's configuration when it is an integer in [lo, hi].
std::optional<std::int64_t> config_integer(const json& cfg, const char* section, const char* key, std::int64_t lo,
                                           std::int64_t hi) {
  auto s = cfg.find(section);
  if (s == cfg.end() || !s->is_object()) return std::nullopt;
  auto k = s->find(key);
  if (k == s->end() || !k->is_number_integer()) return std::nullopt;
  auto v = k->get<std::int64_t>();
  if (v < lo || v > hi) return std::nullopt;
  return v;
}

std::int64_t deadline_of(const hook_options& opt, const json& cfg) {
  if (opt.deadline_ms) return *opt.deadline_ms;
  if (const char* e = std::getenv("PAIOS_HOOK_DEADLINE_MS"); e && *e) {
    char* end = nullptr;
    auto v = std::strtoll(e, &end, 10);
    if (end && *end == '\0' && v > 0 && v <= 60000) return v;
  }
  return config_integer(cfg, "hooks", "deadline_ms", 10, 10000).value_or(kDefaultDeadlineMs);
}

// A PreToolUse of a daemon task may wait for a person: the daemon answers within autonomy.approval_timeout_ms
// (and its own margins), so the hook waits that long and a little more, never giving up first.
std::int64_t approval_deadline_of(const json& cfg) {
  return config_integer(cfg, "autonomy", "approval_timeout_ms", 1000, 86400000).value_or(kDefaultApprovalTimeoutMs) +
         kApprovalMarginMs;
}

// The daemon task whose agent runs this hook (the brain sets PAIOS_TASK_ID), "" for none.
std::string task_id_of_environment() {
  const char* t = std::getenv("PAIOS_TASK_ID");
  if (!t || !*t || std::strlen(t) > 64) return {};
  return t;
}

// A well-formed W3C traceparent (the agent's, when paiosd started it): the hook event joins that trace.
bool valid_traceparent(const std::string& tp) {
  if (tp.size() != 55 || tp[2] != '-' || tp[35] != '-' || tp[52] != '-') return false;
  for (std::size_t i = 0; i < tp.size(); ++i) {
    if (i == 2 || i == 35 || i == 52) continue;
    char c = tp[i];
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

// Keeps the event for the daemon's replay. Returns the hook's exit code: 0 once spooled; 1 when the spool
// could not take it either (a full disk, an unwritable PAIOS_HOME): the event is lost, and that is said on
// stderr, which Claude Code shows without blocking the session (only exit 2 blocks).
int spool(const hook_options& opt, const std::string& uid, const std::string& event, const json& payload,
          const std::string& reason) {
  json line{{"uid", uid}, {"event", event}, {"payload", payload}, {"spooled_ms", now_ms()}, {"reason", reason}};
  hook_spool sp{opt.home + "/spool"};
  auto kept = sp.append(json_dump(line));
  if (kept) return 0;
  log_line(opt.home, "the " + event + " event is lost: paiosd did not take it (" + reason +
                         ") and the spool could not keep it either: " + kept.message());
  return 1;
}

}  // namespace

int run_hook(const hook_options& opt) {
  const auto started = steady::now();
  bool cut = false;
  auto input = read_all_stdin(cut);
  if (cut) {
    log_line(opt.home, "the hook input is larger than 64 MiB; dropped");
    return 0;
  }
  auto payload = json::parse(input, nullptr, false);
  if (!payload.is_object()) {
    auto shown = utf8_prefix(input, 200);
    for (auto& c : shown)
      if (c == '\n' || c == '\r') c = ' ';
    log_line(opt.home, "the hook input is not a JSON object (" + std::to_string(input.size()) + " bytes: \"" + shown +
                           "\"); dropped");
    return 0;
  }
  std::optional<std::string> event;
  // Another CLI's tool gate is read as Claude Code's PreToolUse: one policy, several dialects.
  const bool claude = opt.agent == autonomy::hook_dialect::claude;
  if (auto it = payload.find("hook_event_name"); !claude && it != payload.end() && it->is_string() &&
                                                 *it == autonomy::gate_event(opt.agent))
    payload = autonomy::as_pretooluse(opt.agent, std::move(payload));
  if (auto it = payload.find("hook_event_name"); it != payload.end() && it->is_string())
    event = canonical_hook_event(it->get<std::string>());
  if (!event && !opt.event.empty()) event = canonical_hook_event(opt.event);
  if (!event) {
    log_line(opt.home, "no hook event: the input has no hook_event_name and no EVENT was given (or it is not a name); dropped");
    return 0;
  }
  // In a daemon's gated run of this CLI, the run's own hook judges the call (cli/hook.hpp, --run-gate).
  if (const char* run = std::getenv("PAIOS_RUN_GATE"); *event == "PreToolUse" && !claude && !opt.run_gate && run && *run)
    return 0;
  const auto uid = new_uid();
  json req{{"v", 1}, {"op", "hook.event"}, {"id", "h"}, {"event", *event}, {"uid", uid}};
  if (const char* tp = std::getenv("TRACEPARENT"); tp && valid_traceparent(tp)) req["traceparent"] = tp;
  const bool gate = *event == "PreToolUse";
  const auto task_id = gate ? task_id_of_environment() : std::string{};
  if (!task_id.empty()) req["task_id"] = task_id;
  req["payload"] = payload;
  auto frame = json_dump(req);
  for (std::size_t limit = 256 * 1024; frame.size() > kMaxFrameBytes && limit >= 256; limit /= 4) {
    shrink_strings(req["payload"], limit);
    frame = json_dump(req);
  }

  const auto cfg = user_config(opt.home);
  const auto deadline =
      started + std::chrono::milliseconds{task_id.empty() ? deadline_of(opt, cfg) : approval_deadline_of(cfg)};
  // Without the daemon's answer the event is spooled; a PreToolUse still gets the built-in `never` rules' deny.
  // What the agent reads: the daemon's output as is for Claude Code, the gate's decision in its shape for another.
  auto print = [&](const json& out) {
    auto shaped = claude || !gate ? std::optional<json>{out} : autonomy::gate_answer(opt.agent, out);
    if (!shaped || !shaped->is_object() || shaped->empty()) return;
    auto text = json_dump(*shaped) + "\n";
    std::fwrite(text.data(), 1, text.size(), stdout);
    std::fflush(stdout);
  };
  // A daemon's gated Codex or Gemini run gets a deny for a call no one judged: those CLIs run a call their hook gave
  // no answer for (Claude Code's run, in dontAsk, denies it itself).
  const bool fail_closed = gate && opt.run_gate && !claude;
  auto unjudged = [&](const std::string& why) {
    if (fail_closed)
      print(autonomy::pretooluse_output("deny", "PAIOS could not judge this call (" + why +
                                                    "); a gated run does not run a call the gate did not judge"));
  };
  // PermissionRequest: with paiosd silent, the built-in never rules still deny; anything else is the person's.
  const bool permission = *event == "PermissionRequest";
  auto give_up = [&](const std::string& reason) {
    auto denied = gate || permission ? fallback_never(payload, "paiosd did not answer") : std::nullopt;
    if (denied)
      print(permission ? autonomy::permission_request_output("deny", *denied)
                       : autonomy::pretooluse_output("deny", *denied));
    else
      unjudged(reason);
    return spool(opt, uid, *event, payload, reason);
  };
  unreachable down;
  auto client = wire_client::connect(opt.endpoint, down);
  if (!client) return give_up("daemon down: " + down.detail);
  std::string error;
  if (zmq_send(client->socket(), frame.data(), frame.size(), 0) < 0)
    return give_up(std::string{"cannot send: "} + zmq_strerror(zmq_errno()));
  auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - steady::now()).count();
  auto reply = client->receive(static_cast<int>(std::max<std::int64_t>(wait, 1)), error);
  if (!reply) return give_up(error.empty() ? "no answer within the deadline" : error);
  if (reply->value("type", "") == "error") {
    auto code = reply->value("code", "");
    auto message = reply->value("message", "");
    // What the daemon could not store is kept for its replay; what it refused as malformed would be refused again.
    if (code == "store_failed" || code == "internal" || code == "shutting_down" || code == "overloaded")
      return give_up(code + ": " + message);
    log_line(opt.home, "paiosd refused the " + *event + " event: " + code + ": " + message);
    unjudged("paiosd refused it: " + code + ": " + message);
    return 0;
  }
  auto it = reply->find("output");
  const bool decided = it != reply->end() && it->contains("hookSpecificOutput") &&
                       (*it)["hookSpecificOutput"].contains("permissionDecision");
  if (fail_closed && !decided) {
    unjudged("the autonomy gate gave no decision");
    return 0;
  }
  if (it != reply->end()) print(*it);
  return 0;
}

}  // namespace paios
