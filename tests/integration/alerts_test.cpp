// Alerts in a real paiosd (docs/alerts.md): a breaker held open past alerts.breaker_open_ms raises one alert,
// deduplicated while it stays open, delivered once per webhook kind (ntfy, Slack, Discord, JSON) to a local HTTP
// server, acknowledged with `ai alerts ack`, resolved when the breaker closes; a failed delivery is tried again;
// a kill -9 is reported by the next start, and the alerts outlive a restart. And paiosd's sd_notify: a test
// that binds NOTIFY_SOCKET itself sees READY=1, WATCHDOG=1 and STOPPING=1.
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <fstream>
#include <mutex>
#include <set>

#include <gtest/gtest.h>

#include "tests/support/fake_http.hpp"
#include "tests/support/test_support.hpp"

using nlohmann::json;
using namespace paios::test;

namespace {

// What a webhook received: each request's path, headers that matter and body.
struct received {
  std::string path, title, priority, content_type, body;
};

// A local server standing in for ntfy, Slack, Discord and a JSON receiver, one path each. `fail_first` answers
// that many requests with HTTP 500 before it takes them.
class webhook_sink {
 public:
  explicit webhook_sink(int fail_first = 0) : fail_left_(fail_first) {
    for (const char* path : {"/ntfy", "/slack", "/discord", "/json"})
      http.server.Post(path, [this](const httplib::Request& req, httplib::Response& res) {
        std::lock_guard<std::mutex> lock(mu_);
        ++attempts_;
        if (fail_left_ > 0) {
          --fail_left_;
          res.status = 500;
          return;
        }
        got_.push_back({req.path, req.get_header_value("Title"), req.get_header_value("Priority"),
                        req.get_header_value("Content-Type"), req.body});
        res.status = 200;
      });
    http.start();
  }
  ~webhook_sink() { http.stop(); }

  json hooks(std::initializer_list<const char*> kinds) const {
    json out = json::array();
    for (const char* k : kinds) out.push_back({{"kind", k}, {"url", http.url(std::string{"/"} + k)}});
    return out;
  }
  std::vector<received> at(const std::string& path) const {
    std::lock_guard<std::mutex> lock(mu_);
    std::vector<received> out;
    for (const auto& r : got_)
      if (r.path == path) out.push_back(r);
    return out;
  }
  int attempts() const {
    std::lock_guard<std::mutex> lock(mu_);
    return attempts_;
  }

  loopback_server http;

 private:
  mutable std::mutex mu_;
  std::vector<received> got_;
  int fail_left_ = 0;
  int attempts_ = 0;
};

// Two fake brains, `flaky` first: two failures open its breaker for a minute (as in breaker_test).
struct rig {
  temp_dir files;
  std::filesystem::path mode() const { return files.path() / "flaky.mode"; }

  json config(json alerts) const {
    auto brain = [&](const std::string& mode_file) {
      return json{{"kind", "process"},
                  {"command", {fake_agent("fake-text").string()}},
                  {"format", "text"},
                  {"kill_grace_ms", 200},
                  {"env", {{"FAKE_MODE_FILE", mode_file}}}};
    };
    json base_alerts{{"check_ms", 100}, {"breaker_open_ms", 300}, {"min_interval_ms", 600000},
                     {"retry_base_ms", 50},  {"retry_max_ms", 200}};
    base_alerts.update(alerts);
    return {{"brains", {{"flaky", brain(mode().string())}, {"backup", brain((files.path() / "backup.mode").string())}}},
            {"breaker", {{"window", 4}, {"min_calls", 2}, {"failure_rate", 0.5}, {"open_ms", 60000}, {"half_open_calls", 1}}},
            {"tasks", {{"default_brain", "flaky"}, {"failover", {"backup"}}, {"retry", {{"max_retries", 0}}}}},
            {"notify", {{"notify_send", false}}},
            {"alerts", base_alerts}};
  }

  void open_breaker(const daemon_process& d) const {
    std::ofstream(mode()) << "exit3";
    d.ai({"--json", "one"});
    d.ai({"--json", "two"});
  }
};

json alerts_of(const daemon_process& d, bool all = false) {
  auto r = d.ai(all ? std::vector<std::string>{"--json", "alerts", "--all"} : std::vector<std::string>{"--json", "alerts"});
  auto j = json::parse(r.out, nullptr, false);
  return j.is_object() ? j.value("alerts", json::array()) : json::array();
}

// The alerts of one kind (and key, when given).
std::vector<json> of_kind(const json& alerts, const std::string& kind, const std::string& key = {}) {
  std::vector<json> out;
  for (const auto& a : alerts)
    if (a.value("kind", "") == kind && (key.empty() || a.value("key", "") == key)) out.push_back(a);
  return out;
}

}  // namespace

