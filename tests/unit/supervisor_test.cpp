// The OTP-style supervisor on a real actor system with real actors: restart policies, strategies, intensity
// and escalation, orderly stop in reverse order, status and whereis.
#include <atomic>
#include <mutex>
#include <stdexcept>

#include <caf/all.hpp>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "actors/supervisor/supervisor.hpp"
#include "messages/caf_types.hpp"
#include "tests/support/test_support.hpp"

using namespace paios;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

// What the test children tell the test: how often each started, and the order in which they stopped.
struct journal {
  std::mutex mutex;
  std::map<std::string, int> starts;
  std::vector<std::string> stopped;
  int starts_of(const std::string& n) {
    std::lock_guard<std::mutex> lock{mutex};
    return starts[n];
  }
};

// A child that answers an int with the int, throws on "crash", quits normally on "quit", and (when
// `stubborn`) ignores an orderly stop request.
child_spec test_child(std::shared_ptr<journal> j, std::string name,
                      restart_policy policy = restart_policy::permanent, bool stubborn = false) {
  child_spec c;
  c.name = name;
  c.restart = policy;
  c.shutdown = 300ms;
  c.start = [j, name, stubborn](caf::actor_system& sys) {
    {
      std::lock_guard<std::mutex> lock{j->mutex};
      ++j->starts[name];
    }
    // The spawned function takes an argument: CAF 0.17's zero-argument spawn binds a reference to a null
    // tuple, which UBSan rightly reports (the sanitizer build runs this test too).
    return sys.spawn([j, stubborn](caf::event_based_actor* self, std::string name) -> caf::behavior {
      guard_actor(self, name);
      if (stubborn) self->set_exit_handler([](caf::exit_msg&) {});
      self->attach_functor([j, name](const caf::error&) {
        std::lock_guard<std::mutex> lock{j->mutex};
        j->stopped.push_back(name);
      });
      return {
          [](int x) { return x; },
          [self](const std::string& cmd) {
            if (cmd == "crash") throw std::runtime_error("boom");
            if (cmd == "quit") self->quit();
          },
      };
    }, name);
  };
  return c;
}

struct fixture : ::testing::Test {
  caf::actor_system_config cfg;
  std::unique_ptr<caf::actor_system> sys;
  std::shared_ptr<journal> j = std::make_shared<journal>();

  void SetUp() override {
    register_message_types(cfg);
    sys = std::make_unique<caf::actor_system>(cfg);
  }

  caf::actor whereis(const caf::actor& sup, const std::string& name) {
    caf::scoped_actor self{*sys};
    caf::actor out;
    self->request(sup, 2s, whereis_atom::value, name).receive([&](const caf::actor& a) { out = a; }, [](caf::error&) {});
    return out;
  }

  // Waits until `name` runs under a handle other than `old`.
  caf::actor restarted(const caf::actor& sup, const std::string& name, const caf::actor& old) {
    auto moved = [&](const caf::actor& a) { return a && a != old; };
    auto a = paios::test::poll_until([&] { return whereis(sup, name); }, moved, 10s, 10ms);
    return moved(a) ? a : nullptr;
  }

  // Waits until the supervisor's status gives its first child `state`; returns the last state seen. Once the
  // child is stopped or failed, the supervisor has handled its exit: a restart would have been decided then.
  std::string first_child_reaches(const caf::actor& sup, const std::string& state) {
    return paios::test::poll_until([&] { return status(sup)["children"][0].value("state", ""); },
                                   [&](const std::string& s) { return s == state; }, 10s, 10ms);
  }

  bool answers(const caf::actor& a) {
    caf::scoped_actor self{*sys};
    bool ok = false;
    self->request(a, 2s, 41).receive([&](int x) { ok = x == 41; }, [](caf::error&) {});
    return ok;
  }

  json status(const caf::actor& sup) {
    caf::scoped_actor self{*sys};
    json out;
    self->request(sup, 3s, status_atom::value).receive([&](const std::string& s) { out = json::parse(s); },
                                                       [](caf::error&) {});
    return out;
  }

  void send(const caf::actor& a, const std::string& cmd) { caf::anon_send(a, cmd); }

  // Waits for `a` to exit; returns its exit reason.
  caf::error wait_down(const caf::actor& a) {
    caf::scoped_actor self{*sys};
    self->monitor(a);
    caf::error reason;
    self->receive([&](caf::down_msg& dm) { reason = dm.reason; }, caf::after(10s) >> [] {});
    return reason;
  }
};

using Supervisor = fixture;

}  // namespace

