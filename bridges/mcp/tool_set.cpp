#include "bridges/mcp/tool_set.hpp"

#include <map>
#include <regex>
#include <set>

#include <valijson/adapters/nlohmann_json_adapter.hpp>
#include <valijson/schema.hpp>
#include <valijson/schema_parser.hpp>
#include <valijson/validation_results.hpp>
#include <valijson/validator.hpp>

#include "core/mcp/tool_registry.hpp"

namespace paios::mcp {
namespace {

using nlohmann::json;

std::shared_ptr<const valijson::Schema> compile(const json& schema) {
  auto s = std::make_shared<valijson::Schema>();
  valijson::SchemaParser parser;  // draft 7: what MCP clients' validators (Ajv) read by default
  valijson::adapters::NlohmannJsonAdapter adapter(schema);
  parser.populateSchema(adapter, *s);
  return s;
}

// The fields of a registry entry that tools/list shows; the rest (op, streamed, timeout_ms) is ours.
constexpr const char* kShown[] = {"name", "title", "description", "inputSchema", "outputSchema", "annotations"};

// valijson's context reads {"<root>", "[attachments]", "[0]"}: as a path, attachments[0].
std::string path_of(const std::vector<std::string>& context) {
  std::string out;
  for (const auto& c : context) {
    if (c == "<root>" || c.size() < 2 || c.front() != '[') continue;
    auto inner = c.substr(1, c.size() - 2);
    const bool index = !inner.empty() && inner.find_first_not_of("0123456789") == std::string::npos;
    if (index) out += "[" + inner + "]";
    else out += (out.empty() ? "" : ".") + inner;
  }
  return out;
}

// valijson reports a failure where it happens and again at each enclosing level; only the innermost says what.
bool is_wrapper(const std::string& d) {
  for (const char* prefix : {"Failed to validate against schema associated with property name",
                             "Failed to validate item #", "Failed to validate against child schema"})
    if (d.rfind(prefix, 0) == 0) return true;
  return false;
}

// The schema of the value at valijson's context, following properties and items; nullptr when not found.
const json* schema_at(const json& root, const std::vector<std::string>& context) {
  const json* at = &root;
  for (const auto& c : context) {
    if (c == "<root>" || c.size() < 2 || c.front() != '[') continue;
    auto inner = c.substr(1, c.size() - 2);
    if (at->contains("properties") && (*at)["properties"].contains(inner)) at = &(*at)["properties"][inner];
    else if (at->contains("items") && (*at)["items"].is_object()) at = &(*at)["items"];
    else return nullptr;
  }
  return at;
}

std::string type_words(const json& schema) {
  static const std::map<std::string, std::string> words = {
      {"string", "a string"},   {"integer", "an integer"}, {"number", "a number"}, {"boolean", "true or false"},
      {"array", "an array"},    {"object", "an object"},   {"null", "null"}};
  std::vector<std::string> types;
  auto add = [&](const json& t) {
    if (t.is_string()) types.push_back(words.count(t.get<std::string>()) ? words.at(t.get<std::string>()) : t.get<std::string>());
    else if (t.is_array())
      for (const auto& x : t)
        if (x.is_string()) types.push_back(words.count(x.get<std::string>()) ? words.at(x.get<std::string>()) : x.get<std::string>());
  };
  if (schema.contains("anyOf"))
    for (const auto& branch : schema["anyOf"]) add(branch.value("type", json()));
  else add(schema.value("type", json()));
  std::string out;
  for (std::size_t i = 0; i < types.size(); ++i) out += (i == 0 ? "" : i + 1 == types.size() ? " or " : ", ") + types[i];
  return out;
}

// valijson's sentences, said for a person: "Expected number less than or equal to 100.000000" -> "must be at most 100".
std::string plain(const std::string& d, const json* schema) {
  static const std::regex number{R"((-?\d+)\.0+\b)"};
  std::string s = std::regex_replace(d, number, "$1");
  const auto type = schema ? type_words(*schema) : std::string{};
  if (!type.empty() && (s.rfind("Value type not permitted by 'type' constraint", 0) == 0 ||
                        s.find("allowed by anyOf constraint") != std::string::npos))
    return "must be " + type;
  if (schema && schema->contains("enum") && s.find("enum values") != std::string::npos) {
    std::string values;
    for (const auto& v : (*schema)["enum"]) values += (values.empty() ? "" : ", ") + (v.is_string() ? v.get<std::string>() : v.dump());
    return "must be one of " + values;
  }
  if (schema && schema->contains("pattern") && s.find("'pattern' constraint") != std::string::npos)
    return "must match " + (*schema)["pattern"].get<std::string>();
  static const std::vector<std::pair<std::regex, std::string>> rewrites = {
      {std::regex{R"(^Expected number less than or equal to (.*)$)"}, "must be at most $1"},
      {std::regex{R"(^Expected number greater than or equal to (.*)$)"}, "must be at least $1"},
      {std::regex{R"(^String should be no more than (\d+) characters in length\.?$)"}, "must be at most $1 characters"},
      {std::regex{R"(^String should be no fewer than (\d+) characters in length\.?$)"}, "must not be empty"},
      {std::regex{R"(^Value type not permitted by 'type' constraint\.?$)"}, "has the wrong type"},
      {std::regex{R"(^Failed to match regex specified by 'pattern' constraint\.?$)"}, "has the wrong form"},
      {std::regex{R"(^Failed to match against any enum values\.?$)"}, "is not one of the allowed values"},
      {std::regex{R"(^Array should contain no more than (\d+) elements\.?$)"}, "must hold at most $1 items"},
  };
  for (const auto& [re, with] : rewrites)
    if (std::regex_search(s, re)) return std::regex_replace(s, re, with);
  return s;
}

std::string describe(const json& schema, const valijson::ValidationResults& results) {
  static const std::regex missing{R"(^Missing required property '(.*)'\.?$)"};
  static const std::regex extra{R"(could not be validated using 'properties' or 'additionalProperties' constraints: '(.*)'\.?$)"};
  // A value that matches none of an anyOf's forms: its branches' own complaints say less than "must be X or Y".
  std::set<std::string> any_of;
  for (const auto& e : results)
    if (e.description.find("allowed by anyOf constraint") != std::string::npos) any_of.insert(path_of(e.context));
  std::vector<std::string> out;
  for (const auto& e : results) {
    if (is_wrapper(e.description)) continue;
    auto where = path_of(e.context);
    std::smatch m;
    std::string said;
    if (std::regex_search(e.description, m, missing)) {
      said = "missing required argument '" + (where.empty() ? "" : where + ".") + m[1].str() + "'";
    } else if (std::regex_search(e.description, m, extra)) {
      said = "unknown argument '" + (where.empty() ? "" : where + ".") + m[1].str() + "'";
      if (where.empty() && schema.contains("properties")) {
        std::string known;
        for (auto& [k, _] : schema["properties"].items()) known += (known.empty() ? "" : ", ") + k;
        said += known.empty() ? " (this tool takes none)" : " (this tool takes: " + known + ")";
      }
    } else if (any_of.count(where) && e.description.find("allowed by anyOf constraint") == std::string::npos) {
      continue;
    } else {
      said = (where.empty() ? std::string{"arguments "} : "argument '" + where + "' ") +
             plain(e.description, schema_at(schema, e.context));
    }
    if (std::find(out.begin(), out.end(), said) == out.end()) out.push_back(std::move(said));
  }
  std::string joined;
  for (const auto& s : out) joined += (joined.empty() ? "" : "; ") + s;
  return joined.empty() ? "the arguments do not match the tool's inputSchema" : joined;
}

std::uint32_t fnv1a(std::string_view s, std::uint32_t h = 2166136261u) {
  for (unsigned char c : s) h = (h ^ c) * 16777619u;
  return h;
}

}  // namespace

std::optional<tool_set> tool_set::parse(const json& tools, std::string& error) {
  if (!tools.is_array()) {
    error = "the registry's tools are not an array";
    return std::nullopt;
  }
  tool_set set;
  set.fingerprint_ = fnv1a("tools");
  for (const auto& entry : tools) {
    const std::string shown = entry.is_object() ? entry.value("name", std::string{"?"}) : std::string{"?"};
    if (!entry.is_object() || !entry.contains("name") || !entry["name"].is_string() || !entry.contains("op") ||
        !entry["op"].is_string()) {
      error = "tool " + shown + ": needs a name and an op";
      return std::nullopt;
    }
    auto schema = entry.find("inputSchema");
    if (schema == entry.end() || !schema->is_object() || schema->value("type", "") != "object") {
      error = "tool " + shown + ": inputSchema must be a schema of type object";
      return std::nullopt;
    }
    tool t;
    t.name = entry["name"].get<std::string>();
    t.op = entry["op"].get<std::string>();
    t.streamed = entry.value("streamed", false);
    t.timeout_ms = entry.value("timeout_ms", t.timeout_ms);
    t.definition = json::object();
    for (const char* key : kShown)
      if (entry.contains(key)) t.definition[key] = entry[key];
    try {
      t.input_schema = compile(*schema);
    } catch (const std::exception& e) {
      // A mounted MCP server's schema is that server's: one this validator cannot read leaves its arguments to
      // the server to check, rather than losing the whole list.
      if (t.op != "tools.call") {
        error = "tool " + t.name + ": inputSchema: " + e.what();
        return std::nullopt;
      }
    }
    set.fingerprint_ = fnv1a(t.name, fnv1a("/", set.fingerprint_));
    set.tools_.push_back(std::move(t));
  }
  return set;
}

const tool_set& tool_set::embedded() {
  static const tool_set set = [] {
    std::string error;
    auto parsed = parse(json::parse(registry_text()).at("tools"), error);
    if (!parsed) throw std::logic_error("core/mcp/tools.json: " + error);  // a unit test reads the same file
    return std::move(*parsed);
  }();
  return set;
}

const tool* tool_set::find(std::string_view name) const {
  for (const auto& t : tools_)
    if (t.name == name) return &t;
  return nullptr;
}

std::string tool_set::check_arguments(const tool& t, const json& arguments) {
  if (!t.input_schema) return {};  // a mounted tool whose schema did not compile: its server checks
  const auto& schema = *std::static_pointer_cast<const valijson::Schema>(t.input_schema);
  valijson::Validator validator;
  valijson::ValidationResults results;
  valijson::adapters::NlohmannJsonAdapter target(arguments);
  if (validator.validate(schema, target, &results)) return {};
  return describe(t.definition.value("inputSchema", json::object()), results);
}

}  // namespace paios::mcp
