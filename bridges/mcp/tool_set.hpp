#pragma once
// tool_set: a tool registry (tools.json's "tools", or the daemon's tools.list reply) read into tools ready to
// serve: each with its bus operation, its MCP definition and its argument schema compiled once. Immutable once
// built, so it is shared freely within one thread; no I/O.
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace paios::mcp {

struct tool {
  std::string name;
  std::string op;                 // the bus operation (docs/protocol.md)
  bool streamed = false;          // replies in several frames (task.submit)
  int timeout_ms = 10000;         // how long a single-reply operation may take to answer
  nlohmann::json definition;      // as tools/list shows it: name, title, description, inputSchema, outputSchema, annotations
  std::shared_ptr<const void> input_schema;  // the compiled inputSchema (tool_set.cpp knows its type); null for
                                             // a mounted tool whose schema did not compile (its server checks)
};

class tool_set {
 public:
  // Reads a registry's "tools" array. nullopt, with `error` naming the entry, when one is malformed (no name,
  // no op, an inputSchema that is not an object schema or does not compile).
  static std::optional<tool_set> parse(const nlohmann::json& tools, std::string& error);
  // The copy compiled into this program (tool_registry.hpp).
  static const tool_set& embedded();

  const tool* find(std::string_view name) const;
  const std::vector<tool>& all() const { return tools_; }
  // Changes when the list does (names and order): a paging cursor carries it.
  std::uint32_t fingerprint() const { return fingerprint_; }

  // "" when `arguments` satisfy the tool's inputSchema; else what is wrong, naming the argument
  // ("argument 'k': must be at most 100").
  static std::string check_arguments(const tool& t, const nlohmann::json& arguments);

 private:
  std::vector<tool> tools_;
  std::uint32_t fingerprint_ = 0;
};

}  // namespace paios::mcp
