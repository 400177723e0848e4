#include "config/schema_errors.hpp"

#include <algorithm>
#include <cctype>
#include <memory>
#include <regex>

#include <valijson/adapters/nlohmann_json_adapter.hpp>
#include <valijson/schema.hpp>
#include <valijson/schema_parser.hpp>
#include <valijson/validation_results.hpp>
#include <valijson/validator.hpp>

#include "config/config.hpp"
#include "messages/text.hpp"

namespace paios::config_errors {
namespace {

using nlohmann::json;

json_path child(json_path path, std::string key) {
  path.push_back(std::move(key));
  return path;
}

bool is_index(const std::string& s) {
  return !s.empty() && s.size() < 10 && std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isdigit(c); });
}

std::string quoted_list(const json& values) {
  std::string out;
  for (const auto& v : values) out += (out.empty() ? "" : ", ") + (v.is_string() ? v.get<std::string>() : v.dump());
  return out;
}

std::string wanted_type(const std::string& type) {
  if (type == "integer") return "an integer";
  if (type == "number") return "a number";
  if (type == "boolean") return "true or false";
  if (type == "object") return "an object";
  if (type == "array") return "an array";
  if (type == "null") return "null";
  return "a " + type;
}

bool has_type(const json& v, const std::string& type) {
  if (type == "integer") return v.is_number_integer();
  if (type == "number") return v.is_number();
  if (type == "string") return v.is_string();
  if (type == "boolean") return v.is_boolean();
  if (type == "object") return v.is_object();
  if (type == "array") return v.is_array();
  if (type == "null") return v.is_null();
  return true;  // a type this code does not know: let valijson's own words speak
}

// ---- The schema, read as a map from a document path to the node that governs it ----------------------------

const json& resolve_ref(const json& node) {
  if (!node.is_object() || !node.contains("$ref") || !node["$ref"].is_string()) return node;
  auto ref = node["$ref"].get<std::string>();
  if (ref.empty() || ref[0] != '#') return node;  // only local references: the schema is one file
  try {
    return config_schema().at(json::json_pointer(ref.substr(1)));
  } catch (const json::exception&) {
    return node;
  }
}

}  // namespace

void check_no_nul(const json& v, const std::string& where, std::vector<std::string>& errors) {
  // execve() and chdir() take C strings: a NUL would silently cut the value.
  if (v.is_string() && v.get<std::string>().find('\0') != std::string::npos)
    errors.push_back(where + ": must not contain a NUL character");
}

std::string join_path(const json_path& path) {
  std::string out;
  for (const auto& p : path) out += (out.empty() ? "" : ".") + p;
  return out.empty() ? "(top level)" : out;
}

std::string shown(const json& v) {
  std::string s = v.is_string() ? "\"" + v.get<std::string>() + "\"" : v.dump();
  return s.size() > 60 ? s.substr(0, 57) + "..." : s;
}

std::string actual_type(const json& v) {
  if (v.is_number_integer()) return "an integer";
  if (v.is_number_float()) return "a decimal number";
  if (v.is_string()) return "a string";
  if (v.is_boolean()) return "a boolean";
  if (v.is_array()) return "an array";
  if (v.is_object()) return "an object";
  return "null";
}

void add_unique(std::vector<std::string>& errors, std::string e) {
  if (std::find(errors.begin(), errors.end(), e) == errors.end()) errors.push_back(std::move(e));
}

void sort_by_path(std::vector<std::string>& errors) {
  auto split = [](const std::string& e) {
    const std::string path = e.substr(0, e.find(": "));
    std::vector<std::string> parts;
    std::size_t start = 0;
    for (auto dot = path.find('.'); dot != std::string::npos; dot = path.find('.', start)) {
      parts.push_back(path.substr(start, dot - start));
      start = dot + 1;
    }
    parts.push_back(path.substr(start));
    return parts;
  };
  std::stable_sort(errors.begin(), errors.end(), [&](const std::string& a, const std::string& b) {
    auto pa = split(a), pb = split(b);
    for (std::size_t i = 0; i < pa.size() && i < pb.size(); ++i) {
      if (pa[i] == pb[i]) continue;
      if (is_index(pa[i]) && is_index(pb[i])) return std::stoul(pa[i]) < std::stoul(pb[i]);
      return pa[i] < pb[i];
    }
    return pa.size() < pb.size();
  });
}

