#include "core/mcp/tool_registry.hpp"

#include <nlohmann/json.hpp>

namespace paios::mcp {

std::string_view registry_text() { return embedded::tools_json; }

const std::string& tools_list_body() {
  // The build checked that the file is JSON (cmake/embed_json.cmake) and a unit test checks its entries.
  static const std::string body = [] {
    auto doc = nlohmann::json::parse(registry_text());
    return nlohmann::json{{"tools", doc.at("tools")}}.dump();
  }();
  return body;
}

}  // namespace paios::mcp
