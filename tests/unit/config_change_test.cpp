// Configuration change management without a daemon: the diff of two documents (leaves, arrays whole), where an
// effective value comes from, the table of live keys (longest prefix, real keys, documented in docs/config.md),
// the reload plan, and the history ring of replaced files (byte for byte, newest first, N kept).
#include <fstream>
#include <regex>

#include <gtest/gtest.h>

#include "cli/config_history.hpp"
#include "config/config.hpp"
#include "config/config_diff.hpp"
#include "config/live_keys.hpp"
#include "tests/support/test_support.hpp"

using nlohmann::json;
using namespace paios;

namespace {

std::string read(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::vector<std::string> keys_of(const std::vector<key_change>& changes) {
  std::vector<std::string> out;
  for (const auto& c : changes) out.push_back(c.key);
  return out;
}

}  // namespace

TEST(ConfigDiff, NamesEachLeafAddedRemovedOrChanged) {
  auto before = json::parse(R"({"log": {"level": "info", "max_files": 3}, "alerts": {"check_ms": 100}})");
  auto after = json::parse(R"({"log": {"level": "debug", "max_files": 3}, "notify": {"timeout_ms": 900}})");
  auto d = diff_config(before, after);
  ASSERT_EQ(keys_of(d), (std::vector<std::string>{"alerts", "log.level", "notify"}));
  EXPECT_EQ(d[0].kind, change_kind::removed);
  EXPECT_EQ(d[0].before, json::parse(R"({"check_ms": 100})"));
  EXPECT_TRUE(d[0].after.is_null());
  EXPECT_EQ(d[1].kind, change_kind::changed);
  EXPECT_EQ(d[1].before, "info");
  EXPECT_EQ(d[1].after, "debug");
  EXPECT_EQ(d[2].kind, change_kind::added);
  EXPECT_EQ(std::string{to_string(d[2].kind)}, "added");
  EXPECT_TRUE(diff_config(before, before).empty());
}

// Arrays replace whole in the merge, so a changed list is one change; an object turned scalar is one change too.
TEST(ConfigDiff, ArraysAndTypeChangesAreOneChange) {
  auto d = diff_config(json::parse(R"({"tasks": {"failover": ["a", "b"]}, "x": {"y": 1}})"),
                       json::parse(R"({"tasks": {"failover": ["a", "c"]}, "x": 5})"));
  ASSERT_EQ(keys_of(d), (std::vector<std::string>{"tasks.failover", "x"}));
  EXPECT_EQ(d[0].after, json::parse(R"(["a", "c"])"));
  EXPECT_EQ(d[1].kind, change_kind::changed);
}

TEST(ConfigDiff, ValueAtADottedPath) {
  const auto& d = default_config();
  EXPECT_EQ(value_at(d, "autonomy.approval_timeout_ms"), json(600000));
  EXPECT_EQ(value_at(d, ""), d);
  EXPECT_FALSE(value_at(d, "autonomy.nope"));
  EXPECT_FALSE(value_at(d, "log.level.deeper"));
  EXPECT_FALSE(value_at(d, "autonomy."));
}

TEST(ConfigDiff, OriginOfEachValue) {
  auto user = json::parse(R"({"alerts": {"check_ms": 1000}, "brains": {"mine": {"kind": "echo"}},
                              "tasks": {"failover": ["echo"]}})");
  EXPECT_EQ(value_origin(user, "alerts.check_ms"), "config.json");
  EXPECT_EQ(value_origin(user, "alerts.retries"), "default");
  EXPECT_EQ(value_origin(user, "alerts"), "config.json over the default");
  EXPECT_EQ(value_origin(user, "log.level"), "default");
  EXPECT_EQ(value_origin(user, "log"), "default");
  EXPECT_EQ(value_origin(user, "tasks.failover"), "config.json");
  // A brain the defaults do not have is the file's whole, and so is each of its values.
  EXPECT_EQ(value_origin(user, "brains.mine"), "config.json");
  EXPECT_EQ(value_origin(user, "brains.mine.kind"), "config.json");
  EXPECT_EQ(value_origin(user, "brains.claude.kind"), "default");
}

