// Configuration: the embedded defaults validate, the merge rules hold, every kind of mistake is refused with
// the JSON path of the bad key (all of them in one run), files are read and never written, and docs/config.md
// stays in step with schema.json and defaults.json. Sample files are in tests/data/config/.
#include <sys/stat.h>

#include <fstream>
#include <functional>
#include <regex>

#include <gtest/gtest.h>

#include "config/config.hpp"
#include "tests/support/config_checks.hpp"
#include "tests/support/test_support.hpp"

using nlohmann::json;
using namespace paios;
using paios::test::all;
using paios::test::expect_accepted;
using paios::test::expect_refused;

namespace {

std::filesystem::path sample(const std::string& name) { return test::source_dir() / "tests" / "data" / "config" / name; }

std::string read(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}


const brain_config* find_brain(const daemon_config& c, const std::string& name) {
  for (auto& b : c.brains)
    if (b.name == name) return &b;
  return nullptr;
}

}  // namespace

// ---- Defaults -------------------------------------------------------------------------------------------------

TEST(Config, DefaultsValidateAndAreRead) {
  auto r = load_config(std::nullopt);
  ASSERT_TRUE(r.config) << all(r);
  EXPECT_TRUE(r.errors.empty());
  auto& c = *r.config;
  EXPECT_EQ(c.merged, default_config()) << "no user file: the merged document is the defaults";
  EXPECT_EQ(c.log.level, "info");
  EXPECT_EQ(c.log.max_file_bytes, 10u << 20);
  EXPECT_EQ(c.log.max_files, 3);
  EXPECT_EQ(c.bridge.endpoint, "");
  EXPECT_EQ(c.bridge.events_endpoint, "");
  EXPECT_EQ(c.bridge.max_message_bytes, 4u << 20);
  EXPECT_EQ(c.bridge.client_hwm, 10000);
  EXPECT_FALSE(c.bridge.allow_tcp);
  EXPECT_EQ(c.tasks.default_brain, "claude");
  EXPECT_EQ(c.tasks.failover, (std::vector<std::string>{"codex", "gemini", "kb"}));
  EXPECT_EQ(c.tasks.drain_timeout_ms, 10000);
  EXPECT_FALSE(c.tasks.redispatch_running);
  EXPECT_EQ(c.tasks.max_in_flight, 100000u);
  EXPECT_FALSE(c.state.synchronous_full);
  EXPECT_EQ(c.supervision.max_restarts, 5);
  EXPECT_EQ(c.supervision.within_ms, 10000);

  std::vector<std::string> names;
  for (auto& b : c.brains) names.push_back(b.name);
  EXPECT_EQ(names, (std::vector<std::string>{"claude", "codex", "echo", "gemini", "kb"})) << "in name order";
  EXPECT_EQ(c.kb.dimensions, 256u);
  EXPECT_EQ(c.kb.vector_weight, 0.7);
  EXPECT_EQ(c.kb.keyword_weight, 0.3);
  EXPECT_EQ(c.kb.embedding.provider, "local") << "the built-in embedder unless the user asks";
  EXPECT_EQ(c.kb.embedding.url, "");
  EXPECT_EQ(c.kb.embedding.model, "");
  EXPECT_EQ(c.kb.embedding.api_key_env, "");
  EXPECT_EQ(c.kb.embedding.batch, 64u);
  EXPECT_EQ(c.kb.embedding.timeout_ms, 30000);
  EXPECT_EQ(c.kb.embedding.retries, 3);
  EXPECT_EQ(c.kb.embedding.cache_entries, 200000u);
  auto* claude = find_brain(c, "claude");
  ASSERT_TRUE(claude);
  EXPECT_EQ(claude->kind, "process");
  EXPECT_EQ(claude->command, (std::vector<std::string>{"claude", "-p", "--output-format", "stream-json", "--verbose"}));
  EXPECT_EQ(claude->format, "claude-stream-json");
  EXPECT_EQ(find_brain(c, "codex")->command,
            (std::vector<std::string>{"codex", "exec", "--json", "--skip-git-repo-check", "-"}));
  EXPECT_EQ(find_brain(c, "codex")->format, "codex-jsonl");
  EXPECT_EQ(find_brain(c, "gemini")->command, (std::vector<std::string>{"gemini", "--output-format", "json"}));
  EXPECT_EQ(find_brain(c, "gemini")->format, "gemini-json");
  auto* echo = find_brain(c, "echo");
  EXPECT_EQ(echo->kind, "echo");
  EXPECT_TRUE(echo->command.empty());
  EXPECT_EQ(echo->format, "") << "an echo brain has no output format";
  EXPECT_EQ(echo->delay_ms, 0);
  for (auto& b : c.brains) {
    EXPECT_EQ(b.timeout_ms, 600000) << b.name;
    EXPECT_EQ(b.kill_grace_ms, 2000) << b.name;
    EXPECT_EQ(b.max_concurrent, 2) << b.name;
    EXPECT_EQ(b.max_queue, 64) << b.name;
    EXPECT_TRUE(b.env.empty()) << b.name;
    EXPECT_EQ(b.cwd, "") << b.name;
    EXPECT_FALSE(b.description.empty()) << b.name;
  }
}

// `ai hook` parses the autonomy section alone (embedded on its own at build time): it is the defaults' section.
TEST(Config, EmbeddedAutonomySectionIsTheDefaultsOwn) {
  EXPECT_EQ(paios::default_autonomy_config(), paios::default_config().at("autonomy"));
  EXPECT_FALSE(paios::default_autonomy_config().at("builtin").empty());
}

TEST(Config, BrainConfigInitialValuesAreTheSchemaDefaults) {
  const auto& fields = config_schema()["properties"]["brains"]["additionalProperties"]["properties"];
  brain_config b;
  EXPECT_EQ(fields["timeout_ms"]["default"], b.timeout_ms);
  EXPECT_EQ(fields["kill_grace_ms"]["default"], b.kill_grace_ms);
  EXPECT_EQ(fields["delay_ms"]["default"], b.delay_ms);
  EXPECT_EQ(fields["max_concurrent"]["default"], b.max_concurrent);
  EXPECT_EQ(fields["max_queue"]["default"], b.max_queue);
  EXPECT_EQ(fields["cwd"]["default"], b.cwd);
  EXPECT_EQ(fields["description"]["default"], b.description);
}

