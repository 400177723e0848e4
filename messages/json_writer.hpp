#pragma once
// json_object and json_array: a JSON value's text, written member by member without a document tree. What
// the task path writes thousands of times a second (wire replies, event data, the decision log) is built with
// these: a tree costs an allocation per node, and sorting its keys. Strings are escaped as JSON requires;
// bytes that are not UTF-8 become U+FFFD, so the text is always valid JSON.
#include <cstdint>
#include <string>
#include <string_view>

#include <nlohmann/json_fwd.hpp>

namespace paios {

// A document's compact text, for a value built as a tree: strings that are not UTF-8 get U+FFFD instead of
// making nlohmann::json throw (what a file, an agent or a client sends may be anything).
std::string json_dump(const nlohmann::json& j);

class json_object {
 public:
  // Room for a typical event's data or a reply up front: growing a string from empty is four allocations.
  json_object() { text_.reserve(kInitialBytes); }
  // Goes on writing members into `object_text`, a complete JSON object ("{...}") written earlier.
  static json_object extend(std::string object_text);

  json_object& str(std::string_view key, std::string_view value);
  json_object& num(std::string_view key, std::int64_t value);
  json_object& real(std::string_view key, double value);  // shortest text that reads back as the same double
  json_object& boolean(std::string_view key, bool value);
  json_object& null(std::string_view key);
  json_object& raw(std::string_view key, std::string_view json);  // a value that is JSON text already
  bool empty() const { return text_.size() == 1; }
  std::string done();  // the text; the writer is spent

 private:
  static constexpr std::size_t kInitialBytes = 160;
  void key(std::string_view k);
  std::string text_ = "{";
};

class json_array {
 public:
  json_array& str(std::string_view value);
  json_array& raw(std::string_view json);
  bool empty() const { return text_.size() == 1; }
  std::string done();  // the text; the writer is spent

 private:
  void comma();
  std::string text_ = "[";
};

// Appends `value` to `out` as a JSON string, quotes included.
void append_json_string(std::string& out, std::string_view value);

}  // namespace paios