TEST(Alerts, ABreakerHeldOpenRaisesOneAlertDeliveredToEachWebhookKindThenAckedAndResolved) {
  webhook_sink sink;
  rig r;
  daemon_process d{r.config({{"webhooks", sink.hooks({"ntfy", "slack", "discord", "json"})}})};
  d.start();
  const auto before = wall_clock_ms();
  r.open_breaker(d);

  // Raised once the breaker has been open for breaker_open_ms, and delivered to each webhook in its own form.
  ASSERT_TRUE(poll_until([&] { return sink.at("/json").size() == 1 && sink.at("/ntfy").size() == 1 &&
                                      sink.at("/slack").size() == 1 && sink.at("/discord").size() == 1; },
                         std::chrono::seconds(20)))
      << d.log();
  const auto ntfy = sink.at("/ntfy").front();
  EXPECT_EQ(ntfy.title, "PAIOS: brain flaky's breaker is open");
  EXPECT_EQ(ntfy.priority, "4");
  EXPECT_NE(ntfy.body.find("ai breaker reset flaky"), std::string::npos) << ntfy.body;
  const auto slack = json::parse(sink.at("/slack").front().body);
  EXPECT_EQ(slack["text"].get<std::string>().rfind("*PAIOS: brain flaky's breaker is open*\n", 0), 0u) << slack.dump();
  const auto discord = json::parse(sink.at("/discord").front().body);
  EXPECT_EQ(discord["content"].get<std::string>().rfind("**PAIOS: brain flaky's breaker is open**\n", 0), 0u);
  const auto record = json::parse(sink.at("/json").front().body);
  EXPECT_EQ(record["kind"], "breaker_open");
  EXPECT_EQ(record["key"], "flaky");
  EXPECT_EQ(sink.at("/json").front().content_type, "application/json");

  // Deduplicated and rate-limited: every check sees it again and counts it, no new alert, no new delivery.
  json alert;
  ASSERT_TRUE(poll_until([&] {
    auto found = of_kind(alerts_of(d), "breaker_open", "flaky");
    if (found.size() != 1) return false;
    alert = found.front();
    return alert.value("count", 0) >= 5;
  }, std::chrono::seconds(20))) << alerts_of(d).dump();
  EXPECT_EQ(of_kind(alerts_of(d, true), "breaker_open").size(), 1u);
  EXPECT_EQ(sink.at("/json").size(), 1u);
  EXPECT_EQ(sink.at("/ntfy").size(), 1u);
  EXPECT_GE(alert.value("first_ms", std::int64_t{0}) - before, 300) << "not before breaker_open_ms";

  // Acknowledged: still open while the breaker is; an unknown id is refused by name.
  const auto id = std::to_string(alert.value("id", 0));
  auto ack = d.ai({"alerts", "ack", id});
  EXPECT_EQ(ack.exit_code, 0) << ack.err;
  EXPECT_NE(ack.out.find("alert " + id + " acknowledged"), std::string::npos) << ack.out;
  auto acked = of_kind(alerts_of(d), "breaker_open", "flaky");
  ASSERT_EQ(acked.size(), 1u);
  EXPECT_TRUE(acked.front().value("acknowledged", false));
  auto unknown = d.ai({"alerts", "ack", "999999"});
  EXPECT_NE(unknown.exit_code, 0);
  EXPECT_NE(unknown.err.find("not_found: no alert 999999"), std::string::npos) << unknown.err;

  // Resolved when the condition clears: the breaker closed by hand.
  ASSERT_EQ(d.ai({"breaker", "reset", "flaky"}).exit_code, 0);
  ASSERT_TRUE(poll_until([&] { return of_kind(alerts_of(d), "breaker_open").empty(); }, std::chrono::seconds(20)));
  auto resolved = of_kind(alerts_of(d, true), "breaker_open", "flaky");
  ASSERT_EQ(resolved.size(), 1u);
  EXPECT_GT(resolved.front().value("resolved_ms", 0), 0);
}

