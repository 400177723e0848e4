// Pipeline command steps through the autonomy gate, in a real daemon (docs/autonomy.md, "Commands the daemon
// runs"): a step whose argv carries the run's data (its input, an earlier step's output) is judged as the Bash
// command a shell would read from the argv, by the brain pipeline:NAME. `never` fails the step unstarted (the
// marker a `rm -rf` would have removed is still there) naming the rule; `safe` runs; `ask` waits as a pending
// approval that `ai approvals` lists with the pipeline and the run, and runs once approved (its step timeout
// counts from the start of its process, not from the wait), fails when denied (the person's reason) or when no
// one answers within autonomy.approval_timeout_ms; the wait is a span in the run's trace. A step whose argv is
// all the configuration's is the user's own command and runs ungated. A pin for the pipeline's brain
// (`ai autonomy set ... --brain pipeline:NAME`) is how its author lets a gated step through.
#include <fstream>

#include <gtest/gtest.h>

#include "tests/support/autonomy_gate_support.hpp"
#include "tests/support/test_support.hpp"

using nlohmann::json;
using namespace paios::test;
using namespace std::chrono_literals;
using paios::test::gate::pending;
using paios::test::gate::the_pending_approval;
using paios::test::gate::wait_autonomy_events;

namespace {

// A daemon whose pipelines are `pipelines`, approvals waiting at most `approval_ms`.
json gate_pipelines(json pipelines, std::int64_t approval_ms = 120000) {
  auto cfg = paios::test::gate::gate_config(approval_ms);
  cfg["scheduler"] = {{"jobs", {{"heartbeat", nullptr}}}};
  cfg["pipelines"] = std::move(pipelines);
  return cfg;
}

json step(const std::string& name, json argv, json extra = json::object()) {
  json s{{"name", name}, {"kind", "command"}, {"command", std::move(argv)}};
  s.update(extra);
  return s;
}

json get_run(const daemon_process& d, const std::string& run_id) {
  return request(d, {{"op", "pipeline.get"}, {"run_id", run_id}}).value("run", json::object());
}

json wait_end(const daemon_process& d, const std::string& run_id, std::chrono::seconds within = 60s) {
  return poll_until([&] { return get_run(d, run_id); },
                    [](const json& r) { return r.value("state", "running") != "running"; }, within);
}

std::string start(const daemon_process& d, const std::string& name, json input) {
  auto r = request(d, {{"op", "pipeline.run"}, {"name", name}, {"input", std::move(input)}});
  EXPECT_EQ(r.value("type", ""), "pipeline.started") << r.dump();
  return r.value("run_id", "");
}

// A pipeline whose step touches the file its run's input names, a command no rule knows (`ask`), started once.
json touching(json extra = json::object()) { return step("touch", {"touch", "{{run.input.file}}"}, std::move(extra)); }

struct touch_run {
  temp_dir files;
  std::filesystem::path made;
  daemon_process d;
  std::string run_id;
  explicit touch_run(std::int64_t approval_ms = 120000, json extra = json::object())
      : made(files.path() / "made"), d(gate_pipelines({{"make", {{"steps", {touching(std::move(extra))}}}}}, approval_ms)) {
    d.start();
    run_id = start(d, "make", {{"file", made.string()}});
  }
};

// A folder with a file in it: what `rm -rf` would remove.
struct marker {
  temp_dir dir;
  std::filesystem::path file() const { return dir.path() / "keep-me"; }
  marker() { std::ofstream(file()) << "still here\n"; }
};

}  // namespace

