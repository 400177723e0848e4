// The failover chain's rules without an actor: which brain next, retry or fail over, the streaming rule, and
// how a task that no brain could run is told.
#include "core/routing/chain_walk.hpp"

#include <set>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace paios {
namespace {

using kind = chain_walk::decision::kind;

// An admit() that refuses the brains named, as an open breaker would.
auto refusing(std::set<std::string> refused) {
  return [refused](const std::string& brain) { return refused.count(brain) ? brain + " is open" : std::string{}; };
}
const auto admit_all = refusing({});

// `d` ends the task with `error` and `message`.
void expect_finish(const chain_walk::decision& d, errc error, const std::string& message) {
  EXPECT_EQ(d.what, kind::finish);
  EXPECT_EQ(d.error, error);
  EXPECT_EQ(d.message, message);
}

TEST(ChainWalk, HandsOutTheChainInOrderWithTheRoutersReason) {
  chain_walk w({"claude", "codex"}, 1, "code review rule");
  EXPECT_EQ(w.next(admit_all), "claude");
  EXPECT_EQ(w.reason(), "code review rule");
}

TEST(ChainWalk, ABrainItsBreakerRefusesIsSkippedAndNamed) {
  chain_walk w({"claude", "codex"}, 1, "");
  EXPECT_EQ(w.next(refusing({"claude"})), "codex");
  EXPECT_EQ(w.reason(), "failover: claude: claude is open");
  auto tried = nlohmann::json::parse(w.tried_json());
  ASSERT_EQ(tried.size(), 1u);
  EXPECT_EQ(tried[0]["brain"], "claude");
  EXPECT_EQ(tried[0]["outcome"], "skipped");
}

TEST(ChainWalk, TheDefaultBrainIsSaidWhenNothingChoseIt) {
  chain_walk w({"echo"}, 0, "");
  EXPECT_EQ(w.next(admit_all), "echo");
  EXPECT_EQ(w.reason(), "the default brain");
}

TEST(ChainWalk, ATransientFailureIsRetriedOnTheSameBrainThenFailsOver) {
  chain_walk w({"claude", "codex"}, 1, "");
  ASSERT_EQ(w.next(admit_all), "claude");
  w.record_call("claude", "brain_failed", "exit 1", 10);
  auto d = w.on_error("claude", errc::brain_failed, "exit 1", false);
  EXPECT_EQ(d.what, kind::retry);
  EXPECT_EQ(d.retry, 1);
  ASSERT_TRUE(w.readmit("claude", admit_all));
  EXPECT_EQ(w.reason(), "retry 1 after: claude: exit 1");
  w.record_call("claude", "brain_failed", "exit 1 again", 10);
  EXPECT_EQ(w.on_error("claude", errc::brain_failed, "exit 1 again", false).what, kind::fail_over);
  EXPECT_EQ(w.next(admit_all), "codex");
  EXPECT_EQ(w.reason(), "failover: claude: exit 1; claude: exit 1 again");
  EXPECT_EQ(nlohmann::json::parse(w.tried_json()).size(), 2u);
}

TEST(ChainWalk, ATimeoutIsNotRetriedButFailsOver) {
  chain_walk w({"a", "b"}, 3, "");
  ASSERT_EQ(w.next(admit_all), "a");
  EXPECT_EQ(w.on_error("a", errc::timeout, "took too long", false).what, kind::fail_over);
}

TEST(ChainWalk, AnAnswerThatBeganStreamingIsNeverRunAgain) {
  chain_walk w({"a", "b"}, 1, "");
  ASSERT_EQ(w.next(admit_all), "a");
  expect_finish(w.on_error("a", errc::brain_failed, "crashed", true), errc::brain_failed,
                "a: crashed (not run again: a's answer had already begun streaming to the client)");
}

TEST(ChainWalk, TheLastBrainsErrorEndsTheTaskNamingEveryBrain) {
  chain_walk w({"a", "b"}, 0, "");
  ASSERT_EQ(w.next(admit_all), "a");
  ASSERT_EQ(w.on_error("a", errc::brain_unavailable, "no program", false).what, kind::fail_over);
  ASSERT_EQ(w.next(admit_all), "b");
  expect_finish(w.on_error("b", errc::brain_failed, "exit 2", false), errc::brain_failed,
                "no brain could run the task: a: no program; b: exit 2");
}

TEST(ChainWalk, OnlyUnavailableBrainsMakeTheTaskBrainUnavailable) {
  chain_walk w({"a", "b"}, 0, "");
  ASSERT_EQ(w.next(refusing({"a"})), "b");
  w.unreachable("b", "not running");
  EXPECT_FALSE(w.next(admit_all));
  auto d = w.exhausted();
  EXPECT_EQ(d.error, errc::brain_unavailable);
  EXPECT_EQ(d.message, "no brain could run the task: a: a is open; b: not running");
}

TEST(ChainWalk, AnExhaustedChainAfterAFailureKeepsThatFailure) {
  chain_walk w({"a", "b"}, 0, "");
  ASSERT_EQ(w.next(admit_all), "a");
  ASSERT_EQ(w.on_error("a", errc::timeout, "slow", false).what, kind::fail_over);
  EXPECT_FALSE(w.next(refusing({"b"})));
  EXPECT_EQ(w.exhausted().error, errc::timeout);
}

TEST(ChainWalk, ASingleBrainsErrorNamesTheBrainOnce) {
  chain_walk w({"a"}, 0, "");
  ASSERT_EQ(w.next(admit_all), "a");
  auto d = w.on_error("a", errc::brain_failed, "exit 3", false);
  EXPECT_EQ(d.what, kind::finish);
  EXPECT_EQ(d.message, "a: exit 3");
}

TEST(ChainWalk, TheBrainsThatCouldNotRunAreKeptWithWhy) {
  chain_walk w({"claude", "codex", "gemini", "kb"}, 1, "");
  ASSERT_EQ(w.next(refusing({"claude"})), "codex");
  ASSERT_EQ(w.on_error("codex", errc::brain_unavailable, "program 'codex' not found on PATH", false).what,
            kind::fail_over);
  ASSERT_EQ(w.next(admit_all), "gemini");
  ASSERT_EQ(w.on_error("gemini", errc::timeout, "too slow", false).what, kind::fail_over);  // it ran: not kept
  ASSERT_EQ(w.next(admit_all), "kb");
  using passed = std::vector<std::pair<std::string, std::string>>;
  EXPECT_EQ(w.passed_over(), (passed{{"claude", "claude is open"}, {"codex", "program 'codex' not found on PATH"}}));
  EXPECT_EQ(w.reason(), "failover: claude: claude is open; codex: program 'codex' not found on PATH; gemini: too slow")
      << "each brain named once";
}

TEST(ChainWalk, VerdictsForTheBreaker) {
  EXPECT_EQ(judge_call(true, errc::none), call_verdict::success);
  EXPECT_EQ(judge_call(false, errc::brain_failed), call_verdict::failure);
  EXPECT_EQ(judge_call(false, errc::timeout), call_verdict::failure);
  EXPECT_EQ(judge_call(false, errc::brain_unavailable), call_verdict::failure);
  EXPECT_EQ(judge_call(false, errc::cancelled), call_verdict::neutral);
  EXPECT_EQ(judge_call(false, errc::overloaded), call_verdict::neutral);
}

}  // namespace
}  // namespace paios
