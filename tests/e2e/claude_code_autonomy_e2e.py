#!/usr/bin/python3
"""The autonomy gate with the real Claude Code, offline (issue 18, "Must show"; docs/autonomy.md, "Claude Code, end
to end"). Claude Code's npm package is installed into the build tree as for claude_code_e2e (same folder, same lock),
ANTHROPIC_BASE_URL points at the stub Messages API (tests/e2e/stub_messages_api.py) playing scripted tool_use blocks,
and the PAIOS hooks are installed with `ai hooks install` into a temporary project. It shows that:
  a. in a person's `claude -p` in the project, a dangerous Bash (`rm -rf` of a folder outside the project) is denied:
     the folder is still there and the model got the reason naming the rule; a safe Bash (`ls`) runs and its output
     reaches the model;
  b. in a headless daemon task (`ai --brain claude`, paiosd's claude brain running the real binary with the gate it
     installs itself), a Bash the built-in rules put in `ask` (`rm` inside the project) waits as a pending approval:
     `ai approve ID` lets it run and the task succeed; `ai deny ID --reason ...` keeps it from running and the model
     gets the reason;
  c. after autonomy.promote_after (5) approvals of one pattern, the same call runs without asking;
  d. the gate is the daemon's own: a brain on a project without PAIOS's hooks asks the same;
  e. an approval no one gives within autonomy.approval_timeout_ms is a denial the model is told of; and what the gate
     relies on holds for this Claude Code: in dontAsk, a PreToolUse hook that fails or times out leaves the call
     denied.

Usage: claude_code_autonomy_e2e.py BUILD_DIR PAIOSD AI
Exit: 0 passed; 1 failed; 77 skipped (npm cannot reach its registry, or no native binary for this machine).
"""
import json
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from claude_code_e2e import claude_binary, outcome, stop_all  # noqa: E402  (one installer of Claude Code, one ending)
from gate_e2e import Daemon, approve_then_deny, clean_environment, session_requests, wait_for  # noqa: E402

LEARN_CALLS = 6  # promote_after approvals, then the call that no longer asks


def log(*a):
    print("[autonomy e2e]", *a, flush=True)


def scripts(project, outside):
    bash = lambda command: {"name": "Bash", "input": {"command": command, "description": "e2e"}}  # noqa: E731
    return {
        "interactive": [bash("rm -rf " + os.path.join(outside, "marker")), bash("ls")],
        "approve": [bash("rm doomed-approved.txt")],
        "deny": [bash("rm doomed-denied.txt")],
        "learn": [bash("touch learned.txt")] * LEARN_CALLS,
        "plain": [bash("rm doomed-plain.txt")],
        "expire": [bash("rm doomed-expired.txt")],
        "hookfails": [bash("touch hook-failed.txt")],
    }


def tool_results(requests):
    """The tool_result texts the model received, in order, from the stub's log of one session."""
    seen = []
    for q in requests:
        for m in q["body"].get("messages", []):
            if m.get("role") != "user" or not isinstance(m.get("content"), list):
                continue
            for b in m["content"]:
                if isinstance(b, dict) and b.get("type") == "tool_result":
                    c = b.get("content")
                    text = c if isinstance(c, str) else " ".join(x.get("text", "") for x in c or [] if isinstance(x, dict))
                    if (b.get("tool_use_id"), text) not in seen:
                        seen.append((b.get("tool_use_id"), text))
    return [t for _, t in seen]


