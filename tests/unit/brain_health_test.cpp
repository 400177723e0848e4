// The breakers of every brain without an actor: a breaker opened while its brain's program was missing carries
// that cause, and closes as soon as the program is there again (at restore, or at a call attempt, the check
// rate-limited); a reset closes any breaker; what route.classify is told without moving a breaker.
#include "core/routing/brain_health.hpp"

#include <set>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace paios {
namespace {

// Opens after 2 failed calls, for 30 s.
breaker_config quick() {
  breaker_config c;
  c.window = 4;
  c.min_calls = 2;
  c.open_ms = 30000;
  c.half_open_calls = 1;
  return c;
}

// A PATH the test controls: the programs of the brains named in `missing` are not on it; counts the lookups.
struct fake_path {
  std::set<std::string> missing;
  int lookups = 0;
  brain_health::program_check check() {
    return [this](const std::string& brain) {
      ++lookups;
      return missing.count(brain) ? "no `" + brain + "` on PATH" : std::string{};
    };
  }
};

// Two failed calls of `brain` at time `now`: the breaker opens. Returns the transition's record.
breaker_record open_it(brain_health& h, const std::string& brain, std::int64_t now) {
  std::optional<breaker_record> moved;
  for (int i = 0; i < 2; ++i) {
    auto a = h.admit(brain, now);
    EXPECT_TRUE(a.ticket);
    moved = h.record(brain, *a.ticket, true, 5, now, "program 'x' not found on PATH");
  }
  EXPECT_TRUE(moved);
  return moved.value_or(breaker_record{});
}

TEST(BrainHealth, ABreakerOpenedByAMissingProgramSaysSoAndClosesOnceItIsThere) {
  fake_path path{{"claude"}};
  brain_health h({{"claude", quick()}}, path.check());
  auto opened = open_it(h, "claude", 1000);
  EXPECT_EQ(opened.state, "open");
  EXPECT_EQ(opened.cause, kCauseProgramMissing);

  // Still missing: refused, and the program is looked for at most once a second.
  EXPECT_FALSE(h.admit("claude", 1500).ticket);
  const int lookups = path.lookups;
  EXPECT_FALSE(h.admit("claude", 1900).ticket);
  EXPECT_EQ(path.lookups, lookups) << "within a second of the last check: no lookup";
  EXPECT_FALSE(h.admit("claude", 2100).ticket);
  EXPECT_EQ(path.lookups, lookups + 1);

  // Installed: the next attempt (a second after the last check) closes it and goes ahead, long before its 30 s.
  path.missing.clear();
  auto a = h.admit("claude", 3200);
  ASSERT_TRUE(a.ticket);
  ASSERT_TRUE(a.changed);
  EXPECT_EQ(a.changed->state, "closed");
  EXPECT_EQ(a.changed->from, "open");
  EXPECT_EQ(a.changed->cause, "");
  EXPECT_NE(a.changed->reason.find("program is there now"), std::string::npos) << a.changed->reason;
  nlohmann::json d;
  h.describe("claude", d);
  EXPECT_EQ(d["state"], "closed");
  EXPECT_FALSE(d.contains("cause"));
}

TEST(BrainHealth, ABreakerOpenedByFailuresIsNotClosedByAProgramCheck) {
  fake_path path;  // every program is there: the failures were the brain's own
  brain_health h({{"codex", quick()}}, path.check());
  auto opened = open_it(h, "codex", 1000);
  EXPECT_EQ(opened.cause, "");
  EXPECT_FALSE(h.admit("codex", 5000).ticket);
  EXPECT_FALSE(h.admit("codex", 9000).ticket);
  EXPECT_NE(h.would_refuse("codex", 9000), "");
}

TEST(BrainHealth, ARestoreClosesABreakerWhoseMissingProgramIsThereNow) {
  fake_path path{{"claude", "gemini"}};
  brain_health before({{"claude", quick()}, {"gemini", quick()}, {"codex", quick()}}, path.check());
  auto claude = open_it(before, "claude", 1000);
  auto gemini = open_it(before, "gemini", 1000);
  fake_path after_path{{"gemini"}};
  brain_health after({{"claude", quick()}, {"gemini", quick()}, {"codex", quick()}}, after_path.check());
  auto changed = after.restore({claude, gemini}, 2000);
  ASSERT_EQ(changed.size(), 1u);
  EXPECT_EQ(changed[0].brain, "claude");
  EXPECT_EQ(changed[0].state, "closed");
  nlohmann::json c, g;
  after.describe("claude", c);
  after.describe("gemini", g);
  EXPECT_EQ(c["state"], "closed");
  EXPECT_NE(c["last_change"]["reason"].get<std::string>().find("program is there now"), std::string::npos)
      << "no stale reason: " << c.dump();
  EXPECT_EQ(g["state"], "open");
  EXPECT_EQ(g["cause"], kCauseProgramMissing);
}

TEST(BrainHealth, AResetClosesAnyBreakerAndAnUnknownBrainHasNone) {
  brain_health h({{"codex", quick()}});
  open_it(h, "codex", 1000);
  auto r = h.reset("codex", 1200, "reset by a client");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->state, "closed");
  EXPECT_EQ(r->from, "open");
  EXPECT_EQ(r->reason, "reset by a client");
  EXPECT_TRUE(h.admit("codex", 1300).ticket);
  EXPECT_FALSE(h.reset("nobody", 1300, "x"));
  EXPECT_FALSE(h.has_breaker("nobody"));
}

TEST(BrainHealth, WouldRefuseTellsWithoutMovingTheBreaker) {
  fake_path path{{"claude"}};
  brain_health h({{"claude", quick()}}, path.check());
  EXPECT_EQ(h.would_refuse("claude", 0), "");
  open_it(h, "claude", 1000);
  EXPECT_NE(h.would_refuse("claude", 2000).find("circuit breaker open for another"), std::string::npos);
  path.missing.clear();
  EXPECT_EQ(h.would_refuse("claude", 2000), "") << "its program is there: the next attempt closes it";
  nlohmann::json d;
  h.describe("claude", d);
  EXPECT_EQ(d["state"], "open") << "only a call attempt moves it";
  EXPECT_EQ(h.would_refuse("claude", 1000 + 30000), "") << "past its wait: a probe goes through";
}

}  // namespace
}  // namespace paios
