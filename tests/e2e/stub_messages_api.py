#!/usr/bin/python3
"""A stub of Anthropic's Messages API on loopback, for running the real Claude Code offline (tests/e2e).

It answers POST /v1/messages (streamed as server-sent events when asked, else one JSON message) with a scripted
conversation, and writes every request body it receives to LOG_DIR/NNN.json, so that the test can see what reached
the model (the SessionStart context, the Stop gate's reason). Requests without tools (Claude Code's side calls:
titles, topic checks) get a short text. The script, for the main conversation:

  session 1 ("telemetry" in the first prompt):
    1. tool_use Read of src/publisher.cpp                   -> PostToolUse, ingested
    2. tool_use mcp__paios__kb_search                       -> the mesh's own MCP tool (stored, not ingested)
    3. text announcing work not done ("Next, I'll ...")     -> the Stop gate blocks
    4. (after the gate's reason) a finished answer          -> Stop lets it end; SessionEnd leaves a learning
  session 2: a short answer.

With SCRIPT_JSON (a file {"NAME": [{"name": TOOL, "input": {...}}, ...], ...}) the conversation is that script
instead: a prompt holding "script:NAME" gets the script's tool_use blocks one by one (the next one once the previous
one's tool_result came back, whatever it said), then a text that quotes the last tool_result ("Finished after N
tool calls; the last result was "...".").  The file is read at each request, so a test may add scripts while the stub runs.

Usage: stub_messages_api.py PORT_FILE LOG_DIR PROJECT_DIR [SCRIPT_JSON]
       (binds 127.0.0.1 on a free port, written to PORT_FILE)
"""
import http.server
import itertools
import json
import os
import re
import sys
import threading

PORT_FILE, LOG_DIR, PROJECT = sys.argv[1], sys.argv[2], sys.argv[3]
SCRIPT_FILE = sys.argv[4] if len(sys.argv) > 4 else None
counter = itertools.count(1)
lock = threading.Lock()


def text_of(content):
    if isinstance(content, str):
        return content
    out = []
    for b in content or []:
        if isinstance(b, dict):
            if b.get("type") == "text":
                out.append(b.get("text", ""))
            elif b.get("type") == "tool_result":
                c = b.get("content")
                out.append(text_of(c) if not isinstance(c, str) else c)
    return "\n".join(out)


def tool_results(messages):
    return sum(1 for m in messages if m.get("role") == "user" and isinstance(m.get("content"), list)
               for b in m["content"] if isinstance(b, dict) and b.get("type") == "tool_result")


def last_tool_result(messages):
    for m in reversed(messages):
        if m.get("role") == "user" and isinstance(m.get("content"), list):
            for b in reversed(m["content"]):
                if isinstance(b, dict) and b.get("type") == "tool_result":
                    c = b.get("content")
                    return c if isinstance(c, str) else text_of(c)
    return ""


def scripted_plan(messages):
    """SCRIPT_JSON's conversation for the script the prompt names ("script:NAME"), or None when it names none."""
    first = text_of(messages[0].get("content")) if messages else ""
    # The last mention: hooks may inject earlier sessions' prompts (learnings) before this one's.
    names = re.findall(r"script:([A-Za-z0-9_-]+)", first)
    if not names:
        return None
    with open(SCRIPT_FILE) as f:
        steps = json.load(f).get(names[-1])
    if steps is None:
        return ("text", "No script named %s." % names[-1])
    n = tool_results(messages)
    if n < len(steps):
        return ("tool_use", steps[n]["name"], steps[n]["input"])
    # Ends with a full stop: the Stop gate would take an answer ending with a colon for unfinished work.
    return ("text", "Finished after %d tool calls; the last result was \"%s\"." % (n, last_tool_result(messages)))


