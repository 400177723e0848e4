#pragma once
// webhook: an alert as the HTTP request a webhook of each kind expects (config alerts.webhooks, docs/alerts.md):
//   ntfy     POST the detail as the body, the title in a Title header, the severity as a Priority header
//            (critical 5, warning 4, info 3) and a Tags header (ntfy's publish-as-POST form);
//   slack    POST {"text": "*title*\ndetail"} (Slack's incoming webhooks, and Mattermost's, which read the same);
//   discord  POST {"content": "**title**\ndetail"} (Discord's webhooks; at most 2000 characters, so cut there);
//   json     POST the alert record itself as JSON (docs/alerts.md lists its fields), for anything else.
// A delivery succeeded when a 2xx status came back; anything else is worth another try later.
#include <string>

#include "core/alerts/alert_book.hpp"
#include "core/http/http_client.hpp"

namespace paios {

struct webhook_config {
  std::string kind;  // ntfy | slack | discord | json
  std::string url;
};

http_request webhook_request(const webhook_config& hook, const alert_record& alert, std::int64_t timeout_ms);

// Whether `r` is a delivered webhook; else why not, as one sentence for the log.
status webhook_outcome(const webhook_config& hook, const http_response_data& r);

}  // namespace paios
