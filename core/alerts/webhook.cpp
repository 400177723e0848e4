#include "core/alerts/webhook.hpp"

#include <nlohmann/json.hpp>

namespace paios {
namespace {

constexpr std::size_t kDiscordMaxChars = 2000;  // Discord refuses a longer message content

// ntfy's priorities: 1 (min) to 5 (max); 3 is its default.
const char* ntfy_priority(const std::string& severity) {
  if (severity == "critical") return "5";
  if (severity == "warning") return "4";
  return "3";
}

// A cut at a byte limit that does not split a UTF-8 sequence.
std::string cut_utf8(std::string s, std::size_t max_bytes) {
  if (s.size() <= max_bytes) return s;
  std::size_t n = max_bytes;
  while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;
  s.resize(n);
  return s;
}

// The count and the first time, so that a reminder of a lasting problem says how long it has been going.
std::string body_text(const alert_record& a) {
  std::string text = a.detail;
  if (a.count > 1) text += (text.empty() ? "" : "\n") + std::string{"(seen "} + std::to_string(a.count) + " times)";
  return text;
}

}  // namespace

http_request webhook_request(const webhook_config& hook, const alert_record& a, std::int64_t timeout_ms) {
  http_request r;
  r.method = "POST";
  r.url = hook.url;
  r.timeout_ms = timeout_ms;
  r.max_body_bytes = 1u << 20;  // the answer is not read; a webhook's is a few bytes
  if (hook.kind == "ntfy") {
    r.headers = {"Title: " + a.title, std::string{"Priority: "} + ntfy_priority(a.severity),
                 "Tags: paios," + a.kind, "Content-Type: text/plain; charset=utf-8"};
    r.body = body_text(a);
    return r;
  }
  r.headers = {"Content-Type: application/json"};
  if (hook.kind == "slack") r.body = nlohmann::json{{"text", "*" + a.title + "*\n" + body_text(a)}}.dump();
  else if (hook.kind == "discord")
    r.body = nlohmann::json{{"content", cut_utf8("**" + a.title + "**\n" + body_text(a), kDiscordMaxChars)}}.dump();
  else r.body = to_json(a).dump();
  return r;
}

status webhook_outcome(const webhook_config& hook, const http_response_data& r) {
  if (!r.responded()) return r.error;
  if (r.status >= 200 && r.status < 300) return {};
  return status{errc::brain_unavailable, hook.kind + " webhook " + redact_url(hook.url) + " answered HTTP " +
                                             std::to_string(r.status)};
}

}  // namespace paios