TEST(Config, BreakerConfigInitialValuesAreTheDefaults) {
  const auto& d = default_config()["breaker"];
  breaker_config b;
  EXPECT_EQ(d["enabled"], b.enabled);
  EXPECT_EQ(d["window"], b.window);
  EXPECT_EQ(d["min_calls"], b.min_calls);
  EXPECT_EQ(d["failure_rate"], b.failure_rate);
  EXPECT_EQ(d["slow_call_ms"], b.slow_call_ms);
  EXPECT_EQ(d["slow_rate"], b.slow_rate);
  EXPECT_EQ(d["open_ms"], b.open_ms);
  EXPECT_EQ(d["half_open_calls"], b.half_open_calls);
}

TEST(Config, BreakersTakeTheSectionThenTheBrainsOwnKeys) {
  auto r = config_from_json({{"breaker", {{"open_ms", 9000}, {"window", 8}}},
                             {"brains", {{"codex", {{"breaker", {{"open_ms", 1000}, {"failure_rate", 0.25}}}}}}}});
  ASSERT_TRUE(r.config) << all(r);
  auto* codex = find_brain(*r.config, "codex");
  auto* claude = find_brain(*r.config, "claude");
  ASSERT_TRUE(codex && claude);
  EXPECT_EQ(codex->breaker.open_ms, 1000);
  EXPECT_EQ(codex->breaker.failure_rate, 0.25);
  EXPECT_EQ(codex->breaker.window, 8);
  EXPECT_EQ(claude->breaker.open_ms, 9000);
  EXPECT_EQ(claude->breaker.failure_rate, 0.5);
  EXPECT_EQ(r.config->tasks.retry.max_retries, 1);
  expect_refused({{"breaker", {{"window", 3}}}}, "breaker.min_calls: must not exceed the window (3 calls)");
  expect_refused({{"brains", {{"codex", {{"breaker", {{"min_calls", 50}}}}}}}},
                 "brains.codex.breaker.min_calls: must not exceed the window (20 calls)");
  expect_refused({{"brains", {{"codex", {{"breaker", {{"ajar", 1}}}}}}}}, "brains.codex.breaker.ajar: unknown key");
  expect_refused({{"breaker", {{"failure_rate", 0}}}}, "breaker.failure_rate:");
  expect_refused({{"tasks", {{"retry", {{"base_delay_ms", 900}, {"max_delay_ms", 100}}}}}},
                 "tasks.retry.max_delay_ms: must be at least tasks.retry.base_delay_ms (900; got 100)");
}

TEST(Config, SchemaRefusesUnknownKeysEverywhere) {
  // additionalProperties false on every object of the schema, so that a typo is never silently ignored.
  std::function<void(const json&, const std::string&)> walk = [&](const json& node, const std::string& path) {
    if (node.contains("properties")) {
      EXPECT_EQ(node.value("additionalProperties", json(true)), json(false)) << path;
      for (auto& [key, sub] : node["properties"].items()) walk(sub, path + "." + key);
    }
    if (node.contains("additionalProperties") && node["additionalProperties"].is_object())
      walk(node["additionalProperties"], path + ".NAME");
    if (node.contains("items") && node["items"].is_object()) walk(node["items"], path + ".N");
  };
  walk(config_schema(), "");
}

// ---- Merge ----------------------------------------------------------------------------------------------------

TEST(Config, MergeOverridesNestedKeysReplacesArraysAndNullRemovesABrain) {
  auto r = config_from_json({{"bridge", {{"client_hwm", 5}}},
                             {"tasks", {{"failover", {"echo"}}}},
                             {"brains", {{"gemini", nullptr}, {"claude", {{"timeout_ms", 1000}}}}}});
  ASSERT_TRUE(r.config) << all(r);
  auto& c = *r.config;
  EXPECT_EQ(c.bridge.client_hwm, 5);
  EXPECT_EQ(c.bridge.max_message_bytes, 4u << 20) << "siblings keep their defaults";
  EXPECT_EQ(c.tasks.failover, (std::vector<std::string>{"echo"})) << "an array replaces, it does not append";
  EXPECT_FALSE(find_brain(c, "gemini"));
  EXPECT_FALSE(c.merged["brains"].contains("gemini"));
  auto* claude = find_brain(c, "claude");
  ASSERT_TRUE(claude);
  EXPECT_EQ(claude->timeout_ms, 1000);
  EXPECT_EQ(claude->format, "claude-stream-json") << "the rest of the default brain stays";
  EXPECT_EQ(claude->command.size(), 5u);
}

TEST(Config, MergeFunction) {
  json base = {{"a", {{"x", 1}, {"y", {1, 2}}}}, {"b", 2}, {"c", {{"d", 1}}}};
  auto m = merge_config(base, {{"a", {{"y", {3}}, {"z", 3}}}, {"b", nullptr}, {"c", 7}, {"e", {{"f", nullptr}, {"g", 1}}}});
  EXPECT_EQ(m, (json{{"a", {{"x", 1}, {"y", {3}}, {"z", 3}}}, {"c", 7}, {"e", {{"g", 1}}}}));
  EXPECT_EQ(merge_config(json{{"k", 1}}, json{{"k", {{"n", 1}}}}), (json{{"k", {{"n", 1}}}})) << "an object replaces a scalar";
  EXPECT_EQ(merge_config(json{{"k", 1}}, json::object()), (json{{"k", 1}}));
}

