#include "config/config.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <memory>
#include <regex>
#include <set>

#include <valijson/adapters/nlohmann_json_adapter.hpp>
#include <valijson/schema.hpp>
#include <valijson/schema_parser.hpp>
#include <valijson/validation_results.hpp>
#include <valijson/validator.hpp>

#include "config/embedded.hpp"

namespace paios {
namespace {

using nlohmann::json;
using json_path = std::vector<std::string>;

// A configuration file is a few kilobytes; a much larger one is a wrong path, not a configuration.
constexpr std::size_t kMaxFileBytes = 16u << 20;
// sun_path holds 108 bytes including the terminating NUL.
constexpr std::size_t kMaxIpcPathBytes = 107;

std::string join_path(const json_path& path) {
  std::string out;
  for (const auto& p : path) out += (out.empty() ? "" : ".") + p;
  return out.empty() ? "(top level)" : out;
}

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

// What a person needs to recognise the value they wrote, kept short.
std::string shown(const json& v) {
  std::string s = v.is_string() ? "\"" + v.get<std::string>() + "\"" : v.dump();
  return s.size() > 60 ? s.substr(0, 57) + "..." : s;
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

std::string actual_type(const json& v) {
  if (v.is_number_integer()) return "an integer";
  if (v.is_number_float()) return "a decimal number";
  if (v.is_string()) return "a string";
  if (v.is_boolean()) return "a boolean";
  if (v.is_array()) return "an array";
  if (v.is_object()) return "an object";
  return "null";
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

void add_unique(std::vector<std::string>& errors, std::string e) {
  if (std::find(errors.begin(), errors.end(), e) == errors.end()) errors.push_back(std::move(e));
}

// Errors in document order whatever found them: by path, component by component, indices as numbers.
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

// Parser messages may quote raw bytes of the file (an ill-formed UTF-8 byte): keep the error printable.
std::string printable(const std::string& s) {
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (unsigned char c : s) {
    if (c >= 0x20 && c < 0x7f) {
      out += static_cast<char>(c);
    } else {
      out += "\\x";
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
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

std::size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      std::size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
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

// Returns whether the document is valid; appends the readable errors. A failure valijson reports only through
// a wrapper (propertyNames) appends nothing: check_meaning() names those keys itself.
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

// ---- What the schema cannot say, or cannot say with a path: names, references between keys, the fields that
// belong to one kind of brain. Runs on documents the schema refused too (every value is type-checked first),
// so that one run reports every mistake.

struct name_rules {
  std::string brain_pattern, env_pattern;
  std::optional<std::regex> brain, env;
};

const name_rules& names() {
  // The patterns live in schema.json (propertyNames), the one place that defines them; valijson checks them
  // too but says only that something under "brains" failed.
  static const name_rules rules = [] {
    name_rules r;
    const json* brains = schema_at({"brains"});
    if (brains && brains->contains("propertyNames")) r.brain_pattern = (*brains)["propertyNames"].value("pattern", "");
    const json* env = schema_at({"brains", "NAME", "env"});
    if (env && env->contains("propertyNames")) r.env_pattern = (*env)["propertyNames"].value("pattern", "");
    if (!r.brain_pattern.empty()) r.brain.emplace(r.brain_pattern);
    if (!r.env_pattern.empty()) r.env.emplace(r.env_pattern);
    return r;
  }();
  return rules;
}

void check_no_nul(const json& v, const std::string& where, std::vector<std::string>& errors) {
  // execve() and chdir() take C strings: a NUL would silently cut the value.
  if (v.is_string() && v.get<std::string>().find('\0') != std::string::npos)
    errors.push_back(where + ": must not contain a NUL character");
}

void check_brain(const std::string& name, const json& b, std::vector<std::string>& errors) {
  const auto path = "brains." + name;
  if (names().brain && !std::regex_search(name, *names().brain))
    errors.push_back(path + ": invalid brain name (must match " + names().brain_pattern + ")");
  if (!b.is_object()) return;
  const auto kind = b.contains("kind") && b["kind"].is_string() ? b["kind"].get<std::string>() : "";
  if (kind == "process" && !b.contains("command")) errors.push_back(path + ".command: is required for a process brain");
  // A default brain turned into the other kind keeps the default's fields unless the user drops them.
  auto hint = [&](const char* key) {
    const auto& defaults = default_config()["brains"];
    return defaults.contains(name) && defaults[name].contains(key) ? std::string{" (set it to null to drop the default)"}
                                                                   : std::string{};
  };
  if (kind == "echo" || kind == "kb" || kind == "mcp")
    for (const char* key : {"command", "format", "env", "cwd"})
      if (b.contains(key))
        errors.push_back(path + "." + key + ": only a process brain has it, not " +
                         (kind == "echo" ? "an echo brain" : kind == "kb" ? "the kb brain" : "an mcp brain") + hint(key));
  // An mcp brain runs one tool of an MCP server with the prompt as one of its arguments.
  if (kind == "mcp") {
    for (const char* key : {"server", "tool"})
      if (!b.contains(key)) errors.push_back(path + "." + key + ": is required for an mcp brain");
    if (b.contains("delay_ms")) errors.push_back(path + ".delay_ms: only an echo brain has it, not an mcp brain" + hint("delay_ms"));
  } else {
    for (const char* key : {"server", "tool", "prompt_argument", "arguments"})
      if (b.contains(key)) errors.push_back(path + "." + key + ": only an mcp brain has it" + hint(key));
  }
  if (kind == "kb" && b.contains("delay_ms"))
    errors.push_back(path + ".delay_ms: only an echo brain has it, not the kb brain" + hint("delay_ms"));
  if (kind == "process" && b.contains("delay_ms"))
    errors.push_back(path + ".delay_ms: only an echo brain has it, not a process brain" + hint("delay_ms"));

  if (b.contains("command") && b["command"].is_array())
    for (std::size_t i = 0; i < b["command"].size(); ++i)
      check_no_nul(b["command"][i], path + ".command." + std::to_string(i), errors);
  if (b.contains("env") && b["env"].is_object())
    for (auto& [key, value] : b["env"].items()) {
      if (names().env && !std::regex_search(key, *names().env))
        errors.push_back(path + ".env." + key + ": invalid environment variable name (must match " +
                         names().env_pattern + ")");
      check_no_nul(value, path + ".env." + key, errors);
    }
  if (b.contains("cwd") && b["cwd"].is_string()) {
    const auto cwd = b["cwd"].get<std::string>();
    check_no_nul(b["cwd"], path + ".cwd", errors);
    // Relative to what? The daemon's own directory is an accident of how it was started.
    if (!cwd.empty() && cwd[0] != '/') errors.push_back(path + ".cwd: must be an absolute path (got " + shown(b["cwd"]) + ")");
  }
}

void check_endpoint(const json& bridge, const char* key, bool allow_tcp, std::vector<std::string>& errors) {
  if (!bridge.contains(key) || !bridge[key].is_string()) return;
  const auto ep = bridge[key].get<std::string>();
  const auto where = std::string{"bridge."} + key;
  if (ep.empty()) return;  // the default socket under $PAIOS_HOME/run
  if (ep.rfind("ipc://", 0) == 0) {
    auto file = ep.substr(6);
    if (file.empty()) errors.push_back(where + ": an ipc:// endpoint needs a socket path");
    else if (file.size() > kMaxIpcPathBytes)
      errors.push_back(where + ": the socket path is " + std::to_string(file.size()) + " bytes, more than the " +
                       std::to_string(kMaxIpcPathBytes) + " a Unix socket allows");
  } else if (ep.rfind("tcp://", 0) == 0) {
    auto rest = ep.substr(6);
    auto colon = rest.rfind(':');
    if (colon == std::string::npos || colon == 0 || colon + 1 == rest.size())
      errors.push_back(where + ": must be tcp://HOST:PORT (got " + shown(bridge[key]) + ")");
    if (!allow_tcp)
      errors.push_back(where + ": a tcp endpoint opens the daemon to the network; it is refused unless "
                               "bridge.allow_tcp is true");
  } else {
    errors.push_back(where + ": must start with ipc:// or tcp:// (got " + shown(bridge[key]) + ")");
  }
}

// A breaker whose minimum exceeds its window could never open.
void check_breaker(const json& section, const json& overrides, const std::string& path,
                   std::vector<std::string>& errors) {
  if (!section.is_object() || !overrides.is_object()) return;
  auto b = merge_config(section, overrides);
  if (!b.contains("window") || !b.contains("min_calls") || !b["window"].is_number_integer() ||
      !b["min_calls"].is_number_integer())
    return;
  if (b["min_calls"].get<std::int64_t>() > b["window"].get<std::int64_t>())
    errors.push_back(path + ".min_calls: must not exceed the window (" + b["window"].dump() +
                     " calls), or the breaker could never open (got " + b["min_calls"].dump() + ")");
}

// "127.0.0.1:9477", "[::1]:9477", "localhost:9477", or "" (no endpoint). Port 0 picks a free one.
void check_http_endpoint(const json& obs, std::vector<std::string>& errors) {
  if (!obs.contains("http") || !obs["http"].is_object() || !obs["http"].contains("endpoint") ||
      !obs["http"]["endpoint"].is_string())
    return;
  auto e = obs["http"]["endpoint"].get<std::string>();
  if (e.empty()) return;
  const std::string where = "obs.http.endpoint";
  auto colon = e.rfind(':');
  auto host = colon == std::string::npos ? e : e.substr(0, colon);
  auto port = colon == std::string::npos ? std::string{} : e.substr(colon + 1);
  bool port_ok = !port.empty() && port.size() <= 5 && port.find_first_not_of("0123456789") == std::string::npos &&
                 std::stol(port) <= 65535;
  if (!port_ok) {
    errors.push_back(where + ": must be host:port with a port from 0 to 65535 (got " + shown(obs["http"]["endpoint"]) + ")");
    return;
  }
  if (host != "127.0.0.1" && host != "localhost" && host != "[::1]")
    errors.push_back(where + ": metrics and health are served on loopback only: 127.0.0.1, [::1] or localhost (got '" +
                     host + "')");
}

// An http provider needs somewhere to send and a model to ask for; a URL given is checked whatever the provider,
// so that a typo shows before the switch.
void check_embedding(const json& kb, std::vector<std::string>& errors) {
  if (!kb.is_object() || !kb.contains("embedding") || !kb["embedding"].is_object()) return;
  const auto& e = kb["embedding"];
  const bool http = e.contains("provider") && e["provider"] == "http";
  if (e.contains("url") && e["url"].is_string()) {
    const auto url = e["url"].get<std::string>();
    auto lower = url.substr(0, 8);
    std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
    const auto scheme_end = url.find("://");
    // A URL holding '@' may hold a credential: not repeated in a message.
    const auto got = url.find('@') == std::string::npos ? " (got " + shown(e["url"]) + ")" : std::string{};
    if (url.empty()) {
      if (http) errors.push_back("kb.embedding.url: is required when kb.embedding.provider is \"http\" (e.g. "
                                 "\"http://127.0.0.1:11434/v1\")");
    } else if ((lower.rfind("http://", 0) != 0 && lower.rfind("https://", 0) != 0) || scheme_end + 3 >= url.size()) {
      errors.push_back("kb.embedding.url: must be an http:// or https:// URL" + got);
    } else if (url.find_first_of(" \t\r\n") != std::string::npos) {
      errors.push_back("kb.embedding.url: must not contain spaces" + got);
    } else if (url.substr(scheme_end + 3, url.find_first_of("/?#", scheme_end + 3) - scheme_end - 3).find('@') !=
               std::string::npos) {
      // Not shown: the part before '@' is a credential.
      errors.push_back("kb.embedding.url: must not hold a user name or password; put the API key in an environment "
                       "variable and name it in kb.embedding.api_key_env");
    }
    check_no_nul(e["url"], "kb.embedding.url", errors);
  }
  if (http && e.contains("model") && e["model"].is_string() && e["model"].get<std::string>().empty())
    errors.push_back("kb.embedding.model: is required when kb.embedding.provider is \"http\" (the provider's name "
                     "for it, e.g. \"nomic-embed-text\")");
  if (e.contains("model")) check_no_nul(e["model"], "kb.embedding.model", errors);
}

void check_meaning(const json& doc, std::vector<std::string>& errors) {
  if (doc.contains("kb")) check_embedding(doc["kb"], errors);
  if (doc.contains("hooks")) check_hooks_config(doc["hooks"], errors);
  if (doc.contains("mcp")) check_mcp_config(doc["mcp"], errors);
  check_mcp_brains(doc, errors);
  if (doc.contains("scheduler")) check_scheduler_config(doc, errors);
  if (doc.contains("watchers")) check_watcher_config(doc, errors);
  check_pipelines_config(doc, errors);
  if (doc.contains("obs") && doc["obs"].is_object()) {
    const auto& obs = doc["obs"];
    check_http_endpoint(obs, errors);
    if (obs.contains("batch") && obs.contains("queue_capacity") && obs["batch"].is_number_integer() &&
        obs["queue_capacity"].is_number_integer() && obs["batch"].get<std::int64_t>() > obs["queue_capacity"].get<std::int64_t>())
      errors.push_back("obs.batch: must be at most obs.queue_capacity (" + obs["queue_capacity"].dump() + "; got " +
                       obs["batch"].dump() + ")");
  }
  if (doc.contains("breaker")) check_breaker(doc["breaker"], json::object(), "breaker", errors);
  if (doc.contains("breaker") && doc.contains("brains") && doc["brains"].is_object())
    for (auto& [name, b] : doc["brains"].items())
      if (b.is_object() && b.contains("breaker") && (b["breaker"].contains("window") || b["breaker"].contains("min_calls")))
        check_breaker(doc["breaker"], b["breaker"], "brains." + name + ".breaker", errors);
  if (doc.contains("tasks") && doc["tasks"].is_object() && doc["tasks"].contains("retry")) {
    const auto& r = doc["tasks"]["retry"];
    if (r.is_object() && r.contains("base_delay_ms") && r.contains("max_delay_ms") && r["base_delay_ms"].is_number_integer() &&
        r["max_delay_ms"].is_number_integer() && r["base_delay_ms"].get<std::int64_t>() > r["max_delay_ms"].get<std::int64_t>())
      errors.push_back("tasks.retry.max_delay_ms: must be at least tasks.retry.base_delay_ms (" +
                       r["base_delay_ms"].dump() + "; got " + r["max_delay_ms"].dump() + ")");
  }
  // Brains a task may be sent to. An entry that is not even an object counts as configured here: the schema
  // already refused it, and "no such brain" on top would only be noise.
  std::set<std::string> configured, enabled;
  if (doc.contains("brains") && doc["brains"].is_object())
    for (auto& [name, b] : doc["brains"].items()) {
      check_brain(name, b, errors);
      configured.insert(name);
      if (!(b.is_object() && b.contains("enabled") && b["enabled"] == false)) enabled.insert(name);
    }
  auto list = [&] {
    std::string s;
    for (auto& n : enabled) s += (s.empty() ? "" : ", ") + n;
    return s.empty() ? std::string{"none"} : s;
  };
  auto check_ref = [&](const json& v, const std::string& where) {
    if (!v.is_string()) return;
    auto name = v.get<std::string>();
    if (enabled.count(name)) return;
    if (configured.count(name))
      errors.push_back(where + ": brain '" + name + "' is disabled (brains." + name + ".enabled is false)");
    else
      errors.push_back(where + ": '" + name + "' is not a configured brain (enabled brains: " + list() + ")");
  };
  // Without a brains object the schema has said it all; every reference would only repeat it.
  if (doc.contains("tasks") && doc["tasks"].is_object() && doc.contains("brains") && doc["brains"].is_object()) {
    const auto& tasks = doc["tasks"];
    if (tasks.contains("default_brain")) check_ref(tasks["default_brain"], "tasks.default_brain");
    if (tasks.contains("failover") && tasks["failover"].is_array())
      for (std::size_t i = 0; i < tasks["failover"].size(); ++i)
        check_ref(tasks["failover"][i], "tasks.failover." + std::to_string(i));
  }
  if (doc.contains("bridge") && doc["bridge"].is_object()) {
    const auto& bridge = doc["bridge"];
    bool allow_tcp = bridge.contains("allow_tcp") && bridge["allow_tcp"] == true;
    check_endpoint(bridge, "endpoint", allow_tcp, errors);
    check_endpoint(bridge, "events_endpoint", allow_tcp, errors);
    if (bridge.contains("endpoint") && bridge.contains("events_endpoint") && bridge["endpoint"].is_string() &&
        bridge["endpoint"] != "" && bridge["endpoint"] == bridge["events_endpoint"])
      errors.push_back("bridge.events_endpoint: must differ from bridge.endpoint (both are " +
                       shown(bridge["endpoint"]) + ")");
  }
}

// ---- From the valid merged document to the typed configuration ---------------------------------------------

// A brain field the document leaves out takes the schema's "default": defaults live in config/, not here.
const json& brain_field(const json& b, const char* key) {
  if (b.contains(key)) return b[key];
  static const json none;
  const json* s = schema_at({"brains", "NAME", key});
  return s && s->contains("default") ? (*s)["default"] : none;
}

// The "breaker" section, then a brain's own "breaker" keys over it.
breaker_config read_breaker(const json& section, const json& overrides) {
  auto merged = merge_config(section, overrides);
  breaker_config c;
  c.enabled = merged.at("enabled").get<bool>();
  c.window = merged.at("window").get<int>();
  c.min_calls = merged.at("min_calls").get<int>();
  c.failure_rate = merged.at("failure_rate").get<double>();
  c.slow_call_ms = merged.at("slow_call_ms").get<std::int64_t>();
  c.slow_rate = merged.at("slow_rate").get<double>();
  c.open_ms = merged.at("open_ms").get<std::int64_t>();
  c.half_open_calls = merged.at("half_open_calls").get<int>();
  return c;
}

brain_config read_brain(const std::string& name, const json& b, const json& breaker_section) {
  brain_config c;
  c.name = name;
  c.kind = b.at("kind").get<std::string>();
  c.description = brain_field(b, "description").get<std::string>();
  if (c.kind == "process") {
    c.format = brain_field(b, "format").get<std::string>();
    c.command = b.at("command").get<std::vector<std::string>>();
    for (auto& [key, value] : brain_field(b, "env").items()) c.env.emplace_back(key, value.get<std::string>());
    c.cwd = brain_field(b, "cwd").get<std::string>();
  } else if (c.kind == "mcp") {
    c.server = b.at("server").get<std::string>();
    c.tool = b.at("tool").get<std::string>();
    c.prompt_argument = brain_field(b, "prompt_argument").get<std::string>();
    c.arguments = brain_field(b, "arguments").dump();
  } else {
    c.delay_ms = brain_field(b, "delay_ms").get<std::int64_t>();
  }
  c.timeout_ms = brain_field(b, "timeout_ms").get<std::int64_t>();
  c.kill_grace_ms = brain_field(b, "kill_grace_ms").get<std::int64_t>();
  c.max_concurrent = brain_field(b, "max_concurrent").get<int>();
  c.max_queue = brain_field(b, "max_queue").get<int>();
  c.breaker = read_breaker(breaker_section, brain_field(b, "breaker"));
  return c;
}

// Every key read here is required by the schema and filled by defaults.json, so there is no second copy of a
// default value in this function.
daemon_config read_config(const json& doc) {
  daemon_config c;
  const auto& log = doc.at("log");
  c.log.level = log.at("level").get<std::string>();
  c.log.max_file_bytes = log.at("max_file_bytes").get<std::size_t>();
  c.log.max_files = log.at("max_files").get<int>();
  const auto& br = doc.at("bridge");
  c.bridge.endpoint = br.at("endpoint").get<std::string>();
  c.bridge.events_endpoint = br.at("events_endpoint").get<std::string>();
  c.bridge.max_message_bytes = br.at("max_message_bytes").get<std::size_t>();
  c.bridge.client_hwm = br.at("client_hwm").get<int>();
  c.bridge.allow_tcp = br.at("allow_tcp").get<bool>();
  const auto& t = doc.at("tasks");
  c.tasks.default_brain = t.at("default_brain").get<std::string>();
  c.tasks.failover = t.at("failover").get<std::vector<std::string>>();
  c.tasks.drain_timeout_ms = t.at("drain_timeout_ms").get<std::int64_t>();
  c.tasks.redispatch_running = t.at("on_restart_running") == "redispatch";
  c.tasks.max_in_flight = t.at("max_in_flight").get<std::size_t>();
  c.tasks.retry.max_retries = t.at("retry").at("max_retries").get<int>();
  c.tasks.retry.base_delay_ms = t.at("retry").at("base_delay_ms").get<std::int64_t>();
  c.tasks.retry.max_delay_ms = t.at("retry").at("max_delay_ms").get<std::int64_t>();
  c.state.synchronous_full = doc.at("state").at("synchronous") == "full";
  c.supervision.max_restarts = doc.at("supervision").at("max_restarts").get<int>();
  c.supervision.within_ms = doc.at("supervision").at("within_ms").get<std::int64_t>();
  const auto& obs = doc.at("obs");
  c.obs.synchronous_full = obs.at("synchronous") == "full";
  c.obs.queue_capacity = obs.at("queue_capacity").get<std::size_t>();
  c.obs.batch = obs.at("batch").get<std::size_t>();
  c.obs.flush_ms = obs.at("flush_ms").get<std::int64_t>();
  c.obs.retention_days = obs.at("retention_days").get<int>();
  c.obs.max_mb = obs.at("max_mb").get<std::int64_t>();
  c.obs.http_endpoint = obs.at("http").at("endpoint").get<std::string>();
  const auto& kb = doc.at("kb");
  c.kb.dimensions = kb.at("dimensions").get<std::size_t>();
  c.kb.vector_weight = kb.at("vector_weight").get<double>();
  c.kb.keyword_weight = kb.at("keyword_weight").get<double>();
  c.kb.recency_half_life_days = kb.at("recency_half_life_days").get<double>();
  c.kb.mmr_lambda = kb.at("mmr_lambda").get<double>();
  c.kb.ann_threshold = kb.at("ann_threshold").get<std::size_t>();
  c.kb.hnsw_m = kb.at("hnsw").at("m").get<std::size_t>();
  c.kb.hnsw_ef_construction = kb.at("hnsw").at("ef_construction").get<std::size_t>();
  c.kb.hnsw_ef_search = kb.at("hnsw").at("ef_search").get<std::size_t>();
  const auto& emb = kb.at("embedding");
  c.kb.embedding.provider = emb.at("provider").get<std::string>();
  c.kb.embedding.url = emb.at("url").get<std::string>();
  c.kb.embedding.model = emb.at("model").get<std::string>();
  c.kb.embedding.api_key_env = emb.at("api_key_env").get<std::string>();
  c.kb.embedding.batch = emb.at("batch").get<std::size_t>();
  c.kb.embedding.timeout_ms = emb.at("timeout_ms").get<std::int64_t>();
  c.kb.embedding.retries = emb.at("retries").get<int>();
  c.kb.embedding.cache_entries = emb.at("cache_entries").get<std::size_t>();
  c.hooks = read_hooks_config(doc.at("hooks"));
  c.mcp_servers = read_mcp_config(doc.at("mcp"));
  c.scheduler = read_scheduler_config(doc.at("scheduler"));
  c.notify = read_notify_config(doc.at("notify"));
  c.watchers = read_watcher_config(doc.at("watchers"));
  c.pipelines = read_pipelines_config(doc.value("pipelines", json::object()));
  for (auto& [name, b] : doc.at("brains").items())  // nlohmann's object is a std::map: name order
    if (brain_field(b, "enabled") == true) c.brains.push_back(read_brain(name, b, doc.at("breaker")));
  c.merged = doc;
  return c;
}

// ---- The user's file -----------------------------------------------------------------------------------------

std::optional<std::string> read_text(const std::filesystem::path& file, std::string& error) {
  int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    error = std::strerror(errno);
    return std::nullopt;
  }
  struct closer {
    int fd;
    ~closer() { ::close(fd); }
  } guard{fd};
  struct stat st {};
  if (::fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
    error = "is a directory";
    return std::nullopt;
  }
  std::string text;
  char buf[65536];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      error = std::strerror(errno);
      return std::nullopt;
    }
    if (n == 0) break;
    text.append(buf, static_cast<std::size_t>(n));
    if (text.size() > kMaxFileBytes) {
      error = "larger than " + std::to_string(kMaxFileBytes >> 20) + " MiB, which is no configuration file";
      return std::nullopt;
    }
  }
  return text;
}

// nlohmann's parser keeps the last of two equal keys without a word; in a configuration that is a mistake
// (two "brains" objects, and the first one silently ignored), so a second pass names every repeated key.
class duplicate_keys final : public nlohmann::json_sax<json> {
 public:
  std::vector<std::string> errors;

  bool null() override { return value(); }
  bool boolean(bool) override { return value(); }
  bool number_integer(number_integer_t) override { return value(); }
  bool number_unsigned(number_unsigned_t) override { return value(); }
  bool number_float(number_float_t, const string_t&) override { return value(); }
  bool string(string_t&) override { return value(); }
  bool binary(binary_t&) override { return value(); }
  bool start_object(std::size_t) override {
    levels_.push_back({true, {}, {}, 0});
    return true;
  }
  bool key(string_t& k) override {
    auto& top = levels_.back();
    top.key = k;
    if (!top.keys.insert(k).second)
      add_unique(errors, path() + ": appears twice in the same object (JSON would keep only the last one)");
    return true;
  }
  bool end_object() override {
    levels_.pop_back();
    return value();
  }
  bool start_array(std::size_t) override {
    levels_.push_back({false, {}, {}, 0});
    return true;
  }
  bool end_array() override {
    levels_.pop_back();
    return value();
  }
  bool parse_error(std::size_t, const std::string&, const nlohmann::json::exception&) override { return false; }

 private:
  struct level {
    bool object;
    std::set<std::string> keys;
    std::string key;    // of an object: the member being read
    std::size_t index;  // of an array: the element being read
  };
  std::vector<level> levels_;

  bool value() {
    if (!levels_.empty() && !levels_.back().object) ++levels_.back().index;
    return true;
  }
  std::string path() const {
    json_path p;
    for (const auto& l : levels_) p.push_back(l.object ? l.key : std::to_string(l.index));
    return join_path(p);
  }
};

// nlohmann reports the offset of the last byte it read; editors want line:column of that byte.
std::pair<std::size_t, std::size_t> line_and_column(const std::string& text, std::size_t byte) {
  std::size_t line = 1, column = 1;
  for (std::size_t i = 0; i + 1 < byte && i < text.size(); ++i) {
    if (text[i] == '\n') {
      ++line;
      column = 1;
    } else {
      ++column;
    }
  }
  return {line, column};
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
    if (value.is_null()) {
      base.erase(key);
    } else if (value.is_object()) {
      // Merged into an empty object when new, so that a null inside means "absent" there too.
      auto it = base.find(key);
      base[key] = merge_config(it != base.end() && it->is_object() ? *it : json::object(), value);
    } else {
      base[key] = value;
    }
  }
  return base;
}

config_result config_from_json(const json& user) {
  config_result r;
  if (!user.is_object()) {
    r.errors.push_back("(top level): the configuration must be a JSON object, not " + actual_type(user));
    return r;
  }
  auto merged = merge_config(default_config(), user);
  bool valid = validate_schema(merged, r.errors);
  std::vector<std::string> meaning;
  check_meaning(merged, meaning);
  for (auto& e : meaning) add_unique(r.errors, std::move(e));
  if (!valid && r.errors.empty()) r.errors.push_back("(top level): does not match config/schema.json");
  sort_by_path(r.errors);
  if (r.errors.empty()) r.config = read_config(merged);
  return r;
}

config_result load_config(const std::optional<std::filesystem::path>& user_file) {
  if (!user_file) return config_from_json(json::object());
  const auto name = user_file->string();
  config_result r;
  std::string error;
  auto text = read_text(*user_file, error);
  if (!text) {
    r.errors.push_back(name + ": cannot be read: " + error);
    return r;
  }
  if (std::all_of(text->begin(), text->end(), [](unsigned char c) { return std::isspace(c); })) {
    r.errors.push_back(name + ": is empty (a file holding {} takes every default)");
    return r;
  }
  json user;
  try {
    user = json::parse(*text);
  } catch (const json::parse_error& e) {
    auto [line, column] = line_and_column(*text, e.byte);
    // Keep nlohmann's explanation, drop its "[json.exception.parse_error.101] parse error at line..." preamble.
    std::string what = e.what();
    auto pos = what.find("syntax error");
    if (pos == std::string::npos) pos = what.find(": ") == std::string::npos ? 0 : what.find(": ") + 2;
    r.errors.push_back(name + ":" + std::to_string(line) + ":" + std::to_string(column) +
                       ": invalid JSON: " + printable(what.substr(pos)));
    return r;
  }
  duplicate_keys dups;
  json::sax_parse(*text, &dups);
  sort_by_path(dups.errors);
  r = config_from_json(user);
  if (!dups.errors.empty()) {
    r.config.reset();
    r.errors.insert(r.errors.begin(), dups.errors.begin(), dups.errors.end());
  }
  return r;
}

}  // namespace paios
