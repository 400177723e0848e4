#!/usr/bin/python3 -S
# A fake agent CLI for tests: reads the prompt on stdin and prints what the real CLI it is named after prints
# (fake-claude: Claude Code stream-json, fake-codex: Codex exec --json, fake-gemini: Gemini CLI json,
# fake-text: the prompt itself; fake-vision: what the attached PNG images' text chunks say). FAKE_MODE picks a misbehaviour: ok (default), error, crash, hang,
# hang-ignore-term, slow (FAKE_DELAY_MS between chunks), flood-stderr (FAKE_STDERR_BYTES), partial,
# grandchild, exit3. FAKE_MODE_FILE names a file whose content, read at each call, replaces FAKE_MODE (so a test
# makes a brain fail, hang and recover on command); FAKE_CALLS_FILE gets one line per call (the prompt's first);
# FAKE_ENV_FILE gets the trace context it was started with (TRACEPARENT=..., PAIOS_TRACE_ID=...); FAKE_ARGV_FILE
# gets one JSON line per call: {"argv": its arguments, "PAIOS_HOME": that variable or null}.
import json
import os
import signal
import subprocess
import sys
import time

agent = os.path.basename(sys.argv[0]).replace("fake-", "")
mode = os.environ.get("FAKE_MODE", "ok")
if os.environ.get("FAKE_MODE_FILE"):
    try:
        with open(os.environ["FAKE_MODE_FILE"]) as f:
            mode = f.read().strip() or mode
    except OSError:
        pass
delay = int(os.environ.get("FAKE_DELAY_MS", "100")) / 1000.0
prompt = sys.stdin.buffer.read().decode("utf-8", "replace")
first_line = prompt.splitlines()[0] if prompt else ""
answer = "You asked: " + first_line
if os.environ.get("FAKE_CALLS_FILE"):
    with open(os.environ["FAKE_CALLS_FILE"], "a") as f:
        f.write(first_line + "\n")
if os.environ.get("FAKE_ENV_FILE"):
    with open(os.environ["FAKE_ENV_FILE"], "a") as f:
        for key in ("TRACEPARENT", "PAIOS_TRACE_ID", "PAIOS_TASK_ID"):
            f.write(key + "=" + os.environ.get(key, "") + "\n")
if os.environ.get("FAKE_ARGV_FILE"):
    with open(os.environ["FAKE_ARGV_FILE"], "a") as f:
        f.write(json.dumps({"argv": sys.argv[1:], "PAIOS_HOME": os.environ.get("PAIOS_HOME")}) + "\n")
out = sys.stdout


def line(obj):
    out.write(json.dumps(obj) + "\n")
    out.flush()


if mode == "hang-ignore-term":
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
if mode in ("hang", "hang-ignore-term"):
    while True:
        time.sleep(3600)
if mode == "exit3":
    sys.stderr.write("fatal: quota exceeded for this account\n")
    sys.exit(3)
if mode == "flood-stderr":
    remaining = int(os.environ.get("FAKE_STDERR_BYTES", "1000000"))
    block = "x" * 65535 + "\n"
    while remaining > 0:
        sys.stderr.write(block[:remaining])
        remaining -= len(block)
    sys.stderr.flush()
if mode == "grandchild":
    subprocess.Popen(["sleep", "1000"])  # inherits stdout: the runner must not wait for it


def crash():
    out.flush()
    os.kill(os.getpid(), signal.SIGSEGV)


if agent == "vision":
    # A vision model's answer, recorded: for each attached image (a "- /path (image/...)" line of the prompt), the
    # text of its PNG tEXt chunks ("the image shows ..."), else its size; nothing for no image.
    import re
    import struct
    found = []
    for m in re.finditer(r"^- (/.+?)(?: \([\w.+-]+/[\w.+-]+\))?$", prompt, re.M):
        try:
            data = open(m.group(1), "rb").read()
        except OSError:
            continue
        texts = []
        at = 8
        while data.startswith(b"\x89PNG") and at + 8 <= len(data):
            size, kind = struct.unpack(">I4s", data[at:at + 8])
            if kind == b"tEXt":
                texts.append(data[at + 8:at + 8 + size].split(b"\0", 1)[-1].decode("latin-1"))
            at += 12 + size
        found.append("The image shows " + (" ".join(texts) if texts else "%d bytes of pixels" % len(data)) + ".")
    if mode == "error":
        sys.stderr.write("vision model unavailable\n")
        sys.exit(1)
    out.write("\n".join(found))
    out.flush()
    sys.exit(0)
