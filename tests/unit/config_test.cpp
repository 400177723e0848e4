// Configuration: the embedded defaults validate, the merge rules hold, and every kind of mistake is refused
// with the JSON path of the bad key. Files are real files in a temporary directory, and never written.
#include <fstream>

#include <gtest/gtest.h>

#include "config/config.hpp"
#include "tests/support/test_support.hpp"

using nlohmann::json;
using namespace paios;

namespace {

std::string all(const config_result& r) {
  std::string s;
  for (auto& e : r.errors) s += e + "\n";
  return s;
}

void expect_refused(const json& user, const std::string& path_and_words) {
  auto r = config_from_json(user);
  EXPECT_FALSE(r.config) << user.dump();
  EXPECT_NE(all(r).find(path_and_words), std::string::npos) << "wanted '" << path_and_words << "' in:\n" << all(r);
}

}  // namespace

TEST(Config, DefaultsValidate) {
  auto r = load_config(std::nullopt);
  ASSERT_TRUE(r.config) << all(r);
  EXPECT_EQ(r.config->tasks.default_brain, "claude");
  std::vector<std::string> names;
  for (auto& b : r.config->brains) names.push_back(b.name);
  EXPECT_EQ(names, (std::vector<std::string>{"claude", "codex", "echo", "gemini"}));
  for (auto& b : r.config->brains) EXPECT_TRUE(b.kind != "process" || !b.command.empty()) << b.name;
}

TEST(Config, MergeOverridesNestedKeysReplacesArraysAndNullRemoves) {
  auto r = config_from_json({{"bridge", {{"client_hwm", 5}}},
                             {"tasks", {{"failover", {"echo"}}}},
                             {"brains", {{"gemini", nullptr}, {"claude", {{"timeout_ms", 1000}}}}}});
  ASSERT_TRUE(r.config) << all(r);
  auto& c = *r.config;
  EXPECT_EQ(c.bridge.client_hwm, 5);
  EXPECT_EQ(c.bridge.max_message_bytes, 4u << 20) << "siblings keep their defaults";
  EXPECT_EQ(c.tasks.failover, (std::vector<std::string>{"echo"}));
  for (auto& b : c.brains) {
    EXPECT_NE(b.name, "gemini");
    if (b.name == "claude") {
      EXPECT_EQ(b.timeout_ms, 1000);
      EXPECT_EQ(b.format, "claude-stream-json") << "the rest of the default brain stays";
    }
  }
}

TEST(Config, UnknownKeysAreRefusedAtEveryDepth) {
  expect_refused({{"bogus", 1}}, "bogus: unknown key");
  expect_refused({{"bridge", {{"bogus", 1}}}}, "bridge.bogus: unknown key");
  expect_refused({{"brains", {{"echo", {{"bogus", 1}}}}}}, "brains.echo.bogus: unknown key");
}

TEST(Config, WrongTypesAndRangesNameThePath) {
  expect_refused({{"brains", {{"echo", {{"max_queue", "many"}}}}}}, "brains.echo.max_queue: must be an integer");
  expect_refused({{"brains", {{"claude", {{"timeout_ms", 0}}}}}}, "brains.claude.timeout_ms: must be an integer between 1");
  expect_refused({{"log", {{"level", "loud"}}}}, "log.level: must be one of");
  expect_refused({{"bridge", {{"allow_tcp", "yes"}}}}, "bridge.allow_tcp: must be true or false");
  expect_refused({{"brains", {{"x", {{"kind", "process"}, {"command", json::array()}}}}}}, "brains.x.command");
  expect_refused({{"brains", {{"x", {{"command", {"a"}}}}}}}, "brains.x.kind: required");
}

TEST(Config, MeaningIsChecked) {
  expect_refused({{"brains", {{"Bad Name", {{"kind", "echo"}}}}}}, "brains.Bad Name: a brain name");
  expect_refused({{"tasks", {{"default_brain", "nobody"}}}}, "tasks.default_brain: 'nobody' is not a configured");
  expect_refused({{"brains", {{"claude", {{"enabled", false}}}}}}, "tasks.default_brain: 'claude'");
  expect_refused({{"tasks", {{"failover", {"echo", "ghost"}}}}}, "tasks.failover.1: 'ghost'");
  expect_refused({{"brains", {{"echo", {{"command", {"x"}}}}}}}, "brains.echo.command: only a process brain");
  expect_refused({{"brains", {{"p", {{"kind", "process"}}}}}}, "brains.p.command: required");
  expect_refused({{"bridge", {{"endpoint", "tcp://127.0.0.1:5555"}}}}, "bridge.endpoint: a tcp endpoint");
  EXPECT_TRUE(config_from_json({{"bridge", {{"endpoint", "tcp://127.0.0.1:5555"}, {"allow_tcp", true}}}}).config);
  expect_refused(json::array(), "must be a JSON object");
}

TEST(Config, FilesAreReadNeverWritten) {
  test::temp_dir dir;
  auto file = dir.path() / "config.json";
  std::string text = "{\n  \"tasks\": {\"default_brain\": \"echo\"}\n}\n";
  std::ofstream(file) << text;
  auto mtime = std::filesystem::last_write_time(file);
  auto r = load_config(file);
  ASSERT_TRUE(r.config) << all(r);
  EXPECT_EQ(r.config->tasks.default_brain, "echo");
  std::string after;
  std::getline(std::ifstream(file), after, '\0');
  EXPECT_EQ(after, text);
  EXPECT_EQ(std::filesystem::last_write_time(file), mtime);
}

TEST(Config, BadFilesSayWhereAndWhy) {
  test::temp_dir dir;
  auto file = dir.path() / "broken.json";
  std::ofstream(file) << "{\n  \"tasks\": {\n    \"default_brain\": \"echo\",,\n  }\n}\n";
  auto r = load_config(file);
  ASSERT_FALSE(r.config);
  EXPECT_NE(all(r).find("broken.json:3:"), std::string::npos) << all(r);
  auto missing = load_config(dir.path() / "missing.json");
  ASSERT_FALSE(missing.config);
  EXPECT_NE(all(missing).find("missing.json"), std::string::npos) << all(missing);
}

TEST(Config, EverySchemaKeyIsDocumented) {
  std::ifstream in(test::source_dir() / "docs" / "config.md");
  std::string doc((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  ASSERT_FALSE(doc.empty()) << "docs/config.md is missing";
  std::function<void(const json&, const std::string&)> walk = [&](const json& node, const std::string& path) {
    if (node.contains("properties"))
      for (auto& [key, sub] : node["properties"].items()) {
        auto p = path.empty() ? key : path + "." + key;
        EXPECT_NE(doc.find("`" + p + "`"), std::string::npos) << p << " is not in docs/config.md";
        walk(sub, p);
      }
    if (node.contains("additionalProperties") && node["additionalProperties"].is_object())
      walk(node["additionalProperties"], path + ".NAME");
  };
  walk(config_schema(), "");
}