TEST(Config, NullDropsInheritedFieldsAndIsAbsentInNewBrains) {
  // A default process brain becomes an echo brain only once its process fields are dropped.
  expect_refused({{"brains", {{"claude", {{"kind", "echo"}}}}}},
                 "brains.claude.command: only a process brain has it, not an echo brain (set it to null");
  expect_refused({{"brains", {{"notes", {{"kind", "kb"}, {"command", {"x"}}}}}}},
                 "brains.notes.command: only a process brain has it, not the kb brain");
  expect_refused({{"kb", {{"vector_weight", 2}}}}, "kb.vector_weight");
  expect_refused({{"kb", {{"dimensions", 8}}}}, "kb.dimensions");
  expect_refused({{"brains", {{"claude", {{"kind", "echo"}, {"command", nullptr}, {"format", nullptr}}}}}},
                 "brains.claude.autonomy_gate: only a Claude Code, Codex CLI or Gemini CLI brain (kind process, format "
                 "claude-stream-json, codex-jsonl or gemini-json) can run with the gate; set it to false (set it to "
                 "null to drop the default)");
  auto r = config_from_json({{"brains", {{"claude", {{"kind", "echo"}, {"command", nullptr}, {"format", nullptr},
                                                     {"autonomy_gate", nullptr}}},
                                         {"fresh", {{"kind", "echo"}, {"description", nullptr}}}}}});
  ASSERT_TRUE(r.config) << all(r);
  EXPECT_EQ(find_brain(*r.config, "claude")->kind, "echo");
  EXPECT_FALSE(r.config->merged["brains"]["fresh"].contains("description"));
  EXPECT_EQ(find_brain(*r.config, "fresh")->description, "");
  // A required key cannot be removed.
  expect_refused({{"log", {{"level", nullptr}}}}, "log.level: is required (one of: trace, debug, info, warn, error, off)");
  expect_refused({{"supervision", nullptr}}, "supervision: is required");
}

TEST(Config, NewBrainTakesTheSchemaDefaults) {
  auto r = config_from_json({{"brains", {{"mine", {{"kind", "process"}, {"command", {"/bin/cat"}}}}}}});
  ASSERT_TRUE(r.config) << all(r);
  auto* b = find_brain(*r.config, "mine");
  ASSERT_TRUE(b);
  EXPECT_EQ(b->format, "text");
  EXPECT_EQ(b->timeout_ms, 600000);
  EXPECT_EQ(b->kill_grace_ms, 2000);
  EXPECT_EQ(b->max_concurrent, 2);
  EXPECT_EQ(b->max_queue, 64);
  EXPECT_EQ(b->description, "");
}

// ---- Schema errors --------------------------------------------------------------------------------------------

TEST(Config, UnknownKeysAreRefusedAtEveryDepthAllAtOnce) {
  expect_refused({{"bogus", 1}}, "bogus: unknown key");
  expect_refused({{"bridge", {{"bogus", 1}}}}, "bridge.bogus: unknown key");
  expect_refused({{"brains", {{"echo", {{"bogus", 1}}}}}}, "brains.echo.bogus: unknown key");
  expect_refused({{"bridge", {{"endpint", ""}}}}, "bridge.endpint: unknown key (did you mean bridge.endpoint?)");
  // valijson names one unknown key per object; every one is reported.
  auto r = config_from_json({{"log", {{"one", 1}, {"two", 2}}}});
  EXPECT_EQ(r.errors.size(), 2u) << all(r);
}

TEST(Config, WrongTypesAndRangesNameThePath) {
  expect_refused({{"brains", {{"echo", {{"max_queue", "many"}}}}}},
                 "brains.echo.max_queue: must be an integer, not a string (\"many\")");
  expect_refused({{"brains", {{"claude", {{"timeout_ms", 0}}}}}},
                 "brains.claude.timeout_ms: must be an integer from 1 to 86400000 (got 0)");
  expect_refused({{"brains", {{"claude", {{"timeout_ms", 1.5}}}}}},
                 "brains.claude.timeout_ms: must be an integer, not a decimal number (1.5)");
  expect_refused({{"log", {{"level", "loud"}}}}, "log.level: must be one of trace, debug, info, warn, error, off (got \"loud\")");
  expect_refused({{"bridge", {{"allow_tcp", "yes"}}}}, "bridge.allow_tcp: must be true or false, not a string");
  expect_refused({{"tasks", {{"failover", "codex"}}}}, "tasks.failover: must be an array, not a string");
  expect_refused({{"tasks", {{"failover", {"echo", 5}}}}}, "tasks.failover.1: must be a string, not an integer");
  expect_refused({{"log", 5}}, "log: must be an object, not an integer");
  expect_refused({{"brains", {{"x", {{"kind", "process"}, {"command", json::array()}}}}}}, "brains.x.command: must not be empty");
  expect_refused({{"brains", {{"x", {{"kind", "process"}, {"command", {"a", ""}}}}}}}, "brains.x.command.1: must not be empty");
  expect_refused({{"brains", {{"x", {{"command", {"a"}}}}}}}, "brains.x.kind: is required (one of: process, echo, kb, mcp)");
  expect_refused({{"brains", {{"x", {{"kind", "proc"}}}}}}, "brains.x.kind: must be one of process, echo");
  expect_refused({{"log", {{"max_file_bytes", 18446744073709551615ull}}}}, "log.max_file_bytes: must be an integer from");
  expect_refused({{"tasks", {{"max_in_flight", -1}}}}, "tasks.max_in_flight: must be an integer from 1");
  expect_refused(json::array(), "(top level): the configuration must be a JSON object");
}

TEST(Config, RangeBoundsAreInclusive) {
  expect_accepted({{"bridge", {{"max_message_bytes", 1024}}}});
  expect_accepted({{"bridge", {{"max_message_bytes", 256 << 20}}}});
  expect_refused({{"bridge", {{"max_message_bytes", 1023}}}}, "bridge.max_message_bytes: must be an integer from 1024 to 268435456");
  expect_refused({{"bridge", {{"max_message_bytes", (256 << 20) + 1}}}}, "bridge.max_message_bytes:");
  expect_accepted({{"brains", {{"echo", {{"max_queue", 0}, {"kill_grace_ms", 0}}}}}});
  expect_refused({{"brains", {{"echo", {{"max_concurrent", 0}}}}}}, "brains.echo.max_concurrent: must be an integer from 1 to 1024");
}

// ---- Meaning --------------------------------------------------------------------------------------------------

