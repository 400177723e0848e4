#pragma once
// `ai mcp install claude|codex|gemini [--project DIR | --user] [--print] [--dry-run]`: registers `ai mcp` as
// the MCP server "paios" with an agent, in the file that agent reads:
//
//   claude   DIR/.mcp.json (default: the current folder; what `claude mcp add --scope project` writes), or with
//            --user ~/.claude.json (user scope):  {"mcpServers": {"paios": {"type": "stdio", "command": AI, "args": ["mcp"]}}}
//   codex    $CODEX_HOME/config.toml (default ~/.codex/config.toml):  [mcp_servers.paios] command = AI, args = ["mcp"]
//   gemini   ~/.gemini/settings.json (default), or with --project DIR/.gemini/settings.json:
//            {"mcpServers": {"paios": {"command": AI, "args": ["mcp"]}}}
//
// AI is the absolute path of this `ai`; `--home H` comes first in args when PAIOS_HOME is not the default.
// Promises (as `ai hooks install`): only the "paios" entry is written, every other entry, key and comment is
// kept in its place; running it again changes nothing; the file is backed up before it is replaced, atomically
// (cli/config_file); a file that cannot be read as the agent's format is refused and left alone. --print shows
// the registration (for Claude Code also the `claude mcp add` command) and writes nothing; --dry-run shows the
// change as a diff and writes nothing.
#include <ostream>
#include <string>

#include <nlohmann/json.hpp>

namespace paios {

struct mcp_install_options {
  std::string agent;      // claude | codex | gemini
  std::string project;    // a project folder (claude's default scope: the current folder)
  bool user = false;      // the agent's user-wide file
  bool print = false;
  bool dry_run = false;
  std::string ai_path;    // absolute; default: /proc/self/exe
  std::string home;       // PAIOS_HOME to name; "" for the default
};

// The arguments `ai` takes to serve MCP: ["mcp"], or ["--home", HOME, "mcp"].
nlohmann::ordered_json mcp_server_args(const std::string& home);

// `settings` with mcpServers.paios set to `entry`; `error` set (and false) when mcpServers is not an object.
bool merge_mcp_servers_json(nlohmann::ordered_json& settings, const nlohmann::ordered_json& entry, std::string& error);

// Codex's config.toml text with its [mcp_servers.paios] table (and that table's sub-tables) replaced where it
// stands, or appended; every other line kept byte for byte. `error` set (and `text` returned) when "paios" is
// defined in a form this does not edit (an inline table, dotted keys), rather than defining it twice.
std::string merge_codex_toml(const std::string& text, const std::string& ai_path, const std::string& home,
                             std::string& error);

// 0 done (or nothing to do), 1 refused or failed, 2 a bad agent name; messages on out/err.
int mcp_install(const mcp_install_options& opt, std::ostream& out, std::ostream& err);

}  // namespace paios
