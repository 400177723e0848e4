// observability.sqlite and its intake: events round-trip with their trace and spans, queries filter and page,
// scores join events through their trace, retention removes by age and by size, secrets are redacted on the
// way in, and a full sink drops with a count instead of blocking. Real SQLite files in a temporary directory.
#include <gtest/gtest.h>

#include <thread>

#include <nlohmann/json.hpp>

#include "core/obs/event_sink.hpp"
#include "core/obs/obs_db.hpp"
#include "messages/ids.hpp"
#include "tests/support/test_support.hpp"

using namespace paios;

namespace {

std::unique_ptr<obs_db> open_db(const test::temp_dir& dir) {
  auto db = obs_db::open(dir.path() / "observability.sqlite", false);
  EXPECT_TRUE(db) << db.message();
  return db ? std::move(*db) : nullptr;
}

event_record make(const trace_id& t, std::uint64_t span, std::uint64_t parent, std::string category,
                  std::string action, std::int64_t time_us, std::string status = "ok") {
  event_record e;
  e.time_us = time_us;
  e.duration_us = 10;
  e.trace = t;
  e.span = span;
  e.parent = parent;
  e.category = std::move(category);
  e.action = std::move(action);
  e.status = std::move(status);
  e.data_json = R"({"n":1})";
  return e;
}

event_batch batch_of(std::vector<event_record> events) {
  event_batch b;
  for (auto& e : events) b.push(std::move(e));
  return b;
}

}  // namespace

// The packed buffer keeps each event's data, through appends, replacements and trims.
TEST(EventBatch, DataStaysWithItsEvent) {
  auto t = new_trace();
  auto with = [&](std::uint64_t span, std::string data) {
    auto e = make(t, span, 0, "task", "run", 1);
    e.data_json = std::move(data);
    return e;
  };
  auto a = batch_of({with(1, R"({"a":1})"), with(2, ""), with(3, R"({"c":"three"})")});
  EXPECT_EQ(a.data(0), R"({"a":1})");
  EXPECT_EQ(a.data(1), "{}") << "no data is an empty object";
  EXPECT_EQ(a[2].span, 3u);
  EXPECT_TRUE(a[2].data_json.empty()) << "the text lives in the buffer only";
  auto b = batch_of({with(4, R"({"d":4})")});
  a.append(b);
  EXPECT_TRUE(b.empty());
  ASSERT_EQ(a.size(), 4u);
  EXPECT_EQ(a.data(3), R"({"d":4})");
  std::vector<std::pair<std::size_t, std::string>> changes{{0, R"({"a":"[REDACTED]"})"}, {2, "{}"}};
  a.replace_data(changes);
  EXPECT_EQ(a.data(0), R"({"a":"[REDACTED]"})");
  EXPECT_EQ(a.data(1), "{}");
  EXPECT_EQ(a.data(2), "{}");
  EXPECT_EQ(a.data(3), R"({"d":4})");
  a.erase_front(0);
  EXPECT_EQ(a.size(), 4u);
  a.erase_front(3);
  ASSERT_EQ(a.size(), 1u);
  EXPECT_EQ(a[0].span, 4u);
  EXPECT_EQ(a.data(0), R"({"d":4})");
  event_batch empty;
  empty.append(a);  // an empty batch takes the other's buffers
  EXPECT_EQ(empty.data(0), R"({"d":4})");
  EXPECT_TRUE(a.empty());
  empty.shrink_beyond(0);
  EXPECT_EQ(empty.data(0), R"({"d":4})") << "shrinking keeps what is in it";
}