def plan(body):
    """The reply: ("text", str) or ("tool_use", name, input)."""
    messages = body.get("messages", [])
    if not body.get("tools"):
        return ("text", "PAIOS end-to-end")
    if SCRIPT_FILE:
        scripted = scripted_plan(messages)
        if scripted:
            return scripted
    first = text_of(messages[0].get("content")) if messages else ""
    last_user = next((text_of(m.get("content")) for m in reversed(messages) if m.get("role") == "user"), "")
    # The first message also holds what the hooks injected (session 2's holds session 1's learning): the prompt of
    # session 2 is told apart by its own words.
    if "Second session" in first or "telemetry" not in first:
        return ("text", "Second session: noted, nothing to change.")
    if "PAIOS quality gate" in last_user:
        return ("text", "Done: the publisher drops samples because its ZMQ_SNDHWM of 1000 is too low for bursts of "
                        "50k samples per second; raising it to 100000 fixes it.")
    n = tool_results(messages)
    tool_names = {t.get("name") for t in body.get("tools", [])}
    if n == 0:
        return ("tool_use", "Read", {"file_path": os.path.join(PROJECT, "src", "publisher.cpp")})
    if n == 1 and "mcp__paios__kb_search" in tool_names:
        return ("tool_use", "mcp__paios__kb_search", {"query": "zeromq pub hwm drops"})
    return ("text", "The send high-water mark is the cause.\n\nNext, I'll raise the HWM and run the burst test.")


def sse(event, data):
    return ("event: %s\ndata: %s\n\n" % (event, json.dumps(data))).encode()


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def reply_json(self, code, obj):
        data = json.dumps(obj).encode()
        self.send_response(code)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        self.reply_json(404, {"type": "error", "error": {"type": "not_found_error", "message": self.path}})

    def do_POST(self):
        length = int(self.headers.get("content-length", "0"))
        raw = self.rfile.read(length)
        try:
            body = json.loads(raw)
        except ValueError:
            body = {}
        with lock:
            n = next(counter)
        with open(os.path.join(LOG_DIR, "%03d.json" % n), "wb") as f:
            f.write(json.dumps({"path": self.path, "body": body}).encode())
        if not self.path.startswith("/v1/messages") or self.path.startswith("/v1/messages/count_tokens"):
            if "count_tokens" in self.path:
                return self.reply_json(200, {"input_tokens": 100})
            return self.reply_json(404, {"type": "error", "error": {"type": "not_found_error", "message": self.path}})
        step = plan(body)
        model = body.get("model", "claude-sonnet-4-5")
        msg_id = "msg_stub%04d" % n
        if step[0] == "text":
            block = {"type": "text", "text": step[1]}
            stop = "end_turn"
        else:
            block = {"type": "tool_use", "id": "toolu_stub%04d" % n, "name": step[1], "input": step[2]}
            stop = "tool_use"
        usage = {"input_tokens": 100, "output_tokens": 20, "cache_creation_input_tokens": 0, "cache_read_input_tokens": 0}
        if not body.get("stream"):
            return self.reply_json(200, {"id": msg_id, "type": "message", "role": "assistant", "model": model,
                                         "content": [block], "stop_reason": stop, "stop_sequence": None, "usage": usage})
        self.send_response(200)
        self.send_header("content-type", "text/event-stream")
        self.send_header("cache-control", "no-cache")
        self.send_header("connection", "close")
        self.end_headers()
        w = self.wfile
        w.write(sse("message_start", {"type": "message_start", "message": {
            "id": msg_id, "type": "message", "role": "assistant", "model": model, "content": [], "stop_reason": None,
            "stop_sequence": None, "usage": dict(usage, output_tokens=1)}}))
        if block["type"] == "text":
            w.write(sse("content_block_start", {"type": "content_block_start", "index": 0,
                                                "content_block": {"type": "text", "text": ""}}))
            words = block["text"].split(" ")
            for i in range(0, len(words), 4):
                chunk = " ".join(words[i:i + 4]) + (" " if i + 4 < len(words) else "")
                w.write(sse("content_block_delta", {"type": "content_block_delta", "index": 0,
                                                    "delta": {"type": "text_delta", "text": chunk}}))
        else:
            w.write(sse("content_block_start", {"type": "content_block_start", "index": 0, "content_block": {
                "type": "tool_use", "id": block["id"], "name": block["name"], "input": {}}}))
            w.write(sse("content_block_delta", {"type": "content_block_delta", "index": 0, "delta": {
                "type": "input_json_delta", "partial_json": json.dumps(block["input"])}}))
        w.write(sse("content_block_stop", {"type": "content_block_stop", "index": 0}))
        w.write(sse("message_delta", {"type": "message_delta", "delta": {"stop_reason": stop, "stop_sequence": None},
                                      "usage": {"output_tokens": 20}}))
        w.write(sse("message_stop", {"type": "message_stop"}))
        w.flush()
        self.close_connection = True


def main():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    with open(PORT_FILE + ".tmp", "w") as f:
        f.write(str(server.server_address[1]))
    os.rename(PORT_FILE + ".tmp", PORT_FILE)
    server.serve_forever()


if __name__ == "__main__":
    main()
