#!/usr/bin/python3
"""Stubs of OpenAI's Responses API and Google's Gemini API on loopback, for running the real Codex CLI and Gemini CLI
offline (tests/e2e/agent_autonomy_e2e.py).

- Codex (`model_providers.<id>.base_url` = http://127.0.0.1:PORT/v1, wire_api "responses"): POST /v1/responses,
  answered as server-sent events (response.created, response.output_item.done, response.completed). A tool call is a
  `function_call` of `exec_command` with {"cmd": COMMAND}; a tool result comes back as a `function_call_output`.
- Gemini (GOOGLE_GEMINI_BASE_URL=http://127.0.0.1:PORT): POST /v1beta/models/M:streamGenerateContent?alt=sse (and
  :generateContent, :countTokens). A tool call is a `functionCall` of `run_shell_command` with {"command": COMMAND};
  a result comes back as a `functionResponse` part. Requests without tools (Gemini's model router) get the router's
  JSON answer.

SCRIPT_JSON is a file {"NAME": [COMMAND, ...], ...}; a conversation whose text holds "paios-script:NAME" gets the
script's commands as tool calls one by one (the next once the previous one's result came back, whatever it said),
then a text quoting the last result. Every request body is written to LOG_DIR/NNN.json with the API's name, so the
test can read what reached the model.

Usage: stub_agent_apis.py PORT_FILE LOG_DIR SCRIPT_JSON   (binds 127.0.0.1 on a free port, written to PORT_FILE)
"""
import http.server
import itertools
import json
import os
import re
import sys
import threading

PORT_FILE, LOG_DIR, SCRIPT_FILE = sys.argv[1], sys.argv[2], sys.argv[3]
counter = itertools.count(1)
lock = threading.Lock()


def script_of(body):
    m = re.search(r"paios-script:([a-z0-9-]+)", json.dumps(body))
    if not m:
        return []
    with open(SCRIPT_FILE) as f:
        return json.load(f).get(m.group(1), [])


def codex_results(body):
    return [i.get("output") for i in body.get("input", []) if isinstance(i, dict) and i.get("type") == "function_call_output"]


def gemini_results(body):
    return [p["functionResponse"].get("response") for c in body.get("contents", []) for p in c.get("parts", [])
            if isinstance(p, dict) and "functionResponse" in p]


def sse(event):
    return ("event: %s\ndata: %s\n\n" % (event["type"], json.dumps(event))).encode()


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def send(self, status, ctype, data):
        self.send_response(status)
        self.send_header("content-type", ctype)
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):  # model lists and the like
        self.send(200, "application/json", b'{"data":[],"models":[]}')

    def do_POST(self):
        raw = self.rfile.read(int(self.headers.get("content-length", 0)))
        try:
            body = json.loads(raw)
        except ValueError:
            body = {}
        api = "codex" if self.path.startswith("/v1/responses") else "gemini"
        with lock:
            with open(os.path.join(LOG_DIR, "%03d.json" % next(counter)), "w") as f:
                json.dump({"api": api, "path": self.path, "body": body}, f)
        if api == "codex":
            return self.codex(body)
        return self.gemini(body)

    def codex(self, body):
        script, results = script_of(body), codex_results(body)
        if body.get("tools") and len(results) < len(script):
            n = len(results)
            item = {"type": "function_call", "id": "fc_%d" % n, "call_id": "call_%d" % n, "name": "exec_command",
                    "arguments": json.dumps({"cmd": script[n]})}
        else:
            text = "Finished after %d tool calls; the last result was %s" % (len(results), json.dumps(results[-1:]))
            item = {"type": "message", "role": "assistant", "id": "msg_1",
                    "content": [{"type": "output_text", "text": text}]}
        usage = {"input_tokens": 1, "input_tokens_details": None, "output_tokens": 1, "output_tokens_details": None,
                 "total_tokens": 2}
        data = (sse({"type": "response.created", "response": {"id": "resp_1"}}) +
                sse({"type": "response.output_item.done", "item": item}) +
                sse({"type": "response.completed", "response": {"id": "resp_1", "usage": usage}}))
        self.send(200, "text/event-stream", data)

    def gemini(self, body):
        if ":countTokens" in self.path:
            return self.send(200, "application/json", b'{"totalTokens": 5}')
        tools = [d for t in body.get("tools", []) for d in t.get("functionDeclarations", [])]
        script, results = script_of(body), gemini_results(body)
        if not tools:  # the model router asks which model to use
            parts = [{"text": '{"reasoning": "stub", "model_choice": "flash"}'}]
        elif len(results) < len(script):
            parts = [{"functionCall": {"name": "run_shell_command", "args": {"command": script[len(results)]}}}]
        else:
            parts = [{"text": "Finished after %d tool calls; the last result was %s" % (len(results),
                                                                                         json.dumps(results[-1:]))}]
        out = {"candidates": [{"content": {"role": "model", "parts": parts}, "finishReason": "STOP", "index": 0}],
               "usageMetadata": {"promptTokenCount": 1, "candidatesTokenCount": 1, "totalTokenCount": 2}}
        if "alt=sse" in self.path:
            return self.send(200, "text/event-stream", ("data: " + json.dumps(out) + "\r\n\r\n").encode())
        self.send(200, "application/json", json.dumps(out).encode())


server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
with open(PORT_FILE + ".tmp", "w") as f:
    f.write(str(server.server_address[1]))
os.rename(PORT_FILE + ".tmp", PORT_FILE)
server.serve_forever()