TEST(ConfigDiff, LeavesOfADocument) {
  auto l = leaves(json::parse(R"({"a": {"b": 1, "c": [1, 2]}, "d": {}})"));
  ASSERT_EQ(l.size(), 3u);
  EXPECT_EQ(l[0].first, "a.b");
  EXPECT_EQ(l[1].first, "a.c");
  EXPECT_EQ(l[1].second, json::parse("[1, 2]"));
  EXPECT_EQ(l[2].first, "d");
}

// The longest entry that covers a key decides; a prefix must end at a dot; a key no entry covers needs a restart.
TEST(LiveKeys, LongestPrefixDecides) {
  EXPECT_TRUE(is_live("log.level"));
  EXPECT_FALSE(is_live("log.max_files"));
  EXPECT_TRUE(is_live("autonomy.pins"));
  EXPECT_TRUE(is_live("autonomy"));
  EXPECT_FALSE(is_live("autonomy.approval_timeout_ms"));
  EXPECT_FALSE(is_live("autonomyx"));
  EXPECT_TRUE(is_live("alerts.webhooks"));
  EXPECT_TRUE(is_live("scheduler.jobs.heartbeat.schedule"));
  EXPECT_FALSE(is_live("bridge.endpoint"));
  EXPECT_FALSE(is_live("brains.claude.timeout_ms"));
  EXPECT_EQ(live_rule_for("tasks.failover"), nullptr);
  ASSERT_NE(live_rule_for("backup.schedule"), nullptr);
  EXPECT_STREQ(live_rule_for("backup.schedule")->actor, "scheduler");
}

// Every entry names a key the configuration has: a renamed key cannot leave the table pointing at nothing.
TEST(LiveKeys, EveryEntryIsARealKey) {
  for (const auto& r : live_rules()) {
    EXPECT_TRUE(value_at(default_config(), r.key)) << r.key;
    EXPECT_EQ(r.apply == live_apply::restart_actor, std::string{r.actor} != "") << r.key;
  }
}

TEST(LiveKeys, PlanSplitsKeysAndRestartsEachActorOnce) {
  auto before = default_config();
  auto after = merge_config(before, json::parse(R"({"log": {"level": "debug", "max_files": 9},
      "scheduler": {"missed_grace_s": 5}, "backup": {"keep": 3}, "autonomy": {"promote_after": 2},
      "bridge": {"client_hwm": 5}})"));
  auto plan = plan_reload(diff_config(before, after));
  EXPECT_EQ(plan.live, (std::vector<std::string>{"autonomy.promote_after", "backup.keep", "log.level",
                                                 "scheduler.missed_grace_s"}));
  EXPECT_EQ(plan.restart, (std::vector<std::string>{"bridge.client_hwm", "log.max_files"}));
  EXPECT_TRUE(plan.log_level);
  EXPECT_TRUE(plan.autonomy);
  EXPECT_EQ(plan.actors, std::vector<std::string>{"scheduler"});
}

// docs/config.md ("Changing the configuration") has one row per entry of the table, saying the same.
TEST(LiveKeys, DocumentedInConfigMd) {
  const auto doc = read(test::source_dir() / "docs" / "config.md");
  for (const auto& r : live_rules()) {
    const std::string row = "| `" + std::string{r.key} + "` | " + (r.apply == live_apply::restart_daemon ? "restart" : "live") + " |";
    EXPECT_NE(doc.find(row), std::string::npos) << "docs/config.md lacks the row " << row;
  }
}

TEST(ConfigHistory, KeepsTheNewestNByteForByte) {
  test::temp_dir dir;
  const auto ring = dir.path() / "config.history";
  EXPECT_TRUE(config_history(ring).empty());
  std::vector<std::string> texts;
  for (int i = 0; i < 5; ++i) {
    texts.push_back("{\"log\": {\"level\": \"debug\"}}  \n// " + std::to_string(i) + "\n");
    std::filesystem::path kept;
    std::string error;
    ASSERT_TRUE(keep_in_config_history(ring, texts.back(), 3, kept, error)) << error;
    EXPECT_EQ(read(kept), texts.back());
  }
  auto files = config_history(ring);
  ASSERT_EQ(files.size(), 3u);
  EXPECT_EQ(read(files[0]), texts[4]);
  EXPECT_EQ(read(files[1]), texts[3]);
  EXPECT_EQ(read(files[2]), texts[2]);
  // Other files in the folder are not the ring's.
  std::ofstream{ring / "notes.txt"} << "mine";
  EXPECT_EQ(config_history(ring).size(), 3u);
}