TEST(Config, AnHttpEmbeddingProviderIsReadAndChecked) {
  auto r = config_from_json({{"kb", {{"dimensions", 768},
                                     {"embedding", {{"provider", "http"}, {"url", "http://127.0.0.1:11434/v1"},
                                                    {"model", "nomic-embed-text"}, {"api_key_env", "OPENAI_API_KEY"},
                                                    {"batch", 32}, {"timeout_ms", 5000}, {"retries", 0},
                                                    {"cache_entries", 0}}}}}});
  ASSERT_TRUE(r.config) << all(r);
  const auto& e = r.config->kb.embedding;
  EXPECT_EQ(r.config->kb.dimensions, 768u);
  EXPECT_EQ(e.provider, "http");
  EXPECT_EQ(e.url, "http://127.0.0.1:11434/v1");
  EXPECT_EQ(e.model, "nomic-embed-text");
  EXPECT_EQ(e.api_key_env, "OPENAI_API_KEY");
  EXPECT_EQ(e.batch, 32u);
  EXPECT_EQ(e.timeout_ms, 5000);
  EXPECT_EQ(e.retries, 0);
  EXPECT_EQ(e.cache_entries, 0u);
  // The other keys keep their defaults.
  r = config_from_json({{"kb", {{"embedding", {{"provider", "http"}, {"url", "https://api.openai.com/v1"},
                                              {"model", "text-embedding-3-small"}}}}}});
  ASSERT_TRUE(r.config) << all(r);
  EXPECT_EQ(r.config->kb.embedding.batch, 64u);
  EXPECT_EQ(r.config->kb.embedding.retries, 3);

  expect_refused({{"kb", {{"embedding", {{"provider", "openai"}}}}}},
                 "kb.embedding.provider: must be one of local, http (got \"openai\")");
  expect_refused({{"kb", {{"embedding", {{"provider", "http"}, {"model", "m"}}}}}},
                 "kb.embedding.url: is required when kb.embedding.provider is \"http\"");
  expect_refused({{"kb", {{"embedding", {{"provider", "http"}, {"url", "http://127.0.0.1:11434/v1"}}}}}},
                 "kb.embedding.model: is required when kb.embedding.provider is \"http\"");
  expect_refused({{"kb", {{"embedding", {{"url", "127.0.0.1:11434/v1"}}}}}},
                 "kb.embedding.url: must be an http:// or https:// URL (got \"127.0.0.1:11434/v1\")");
  expect_refused({{"kb", {{"embedding", {{"url", "ftp://host/v1"}}}}}}, "kb.embedding.url: must be an http:// or https:// URL");
  expect_refused({{"kb", {{"embedding", {{"url", "http://"}}}}}}, "kb.embedding.url: must be an http:// or https:// URL");
  // A credential in the URL is refused, and not repeated in the message.
  auto cred = config_from_json({{"kb", {{"embedding", {{"url", "https://me:sk-secret@api.example/v1"}}}}}});
  EXPECT_FALSE(cred.config);
  EXPECT_NE(all(cred).find("kb.embedding.url: must not hold a user name or password"), std::string::npos) << all(cred);
  EXPECT_EQ(all(cred).find("sk-secret"), std::string::npos) << all(cred);
  expect_refused({{"kb", {{"embedding", {{"api_key_env", "1BAD"}}}}}}, "kb.embedding.api_key_env: must match");
  expect_refused({{"kb", {{"embedding", {{"api_key_env", "MY KEY"}}}}}}, "kb.embedding.api_key_env: must match");
  expect_refused({{"kb", {{"embedding", {{"batch", 0}}}}}}, "kb.embedding.batch: must be an integer from 1 to 2048 (got 0)");
  expect_refused({{"kb", {{"embedding", {{"batch", "64"}}}}}}, "kb.embedding.batch: must be an integer, not a string");
  expect_refused({{"kb", {{"embedding", {{"timeout_ms", 50}}}}}}, "kb.embedding.timeout_ms: must be an integer from 100 to 600000");
  expect_refused({{"kb", {{"embedding", {{"retries", 11}}}}}}, "kb.embedding.retries: must be an integer from 0 to 10");
  expect_refused({{"kb", {{"embedding", {{"cache_entries", -1}}}}}}, "kb.embedding.cache_entries: must be an integer from 0");
  expect_refused({{"kb", {{"embedding", {{"api_key", "sk-123"}}}}}}, "kb.embedding.api_key: unknown key");
  expect_refused({{"kb", {{"embedding", 5}}}}, "kb.embedding: must be an object, not an integer");
  // A URL is checked even while the provider is local; an empty one is fine then.
  expect_accepted({{"kb", {{"embedding", {{"provider", "local"}, {"url", ""}}}}}});
}

TEST(Config, BrainNames) {
  for (const char* bad : {"Bad Name", "Claude", "1abc", "-a", "a.b", "abcdefghijklmnopqrstuvwxyz0123456"})
    expect_refused({{"brains", {{bad, {{"kind", "echo"}}}}}}, std::string{"brains."} + bad + ": invalid brain name");
  expect_refused({{"brains", {{"", {{"kind", "echo"}}}}}}, "brains.: invalid brain name");
  for (const char* good : {"a", "a-b_c9", "abcdefghijklmnopqrstuvwxyz012345"})
    expect_accepted({{"brains", {{good, {{"kind", "echo"}}}}}});
}

TEST(Config, ReferencesNameConfiguredEnabledBrains) {
  expect_refused({{"tasks", {{"default_brain", "nobody"}}}},
                 "tasks.default_brain: 'nobody' is not a configured brain (enabled brains: claude, codex, echo, gemini, kb)");
  expect_refused({{"brains", {{"claude", {{"enabled", false}}}}}},
                 "tasks.default_brain: brain 'claude' is disabled (brains.claude.enabled is false)");
  expect_refused({{"tasks", {{"failover", {"echo", "ghost"}}}}}, "tasks.failover.1: 'ghost' is not a configured brain");
  expect_refused({{"brains", {{"gemini", nullptr}}}}, "tasks.failover.1: 'gemini' is not a configured brain");
  expect_refused({{"brains", {{"codex", {{"enabled", false}}}}}}, "tasks.failover.0: brain 'codex' is disabled");
  // A disabled brain nothing names is fine, and absent from the list.
  auto r = config_from_json({{"tasks", {{"failover", {"codex"}}}}, {"brains", {{"gemini", {{"enabled", false}}}}}});
  ASSERT_TRUE(r.config) << all(r);
  EXPECT_FALSE(find_brain(*r.config, "gemini"));
  EXPECT_TRUE(r.config->merged["brains"].contains("gemini"));
}

