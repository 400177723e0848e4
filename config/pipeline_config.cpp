#include "config/pipeline_config.hpp"

#include <algorithm>
#include <map>
#include <set>

#include <nlohmann/json.hpp>

#include "core/pipeline/template.hpp"

namespace paios {
namespace {

using nlohmann::json;

// Each kind's fields besides name, kind and timeout_ms; the first group must be present.
struct kind_fields {
  const char* kind;
  std::vector<std::string> required, optional;
  std::vector<std::string> templates;  // string fields that are templates
};

const std::vector<kind_fields>& kinds() {
  static const std::vector<kind_fields> k = {
      {"task", {"prompt"}, {"brain"}, {"prompt"}},
      {"command", {"command"}, {"input", "max_output_bytes", "cwd"}, {"input"}},
      {"capture", {"source"}, {}, {"source"}},
      {"kb_ingest", {}, {"content", "title", "source", "article_kind", "tags"}, {"content", "title", "source"}},
      {"wait", {}, {"until", "seconds"}, {"until"}},
      {"notify", {"title"}, {"body", "severity"}, {"title", "body"}},
  };
  return k;
}

const kind_fields* find_kind(const std::string& kind) {
  for (const auto& k : kinds())
    if (kind == k.kind) return &k;
  return nullptr;
}

std::string kind_names() {
  std::string s;
  for (const auto& k : kinds()) s += (s.empty() ? "" : ", ") + std::string(k.kind);
  return s;
}

// The references of one template checked against the steps before it.
void check_template(const std::string& text, const std::string& path, const std::set<std::string>& before,
                    const std::set<std::string>& all, std::vector<std::string>& errors) {
  auto refs = pipe::template_refs(text);
  if (!refs) return errors.push_back(path + ": " + refs.message());
  for (const auto& r : *refs) {
    if (r.root != "steps" || before.count(r.step)) continue;
    errors.push_back(path + ": {{" + r.text + "}} refers to " +
                     (all.count(r.step) ? "step \"" + r.step + "\", which does not come before this step"
                                        : "no step named \"" + r.step + "\""));
  }
}

}  // namespace

std::int64_t default_step_timeout_ms(const std::string& kind) {
  if (kind == "task") return 600000;
  if (kind == "command") return 300000;
  if (kind == "capture" || kind == "kb_ingest") return 120000;
  if (kind == "wait") return 7 * 24 * 3600 * 1000LL;
  return 10000;  // notify
}

std::vector<pipeline_config> read_pipelines_config(const json& section) {
  std::vector<pipeline_config> out;
  if (!section.is_object()) return out;
  for (const auto& [name, p] : section.items()) {  // nlohmann's object is a std::map: name order
    if (!p.is_object() || !p.value("enabled", true)) continue;
    pipeline_config c;
    c.name = name;
    c.description = p.value("description", "");
    c.timeout_ms = p.value("timeout_ms", std::int64_t{3600000});
    c.resume_on_interrupt = p.value("on_interrupt", "mark") == "resume";
    for (const auto& s : p.value("steps", json::array())) {
      pipeline_step_config st;
      st.name = s.value("name", "");
      st.kind = s.value("kind", "");
      st.timeout_ms = s.value("timeout_ms", default_step_timeout_ms(st.kind));
      st.prompt = s.value("prompt", "");
      st.brain = s.value("brain", "");
      st.command = s.value("command", std::vector<std::string>{});
      st.input = s.value("input", st.input);
      st.max_output_bytes = s.value("max_output_bytes", st.max_output_bytes);
      st.cwd = s.value("cwd", "");
      st.source = s.value("source", "");
      st.content = s.value("content", st.content);
      st.title = s.value("title", "");
      st.article_kind = s.value("article_kind", st.article_kind);
      st.tags = s.value("tags", std::vector<std::string>{});
      st.until = s.value("until", "");
      st.seconds = s.value("seconds", std::int64_t{-1});
      st.body = s.value("body", st.body);
      st.severity = s.value("severity", st.severity);
      c.steps.push_back(std::move(st));
    }
    out.push_back(std::move(c));
  }
  return out;
}

void check_pipelines_config(const json& doc, std::vector<std::string>& errors) {
  if (!doc.contains("pipelines") || !doc["pipelines"].is_object()) return;
  const json brains = doc.contains("brains") && doc["brains"].is_object() ? doc["brains"] : json::object();
  for (const auto& [name, p] : doc["pipelines"].items()) {
    if (!p.is_object() || !p.contains("steps") || !p["steps"].is_array()) continue;
    const auto& steps = p["steps"];
    std::set<std::string> all;
    for (const auto& s : steps)
      if (s.is_object() && s.contains("name") && s["name"].is_string()) all.insert(s["name"].get<std::string>());
    std::set<std::string> before;
    for (std::size_t i = 0; i < steps.size(); ++i) {
      const auto& s = steps[i];
      const std::string path = "pipelines." + name + ".steps[" + std::to_string(i) + "]";
      if (!s.is_object()) continue;
      const std::string step_name = s.contains("name") && s["name"].is_string() ? s["name"].get<std::string>() : "";
      if (!step_name.empty() && before.count(step_name))
        errors.push_back(path + ".name: step name \"" + step_name + "\" is used twice in this pipeline");
      if (!s.contains("kind") || !s["kind"].is_string()) continue;  // the schema says so
      const auto kind = s["kind"].get<std::string>();
      const auto* k = find_kind(kind);
      if (!k) {
        errors.push_back(path + ".kind: unknown step kind \"" + kind + "\"; use one of " + kind_names());
        before.insert(step_name);
        continue;
      }
      for (const auto& [key, value] : s.items()) {
        if (key == "name" || key == "kind" || key == "timeout_ms") continue;
        const bool known = std::count(k->required.begin(), k->required.end(), key) ||
                           std::count(k->optional.begin(), k->optional.end(), key);
        if (!known) errors.push_back(path + "." + key + ": not a field of a " + kind + " step");
      }
      for (const auto& key : k->required)
        if (!s.contains(key)) errors.push_back(path + "." + key + ": a " + kind + " step needs it");
      if (kind == "wait" && s.contains("until") == s.contains("seconds"))
        errors.push_back(path + ": a wait step needs exactly one of \"until\" and \"seconds\"");
      if (kind == "command" && s.contains("cwd") && s["cwd"].is_string() && s["cwd"].get<std::string>().front() != '/')
        errors.push_back(path + ".cwd: must be an absolute folder (got \"" + s["cwd"].get<std::string>() + "\")");
      if (kind == "task" && s.contains("brain") && s["brain"].is_string()) {
        const auto brain = s["brain"].get<std::string>();
        if (!brain.empty() && !brains.contains(brain))
          errors.push_back(path + ".brain: no brain named \"" + brain + "\"");
      }
      for (const auto& key : k->templates)
        if (s.contains(key) && s[key].is_string())
          check_template(s[key].get<std::string>(), path + "." + key, before, all, errors);
      if (kind == "command" && s.contains("command") && s["command"].is_array())
        for (std::size_t a = 0; a < s["command"].size(); ++a)
          if (s["command"][a].is_string())
            check_template(s["command"][a].get<std::string>(), path + ".command[" + std::to_string(a) + "]", before,
                           all, errors);
      // The defaults of kb_ingest and notify are templates too; a pipeline that starts with them reads the run's
      // input, which is checked when the run starts.
      before.insert(step_name);
    }
  }
}

}  // namespace paios
