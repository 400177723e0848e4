#!/usr/bin/python3
"""The Python baseline of `ai hook` for bench/hook_bench: what a hook script written with pyzmq does, step for step
(read the hook's JSON from stdin, send hook.event on a DEALER, wait at most the deadline, print the output; on
no answer append the event to the spool under an flock and fsync it; always exit 0)."""
import fcntl
import json
import os
import secrets
import sys
import time

import zmq


def main():
    home = os.environ.get("PAIOS_HOME") or os.path.expanduser("~/.paios")
    deadline_ms = int(os.environ.get("PAIOS_HOOK_DEADLINE_MS", "150"))
    try:
        payload = json.load(sys.stdin)
    except ValueError:
        return 0
    event = payload.get("hook_event_name") or (sys.argv[1] if len(sys.argv) > 1 else "")
    uid = secrets.token_hex(8)
    req = {"v": 1, "op": "hook.event", "id": "h", "event": event, "uid": uid, "payload": payload}
    sock_path = os.path.join(home, "run", "paiosd.sock")
    reply = None
    if os.path.exists(sock_path):
        ctx = zmq.Context()
        s = ctx.socket(zmq.DEALER)
        s.setsockopt(zmq.LINGER, 0)
        s.connect("ipc://" + sock_path)
        s.send(json.dumps(req).encode())
        if s.poll(deadline_ms):
            reply = json.loads(s.recv())
        s.close()
        ctx.term()
    if reply is None or reply.get("type") == "error":
        os.makedirs(os.path.join(home, "spool"), mode=0o700, exist_ok=True)
        line = json.dumps({"uid": uid, "event": event, "payload": payload, "spooled_ms": int(time.time() * 1000),
                           "reason": "python hook"}) + "\n"
        with open(os.path.join(home, "spool", "hooks.lock"), "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            with open(os.path.join(home, "spool", "hooks.jsonl"), "a") as f:
                f.write(line)
                f.flush()
                os.fsync(f.fileno())
        return 0
    out = reply.get("output") or {}
    if out:
        print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
