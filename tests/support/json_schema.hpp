#pragma once
// JSON Schema checks for tests (draft 7, as MCP clients read a tool's schemas), with Debian's valijson.
#include <string>

#include <nlohmann/json.hpp>
#include <valijson/adapters/nlohmann_json_adapter.hpp>
#include <valijson/schema.hpp>
#include <valijson/schema_parser.hpp>
#include <valijson/validation_results.hpp>
#include <valijson/validator.hpp>

namespace paios::test {

// "" when `value` satisfies `schema`, else each of valijson's complaints on a line, with its place.
inline std::string schema_error(const nlohmann::json& schema, const nlohmann::json& value) {
  valijson::Schema s;
  valijson::SchemaParser parser;
  valijson::adapters::NlohmannJsonAdapter sa(schema);
  parser.populateSchema(sa, s);
  valijson::Validator v;
  valijson::ValidationResults results;
  valijson::adapters::NlohmannJsonAdapter target(value);
  if (v.validate(s, target, &results)) return {};
  std::string out;
  valijson::ValidationResults::Error e;
  while (results.popError(e)) {
    for (auto& c : e.context) out += c;
    out += ": " + e.description + "\n";
  }
  return out;
}

}  // namespace paios::test