TEST_F(Supervisor, OneForOneRestartsOnlyTheFailedChild) {
  auto sup = spawn_supervisor(*sys, {"s", restart_strategy::one_for_one, 5, 10s,
                                     {test_child(j, "a"), test_child(j, "b")}});
  auto a = whereis(sup, "a");
  auto b = whereis(sup, "b");
  send(a, "crash");
  auto a2 = restarted(sup, "a", a);
  ASSERT_TRUE(a2);
  EXPECT_TRUE(answers(a2));
  EXPECT_TRUE(answers(b)) << "the sibling keeps serving";
  EXPECT_EQ(whereis(sup, "b"), b);
  EXPECT_EQ(j->starts_of("a"), 2);
  EXPECT_EQ(j->starts_of("b"), 1);
  auto st = status(sup);
  EXPECT_EQ(st["children"][0]["restarts"], 1);
  EXPECT_NE(st["children"][0]["last_exit"].get<std::string>().find("boom"), std::string::npos) << st.dump();
  caf::anon_send_exit(sup, caf::exit_reason::kill);
}

TEST_F(Supervisor, OneForAllRestartsEveryChild) {
  auto sup = spawn_supervisor(*sys, {"s", restart_strategy::one_for_all, 5, 10s,
                                     {test_child(j, "a"), test_child(j, "b")}});
  auto a = whereis(sup, "a");
  auto b = whereis(sup, "b");
  send(a, "crash");
  ASSERT_TRUE(restarted(sup, "a", a));
  auto b2 = restarted(sup, "b", b);
  ASSERT_TRUE(b2);
  EXPECT_TRUE(answers(b2));
  EXPECT_EQ(j->starts_of("b"), 2);
  caf::anon_send_exit(sup, caf::exit_reason::kill);
}

TEST_F(Supervisor, RestForOneRestartsTheLaterChildrenOnly) {
  auto sup = spawn_supervisor(*sys, {"s", restart_strategy::rest_for_one, 5, 10s,
                                     {test_child(j, "a"), test_child(j, "b"), test_child(j, "c")}});
  auto a = whereis(sup, "a");
  auto b = whereis(sup, "b");
  auto c = whereis(sup, "c");
  send(b, "crash");
  ASSERT_TRUE(restarted(sup, "b", b));
  ASSERT_TRUE(restarted(sup, "c", c));
  EXPECT_EQ(whereis(sup, "a"), a);
  EXPECT_EQ(j->starts_of("a"), 1);
  EXPECT_EQ(j->starts_of("c"), 2);
  caf::anon_send_exit(sup, caf::exit_reason::kill);
}

TEST_F(Supervisor, TransientRestartsOnlyAfterAFailure) {
  auto sup = spawn_supervisor(*sys, {"s", restart_strategy::one_for_one, 5, 10s,
                                     {test_child(j, "t", restart_policy::transient)}});
  auto t = whereis(sup, "t");
  send(t, "crash");
  auto t2 = restarted(sup, "t", t);
  ASSERT_TRUE(t2);
  send(t2, "quit");
  wait_down(t2);
  ASSERT_EQ(first_child_reaches(sup, "stopped"), "stopped");
  EXPECT_FALSE(whereis(sup, "t"));
  EXPECT_EQ(j->starts_of("t"), 2);
  caf::anon_send_exit(sup, caf::exit_reason::kill);
}

TEST_F(Supervisor, TemporaryIsNeverRestarted) {
  auto sup = spawn_supervisor(*sys, {"s", restart_strategy::one_for_one, 5, 10s,
                                     {test_child(j, "tmp", restart_policy::temporary), test_child(j, "p")}});
  auto tmp = whereis(sup, "tmp");
  send(tmp, "crash");
  wait_down(tmp);
  ASSERT_EQ(first_child_reaches(sup, "failed"), "failed");
  EXPECT_FALSE(whereis(sup, "tmp"));
  EXPECT_EQ(j->starts_of("tmp"), 1);
  caf::anon_send_exit(sup, caf::exit_reason::kill);
}

TEST_F(Supervisor, IntensityExceededStopsTheSupervisorWithTheReason) {
  auto sup = spawn_supervisor(*sys, {"s", restart_strategy::one_for_one, 2, 10s, {test_child(j, "a"), test_child(j, "b")}});
  auto b = whereis(sup, "b");
  caf::actor a = whereis(sup, "a");
  for (int i = 0; i < 2; ++i) {
    send(a, "crash");
    a = restarted(sup, "a", a);
    ASSERT_TRUE(a);
  }
  send(a, "crash");
  auto reason = wait_down(sup);
  auto text = caf::to_string(reason);
  EXPECT_NE(text.find("restart intensity exceeded"), std::string::npos) << text;
  EXPECT_NE(text.find("boom"), std::string::npos) << text;
  wait_down(b);  // no child outlives its supervisor
}

