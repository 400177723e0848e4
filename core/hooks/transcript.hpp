#pragma once
// transcript: reading a Claude Code session transcript (the JSONL file a hook's transcript_path names), and the
// learning a finished session leaves (what was asked, decided and changed). Tested alone.
//
// A transcript line is an object with "type": "user" (a prompt: message.content a string or text blocks; or
// tool results: tool_result blocks), "assistant" (message.content: text and tool_use blocks; one message may
// span several lines sharing message.id), "summary", "system", ... Lines that are not JSON, of other types, or
// marked isMeta / isSidechain are skipped: a transcript is outside data and may be cut mid-line.
#include <cstddef>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "messages/error.hpp"

namespace paios {

struct transcript_summary {
  std::vector<std::string> prompts;       // the user's prompts, in order
  std::optional<std::string> last_answer; // the text of the last assistant message after the last prompt
                                          // ("" when that message had no text; nullopt when there was none)
  std::vector<std::string> decisions;     // assistant sentences that state a choice or a cause (the last few)
  std::map<std::string, std::vector<std::string>> changed;  // file -> tools that changed it (Edit, Write, ...)
  std::vector<std::string> commands;      // Bash commands, in order
  std::vector<std::string> open_todos;    // the last TodoWrite's items that are not completed
  std::size_t tool_calls = 0;
  std::size_t lines = 0;                  // read (parsed or not)
  bool cut = false;                       // only the file's end was read (max_bytes)
};

// Reads at most the last `max_bytes` of the file (a cut first line is skipped). Fails with not_found when there
// is no such file, bad_request when it cannot be opened or is not a regular file ("PATH: Permission denied").
expected<transcript_summary> read_transcript(const std::filesystem::path& file, std::size_t max_bytes);
// The same from the text itself.
transcript_summary summarize_transcript(const std::string& jsonl);

struct session_learning {
  std::string title;    // "Learning: <topic>"
  std::string topic;    // the session's first prompt, on one line, at most 120 bytes
  std::string content;  // plain text, secrets redacted
};

// The learning a session leaves, or nullopt when it has nothing to learn from (no prompt).
std::optional<session_learning> make_learning(const transcript_summary& s, const std::string& session,
                                              const std::string& project, const std::string& reason);

}  // namespace paios