const json* schema_at(const json_path& path) {
  const json* node = &config_schema();
  for (const auto& key : path) {
    node = &resolve_ref(*node);
    if (!node->is_object()) return nullptr;
    if (node->contains("properties") && (*node)["properties"].contains(key)) node = &(*node)["properties"][key];
    else if (node->contains("additionalProperties") && (*node)["additionalProperties"].is_object())
      node = &(*node)["additionalProperties"];
    else if (node->contains("items") && (*node)["items"].is_object()) node = &(*node)["items"];
    else return nullptr;
  }
  return &resolve_ref(*node);
}

namespace {

const json* value_at(const json& doc, const json_path& path) {
  const json* node = &doc;
  for (const auto& key : path) {
    if (node->is_object() && node->contains(key)) node = &(*node)[key];
    else if (node->is_array() && is_index(key) && std::stoul(key) < node->size()) node = &(*node)[std::stoul(key)];
    else return nullptr;
  }
  return node;
}

// valijson's context reads {"<root>", "[brains]", "[claude]", "[timeout_ms]"}.
json_path path_of(const std::vector<std::string>& context) {
  json_path out;
  for (const auto& c : context) {
    if (c == "<root>") continue;
    if (c.size() >= 2 && c.front() == '[' && c.back() == ']') out.push_back(c.substr(1, c.size() - 2));
    else out.push_back(c);
  }
  return out;
}

std::string unknown_key(const json_path& where, const std::string& key) {
  std::string msg = join_path(child(where, key)) + ": unknown key";
  const json* schema = schema_at(where);
  if (!schema || !schema->contains("properties")) return msg;
  // A typo is the usual cause: name the closest key, or else the keys that exist here. Close means a few
  // edits away, or one name the start of the other ("delay" for "delay_ms").
  std::string best;
  std::size_t best_distance = std::max<std::size_t>(2, key.size() / 3) + 1;
  for (auto& [known, _] : (*schema)["properties"].items()) {
    auto d = edit_distance(key, known);
    const auto& shorter = key.size() < known.size() ? key : known;
    const auto& longer = key.size() < known.size() ? known : key;
    if (shorter.size() >= 3 && longer.rfind(shorter, 0) == 0) d = std::min<std::size_t>(d, 1);
    if (d < best_distance) {
      best = known;
      best_distance = d;
    }
  }
  if (!best.empty()) return msg + " (did you mean " + join_path(child(where, best)) + "?)";
  std::string keys;
  for (auto& [known, _] : (*schema)["properties"].items()) keys += (keys.empty() ? "" : ", ") + known;
  return msg + " (known here: " + keys + ")";
}

// Words for a person, worked out from the schema node at the path and the value found there, instead of
// valijson's generic sentences ("Expected number greater than or equal to 1.000000").
std::string describe_one(const json& doc, const json_path& path, const std::string& raw) {
  static const std::regex missing{R"(^Missing required property '(.*)'\.?$)"};
  std::smatch m;
  if (std::regex_search(raw, m, missing)) {
    std::string msg = join_path(child(path, m[1])) + ": is required";
    const json* sub = schema_at(child(path, m[1]));
    if (sub && sub->contains("enum")) msg += " (one of: " + quoted_list((*sub)["enum"]) + ")";
    return msg;
  }
  const auto where = join_path(path);
  const json* schema = schema_at(path);
  const json* value = value_at(doc, path);
  if (!schema || !value) return where + ": " + raw;
  const auto& s = *schema;
  const auto& v = *value;

  if (s.contains("type")) {
    std::vector<std::string> types;
    if (s["type"].is_string()) types.push_back(s["type"].get<std::string>());
    else if (s["type"].is_array())
      for (const auto& t : s["type"])
        if (t.is_string()) types.push_back(t.get<std::string>());
    if (!types.empty() && std::none_of(types.begin(), types.end(), [&](auto& t) { return has_type(v, t); })) {
      std::string want;
      for (std::size_t i = 0; i < types.size(); ++i)
        want += (i == 0 ? "" : i + 1 == types.size() ? " or " : ", ") + wanted_type(types[i]);
      std::string msg = where + ": must be " + want + ", not " + actual_type(v);
      if (!v.is_object() && !v.is_array() && !v.is_null()) msg += " (" + shown(v) + ")";
      return msg;
    }
  }
  if (s.contains("enum") && s["enum"].is_array() && std::find(s["enum"].begin(), s["enum"].end(), v) == s["enum"].end())
    return where + ": must be one of " + quoted_list(s["enum"]) + " (got " + shown(v) + ")";
  if (v.is_number() && (s.contains("minimum") || s.contains("maximum"))) {
    // long double holds every 64-bit integer exactly, so a huge unsigned value is compared right.
    auto as_ld = [](const json& n) {
      if (n.is_number_unsigned()) return static_cast<long double>(n.get<std::uint64_t>());
      if (n.is_number_integer()) return static_cast<long double>(n.get<std::int64_t>());
      return static_cast<long double>(n.get<double>());
    };
    bool has_min = s.contains("minimum") && s["minimum"].is_number();
    bool has_max = s.contains("maximum") && s["maximum"].is_number();
    if ((has_min && as_ld(v) < as_ld(s["minimum"])) || (has_max && as_ld(v) > as_ld(s["maximum"]))) {
      std::string want = wanted_type(s.value("type", "number"));
      if (has_min && has_max) want += " from " + s["minimum"].dump() + " to " + s["maximum"].dump();
      else if (has_min) want += " >= " + s["minimum"].dump();
      else want += " <= " + s["maximum"].dump();
      return where + ": must be " + want + " (got " + shown(v) + ")";
    }
  }
  if (v.is_string()) {
    auto length = v.get<std::string>().size();
    if (s.contains("minLength") && length < s["minLength"].get<std::size_t>())
      return where + (s["minLength"] == 1 ? ": must not be empty"
                                          : ": must be at least " + s["minLength"].dump() + " characters long");
    if (s.contains("maxLength") && length > s["maxLength"].get<std::size_t>())
      return where + ": must be at most " + s["maxLength"].dump() + " characters long";
    if (s.contains("pattern") && s["pattern"].is_string()) {
      try {
        if (!std::regex_search(v.get<std::string>(), std::regex(s["pattern"].get<std::string>())))
          return where + ": must match " + s["pattern"].get<std::string>() + " (got " + shown(v) + ")";
      } catch (const std::regex_error&) {
      }
    }
  }
  if (v.is_array()) {
    if (s.contains("minItems") && v.size() < s["minItems"].get<std::size_t>())
      return where + (s["minItems"] == 1 ? ": must not be empty" : ": must have at least " + s["minItems"].dump() + " items");
    if (s.contains("maxItems") && v.size() > s["maxItems"].get<std::size_t>())
      return where + ": must have at most " + s["maxItems"].dump() + " items";
  }
  return where + ": " + raw;
}

std::vector<std::string> describe(const json& doc, const json_path& path, const std::string& raw) {
  static const std::regex unknown{R"(could not be validated using 'properties' or 'additionalProperties' constraints: '(.*)'\.?$)"};
  std::smatch m;
  if (!std::regex_search(raw, m, unknown)) return {describe_one(doc, path, raw)};
  // valijson names only the first unknown key of an object; the user deserves all of them at once.
  std::vector<std::string> out;
  const json* schema = schema_at(path);
  const json* value = value_at(doc, path);
  if (schema && value && value->is_object() && schema->contains("properties"))
    for (auto& [key, _] : value->items())
      if (!(*schema)["properties"].contains(key)) out.push_back(unknown_key(path, key));
  if (out.empty()) out.push_back(unknown_key(path, m[1]));
  return out;
}

// valijson reports a failure once where it happens and again at every enclosing level; only the innermost
// report says something.
bool is_wrapper(const std::string& description) {
  for (const char* prefix : {"Failed to validate against schema associated with property name",
                             "Failed to validate against schema associated with pattern",
                             "Failed to validate against additional properties schema", "Failed to validate item #",
                             "Failed to validate against child schema", "Failed to validate against dependent schema"})
    if (description.rfind(prefix, 0) == 0) return true;
  return false;
}

}  // namespace

bool validate_schema(const json& doc, std::vector<std::string>& errors) {
  static const auto schema = [] {
    auto s = std::make_unique<valijson::Schema>();
    valijson::SchemaParser parser;
    valijson::adapters::NlohmannJsonAdapter adapter(config_schema());
    parser.populateSchema(adapter, *s);
    return s;
  }();
  valijson::Validator validator;
  valijson::ValidationResults results;
  valijson::adapters::NlohmannJsonAdapter target(doc);
  if (validator.validate(*schema, target, &results)) return true;
  valijson::ValidationResults::Error e;
  while (results.popError(e))
    if (!is_wrapper(e.description))
      for (auto& message : describe(doc, path_of(e.context), e.description)) add_unique(errors, std::move(message));
  return false;
}

}  // namespace paios::config_errors