TEST(PipelineGate, NeverFailsTheStepWithoutRunningIt) {
  marker m;
  daemon_process d{gate_pipelines({{"clean", {{"steps", {step("wipe", {"rm", "-rf", "{{run.input.target}}"})}}}}})};
  d.start();
  const auto run_id = start(d, "clean", {{"target", m.dir.path().string()}});
  auto run = wait_end(d, run_id);
  ASSERT_EQ(run.value("state", ""), "failed") << run.dump() << d.log();
  const auto error = run.value("error", "");
  EXPECT_NE(error.find("step 0 (wipe, command) failed"), std::string::npos) << error;
  EXPECT_NE(error.find("not run: rule rm-recursive-outside-project"), std::string::npos) << error;
  EXPECT_NE(error.find("deletes recursively outside"), std::string::npos) << error;
  EXPECT_TRUE(std::filesystem::exists(m.file())) << "the process never started";
  EXPECT_TRUE(pending(d).empty());
  // The decision is an event of the run's trace, by the pipeline's brain, naming the run.
  wire_peer peer{d.endpoint()};
  auto never = wait_autonomy_events(peer, "never", 1);
  ASSERT_EQ(never.size(), 1u);
  EXPECT_EQ(never[0].value("trace_id", ""), run.value("trace_id", ""));
  const auto& data = never[0]["data"];
  EXPECT_EQ(data.value("brain", ""), "pipeline:clean");
  EXPECT_EQ(data.value("pipeline", ""), "clean");
  EXPECT_EQ(data.value("run_id", ""), run_id);
  EXPECT_EQ(data.value("step", ""), "wipe");
  EXPECT_EQ(data.value("tool", ""), "Bash");
  EXPECT_EQ(data.value("summary", ""), "rm -rf " + m.dir.path().string());
}

// The argv is joined with shell quoting: the policy reads what the process gets, word for word. A step's output
// with shell syntax in it is one argument, not a second command.
TEST(PipelineGate, SafeStepsRunAndQuotingKeepsAgentTextOneArgument) {
  marker m;
  const std::string sneaky = "hello; rm -rf " + m.dir.path().string();
  daemon_process d{gate_pipelines({{"say", {{"steps", {step("first", {"echo", "{{run.input.text}}"}),
                                                        step("second", {"echo", "{{steps.first.output.stdout}}"})}}}}})};
  d.start();
  const auto run_id = start(d, "say", {{"text", sneaky}});
  auto run = wait_end(d, run_id);
  ASSERT_EQ(run.value("state", ""), "ok") << run.dump() << d.log();
  // The first echo's newline is in the second's argument (inside its quotes), and the second adds its own.
  EXPECT_EQ(run["steps"][1]["output"].value("stdout", ""), sneaky + "\n\n");
  EXPECT_TRUE(std::filesystem::exists(m.file()));
  wire_peer peer{d.endpoint()};
  auto safe = wait_autonomy_events(peer, "safe", 2);
  ASSERT_EQ(safe.size(), 2u);
  for (const auto& e : safe) EXPECT_EQ(e["data"].value("rule", ""), "read-only-command") << e;
}

// An argv all of the configuration's is the user's own command, as a job's is: not judged at all (the policy
// would ask a person about this `touch`), however the run was started.
TEST(PipelineGate, AnArgvWithoutTheRunsDataIsTheUsersOwnAndRunsUngated) {
  temp_dir files;
  const auto made = files.path() / "made-{{run.id}}";
  daemon_process d{gate_pipelines({{"own", {{"steps", {step("make", {"touch", made.string()})}}}}})};
  d.start();
  const auto run_id = start(d, "own", {{"ignored", true}});
  auto run = wait_end(d, run_id);
  ASSERT_EQ(run.value("state", ""), "ok") << run.dump() << d.log();
  EXPECT_TRUE(std::filesystem::exists(files.path() / ("made-" + run_id)));
  wire_peer peer{d.endpoint()};
  EXPECT_TRUE(paios::test::gate::autonomy_events(peer).empty()) << "no decision was asked for";
}

