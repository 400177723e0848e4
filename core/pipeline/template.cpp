#include "core/pipeline/template.hpp"

#include <algorithm>

#include "messages/json_writer.hpp"

namespace paios::pipe {
namespace {

using nlohmann::json;

std::string trim(std::string_view s) {
  const auto b = s.find_first_not_of(" \t");
  if (b == std::string_view::npos) return {};
  const auto e = s.find_last_not_of(" \t");
  return std::string(s.substr(b, e - b + 1));
}

std::vector<std::string> split(const std::string& s) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  for (;;) {
    const auto dot = s.find('.', start);
    parts.push_back(s.substr(start, dot == std::string::npos ? std::string::npos : dot - start));
    if (dot == std::string::npos) return parts;
    start = dot + 1;
  }
}

bool valid_segment(const std::string& s) {
  if (s.empty()) return false;
  for (char c : s)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-')) return false;
  return true;
}

// Fails with bad_request.
expected<template_ref> parse_ref(const std::string& text) {
  template_ref r;
  r.text = text;
  auto parts = split(text);
  for (const auto& p : parts)
    if (!valid_segment(p)) return status{errc::bad_request, "{{" + text + "}}: a reference is names and indexes joined by dots"};
  std::size_t rest = 0;
  if (parts[0] == "input") {
    r.root = "input";
    rest = 1;
  } else if (parts[0] == "run" && parts.size() >= 2 && parts[1] == "input") {
    r.root = "run.input";
    rest = 2;
  } else if (parts[0] == "run" && parts.size() == 2 && (parts[1] == "id" || parts[1] == "pipeline")) {
    r.root = "run." + parts[1];
    rest = 2;
  } else if (parts[0] == "steps" && parts.size() >= 3 && parts[2] == "output") {
    r.root = "steps";
    r.step = parts[1];
    rest = 3;
  } else {
    return status{errc::bad_request,
                  "{{" + text + "}}: unknown reference; use input, run.input, run.id, run.pipeline or steps.NAME.output"};
  }
  r.path.assign(parts.begin() + static_cast<std::ptrdiff_t>(rest), parts.end());
  return r;
}

status unclosed() { return {errc::bad_request, "a \"{{\" is not closed by \"}}\""}; }

// Walks `path` down from `v`; fails with not_found when a key or index is not there.
expected<const json*> walk(const json* v, const std::vector<std::string>& path, const std::string& what) {
  std::string at = what;
  for (const auto& key : path) {
    if (v->is_object()) {
      auto it = v->find(key);
      if (it == v->end()) return status{errc::not_found, at + " has no field \"" + key + "\""};
      v = &*it;
    } else if (v->is_array() && !key.empty() && key.find_first_not_of("0123456789") == std::string::npos &&
               key.size() < 9 && std::stoul(key) < v->size()) {
      v = &(*v)[std::stoul(key)];
    } else {
      return status{errc::not_found, at + " is " +
                                         (v->is_array() ? "an array without an item " + key
                                                        : "not an object (it is " + std::string(v->type_name()) + ")") +
                                         ", so it has no field \"" + key + "\""};
    }
    at += "." + key;
  }
  return v;
}

}  // namespace

std::string json_text(const json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_null()) return {};
  return json_dump(v);
}

expected<std::vector<template_ref>> template_refs(std::string_view text) {
  std::vector<template_ref> refs;
  std::size_t pos = 0;
  while ((pos = text.find("{{", pos)) != std::string_view::npos) {
    const auto end = text.find("}}", pos + 2);
    if (end == std::string_view::npos) return unclosed();
    auto r = parse_ref(trim(text.substr(pos + 2, end - pos - 2)));
    if (!r) return r.error();
    refs.push_back(std::move(*r));
    pos = end + 2;
  }
  return refs;
}

bool carries_run_data(std::string_view text) {
  auto refs = template_refs(text);
  if (!refs) return true;
  return std::any_of(refs->begin(), refs->end(),
                     [](const template_ref& r) { return r.root != "run.id" && r.root != "run.pipeline"; });
}

expected<std::string> render_template(std::string_view text, const template_scope& scope) {
  std::string out;
  std::size_t pos = 0;
  static const json null_value;
  while (pos < text.size()) {
    const auto open = text.find("{{", pos);
    if (open == std::string_view::npos) break;
    out.append(text.substr(pos, open - pos));
    const auto end = text.find("}}", open + 2);
    if (end == std::string_view::npos) return unclosed();
    auto r = parse_ref(trim(text.substr(open + 2, end - open - 2)));
    if (!r) return r.error();
    const json* v = nullptr;
    std::string what;
    json scalar;
    if (r->root == "input") {
      v = scope.input ? scope.input : &null_value;
      what = "the previous step's output";
    } else if (r->root == "run.input") {
      v = scope.run_input ? scope.run_input : &null_value;
      what = "the run's input";
    } else if (r->root == "run.id" || r->root == "run.pipeline") {
      scalar = r->root == "run.id" ? scope.run_id : scope.pipeline;
      v = &scalar;
    } else {
      auto it = scope.steps ? scope.steps->find(r->step) : decltype(scope.steps->end()){};
      if (!scope.steps || it == scope.steps->end())
        return status{errc::not_found, "{{" + r->text + "}}: step \"" + r->step + "\" has no output in this run"};
      v = &it->second;
      what = "the output of step " + r->step;
    }
    auto found = walk(v, r->path, what);
    if (!found) return status{found.code(), "{{" + r->text + "}}: " + found.message()};
    out += json_text(**found);
    pos = end + 2;
  }
  if (pos < text.size()) out.append(text.substr(pos));
  return out;
}

}  // namespace paios::pipe
