// The circuit breaker on its own: opening on a failure rate or a slow-call rate once the window holds enough
// calls, refusing while open, probing when half-open, stale calls, restore after a restart, and retry delays.
#include <gtest/gtest.h>

#include "core/routing/circuit_breaker.hpp"

using namespace paios;

namespace {

breaker_config small() {
  breaker_config c;
  c.window = 10;
  c.min_calls = 4;
  c.failure_rate = 0.5;
  c.slow_call_ms = 1000;
  c.slow_rate = 0.75;
  c.open_ms = 5000;
  c.half_open_calls = 2;
  return c;
}

// One call from acquire to record; the transition it caused, if any.
std::optional<breaker_transition> call(circuit_breaker& b, std::int64_t now, bool failed, std::int64_t took = 10) {
  std::optional<breaker_transition> changed;
  auto ticket = b.try_acquire(now, changed);
  EXPECT_TRUE(ticket) << "refused at " << now;
  if (!ticket) return std::nullopt;
  return b.record(*ticket, failed, took, now + took, failed ? "exit 1" : "");
}

}  // namespace

TEST(CircuitBreaker, StaysClosedBelowTheMinimumNumberOfCalls) {
  circuit_breaker b{small()};
  for (int i = 0; i < 3; ++i) EXPECT_FALSE(call(b, i, true));
  EXPECT_EQ(b.state(), breaker_state::closed);
  EXPECT_EQ(b.failures(), 3);
  auto t = call(b, 3, true);  // the fourth failure: 4 of 4
  ASSERT_TRUE(t);
  EXPECT_EQ(t->from, breaker_state::closed);
  EXPECT_EQ(t->to, breaker_state::open);
  EXPECT_NE(t->reason.find("4 of the last 4 calls failed (100% >= 50%)"), std::string::npos) << t->reason;
  EXPECT_NE(t->reason.find("exit 1"), std::string::npos) << t->reason;
}

TEST(CircuitBreaker, OpensAtTheFailureRateOverTheSlidingWindow) {
  circuit_breaker b{small()};
  for (int i = 0; i < 10; ++i) EXPECT_FALSE(call(b, i, false));
  // 10 successes fill the window; each failure pushes one out. 4 of 10 is below 50%, 5 of 10 opens.
  for (int i = 0; i < 4; ++i) EXPECT_FALSE(call(b, 100 + i, true));
  EXPECT_EQ(b.state(), breaker_state::closed);
  EXPECT_EQ(b.calls(), 10);
  EXPECT_EQ(b.failures(), 4);
  auto t = call(b, 200, true);
  ASSERT_TRUE(t);
  EXPECT_EQ(b.state(), breaker_state::open);
  EXPECT_NE(t->reason.find("5 of the last 10"), std::string::npos) << t->reason;
}

TEST(CircuitBreaker, OldFailuresLeaveTheWindow) {
  circuit_breaker b{small()};
  for (int i = 0; i < 4; ++i) call(b, i, false);
  for (int i = 0; i < 3; ++i) EXPECT_FALSE(call(b, 5 + i, true));  // 3 of 7: below 50%
  EXPECT_EQ(b.failures(), 3);
  for (int i = 0; i < 20; ++i) EXPECT_FALSE(call(b, 10 + i, false));
  EXPECT_EQ(b.failures(), 0);
  EXPECT_EQ(b.calls(), 10);
}

TEST(CircuitBreaker, OpensOnTheSlowCallRate) {
  circuit_breaker b{small()};
  EXPECT_FALSE(call(b, 0, false, 5000));
  EXPECT_FALSE(call(b, 0, false, 10));
  EXPECT_FALSE(call(b, 0, false, 1000));  // at the threshold counts as slow
  EXPECT_EQ(b.slow(), 2);
  auto t = call(b, 0, false, 1200);  // 3 of 4 slow: 75%
  ASSERT_TRUE(t);
  EXPECT_EQ(t->to, breaker_state::open);
  EXPECT_NE(t->reason.find("took 1000 ms or more"), std::string::npos) << t->reason;
}

