"""What the autonomy gate's end-to-end tests share (claude_code_autonomy_e2e.py, agent_autonomy_e2e.py): waiting on a
condition, `ai` against one PAIOS_HOME, the requests a stub model API logged for one session, and a daemon task run to
its end while someone decides each approval it waits on."""
import json
import os
import subprocess
import time

PROXY_AND_PAIOS_VARIABLES = ("HTTPS_PROXY", "HTTP_PROXY", "https_proxy", "http_proxy", "PAIOS_HOME", "PAIOS_TASK_ID",
                             "TRACEPARENT")


def clean_environment(extra=()):
    """os.environ without proxies and without anything that would point `ai` or an agent at another daemon."""
    env = dict(os.environ)
    for k in PROXY_AND_PAIOS_VARIABLES + tuple(extra):
        env.pop(k, None)
    return env


def wait_for(what, condition, log, seconds=120):
    """Polls `condition` until it returns something true; None (and a line on the log) when `seconds` pass."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        v = condition()
        if v:
            return v
        time.sleep(0.1)
    log("gave up waiting for", what)
    return None


def session_requests(stub_log, before):
    """The request bodies a stub logged (one file each) since the listing `before`, in order."""
    return [json.load(open(os.path.join(stub_log, n))) for n in sorted(set(os.listdir(stub_log)) - before)]


class Daemon:
    """`ai --home PAIOS` with one environment."""

    def __init__(self, ai, paios, env, log):
        self.ai, self.paios, self.env, self.log = ai, paios, env, log

    def run(self, *args, timeout=60, env=None):
        return subprocess.run([self.ai, "--home", self.paios, *args], capture_output=True, text=True, timeout=timeout,
                              env=env or self.env)

    def json(self, *args):
        """`ai --json ARGS`: its JSON document, or its last JSON line; {} for none."""
        out = self.run("--json", *args).stdout
        try:
            return json.loads(out)
        except ValueError:
            lines = [l for l in out.splitlines() if l.strip()]
            return json.loads(lines[-1]) if lines else {}

    def pending(self):
        return self.json("approvals").get("approvals", [])

    def run_task(self, brain, prompt, decide, stub_log, results_of, name):
        """Runs `ai --brain BRAIN PROMPT`, deciding each pending approval with decide(approval) until the task ends;
        returns (ai's result, the approvals decided, results_of(the stub's requests of the session))."""
        before = set(os.listdir(stub_log))
        task = subprocess.Popen([self.ai, "--home", self.paios, "--json", "--brain", brain, prompt],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=self.env)
        decided = []
        while task.poll() is None:
            found = wait_for("a pending approval or the task's end", lambda: task.poll() is not None or self.pending(),
                             self.log, 240)
            if not found or task.poll() is not None:
                break
            for a in self.pending():
                decide(a)
                decided.append(a)
        out, err = task.communicate(timeout=60)
        lines = [json.loads(l) for l in out.splitlines() if l.strip().startswith("{")]
        self.log(name, "task:", (lines[-1] if lines else out[-300:]), err[-300:].strip())
        return (lines[-1] if lines else {}), decided, results_of(session_requests(stub_log, before))


def approve_then_deny(run_task, daemon, project, check, think_s=0):
    """Two daemon tasks whose `rm` of a file in the project (rule rm-in-project: ask) waits for a person: scripts
    "approve" (its last call `rm doomed-approved.txt`, which `ai approve` lets run) and "deny" (`rm doomed-denied.txt`,
    which `ai deny --reason` stops, the model told the reason). run_task(name, decide) -> (result, decided, results).
    think_s: how long the person takes to decide (what is tested is that the gate waits that long: a call denied
    after it must still not run). Returns the approve task's tool results."""
    def decide(*args):
        def answer(a):
            time.sleep(think_s)
            daemon.run(args[0], a["id"], *args[1:])
        return answer

    result, decided, approved = run_task("approve", decide("approve"))
    check(len(decided) == 1 and decided[0].get("tool") == "Bash" and decided[0].get("rule") == "rm-in-project",
          "ai approvals listed the ask of rule rm-in-project (%s)" % decided)
    check(result.get("type") == "result", "the approved task succeeded")
    check(not os.path.exists(os.path.join(project, "doomed-approved.txt")), "the approved rm ran: the file is gone")

    result, decided, results = run_task("deny", decide("deny", "--reason", "keep that file, e2e"))
    check(len(decided) == 1, "the second task waited for a decision too")
    check(os.path.exists(os.path.join(project, "doomed-denied.txt")), "the denied rm did not run: the file is there")
    check(any("keep that file, e2e" in t for t in results), "the model got the person's reason (%s)" % results)
    check(result.get("type") == "result", "the denied task still ended with the model's answer")
    return approved
