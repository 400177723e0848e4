// Metrics and health through a real daemon: /metrics in Prometheus' text format and /healthz on the loopback
// HTTP endpoint (a port chosen by the kernel, read back from `ai status --json`), the same metrics in
// `ai status --json`, restarts counted, and a port in use that does not take the daemon down.
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <set>

#include "tests/support/test_support.hpp"

using nlohmann::json;
using paios::test::daemon_process;
using paios::test::fake_agent;
using paios::test::wire_peer;

namespace {

json http_config(const std::string& endpoint = "127.0.0.1:0") {
  return {{"obs", {{"http", {{"endpoint", endpoint}}}}},
          {"brains", {{"flaky", {{"kind", "process"}, {"format", "text"}, {"command", {fake_agent("fake-text").string()}},
                                 {"env", {{"FAKE_MODE", "error"}}}}}}},
          {"tasks", {{"default_brain", "echo"}, {"failover", json::array()}, {"retry", {{"max_retries", 0}}}}},
          {"breaker", {{"enabled", false}}}};
}

struct http_reply {
  int status = 0;
  std::string headers, body;
};

// One request over a plain socket, the way a monitoring agent would send it.
http_reply http_get(int port, const std::string& request_line) {
  http_reply r;
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<std::uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    ::close(fd);
    return r;
  }
  std::string req = request_line + "\r\nHost: localhost\r\n\r\n";
  [[maybe_unused]] auto sent = ::send(fd, req.data(), req.size(), MSG_NOSIGNAL);
  std::string all;
  char buf[4096];
  for (ssize_t n; (n = ::recv(fd, buf, sizeof buf, 0)) > 0;) all.append(buf, static_cast<std::size_t>(n));
  ::close(fd);
  auto split = all.find("\r\n\r\n");
  if (all.size() < 12 || split == std::string::npos) return r;
  r.status = std::stoi(all.substr(9, 3));
  r.headers = all.substr(0, split);
  r.body = all.substr(split + 4);
  return r;
}

int http_port(const daemon_process& d) {
  auto status = json::parse(d.ai({"--json", "status"}).out);
  auto endpoint = status["http"].value("endpoint", "");
  auto colon = endpoint.rfind(':');
  return colon == std::string::npos ? 0 : std::stoi(endpoint.substr(colon + 1));
}

}  // namespace

TEST(Metrics, PrometheusTextOnTheLoopbackEndpoint) {
  daemon_process d{http_config()};
  d.start();
  for (int i = 0; i < 3; ++i) ASSERT_EQ(d.ai({"--brain", "echo", "hello " + std::to_string(i)}).exit_code, 0);
  EXPECT_EQ(d.ai({"--brain", "flaky", "this one fails"}).exit_code, 1);
  int port = http_port(d);
  ASSERT_GT(port, 0);
  auto r = http_get(port, "GET /metrics HTTP/1.1");
  ASSERT_EQ(r.status, 200) << r.headers;
  EXPECT_NE(r.headers.find("Content-Type: text/plain; version=0.0.4"), std::string::npos) << r.headers;
  const auto& m = r.body;
  for (const char* want : {"# TYPE paios_tasks_total counter",
                           "paios_tasks_total{brain=\"echo\",outcome=\"succeeded\"} 3",
                           "paios_tasks_total{brain=\"flaky\",outcome=\"failed\"} 1",
                           "# TYPE paios_task_duration_seconds histogram",
                           "paios_task_duration_seconds_bucket{brain=\"echo\",le=\"+Inf\"} 3",
                           // bounds as Prometheus clients write them: the shortest decimal, never 0.0025000000000000001
                           "paios_task_duration_seconds_bucket{brain=\"echo\",le=\"0.0025\"} ",
                           "paios_task_duration_seconds_bucket{brain=\"echo\",le=\"0.1\"} ",
                           "paios_task_duration_seconds_count{brain=\"echo\"} 3",
                           "paios_tasks_in_flight 0",
                           "paios_brain_queue_depth{brain=\"flaky\"} 0",
                           "paios_brain_running{brain=\"flaky\"} 0",
                           "paios_events_dropped_total 0",
                           "# TYPE paios_events_queued gauge"})
    EXPECT_NE(m.find(want), std::string::npos) << want << " missing from:\n" << m;
  // The same numbers in `ai status --json`, with latency percentiles.
  auto status = json::parse(d.ai({"--json", "status"}).out);
  const auto& metrics = status["metrics"];
  bool found = false;
  for (const auto& s : metrics["paios_task_duration_seconds"])
    if (s["labels"].value("brain", "") == "echo") {
      found = true;
      EXPECT_EQ(s.value("count", 0), 3);
      EXPECT_GE(s.value("p99", -1.0), s.value("p50", -1.0));
      EXPECT_GT(s.value("p50", 0.0), 0.0);
    }
  EXPECT_TRUE(found) << metrics.dump();
  EXPECT_EQ(metrics["paios_events_dropped_total"][0].value("value", -1.0), 0.0);
  // Only GET (and HEAD); unknown paths are 404.
  EXPECT_EQ(http_get(port, "POST /metrics HTTP/1.1").status, 405);
  EXPECT_EQ(http_get(port, "GET /nope HTTP/1.1").status, 404);
  auto head = http_get(port, "HEAD /metrics HTTP/1.1");
  EXPECT_EQ(head.status, 200);
  EXPECT_TRUE(head.body.empty());
  EXPECT_EQ(http_get(port, "garbage").status, 400);
}

