// The hooks' rules without a daemon: event names, the Stop gate, which tool results are ingested and the note
// made of each (on the recorded payloads of tests/data/hooks/), the context budget and its envelopes, the
// transcript summary and the learning made of it, the spool's append/take/finish, and the settings.json merge of
// `ai hooks install` (idempotent, other entries kept, diff).
#include <gtest/gtest.h>

#include <sys/stat.h>

#include <fstream>
#include <sstream>
#include <thread>

#include "cli/config_file.hpp"
#include "cli/hooks_install.hpp"
#include "core/content/envelope.hpp"
#include "core/hooks/claude_hook_settings.hpp"
#include "core/hooks/hook_rules.hpp"
#include "core/hooks/hook_spool.hpp"
#include "core/hooks/transcript.hpp"
#include "messages/hook_event.hpp"
#include "messages/utf8.hpp"
#include "tests/support/test_support.hpp"

using nlohmann::json;
using namespace paios;

namespace {

std::filesystem::path data(const std::string& name) { return test::source_dir() / "tests/data/hooks" / name; }

json payload(const std::string& name) {
  std::ifstream in(data(name));
  return json::parse(in);
}

std::string read(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

stop_verdict judge(const std::string& answer, std::vector<std::string> todos = {}) {
  hooks_config cfg;
  return stop_gate(cfg).judge({answer, std::move(todos)});
}

}  // namespace

TEST(HookNames, ClaudeCodeNamesAndKebabCaseAreOneName) {
  EXPECT_EQ(canonical_hook_event("SessionStart"), "SessionStart");
  EXPECT_EQ(canonical_hook_event("session-start"), "SessionStart");
  EXPECT_EQ(canonical_hook_event("session_start"), "SessionStart");
  EXPECT_EQ(canonical_hook_event("post-tool-use"), "PostToolUse");
  EXPECT_EQ(canonical_hook_event("USER-PROMPT-SUBMIT"), "UserPromptSubmit");
  EXPECT_EQ(canonical_hook_event("subagent-stop"), "SubagentStop");
  EXPECT_EQ(canonical_hook_event("future-event"), "FutureEvent") << "an event Claude Code adds later is kept";
  EXPECT_FALSE(canonical_hook_event(""));
  EXPECT_FALSE(canonical_hook_event("rm -rf"));
  EXPECT_EQ(kebab_hook_event("PostToolUse"), "post-tool-use");
  for (auto name : kHookEvents) EXPECT_EQ(canonical_hook_event(kebab_hook_event(name)), std::string{name});
}

TEST(HookNames, EveryRecordedPayloadNamesAKnownEvent) {
  int n = 0;
  for (auto& f : std::filesystem::directory_iterator(data(""))) {
    if (f.path().extension() != ".json") continue;
    auto p = payload(f.path().filename().string());
    for (auto key : {"session_id", "transcript_path", "cwd", "hook_event_name"}) EXPECT_TRUE(p.contains(key)) << f.path() << " " << key;
    auto name = canonical_hook_event(p.value("hook_event_name", ""));
    ASSERT_TRUE(name);
    EXPECT_NE(std::find(std::begin(kHookEvents), std::end(kHookEvents), *name), std::end(kHookEvents)) << *name;
    ++n;
  }
  EXPECT_GE(n, 9);
}

TEST(StopGate, BlocksAnEmptyAnswer) {
  auto v = judge("   \n");
  EXPECT_TRUE(v.block);
  EXPECT_EQ(v.rule, "empty_answer");
  EXPECT_FALSE(hooks_config{}.stop_gate.empty_answer == false);
  EXPECT_FALSE(stop_gate(hooks_config{}).judge({std::nullopt, {}}).block) << "an unknown answer is not an empty one";
}

TEST(StopGate, BlocksWorkAnnouncedButNotDone) {
  for (const char* a : {"The publisher is fixed.\n\nNext, I'll update the relay and run the burst test.",
                        "The send high-water mark is the cause.\n\nNext, I'll raise the HWM and run the burst test.",
                        "So let me go ahead and rewrite the parser.",
                        "Now let me run the tests to verify.", "I\xE2\x80\x99ll now fix the remaining failures.",
                        "Here is what is left:", "Okay, let me check the logs."}) {
    auto v = judge(a);
    EXPECT_TRUE(v.block) << a;
    EXPECT_EQ(v.rule, "announced_not_done") << a;
    EXPECT_NE(v.reason.find("PAIOS quality gate"), std::string::npos);
  }
}

TEST(StopGate, LetsAFinishedAnswerThrough) {
  for (const char* a : {"Fixed: both sockets now set ZMQ_SNDHWM to 100000, and the burst test passes.",
                        "Done. Let me know if you want the relay changed too.",
                        "I ran the tests and they pass.\n\nI'll be here if anything else comes up.",
                        "The answer is 42.", "Let me know if you need anything else.", "I will not change the API.",
                        "I'll leave the relay as it is: it already uses 100000."}) {
    auto v = judge(a);
    EXPECT_FALSE(v.block) << a << " -> " << v.rule;
  }
}

TEST(StopGate, BlocksTodoMarkersAndOpenTodos) {
  auto marker = judge("Implemented the parser.\n\nTODO: handle escapes");
  EXPECT_TRUE(marker.block);
  EXPECT_EQ(marker.rule, "todo_marker");
  auto todos = judge("All done.", {"Run the burst test"});
  EXPECT_TRUE(todos.block);
  EXPECT_EQ(todos.rule, "open_todos");
  EXPECT_NE(todos.reason.find("Run the burst test"), std::string::npos);
  hooks_config cfg;
  cfg.stop_gate.open_todos = false;
  cfg.stop_gate.todo_markers.clear();
  cfg.stop_gate.announced_not_done.clear();
  EXPECT_FALSE(stop_gate(cfg).judge({std::string{"TODO: later. Next, I'll run it."}, {"x"}}).block) << "rules are configurable";
}

TEST(Ingest, ChoosesToolsByGlobAndExclusion) {
  hooks_config cfg;
  EXPECT_TRUE(glob_match("mcp__*", "mcp__github__get_issue"));
  EXPECT_TRUE(glob_match("*", ""));
  EXPECT_TRUE(glob_match("a*b*c", "axxbyyc"));
  EXPECT_FALSE(glob_match("a*b*c", "axxbyy"));
  EXPECT_TRUE(should_ingest(cfg, "Read"));
  EXPECT_TRUE(should_ingest(cfg, "Bash"));
  EXPECT_TRUE(should_ingest(cfg, "mcp__github__get_issue"));
  EXPECT_FALSE(should_ingest(cfg, "mcp__paios__kb_search")) << "the mesh's own results are not fed back to it";
  EXPECT_FALSE(should_ingest(cfg, "Edit"));
  cfg.ingest.enabled = false;
  EXPECT_FALSE(should_ingest(cfg, "Read"));
}

TEST(Ingest, MakesANoteOfEachRecordedToolResult) {
  hooks_config cfg;
  std::string why;
  auto read = tool_note_of(cfg, payload("post_tool_use_read.json"), why);
  ASSERT_TRUE(read) << why;
  EXPECT_EQ(read->title, "Read /home/dev/mesh-demo/src/publisher.cpp");
  EXPECT_EQ(read->source, "claude-code:Read:/home/dev/mesh-demo/src/publisher.cpp") << "a later read replaces it";
  EXPECT_NE(read->content.find("sndhwm, 1000"), std::string::npos);
  auto bash = tool_note_of(cfg, payload("post_tool_use_bash.json"), why);
  ASSERT_TRUE(bash) << why;
  EXPECT_EQ(bash->title, "Bash: grep -rn ZMQ_SNDHWM src/");
  EXPECT_NE(bash->source.find("toolu_01HqT8kZ3vXw9yPbN2mR4sLd"), std::string::npos);
  EXPECT_NE(bash->content.find("src/relay.cpp:31"), std::string::npos);
  auto mcp = tool_note_of(cfg, payload("post_tool_use_mcp.json"), why);
  ASSERT_TRUE(mcp) << why;
  EXPECT_NE(mcp->content.find("Issue #42"), std::string::npos);
  EXPECT_FALSE(tool_note_of(cfg, payload("post_tool_use_paios.json"), why));
  EXPECT_FALSE(tool_note_of(cfg, payload("post_tool_use_edit.json"), why));
  EXPECT_NE(why.find("Edit"), std::string::npos) << why;
}

TEST(Ingest, RedactsSecretsAndCutsToTheLimit) {
  hooks_config cfg;
  cfg.ingest.max_bytes = 1000;
  auto p = payload("post_tool_use_bash.json");
  p["tool_response"]["stdout"] = "export OPENAI_API_KEY=sk-proj-abcdefghijklmnopqrstuvwxyz0123456789ABCD\npassword=hunter2\n" +
                                 std::string(5000, 'x');
  std::string why;
  auto n = tool_note_of(cfg, p, why);
  ASSERT_TRUE(n) << why;
  EXPECT_EQ(n->content.find("sk-proj-abcdefghijklmnopqrstuvwxyz"), std::string::npos) << n->content.substr(0, 300);
  EXPECT_EQ(n->content.find("hunter2"), std::string::npos);
  EXPECT_NE(n->content.find("[REDACTED]"), std::string::npos);
  EXPECT_LT(n->content.size(), 1100u);
  EXPECT_NE(n->content.find("[cut: "), std::string::npos);
  cfg.ingest.min_bytes = 100000;
  EXPECT_FALSE(tool_note_of(cfg, payload("post_tool_use_read.json"), why)) << "too small";
}

TEST(Context, FitsTheBudgetAndWrapsEachPieceAsOutsideContent) {
  std::vector<context_piece> learnings{{"Learning: HWM", "PAIOS learning kb-1", "Raise SNDHWM to 100000; PUB never blocks."}};
  std::vector<context_piece> articles;
  for (int i = 0; i < 3; ++i) articles.push_back({"Article " + std::to_string(i), "PAIOS article kb-a" + std::to_string(i), std::string(3000, 'a' + i)});
  int used = 0;
  auto text = assemble_context(learnings, articles, "/home/dev/mesh-demo", "zeromq hwm", 16000, used);
  EXPECT_EQ(used, 4);
  EXPECT_LE(text.size(), 16000u);
  EXPECT_NE(text.find("Prior learnings:"), std::string::npos);
  EXPECT_NE(text.find("Raise SNDHWM"), std::string::npos);
  std::size_t envelopes = 0;
  for (std::size_t at = 0; (at = text.find("<<<OUTSIDE-CONTENT marker=", at)) != std::string::npos; ++at) ++envelopes;
  EXPECT_EQ(envelopes, 4u);
  // A small budget: the pieces are cut, and what does not fit is left out.
  auto small = assemble_context(learnings, articles, "/p", "t", 2000, used);
  EXPECT_LE(small.size(), 2000u);
  EXPECT_GE(used, 1);
  EXPECT_LT(used, 4);
  // The budget of the issue: 4000 tokens.
  std::vector<context_piece> big(3, context_piece{"Big", "PAIOS article kb-big", std::string(40000, 'z')});
  auto capped = assemble_context(big, big, "/p", "t", 4000 * 4, used);
  EXPECT_LE(capped.size(), 16000u);
  EXPECT_TRUE(assemble_context({}, {}, "/p", "t", 16000, used).empty());
}

TEST(Payload, LongStringsAreCutAndMarked) {
  json j{{"a", std::string(100, 'x')}, {"b", {{"c", std::string(10, 'y')}, {"d", json::array({std::string(50, 'z')})}}}};
  EXPECT_EQ(shrink_strings(j, 20), 2u);
  EXPECT_EQ(j["b"]["c"], std::string(10, 'y'));
  EXPECT_EQ(j["a"].get<std::string>().rfind(std::string(20, 'x') + "...[cut: 100 bytes]", 0), 0u);
  EXPECT_EQ(utf8_prefix("\xC3\xA9\xC3\xA9", 3), "\xC3\xA9") << "never inside a UTF-8 sequence";
}

TEST(Transcript, SummarizesWhatWasAskedDecidedAndChanged) {
  auto s = read_transcript(data("transcript_complete.jsonl"), 1 << 20);
  ASSERT_TRUE(s) << s.message();
  ASSERT_EQ(s->prompts.size(), 1u) << "tool results and Claude Code's own notes are not prompts";
  EXPECT_NE(s->prompts[0].find("PUB socket drops"), std::string::npos);
  ASSERT_TRUE(s->last_answer);
  EXPECT_EQ(s->last_answer->rfind("Fixed: both", 0), 0u) << *s->last_answer;
  EXPECT_EQ(s->changed.size(), 2u);
  EXPECT_TRUE(s->changed.count("/home/dev/mesh-demo/src/relay.cpp"));
  EXPECT_EQ(s->commands.size(), 2u);
  EXPECT_TRUE(s->open_todos.empty()) << "the last TodoWrite completed everything";
  EXPECT_FALSE(s->decisions.empty());
  EXPECT_EQ(s->tool_calls, 6u);

  auto l = make_learning(*s, "7c9e6f1a", "/home/dev/mesh-demo", "prompt_input_exit");
  ASSERT_TRUE(l);
  EXPECT_EQ(l->topic.rfind("The ZeroMQ PUB socket drops messages", 0), 0u);
  EXPECT_LE(l->topic.size(), 124u);
  for (auto part : {"Asked:", "Decided:", "Changed:", "Ran:", "make test-burst", "root cause", "src/publisher.cpp (Edit)", "Outcome"})
    EXPECT_NE(l->content.find(part), std::string::npos) << part << "\n" << l->content;
}

TEST(Transcript, ReadsARealClaudeCodeTranscript) {
  auto s = read_transcript(data("transcript_claude_code_2.1.197.jsonl"), 1 << 20);
  ASSERT_TRUE(s) << s.message();
  ASSERT_EQ(s->prompts.size(), 1u) << "queue operations, attachments and tool results are not prompts";
  EXPECT_EQ(s->prompts[0], "Why does the publisher drop telemetry samples?");
  EXPECT_EQ(s->last_answer.value_or(""), "The send high-water mark is the cause.\n\nNext, I'll raise the HWM and run the burst test.");
  EXPECT_EQ(s->tool_calls, 1u);
  EXPECT_TRUE(stop_gate(hooks_config{}).judge({s->last_answer, s->open_todos}).block);
}

TEST(Transcript, SeesAnUnfinishedTurn) {
  auto s = read_transcript(data("transcript_unfinished.jsonl"), 1 << 20);
  ASSERT_TRUE(s) << s.message();
  ASSERT_TRUE(s->last_answer);
  EXPECT_NE(s->last_answer->find("Next, I'll update the relay"), std::string::npos);
  EXPECT_EQ(s->open_todos.size(), 3u);
  auto v = stop_gate(hooks_config{}).judge({s->last_answer, s->open_todos});
  EXPECT_TRUE(v.block);
  EXPECT_EQ(v.rule, "announced_not_done");
}

TEST(Transcript, ReadsOnlyTheEndOfALargeFileAndSurvivesGarbage) {
  test::temp_dir dir;
  auto file = dir.path() / "t.jsonl";
  {
    std::ofstream out(file);
    out << "not json\n{\"type\":\"user\"}\n[1,2]\n";
    for (int i = 0; i < 2000; ++i)
      out << json{{"type", "user"}, {"message", {{"role", "user"}, {"content", "prompt " + std::to_string(i)}}}}.dump() << "\n";
    out << "{\"type\":\"assistant\",\"message\":{\"id\":\"m\",\"content\":[{\"type\":\"text\",\"text\":\"ok\"}]}}\n{\"trunc";
  }
  auto s = read_transcript(file, 4096);
  ASSERT_TRUE(s) << s.message();
  EXPECT_TRUE(s->cut);
  EXPECT_LT(s->prompts.size(), 2000u);
  EXPECT_EQ(s->prompts.back(), "prompt 1999");
  EXPECT_EQ(s->last_answer.value_or(""), "ok");
  auto missing = read_transcript(dir.path() / "missing.jsonl", 4096);
  EXPECT_FALSE(missing);
  EXPECT_EQ(missing.code(), errc::not_found);
  EXPECT_FALSE(missing.message().empty());
  EXPECT_FALSE(make_learning(summarize_transcript(""), "s", "/p", "other")) << "nothing asked, nothing learned";
}

TEST(Spool, AppendTakeFinishAndAnInterruptedReplay) {
  test::temp_dir home;
  hook_spool sp{home.path() / "spool"};
  EXPECT_FALSE(sp.pending());
  auto none = sp.take();
  ASSERT_TRUE(none) << none.message();
  EXPECT_TRUE(none->empty());
  // Writers in parallel: every line whole.
  std::vector<std::thread> writers;
  for (int w = 0; w < 4; ++w)
    writers.emplace_back([&sp, w] {
      for (int i = 0; i < 50; ++i) EXPECT_TRUE(sp.append(json{{"uid", std::to_string(w) + "-" + std::to_string(i)}, {"pad", std::string(5000, 'p')}}.dump()));
    });
  for (auto& t : writers) t.join();
  EXPECT_TRUE(sp.pending());
  auto lines = sp.take();
  ASSERT_TRUE(lines) << lines.message();
  ASSERT_EQ(lines->size(), 200u);
  for (auto& l : *lines) EXPECT_TRUE(json::accept(l)) << l.substr(0, 80);
  // A crash before finish(): the taken lines are still there, with what came since.
  EXPECT_TRUE(sp.append(R"({"uid":"late"})"));
  auto again = sp.take();
  ASSERT_TRUE(again) << again.message();
  EXPECT_EQ(again->size(), 201u);
  EXPECT_EQ(again->back(), R"({"uid":"late"})");
  EXPECT_TRUE(sp.finish());
  EXPECT_FALSE(sp.pending());
  struct stat st {};
  ASSERT_EQ(::stat((home.path() / "spool").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
}

TEST(HooksInstall, MergesKeepsOtherEntriesAndIsIdempotent) {
  auto settings = nlohmann::ordered_json::parse(R"json({
    "permissions": {"allow": ["Bash(make:*)"]},
    "hooks": {
      "PostToolUse": [{"matcher": "Edit|Write", "hooks": [{"type": "command", "command": "prettier --write"}]},
                      {"matcher": "*", "hooks": [{"type": "command", "command": "/old/bin/ai hook post-tool-use"}]}],
      "Stop": [{"hooks": [{"type": "command", "command": "notify-send done"},
                          {"type": "command", "command": "/old/bin/ai hook stop"}]}]
    },
    "model": "sonnet"
  })json");
  std::string error;
  auto merged = merge_hook_settings(settings, "/usr/local/bin/ai", "", error);
  ASSERT_TRUE(error.empty()) << error;
  EXPECT_EQ(merged["permissions"], settings["permissions"]);
  EXPECT_EQ(merged["model"], "sonnet");
  std::vector<std::string> keys;
  for (auto& [k, v] : merged.items()) keys.push_back(k);
  EXPECT_EQ(keys, (std::vector<std::string>{"permissions", "hooks", "model"})) << "the file's order is kept";
  auto& post = merged["hooks"]["PostToolUse"];
  ASSERT_EQ(post.size(), 2u);
  EXPECT_EQ(post[0]["hooks"][0]["command"], "prettier --write");
  EXPECT_EQ(post[1]["matcher"], "*");
  EXPECT_EQ(post[1]["hooks"][0]["command"], "/usr/local/bin/ai hook post-tool-use");
  auto& stop = merged["hooks"]["Stop"];
  ASSERT_EQ(stop.size(), 2u);
  EXPECT_EQ(stop[0]["hooks"].size(), 1u);
  EXPECT_EQ(stop[0]["hooks"][0]["command"], "notify-send done");
  EXPECT_EQ(stop[1]["hooks"][0]["command"], "/usr/local/bin/ai hook stop");
  EXPECT_FALSE(stop[1].contains("matcher"));
  for (auto e : {"SessionStart", "UserPromptSubmit", "SessionEnd", "PostToolUseFailure"}) {
    ASSERT_EQ(merged["hooks"][e].size(), 1u) << e;
    EXPECT_EQ(merged["hooks"][e][0]["hooks"][0]["type"], "command");
  }
  EXPECT_EQ(merged["hooks"]["SessionStart"][0]["hooks"][0]["command"], "/usr/local/bin/ai hook session-start");
  // A failed call the person let run is their answer too (the autonomy gate learns from it).
  EXPECT_EQ(merged["hooks"]["PostToolUseFailure"][0]["matcher"], "*");
  EXPECT_EQ(merged["hooks"]["PostToolUseFailure"][0]["hooks"][0]["command"], "/usr/local/bin/ai hook post-tool-use-failure");
  // The autonomy gate: every tool's call goes through `ai hook pre-tool-use`.
  ASSERT_EQ(merged["hooks"]["PreToolUse"].size(), 1u);
  EXPECT_EQ(merged["hooks"]["PreToolUse"][0]["matcher"], "*");
  EXPECT_EQ(merged["hooks"]["PreToolUse"][0]["hooks"][0]["command"], "/usr/local/bin/ai hook pre-tool-use");
  // And the moment Claude Code would ask the person (Claude Code 2.1.197 has PermissionRequest).
  ASSERT_EQ(merged["hooks"]["PermissionRequest"].size(), 1u);
  EXPECT_EQ(merged["hooks"]["PermissionRequest"][0]["matcher"], "*");
  EXPECT_EQ(merged["hooks"]["PermissionRequest"][0]["hooks"][0]["command"], "/usr/local/bin/ai hook permission-request");
  auto twice = merge_hook_settings(merged, "/usr/local/bin/ai", "", error);
  EXPECT_EQ(twice, merged) << "idempotent";
  EXPECT_EQ(hook_command("/opt/my tools/ai", "/home/u/.paios x", "stop"), "'/opt/my tools/ai' --home '/home/u/.paios x' hook stop");
  auto quoted = merge_hook_settings(merged, "/opt/my tools/ai", "/home/u/.paios x", error);
  EXPECT_EQ(quoted["hooks"]["Stop"].size(), 2u) << "a quoted path is recognized as PAIOS's too";
  EXPECT_EQ(merge_hook_settings(quoted, "/opt/my tools/ai", "/home/u/.paios x", error), quoted);
  auto bad = merge_hook_settings(nlohmann::ordered_json::parse(R"({"hooks": []})"), "/a/ai", "", error);
  EXPECT_FALSE(error.empty());
}

// `ai hooks install --agent codex|gemini`: the gate's one hook merged into Codex's hooks.json or Gemini CLI's
// settings.json, the person's other hooks and keys kept, an older PAIOS hook replaced, idempotent.
TEST(HooksInstall, AgentGateMergesIntoCodexAndGeminiFiles) {
  std::string error;
  auto codex = nlohmann::ordered_json::parse(R"json({"hooks": {
    "PreToolUse": [{"matcher": "Bash", "hooks": [{"type": "command", "command": "my-linter", "timeout": 5},
                                                 {"type": "command", "command": "/old/ai hook --agent codex pre-tool-use"}]}],
    "Stop": [{"hooks": [{"type": "command", "command": "notify-send done"}]}]}})json");
  auto merged = merge_agent_gate(codex, "codex", "/usr/local/bin/ai", "/srv/paios", error);
  ASSERT_TRUE(error.empty()) << error;
  auto& pre = merged["hooks"]["PreToolUse"];
  ASSERT_EQ(pre.size(), 2u) << pre.dump();
  EXPECT_EQ(pre[0]["hooks"].size(), 1u) << "the person's own hook stays, the old PAIOS one goes";
  EXPECT_EQ(pre[0]["hooks"][0]["command"], "my-linter");
  EXPECT_EQ(pre[1]["matcher"], "*");
  EXPECT_EQ(pre[1]["hooks"][0]["command"], "/usr/local/bin/ai --home /srv/paios hook --agent codex pre-tool-use");
  EXPECT_EQ(pre[1]["hooks"][0]["timeout"], 10);
  EXPECT_EQ(merged["hooks"]["Stop"], codex["hooks"]["Stop"]);
  EXPECT_EQ(merge_agent_gate(merged, "codex", "/usr/local/bin/ai", "/srv/paios", error), merged) << "idempotent";

