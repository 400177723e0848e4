#pragma once
// output_adapter: turns an agent CLI's stdout, fed in pieces of any size, into streamed text chunks and a
// final answer. One adapter per call, used by one thread at a time. Formats:
//   text                 every byte is answer text
//   claude-stream-json   Claude Code `-p --output-format stream-json --verbose` (JSON lines)
//   codex-jsonl          Codex `exec --json` (JSON lines, the thread/turn/item events)
//   gemini-json          Gemini CLI `--output-format json` (one document at the end)
//   gemini-stream-json   Gemini CLI `--output-format stream-json` (JSON lines)
// Never throws: a line that is not the expected JSON is counted in meta.noise and skipped; output that
// ends before the format's final record yields a failed status with a message saying so.
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "messages/error.hpp"

namespace paios {

struct adapter_result {
  std::string text;  // the full final answer
  status error;      // brain_failed: the agent reported an error, or its output ended early; ok otherwise
  nlohmann::json meta = nlohmann::json::object();  // session id, model, usage, cost: what the format gives
};

class output_adapter {
 public:
  virtual ~output_adapter() = default;
  // Appends the text pieces this input completes to `chunks`.
  virtual void feed(std::string_view bytes, std::vector<std::string>& chunks) = 0;
  // After the end of output.
  virtual adapter_result finish() = 0;
};

// nullptr for an unknown format name.
std::unique_ptr<output_adapter> make_output_adapter(std::string_view format);
const std::vector<std::string_view>& output_formats();

}  // namespace paios
