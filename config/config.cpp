#include "config/config.hpp"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <regex>
#include <sstream>

#include <valijson/adapters/nlohmann_json_adapter.hpp>
#include <valijson/schema.hpp>
#include <valijson/schema_parser.hpp>
#include <valijson/validation_results.hpp>
#include <valijson/validator.hpp>

#include "config/embedded.hpp"

namespace paios {
namespace {

using nlohmann::json;

std::string join_path(const std::vector<std::string>& parts) {
  std::string out;
  for (const auto& p : parts) out += (out.empty() ? "" : ".") + p;
  return out.empty() ? "(top level)" : out;
}

// valijson's context is like {"<root>", "[brains]", "[claude]", "[timeout_ms]"}.
std::vector<std::string> path_of(const std::vector<std::string>& context) {
  std::vector<std::string> out;
  for (const auto& c : context) {
    if (c == "<root>") continue;
    if (c.size() >= 2 && c.front() == '[' && c.back() == ']') out.push_back(c.substr(1, c.size() - 2));
    else out.push_back(c);
  }
  return out;
}

const json* schema_at(const std::vector<std::string>& path) {
  const json* node = &config_schema();
  for (const auto& key : path) {
    if (node->contains("properties") && (*node)["properties"].contains(key)) node = &(*node)["properties"][key];
    else if (node->contains("additionalProperties") && (*node)["additionalProperties"].is_object())
      node = &(*node)["additionalProperties"];
    else if (node->contains("items") && (*node)["items"].is_object()) node = &(*node)["items"];
    else return nullptr;
  }
  return node;
}

const json* value_at(const json& doc, const std::vector<std::string>& path) {
  const json* node = &doc;
  for (const auto& key : path) {
    if (node->is_object() && node->contains(key)) node = &(*node)[key];
    else if (node->is_array() && !key.empty() && std::isdigit(static_cast<unsigned char>(key[0])) &&
             std::stoul(key) < node->size())
      node = &(*node)[std::stoul(key)];
    else return nullptr;
  }
  return node;
}

std::string type_name(const json& v) {
  if (v.is_number_integer()) return "an integer";
  if (v.is_number()) return "a number";
  if (v.is_string()) return "a string";
  if (v.is_boolean()) return "true or false";
  if (v.is_array()) return "an array";
  if (v.is_object()) return "an object";
  return "null";
}

// Words for a person, from the schema node at the path, instead of valijson's generic sentences.
std::string describe(const json& doc, const std::vector<std::string>& path, const std::string& raw) {
  static const std::regex unknown_key{R"(could not be validated using 'properties' or 'additionalProperties' constraints: '([^']*)')"};
  static const std::regex missing{R"(Missing required property '([^']*)')"};
  std::smatch m;
  if (std::regex_search(raw, m, unknown_key)) {
    auto p = path;
    p.push_back(m[1]);
    return join_path(p) + ": unknown key";
  }
  if (std::regex_search(raw, m, missing)) {
    auto p = path;
    p.push_back(m[1]);
    return join_path(p) + ": required";
  }
  const json* schema = schema_at(path);
  const json* value = value_at(doc, path);
  std::string got = value ? " (got " + (value->is_string() ? "\"" + value->get<std::string>() + "\"" : value->dump()) + ")" : "";
  if (schema) {
    if (schema->contains("enum")) {
      std::string options;
      for (const auto& o : (*schema)["enum"]) options += (options.empty() ? "" : ", ") + o.get<std::string>();
      return join_path(path) + ": must be one of " + options + got;
    }
    if (schema->contains("type")) {
      auto type = (*schema)["type"].get<std::string>();
      std::string want = type == "integer" ? "an integer" : type == "boolean" ? "true or false" : "a" + std::string(type == "object" || type == "array" ? "n " : " ") + type;
      if (value && type_name(*value) != want && !(type == "number" && value->is_number()))
        return join_path(path) + ": must be " + want + ", not " + type_name(*value);
      if (schema->contains("minimum") || schema->contains("maximum")) {
        std::string range = " between " + (schema->contains("minimum") ? (*schema)["minimum"].dump() : "-inf") + " and " +
                            (schema->contains("maximum") ? (*schema)["maximum"].dump() : "inf");
        return join_path(path) + ": must be " + want + range + got;
      }
      if (schema->contains("minItems")) return join_path(path) + ": must have at least " + (*schema)["minItems"].dump() + " item(s)";
      if (schema->contains("minLength")) return join_path(path) + ": must not be empty";
    }
  }
  return join_path(path) + ": " + raw;
}

std::vector<std::string> validate_schema(const json& doc) {
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
  std::vector<std::string> errors;
  if (validator.validate(*schema, target, &results)) return errors;
  valijson::ValidationResults::Error e;
  while (results.popError(e)) {
    // valijson repeats a failure at each enclosing level; only the innermost one says something.
    if (e.description.rfind("Failed to validate against schema associated with property name", 0) == 0 ||
        e.description.rfind("Failed to validate item", 0) == 0 ||
        e.description.rfind("Failed to validate against child schema", 0) == 0 ||
        e.description.rfind("Object contains properties that could not be validated", 0) == 0)
      continue;
    auto msg = describe(doc, path_of(e.context), e.description);
    if (std::find(errors.begin(), errors.end(), msg) == errors.end()) errors.push_back(msg);
  }
  if (errors.empty()) errors.push_back("(top level): does not match the configuration schema");
  return errors;
}

template <class T>
T get_or(const json& obj, const char* key, T fallback) {
  auto it = obj.find(key);
  return it == obj.end() ? fallback : it->get<T>();
}

brain_config read_brain(const std::string& name, const json& b) {
  brain_config c;
  c.name = name;
  c.kind = b.at("kind").get<std::string>();
  c.description = get_or<std::string>(b, "description", "");
  c.format = get_or<std::string>(b, "format", c.kind == "process" ? "text" : "");
  c.command = get_or<std::vector<std::string>>(b, "command", {});
  c.timeout_ms = get_or<std::int64_t>(b, "timeout_ms", c.timeout_ms);
  c.kill_grace_ms = get_or<std::int64_t>(b, "kill_grace_ms", c.kill_grace_ms);
  c.delay_ms = get_or<std::int64_t>(b, "delay_ms", 0);
  c.max_concurrent = get_or<int>(b, "max_concurrent", c.max_concurrent);
  c.max_queue = get_or<int>(b, "max_queue", c.max_queue);
  c.cwd = get_or<std::string>(b, "cwd", "");
  if (b.contains("env"))
    for (auto& [k, v] : b["env"].items()) c.env.emplace_back(k, v.get<std::string>());
  return c;
}

// What the schema cannot say: names, references between keys, fields that belong to one kind of brain.
std::vector<std::string> check_meaning(const json& doc) {
  std::vector<std::string> errors;
  static const std::regex brain_name{"^[a-z][a-z0-9_-]{0,31}$"};
  std::vector<std::string> enabled;
  for (auto& [name, b] : doc["brains"].items()) {
    auto path = "brains." + name;
    if (!std::regex_match(name, brain_name))
      errors.push_back(path + ": a brain name is a lower-case letter then up to 31 of a-z, 0-9, '_' and '-'");
    auto kind = b.value("kind", "");
    if (kind == "process" && !b.contains("command")) errors.push_back(path + ".command: required for a process brain");
    if (kind == "echo")
      for (const char* key : {"command", "format", "env", "cwd"})
        if (b.contains(key)) errors.push_back(path + "." + key + ": only a process brain has it");
    if (kind == "process" && b.contains("delay_ms")) errors.push_back(path + ".delay_ms: only an echo brain has it");
    if (b.value("enabled", true)) enabled.push_back(name);
  }
  auto is_enabled = [&](const std::string& n) { return std::find(enabled.begin(), enabled.end(), n) != enabled.end(); };
  auto known = [&] {
    std::string s;
    for (auto& n : enabled) s += (s.empty() ? "" : ", ") + n;
    return s;
  };
  auto def = doc["tasks"].value("default_brain", "");
  if (!is_enabled(def))
    errors.push_back("tasks.default_brain: '" + def + "' is not a configured, enabled brain (brains: " + known() + ")");
  auto failover = doc["tasks"].value("failover", json::array());
  for (std::size_t i = 0; i < failover.size(); ++i)
    if (!is_enabled(failover[i].get<std::string>()))
      errors.push_back("tasks.failover." + std::to_string(i) + ": '" + failover[i].get<std::string>() +
                       "' is not a configured, enabled brain (brains: " + known() + ")");
  bool allow_tcp = doc["bridge"].value("allow_tcp", false);
  for (const char* key : {"endpoint", "events_endpoint"}) {
    auto ep = doc["bridge"].value(key, "");
    if (ep.empty()) continue;
    if (ep.rfind("tcp://", 0) == 0 && !allow_tcp)
      errors.push_back(std::string{"bridge."} + key + ": a tcp endpoint opens the daemon to the network; set bridge.allow_tcp to true to mean it");
    else if (ep.rfind("tcp://", 0) != 0 && ep.rfind("ipc://", 0) != 0)
      errors.push_back(std::string{"bridge."} + key + ": must start with ipc:// or tcp:// (got \"" + ep + "\")");
  }
  return errors;
}

daemon_config read_config(const json& doc) {
  daemon_config c;
  const auto& log = doc["log"];
  c.log.level = log.value("level", "info");
  c.log.max_file_bytes = log.value("max_file_bytes", std::size_t{10} << 20);
  c.log.max_files = log.value("max_files", 3);
  const auto& br = doc["bridge"];
  c.bridge.endpoint = br.value("endpoint", "");
  c.bridge.events_endpoint = br.value("events_endpoint", "");
  c.bridge.max_message_bytes = br.value("max_message_bytes", std::size_t{4} << 20);
  c.bridge.client_hwm = br.value("client_hwm", 10000);
  c.bridge.allow_tcp = br.value("allow_tcp", false);
  const auto& t = doc["tasks"];
  c.tasks.default_brain = t.value("default_brain", "");
  c.tasks.failover = t.value("failover", std::vector<std::string>{});
  c.tasks.drain_timeout_ms = t.value("drain_timeout_ms", std::int64_t{10000});
  c.tasks.redispatch_running = t.value("on_restart_running", "interrupt") == "redispatch";
  c.tasks.max_in_flight = t.value("max_in_flight", std::size_t{100000});
  c.state.synchronous_full = doc["state"].value("synchronous", "normal") == "full";
  c.supervision.max_restarts = doc["supervision"].value("max_restarts", 5);
  c.supervision.within_ms = doc["supervision"].value("within_ms", std::int64_t{10000});
  for (auto& [name, b] : doc["brains"].items())  // nlohmann's object is ordered by key
    if (b.value("enabled", true)) c.brains.push_back(read_brain(name, b));
  c.merged = doc;
  return c;
}

}  // namespace

const json& default_config() {
  static const json doc = json::parse(embedded::defaults_json);
  return doc;
}

const json& config_schema() {
  static const json doc = json::parse(embedded::schema_json);
  return doc;
}

json merge_config(json base, const json& overlay) {
  if (!base.is_object() || !overlay.is_object()) return overlay;
  for (auto& [key, value] : overlay.items()) {
    if (value.is_null()) base.erase(key);
    else if (base.contains(key) && base[key].is_object() && value.is_object()) base[key] = merge_config(base[key], value);
    else base[key] = value;
  }
  return base;
}

config_result config_from_json(const json& user) {
  config_result r;
  if (!user.is_object()) {
    r.errors.push_back("(top level): the configuration must be a JSON object, not " + type_name(user));
    return r;
  }
  auto merged = merge_config(default_config(), user);
  r.errors = validate_schema(merged);
  if (!r.errors.empty()) return r;
  r.errors = check_meaning(merged);
  if (!r.errors.empty()) return r;
  r.config = read_config(merged);
  return r;
}

config_result load_config(const std::optional<std::filesystem::path>& user_file) {
  if (!user_file) return config_from_json(json::object());
  std::ifstream in(*user_file, std::ios::binary);
  if (!in) {
    config_result r;
    r.errors.push_back(user_file->string() + ": cannot be read (" + std::strerror(errno) + ")");
    return r;
  }
  std::stringstream ss;
  ss << in.rdbuf();
  try {
    return config_from_json(json::parse(ss.str()));
  } catch (const json::parse_error& e) {
    // nlohmann reports a byte offset: turn it into line and column.
    auto text = ss.str();
    std::size_t line = 1, col = 1;
    for (std::size_t i = 0; i + 1 < e.byte && i < text.size(); ++i) {
      if (text[i] == '\n') {
        ++line;
        col = 1;
      } else {
        ++col;
      }
    }
    config_result r;
    std::string what = e.what();
    auto pos = what.find("syntax error");
    r.errors.push_back(user_file->string() + ":" + std::to_string(line) + ":" + std::to_string(col) +
                       ": invalid JSON: " + (pos == std::string::npos ? what : what.substr(pos)));
    return r;
  }
}

}  // namespace paios
