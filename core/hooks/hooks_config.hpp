#pragma once
// The hooks' settings: what the Claude Code hooks (`ai hook`, actors/hooks) do, in one place. Defined beside the
// hook rules that use them; config/hooks_config.hpp reads them from the "hooks" section. The initial values equal
// the "hooks" section of config/defaults.json (a unit test checks).
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace paios {

// A rule of the Stop gate's announced_not_done: an ECMAScript regular expression, case-insensitive.
struct stop_pattern {
  std::string name;
  std::string regex;
};

struct hooks_config {
  std::int64_t deadline_ms = 150;             // `ai hook` waits this long for the daemon, then spools
  std::string ai_path;                        // the `ai` the daemon's agents run as their hook; "": beside paiosd
  std::size_t event_max_string_bytes = 4096;  // each string of a payload as stored in the event store
  struct {
    std::int64_t budget_tokens = 4000;  // all the injected context, envelopes included (1 token ~ 4 bytes)
    int max_articles = 3;
    int max_learnings = 3;
    double min_score = 0.2;             // search results below this are not injected
    bool prompt_context = false;        // UserPromptSubmit: inject context for the prompt
    std::int64_t timeout_ms = 100;      // the daemon's wait for the knowledge base; less than deadline_ms
  } context;
  struct {
    bool enabled = true;
    std::vector<std::string> tools{"Read", "Bash", "Grep", "Glob", "WebFetch", "WebSearch", "mcp__*"};
    std::vector<std::string> exclude{"mcp__paios__*"};  // the mesh's own tools: no echo of the kb into itself
    std::size_t min_bytes = 32;
    std::size_t max_bytes = 262144;
    bool redact = true;
  } ingest;
  struct {
    bool enabled = true;
    int max_blocks_per_session = 2;
    bool empty_answer = true;
    bool open_todos = true;                         // the session's last TodoWrite left items open
    std::vector<stop_pattern> announced_not_done{  // on the answer's last paragraph
        {"announces_next_step",
         "^(?:(?:ok(?:ay)?|now|next|first|then|great|good|alright|so)[,.!]?\\s+)*(?:let me|let's|i'll|i will|i am going to|i'm going to)\\s+(?:now\\s+|also\\s+|then\\s+|next\\s+|first\\s+|go ahead and\\s+)?(?!know\\b|be\\b|leave\\b|stop\\b|wait\\b|not\\b|keep\\b|assume\\b|hand\\b)[a-z]"},
        {"ends_with_colon", ":\\s*$"}};
    std::vector<std::string> todo_markers{"TODO:", "FIXME:", "XXX:"};
  } stop_gate;
  struct {
    bool enabled = true;
    std::size_t max_transcript_bytes = 67108864;  // read at most this much of a transcript (its end)
  } learnings;
};

}  // namespace paios