def main():
    build, paiosd, ai = sys.argv[1], os.path.abspath(sys.argv[2]), os.path.abspath(sys.argv[3])
    claude = os.path.abspath(claude_binary(build))
    tmp = tempfile.mkdtemp(prefix="paios-autonomy-e2e-")
    home, paios, project, plain, outside, stub_log = (
        os.path.join(tmp, d) for d in ("home", "paios", "project", "plain", "outside", "stub"))
    for d in (home, paios, project, plain, os.path.join(outside, "marker"), stub_log):
        os.makedirs(d)
    marker = os.path.join(outside, "marker", "keep.txt")
    for path in (marker, os.path.join(project, "listed-by-ls.txt"), os.path.join(project, "doomed-approved.txt"),
                 os.path.join(project, "doomed-denied.txt"), os.path.join(plain, "doomed-plain.txt"),
                 os.path.join(plain, "doomed-expired.txt")):
        with open(path, "w") as f:
            f.write("e2e\n")
    script_file = os.path.join(tmp, "script.json")
    with open(script_file, "w") as f:
        json.dump(scripts(project, outside), f)
    procs, failures = [], []

    def check(ok, what):
        log(("ok:   " if ok else "FAIL: ") + what)
        if not ok:
            failures.append(what)
        return ok

    base_env = dict(clean_environment(), HOME=home)
    daemon = Daemon(ai, paios, base_env, log)
    ai_run, ai_json = daemon.run, daemon.json

    try:
        port_file = os.path.join(tmp, "stub.port")
        stub = subprocess.Popen(["/usr/bin/python3", os.path.join(HERE, "stub_messages_api.py"), port_file, stub_log,
                                 project, script_file])
        procs.append(stub)
        port = wait_for("the stub's port", lambda: os.path.exists(port_file) and open(port_file).read().strip(), log, 10)
        claude_env = {"ANTHROPIC_BASE_URL": "http://127.0.0.1:" + port, "ANTHROPIC_API_KEY": "sk-ant-e2e-stub",
                      "DISABLE_TELEMETRY": "1", "DISABLE_AUTOUPDATER": "1", "DISABLE_ERROR_REPORTING": "1",
                      "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1", "NO_PROXY": "127.0.0.1", "HOME": home}
        model = ["--model", "claude-sonnet-4-5", "--max-turns", "20"]
        # The claude brain as a user would configure it to run this binary against the stub: the gate (dontAsk, the
        # PreToolUse hook) is the daemon's own doing (brains.claude.autonomy_gate, true by default).
        def start_daemon(approval_timeout_ms):
            with open(os.path.join(paios, "config.json"), "w") as f:
                json.dump({"obs": {"http": {"endpoint": ""}},
                           "hooks": {"deadline_ms": 3000, "context": {"timeout_ms": 2500}, "ai_path": ai},
                           "autonomy": {"approval_timeout_ms": approval_timeout_ms},
                           "tasks": {"default_brain": "claude", "failover": []},
                           "brains": {name: {"kind": "process", "format": "claude-stream-json", "autonomy_gate": True,
                                             "command": [claude, "-p", "--output-format", "stream-json", "--verbose",
                                                         *model],
                                             "cwd": cwd, "env": claude_env, "timeout_ms": 300000}
                                      for name, cwd in (("claude", project), ("plain", plain))}}, f)
            d = subprocess.Popen([paiosd, "--home", paios], stderr=open(os.path.join(tmp, "paiosd.stderr"), "a"),
                                 env=base_env)
            procs.append(d)
            if not check(wait_for("paiosd", lambda: ai_run("ping").returncode == 0, log, 30) is not None, "paiosd answers"):
                log(open(os.path.join(tmp, "paiosd.stderr")).read()[-2000:])
                return None
            return d

        if not start_daemon(120000):
            return 1
        r = ai_run("hooks", "install", "--project", project)
        check(r.returncode == 0, "ai hooks install: " + (r.stdout + r.stderr).strip())

        # a. A person's session: the hook answers deny (never) and allow (safe) itself.
        before = set(os.listdir(stub_log))
        r = subprocess.run([claude, "-p", "script:interactive", "--output-format", "json", *model], cwd=project,
                           env=dict(base_env, **claude_env), capture_output=True, text=True, timeout=300)
        log("claude exit", r.returncode, "stdout:", r.stdout[-400:].strip(), "stderr:", r.stderr[-400:].strip())
        results = tool_results(session_requests(stub_log, before))
        log("tool results:", results)
        check(r.returncode == 0, "the interactive-style session ran to its end")
        check(os.path.exists(marker), "rm -rf of a folder outside the project did not run: the marker is still there")
        check(len(results) == 2 and "rm-recursive-outside-project" in results[0],
              "the model got the deny's reason naming the rule rm-recursive-outside-project")
        check(len(results) == 2 and "listed-by-ls.txt" in results[1], "ls ran and its output reached the model")

        # b. Headless daemon tasks: an `ask` waits for a person, who decides with ai approve / ai deny.
        def run_task(name, decide, brain="claude"):
            """Runs `ai --brain BRAIN script:NAME`, deciding each pending approval with decide(approval)."""
            return daemon.run_task(brain, "script:" + name, decide, stub_log, tool_results, name)

        approve_then_deny(run_task, daemon, project, check)

        # c. Learning: promote_after approvals of `touch learned.txt` make it safe for the project.
        result, decided, results = run_task("learn", lambda a: ai_run("approve", a["id"]))
        check(len(decided) == LEARN_CALLS - 1, "asked %d times of %d calls" % (len(decided), LEARN_CALLS))
        check(result.get("type") == "result" and len(results) == LEARN_CALLS, "all %d calls ran" % LEARN_CALLS)
        events = ai_json("obs", "--category", "autonomy", "--limit", "200").get("events", [])
        promoted = [e for e in events if e.get("action") == "promoted"]
        check(len(promoted) == 1 and "touch learned.txt" in json.dumps(promoted[0].get("data", {})),
              "the pattern was promoted once (%s)" % [e.get("data") for e in promoted])
        learned = [e for e in events if e.get("data", {}).get("summary") == "touch learned.txt" and
                   e.get("action") in ("safe", "ask", "never")]
        check(len(learned) == LEARN_CALLS, "one decision per call: the hook ran once, not once per settings source (%d)"
              % len(learned))
        newest = max(learned, key=lambda e: e.get("id", 0)) if learned else {}
        check(newest.get("action") == "safe" and newest.get("data", {}).get("rule", "").startswith("learned:"),
              "the last call was safe by the learned rule (%s)" % newest.get("data"))

        # d. A project without PAIOS's hooks: the gate comes with the daemon's run of Claude Code.
        result, decided, results = run_task("plain", lambda a: ai_run("approve", a["id"]), brain="plain")
        check(len(decided) == 1 and result.get("type") == "result" and
              not os.path.exists(os.path.join(plain, "doomed-plain.txt")),
              "without project hooks the ask waited, was approved and ran")
        # e. No one answers: the gate denies at autonomy.approval_timeout_ms, saying so, and the call never runs.
        stop_all([procs.pop()])
        if not start_daemon(3000):
            return 1
        before = set(os.listdir(stub_log))
        r = ai_run("--json", "--brain", "plain", "script:expire", timeout=240)
        results = tool_results(session_requests(stub_log, before))
        check(r.returncode == 0 and os.path.exists(os.path.join(plain, "doomed-expired.txt")) and
              any("no one approved within 3 s" in t for t in results),
              "an approval no one gave expired into a denial the model was told of (%s)" % results)

        # What the gate relies on: dontAsk denies when the hook gives no answer (exit 1; killed at its timeout).
        for broken in ("exit 1", "exec sleep 30"):
            settings = {"hooks": {"PreToolUse": [{"matcher": "*", "hooks": [
                {"type": "command", "command": broken, "timeout": 2}]}]}}
            r = subprocess.run([claude, "-p", "script:hookfails", "--output-format", "json", "--permission-mode",
                                "dontAsk", "--settings", json.dumps(settings), *model], cwd=plain,
                               env=dict(base_env, **claude_env), capture_output=True, text=True, timeout=120)
            check(r.returncode == 0 and not os.path.exists(os.path.join(plain, "hook-failed.txt")),
                  "dontAsk with a hook that answers nothing (%s): the call did not run" % broken)
    finally:
        stop_all(procs)
    return outcome(failures, tmp, log)


if __name__ == "__main__":
    sys.exit(main())