if agent == "text":
    if mode == "slow":
        parts = 5
        size = max(1, (len(prompt) + parts - 1) // parts)
        for i in range(0, len(prompt), size):
            out.write(prompt[i:i + size])
            out.flush()
            time.sleep(delay)
    else:
        data = prompt if mode != "crash" else prompt[: len(prompt) // 2]
        out.write(data)
        if mode == "crash":
            crash()
    out.flush()
    sys.exit(1 if mode == "error" else 0)

if agent == "claude":
    session = "sess-fake-0001"
    line({"type": "system", "subtype": "init", "session_id": session, "model": "claude-fake",
          "cwd": os.getcwd(), "tools": ["Bash", "Read"]})
    if mode == "slow":
        for word in answer.split(" "):
            line({"type": "stream_event", "event": {"type": "content_block_delta", "index": 0,
                                                     "delta": {"type": "text_delta", "text": word + " "}}})
            time.sleep(delay)
    line({"type": "assistant", "message": {"id": "msg_fake", "type": "message", "role": "assistant",
                                           "model": "claude-fake",
                                           "content": [{"type": "text", "text": answer}]},
          "session_id": session})
    if mode == "crash":
        crash()
    if mode == "partial":
        sys.exit(0)
    if mode == "error":
        line({"type": "result", "subtype": "error_during_execution", "is_error": True, "duration_ms": 5,
              "num_turns": 1, "result": "API Error: 529 overloaded", "session_id": session})
        sys.exit(1)
    line({"type": "result", "subtype": "success", "is_error": False, "duration_ms": 12, "duration_api_ms": 10,
          "num_turns": 1, "result": answer, "session_id": session, "total_cost_usd": 0.0012,
          "usage": {"input_tokens": len(prompt) // 4, "output_tokens": len(answer) // 4}})
    sys.exit(0)

if agent == "codex":
    line({"type": "thread.started", "thread_id": "0199fake-thread"})
    line({"type": "turn.started"})
    line({"type": "item.completed", "item": {"id": "item_0", "type": "reasoning", "text": "**Reading the prompt**"}})
    if mode == "slow":
        time.sleep(delay)
    line({"type": "item.started", "item": {"id": "item_1", "type": "command_execution", "command": "bash -lc ls",
                                           "aggregated_output": "", "status": "in_progress"}})
    line({"type": "item.completed", "item": {"id": "item_1", "type": "command_execution", "command": "bash -lc ls",
                                             "aggregated_output": "README.md\n", "exit_code": 0,
                                             "status": "completed"}})
    if mode == "crash":
        crash()
    if mode == "error":
        line({"type": "error", "message": "stream disconnected before completion"})
        line({"type": "turn.failed", "error": {"message": "stream disconnected before completion"}})
        sys.exit(1)
    line({"type": "item.completed", "item": {"id": "item_2", "type": "agent_message", "text": answer}})
    if mode == "partial":
        sys.exit(0)
    line({"type": "turn.completed", "usage": {"input_tokens": len(prompt) // 4, "cached_input_tokens": 0,
                                              "output_tokens": len(answer) // 4}})
    sys.exit(0)

if agent == "gemini":
    if mode == "slow":
        time.sleep(delay)
    if mode == "crash":
        out.write('{"response": "' + answer[:5])
        crash()
    if mode == "partial":
        out.write('{"response": "' + answer)
        sys.exit(0)
    doc = {"response": answer, "stats": {"models": {"gemini-2.5-pro": {"tokens": {"prompt": len(prompt) // 4,
                                                                                    "candidates": len(answer) // 4}}}}}
    if mode == "error":
        doc = {"response": None, "error": {"type": "ApiError", "message": "Quota exceeded", "code": 429}}
    out.write(json.dumps(doc, indent=2) + "\n")
    sys.exit(1 if mode == "error" else 0)

sys.stderr.write("fake agent: unknown name " + agent + "\n")
sys.exit(2)
