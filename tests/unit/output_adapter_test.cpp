// Output adapters on the output of the fake agent CLIs (recorded formats of Claude Code, Codex and Gemini CLI)
// and on hand-made edge cases: fed in one piece and byte by byte with the same result, malformed lines,
// truncated output.
#include <gtest/gtest.h>

#include "core/process/output_adapter.hpp"
#include "tests/support/test_support.hpp"

using namespace paios;

namespace {

struct parsed {
  std::vector<std::string> chunks;
  adapter_result result;
  std::string joined() const {
    std::string s;
    for (auto& c : chunks) s += c;
    return s;
  }
};

parsed feed(const std::string& format, const std::string& output, std::size_t piece) {
  auto a = make_output_adapter(format);
  parsed p;
  for (std::size_t i = 0; i < output.size(); i += piece) a->feed(std::string_view{output}.substr(i, piece), p.chunks);
  p.result = a->finish();
  return p;
}

std::string agent_output(const std::string& agent, const std::string& mode, const std::string& prompt) {
  return test::run_program({test::fake_agent(agent).string()}, {{"FAKE_MODE", mode}}, prompt).out;
}

void expect_same_either_way(const std::string& format, const std::string& output) {
  auto whole = feed(format, output, output.size() + 1);
  auto bytes = feed(format, output, 1);
  EXPECT_EQ(whole.joined(), bytes.joined()) << format;
  EXPECT_EQ(whole.result.text, bytes.result.text) << format;
  EXPECT_EQ(whole.result.error.ok(), bytes.result.error.ok()) << format;
}

}  // namespace

TEST(OutputAdapter, KnowsItsFormats) {
  for (auto f : output_formats()) EXPECT_TRUE(make_output_adapter(f)) << f;
  EXPECT_FALSE(make_output_adapter("yaml"));
}

TEST(OutputAdapter, ClaudeStreamJson) {
  auto out = agent_output("fake-claude", "ok", "explain actors");
  auto p = feed("claude-stream-json", out, 7);
  EXPECT_EQ(p.joined(), "You asked: explain actors");
  EXPECT_EQ(p.result.text, "You asked: explain actors");
  EXPECT_TRUE(p.result.error) << p.result.error.message();
  EXPECT_EQ(p.result.meta.value("session_id", ""), "sess-fake-0001");
  EXPECT_TRUE(p.result.meta.contains("total_cost_usd"));
  expect_same_either_way("claude-stream-json", out);
}

TEST(OutputAdapter, ClaudePartialMessagesAreNotRepeated) {
  auto out = agent_output("fake-claude", "slow", "a b c");
  auto a = make_output_adapter("claude-stream-json");
  parsed p;
  a->feed(out, p.chunks);
  p.result = a->finish();
  EXPECT_GT(p.chunks.size(), 2u) << "deltas stream word by word";
  EXPECT_EQ(p.joined(), "You asked: a b c ") << "the final assistant message must not repeat the deltas";
  EXPECT_EQ(p.result.text, "You asked: a b c");
}

TEST(OutputAdapter, ClaudeErrorsAndTruncation) {
  auto err = feed("claude-stream-json", agent_output("fake-claude", "error", "x"), 64);
  EXPECT_FALSE(err.result.error);
  EXPECT_EQ(err.result.error.code(), errc::brain_failed);
  EXPECT_NE(err.result.error.message().find("529"), std::string::npos) << err.result.error.message();
  auto partial = feed("claude-stream-json", agent_output("fake-claude", "partial", "x"), 64);
  EXPECT_FALSE(partial.result.error);
  EXPECT_EQ(partial.result.error.code(), errc::brain_failed);
  EXPECT_NE(partial.result.error.message().find("ended before"), std::string::npos);
  EXPECT_EQ(partial.result.text, "You asked: x") << "what streamed is kept";
}

