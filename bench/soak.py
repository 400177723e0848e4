#!/usr/bin/python3
"""Soak (issue 20): a real paiosd under a bounded mixed load for a given time, sampled every few seconds.

The load, in rounds at --rate rounds a second, each round one of:
  tasks on the echo brain and on process brains (fake agent CLIs: answering, slow ones cancelled midway, hanging
  ones ended by their timeout, ones that leave a grandchild behind), MCP tool calls through a fake MCP server,
  PostToolUse hooks through `ai hook`, knowledge-base adds and searches, observability queries and status;
and a job every second on the scheduler (a task on echo).

Every --sample seconds it records paiosd's resident memory, open descriptors, threads, child processes (and all of
their descendants), the database files' sizes and the rounds done, as CSV (--csv). At the end it compares the last
samples with those after the warm-up (the first fifth): with --check it fails (exit 1) on a leak of processes
(descendants left over once the load stops) or of descriptors (more open than after the warm-up, beyond a small
margin) or on paiosd not answering a ping after it, and prints why. Memory and database growth are reported, not judged: the knowledge base grows by design.

  soak.py --paiosd build/daemon/paiosd --ai build/cli/ai --minutes 5 [--rate 20] [--sample 5] [--csv F] [--check]

Exit: 0 ok; 1 with --check, a leak, or paiosd not answering once the load stopped (load steps that failed, e.g.
a task past its deadline on a loaded machine, are reported, not judged); 2 bad arguments.
"""
import argparse
import csv
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time

import zmq

HERE = os.path.dirname(os.path.abspath(__file__))
FAKES = os.path.join(HERE, "..", "tests", "fake_agents")


def log(*a):
    print("[soak]", *a, flush=True)


def config(home):
    fake = lambda name, mode, timeout_ms=30000, extra=None: {  # noqa: E731
        "kind": "process", "format": "claude-stream-json", "command": [os.path.join(FAKES, "fake-claude")],
        "env": dict({"FAKE_MODE": mode, "FAKE_DELAY_MS": "200"}, **(extra or {})), "timeout_ms": timeout_ms,
        "autonomy_gate": False}
    return {
        "obs": {"http": {"endpoint": ""}},
        "log": {"level": "warn"},
        "notify": {"notify_send": False},
        "tasks": {"default_brain": "echo", "failover": []},
        "router": {"threshold": 1, "chains": {"chat": ["echo"]}},
        "brains": {"fake_ok": fake("fake_ok", "ok"), "fake_slow": fake("fake_slow", "slow"),
                   "fake_hang": fake("fake_hang", "hang", timeout_ms=400),
                   "fake_grandchild": fake("fake_grandchild", "grandchild")},
        "mcp": {"servers": {"fake": {"command": [os.path.join(FAKES, "fake-mcp-server")], "timeout_ms": 5000}}},
        "scheduler": {"jobs": {"soak": {"schedule": "every 1s",
                                        "action": {"task": {"prompt": "a job's task", "brain": "echo"}}}}},
    }


class Client:
    def __init__(self, ctx, endpoint):
        self.sock = ctx.socket(zmq.DEALER)
        self.sock.setsockopt(zmq.LINGER, 0)
        self.sock.connect(endpoint)
        self.n = 0

    def request(self, op, timeout_ms=30000, **fields):
        """Sends one request and reads replies up to its terminal one (a task streams several); the last."""
        self.n += 1
        rid = "s%d" % self.n
        self.sock.send(json.dumps(dict({"v": 1, "op": op, "id": rid}, **fields)).encode())
        deadline = time.monotonic() + timeout_ms / 1000.0
        last = None
        while True:
            left = int((deadline - time.monotonic()) * 1000)
            if left <= 0 or self.sock.poll(left) == 0:
                return last
            r = json.loads(self.sock.recv())
            if r.get("id") != rid:
                continue  # a late reply to a request given up on
            last = r
            if op != "task.submit" or r.get("type") in ("result", "error"):
                return r


def descendants(pid):
    """Every process under pid (children, their children, ...), from /proc."""
    kids = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % d) as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        kids.setdefault(ppid, []).append(int(d))
    out, todo = [], [pid]
    while todo:
        for c in kids.get(todo.pop(), []):
            out.append(c)
            todo.append(c)
    return out


