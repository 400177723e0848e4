#include "config/config_diff.hpp"

#include "config/config.hpp"

namespace paios {
namespace {

using nlohmann::json;

std::string join(const std::string& prefix, const std::string& key) { return prefix.empty() ? key : prefix + "." + key; }

void diff_into(const std::string& prefix, const json& a, const json& b, std::vector<key_change>& out) {
  if (a.is_object() && b.is_object()) {
    // Both sides' keys, in order (json objects iterate sorted).
    auto ia = a.begin(), ib = b.begin();
    while (ia != a.end() || ib != b.end()) {
      if (ib == b.end() || (ia != a.end() && ia.key() < ib.key())) {
        out.push_back({join(prefix, ia.key()), change_kind::removed, ia.value(), json{}});
        ++ia;
      } else if (ia == a.end() || ib.key() < ia.key()) {
        out.push_back({join(prefix, ib.key()), change_kind::added, json{}, ib.value()});
        ++ib;
      } else {
        if (ia.value() != ib.value()) diff_into(join(prefix, ia.key()), ia.value(), ib.value(), out);
        ++ia;
        ++ib;
      }
    }
    return;
  }
  if (a != b) out.push_back({prefix, change_kind::changed, a, b});
}

void leaves_into(const std::string& prefix, const json& doc, std::vector<std::pair<std::string, json>>& out) {
  if (!doc.is_object() || (doc.empty() && !prefix.empty())) {
    out.emplace_back(prefix, doc);
    return;
  }
  for (const auto& [key, value] : doc.items()) leaves_into(join(prefix, key), value, out);
}

std::vector<std::string> split(const std::string& key) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  while (start <= key.size()) {
    auto dot = key.find('.', start);
    if (dot == std::string::npos) dot = key.size();
    parts.push_back(key.substr(start, dot - start));
    start = dot + 1;
  }
  return parts;
}

}  // namespace

const char* to_string(change_kind k) {
  switch (k) {
    case change_kind::added: return "added";
    case change_kind::removed: return "removed";
    case change_kind::changed: return "changed";
  }
  return "?";
}

std::vector<key_change> diff_config(const json& before, const json& after) {
  std::vector<key_change> out;
  diff_into("", before, after, out);
  return out;
}

std::optional<json> value_at(const json& doc, const std::string& key) {
  if (key.empty()) return doc;
  const json* at = &doc;
  for (const auto& part : split(key)) {
    if (!at->is_object()) return std::nullopt;
    auto it = at->find(part);
    if (it == at->end()) return std::nullopt;
    at = &*it;
  }
  return *at;
}

std::string value_origin(const json& user, const std::string& key) {
  auto set = value_at(user, key);
  if (!set || set->is_null()) {
    // A parent the file set whole (an object the defaults lack, or replaced by a scalar) owns its leaves too.
    auto parts = split(key);
    std::string prefix;
    for (std::size_t i = 0; i + 1 < parts.size(); ++i) {
      prefix = join(prefix, parts[i]);
      auto parent = value_at(user, prefix);
      if (!parent) break;
      if (!parent->is_object() || !value_at(default_config(), prefix)) return "config.json";
    }
    return "default";
  }
  if (set->is_object() && value_at(default_config(), key)) {
    // An object the defaults have too: the file's part of it merges with theirs.
    auto whole = value_at(default_config(), key);
    return whole->is_object() && !whole->empty() ? "config.json over the default" : "config.json";
  }
  return "config.json";
}

std::vector<std::pair<std::string, json>> leaves(const json& doc) {
  std::vector<std::pair<std::string, json>> out;
  leaves_into("", doc, out);
  return out;
}

}  // namespace paios