TEST(Config, FieldsBelongToOneKindOfBrain) {
  expect_refused({{"brains", {{"echo", {{"command", {"x"}}}}}}}, "brains.echo.command: only a process brain has it");
  expect_refused({{"brains", {{"echo", {{"format", "text"}}}}}}, "brains.echo.format: only a process brain has it");
  expect_refused({{"brains", {{"echo", {{"env", {{"A", "b"}}}}}}}}, "brains.echo.env: only a process brain has it");
  expect_refused({{"brains", {{"echo", {{"cwd", "/"}}}}}}, "brains.echo.cwd: only a process brain has it");
  expect_refused({{"brains", {{"p", {{"kind", "process"}}}}}}, "brains.p.command: is required for a process brain");
  expect_refused({{"brains", {{"claude", {{"delay_ms", 5}}}}}}, "brains.claude.delay_ms: only an echo brain has it");
  expect_refused({{"brains", {{"claude", {{"cwd", "relative/dir"}}}}}}, "brains.claude.cwd: must be an absolute path");
  expect_refused({{"brains", {{"claude", {{"env", {{"A=B", "x"}}}}}}}}, "brains.claude.env.A=B: invalid environment variable name");
  expect_refused({{"brains", {{"claude", {{"env", {{"A", std::string("x\0y", 3)}}}}}}}}, "brains.claude.env.A: must not contain a NUL");
  expect_accepted({{"brains", {{"claude", {{"env", {{"_A1", "x"}}}, {"cwd", "/tmp"}}}}}});
}

// The autonomy gate is the agent CLI's own tool hook: on by default for the claude and codex brains (off for gemini,
// whose per-run hook needs a root-owned settings file), refused where it would claim what it cannot enforce (another
// kind of brain) or be voided (flags that switch hooks or permission checks off, or set what the gate sets).
TEST(Config, TheAutonomyGateIsOnForClaudeAndRefusedWhereItCannotHold) {
  auto r = load_config(std::nullopt);
  ASSERT_TRUE(r.config) << all(r);
  EXPECT_TRUE(find_brain(*r.config, "claude")->autonomy_gate);
  EXPECT_TRUE(find_brain(*r.config, "codex")->autonomy_gate);
  EXPECT_FALSE(find_brain(*r.config, "gemini")->autonomy_gate);
  EXPECT_EQ(r.config->hooks.ai_path, "");
  expect_accepted({{"brains", {{"gemini", {{"autonomy_gate", true}}}}}});
  expect_refused({{"brains", {{"notes", {{"kind", "process"}, {"command", {"x"}}, {"format", "text"}, {"autonomy_gate", true}}}}}},
                 "brains.notes.autonomy_gate: only a Claude Code, Codex CLI or Gemini CLI brain (kind process, format "
                 "claude-stream-json, codex-jsonl or gemini-json)");
  expect_refused({{"brains", {{"codex", {{"command", {"codex", "exec", "--disable", "hooks", "-"}}}}}}},
                 "brains.codex.command: --disable would switch off or loosen the autonomy gate of Codex CLI");
  expect_refused({{"brains", {{"codex", {{"command", {"codex", "exec", "--dangerously-bypass-approvals-and-sandbox"}}}}}}},
                 "brains.codex.command: --dangerously-bypass-approvals-and-sandbox would switch off");
  expect_refused({{"brains", {{"gemini", {{"autonomy_gate", true}, {"command", {"gemini", "--approval-mode=plan"}}}}}}},
                 "brains.gemini.command: --approval-mode would switch off or loosen the autonomy gate of Gemini CLI");
  expect_accepted({{"brains", {{"codex", {{"command", {"codex", "exec", "--disable", "hooks", "-"}}, {"autonomy_gate", false}}}}}});
  expect_refused({{"brains", {{"claude", {{"command", {"claude", "-p", "--bare"}}}}}}},
                 "brains.claude.command: --bare would switch off or loosen the autonomy gate");
  expect_refused({{"brains", {{"claude", {{"command", {"claude", "-p", "--permission-mode=acceptEdits"}}}}}}},
                 "brains.claude.command: --permission-mode would switch off or loosen the autonomy gate");
  expect_accepted({{"brains", {{"claude", {{"command", {"claude", "-p", "--bare"}}, {"autonomy_gate", false}}}}}});
  expect_refused({{"hooks", {{"ai_path", "bin/ai"}}}}, "hooks.ai_path: must be an absolute path");
  expect_accepted({{"hooks", {{"ai_path", "/opt/paios/bin/ai"}}}});
}

TEST(Config, Endpoints) {
  expect_refused({{"bridge", {{"endpoint", "tcp://127.0.0.1:5555"}}}},
                 "bridge.endpoint: a tcp endpoint opens the daemon to the network; it is refused unless bridge.allow_tcp is true");
  expect_refused({{"bridge", {{"events_endpoint", "tcp://127.0.0.1:5556"}}}}, "bridge.events_endpoint: a tcp endpoint");
  expect_accepted({{"bridge", {{"endpoint", "tcp://127.0.0.1:5555"}, {"events_endpoint", "tcp://127.0.0.1:5556"}, {"allow_tcp", true}}}});
  expect_refused({{"bridge", {{"endpoint", "tcp://localhost"}, {"allow_tcp", true}}}}, "bridge.endpoint: must be tcp://HOST:PORT");
  expect_refused({{"bridge", {{"endpoint", "http://x"}}}}, "bridge.endpoint: must start with ipc:// or tcp://");
  expect_refused({{"bridge", {{"endpoint", "ipc://"}}}}, "bridge.endpoint: an ipc:// endpoint needs a socket path");
  expect_refused({{"bridge", {{"endpoint", "ipc:///" + std::string(107, 'x')}}}}, "bridge.endpoint: the socket path is 108 bytes");
  expect_accepted({{"bridge", {{"endpoint", "ipc:///" + std::string(106, 'x')}}}});
  expect_refused({{"bridge", {{"endpoint", "ipc:///tmp/a.sock"}, {"events_endpoint", "ipc:///tmp/a.sock"}}}},
                 "bridge.events_endpoint: must differ from bridge.endpoint");
}

