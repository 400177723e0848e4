#!/usr/bin/python3
"""The autonomy gate with the real Codex CLI or Gemini CLI, offline (issue 18, "Where the gate applies"; docs/autonomy.md,
"Codex CLI" and "Gemini CLI"). The CLI's npm package is installed into the build tree as for mcp_install_e2e (same
folders, same versions, same lock), and its model API is tests/e2e/stub_agent_apis.py on loopback, playing scripted
shell commands. It shows that:
  a. in a person's session, after `ai hooks install --agent AGENT --user`, a dangerous shell command (`rm -rf` of a
     folder outside the project) never runs (the marker in it is still there) and the model gets the reason naming
     the rule; a safe one (`ls`) runs and its output reaches the model;
  b. in a headless daemon task (paiosd's brain running the real CLI with autonomy_gate, which installs the gate in
     that run itself), the dangerous command is denied the same way, and a command the built-in rules put in `ask`
     (`rm` of a file in the project) waits as a pending approval: `ai approve` lets it run, `ai deny --reason` keeps
     it from running and the model gets the person's reason. The runs are the person's (their HOME, their hook
     installed in (a)): the call is still judged once, by the run's own hook, which waits for an approval longer than
     the person's hook may run.
Gemini CLI 0.61 reads the daemon's per-run hook only from a settings file in folders root owns and no one else may
write: run as another user, (b) checks that the gemini brain says so and stays unavailable rather than run ungated.

Usage: agent_autonomy_e2e.py BUILD_DIR PAIOSD AI codex|gemini
Exit: 0 passed; 1 failed; 77 skipped (npm cannot reach its registry).
"""
import json
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from claude_code_e2e import outcome, stop_all  # noqa: E402
from gate_e2e import Daemon, approve_then_deny, clean_environment, session_requests, wait_for  # noqa: E402
from mcp_install_e2e import CODEX_VERSION, GEMINI_VERSION, npm_binary  # noqa: E402  (one installer, one version)

AGENT = sys.argv[4] if len(sys.argv) > 4 else ""


def log(*a):
    print("[%s autonomy e2e]" % AGENT, *a, flush=True)


def tool_results(requests):
    """The tool results the model received, in order, from the stub's log of one session."""
    seen = []
    for q in requests:
        body = q["body"]
        if q["api"] == "codex":
            found = [i.get("output") for i in body.get("input", []) if isinstance(i, dict) and
                     i.get("type") == "function_call_output"]
        else:
            found = [p["functionResponse"].get("response") for c in body.get("contents", []) for p in c.get("parts", [])
                     if isinstance(p, dict) and "functionResponse" in p]
        for r in found:
            text = r if isinstance(r, str) else json.dumps(r)
            if text not in seen:
                seen.append(text)
    return seen


