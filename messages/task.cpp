#include "messages/task.hpp"

#include <array>

#include <nlohmann/json.hpp>

namespace paios {
namespace {
constexpr std::array<std::string_view, 7> kStates = {"queued",    "running",   "succeeded",  "failed",
                                                     "cancelled", "timed_out", "interrupted"};
constexpr std::array<std::string_view, 5> kKinds = {"accepted", "routed", "chunk", "result", "error"};
}  // namespace

std::string_view to_string(task_state s) { return kStates[static_cast<std::size_t>(s)]; }

std::optional<task_state> task_state_from_string(std::string_view text) {
  for (std::size_t i = 0; i < kStates.size(); ++i)
    if (kStates[i] == text) return static_cast<task_state>(i);
  return std::nullopt;
}

bool is_terminal(task_state s) { return s != task_state::queued && s != task_state::running; }

std::string_view to_string(task_update::kind k) { return kKinds[static_cast<std::size_t>(k)]; }

void to_json(nlohmann::json& j, const task_spec& t) {
  j = nlohmann::json{{"task_id", t.id},       {"prompt", t.prompt},         {"trace_id", t.trace_id},
                     {"created_ms", t.created_ms}, {"timeout_ms", t.timeout_ms}};
  if (!t.brain.empty()) j["requested_brain"] = t.brain;
  if (!t.attachments.empty()) {
    j["attachments"] = nlohmann::json::array();
    for (const auto& a : t.attachments) j["attachments"].push_back({{"name", a.name}, {"mime", a.mime}});
  }
}

void to_json(nlohmann::json& j, const task_record& t) {
  to_json(j, t.spec);
  j["state"] = to_string(t.state);
  j["brain"] = t.brain;
  j["attempts"] = t.attempts;
  if (t.started_ms) j["started_ms"] = t.started_ms;
  if (t.finished_ms) j["finished_ms"] = t.finished_ms;
  if (is_terminal(t.state)) {
    j["text"] = t.text;
    j["exit_code"] = t.exit_code;
  }
  if (t.error != errc::none) j["error"] = {{"code", to_string(t.error)}, {"message", t.error_message}};
}

}  // namespace paios