TEST(CircuitBreaker, OpenRefusesUntilTheWaitThenProbes) {
  circuit_breaker b{small()};
  for (int i = 0; i < 4; ++i) call(b, 1000, true);
  ASSERT_EQ(b.state(), breaker_state::open);
  EXPECT_EQ(b.open_until_ms(), 1010 + 5000);
  std::optional<breaker_transition> changed;
  EXPECT_FALSE(b.try_acquire(6009, changed));
  EXPECT_FALSE(changed);
  auto p1 = b.try_acquire(6010, changed);
  ASSERT_TRUE(p1);
  ASSERT_TRUE(changed);
  EXPECT_EQ(changed->from, breaker_state::open);
  EXPECT_EQ(changed->to, breaker_state::half_open);
  auto p2 = b.try_acquire(6011, changed);
  ASSERT_TRUE(p2);
  EXPECT_FALSE(changed);
  EXPECT_FALSE(b.try_acquire(6012, changed)) << "only half_open_calls probes at once";
  EXPECT_FALSE(b.record(*p1, false, 10, 6020));
  auto closed = b.record(*p2, false, 10, 6021);
  ASSERT_TRUE(closed);
  EXPECT_EQ(closed->to, breaker_state::closed);
  EXPECT_EQ(b.calls(), 0) << "a closed breaker starts with an empty window";
  EXPECT_TRUE(b.try_acquire(6022, changed));
}

