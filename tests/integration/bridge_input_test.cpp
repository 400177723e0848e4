// The bridge under bad input and bad clients: every malformed request gets its structured error, none of
// them stops a well-behaved client from being served, and clients that vanish or never read cannot stall
// the daemon.
#include <gtest/gtest.h>

#include <thread>

#include "tests/support/test_support.hpp"

using nlohmann::json;
using paios::test::daemon_process;
using paios::test::wire_peer;

namespace {

json echo_config() {
  return {{"tasks", {{"default_brain", "echo"}, {"failover", json::array()}}},
          {"bridge", {{"max_message_bytes", 1 << 16}}}};
}

std::string code_of(wire_peer& peer, const std::vector<std::string>& frames) {
  peer.send_frames(frames);
  auto r = peer.receive(std::chrono::seconds(5));
  return r ? r->value("code", "<" + r->value("type", "?") + ">") : "<no reply>";
}

}  // namespace

TEST(BridgeInput, EachMalformedRequestGetsItsError) {
  daemon_process d{echo_config()};
  d.start();
  wire_peer peer{d.endpoint()};
  EXPECT_EQ(code_of(peer, {"{\"v\":1,\"op\":\"ping\"}", "second frame"}), "bad_frame");
  EXPECT_EQ(code_of(peer, {""}), "bad_json");
  EXPECT_EQ(code_of(peer, {"\xff\xfe not utf8 {"}), "bad_json");
  EXPECT_EQ(code_of(peer, {"\"a string\""}), "bad_json");
  EXPECT_EQ(code_of(peer, {"{\"op\":\"ping\"}"}), "bad_version");
  EXPECT_EQ(code_of(peer, {"{\"v\":\"1\",\"op\":\"ping\"}"}), "bad_version");
  EXPECT_EQ(code_of(peer, {"{\"v\":1}"}), "bad_request");
  EXPECT_EQ(code_of(peer, {"{\"v\":1,\"op\":\"fly\"}"}), "unknown_op");
  EXPECT_EQ(code_of(peer, {"{\"v\":1,\"op\":\"task.submit\",\"prompt\":\"\"}"}), "bad_request");
  EXPECT_EQ(code_of(peer, {"{\"v\":1,\"op\":\"task.submit\",\"prompt\":\"x\",\"timeout_ms\":-1}"}), "bad_request");
  EXPECT_EQ(code_of(peer, {"{\"v\":1,\"op\":\"task.submit\",\"prompt\":\"x\",\"traceparent\":\"bogus\"}"}), "bad_request");
  EXPECT_EQ(code_of(peer, {"{\"v\":1,\"op\":\"task.get\"}"}), "bad_request");
  EXPECT_EQ(code_of(peer, {"{\"v\":1,\"op\":\"task.list\",\"state\":\"sleeping\"}"}), "bad_request");
  EXPECT_EQ(code_of(peer, {"{\"v\":1,\"op\":\"event.publish\",\"category\":\"x\"}"}), "bad_request");
  EXPECT_EQ(code_of(peer, {"{\"v\":1,\"op\":\"event.publish\",\"category\":\"x\",\"action\":\"y\",\"data\":[1]}"}),
            "bad_request");
  EXPECT_EQ(code_of(peer, {json{{"v", 1}, {"op", "task.submit"}, {"prompt", std::string(70000, 'x')}}.dump()}),
            "too_large");
  EXPECT_EQ(code_of(peer, {"{\"v\":1,\"op\":\"task.get\",\"task_id\":\"t-none\"}"}), "not_found");
  // The request id comes back even on errors, when it could be read.
  peer.send(json{{"v", 1}, {"op", "fly"}, {"id", "abc"}});
  auto r = peer.receive();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->value("id", ""), "abc");
  EXPECT_EQ(code_of(peer, {"{\"v\":1,\"op\":\"ping\"}"}), "<pong>");
}

TEST(BridgeInput, AFloodOfGarbageDoesNotStopOtherClients) {
  daemon_process d{echo_config()};
  d.start();
  std::atomic<bool> stop{false};
  std::thread flooder([&] {
    wire_peer bad{d.endpoint()};
    while (!stop) {
      bad.send_frames({"garbage {{{"});
      bad.send_frames({"{\"v\":1,\"op\":\"ping\"}", "x", "y"});
      while (bad.receive(std::chrono::milliseconds(0))) {
      }
    }
  });
  wire_peer good{d.endpoint()};
  for (int i = 0; i < 50; ++i) {
    auto replies = good.exchange({{"v", 1}, {"op", "task.submit"}, {"prompt", "ok " + std::to_string(i)}},
                                 std::chrono::seconds(10));
    ASSERT_FALSE(replies.empty());
    EXPECT_EQ(replies.back().value("type", ""), "result") << replies.back().dump();
  }
  stop = true;
  flooder.join();
}

TEST(BridgeInput, VanishedAndNonReadingClientsDoNotStallTheDaemon) {
  daemon_process d{echo_config()};
  d.start();
  {
    // Submits and disappears before any reply.
    wire_peer gone{d.endpoint()};
    for (int i = 0; i < 100; ++i) gone.send({{"v", 1}, {"op", "task.submit"}, {"prompt", "orphan"}});
  }
  // Submits a lot and never reads.
  wire_peer deaf{d.endpoint()};
  for (int i = 0; i < 5000; ++i) deaf.send({{"v", 1}, {"op", "task.submit"}, {"prompt", std::string(1000, 'z')}});
  wire_peer good{d.endpoint()};
  auto replies = good.exchange({{"v", 1}, {"op", "task.submit"}, {"prompt", "still here"}}, std::chrono::seconds(20));
  ASSERT_FALSE(replies.empty());
  EXPECT_EQ(replies.back().value("text", ""), "still here");
  auto status = good.exchange({{"v", 1}, {"op", "status"}});
  ASSERT_FALSE(status.empty());
  EXPECT_EQ(status.back().value("type", ""), "status");
}

TEST(BridgeInput, PublishedEventsAreAcknowledgedAfterStorage) {
  daemon_process d{echo_config()};
  d.start();
  wire_peer peer{d.endpoint()};
  auto r = peer.exchange({{"v", 1}, {"op", "event.publish"}, {"category", "hook"}, {"action", "session-start"},
                          {"traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"},
                          {"data", {{"cwd", "/tmp"}, {"api_key", "sk-live-abcdefghijklmnopqrstuvwxyz0123456789"}}}});
  ASSERT_FALSE(r.empty());
  EXPECT_EQ(r.back().value("type", ""), "ack");
  EXPECT_EQ(r.back().value("trace_id", ""), "4bf92f3577b34da6a3ce929d0e0e4736");
  auto seq = r.back().value("event_id", "").substr(2);
  // Durable: after kill -9 the event is in observability.sqlite, under the client's trace and span, and its
  // secret is not.
  d.kill9();
  auto out = paios::test::run_program(
      {"/usr/bin/sqlite3", (d.home() / "data" / "observability.sqlite").string(),
       "SELECT id, category, action, printf('%016x', parent), data FROM events WHERE id = " + seq});
  EXPECT_NE(out.out.find(seq + "|hook|session-start|00f067aa0ba902b7|"), std::string::npos) << out.out << out.err;
  EXPECT_NE(out.out.find("/tmp"), std::string::npos) << out.out;
  EXPECT_EQ(out.out.find("sk-live"), std::string::npos) << out.out;
}