TEST(TraceContext, IdsRoundTripAndBadOnesAreRefused) {
  auto t = new_trace();
  EXPECT_TRUE(t.valid());
  EXPECT_EQ(parse_trace_id(to_hex(t)), t);
  EXPECT_EQ(to_hex(t).size(), 32u);
  EXPECT_EQ(span_hex(0x00f067aa0ba902b7ull), "00f067aa0ba902b7");
  auto tp = parse_traceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
  ASSERT_TRUE(tp);
  EXPECT_EQ(to_hex(tp->trace), "4bf92f3577b34da6a3ce929d0e0e4736");
  EXPECT_EQ(tp->span, 0x00f067aa0ba902b7ull);
  EXPECT_EQ(format_traceparent(tp->trace, tp->span), "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
  EXPECT_FALSE(parse_traceparent("00-00000000000000000000000000000000-00f067aa0ba902b7-01"));  // zero trace
  EXPECT_FALSE(parse_traceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01"));  // zero span
  EXPECT_FALSE(parse_traceparent("00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01"));  // upper case
  EXPECT_FALSE(parse_traceparent("ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"));  // version ff
  EXPECT_FALSE(parse_trace_id("xyz"));
  EXPECT_EQ(event_seq("e-42"), 42);
  EXPECT_EQ(event_seq("e-"), 0);
  EXPECT_EQ(event_seq("t-42"), 0);
}

TEST(ObsDb, EventsRoundTripAndATraceComesBackInOrder) {
  test::temp_dir dir;
  auto db = open_db(dir);
  auto t = new_trace(), other = new_trace();
  auto batch = batch_of({make(t, 2, 1, "task", "run", 2000), make(t, 1, 0, "bridge", "task.submit", 1000),
                         make(other, 3, 0, "task", "run", 1500), make(t, 4, 2, "brain", "call", 3000, "timeout")});
  ASSERT_EQ(db->insert(batch).message(), "");
  for (std::size_t i = 0; i < batch.size(); ++i) EXPECT_GT(batch[i].seq, 0);
  auto traced = db->trace(t);
  ASSERT_EQ(traced.message(), "");
  auto& spans = *traced;
  ASSERT_EQ(spans.size(), 3u);
  EXPECT_EQ(spans[0].category, "bridge");  // by time
  EXPECT_EQ(spans[1].parent, 1u);
  EXPECT_EQ(spans[2].status, "timeout");
  EXPECT_EQ(spans[2].data_json, R"({"n":1})");
  EXPECT_EQ(spans[2].trace, t);
  EXPECT_TRUE(db->trace(new_trace())->empty());
}

TEST(ObsDb, QueriesFilterAndPage) {
  test::temp_dir dir;
  auto db = open_db(dir);
  auto t = new_trace();
  event_batch batch;
  for (int i = 0; i < 50; ++i)
    batch.push(make(i % 2 ? t : new_trace(), 100 + i, 0, i % 5 == 0 ? "brain" : "task", i % 3 ? "run" : "persist",
                         1'000'000 + i * 1000, i % 7 ? "ok" : "failed"));
  ASSERT_EQ(db->insert(batch).message(), "");
  event_query q;
  q.category = "brain";
  auto rs = db->query(q).value();
  EXPECT_EQ(rs.size(), 10u);
  for (auto& e : rs) EXPECT_EQ(e.category, "brain");
  q = {};
  q.trace = t;
  q.status = "ok";
  for (auto& e : db->query(q).value()) {
    EXPECT_EQ(e.trace, t);
    EXPECT_EQ(e.status, "ok");
  }
  q = {};
  q.since_us = 1'000'000 + 10 * 1000;
  q.until_us = 1'000'000 + 20 * 1000;
  EXPECT_EQ(db->query(q).value().size(), 10u);
  // Paging: newest first, then older than the last one seen, until nothing is left.
  q = {};
  q.limit = 20;
  std::size_t seen = 0;
  std::int64_t last = 0;
  for (;;) {
    auto paged = db->query(q);
    ASSERT_EQ(paged.message(), "");
    auto& page = *paged;
    if (page.empty()) break;
    for (auto& e : page) {
      if (last) {
        EXPECT_LT(e.seq, last);
      }
      last = e.seq;
    }
    seen += page.size();
    q.before_seq = page.back().seq;
  }
  EXPECT_EQ(seen, 50u);
}

TEST(ObsDb, ScoresJoinEventsThroughTheirTrace) {
  test::temp_dir dir;
  auto db = open_db(dir);
  auto good = new_trace(), bad = new_trace();
  auto batch = batch_of({make(good, 1, 0, "task", "run", 1), make(good, 2, 1, "brain", "call", 2),
                         make(bad, 3, 0, "task", "run", 3)});
  ASSERT_EQ(db->insert(batch).message(), "");
  EXPECT_EQ(db->save_score({"t-good", good, 5, "great", 10}).message(), "");
  EXPECT_EQ(db->save_score({"t-bad", bad, 4, "", 11}).message(), "");
  EXPECT_EQ(db->save_score({"t-bad", bad, 1, "wrong answer", 12}).message(), "");  // a later score replaces it
  auto s = db->score("t-bad").value();
  ASSERT_TRUE(s);
  EXPECT_EQ(s->score, 1);
  EXPECT_EQ(s->note, "wrong answer");
  EXPECT_FALSE(db->score("t-none").value());
  event_query q;
  q.min_score = 4;
  auto rs = db->query(q).value();
  ASSERT_EQ(rs.size(), 2u);
  for (auto& e : rs) EXPECT_EQ(e.trace, good);
  q = {};
  q.max_score = 2;
  rs = db->query(q).value();
  ASSERT_EQ(rs.size(), 1u);
  EXPECT_EQ(rs[0].trace, bad);
}

TEST(ObsDb, RetentionRemovesByAgeThenBySize) {
  test::temp_dir dir;
  auto db = open_db(dir);
  event_batch batch;
  for (int i = 0; i < 20000; ++i) {
    auto e = make(new_trace(), 1 + i, 0, "task", "run", 1000 + i);
    e.data_json = R"({"text":")" + std::string(200, 'x') + R"("})";
    batch.push(std::move(e));
  }
  ASSERT_EQ(db->insert(batch).message(), "");
  auto by_age = db->prune(1000 + 5000, 0);
  ASSERT_EQ(by_age.message(), "");
  EXPECT_EQ(*by_age, 5000);  // by age
  EXPECT_EQ(db->event_count(), 15000);
  auto before = db->used_bytes();
  auto budget = before / 3;
  auto by_size = db->prune(0, budget);
  ASSERT_EQ(by_size.message(), "");
  auto removed = *by_size;
  EXPECT_GT(removed, 0);
  EXPECT_LE(db->used_bytes(), budget);
  // The oldest went first.
  event_query q;
  q.limit = 1;
  q.since_us = 1;
  auto newest = db->query(q).value();
  ASSERT_EQ(newest.size(), 1u);
  EXPECT_EQ(newest[0].time_us, 1000 + 19999);
}

TEST(ObsDb, AnUnwritableLocationIsAnError) {
  auto db = obs_db::open("/proc/nonexistent/observability.sqlite", false);
  EXPECT_FALSE(db);
  EXPECT_NE(db.message().find("/proc/nonexistent/observability.sqlite"), std::string::npos) << db.message();
}

TEST(EventSink, AFullQueueDropsAndCountsAndNeverBlocks) {
  event_sink sink{1000, 100};
  int woken = 0;
  sink.on_batch([&] { ++woken; });
  auto t = new_trace();
  int accepted = 0;
  for (int i = 0; i < 1500; ++i) accepted += sink.push(make(t, 1 + i, 0, "task", "run", i));
  EXPECT_EQ(accepted, 1000);
  EXPECT_EQ(sink.dropped(), 500u);
  EXPECT_EQ(woken, 1) << "woken once per batch, not once per event";
  event_batch out;
  EXPECT_EQ(sink.drain(out), 500u);
  EXPECT_EQ(out.size(), 1000u);
  EXPECT_EQ(sink.depth(), 0u);
  EXPECT_EQ(sink.drain(out), 0u) << "the count since the last drain starts again";
  // Many threads at once: nothing lost, nothing counted twice.
  event_sink big{1'000'000, 4096};
  std::vector<std::thread> threads;
  for (int k = 0; k < 4; ++k)
    threads.emplace_back([&] {
      for (int i = 0; i < 10000; ++i) big.push(make(t, 1 + i, 0, "task", "run", i));
    });
  for (auto& th : threads) th.join();
  out.clear();
  big.drain(out);
  EXPECT_EQ(out.size(), 40000u);
  EXPECT_EQ(big.accepted(), 40000u);
}

TEST(EventSink, WithoutASinkEmitIsANoOp) {
  install_event_sink(nullptr);
  EXPECT_FALSE(emit_span("task", "run", new_trace(), 0, 0, 1, 2, "ok"));
  event_sink sink{10, 5};
  install_event_sink(&sink);
  EXPECT_TRUE(emit_span("task", "run", new_trace(), 0, 0, 1, 2, "ok"));
  install_event_sink(nullptr);
  event_batch out;
  sink.drain(out);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_NE(out[0].span, 0u) << "a span id is assigned when none is given";
  EXPECT_EQ(out[0].duration_us, 1);
}

// Retention by age deletes a range of ids: the events written before the first one at or after the cutoff. A
// span that began before the cutoff but was written after that event (it ended later) is kept for a later prune,
// and nothing at or after the cutoff is ever removed.
TEST(ObsDb, RetentionByAgeRemovesTheEventsWrittenBeforeTheFirstNewerOne) {
  test::temp_dir dir;
  auto db = open_db(dir);
  event_batch batch;
  for (std::int64_t t : {100, 200, 300, 900, 250, 1000}) batch.push(make(new_trace(), 1, 0, "task", "run", t));
  ASSERT_EQ(db->insert(batch).message(), "");
  auto removed = db->prune(500, 0);
  ASSERT_EQ(removed.message(), "");
  EXPECT_EQ(*removed, 3);
  event_query q;
  q.limit = 10;
  auto left = db->query(q).value();
  std::vector<std::int64_t> times;
  for (const auto& e : left) times.push_back(e.time_us);
  EXPECT_EQ(times, (std::vector<std::int64_t>{1000, 250, 900}));  // newest written first
}