TEST_F(Supervisor, EscalationRestartsTheNestedSupervisorThenGivesUp) {
  supervisor_spec inner{"inner", restart_strategy::one_for_one, 1, 10s, {test_child(j, "x")}};
  auto root = spawn_supervisor(*sys, {"root", restart_strategy::one_for_one, 1, 10s,
                                      {supervisor_child(inner), test_child(j, "sibling")}});
  auto sibling = whereis(root, "sibling");
  auto crash_twice = [&] {
    auto inner_sup = whereis(root, "inner");
    auto x = whereis(inner_sup, "x");
    send(x, "crash");
    x = restarted(inner_sup, "x", x);
    ASSERT_TRUE(x);
    send(x, "crash");  // the inner supervisor's second restart in its window: it escalates
  };
  auto inner_before = whereis(root, "inner");
  crash_twice();
  auto inner_after = restarted(root, "inner", inner_before);
  ASSERT_TRUE(inner_after) << "the root restarts the failed inner supervisor";
  EXPECT_EQ(j->starts_of("x"), 3);
  EXPECT_TRUE(answers(sibling));
  auto st = status(root);
  EXPECT_EQ(st["children"][0]["restarts"], 1);
  EXPECT_EQ(st["children"][0]["tree"]["name"], "inner") << st.dump();
  crash_twice();  // and once more: now the root's own intensity is exceeded
  auto reason = wait_down(root);
  EXPECT_NE(caf::to_string(reason).find("supervisor root"), std::string::npos) << caf::to_string(reason);
}

TEST_F(Supervisor, OrderlyStopIsInReverseOrderAndKillsTheStubborn) {
  auto sup = spawn_supervisor(*sys, {"s", restart_strategy::one_for_one, 5, 10s,
                                     {test_child(j, "a"), test_child(j, "b", restart_policy::permanent, true),
                                      test_child(j, "c")}});
  caf::scoped_actor self{*sys};
  bool stopped = false;
  auto t0 = std::chrono::steady_clock::now();
  self->request(sup, 10s, stop_atom::value).receive([&](bool ok) { stopped = ok; }, [](caf::error&) {});
  EXPECT_TRUE(stopped);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 5s);
  wait_down(sup);
  std::lock_guard<std::mutex> lock{j->mutex};
  EXPECT_EQ(j->stopped, (std::vector<std::string>{"c", "b", "a"}));
  EXPECT_EQ(j->starts["a"], 1) << "nothing is restarted during an orderly stop";
}

TEST_F(Supervisor, AStartThatThrowsCountsAsAFailure) {
  child_spec bad;
  bad.name = "bad";
  bad.start = [](caf::actor_system&) -> caf::actor { throw std::runtime_error("cannot open the database"); };
  auto sup = spawn_supervisor(*sys, {"s", restart_strategy::one_for_one, 2, 10s, {bad}});
  auto reason = wait_down(sup);
  EXPECT_NE(caf::to_string(reason).find("cannot open the database"), std::string::npos) << caf::to_string(reason);
}

// A restart someone asked for (a configuration reload): the child stops in order and starts again from its spec,
// answered once it runs; it is no failure, so it counts toward neither the intensity nor `restarts`. A name that is
// no child is an error.
TEST_F(Supervisor, RestartOnRequestStartsTheChildAgainWithoutCountingAFailure) {
  auto sup = spawn_supervisor(*sys, {"s", restart_strategy::one_for_one, 1, 10s,
                                     {test_child(j, "a"), test_child(j, "b")}});
  auto a = whereis(sup, "a");
  auto b = whereis(sup, "b");
  caf::scoped_actor self{*sys};
  for (int i = 0; i < 3; ++i) {  // beyond max_restarts (1): no escalation
    bool done = false;
    self->request(sup, 5s, restart_atom::value, std::string{"a"})
        .receive([&](bool ok) { done = ok; }, [](caf::error&) {});
    ASSERT_TRUE(done) << i;
  }
  auto a2 = whereis(sup, "a");
  ASSERT_TRUE(a2);
  EXPECT_NE(a2, a);
  EXPECT_TRUE(answers(a2));
  EXPECT_EQ(whereis(sup, "b"), b);
  EXPECT_EQ(j->starts_of("a"), 4);
  EXPECT_EQ(j->starts_of("b"), 1);
  auto st = status(sup);
  EXPECT_EQ(st["children"][0]["restarts"], 0) << st.dump();
  EXPECT_EQ(st["children"][0]["state"], "running");
  std::string error;
  self->request(sup, 5s, restart_atom::value, std::string{"nobody"})
      .receive([](bool) {}, [&](caf::error& e) { error = caf::to_string(e); });
  EXPECT_NE(error.find("no child named nobody"), std::string::npos) << error;
  caf::anon_send_exit(sup, caf::exit_reason::kill);
}
