#pragma once
// How the configuration's errors are worded, shared by the files of config/ that find them (not a public
// interface): each error is "path: message", the path a dotted JSON path, and errors come in document order.
// schema_errors.cpp also turns valijson's reports against config/schema.json into such sentences.
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace paios::config_errors {

using json_path = std::vector<std::string>;

// "brains.claude.timeout_ms"; "(top level)" for the empty path.
std::string join_path(const json_path& path);
// What a person needs to recognise the value they wrote, kept short.
std::string shown(const nlohmann::json& v);
// "an integer", "a string", ...: the JSON type of `v` in words.
std::string actual_type(const nlohmann::json& v);
// Appends `e` unless it is there already.
void add_unique(std::vector<std::string>& errors, std::string e);
// Errors in document order whatever found them: by path, component by component, indices as numbers.
void sort_by_path(std::vector<std::string>& errors);
// An error when `v` is a string holding a NUL (execve() and chdir() take C strings: a NUL would silently cut it).
void check_no_nul(const nlohmann::json& v, const std::string& where, std::vector<std::string>& errors);
// The schema node that governs `path` ("NAME" stands for any key of a map), its $ref followed; nullptr if none.
const nlohmann::json* schema_at(const json_path& path);
// Returns whether the document is valid; appends the readable errors. A failure valijson reports only through
// a wrapper (propertyNames) appends nothing: check_meaning() names those keys itself.
bool validate_schema(const nlohmann::json& doc, std::vector<std::string>& errors);

}  // namespace paios::config_errors