  auto gemini = nlohmann::ordered_json::parse(R"json({"security": {"auth": {"selectedType": "gemini-api-key"}},
                                                       "hooksConfig": {"enabled": true}})json");
  auto g = merge_agent_gate(gemini, "gemini", "/usr/local/bin/ai", "", error);
  ASSERT_TRUE(error.empty()) << error;
  EXPECT_EQ(g["security"], gemini["security"]);
  auto& before = g["hooks"]["BeforeTool"];
  ASSERT_EQ(before.size(), 1u);
  EXPECT_EQ(before[0]["matcher"], ".*") << "Gemini's matchers are regexes";
  EXPECT_EQ(before[0]["hooks"][0]["command"], "/usr/local/bin/ai hook --agent gemini pre-tool-use");
  EXPECT_EQ(before[0]["hooks"][0]["timeout"], 10000) << "Gemini's timeouts are milliseconds";
  EXPECT_EQ(merge_agent_gate(g, "gemini", "/usr/local/bin/ai", "", error), g);

  gemini["hooksConfig"]["enabled"] = false;
  auto off = merge_agent_gate(gemini, "gemini", "/usr/local/bin/ai", "", error);
  EXPECT_EQ(error, "hooksConfig.enabled is false: Gemini CLI runs no hooks, so the gate would not run either (set it "
                   "to true, or remove it, and install again)");
  EXPECT_EQ(off, gemini) << "a refused file is left as it was";
}

