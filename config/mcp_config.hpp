#pragma once
// The "mcp" section: the MCP servers the daemon runs as tool sources (actors/mcp_client). Apart from
// config.hpp so that the MCP client needs only this struct. Field defaults are the schema's ("default" in
// config/schema.json, mcp.servers.NAME.*); the initial values below equal them.
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace paios {

struct mcp_server_config {
  std::string name;
  std::vector<std::string> command;                      // argv; argv[0] looked up on PATH unless it has a '/'
  std::vector<std::pair<std::string, std::string>> env;  // added to the daemon's environment, in name order
  std::string cwd;                                       // absolute, or empty for the daemon's
  std::string prefix;                                    // mounted tool names: prefix + the server's name ("<name>_")
  std::int64_t timeout_ms = 30000;                       // one tools/call, from its arrival
  std::int64_t start_timeout_ms = 30000;                 // spawn to the end of tools/list
};

// The enabled servers of the validated merged document's "mcp" section, in name order.
std::vector<mcp_server_config> read_mcp_config(const nlohmann::json& section);
// Checks beyond the schema, each error "mcp.servers.<name>.<field>: message": the server's name, NULs, a
// relative cwd, environment names, two enabled servers mounting under the same prefix.
void check_mcp_config(const nlohmann::json& section, std::vector<std::string>& errors);
// Each brain of kind "mcp" names an enabled server: "brains.<name>.server: ..." otherwise. `doc` is the whole
// merged document.
void check_mcp_brains(const nlohmann::json& doc, std::vector<std::string>& errors);

}  // namespace paios