TEST(OutputAdapter, CodexJsonl) {
  auto out = agent_output("fake-codex", "ok", "review this");
  auto p = feed("codex-jsonl", out, 5);
  EXPECT_EQ(p.result.text, "You asked: review this");
  EXPECT_TRUE(p.result.error) << p.result.error.message();
  EXPECT_TRUE(p.result.meta.contains("usage"));
  expect_same_either_way("codex-jsonl", out);
  auto failed = feed("codex-jsonl", agent_output("fake-codex", "error", "x"), 100);
  EXPECT_FALSE(failed.result.error);
  EXPECT_EQ(failed.result.error.code(), errc::brain_failed);
  EXPECT_NE(failed.result.error.message().find("stream disconnected"), std::string::npos);
  // Older releases named the key item_type and the message assistant_message.
  auto old = feed("codex-jsonl",
                  "{\"type\":\"item.completed\",\"item\":{\"id\":\"1\",\"item_type\":\"assistant_message\",\"text\":\"hi\"}}\n"
                  "{\"type\":\"turn.completed\",\"usage\":{}}\n",
                  3);
  EXPECT_EQ(old.result.text, "hi");
}

TEST(OutputAdapter, GeminiJson) {
  auto out = agent_output("fake-gemini", "ok", "summarize");
  auto p = feed("gemini-json", out, 3);
  EXPECT_TRUE(p.chunks.empty()) << "one document at the end: nothing streams";
  EXPECT_EQ(p.result.text, "You asked: summarize");
  EXPECT_TRUE(p.result.meta.contains("stats"));
  auto err = feed("gemini-json", agent_output("fake-gemini", "error", "x"), 100);
  EXPECT_FALSE(err.result.error);
  EXPECT_EQ(err.result.error.code(), errc::brain_failed);
  EXPECT_EQ(err.result.error.message(), "Quota exceeded");
  auto cut = feed("gemini-json", agent_output("fake-gemini", "partial", "x"), 100);
  EXPECT_FALSE(cut.result.error);
  EXPECT_EQ(cut.result.error.code(), errc::brain_failed);
}

TEST(OutputAdapter, GeminiStreamJson) {
  std::string out =
      "{\"type\":\"init\",\"session_id\":\"s\",\"model\":\"gemini-2.5-pro\"}\n"
      "{\"type\":\"message\",\"role\":\"user\",\"content\":\"q\"}\n"
      "{\"type\":\"message\",\"role\":\"assistant\",\"content\":\"Hel\",\"delta\":true}\n"
      "{\"type\":\"message\",\"role\":\"assistant\",\"content\":\"lo\",\"delta\":true}\n"
      "{\"type\":\"result\",\"status\":\"success\",\"stats\":{\"total_tokens\":3}}\n";
  auto p = feed("gemini-stream-json", out, 2);
  EXPECT_EQ(p.chunks, (std::vector<std::string>{"Hel", "lo"}));
  EXPECT_EQ(p.result.text, "Hello");
  expect_same_either_way("gemini-stream-json", out);
}

TEST(OutputAdapter, NoiseIsCountedNeverThrown) {
  std::string out =
      "Loading...\n{not json\n[1,2]\n{\"type\":\"assistant\",\"message\":{\"content\":\"wrong shape\"}}\n"
      "{\"type\":\"assistant\",\"message\":{\"content\":[{\"type\":\"text\",\"text\":\"ok\"}]}}\n"
      "{\"type\":\"result\",\"subtype\":\"success\",\"is_error\":false,\"result\":\"ok\"}";  // no final newline
  auto p = feed("claude-stream-json", out, 4);
  EXPECT_EQ(p.result.text, "ok");
  EXPECT_TRUE(p.result.error) << p.result.error.message();
  EXPECT_GE(p.result.meta.value("noise", 0), 3);
}

TEST(OutputAdapter, TextKeepsUtf8SequencesWhole) {
  std::string out = "h\xC3\xA9llo \xE2\x82\xAC \xF0\x9F\x98\x80!";
  auto p = feed("text", out, 1);
  for (auto& c : p.chunks) {
    auto last = static_cast<unsigned char>(c.back());
    EXPECT_TRUE(last < 0x80 || (last & 0xC0) == 0x80) << "a chunk ends inside a UTF-8 sequence";
  }
  EXPECT_EQ(p.joined(), out);
  EXPECT_EQ(p.result.text, out);
}

TEST(OutputAdapter, AHugeLineWorks) {
  std::string text(10 << 20, 'z');
  std::string out = "{\"type\":\"result\",\"subtype\":\"success\",\"is_error\":false,\"result\":\"" + text + "\"}\n";
  auto p = feed("claude-stream-json", out, 1 << 16);
  EXPECT_EQ(p.result.text.size(), text.size());
}