// The arguments that install the gate in one `claude -p`: dontAsk, and a PreToolUse hook for every tool running
// the very command `ai hooks install` writes (Claude Code runs identical commands once).
TEST(ClaudeGate, ArgumentsSetDontAskAndThePreToolUseHook) {
  auto command = hook_command("/opt/my tools/ai", "/srv/paios", "pre-tool-use");
  auto args = claude_gate_arguments(command, 630);
  ASSERT_EQ(args.size(), 4u);
  EXPECT_EQ(args[0], "--permission-mode");
  EXPECT_EQ(args[1], "dontAsk");
  EXPECT_EQ(args[2], "--settings");
  auto settings = nlohmann::json::parse(args[3]);
  auto expected = nlohmann::json::parse(R"({"hooks": {"PreToolUse": [{"matcher": "*", "hooks": [
      {"type": "command", "command": "'/opt/my tools/ai' --home /srv/paios hook pre-tool-use", "timeout": 630}]}]}})");
  EXPECT_EQ(settings, expected);
  nlohmann::ordered_json installed = nlohmann::ordered_json::object();
  std::string error;
  installed = merge_hook_settings(installed, "/opt/my tools/ai", "/srv/paios", error);
  EXPECT_EQ(installed["hooks"]["PreToolUse"][0]["hooks"][0]["command"], command);
}