TEST(CircuitBreaker, AFailedProbeOpensItAgain) {
  circuit_breaker b{small()};
  for (int i = 0; i < 4; ++i) call(b, 0, true);
  std::optional<breaker_transition> changed;
  auto probe = b.try_acquire(10'000, changed);
  ASSERT_TRUE(probe);
  auto t = b.record(*probe, true, 10, 10'010, "timeout");
  ASSERT_TRUE(t);
  EXPECT_EQ(t->from, breaker_state::half_open);
  EXPECT_EQ(t->to, breaker_state::open);
  EXPECT_NE(t->reason.find("timeout"), std::string::npos);
  EXPECT_EQ(b.open_until_ms(), 15'010);
  EXPECT_FALSE(b.try_acquire(10'020, changed));
}

TEST(CircuitBreaker, ASlowProbeOpensItAgain) {
  circuit_breaker b{small()};
  for (int i = 0; i < 4; ++i) call(b, 0, true);
  std::optional<breaker_transition> changed;
  auto probe = b.try_acquire(10'000, changed);
  auto t = b.record(*probe, false, 4000, 14'000);
  ASSERT_TRUE(t);
  EXPECT_EQ(t->to, breaker_state::open);
}

TEST(CircuitBreaker, CallsFromBeforeATransitionCountForNothing) {
  circuit_breaker b{small()};
  std::optional<breaker_transition> changed;
  auto early = b.try_acquire(0, changed);  // began while closed, ends after the breaker opened
  for (int i = 0; i < 4; ++i) call(b, 1, true);
  ASSERT_EQ(b.state(), breaker_state::open);
  EXPECT_FALSE(b.record(*early, false, 10, 20));
  auto probe = b.try_acquire(10'000, changed);
  ASSERT_TRUE(probe);
  // A success of the stale call is no probe: the breaker stays half-open.
  EXPECT_FALSE(b.record(*early, false, 10, 10'001));
  EXPECT_EQ(b.state(), breaker_state::half_open);
}

TEST(CircuitBreaker, AReleasedProbeGivesItsSlotBack) {
  circuit_breaker b{small()};
  for (int i = 0; i < 4; ++i) call(b, 0, true);
  std::optional<breaker_transition> changed;
  auto p1 = b.try_acquire(10'000, changed);
  auto p2 = b.try_acquire(10'000, changed);
  ASSERT_TRUE(p1 && p2);
  EXPECT_FALSE(b.try_acquire(10'000, changed));
  b.release(*p1);  // e.g. the task was cancelled before the brain said anything
  EXPECT_TRUE(b.try_acquire(10'000, changed));
}

TEST(CircuitBreaker, SnapshotAndRestore) {
  circuit_breaker b{small()};
  call(b, 0, false);
  call(b, 0, true);
  call(b, 0, false, 2000);
  auto s = b.snapshot();
  EXPECT_EQ(s.state, breaker_state::closed);
  EXPECT_EQ(s.window, "ofs");
  circuit_breaker again{small()};
  again.restore(s);
  EXPECT_EQ(again.calls(), 3);
  EXPECT_EQ(again.failures(), 1);
  EXPECT_EQ(again.slow(), 1);
  EXPECT_EQ(again.snapshot().window, "ofs");

  EXPECT_TRUE(call(b, 100, true));  // 2 of 4 failed: 50%
  ASSERT_EQ(b.state(), breaker_state::open);
  s = b.snapshot();
  EXPECT_EQ(s.opened, 1u);
  circuit_breaker restarted{small()};
  restarted.restore(s);
  EXPECT_EQ(restarted.state(), breaker_state::open);
  EXPECT_EQ(restarted.open_until_ms(), s.open_until_ms);
  std::optional<breaker_transition> changed;
  EXPECT_FALSE(restarted.try_acquire(s.open_until_ms - 1, changed));
  EXPECT_TRUE(restarted.try_acquire(s.open_until_ms, changed));

  // Saved half-open: back open with the wait over, so the probes start afresh.
  auto half = restarted.snapshot();
  ASSERT_EQ(half.state, breaker_state::half_open);
  circuit_breaker third{small()};
  third.restore(half);
  EXPECT_EQ(third.state(), breaker_state::open);
  auto p = third.try_acquire(half.since_ms, changed);
  EXPECT_TRUE(p);
  EXPECT_EQ(third.state(), breaker_state::half_open);
}

TEST(CircuitBreaker, ARestoredWindowLargerThanTheConfiguredOneKeepsTheNewestCalls) {
  breaker_snapshot s;
  s.window = "ffffffffffoooo";
  auto c = small();
  c.window = 4;
  circuit_breaker b{c};
  b.restore(s);
  EXPECT_EQ(b.calls(), 4);
  EXPECT_EQ(b.failures(), 0);
}

TEST(CircuitBreaker, StateNames) {
  for (auto s : {breaker_state::closed, breaker_state::open, breaker_state::half_open})
    EXPECT_EQ(breaker_state_from_string(to_string(s)), s);
  EXPECT_FALSE(breaker_state_from_string("ajar"));
}

TEST(RetryDelay, GrowsExponentiallyWithJitterUpToTheCap) {
  EXPECT_EQ(retry_delay_ms(1, 200, 5000, 0.0), 100);
  EXPECT_EQ(retry_delay_ms(1, 200, 5000, 0.999999), 199);
  EXPECT_EQ(retry_delay_ms(2, 200, 5000, 0.0), 200);
  EXPECT_EQ(retry_delay_ms(3, 200, 5000, 0.0), 400);
  EXPECT_EQ(retry_delay_ms(10, 200, 5000, 0.0), 2500);
  EXPECT_EQ(retry_delay_ms(1000, 200, 5000, 1.0), 5000) << "no overflow, capped";
  for (int r = 1; r < 8; ++r)
    for (double u : {0.0, 0.25, 0.5, 0.75, 0.99}) {
      auto d = retry_delay_ms(r, 200, 5000, u);
      EXPECT_GE(d, std::min<std::int64_t>(200LL << (r - 1), 5000) / 2);
      EXPECT_LE(d, std::min<std::int64_t>(200LL << (r - 1), 5000));
    }
  EXPECT_EQ(retry_delay_ms(0, 200, 5000, 0.5), 0);
  EXPECT_EQ(retry_delay_ms(1, 0, 5000, 0.5), 0);
}