TEST(Alerts, ABreakerOpenForLessThanTheThresholdRaisesNothing) {
  webhook_sink sink;
  rig r;
  // A spool over its limit (1 byte) is seen at every check: its count says how many checks ran.
  daemon_process d{r.config({{"breaker_open_ms", 600000}, {"spool_max_bytes", 1}, {"webhooks", sink.hooks({"json"})}})};
  std::filesystem::create_directories(d.home() / "spool");
  std::ofstream(d.home() / "spool" / "filler.bin") << "more than a byte";  // not the hooks' file: never replayed
  d.start();
  r.open_breaker(d);
  auto spool_count = [&] {
    auto found = of_kind(alerts_of(d), "spool_large");
    return found.empty() ? 0 : found.front().value("count", 0);
  };
  const int at_open = spool_count();
  // The positive event first: three more checks ran with the breaker open, then the absence.
  ASSERT_TRUE(poll_until([&] { return spool_count() >= at_open + 3; }, std::chrono::seconds(20)));
  EXPECT_TRUE(of_kind(alerts_of(d, true), "breaker_open").empty());
  auto deliveries = sink.at("/json");
  ASSERT_EQ(deliveries.size(), 1u) << "the spool alert only";
  EXPECT_EQ(json::parse(deliveries.front().body)["kind"], "spool_large");
}

TEST(Alerts, AFailedDeliveryIsTriedAgainWithBackoffUntilItArrives) {
  webhook_sink sink{2};  // two HTTP 500s, then accepted
  rig r;
  daemon_process d{r.config({{"webhooks", sink.hooks({"json"})}, {"retries", 5}})};
  d.start();
  r.open_breaker(d);
  ASSERT_TRUE(poll_until([&] { return sink.at("/json").size() == 1; }, std::chrono::seconds(20))) << d.log();
  EXPECT_EQ(sink.attempts(), 3);
  EXPECT_NE(d.log().find("answered HTTP 500"), std::string::npos) << "each failure is logged";
}

TEST(Alerts, AKillNineIsReportedByTheNextStartAndAlertsOutliveARestart) {
  webhook_sink sink;
  rig r;
  daemon_process d{r.config({{"webhooks", sink.hooks({"json"})}})};
  d.start();
  EXPECT_TRUE(of_kind(alerts_of(d), "unclean_exit").empty()) << "a first start is not a crash";
  d.kill9();
  const auto killed = wall_clock_ms();
  d.start();
  ASSERT_TRUE(poll_until([&] { return !of_kind(alerts_of(d), "unclean_exit").empty(); }, std::chrono::seconds(10)));
  auto crash = of_kind(alerts_of(d), "unclean_exit").front();
  EXPECT_EQ(crash.value("severity", ""), "critical");
  auto status = d.ai({"status"});
  EXPECT_NE(status.out.find("alerts: 1 open, 1 not acknowledged (ai alerts)"), std::string::npos) << status.out;
  EXPECT_LT(crash.value("first_ms", std::int64_t{0}) - killed, 60000) << "crash to alert within a minute";
  ASSERT_TRUE(poll_until([&] { return sink.at("/json").size() == 1; }, std::chrono::seconds(10)));
  EXPECT_EQ(json::parse(sink.at("/json").front().body)["kind"], "unclean_exit");

  // An orderly stop and start: the alert is still there (alerts.sqlite), and no second crash is reported.
  EXPECT_EQ(d.stop(), 0);
  d.start();
  auto after = of_kind(alerts_of(d), "unclean_exit");
  ASSERT_EQ(after.size(), 1u) << alerts_of(d, true).dump();
  EXPECT_EQ(after.front().value("id", 0), crash.value("id", 0));
  EXPECT_EQ(after.front().value("count", 0), 1);
  // Acknowledged, an event is closed.
  ASSERT_EQ(d.ai({"alerts", "ack", std::to_string(crash.value("id", 0))}).exit_code, 0);
  EXPECT_TRUE(of_kind(alerts_of(d), "unclean_exit").empty());
}