TEST(Config, TheMetricsEndpointIsLoopbackOnly) {
  expect_accepted({{"obs", {{"http", {{"endpoint", "127.0.0.1:0"}}}}}});
  expect_accepted({{"obs", {{"http", {{"endpoint", "[::1]:9000"}}}}}});
  expect_accepted({{"obs", {{"http", {{"endpoint", "localhost:9477"}}}}}});
  expect_accepted({{"obs", {{"http", {{"endpoint", ""}}}}}});
  expect_refused({{"obs", {{"http", {{"endpoint", "0.0.0.0:9477"}}}}}},
                 "obs.http.endpoint: metrics and health are served on loopback only: 127.0.0.1, [::1] or localhost (got '0.0.0.0')");
  expect_refused({{"obs", {{"http", {{"endpoint", "127.0.0.1"}}}}}}, "obs.http.endpoint: must be host:port with a port from 0 to 65535");
  expect_refused({{"obs", {{"http", {{"endpoint", "127.0.0.1:70000"}}}}}}, "obs.http.endpoint: must be host:port");
  expect_refused({{"obs", {{"batch", 5000}, {"queue_capacity", 1000}}}}, "obs.batch: must be at most obs.queue_capacity (1000; got 5000)");
  expect_refused({{"obs", {{"flush_ms", 0}}}}, "obs.flush_ms");
  expect_refused({{"obs", {{"bogus", 1}}}}, "obs.bogus");
}

TEST(Config, EveryErrorIsPathColonMessage) {
  const json inputs[] = {
      {{"bogus", 1}, {"log", {{"level", 3}}}},
      {{"brains", {{"x", {{"kind", "process"}, {"cwd", "r"}, {"delay_ms", 1}}}}}, {"tasks", {{"default_brain", "y"}}}},
      {{"bridge", {{"endpoint", "tcp://a:1"}, {"client_hwm", 0}}}, {"state", {{"synchronous", "often"}}}},
  };
  static const std::regex shape{R"(^[a-z_]+(\.[^ :]+)*: \S.*$)"};
  for (const auto& in : inputs) {
    auto r = config_from_json(in);
    EXPECT_FALSE(r.config);
    EXPECT_GE(r.errors.size(), 2u) << "every mistake in one run: " << all(r);
    for (auto& e : r.errors) EXPECT_TRUE(std::regex_match(e, shape)) << e;
  }
}

// ---- Files ----------------------------------------------------------------------------------------------------

TEST(Config, SampleFiles) {
  auto valid = load_config(sample("valid.json"));
  ASSERT_TRUE(valid.config) << all(valid);
  auto& c = *valid.config;
  EXPECT_EQ(c.log.level, "debug");
  EXPECT_EQ(c.log.max_files, 3);
  EXPECT_TRUE(c.tasks.redispatch_running);
  EXPECT_TRUE(c.state.synchronous_full);
  EXPECT_EQ(c.tasks.failover, (std::vector<std::string>{"local", "echo"}));
  std::vector<std::string> names;
  for (auto& b : c.brains) names.push_back(b.name);
  EXPECT_EQ(names, (std::vector<std::string>{"claude", "echo", "kb", "local"})) << "gemini removed, codex disabled";
  auto* claude = find_brain(c, "claude");
  EXPECT_EQ(claude->timeout_ms, 120000);
  EXPECT_EQ(claude->env, (std::vector<std::pair<std::string, std::string>>{{"ANTHROPIC_LOG", "error"}}));
  auto* local = find_brain(c, "local");
  EXPECT_EQ(local->command, (std::vector<std::string>{"/opt/llm/run", "--quiet"}));
  EXPECT_EQ(local->cwd, "/opt/llm");
  EXPECT_EQ(local->format, "text");
  EXPECT_EQ(local->max_concurrent, 1);

  // Exactly these errors: all of them, each once, in path order, nothing else.
  auto unknown = load_config(sample("unknown_keys.json"));
  EXPECT_FALSE(unknown.config);
  EXPECT_EQ(unknown.errors,
            (std::vector<std::string>{
                "bogus: unknown key (known here: " + [] {
                  std::string keys;
                  for (auto& [k, _] : config_schema()["properties"].items()) keys += (keys.empty() ? "" : ", ") + k;
                  return keys;
                }() + ")",
                "brains.echo.delay: unknown key (did you mean brains.echo.delay_ms?)",
                "bridge.colour: unknown key (known here: allow_tcp, client_hwm, endpoint, events_endpoint, max_message_bytes)",
                "bridge.endpint: unknown key (did you mean bridge.endpoint?)"}))
      << all(unknown);

  auto types = load_config(sample("wrong_types.json"));
  EXPECT_FALSE(types.config);
  EXPECT_EQ(types.errors, (std::vector<std::string>{
                              "brains.claude.command.1: must not be empty",
                              "brains.claude.timeout_ms: must be an integer from 1 to 86400000 (got 0)",
                              "bridge.allow_tcp: must be true or false, not a string (\"yes\")",
                              "bridge.max_message_bytes: must be an integer from 1024 to 268435456 (got 512)",
                              "log.max_files: must be an integer, not a string (\"three\")",
                              "tasks.failover: must be an array, not a string (\"codex\")"}))
      << all(types);

  auto brains = load_config(sample("bad_brains.json"));
  EXPECT_FALSE(brains.config);
  EXPECT_EQ(brains.errors, (std::vector<std::string>{
                               "brains.Claude2: invalid brain name (must match ^[a-z][a-z0-9_-]{0,31}$)",
                               "brains.echo.command: only a process brain has it, not an echo brain",
                               "brains.script.command: is required for a process brain",
                               "brains.script.delay_ms: only an echo brain has it, not a process brain",
                               "tasks.default_brain: brain 'claude' is disabled (brains.claude.enabled is false)",
                               "tasks.failover.0: 'ghost' is not a configured brain (enabled brains: Claude2, codex, "
                               "echo, gemini, kb, script)"}))
      << all(brains);

  auto tcp = load_config(sample("tcp_without_allow.json"));
  EXPECT_FALSE(tcp.config);
  ASSERT_EQ(tcp.errors.size(), 1u) << all(tcp);
  EXPECT_EQ(tcp.errors[0].rfind("bridge.endpoint: a tcp endpoint", 0), 0u) << all(tcp);
}