TEST(PipelineGate, AskWaitsIsListedWithTheRunAndRunsOnceApproved) {
  // A step timeout shorter than the wait: it counts from the process's start, not from the approval's.
  touch_run t{120000, {{"timeout_ms", 1000}}};
  auto& d = t.d;
  const auto& made = t.made;
  const auto& run_id = t.run_id;
  auto a = the_pending_approval(d);
  EXPECT_EQ(a.value("tool", ""), "Bash");
  EXPECT_EQ(a.value("summary", ""), "touch " + made.string());
  EXPECT_EQ(a.value("pipeline", ""), "make");
  EXPECT_EQ(a.value("run_id", ""), run_id);
  EXPECT_EQ(a.value("step", ""), "touch");
  EXPECT_EQ(a.value("task", ""), "");
  EXPECT_NE(a.value("reason", "").find("no rule matches"), std::string::npos) << a;
  auto table = d.ai({"approvals"});
  EXPECT_NE(table.out.find("pipeline make " + run_id), std::string::npos) << table.out;
  EXPECT_NE(table.out.find(a.value("id", "")), std::string::npos) << table.out;
  // Past the step's own timeout, still waiting for the person, the process not started.
  auto later = poll_until([&] { return pending(d); },
                          [](const std::vector<json>& p) { return p.size() == 1 && p[0].value("age_ms", 0) > 1500; }, 30s);
  ASSERT_EQ(later.size(), 1u);
  EXPECT_EQ(get_run(d, run_id).value("state", ""), "running");
  EXPECT_FALSE(std::filesystem::exists(made));

  ASSERT_EQ(d.ai({"approve", a.value("id", "")}).exit_code, 0);
  auto run = wait_end(d, run_id);
  ASSERT_EQ(run.value("state", ""), "ok") << run.dump() << d.log();
  EXPECT_TRUE(std::filesystem::exists(made));
  // The wait is a span of the run's trace, under the step.
  wire_peer peer{d.endpoint()};
  auto wait = wait_autonomy_events(peer, "wait", 1);
  ASSERT_EQ(wait.size(), 1u);
  EXPECT_EQ(wait[0].value("trace_id", ""), run.value("trace_id", ""));
  EXPECT_EQ(wait[0].value("trace_id", ""), a.value("trace", ""));
  EXPECT_GT(wait[0].value("duration_us", 0), 1500000);
  auto trace = peer.exchange(bus_request("obs.trace", {{"trace_id", run.value("trace_id", "")}})).back();
  std::string step_span;
  for (const auto& e : trace.value("spans", json::array()))
    if (e.value("category", "") == "pipeline" && e.value("action", "") == "step") step_span = e.value("span_id", "");
  EXPECT_FALSE(step_span.empty()) << trace.dump();
  EXPECT_EQ(wait[0].value("parent_id", ""), step_span) << wait[0].dump();
}

TEST(PipelineGate, DeniedFailsTheStepWithThePersonsReason) {
  touch_run t;
  auto& d = t.d;
  auto a = the_pending_approval(d);
  ASSERT_EQ(d.ai({"deny", a.value("id", ""), "--reason", "not in that folder"}).exit_code, 0);
  auto run = wait_end(d, t.run_id);
  ASSERT_EQ(run.value("state", ""), "failed") << run.dump();
  EXPECT_NE(run.value("error", "").find("not run: denied by a person (approval " + a.value("id", "") + "): not in that folder"),
            std::string::npos)
      << run.dump();
  EXPECT_FALSE(std::filesystem::exists(t.made));
}

TEST(PipelineGate, NoOneApprovingInTimeFailsTheStepSayingSo) {
  touch_run t{1500};
  auto& d = t.d;
  auto run = wait_end(d, t.run_id);
  ASSERT_EQ(run.value("state", ""), "failed") << run.dump();
  EXPECT_NE(run.value("error", "").find("not run: no one approved within 1.5 s"), std::string::npos) << run.dump();
  EXPECT_FALSE(std::filesystem::exists(t.made));
  EXPECT_TRUE(pending(d).empty());
  wire_peer peer{d.endpoint()};
  EXPECT_EQ(wait_autonomy_events(peer, "expired", 1).size(), 1u);
}