def main():
    build, paiosd, ai = sys.argv[1], os.path.abspath(sys.argv[2]), os.path.abspath(sys.argv[3])
    if AGENT == "codex":
        cli = os.path.abspath(npm_binary(build, "e2e-codex", "@openai/codex", CODEX_VERSION, "codex"))
    elif AGENT == "gemini":
        cli = os.path.abspath(npm_binary(build, "e2e-gemini", "@google/gemini-cli", GEMINI_VERSION, "gemini"))
    else:
        log("usage: agent_autonomy_e2e.py BUILD_DIR PAIOSD AI codex|gemini")
        return 1
    # In the build tree, not /tmp: Gemini reads its system settings only from folders no other user may write.
    tmp = tempfile.mkdtemp(prefix="paios-%s-autonomy-e2e-" % AGENT, dir=os.path.abspath(build))
    person, daemon_home, paios, project, outside, stub_log = (
        os.path.join(tmp, d) for d in ("person", "daemon-home", "paios", "project", "outside", "stub"))
    for d in (person, daemon_home, paios, project, os.path.join(outside, "marker"), stub_log):
        os.makedirs(d)
    marker = os.path.join(outside, "marker", "keep.txt")
    for path in (marker, os.path.join(project, "listed-by-ls.txt"), os.path.join(project, "doomed-approved.txt"),
                 os.path.join(project, "doomed-denied.txt")):
        with open(path, "w") as f:
            f.write("e2e\n")
    dangerous = "rm -rf " + os.path.join(outside, "marker")
    script_file = os.path.join(tmp, "script.json")
    with open(script_file, "w") as f:
        json.dump({"person": [dangerous, "ls"], "approve": [dangerous, "rm doomed-approved.txt"],
                   "deny": ["rm doomed-denied.txt"]}, f)
    procs, failures = [], []

    def check(ok, what):
        log(("ok:   " if ok else "FAIL: ") + what)
        if not ok:
            failures.append(what)
        return ok

    base_env = clean_environment(("CODEX_HOME", "GEMINI_CLI_SYSTEM_SETTINGS_PATH", "GEMINI_CLI_HOME"))
    daemon = Daemon(ai, paios, dict(base_env, HOME=daemon_home), log)
    ai_json = daemon.json

    def ai_run(*args, home=daemon_home):
        return daemon.run(*args, env=dict(base_env, HOME=home))

    try:
        port_file = os.path.join(tmp, "stub.port")
        procs.append(subprocess.Popen(["/usr/bin/python3", os.path.join(HERE, "stub_agent_apis.py"), port_file, stub_log,
                                       script_file]))
        port = wait_for("the stub's port", lambda: os.path.exists(port_file) and open(port_file).read().strip(), log, 10)

        # How the CLI is run against the stub, for a person (home = HOME) and as a daemon brain's command.
        def agent_setup(home):
            if AGENT == "codex":
                provider = ('model_providers.stub={name="stub",base_url="http://127.0.0.1:%s/v1",wire_api="responses",'
                            'env_key="STUB_KEY"}' % port)
                # No sandbox: what keeps the dangerous command from running is the gate alone.
                command = [cli, "exec", "--json", "--skip-git-repo-check", "-c", "model_provider=stub", "-c", provider,
                           "-m", "gpt-5", "-s", "danger-full-access", "-"]
                env = {"HOME": home, "CODEX_HOME": os.path.join(home, ".codex"), "STUB_KEY": "e2e", "NO_PROXY": "127.0.0.1"}
                os.makedirs(env["CODEX_HOME"], exist_ok=True)
            else:
                command = [cli, "--output-format", "json", "--skip-trust", "-m", "gemini-2.5-flash"]
                env = {"HOME": home, "GEMINI_API_KEY": "e2e", "GOOGLE_GEMINI_BASE_URL": "http://127.0.0.1:" + port,
                       "NO_PROXY": "127.0.0.1", "GEMINI_CLI_NO_RELAUNCH": "true"}
                os.makedirs(os.path.join(home, ".gemini"), exist_ok=True)
                with open(os.path.join(home, ".gemini", "settings.json"), "w") as f:
                    json.dump({"security": {"auth": {"selectedType": "gemini-api-key"}}, "telemetry": {"enabled": False},
                               "privacy": {"usageStatisticsEnabled": False}}, f)
            return command, env

        # The brain runs the CLI as the person (their HOME): their own hook, installed below, is there in the daemon's
        # runs too, beside the one each run installs, and a call must still be judged once, by the run's hook.
        with open(os.path.join(paios, "config.json"), "w") as f:
            command, env = agent_setup(person)
            json.dump({"obs": {"http": {"endpoint": ""}},
                       "hooks": {"deadline_ms": 3000, "context": {"timeout_ms": 2500}, "ai_path": ai},
                       "autonomy": {"approval_timeout_ms": 120000},
                       "tasks": {"default_brain": AGENT, "failover": []},
                       "brains": {AGENT: {"kind": "process", "format": {"codex": "codex-jsonl", "gemini": "gemini-json"}[AGENT],
                                          "autonomy_gate": True, "command": command, "cwd": project, "env": env,
                                          "timeout_ms": 300000}}}, f)
        paiosd_proc = subprocess.Popen([paiosd, "--home", paios], stderr=open(os.path.join(tmp, "paiosd.stderr"), "a"),
                                  env=dict(base_env, HOME=daemon_home))
        procs.append(paiosd_proc)
        if not check(wait_for("paiosd", lambda: ai_run("ping").returncode == 0, log, 30) is not None, "paiosd answers"):
            log(open(os.path.join(tmp, "paiosd.stderr")).read()[-2000:])
            return outcome(failures, tmp, log)

        # a. A person's session with the hook `ai hooks install --agent` put in the user's settings.
        command, env = agent_setup(person)
        r = ai_run("hooks", "install", "--agent", AGENT, "--user", home=person)
        check(r.returncode == 0, "ai hooks install --agent %s --user: %s" % (AGENT, (r.stdout + r.stderr).strip()))
        r2 = ai_run("hooks", "install", "--agent", AGENT, "--user", home=person)
        check(r2.returncode == 0 and "already installed" in r2.stdout, "installing again changes nothing: " + r2.stdout.strip())
        if AGENT == "codex":
            # Codex runs a user's hook once the person has reviewed it in Codex itself; this run stands in for that.
            command = command[:-1] + ["--dangerously-bypass-hook-trust", "-"]
        else:
            # A headless Gemini in its default mode is not even offered the shell; a person who lets it run every
            # tool (yolo) is who the hook is for.
            command = command + ["--approval-mode", "yolo"]
        before = set(os.listdir(stub_log))
        r = subprocess.run(command, input="paios-script:person", cwd=project, env=dict(base_env, **env),
                           capture_output=True, text=True, timeout=300)
        results = tool_results(session_requests(stub_log, before))
        log("%s exit %d; tool results: %s" % (AGENT, r.returncode, results))
        if r.returncode != 0:
            log("stdout:", r.stdout[-1500:], "stderr:", r.stderr[-1500:])
        check(os.path.exists(marker), "rm -rf of a folder outside the project did not run: the marker is still there")
        check(len(results) == 2 and "rm-recursive-outside-project" in results[0],
              "the model got the deny's reason naming the rule rm-recursive-outside-project")
        check(len(results) == 2 and "listed-by-ls.txt" in results[1], "ls ran and its output reached the model")

        # b. Headless daemon tasks: the brain runs the CLI with the gate it installs itself.
        status = ai_json("status")
        brain = next((b for b in status.get("brains", []) if b.get("name") == AGENT), {})
        if AGENT == "gemini" and os.geteuid() != 0:
            check(not brain.get("available", True) and "root" in json.dumps(brain),
                  "not root: the gemini brain is unavailable and says why (%s)" % brain)
            return outcome(failures, tmp, log)
        check(brain.get("available") is True and brain.get("autonomy_gate") == ai, "the %s brain is gated (%s)" % (AGENT, brain))

        def run_task(name, decide):
            return daemon.run_task(AGENT, "paios-script:" + name, decide, stub_log, tool_results, name)

        # The person takes longer than the 10 s their own hook may run: the run's hook is the one that waits (had the
        # person's hook been the one, Gemini would have run the call it denies once that hook's time was up).
        results = approve_then_deny(run_task, daemon, project, check, think_s=12)
        log("tool results:", results)
        check(os.path.exists(marker), "in the daemon's task too, the dangerous rm did not run: the marker is there")
        check(len(results) == 2 and "rm-recursive-outside-project" in results[0], "the model got the rule's reason")
        events = ai_json("obs", "--category", "autonomy", "--limit", "100").get("events", [])
        check(any(e.get("data", {}).get("brain") == AGENT for e in events),
              "the gate's decisions name the agent %s as their brain" % AGENT)
    finally:
        stop_all(procs)
    return outcome(failures, tmp, log)


if __name__ == "__main__":
    sys.exit(main())