TEST(Config, InvalidJsonReportsLineAndColumn) {
  auto file = sample("invalid_syntax.json");
  auto r = load_config(file);
  ASSERT_FALSE(r.config);
  ASSERT_EQ(r.errors.size(), 1u) << all(r);
  // Line 3 is `    "default_brain": "echo",,`: the second comma is column 29.
  EXPECT_EQ(r.errors[0].rfind(file.string() + ":3:29: invalid JSON: syntax error", 0), 0u) << all(r);
  EXPECT_EQ(r.errors[0].find("[json.exception"), std::string::npos) << "no library preamble: " << all(r);
}

TEST(Config, DuplicateKeysAreRefused) {
  auto r = load_config(sample("duplicate_keys.json"));
  ASSERT_FALSE(r.config);
  EXPECT_EQ(r.errors, (std::vector<std::string>{"brains: appears twice in the same object (JSON would keep only the last one)"}))
      << all(r);
}

TEST(Config, UnreadableFilesNameThePath) {
  test::temp_dir dir;
  auto missing = load_config(dir.path() / "missing.json");
  ASSERT_FALSE(missing.config);
  EXPECT_EQ(missing.errors,
            (std::vector<std::string>{(dir.path() / "missing.json").string() + ": cannot be read: No such file or directory"}));
  auto directory = load_config(dir.path());
  ASSERT_FALSE(directory.config);
  EXPECT_EQ(directory.errors, (std::vector<std::string>{dir.path().string() + ": cannot be read: is a directory"}));
  std::ofstream(dir.path() / "empty.json") << "  \n";
  auto empty = load_config(dir.path() / "empty.json");
  ASSERT_FALSE(empty.config);
  EXPECT_NE(all(empty).find("empty.json: is empty"), std::string::npos) << all(empty);
  std::ofstream(dir.path() / "bytes.json") << "{\"log\": {\"level\": \"\xff\"}}";
  auto bytes = load_config(dir.path() / "bytes.json");
  ASSERT_FALSE(bytes.config);
  EXPECT_NE(all(bytes).find("bytes.json:1:20: invalid JSON"), std::string::npos) << all(bytes);
  EXPECT_NE(all(bytes).find("\\xff"), std::string::npos) << "raw bytes are escaped: " << all(bytes);
}

TEST(Config, FilesAreReadNeverWritten) {
  test::temp_dir dir;
  for (const char* name : {"valid.json", "wrong_types.json"}) {
    auto file = dir.path() / name;
    std::filesystem::copy_file(sample(name), file);
    std::filesystem::permissions(file, std::filesystem::perms::owner_read | std::filesystem::perms::group_read);
    auto before = read(file);
    struct stat st_before {};
    ASSERT_EQ(::stat(file.c_str(), &st_before), 0);
    auto r = load_config(file);
    EXPECT_EQ(r.config.has_value(), std::string{name} == "valid.json") << all(r);
    struct stat st_after {};
    ASSERT_EQ(::stat(file.c_str(), &st_after), 0);
    EXPECT_EQ(read(file), before) << name;
    EXPECT_EQ(st_after.st_mtim.tv_sec, st_before.st_mtim.tv_sec) << name;
    EXPECT_EQ(st_after.st_mtim.tv_nsec, st_before.st_mtim.tv_nsec) << name;
    EXPECT_EQ(st_after.st_size, st_before.st_size) << name;
    EXPECT_EQ(st_after.st_mode, st_before.st_mode) << name;
  }
  std::vector<std::filesystem::path> left;
  for (auto& e : std::filesystem::directory_iterator(dir.path())) left.push_back(e.path().filename());
  EXPECT_EQ(left.size(), 2u) << "no file created beside the configuration";
}

// ---- docs/config.md stays the reference -----------------------------------------------------------------------

namespace {

std::string config_md() { return read(test::source_dir() / "docs" / "config.md"); }

// The default column of the table row of `key`, or nullopt without such a row.
std::optional<std::string> documented_default(const std::string& doc, const std::string& key) {
  const std::string head = "| `" + key + "` |";
  auto row = doc.find(head);
  if (row == std::string::npos) return std::nullopt;
  auto start = row + head.size();
  auto end = doc.find('|', start);
  auto cell = doc.substr(start, end - start);
  cell.erase(0, cell.find_first_not_of(' '));
  cell.erase(cell.find_last_not_of(' ') + 1);
  return cell;
}

// The documented default (`info`, 10485760, `""`, `["codex", "gemini"]`, `{}`, true) read as JSON.
bool same_default(const std::string& cell, const json& value) {
  std::string text = cell;
  if (text.size() >= 2 && text.front() == '`' && text.back() == '`') text = text.substr(1, text.size() - 2);
  if (value.is_string() && text == value.get<std::string>()) return true;
  return json::accept(text) && json::parse(text) == value;
}

}  // namespace

TEST(Config, EverySchemaKeyIsDocumented) {
  auto doc = config_md();
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
    // router.extra_rules holds rules of the same shape as router.rules: documented once, as router.rules.N.
    if (node.contains("items") && node["items"].is_object() && path == "router.rules") walk(node["items"], path + ".N");
  };
  walk(config_schema(), "");
}