// The only way past the gate is a pin: the pipeline's author pins the pattern for the pipeline's brain. The pin
// applies to that pipeline only.
TEST(PipelineGate, APinForThePipelinesBrainLetsItsStepRun) {
  temp_dir files;
  const auto made = files.path() / "pinned";
  json pipelines{{"make", {{"steps", {touching()}}}}, {"other", {{"steps", {touching()}}}}};
  daemon_process d{gate_pipelines(pipelines, 1500)};
  auto set = d.ai({"autonomy", "set", "touch", "safe", "--brain", "pipeline:make", "--reason", "make's own touch"});
  ASSERT_EQ(set.exit_code, 0) << set.err << set.out;
  EXPECT_NE(set.out.find("pin:touch for pipeline:make = safe"), std::string::npos) << set.out;
  d.start();
  auto check = d.ai({"autonomy", "check", "--brain", "pipeline:make", "--", "touch", made.string()});
  EXPECT_NE(check.out.find("safe (rule pin:touch for pipeline:make)"), std::string::npos) << check.out << check.err;
  const auto run_id = start(d, "make", {{"file", made.string()}});
  auto run = wait_end(d, run_id);
  ASSERT_EQ(run.value("state", ""), "ok") << run.dump() << d.log();
  EXPECT_TRUE(std::filesystem::exists(made));
  // Another pipeline's step is still asked (and, unanswered, expires).
  const auto other = files.path() / "other";
  const auto other_id = start(d, "other", {{"file", other.string()}});
  run = wait_end(d, other_id);
  EXPECT_EQ(run.value("state", ""), "failed") << run.dump();
  EXPECT_NE(run.value("error", "").find("no one approved"), std::string::npos) << run.dump();
  EXPECT_FALSE(std::filesystem::exists(other));
}

// A run cancelled while its step waits takes its approval back: no longer listed, its wait ended, an event.
TEST(PipelineGate, ACancelledRunWithdrawsItsApproval) {
  touch_run t;
  auto& d = t.d;
  const auto& run_id = t.run_id;
  auto a = the_pending_approval(d);
  auto cancelled = request(d, {{"op", "pipeline.cancel"}, {"run_id", run_id}});
  EXPECT_EQ(cancelled.value("type", ""), "pipeline.cancel") << cancelled.dump();
  auto run = wait_end(d, run_id);
  EXPECT_EQ(run.value("state", ""), "cancelled") << run.dump();
  EXPECT_TRUE(poll_until([&] { return pending(d).empty(); }, 10s)) << "the approval is withdrawn";
  wire_peer peer{d.endpoint()};
  auto withdrawn = wait_autonomy_events(peer, "withdrawn", 1);
  ASSERT_EQ(withdrawn.size(), 1u);
  EXPECT_EQ(withdrawn[0]["data"].value("approval", ""), a.value("id", ""));
  EXPECT_EQ(withdrawn[0]["data"].value("run_id", ""), run_id);
  auto late = d.ai({"approve", a.value("id", "")});
  EXPECT_NE(late.exit_code, 0) << "nothing is left to approve";
  EXPECT_FALSE(std::filesystem::exists(t.made));
}

// A step's `cwd` is the folder its command runs in and the project the policy judges it in: a recursive delete
// inside it is asked (rm-in-project), where outside the daemon's folder it was never.
TEST(PipelineGate, AStepsFolderIsTheProjectItsCommandIsJudgedIn) {
  temp_dir project;
  const auto build = project.path() / "build";
  std::filesystem::create_directories(build / "obj");
  const auto folder = std::filesystem::canonical(project.path()).string();
  daemon_process d{gate_pipelines({{"tidy", {{"steps", {step("clean", {"rm", "-rf", "{{run.input.dir}}"}, {{"cwd", folder}}),
                                                         step("where", {"pwd"}, {{"cwd", folder}})}}}}})};
  d.start();
  const auto run_id = start(d, "tidy", {{"dir", build.string()}});
  auto a = the_pending_approval(d);
  EXPECT_EQ(a.value("rule", ""), "rm-in-project") << a;
  EXPECT_EQ(a.value("project", ""), folder);
  ASSERT_EQ(d.ai({"approve", a.value("id", "")}).exit_code, 0);
  auto run = wait_end(d, run_id);
  ASSERT_EQ(run.value("state", ""), "ok") << run.dump() << d.log();
  EXPECT_FALSE(std::filesystem::exists(build));
  EXPECT_EQ(run["steps"][1]["output"].value("stdout", ""), folder + "\n");
}
