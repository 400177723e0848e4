#!/usr/bin/python3
"""The watchers end to end, in a real paiosd (docs/benchmarks.md, "Watchers"): how long after a writer closes a
file its `watch file` event is taken (p50, p99); how long after an image's close its description (by the fake
vision brain, tests/fake_agents/fake-vision) is found by kb.search; a flood of files worked through in files/s,
with paiosd's resident memory before, after and at its peak.

  /usr/bin/python3 bench/watch_daemon_bench.py --paiosd build/daemon/paiosd [--files 10000] [--latency 300]
      [--images 20]

Needs python3-zmq (Debian's /usr/bin/python3). Prints one line per measure and exits non-zero if a file was
lost or handled twice.
"""
import argparse
import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import time
import zlib

import zmq

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def png_saying(text):
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 6, 0, 0, 0)) +
            chunk(b"tEXt", b"Description\0" + text.encode()) + chunk(b"IDAT", zlib.compress(b"\0" * 5)) +
            chunk(b"IEND", b""))


class Daemon:
    def __init__(self, paiosd, home):
        self.home = home
        self.proc = subprocess.Popen([paiosd, "--home", home], stdout=subprocess.DEVNULL,
                                     stderr=open(os.path.join(home, "paiosd.log"), "w"))
        self.ctx = zmq.Context()
        self.sock = self.ctx.socket(zmq.DEALER)
        self.sock.setsockopt(zmq.LINGER, 0)
        self.sock.connect("ipc://" + os.path.join(home, "run", "paiosd.sock"))
        self.n = 0
        deadline = time.time() + 15
        while time.time() < deadline:
            try:
                if self.ask({"op": "ping"}, timeout_ms=500).get("type") == "pong":
                    return
            except TimeoutError:
                pass
        raise SystemExit("paiosd did not start: see " + os.path.join(home, "paiosd.log"))

    def ask(self, req, timeout_ms=10000):
        self.n += 1
        req = dict(req, v=1, id="b%d" % self.n)
        self.sock.send(json.dumps(req).encode())
        deadline = time.time() + timeout_ms / 1000
        while True:
            left = int((deadline - time.time()) * 1000)
            if left <= 0 or not self.sock.poll(left):
                raise TimeoutError(req["op"])
            reply = json.loads(self.sock.recv())
            if reply.get("id") == req["id"]:
                return reply

    def rss_kb(self, field="VmRSS"):
        with open("/proc/%d/status" % self.proc.pid) as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
        return 0

    def folder(self, path):
        for f in self.ask({"op": "watch.list"}).get("folders", []):
            if f.get("path") == path:
                return f
        return {}

    def stop(self):
        self.proc.terminate()
        self.proc.wait(30)
        self.ctx.destroy(0)


def pct(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(p * len(values)))] if values else float("nan")


def write(path, data):
    with open(path, "wb") as f:
        f.write(data)
    return time.time_ns() // 1000  # the close


def wait_handled(d, drop, n, within_s):
    deadline = time.time() + within_s
    while time.time() < deadline:
        f = d.folder(drop)
        if f.get("handled", 0) + f.get("failed", 0) >= n and f.get("queued", 1) == 0 and f.get("in_flight", 1) == 0:
            return f
        time.sleep(0.02)
    return d.folder(drop)


