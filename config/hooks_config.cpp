#include "config/hooks_config.hpp"

#include <regex>

#include <nlohmann/json.hpp>

namespace paios {

hooks_config read_hooks_config(const nlohmann::json& s) {
  hooks_config c;
  c.deadline_ms = s.at("deadline_ms").get<std::int64_t>();
  c.ai_path = s.at("ai_path").get<std::string>();
  c.event_max_string_bytes = s.at("event_max_string_bytes").get<std::size_t>();
  const auto& ctx = s.at("context");
  c.context.budget_tokens = ctx.at("budget_tokens").get<std::int64_t>();
  c.context.max_articles = ctx.at("max_articles").get<int>();
  c.context.max_learnings = ctx.at("max_learnings").get<int>();
  c.context.min_score = ctx.at("min_score").get<double>();
  c.context.prompt_context = ctx.at("prompt_context").get<bool>();
  c.context.timeout_ms = ctx.at("timeout_ms").get<std::int64_t>();
  const auto& in = s.at("ingest");
  c.ingest.enabled = in.at("enabled").get<bool>();
  c.ingest.tools = in.at("tools").get<std::vector<std::string>>();
  c.ingest.exclude = in.at("exclude").get<std::vector<std::string>>();
  c.ingest.min_bytes = in.at("min_bytes").get<std::size_t>();
  c.ingest.max_bytes = in.at("max_bytes").get<std::size_t>();
  c.ingest.redact = in.at("redact").get<bool>();
  const auto& g = s.at("stop_gate");
  c.stop_gate.enabled = g.at("enabled").get<bool>();
  c.stop_gate.max_blocks_per_session = g.at("max_blocks_per_session").get<int>();
  c.stop_gate.empty_answer = g.at("empty_answer").get<bool>();
  c.stop_gate.open_todos = g.at("open_todos").get<bool>();
  c.stop_gate.announced_not_done.clear();
  for (const auto& r : g.at("announced_not_done"))
    c.stop_gate.announced_not_done.push_back({r.at("name").get<std::string>(), r.at("regex").get<std::string>()});
  c.stop_gate.todo_markers = g.at("todo_markers").get<std::vector<std::string>>();
  const auto& l = s.at("learnings");
  c.learnings.enabled = l.at("enabled").get<bool>();
  c.learnings.max_transcript_bytes = l.at("max_transcript_bytes").get<std::size_t>();
  return c;
}

void check_hooks_config(const nlohmann::json& s, std::vector<std::string>& errors) {
  if (!s.is_object()) return;  // the schema says so
  if (s.contains("stop_gate") && s["stop_gate"].is_object() && s["stop_gate"].contains("announced_not_done") &&
      s["stop_gate"]["announced_not_done"].is_array()) {
    const auto& list = s["stop_gate"]["announced_not_done"];
    for (std::size_t i = 0; i < list.size(); ++i) {
      if (!list[i].is_object() || !list[i].contains("regex") || !list[i]["regex"].is_string()) continue;
      try {
        std::regex re(list[i]["regex"].get<std::string>(), std::regex::ECMAScript | std::regex::icase);
      } catch (const std::regex_error& e) {
        errors.push_back("hooks.stop_gate.announced_not_done." + std::to_string(i) +
                         ".regex: not a valid regular expression (ECMAScript): " + e.what());
      }
    }
  }
  if (s.contains("deadline_ms") && s.contains("context") && s["context"].is_object() &&
      s["context"].contains("timeout_ms") && s["deadline_ms"].is_number_integer() &&
      s["context"]["timeout_ms"].is_number_integer() &&
      s["context"]["timeout_ms"].get<std::int64_t>() >= s["deadline_ms"].get<std::int64_t>())
    errors.push_back("hooks.context.timeout_ms: must be less than hooks.deadline_ms (" + s["deadline_ms"].dump() +
                     "; got " + s["context"]["timeout_ms"].dump() + "), or the hook gives up before the context comes");
  // Claude Code runs the hook from the agent's cwd, which is not the daemon's: a relative path would name another file.
  if (s.contains("ai_path") && s["ai_path"].is_string()) {
    const auto path = s["ai_path"].get<std::string>();
    if (!path.empty() && path[0] != '/')
      errors.push_back("hooks.ai_path: must be an absolute path, or empty for the ai beside paiosd (got " +
                       s["ai_path"].dump() + ")");
  }
}

}  // namespace paios
