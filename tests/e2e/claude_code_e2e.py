#!/usr/bin/python3
"""End to end with the real Claude Code, offline: its npm package (which ships the native binary) is installed into
the build tree, ANTHROPIC_BASE_URL points at a stub Messages API on loopback (tests/e2e/stub_messages_api.py, which
scripts the model's replies, a tool_use of mcp__paios__kb_search among them), and the PAIOS hooks are installed with
`ai hooks install` into a temporary project. Two `claude -p` sessions on that project prove that:
  1. the SessionStart context (an article of the knowledge base, in its envelope) reaches the model's request;
  2. a PostToolUse result (the Read of a source file) becomes searchable;
  3. the Stop gate blocks the announced-but-not-done answer once, then lets the session end;
  4. the SessionEnd learning of session 1 is injected into session 2 on the same project.

Usage: claude_code_e2e.py BUILD_DIR PAIOSD AI
Exit: 0 passed; 1 failed; 77 skipped (npm cannot reach its registry, or no native binary for this machine).
"""
import fcntl
import glob
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

VERSION = "2.1.197"
HERE = os.path.dirname(os.path.abspath(__file__))


def log(*a):
    print("[claude e2e]", *a, flush=True)


def claude_binary(build):
    """Claude Code's native binary, installed into BUILD/e2e on first use; an exclusive lock on that folder keeps
    the tests that use it (claude_code_e2e, claude_code_autonomy_e2e, mcp_install_e2e) from installing it over each
    other."""
    prefix = os.path.join(build, "e2e")
    os.makedirs(prefix, exist_ok=True)
    with open(os.path.join(prefix, ".install.lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        return install_claude(prefix)


def install_claude(prefix):
    pattern = os.path.join(prefix, "node_modules/@anthropic-ai/claude-code-linux-*/claude")
    found = [p for p in glob.glob(pattern) if os.access(p, os.X_OK)]
    if not found:
        if subprocess.run(["npm", "ping", "--fetch-retries=0"], capture_output=True, timeout=60).returncode != 0:
            log("npm cannot reach its registry: skipped")
            sys.exit(77)
        r = subprocess.run(["npm", "install", "--no-audit", "--no-fund", "--prefix", prefix,
                            "@anthropic-ai/claude-code@" + VERSION], capture_output=True, text=True, timeout=600)
        if r.returncode != 0:
            log("npm install failed:", r.stderr[-2000:])
            sys.exit(1)
        found = [p for p in glob.glob(pattern) if os.access(p, os.X_OK)]
    if not found:
        log("no native Claude Code binary for this machine in", prefix, ": skipped")
        sys.exit(77)
    return found[0]


def stop_all(procs):
    """SIGTERM to each process, newest first; SIGKILL to one still running 15 s later."""
    for p in reversed(procs):
        p.send_signal(signal.SIGTERM)
        try:
            p.wait(timeout=15)
        except subprocess.TimeoutExpired:
            p.kill()


def outcome(failures, tmp, say):
    """The exit code; the temporary folder is kept for inspection when something failed."""
    if failures:
        say("kept for inspection:", tmp)
    else:
        shutil.rmtree(tmp, ignore_errors=True)
    say("passed" if not failures else "%d failed" % len(failures))
    return 1 if failures else 0


def main():
    build, paiosd, ai = sys.argv[1], os.path.abspath(sys.argv[2]), os.path.abspath(sys.argv[3])
    claude = claude_binary(build)
    tmp = tempfile.mkdtemp(prefix="paios-claude-e2e-")
    home, paios, project, stub_log = (os.path.join(tmp, d) for d in ("home", "paios", "project", "stub"))
    for d in (home, paios, os.path.join(project, "src"), stub_log):
        os.makedirs(d)
    with open(os.path.join(paios, "config.json"), "w") as f:
        json.dump({"obs": {"http": {"endpoint": ""}}, "hooks": {"deadline_ms": 3000, "context": {"timeout_ms": 2500}}}, f)
    with open(os.path.join(project, "src", "publisher.cpp"), "w") as f:
        f.write("// The publisher of the telemetry stream.\nint main() {\n  zmq::socket_t pub(ctx, zmq::socket_type::pub);\n"
                "  pub.set(zmq::sockopt::sndhwm, 1000);  // bursts reach 50k samples per second\n}\n")
    procs = []
    failures = []

    def check(ok, what):
        log(("ok:   " if ok else "FAIL: ") + what)
        if not ok:
            failures.append(what)

    def ai_run(*args, stdin=None):
        return subprocess.run([ai, "--home", paios, *args], capture_output=True, text=True, input=stdin, timeout=60)

    try:
        d = subprocess.Popen([paiosd, "--home", paios], stderr=open(os.path.join(tmp, "paiosd.stderr"), "w"))
        procs.append(d)
        for _ in range(300):
            if ai_run("ping").returncode == 0:
                break
            time.sleep(0.05)
        note = os.path.join(tmp, "zmq-hwm.md")
        with open(note, "w") as f:
            f.write("# ZeroMQ PUB drops at the HWM\n\nA ZeroMQ PUB socket drops telemetry samples silently once ZMQ_SNDHWM "
                    "messages wait for a subscriber: raise the HWM for bursty publishers. PUB never blocks.\n")
        check(ai_run("kb", "add", "--project", project, note).returncode == 0, "seeded the knowledge base (a note of the project)")
        r = subprocess.run([ai, "--home", paios, "hooks", "install", "--project", project], capture_output=True, text=True)
        check(r.returncode == 0, "ai hooks install: " + (r.stdout + r.stderr).strip())
        port_file = os.path.join(tmp, "stub.port")
        stub = subprocess.Popen(["/usr/bin/python3", os.path.join(HERE, "stub_messages_api.py"), port_file, stub_log, project])
        procs.append(stub)
        for _ in range(200):
            if os.path.exists(port_file):
                break
            time.sleep(0.05)
        port = open(port_file).read().strip()
        env = dict(os.environ, HOME=home, PAIOS_HOME=paios, ANTHROPIC_BASE_URL="http://127.0.0.1:" + port,
                   ANTHROPIC_API_KEY="sk-ant-e2e-stub", DISABLE_TELEMETRY="1", DISABLE_AUTOUPDATER="1",
                   DISABLE_ERROR_REPORTING="1", CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC="1", NO_PROXY="127.0.0.1",
                   CLAUDE_CODE_ENTRYPOINT="sdk-cli")
        for k in ("HTTPS_PROXY", "HTTP_PROXY", "https_proxy", "http_proxy"):
            env.pop(k, None)
        # The MCP registration is the one `ai mcp install claude` writes into the project's .mcp.json.
        r = subprocess.run([ai, "--home", paios, "mcp", "install", "claude", "--project", project], capture_output=True,
                           text=True, env=dict(os.environ, HOME=home))
        check(r.returncode == 0, "ai mcp install claude: " + (r.stdout + r.stderr).strip())
        mcp = os.path.join(project, ".mcp.json")
        common = ["--mcp-config", mcp, "--allowedTools", "Read,mcp__paios__kb_search", "--output-format", "json",
                  "--max-turns", "12", "--model", "claude-sonnet-4-5"]

        def session(prompt):
            before = set(os.listdir(stub_log))
            r = subprocess.run([claude, "-p", prompt, *common], cwd=project, env=env, capture_output=True, text=True,
                               timeout=300)
            log("claude exit", r.returncode, "stdout:", r.stdout[-600:].strip(), "stderr:", r.stderr[-600:].strip())
            new = sorted(set(os.listdir(stub_log)) - before)
            return r, [json.load(open(os.path.join(stub_log, n))) for n in new]

        r1, reqs1 = session("Why does the publisher drop telemetry samples?")
        check(r1.returncode == 0, "session 1 ran to its end")
        main1 = [q["body"] for q in reqs1 if q["body"].get("tools")]
        check(len(main1) >= 4, "session 1 made the scripted model calls (%d)" % len(main1))
        first = json.dumps(main1[0]) if main1 else ""
        check("PUB never blocks" in first and "OUTSIDE-CONTENT" in first,
              "SessionStart context (the article, in its envelope) reached the model's first request")
        gated = [b for b in main1 if "PAIOS quality gate" in json.dumps(b.get("messages", [])[-1:])]
        check(len(gated) == 1, "the Stop gate's reason reached the model once (%d)" % len(gated))
        tools_sent = {t.get("name") for b in main1 for t in b.get("tools", [])}
        check("mcp__paios__kb_search" in tools_sent, "the mcp__paios__ tools were offered to the model")

        q = json.loads(ai_run("--json", "obs", "--category", "hook", "--limit", "200").stdout or "{}")
        events = list(reversed(q.get("events", [])))
        names = [e["action"] for e in events]
        log("hook events:", names)
        stops = [e["data"].get("gate", {}) for e in events if e["action"] == "Stop"]
        check([s.get("decision") for s in stops] == ["block", "allow"] and stops[1].get("why") == "stop_hook_active",
              "Stop: blocked once, then let through (%s)" % stops)
        post = [e["data"]["payload"].get("tool_name") for e in events if e["action"] == "PostToolUse"]
        check("Read" in post and "mcp__paios__kb_search" in post, "PostToolUse for Read and mcp__paios__kb_search (%s)" % post)
        found = False
        for _ in range(150):
            s = json.loads(ai_run("--json", "kb", "search", "publisher bursts samples per second").stdout or "{}")
            found = any("50k samples per second" in h.get("passage", "") for h in s.get("results", []))
            if found:
                break
            time.sleep(0.2)
        check(found, "the Read result is searchable in the knowledge base")
        learned = False
        for _ in range(150):
            lst = json.loads(ai_run("--json", "kb", "list", "--kind", "learning").stdout or "{}")
            learned = any(a.get("project") == project for a in lst.get("articles", []))
            if learned:
                break
            time.sleep(0.2)
        check("SessionEnd" in names and learned, "SessionEnd left a learning for the project")

        r2, reqs2 = session("Second session: anything to know before I start?")
        main2 = [q["body"] for q in reqs2 if q["body"].get("tools")]
        first2 = json.dumps(main2[0]) if main2 else ""
        check(r2.returncode == 0 and "Learning: Why does the publisher drop telemetry samples" in first2,
              "session 2's first request holds session 1's learning")
    finally:
        stop_all(procs)
    return outcome(failures, tmp, log)


if __name__ == "__main__":
    sys.exit(main())