def file_events(d, want, within_s=30):
    """The `watch file` events by path: (end time in µs, count)."""
    deadline = time.time() + within_s
    while True:
        events, before = {}, None
        while True:
            q = {"op": "obs.query", "category": "watch", "action": "file", "limit": 10000}
            if before:
                q["before"] = before
            r = d.ask(q)
            for e in r.get("events", []):
                path = e["data"].get("path", "")
                end = e["time_us"] + e.get("duration_us", 0)
                t, c = events.get(path, (end, 0))
                events[path] = (min(t, end), c + 1)
            before = r.get("next")
            if not before or not r.get("events"):
                break
        if sum(c for _, c in events.values()) >= want or time.time() > deadline:
            return events
        time.sleep(0.2)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--paiosd", required=True)
    ap.add_argument("--files", type=int, default=10000)
    ap.add_argument("--latency", type=int, default=300)
    ap.add_argument("--images", type=int, default=20)
    args = ap.parse_args()

    work = tempfile.mkdtemp(prefix="paios-watch-bench-")
    home, drop = os.path.join(work, "home"), os.path.join(work, "drop")
    os.makedirs(home)
    os.makedirs(drop)
    config = {
        "brains": {"vision": {"kind": "process", "command": [os.path.join(ROOT, "tests/fake_agents/fake-vision")],
                              "format": "text"}},
        "tasks": {"default_brain": "vision", "failover": []},
        "scheduler": {"jobs": {"heartbeat": None}},
        "notify": {"notify_send": False},
        "watchers": {"folders": [{"path": drop}], "vision_brain": "vision"},
    }
    with open(os.path.join(home, "config.json"), "w") as f:
        json.dump(config, f)
    d = Daemon(args.paiosd, home)
    failures = []
    try:
        wait_handled(d, drop, 0, 15)
        rss_idle = d.rss_kb()

        # Latency: one file at a time, 5 ms apart; each from its close to its event.
        closes = {}
        for i in range(args.latency):
            path = os.path.join(drop, "lat-%04d.bin" % i)
            closes[path] = write(path, b"latency sample %d\n" % i)
            time.sleep(0.005)
        wait_handled(d, drop, args.latency, 60)
        events = file_events(d, args.latency)
        lat = [(events[p][0] - c) / 1000.0 for p, c in closes.items() if p in events]
        if len(lat) != args.latency:
            failures.append("latency: %d of %d files have an event" % (len(lat), args.latency))
        print("close to `watch file` event: p50 %.2f ms, p99 %.2f ms, max %.2f ms (%d files)" %
              (pct(lat, 0.5), pct(lat, 0.99), max(lat), len(lat)))

        # Images: from the close to the description found by kb.search.
        found = []
        for i in range(args.images):
            word = "zq%05dword" % i
            path = os.path.join(drop, "shot-%03d.png" % i)
            closed = write(path, png_saying("a whiteboard that says " + word))
            deadline = time.time() + 60
            while time.time() < deadline:
                hits = d.ask({"op": "kb.search", "query": word, "k": 3}).get("results", [])
                if any(h.get("source") == path for h in hits):
                    found.append((time.time_ns() // 1000 - closed) / 1000.0)
                    break
                time.sleep(0.01)
        if len(found) != args.images:
            failures.append("images: %d of %d descriptions found within 60 s" % (len(found), args.images))
        print("image close to description searchable: p50 %.0f ms, max %.0f ms (%d images)" %
              (pct(found, 0.5), max(found) if found else float("nan"), len(found)))

        # Flood: as fast as one writer can; then until every file is handled.
        before = wait_handled(d, drop, args.latency + args.images, 60).get("handled", 0)
        rss_before = d.rss_kb()
        start = time.time()
        for i in range(args.files):
            write(os.path.join(drop, "flood-%05d.bin" % i), b"flood entry %d\n" % i)
        written = time.time() - start
        f = wait_handled(d, drop, before + args.files, 600)
        took = time.time() - start
        handled = f.get("handled", 0) - before
        if handled != args.files:
            failures.append("flood: %d of %d files handled" % (handled, args.files))
        rss_after = d.rss_kb()
        peak = d.rss_kb("VmHWM")
        events = file_events(d, args.latency + args.images + args.files)
        twice = sum(1 for _, c in events.values() if c > 1)
        if twice:
            failures.append("%d files have more than one `watch file` event" % twice)
        print("flood of %d files: written in %.1f s, all handled in %.1f s: %.0f files/s" %
              (args.files, written, took, args.files / took))
        print("paiosd resident memory: %.1f MB idle, %.1f MB before the flood, %.1f MB after, %.1f MB peak" %
              (rss_idle / 1024, rss_before / 1024, rss_after / 1024, peak / 1024))
    finally:
        d.stop()
        shutil.rmtree(work, ignore_errors=True)
    for f in failures:
        print("FAILED: " + f)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
