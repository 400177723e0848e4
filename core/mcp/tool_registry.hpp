#pragma once
// The tool registry: core/mcp/tools.json, compiled into paiosd and ai (docs/mcp.md). It is the one list of
// the tools `ai mcp` serves; each entry names the bus operation it runs (docs/protocol.md) and the JSON
// Schemas of its arguments and of its result. paiosd serves it as the bus operation tools.list; `ai mcp` uses
// the daemon's list, and its own copy when paiosd is not running. No I/O here.
#include <string>
#include <string_view>

namespace paios::mcp {

// The file, byte for byte.
std::string_view registry_text();

// The members of the tools.list reply: {"tools":[...]}, compact. Built once, on first use.
const std::string& tools_list_body();

namespace embedded {
extern const char tools_json[];  // generated from tools.json by cmake/embed_json.cmake
}  // namespace embedded

}  // namespace paios::mcp
