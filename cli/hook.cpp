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

std::int64_t deadline_of(const hook_options& opt) {
  if (opt.deadline_ms) return *opt.deadline_ms;
  if (const char* e = std::getenv("PAIOS_HOOK_DEADLINE_MS"); e && *e) {
    char* end = nullptr;
    auto v = std::strtoll(e, &end, 10);
    if (end && *end == '\0' && v > 0 && v <= 60000) return v;
  }
  // The daemon's configuration, when the user has one: only this key is read, and any problem means the default.
  const auto file = opt.home + "/config.json";
  struct stat st {};
  if (::stat(file.c_str(), &st) == 0 && S_ISREG(st.st_mode) && st.st_size < (1 << 20)) {
    if (FILE* f = std::fopen(file.c_str(), "rb")) {
      std::string text(static_cast<std::size_t>(st.st_size), '\0');
      text.resize(std::fread(text.data(), 1, text.size(), f));
      std::fclose(f);
      auto j = json::parse(text, nullptr, false);
      if (j.is_object() && j.contains("hooks") && j["hooks"].is_object() && j["hooks"].contains("deadline_ms") &&
          j["hooks"]["deadline_ms"].is_number_integer()) {
        auto v = j["hooks"]["deadline_ms"].get<std::int64_t>();
        if (v >= 10 && v <= 10000) return v;
      }
    }
  }
  return kDefaultDeadlineMs;
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
  if (auto it = payload.find("hook_event_name"); it != payload.end() && it->is_string())
    event = canonical_hook_event(it->get<std::string>());
  if (!event && !opt.event.empty()) event = canonical_hook_event(opt.event);
  if (!event) {
    log_line(opt.home, "no hook event: the input has no hook_event_name and no EVENT was given (or it is not a name); dropped");
    return 0;
  }
  const auto uid = new_uid();
  json req{{"v", 1}, {"op", "hook.event"}, {"id", "h"}, {"event", *event}, {"uid", uid}};
  if (const char* tp = std::getenv("TRACEPARENT"); tp && valid_traceparent(tp)) req["traceparent"] = tp;
  req["payload"] = payload;
  auto frame = json_dump(req);
  for (std::size_t limit = 256 * 1024; frame.size() > kMaxFrameBytes && limit >= 256; limit /= 4) {
    shrink_strings(req["payload"], limit);
    frame = json_dump(req);
  }

  const auto deadline = started + std::chrono::milliseconds{deadline_of(opt)};
  unreachable down;
  auto client = wire_client::connect(opt.endpoint, down);
  if (!client) return spool(opt, uid, *event, payload, "daemon down: " + down.detail);
  std::string error;
  if (zmq_send(client->socket(), frame.data(), frame.size(), 0) < 0)
    return spool(opt, uid, *event, payload, std::string{"cannot send: "} + zmq_strerror(zmq_errno()));
  auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - steady::now()).count();
  auto reply = client->receive(static_cast<int>(std::max<std::int64_t>(wait, 1)), error);
  if (!reply) return spool(opt, uid, *event, payload, error.empty() ? "no answer within the deadline" : error);
  if (reply->value("type", "") == "error") {
    auto code = reply->value("code", "");
    auto message = reply->value("message", "");
    // What the daemon could not store is kept for its replay; what it refused as malformed would be refused again.
    if (code == "store_failed" || code == "internal" || code == "shutting_down" || code == "overloaded")
      return spool(opt, uid, *event, payload, code + ": " + message);
    log_line(opt.home, "paiosd refused the " + *event + " event: " + code + ": " + message);
    return 0;
  }
  auto it = reply->find("output");
  if (it != reply->end() && it->is_object() && !it->empty()) {
    auto out = json_dump(*it) + "\n";
    std::fwrite(out.data(), 1, out.size(), stdout);
    std::fflush(stdout);
  }
  return 0;
}

}  // namespace paios
