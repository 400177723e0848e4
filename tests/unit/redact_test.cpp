// Secrets never reach a log record or a routing decision: what redact() catches and what it leaves alone.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "messages/redact.hpp"

using paios::redact;
using paios::redact_json;
using paios::redacted_summary;

TEST(Redact, TokenShapedWords) {
  EXPECT_EQ(redact("use sk-proj-abcdefghijklmnop1234 please"), "use [REDACTED] please");
  EXPECT_EQ(redact("token ghp_16C7e42F292c6912E7710c838347Ae178B4a here"), "token [REDACTED] here");
  EXPECT_EQ(redact("AKIAIOSFODNN7EXAMPLE1"), "[REDACTED]");
  EXPECT_EQ(redact("jwt eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.abc"), "jwt [REDACTED]");
  EXPECT_EQ(redact("key 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"), "key [REDACTED]");
}

TEST(Redact, ValuesOfSecretKeys) {
  EXPECT_EQ(redact("password=hunter2 user=bob"), "password=[REDACTED] user=bob");
  EXPECT_EQ(redact(R"({"api_key": "abc123", "model": "x"})"), R"({"api_key": "[REDACTED]", "model": "x"})");
  EXPECT_EQ(redact("DB_PASSWORD: s3cret"), "DB_PASSWORD: [REDACTED]");
  EXPECT_EQ(redact("Authorization: Bearer abc.def"), "Authorization: Bearer [REDACTED]");
  EXPECT_EQ(redact("curl -H 'Authorization: Basic dXNlcjpwYXNz'"), "curl -H 'Authorization: Basic [REDACTED]'");
}

TEST(Redact, OrdinaryTextIsLeftAlone) {
  const std::string text =
      "review this Python function: def parse_config(path): return json.load(open(path)) # see "
      "/home/user/projects/paios/actors/dispatcher/dispatcher.cpp and https://example.com/a/b/c/d/e/f/g/h/i/j/k";
  EXPECT_EQ(redact(text), text);
  EXPECT_EQ(redact("the token is valid for 3 days"), "the token is valid for 3 days");
  EXPECT_EQ(redact("2026-11-25T10:00:00Z"), "2026-11-25T10:00:00Z");
}

TEST(Redact, Summary) {
  EXPECT_EQ(redacted_summary("  fix\n\nthe   bug  "), "fix the bug");
  EXPECT_EQ(redacted_summary("abcdef", 3), "abc…");
  // Never cut inside a UTF-8 sequence.
  EXPECT_EQ(redacted_summary("aé", 2), "a…");
  EXPECT_EQ(redacted_summary("password=hunter2 and more", 200), "password=[REDACTED] and more");
}

TEST(Redact, JsonKeepsItsShapeAndLosesItsSecrets) {
  struct want {
    std::string in, out;
  };
  for (const auto& w : std::vector<want>{
           {R"({"api_key":"two words"})", R"({"api_key":"[REDACTED]"})"},
           {R"({"token":12345,"secret":{"nested":true},"password":null})", R"({"password":null,"secret":"[REDACTED]","token":"[REDACTED]"})"},
           {R"({"env":{"GITHUB_TOKEN":"ghp_abcdefghijklmnopqrstuvwxyz0123456789"}})", R"({"env":{"GITHUB_TOKEN":"[REDACTED]"}})"},
           {R"({"message":"invalid key sk-ant-api03-abcdefghijklmnopqrstuvwxyz0123456789","list":["Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.abc"]})",
            R"({"list":["Bearer [REDACTED]"],"message":"invalid key [REDACTED]"})"},
           {R"({"usage":{"input_tokens":12,"output_tokens":3}})", R"({"usage":{"input_tokens":12,"output_tokens":3}})"},
           // Keys are compared folded ('-' as '_', any case), with spaces before the colon, after escaped quotes.
           {R"({"note":"say \"hi\"", "DB-Password" : 7})", R"({"note":"say \"hi\"","DB-Password":"[REDACTED]"})"},
           {R"({"passwordHint":"the dog"})", R"({"passwordHint":"the dog"})"},
       }) {
    auto out = redact_json(w.in);
    EXPECT_EQ(nlohmann::json::parse(out), nlohmann::json::parse(w.out)) << w.in << " -> " << out;
  }
  // Ordinary data is returned as it came (no parse, no reordering).
  const std::string plain = R"({"task_id":"t-1","brain":"claude","state":"succeeded"})";
  EXPECT_EQ(redact_json(plain), plain);
  // Not JSON: redacted as text.
  EXPECT_EQ(redact_json("password=hunter2"), "password=[REDACTED]");
}

// Claude Code's hook payloads name their session by a UUID: an id under an id key stays searchable, while the
// same shape anywhere else, or a secret under a secret key, is still removed.
TEST(Redact, IdentifiersUnderIdKeysStay) {
  const std::string uuid = "7c9e6f1a-2b4d-4e8f-9a1b-3c5d7e9f1a2b";
  auto out = nlohmann::json::parse(redact_json(R"({"session_id":")" + uuid + R"(","tool_use_id":"toolu_01ABCDEF0123456789abcdef",)"
                                                   R"("traceId":"4bf92f3577b34da6a3ce929d0e0e4736","uuid":")" + uuid +
                                               R"(","note":"session )" + uuid + R"(","api_key":"abc"})"));
  EXPECT_EQ(out["session_id"], uuid);
  EXPECT_EQ(out["tool_use_id"], "toolu_01ABCDEF0123456789abcdef");
  EXPECT_EQ(out["traceId"], "4bf92f3577b34da6a3ce929d0e0e4736");
  EXPECT_EQ(out["uuid"], uuid);
  EXPECT_EQ(out["note"], "session [REDACTED]");
  EXPECT_EQ(out["api_key"], "[REDACTED]");
  // Under an id key, a value that is not an id's shape is read like any text.
  out = nlohmann::json::parse(redact_json(R"({"request_id":"Bearer sk-proj-abcdefghijklmnop1234"})"));
  EXPECT_EQ(out["request_id"], "Bearer [REDACTED]");
  // So is a content digest under its name (a watched file's event); the same hex elsewhere is not kept.
  const std::string digest = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
  out = nlohmann::json::parse(redact_json(R"({"sha256":")" + digest + R"(","content_hash":")" + digest +
                                          R"(","note":")" + digest + R"("})"));
  EXPECT_EQ(out["sha256"], digest);
  EXPECT_EQ(out["content_hash"], digest);
  EXPECT_EQ(out["note"], "[REDACTED]");
}