TEST(Metrics, HealthReportsEachComponentAndRestartsAreCounted) {
  daemon_process d{http_config()};
  d.set_env("PAIOS_FAULT_INJECTION", "1");
  d.start();
  int port = http_port(d);
  auto r = http_get(port, "GET /healthz HTTP/1.1");
  ASSERT_EQ(r.status, 200) << r.body;
  auto h = json::parse(r.body);
  EXPECT_EQ(h.value("status", ""), "ok");
  std::set<std::string> names;
  for (const auto& c : h["components"]) {
    names.insert(c.value("name", ""));
    EXPECT_EQ(c.value("state", ""), "running") << c.dump();
  }
  for (const char* want : {"state_store", "obs_store", "kb_store", "brains", "brain:echo", "dispatcher", "zmq_bridge", "http_bridge"})
    EXPECT_TRUE(names.count(want)) << want << " missing from " << h.dump();
  EXPECT_EQ(h["events"].value("dropped", -1), 0);
  // A crash and its restart: counted, and shown with the component.
  wire_peer peer{d.endpoint()};
  auto f = peer.exchange({{"v", 1}, {"op", "debug.fault"}, {"actor", "dispatcher"}});
  ASSERT_EQ(f.back().value("type", ""), "fault");
  auto m = paios::test::poll_until(
      [&] { return http_get(port, "GET /metrics HTTP/1.1").body; },
      [](const std::string& body) { return body.find("paios_actor_restarts_total") != std::string::npos; },
      std::chrono::seconds(10));
  EXPECT_NE(m.find("paios_actor_restarts_total{supervisor=\"root\",child=\"dispatcher\"} 1"), std::string::npos) << m;
  h = json::parse(http_get(port, "GET /healthz HTTP/1.1").body);
  for (const auto& c : h["components"]) {
    if (c.value("name", "") == "dispatcher") {
      EXPECT_EQ(c.value("restarts", 0), 1) << c.dump();
    }
  }
}

TEST(Metrics, APortInUseIsReportedAndTheDaemonServesOn) {
  int holder = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(holder, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  ASSERT_EQ(::listen(holder, 1), 0);
  socklen_t len = sizeof a;
  getsockname(holder, reinterpret_cast<sockaddr*>(&a), &len);
  const auto busy = "127.0.0.1:" + std::to_string(ntohs(a.sin_port));
  daemon_process d{http_config(busy)};
  d.start();
  EXPECT_EQ(d.ai({"--brain", "echo", "still here"}).exit_code, 0);
  auto status = json::parse(d.ai({"--json", "status"}).out);
  EXPECT_EQ(status["http"].value("endpoint", "x"), "");
  EXPECT_NE(status["http"].value("error", "").find("cannot listen on " + busy), std::string::npos) << status["http"].dump();
  ::close(holder);
  // Off: no endpoint, no error.
  daemon_process off{{{"tasks", {{"default_brain", "echo"}}}}};
  off.start();
  auto s = json::parse(off.ai({"--json", "status"}).out);
  EXPECT_EQ(s["http"].value("endpoint", "x"), "");
  EXPECT_EQ(s["http"].value("error", "x"), "");
}