TEST(Alerts, ARestartedAlertsActorKeepsItsAlertsAndDoesNotReportTheCrashAgain) {
  rig r;
  daemon_process d{r.config(json::object())};
  d.set_env("PAIOS_FAULT_INJECTION", "1");
  d.start();
  d.kill9();
  d.start();
  ASSERT_TRUE(poll_until([&] { return of_kind(alerts_of(d), "unclean_exit").size() == 1; }, std::chrono::seconds(10)));
  auto fault = request(d, bus_request("debug.fault", {{"actor", "alerts"}}));
  ASSERT_EQ(fault.value("type", ""), "fault") << fault.dump();
  auto restarts = [&] {
    auto status = json::parse(d.ai({"--json", "status"}).out, nullptr, false);
    for (const auto& c : status["tree"].value("children", json::array()))
      if (c.value("name", "") == "alerts" && c.value("state", "") == "running") return c.value("restarts", 0);
    return 0;
  };
  ASSERT_TRUE(poll_until([&] { return restarts() >= 1; }, std::chrono::seconds(10)));
  auto crash = of_kind(alerts_of(d), "unclean_exit");
  ASSERT_EQ(crash.size(), 1u);
  EXPECT_EQ(crash.front().value("count", 0), 1) << "the marker is taken by the actor's first start only";
}

TEST(Alerts, AFailingJobRaisesAnAlertThatItsNextGoodRunResolves) {
  webhook_sink sink;
  rig r;
  auto cfg = r.config({{"webhooks", sink.hooks({"slack"})}});
  cfg["scheduler"] = {{"timezone", "UTC"},
                      {"jobs", {{"heartbeat", nullptr},
                                {"nightly", {{"schedule", "every 1d"},
                                             {"action", {{"task", {{"prompt", "summarize"}, {"brain", "backup"}}}}}}}}}};
  std::ofstream(r.files.path() / "backup.mode") << "exit3";
  daemon_process d{cfg};
  d.start();
  ASSERT_EQ(d.ai({"jobs", "run", "nightly"}).exit_code, 0);
  ASSERT_TRUE(poll_until([&] { return of_kind(alerts_of(d), "job_failing", "nightly").size() == 1; },
                         std::chrono::seconds(20)))
      << d.log();
  ASSERT_TRUE(poll_until([&] { return sink.at("/slack").size() == 1; }, std::chrono::seconds(10)));
  EXPECT_NE(sink.at("/slack").front().body.find("job nightly is failing"), std::string::npos);

  std::ofstream(r.files.path() / "backup.mode") << "ok";
  ASSERT_EQ(d.ai({"jobs", "run", "nightly"}).exit_code, 0);
  ASSERT_TRUE(poll_until([&] { return of_kind(alerts_of(d), "job_failing").empty(); }, std::chrono::seconds(20)));
  EXPECT_EQ(of_kind(alerts_of(d, true), "job_failing", "nightly").front().value("open", true), false);
}

TEST(Alerts, TheWireRefusesABadAck) {
  rig r;
  daemon_process d{r.config(json::object())};
  d.start();
  auto bad = request(d, bus_request("alerts.ack", {{"alert_id", "one"}}));
  EXPECT_EQ(bad.value("code", ""), "bad_request");
  EXPECT_NE(bad.value("message", "").find("alert_id"), std::string::npos) << bad.dump();
  auto missing = request(d, bus_request("alerts.ack"));
  EXPECT_EQ(missing.value("code", ""), "bad_request");
  auto list = request(d, bus_request("alerts.list", {{"limit", 5}}));
  EXPECT_EQ(list.value("type", ""), "alerts") << list.dump();
}

// systemd's side of Type=notify: a datagram socket bound where NOTIFY_SOCKET points.
TEST(SdNotify, ReadyThenWatchdogPingsThenStopping) {
  temp_dir dir;
  const auto path = (dir.path() / "notify.sock").string();
  const int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(fd, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, path.c_str(), sizeof(addr.sun_path) - 1);
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0) << std::strerror(errno);
  timeval tv{0, 200000};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));

  rig r;
  daemon_process d{r.config(json::object())};
  d.set_env("NOTIFY_SOCKET", path);
  d.set_env("WATCHDOG_USEC", "400000");  // a ping every 200 ms
  d.start();
  std::vector<std::string> seen;
  auto saw = [&](const std::string& what) {
    for (const auto& s : seen)
      if (s.find(what) != std::string::npos) return true;
    return false;
  };
  auto read_until = [&](const std::string& what) {
    return poll_until([&] {
      char buf[512];
      const auto n = recv(fd, buf, sizeof(buf), 0);
      if (n > 0) seen.emplace_back(buf, static_cast<std::size_t>(n));
      return saw(what);
    }, std::chrono::seconds(15), std::chrono::milliseconds(1));
  };
  EXPECT_TRUE(read_until("READY=1"));
  EXPECT_TRUE(read_until("WATCHDOG=1"));
  EXPECT_EQ(d.stop(), 0);
  EXPECT_TRUE(read_until("STOPPING=1"));
  close(fd);
}