TEST(HooksInstall, WritesWithABackupAndShowsADiff) {
  test::temp_dir project;
  auto claude = project.path() / ".claude";
  std::filesystem::create_directories(claude);
  const std::string original = "{\n  \"model\": \"opus\"\n}\n";
  std::ofstream(claude / "settings.json") << original;
  std::ostringstream out, err;
  hooks_install_options o;
  o.project = project.path().string();
  o.ai_path = "/usr/local/bin/ai";
  o.dry_run = true;
  ASSERT_EQ(hooks_install(o, out, err), 0) << err.str();
  EXPECT_EQ(read(claude / "settings.json"), original) << "a dry run writes nothing";
  EXPECT_NE(out.str().find("+    \"PostToolUse\": ["), std::string::npos) << out.str();
  EXPECT_NE(out.str().find("@@ "), std::string::npos);
  o.dry_run = false;
  out.str("");
  ASSERT_EQ(hooks_install(o, out, err), 0) << err.str();
  auto written = json::parse(read(claude / "settings.json"));
  EXPECT_EQ(written["model"], "opus");
  EXPECT_EQ(written["hooks"]["PostToolUse"][0]["hooks"][0]["command"], "/usr/local/bin/ai hook post-tool-use");
  int backups = 0;
  for (auto& f : std::filesystem::directory_iterator(claude))
    if (f.path().filename().string().rfind("settings.json.paios-backup-", 0) == 0) {
      ++backups;
      EXPECT_EQ(read(f.path()), original);
    }
  EXPECT_EQ(backups, 1);
  out.str("");
  ASSERT_EQ(hooks_install(o, out, err), 0);
  EXPECT_NE(out.str().find("already installed"), std::string::npos) << out.str();
  // The /autonomy skill beside the settings, naming this `ai` as the hooks do; unchanged the second time.
  auto skill = read(claude / "skills" / "autonomy" / "SKILL.md");
  EXPECT_EQ(skill.rfind("---\nname: autonomy\n", 0), 0u) << skill;
  EXPECT_NE(skill.find("`/usr/local/bin/ai autonomy check"), std::string::npos) << skill;
  EXPECT_EQ(skill.find("{{ai}}"), std::string::npos) << skill;
  EXPECT_NE(out.str().find("The /autonomy skill is already installed in"), std::string::npos) << out.str();
  int files = 0;
  for (auto& f : std::filesystem::directory_iterator(claude)) files += f.is_regular_file();
  EXPECT_EQ(files, 2) << "no second backup when nothing changes";
  // A file that is not JSON is left alone.
  std::ofstream(claude / "settings.json") << "{ not json";
  EXPECT_EQ(hooks_install(o, out, err), 1);
  EXPECT_EQ(read(claude / "settings.json"), "{ not json");
  EXPECT_EQ(unified_diff("a\nb\n", "a\nb\n", "x", "y"), "");
}
