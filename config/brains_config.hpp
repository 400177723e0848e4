#pragma once
// Reading and checking the "brains" section, with the "breaker" section each brain's breaker starts from.
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "core/routing/breaker_config.hpp"

namespace paios {

// One brain, every field filled (from the user's file, the default brain, or the schema's "default").
// The initial values below equal those schema defaults (a unit test checks), for code that builds one by hand.
struct brain_config {
  std::string name;
  std::string kind;    // "process" | "echo" | "kb" | "mcp"
  std::string description;
  std::string format;  // output adapter of a process brain; empty for echo
  std::vector<std::string> command;
  std::int64_t timeout_ms = 600000;
  std::int64_t kill_grace_ms = 2000;
  std::int64_t delay_ms = 0;  // echo only
  int max_concurrent = 2;
  int max_queue = 64;
  std::vector<std::pair<std::string, std::string>> env;  // process only, in name order
  std::string cwd;                                      // process only; absolute, or empty for the daemon's
  bool autonomy_gate = false;  // Claude Code, Codex or Gemini CLI: each run gets the tool gate (docs/autonomy.md)
  std::string server;           // mcp only: the MCP server (mcp.servers) whose tool answers
  std::string tool;             // mcp only: that server's name for the tool
  std::string prompt_argument = "prompt";  // mcp only: the argument that receives the prompt
  std::string arguments = "{}";            // mcp only: the other arguments, a JSON object's text
  breaker_config breaker;                               // the "breaker" section with this brain's overrides
};

// The enabled brains of the validated merged configuration `doc`, in name order.
std::vector<brain_config> read_brains_config(const nlohmann::json& doc);
// Checks beyond the schema for the brain `name`, each error "brains.<name>.<path>: message": its name, the
// fields its kind needs or cannot have, NULs, a relative cwd.
void check_brain_config(const std::string& name, const nlohmann::json& brain, std::vector<std::string>& errors);
// A breaker ("breaker", or a brain's own keys over it) whose minimum exceeds its window could never open.
void check_breaker_config(const nlohmann::json& doc, std::vector<std::string>& errors);

}  // namespace paios