def sample(pid, home, rounds):
    status = {}
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            k, _, v = line.partition(":")
            status[k] = v.strip()
    data = os.path.join(home, "data")
    db_bytes = sum(os.path.getsize(os.path.join(data, f)) for f in os.listdir(data)) if os.path.isdir(data) else 0
    return {"t": round(time.monotonic(), 1), "rss_kb": int(status["VmRSS"].split()[0]),
            "fds": len(os.listdir("/proc/%d/fd" % pid)), "threads": int(status["Threads"]),
            "descendants": len(descendants(pid)), "db_bytes": db_bytes, "rounds": rounds}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--paiosd", required=True)
    ap.add_argument("--ai", required=True)
    ap.add_argument("--minutes", type=float, default=5)
    ap.add_argument("--rate", type=float, default=20, help="rounds of load a second")
    ap.add_argument("--sample", type=float, default=5, help="seconds between samples")
    ap.add_argument("--csv")
    ap.add_argument("--check", action="store_true")
    ap.add_argument("--keep", action="store_true", help="keep the daemon's PAIOS_HOME (its path is printed)")
    ap.add_argument("--no-kb-adds", action="store_true",
                    help="leave knowledge-base adds out of the load (the knowledge base grows by design: without them "
                         "resident memory should stay flat once warm)")
    args = ap.parse_args()
    if args.minutes <= 0 or args.rate <= 0 or args.sample <= 0:
        print("soak.py: --minutes, --rate and --sample must be positive", file=sys.stderr)
        return 2

    home = tempfile.mkdtemp(prefix="paios-soak-")
    with open(os.path.join(home, "config.json"), "w") as f:
        json.dump(config(home), f)
    hook_payload = json.dumps({"session_id": "soak", "cwd": home, "hook_event_name": "PostToolUse",
                               "tool_name": "Bash", "tool_input": {"command": "ls"},
                               "tool_response": {"stdout": "soak output", "stderr": ""}, "tool_use_id": "t"})
    daemon = subprocess.Popen([args.paiosd, "--home", home], stderr=open(os.path.join(home, "stderr.log"), "w"))
    endpoint = "ipc://" + os.path.join(home, "run", "paiosd.sock")
    ctx = zmq.Context()
    c = Client(ctx, endpoint)
    failures, samples, counts, alive = [], [], {}, False
    try:
        up = None
        for _ in range(300):
            up = c.request("ping", 200) if os.path.exists(os.path.join(home, "run", "paiosd.sock")) else None
            if up and up.get("type") != "error":
                break
            time.sleep(0.05)
        if not up:
            log("paiosd did not answer:", open(os.path.join(home, "stderr.log")).read()[-2000:])
            return 1
        rng = random.Random(18)

        def expect(what, r, ok=lambda r: r is not None and r.get("type") != "error"):
            counts[what] = counts.get(what, 0) + 1
            if not ok(r):
                failures.append((what, r))

        def cancelled_slow():
            """A slow agent's task, cancelled once its first chunk arrived; it ends `cancelled`."""
            c.n += 1
            rid = "slow%d" % c.n
            c.sock.send(json.dumps({"v": 1, "op": "task.submit", "id": rid, "prompt": "a slow one",
                                    "brain": "fake_slow"}).encode())
            tid, last, deadline = None, None, time.monotonic() + 30
            while time.monotonic() < deadline and c.sock.poll(1000):
                r = json.loads(c.sock.recv())
                if r.get("id") != rid:
                    continue
                tid = tid or r.get("task_id")
                if r.get("type") == "chunk" and tid and last is None:
                    last = "c" + rid  # the cancel's reply, if it comes before the task's end, is read by later calls
                    c.sock.send(json.dumps({"v": 1, "op": "task.cancel", "id": last, "task_id": tid}).encode())
                    counts["cancel"] = counts.get("cancel", 0) + 1
                if r.get("type") in ("result", "error"):
                    expect("task cancelled", r, lambda r: r.get("state") in ("cancelled", "succeeded"))
                    return
            failures.append(("task cancelled", "no terminal reply"))

        load = [
            lambda: expect("task echo", c.request("task.submit", prompt="soak %d" % rng.randrange(10**6), brain="echo")),
            lambda: expect("task fake", c.request("task.submit", prompt="soak", brain="fake_ok")),
            lambda: expect("task timeout", c.request("task.submit", prompt="hang", brain="fake_hang"),
                           lambda r: r is not None and r.get("type") == "error"),
            lambda: expect("task grandchild", c.request("task.submit", prompt="gc", brain="fake_grandchild")),
            cancelled_slow,
            lambda: expect("mcp call", c.request("tools.call", name="fake_echo", arguments={"text": "soak"})),
            lambda: expect("hook", subprocess.run([args.ai, "--home", home, "hook", "post-tool-use"],
                                                  input=hook_payload, capture_output=True, text=True, timeout=30),
                           lambda r: r.returncode == 0),
            lambda: expect("kb add", c.request("kb.add", content="soak note %d about zeromq" % rng.randrange(10**6),
                                               kind="note", title="soak")),
            lambda: expect("kb search", c.request("kb.search", query="zeromq", k=5)),
            lambda: expect("obs", c.request("obs.query", limit=20)),
            lambda: expect("status", c.request("status")),
        ]
        weights = [8, 3, 1, 1, 1, 2, 2, 0 if args.no_kb_adds else 2, 2, 1, 1]
        end = time.monotonic() + args.minutes * 60
        next_sample = time.monotonic()
        rounds = 0
        while time.monotonic() < end:
            started = time.monotonic()
            rng.choices(load, weights)[0]()
            rounds += 1
            if time.monotonic() >= next_sample:
                samples.append(sample(daemon.pid, home, rounds))
                log("sample", samples[-1])
                next_sample += args.sample
            time.sleep(max(0.0, 1.0 / args.rate - (time.monotonic() - started)))
        # The load has stopped: what runs now is what the daemon keeps (its MCP server) or leaked.
        settled = time.monotonic() + 10
        while time.monotonic() < settled and sample(daemon.pid, home, rounds)["descendants"] > 1:
            time.sleep(0.2)
        samples.append(sample(daemon.pid, home, rounds))
        log("after the load", samples[-1])
        pong = c.request("ping", 10000)
        alive = pong is not None and pong.get("type") != "error"
        data = os.path.join(home, "data")
        log("files in data/:", {f: os.path.getsize(os.path.join(data, f)) for f in sorted(os.listdir(data))})
    finally:
        if args.csv and samples:
            with open(args.csv, "w", newline="") as f:
                w = csv.DictWriter(f, fieldnames=list(samples[0]))
                w.writeheader()
                w.writerows(samples)
        daemon.send_signal(signal.SIGTERM)
        try:
            daemon.wait(30)
        except subprocess.TimeoutExpired:
            daemon.kill()
        ctx.destroy(0)

    log("rounds:", counts)
    warm = samples[max(1, len(samples) // 5) - 1]
    last = samples[-1]
    growth = {k: last[k] - warm[k] for k in ("rss_kb", "fds", "threads", "descendants", "db_bytes")}
    log("after warm-up:", warm, "end:", last, "growth:", growth)
    bad = []
    if failures:  # reported; on a loaded machine a step may miss its own deadline without anything leaking
        log("%d load steps failed, e.g. %s" % (len(failures), failures[:3]))
    if not alive:
        bad.append("paiosd did not answer a ping after the load")
    if last["descendants"] > 1:  # the fake MCP server stays; anything else is a leaked process
        bad.append("%d processes under paiosd after the load (its MCP server is 1)" % last["descendants"])
    if last["fds"] > warm["fds"] + 8:
        bad.append("open descriptors grew from %d after the warm-up to %d" % (warm["fds"], last["fds"]))
    if args.keep:
        log("kept:", home)
    else:
        shutil.rmtree(home, ignore_errors=True)
    for b in bad:
        log("FAIL:", b)
    return 1 if args.check and bad else 0


if __name__ == "__main__":
    sys.exit(main())
