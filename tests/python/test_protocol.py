#!/usr/bin/python3
"""A protocol client written only from docs/protocol.md, driving a real paiosd.

Run by ctest with Debian's /usr/bin/python3 (python3-zmq). Starts paiosd in a temporary PAIOS_HOME with the
echo brain, exercises every operation and every error code of the page, and prints 'N passed, N failed'.
"""
import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

import zmq

results = {"passed": 0, "failed": 0}


def poll_until(read, done, within=10.0, every=0.05):
    """Calls read() until done(value) holds or `within` seconds have passed; returns the last value read."""
    deadline = time.monotonic() + within
    value = read()
    while not done(value) and time.monotonic() < deadline:
        time.sleep(every)
        value = read()
    return value


def check(name, condition, detail=""):
    if condition:
        results["passed"] += 1
    else:
        results["failed"] += 1
        print(f"FAIL {name}: {detail}", file=sys.stderr)


class Client:
    def __init__(self, ctx, endpoint):
        self.sock = ctx.socket(zmq.DEALER)
        self.sock.setsockopt(zmq.LINGER, 0)
        self.sock.connect(endpoint)

    def send(self, obj):
        self.sock.send(json.dumps(obj).encode())

    def recv(self, timeout_ms=10000):
        if self.sock.poll(timeout_ms) == 0:
            return None
        return json.loads(self.sock.recv())

    def call(self, obj):
        self.send(obj)
        return self.recv()

    def submit(self, obj):
        """Sends a task.submit and collects replies up to the terminal one."""
        self.send(obj)
        out = []
        while True:
            r = self.recv(30000)
            if r is None:
                return out
            out.append(r)
            if r["type"] in ("result", "error"):
                return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--paiosd", required=True)
    ap.add_argument("--ai", required=True)
    args = ap.parse_args()

    home = tempfile.mkdtemp(prefix="paios-pytest-")
    with open(os.path.join(home, "config.json"), "w") as f:
        json.dump({"tasks": {"default_brain": "echo", "failover": []},
                   "router": {"threshold": 1, "chains": {"chat": ["echo"]}},
                   "bridge": {"max_message_bytes": 65536}}, f)
    daemon = subprocess.Popen([args.paiosd, "--home", home], stderr=subprocess.PIPE)
    endpoint = "ipc://" + os.path.join(home, "run", "paiosd.sock")
    ctx = zmq.Context()
    try:
        c = Client(ctx, endpoint)
        pong = poll_until(lambda: c.call({"v": 1, "op": "ping", "id": "p"}), lambda r: r is not None)
        check("ping", pong and pong["type"] == "pong" and pong["id"] == "p", pong)

        # The subscription is in place once an event published after it arrives (a SUB socket misses what is
        # published before its subscription reaches the publisher).
        events = ctx.socket(zmq.SUB)
        events.connect("ipc://" + os.path.join(home, "run", "events.sock"))
        events.setsockopt(zmq.SUBSCRIBE, b"")

        def probe_seen():
            c.call({"v": 1, "op": "event.publish", "category": "probe", "action": "subscribed"})
            while events.poll(100):
                if events.recv_multipart()[0] == b"event.probe":
                    return True
            return False

        check("event stream subscribed", poll_until(probe_seen, lambda seen: seen, every=0), "no event.probe")

        # task.submit, streamed
        replies = c.submit({"v": 1, "op": "task.submit", "id": "s1", "prompt": "hello mesh", "brain": "echo"})
        types = [r["type"] for r in replies]
        check("submit order", types == ["accepted", "routed", "chunk", "result"], types)
        check("submit ids", all(r.get("id") == "s1" for r in replies), replies)
        result = replies[-1]
        check("result text", result.get("text") == "hello mesh" and result.get("state") == "succeeded", result)
        check("result brain", result.get("brain") == "echo", result)
        task_id = replies[0].get("task_id", "")
        check("trace id", len(replies[0].get("trace_id", "")) == 32, replies[0])

        # traceparent carries the trace id
        tp = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
        replies = c.submit({"v": 1, "op": "task.submit", "prompt": "traced", "traceparent": tp, "stream": False})
        check("traceparent", replies[0].get("trace_id") == "4bf92f3577b34da6a3ce929d0e0e4736", replies)
        check("stream false", "chunk" not in [r["type"] for r in replies], replies)

        # task.get / task.list
        got = c.call({"v": 1, "op": "task.get", "id": "g", "task_id": task_id})
        check("task.get", got["type"] == "task" and got["task"]["state"] == "succeeded"
              and got["task"]["prompt"] == "hello mesh", got)
        listed = c.call({"v": 1, "op": "task.list", "limit": 5})
        check("task.list", listed["type"] == "tasks" and len(listed["tasks"]) == 2
              and "prompt_preview" in listed["tasks"][0], listed)
        listed = c.call({"v": 1, "op": "task.list", "state": "failed"})
        check("task.list filter", listed["type"] == "tasks" and listed["tasks"] == [], listed)

        # task.cancel of a finished task
        cancelled = c.call({"v": 1, "op": "task.cancel", "task_id": task_id})
        check("cancel finished", cancelled["type"] == "cancel" and cancelled["cancelled"] is False
              and cancelled["state"] == "succeeded", cancelled)

        # event.publish: acknowledged, then on the stream
        ack = c.call({"v": 1, "op": "event.publish", "id": "e", "category": "hook", "action": "post-tool-use",
                      "data": {"tool": "Bash"}})
        check("event.publish", ack["type"] == "ack" and ack["event_id"].startswith("e-"), ack)
        seen = []

        def next_event():
            if events.poll(100):
                seen.append(tuple(events.recv_multipart()))
            return seen

        poll_until(next_event, lambda s: any(t == b"event.hook" for t, _ in s), every=0)
        hook = [json.loads(b) for t, b in seen if t == b"event.hook"]
        check("event stream", hook and hook[0]["data"] == {"tool": "Bash"}, seen)
        check("task stream", any(t == b"task.result" for t, _ in seen), seen)

        # traces: the traced task's span tree, under the client's span; then queries, paging and scores
        tr = c.call({"v": 1, "op": "obs.trace", "trace_id": "4bf92f3577b34da6a3ce929d0e0e4736"})
        spans = tr.get("spans", [])
        by_kind = {(sp["category"], sp["action"]): sp for sp in spans}
        check("obs.trace", tr["type"] == "trace" and ("bridge", "task.submit") in by_kind
              and ("task", "run") in by_kind and ("brain", "call") in by_kind, tr)
        root = by_kind.get(("bridge", "task.submit"), {})
        run = by_kind.get(("task", "run"), {})
        check("span tree", root.get("parent_id") == "00f067aa0ba902b7" and run.get("parent_id") == root.get("span_id")
              and by_kind.get(("brain", "call"), {}).get("parent_id") == run.get("span_id"), spans)
        page = c.call({"v": 1, "op": "obs.query", "category": "brain", "limit": 1})
        check("obs.query", page["type"] == "events" and len(page["events"]) == 1
              and page["events"][0]["category"] == "brain" and page["next"] is not None, page)
        older = c.call({"v": 1, "op": "obs.query", "category": "brain", "limit": 1, "before": page["next"]})
        check("obs.query paging", older["type"] == "events" and len(older["events"]) == 1
              and older["events"][0]["event_id"] != page["events"][0]["event_id"], older)
        scored = c.call({"v": 1, "op": "obs.score", "task_id": task_id, "score": 4, "note": "fine"})
        check("obs.score", scored["type"] == "scored" and scored["score"] == 4, scored)
        check("obs.score range", c.call({"v": 1, "op": "obs.score", "task_id": task_id, "score": 6})["code"] == "bad_request")
        check("obs.score unknown", c.call({"v": 1, "op": "obs.score", "task_id": "t-none", "score": 3})["code"] == "not_found")
        best = c.call({"v": 1, "op": "obs.query", "min_score": 4, "limit": 1000})
        check("obs.query score", best["events"] and all(e["trace_id"] == scored["trace_id"] for e in best["events"]), best)

        # status
        st = c.call({"v": 1, "op": "status"})
        check("status", st["type"] == "status" and st["daemon"]["pid"] == daemon.pid
              and any(b["name"] == "echo" and b["available"] for b in st["brains"])
              and st["tree"]["name"] == "root", st)

        # every error code a client can provoke
        def error_of(frames):
            c.sock.send_multipart(frames)
            r = c.recv()
            return (r or {}).get("code")

        check("bad_frame", error_of([b'{"v":1,"op":"ping"}', b"extra"]) == "bad_frame")
        check("bad_json", error_of([b"{not json"]) == "bad_json")
        check("bad_json array", error_of([b"[1,2]"]) == "bad_json")
        check("bad_version", error_of([b'{"v":2,"op":"ping"}']) == "bad_version")
        check("bad_version missing", error_of([b'{"op":"ping"}']) == "bad_version")
        check("unknown_op", error_of([b'{"v":1,"op":"nope"}']) == "unknown_op")
        check("bad_request", error_of([b'{"v":1,"op":"task.submit"}']) == "bad_request")
        check("bad_request type", error_of([b'{"v":1,"op":"task.submit","prompt":5}']) == "bad_request")
        check("bad_request limit", error_of([b'{"v":1,"op":"task.list","limit":0}']) == "bad_request")
        check("too_large", error_of([json.dumps({"v": 1, "op": "task.submit", "prompt": "x" * 70000}).encode()])
              == "too_large")
        check("not_found", c.call({"v": 1, "op": "task.get", "task_id": "t-nope"})["code"] == "not_found")
        r = c.submit({"v": 1, "op": "task.submit", "prompt": "x", "brain": "nope"})
        check("unknown_brain", r and r[-1]["code"] == "unknown_brain" and "task_id" not in r[-1]
              and "echo" in r[-1]["message"], r)
        # breaker.reset: a configured brain's breaker closed; an unknown brain named, with the known ones
        reset = c.call({"v": 1, "op": "breaker.reset", "brain": "echo"})
        check("breaker.reset", reset and reset["type"] == "breaker" and reset["brain"] == "echo"
              and reset["breaker"]["state"] == "closed", reset)
        reset = c.call({"v": 1, "op": "breaker.reset", "brain": "nope"})
        check("breaker.reset unknown_brain", reset and reset["code"] == "unknown_brain" and "echo" in reset["message"],
              reset)
        # autonomy.*: the policy's rules with their sources, a decision explained, a demotion of nothing learned
        policy = c.call({"v": 1, "op": "autonomy.show"})
        sources = {r["source"] for r in policy.get("rules", [])} if policy else set()
        check("autonomy.show", policy and policy["type"] == "autonomy.policy" and policy["learned_shown"] is True
              and "builtin" in sources and all({"id", "level", "reason", "matches"} <= r.keys() for r in policy["rules"]),
              policy)
        decision = c.call({"v": 1, "op": "autonomy.check", "command": "sudo rm -rf /", "cwd": "/tmp"})
        check("autonomy.check", decision and decision["type"] == "autonomy.decision" and decision["level"] == "never"
              and decision["rule"] and decision["reason"], decision)
        file_call = c.call({"v": 1, "op": "autonomy.check", "tool": "Write", "path": "/etc/passwd", "cwd": "/tmp"})
        check("autonomy.check file tool", file_call and file_call["level"] == "never", file_call)
        check("autonomy.check bad_request", c.call({"v": 1, "op": "autonomy.check", "cwd": "tmp", "command": "ls"})
              ["code"] == "bad_request")
        demoted = c.call({"v": 1, "op": "autonomy.demote", "pattern": "npm install"})
        check("autonomy.demote not_found", demoted and demoted["code"] == "not_found"
              and "npm install" in demoted["message"], demoted)
        check("still serving", c.call({"v": 1, "op": "ping"})["type"] == "pong")

        # jobs.*: the default heartbeat job, run now, then in its history
        jobs = c.call({"v": 1, "op": "jobs.list", "id": "j1"})
        names = [j["name"] for j in jobs.get("jobs", [])] if jobs else []
        check("jobs.list", jobs and jobs["type"] == "jobs" and "heartbeat" in names and "timezone" in jobs, jobs)
        started = c.call({"v": 1, "op": "jobs.run", "name": "heartbeat"})
        check("jobs.run", started and started["type"] == "job.started" and len(started.get("trace_id", "")) == 32,
              started)

        def finished_runs():
            hist = c.call({"v": 1, "op": "jobs.history", "name": "heartbeat", "limit": 5})
            return [r for r in (hist or {}).get("runs", []) if r["outcome"] != "running"]

        runs = poll_until(finished_runs, lambda rs: rs)
        check("jobs.history", runs and runs[0]["outcome"] == "ok" and runs[0]["trigger"] == "manual"
              and runs[0]["trace_id"] == started.get("trace_id"), runs)
        check("jobs not_found", c.call({"v": 1, "op": "jobs.run", "name": "nope"})["code"] == "not_found")

        # report.get: today so far holds the tasks above, by brain; a date that is none is bad_request
        rep = c.call({"v": 1, "op": "report.get", "id": "r1"})
        echo = [b for b in (rep or {}).get("report", {}).get("tasks", {}).get("brains", []) if b["brain"] == "echo"]
        check("report.get", rep and rep["type"] == "report" and rep["id"] == "r1" and rep["complete"] is False
              and echo and echo[0]["tasks"] >= 1 and rep["markdown"].startswith("# PAIOS report " + rep["date"]), rep)
        bad = c.call({"v": 1, "op": "report.get", "date": "2026-02-30"})
        check("report.get bad_request", bad and bad["code"] == "bad_request" and "2026-02-30" in bad["message"], bad)

        # the ai client sees what we stored
        out = subprocess.run([args.ai, "--home", home, "task", task_id], capture_output=True, text=True)
        check("ai task", out.returncode == 0 and "succeeded" in out.stdout, out)

        # shutting_down: SIGTERM, then the daemon exits 0
        daemon.send_signal(signal.SIGTERM)
        code = daemon.wait(30)
        check("orderly exit", code == 0, code)
    finally:
        if daemon.poll() is None:
            daemon.kill()
            daemon.wait()
        ctx.destroy(linger=0)
        shutil.rmtree(home, ignore_errors=True)

    print(f"{results['passed']} passed, {results['failed']} failed")
    return 0 if results["failed"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
