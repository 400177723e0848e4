// The MCP JSON-RPC reader: any line an MCP server writes is a message or a parse error; never a crash.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "core/mcp/mcp_rpc.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  (void)paios::mcp_rpc::parse(std::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}
