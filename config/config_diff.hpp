#pragma once
// config_diff: what a configuration change changes, and where an effective value comes from. Runtime-free: `ai
// config show|diff|apply` and the daemon's reload (actors/config) share it, so that they name the same keys.
//
// A key is a dotted path into the JSON document ("autonomy.approval_timeout_ms"). Objects are walked key by key;
// an array is one value (the merge rule replaces arrays whole, docs/config.md), so a changed failover list is one
// change of `tasks.failover`, not one per element.
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace paios {

enum class change_kind { added, removed, changed };
const char* to_string(change_kind k);

struct key_change {
  std::string key;  // dotted path
  change_kind kind;
  nlohmann::json before;  // null when added
  nlohmann::json after;   // null when removed
};

// Every leaf that differs between `before` and `after` (both JSON objects), in key order. A key whose value is an
// object on one side and not on the other is one change of that key.
std::vector<key_change> diff_config(const nlohmann::json& before, const nlohmann::json& after);

// The value at a dotted path, or nullopt when some part of it is missing. "" is the whole document.
std::optional<nlohmann::json> value_at(const nlohmann::json& doc, const std::string& key);

// Where the effective value of `key` comes from, given the user's file as written (`user`, not merged):
// "default" when the file does not set it, "config.json" when the file sets it whole (a scalar, an array, or an
// object the defaults lack), "config.json over the default" for an object the file changes in part.
std::string value_origin(const nlohmann::json& user, const std::string& key);

// Every leaf of `doc` (arrays are leaves) with its dotted key, in key order; an empty object is a leaf too.
std::vector<std::pair<std::string, nlohmann::json>> leaves(const nlohmann::json& doc);

}  // namespace paios
