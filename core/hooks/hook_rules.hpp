#pragma once
// hook_rules: what the hooks decide (tested alone, tests/unit/hook_rules_test.cpp).
//   - the Stop gate: whether an answer looks unfinished (hooks.stop_gate);
//   - PostToolUse ingest: which tool results go to the knowledge base, and the note made of one
//     (hooks.ingest: tools, exclusions, sizes, secret redaction);
//   - the context injected at SessionStart / UserPromptSubmit: pieces fitted into a byte budget, each in an
//     outside-content envelope (core/content/envelope.hpp);
//   - payload strings cut to a size for the event store.
// Every function is pure or reads only its arguments; none throws on odd input (a payload is outside data).
#include <optional>
#include <regex>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/hooks/hooks_config.hpp"

namespace paios {

// ---- Stop gate ---------------------------------------------------------------------------------------------

struct stop_input {
  std::optional<std::string> answer;    // the assistant's last message; nullopt: unknown (then not judged empty)
  std::vector<std::string> open_todos;  // items of the session's last TodoWrite that are not completed
};

struct stop_verdict {
  bool block = false;
  std::string rule;    // empty_answer | announced_not_done | todo_marker | open_todos ("" when allowed)
  std::string detail;  // announced_not_done: the pattern's name; todo_marker: the marker
  std::string reason;  // for Claude: what looks unfinished and what to do
};

// The rules of hooks.stop_gate, compiled once. Judging reads only the answer's end (its last paragraph) for
// announcements, the whole answer for TODO markers. The caller handles stop_hook_active and the per-session
// count; this judges one answer.
class stop_gate {
 public:
  explicit stop_gate(const hooks_config& cfg);
  stop_verdict judge(const stop_input& in) const;

 private:
  bool empty_answer_ = true;
  bool open_todos_ = true;
  std::vector<std::pair<std::string, std::regex>> announced_;  // name, compiled
  std::vector<std::string> markers_;
};

// The last paragraph of a text (after its last blank line), trimmed, at most its last 600 bytes; curly
// apostrophes made straight, so that "I’ll" reads as "I'll".
std::string last_paragraph(std::string_view text);

// ---- PostToolUse ingest ------------------------------------------------------------------------------------

// `*` matches any run of characters, everything else itself ("mcp__*", "Read").
bool glob_match(std::string_view pattern, std::string_view text);
// In hooks.ingest.tools and not in hooks.ingest.exclude (and ingest enabled).
bool should_ingest(const hooks_config& cfg, std::string_view tool);

// The text of a tool's result as Claude Code reports it: a string; content blocks [{type:"text", text}]; or an
// object whose text is in stdout/stderr (Bash), file.content (Read), result (WebFetch), content (Grep),
// filenames (Glob), ... ; else every string in it, one per line.
std::string tool_output_text(const nlohmann::json& tool_response);

struct tool_note {
  std::string title;    // "Read /path/file.cpp", "Bash: make test"
  std::string source;   // stable per thing read: a file's or URL's later result replaces the earlier one
  std::string topic;    // the tool's name
  std::string content;  // the input and the output, redacted, at most hooks.ingest.max_bytes
};

// The note a PostToolUse payload makes, or nullopt with `why_not` (tool not ingested, output too small, ...).
std::optional<tool_note> tool_note_of(const hooks_config& cfg, const nlohmann::json& payload, std::string& why_not);

// ---- Context -----------------------------------------------------------------------------------------------

struct context_piece {
  std::string title;
  std::string source;  // named in the envelope
  std::string text;    // plain (unwrapped) text
};

// The additionalContext of a hook: a short header, then the learnings, then the articles, each wrapped as
// outside content, cut so that the whole is at most `budget_bytes` (a piece that would get less than 200
// bytes is left out). "" when there is nothing to inject. `used` counts the pieces that made it in.
std::string assemble_context(const std::vector<context_piece>& learnings, const std::vector<context_piece>& articles,
                             std::string_view project, std::string_view topic, std::size_t budget_bytes, int& used);

// ---- Payload size ------------------------------------------------------------------------------------------

// Cuts every string longer than `max_bytes` (at a UTF-8 boundary) and marks the cut: "...[cut: N bytes]".
// Returns how many strings were cut.
std::size_t shrink_strings(nlohmann::json& j, std::size_t max_bytes);

}  // namespace paios