TEST(Config, DocumentedDefaultsAreTheRealOnes) {
  auto doc = config_md();
  // Every plain value of defaults.json under a fixed key; maps (brains, router.chains) and lists of rules are
  // described in the docs, not spelled out.
  std::function<void(const json&, const json&, const std::string&)> walk = [&](const json& node, const json& schema,
                                                                              const std::string& path) {
    for (auto& [key, value] : node.items()) {
      auto p = path.empty() ? key : path + "." + key;
      const auto& sub = schema["properties"][key];
      if (value.is_object()) {
        if (sub.contains("properties")) walk(value, sub, p);
        continue;
      }
      if (value.is_array() && !value.empty() && value[0].is_object()) continue;
      auto cell = documented_default(doc, p);
      ASSERT_TRUE(cell) << p << " has no row in docs/config.md";
      EXPECT_TRUE(same_default(*cell, value)) << p << ": docs say " << *cell << ", defaults.json says " << value.dump();
    }
  };
  walk(default_config(), config_schema(), "");
  // Brain fields: the schema's defaults.
  for (auto& [key, field] : config_schema()["properties"]["brains"]["additionalProperties"]["properties"].items()) {
    if (!field.contains("default")) continue;
    auto cell = documented_default(doc, "brains.NAME." + key);
    ASSERT_TRUE(cell) << key;
    EXPECT_TRUE(same_default(*cell, field["default"])) << "brains.NAME." << key << ": docs say " << *cell
                                                        << ", schema.json says " << field["default"].dump();
  }
  // The default brains, as written in the table of default brains.
  for (auto& [name, b] : default_config()["brains"].items()) {
    EXPECT_NE(doc.find("| `" + name + "` | " + b["kind"].get<std::string>() + " |"), std::string::npos) << name;
    if (!b.contains("command")) continue;
    std::string command;
    for (auto& arg : b["command"]) command += (command.empty() ? "" : " ") + arg.get<std::string>();
    EXPECT_NE(doc.find("`" + command + "` | `" + b.value("format", "text") + "`"), std::string::npos)
        << name << ": `" << command << "` with its format is not in docs/config.md";
  }
}

TEST(Config, WatchersAreCheckedAndRead) {
  expect_refused({{"watchers", {{"folders", {{{"path", "relative/inbox"}}}}}}},
                 "watchers.folders[0].path: must be absolute or start with ~/");
  expect_refused({{"watchers", {{"folders", {{{"path", "/tmp/inbox"}}, {{"path", "/tmp/inbox/"}}}}}}},
                 "watchers.folders[1].path: /tmp/inbox is listed twice");
  expect_refused({{"watchers", {{"vision_brain", "nope"}}}}, "watchers.vision_brain: no brain named \"nope\"");
  expect_refused({{"watchers", {{"actions", {{"document", "describe"}}}}}}, "watchers.actions.document");
  expect_refused({{"watchers", {{"folders", {{{"path", "/tmp/a"}, {"classes", {"pictures"}}}}}}}}, "watchers.folders");
  auto r = config_from_json({{"watchers",
                              {{"folders", {{{"path", "/tmp/inbox/"}, {"classes", {"image", "document"}}}}},
                               {"actions", {{"code", "ingest"}}},
                               {"vision_brain", "gemini"}}}});
  ASSERT_TRUE(r.config) << all(r);
  const auto& w = r.config->watchers;
  ASSERT_EQ(w.folders.size(), 1u);
  EXPECT_EQ(w.folders[0].path, "/tmp/inbox");
  EXPECT_EQ(w.folders[0].classes, (std::vector<file_class>{file_class::image, file_class::document}));
  EXPECT_EQ(action_for(w, file_class::code), watch_action::ingest);
  EXPECT_EQ(action_for(w, file_class::image), watch_action::describe);
  EXPECT_EQ(action_for(w, file_class::media), watch_action::notify);
  EXPECT_EQ(w.vision_brain, "gemini");
  const char* home = std::getenv("HOME");
  if (home && *home) {
    EXPECT_EQ(normal_folder_path("~/Downloads"), std::string{home} + "/Downloads");
  }
}

TEST(Config, CredentialsAreCheckedAndRead) {
  auto entry = [](json e) { return json{{"credentials", json::array({e})}}; };
  expect_refused(entry({{"name", "a"}, {"kind", "env"}}), "credentials.0.env: required for kind env");
  expect_refused(entry({{"name", "a"}, {"kind", "file"}}), "credentials.0.path: required for kind file");
  expect_refused(entry({{"name", "a"}, {"kind", "file"}, {"path", "relative/key"}}),
                 "credentials.0.path: must be absolute or start with ~/ (got \"relative/key\")");
  expect_refused(entry({{"name", "a"}, {"kind", "env"}, {"env", "K"}, {"path", "/k"}}),
                 "credentials.0.path: only for kind file or oauth_token_file");
  expect_refused(entry({{"name", "a"}, {"kind", "env"}, {"env", "K"}, {"expires", "31/12/2026"}}),
                 "credentials.0.expires: not a date: use YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ (got \"31/12/2026\")");
  expect_refused(entry({{"name", "a"}, {"kind", "env"}, {"env", "K"}, {"used_by", {"nobody"}}}),
                 "credentials.0.used_by: 'nobody' is not a configured brain");
  expect_refused(entry({{"name", "a"}, {"kind", "keychain"}, {"env", "K"}}), "credentials.0.kind");
  expect_refused({{"credentials", {{{"name", "a"}, {"kind", "env"}, {"env", "K"}}, {{"name", "a"}, {"kind", "env"}, {"env", "L"}}}}},
                 "credentials.1.name: 'a' is declared twice");

  const char* home = std::getenv("HOME");
  auto r = config_from_json({{"credentials",
                              {{{"name", "openai"}, {"kind", "env"}, {"env", "OPENAI_API_KEY"}, {"expires", "2027-03-31"},
                                {"used_by", {"codex"}}},
                               {{"name", "gh"}, {"kind", "file"}, {"path", "~/.config/gh.token"}}}}});
  ASSERT_TRUE(r.config) << all(r);
  ASSERT_EQ(r.config->credentials.size(), 2u);
  const auto& openai = r.config->credentials[0];
  EXPECT_EQ(openai.kind, credential_kind::env);
  EXPECT_EQ(openai.where, "OPENAI_API_KEY");
  EXPECT_EQ(openai.expires, "2027-03-31");
  EXPECT_EQ(openai.used_by, std::vector<std::string>{"codex"});
  EXPECT_TRUE(openai.declared);
  EXPECT_EQ(r.config->credentials[1].where, std::string{home ? home : ""} + "/.config/gh.token");
  EXPECT_EQ(r.config->alerts.credential_warn_days, 7);
  EXPECT_EQ(r.config->alerts.budget_timeouts, 3);
}
