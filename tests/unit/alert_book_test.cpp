// The alert book's rules (core/alerts/alert_book.hpp) on a real SQLite file, with the time passed in: dedupe by
// kind and key, the rate limit per key, acknowledgement of events and of lasting conditions, resolution, and a
// reopened file that keeps it all. And each webhook kind's request (core/alerts/webhook.hpp).
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "core/alerts/alert_book.hpp"
#include "core/alerts/webhook.hpp"
#include "tests/support/test_support.hpp"

using namespace paios;

namespace {

constexpr std::int64_t kInterval = 1000;

std::unique_ptr<alert_book> open_book(const paios::test::temp_dir& dir) {
  auto b = alert_book::open(dir.path() / "alerts.sqlite", kInterval);
  EXPECT_TRUE(b) << b.message();
  return std::move(*b);
}

alert_observation breaker(const std::string& brain) {
  return {"breaker_open", brain, "warning", "breaker of " + brain + " open", "detail"};
}

}  // namespace

TEST(AlertBook, TheSameKindAndKeyWhileOpenCountsUpAndIsDeliveredOncePerInterval) {
  paios::test::temp_dir dir;
  auto book = open_book(dir);
  auto first = book->observe(breaker("codex"), 10'000);
  ASSERT_TRUE(first) << first.message();
  EXPECT_TRUE(first->opened);
  EXPECT_TRUE(first->due);
  ASSERT_TRUE(book->mark_delivered(first->alert.id, 10'000));

  auto again = book->observe(breaker("codex"), 10'500);
  ASSERT_TRUE(again);
  EXPECT_FALSE(again->opened);
  EXPECT_FALSE(again->due) << "within min_interval of the last delivery";
  EXPECT_EQ(again->alert.id, first->alert.id);
  EXPECT_EQ(again->alert.count, 2);
  EXPECT_EQ(again->alert.first_ms, 10'000);
  EXPECT_EQ(again->alert.last_ms, 10'500);

  auto other = book->observe(breaker("gemini"), 10'600);
  ASSERT_TRUE(other);
  EXPECT_TRUE(other->opened) << "another key is another alert";
  EXPECT_TRUE(other->due);

  auto later = book->observe(breaker("codex"), 11'000);
  ASSERT_TRUE(later);
  EXPECT_TRUE(later->due) << "min_interval after the last delivery: told again";
  EXPECT_EQ(later->alert.count, 3);
}

TEST(AlertBook, AResolvedConditionThatComesBackIsANewAlertButStillRateLimited) {
  paios::test::temp_dir dir;
  auto book = open_book(dir);
  auto a = book->observe(breaker("codex"), 1'000);
  ASSERT_TRUE(a);
  ASSERT_TRUE(book->mark_delivered(a->alert.id, 1'000));
  auto resolved = book->resolve_absent("breaker_open", {"gemini"}, 1'200);
  ASSERT_TRUE(resolved);
  ASSERT_EQ(resolved->size(), 1u);
  EXPECT_EQ(resolved->front().resolved_ms, 1'200);
  auto back = book->observe(breaker("codex"), 1'500);
  ASSERT_TRUE(back);
  EXPECT_TRUE(back->opened);
  EXPECT_NE(back->alert.id, a->alert.id);
  EXPECT_FALSE(back->due) << "a flapping condition is not told more often than min_interval";
  auto listed = book->list(false, 10);
  ASSERT_TRUE(listed);
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ(listed->front().id, back->alert.id);
  auto all = book->list(true, 10);
  ASSERT_TRUE(all);
  EXPECT_EQ(all->size(), 2u);
}

TEST(AlertBook, AcknowledgedAlertsAreNotDeliveredAndAnAcknowledgedEventIsClosed) {
  paios::test::temp_dir dir;
  auto book = open_book(dir);
  auto lasting = book->observe(breaker("codex"), 1'000);
  ASSERT_TRUE(lasting);
  auto acked = book->acknowledge(lasting->alert.id, 1'100);
  ASSERT_TRUE(acked) << acked.message();
  EXPECT_TRUE(acked->acknowledged());
  EXPECT_TRUE(acked->open()) << "a lasting condition stays open until it clears";
  auto muted = book->observe(breaker("codex"), 9'000);
  ASSERT_TRUE(muted);
  EXPECT_FALSE(muted->due);
  EXPECT_FALSE(muted->opened);

  alert_observation crash{"unclean_exit", "paiosd", "critical", "crash", "pid 1", false};
  auto event = book->observe(crash, 2'000);
  ASSERT_TRUE(event);
  auto closed = book->acknowledge(event->alert.id, 2'100);
  ASSERT_TRUE(closed);
  EXPECT_FALSE(closed->open());
  auto next = book->observe(crash, 20'000);
  ASSERT_TRUE(next);
  EXPECT_TRUE(next->opened) << "the next crash is a new alert";
  EXPECT_TRUE(next->due);
  // An event is never resolved by a check.
  auto resolved = book->resolve_absent("unclean_exit", {}, 21'000);
  ASSERT_TRUE(resolved);
  EXPECT_TRUE(resolved->empty());

  auto missing = book->acknowledge(4242, 1);
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.code(), errc::not_found);
  EXPECT_NE(missing.message().find("4242"), std::string::npos);
}

TEST(AlertBook, AReopenedFileKeepsTheAlerts) {
  paios::test::temp_dir dir;
  std::int64_t id = 0;
  {
    auto book = open_book(dir);
    auto a = book->observe(breaker("codex"), 1'000);
    ASSERT_TRUE(a);
    id = a->alert.id;
    ASSERT_TRUE(book->mark_delivered(id, 1'000));
    ASSERT_TRUE(book->acknowledge(id, 1'001));
  }
  auto book = open_book(dir);
  auto a = book->get(id);
  ASSERT_TRUE(a) << a.message();
  EXPECT_TRUE(a->acknowledged());
  EXPECT_EQ(a->delivered_ms, 1'000);
  auto again = book->observe(breaker("codex"), 1'500);
  ASSERT_TRUE(again);
  EXPECT_EQ(again->alert.id, id) << "deduped against the stored alert";
  EXPECT_EQ(again->alert.count, 2);
}

TEST(Webhook, EachKindGetsTheBodyItsServiceReads) {
  alert_record a;
  a.id = 7;
  a.kind = "breaker_open";
  a.key = "codex";
  a.severity = "critical";
  a.title = "breaker open";
  a.detail = "open for 400 s";
  a.count = 3;

  auto ntfy = webhook_request({"ntfy", "http://h/topic"}, a, 1000);
  EXPECT_EQ(ntfy.method, "POST");
  EXPECT_EQ(ntfy.url, "http://h/topic");
  EXPECT_NE(std::find(ntfy.headers.begin(), ntfy.headers.end(), "Title: breaker open"), ntfy.headers.end());
  EXPECT_NE(std::find(ntfy.headers.begin(), ntfy.headers.end(), "Priority: 5"), ntfy.headers.end());
  EXPECT_EQ(ntfy.body, "open for 400 s\n(seen 3 times)");

  auto slack = nlohmann::json::parse(webhook_request({"slack", "http://h/s"}, a, 1000).body);
  EXPECT_EQ(slack["text"], "*breaker open*\nopen for 400 s\n(seen 3 times)");
  auto discord = nlohmann::json::parse(webhook_request({"discord", "http://h/d"}, a, 1000).body);
  EXPECT_EQ(discord["content"], "**breaker open**\nopen for 400 s\n(seen 3 times)");
  auto json_hook = nlohmann::json::parse(webhook_request({"json", "http://h/j"}, a, 1000).body);
  EXPECT_EQ(json_hook["id"], 7);
  EXPECT_EQ(json_hook["kind"], "breaker_open");
  EXPECT_EQ(json_hook["count"], 3);

  a.detail = std::string(3000, 'x');
  auto long_discord = nlohmann::json::parse(webhook_request({"discord", "http://h/d"}, a, 1000).body);
  EXPECT_LE(long_discord["content"].get<std::string>().size(), 2000u) << "Discord refuses more";

  http_response_data refused;
  refused.status = 500;
  auto outcome = webhook_outcome({"slack", "http://user:pw@h/s"}, refused);
  ASSERT_FALSE(outcome);
  EXPECT_NE(outcome.message().find("HTTP 500"), std::string::npos);
  EXPECT_EQ(outcome.message().find("pw"), std::string::npos) << "no credentials in a log line";
  http_response_data ok;
  ok.status = 204;
  EXPECT_TRUE(webhook_outcome({"slack", "http://h/s"}, ok));
}
