#!/usr/bin/env python3
"""A stand-in for `railguard server`, for working on the chat page without
the real server: serves rails/server/chat_ui/index.html at / and fake answers
on the API routes. Development aid only; the tests use the real binary.

  mock_server.py --port P [--prefix /p] [--config-id ID] [--page PATH]

Routes: GET /health, GET /v1/rails/configs, POST /v1/chat/completions
(stream: true -> SSE pieces of the answer then [DONE]; otherwise JSON,
with a log when options.log asks for one; unknown config_id -> 404 JSON).
"""
import argparse
import json
import os
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

HERE = os.path.dirname(os.path.abspath(__file__))
# The answers of tests/server/data/ui_config.
GREETING = "Hello there! I can chat, but I stay away from politics."
REFUSAL = "Sorry, I don't talk about politics."


def answer(messages):
    """(answer, flow name) for the last user message, roughly as ui_config would."""
    text = next((m.get("content", "") for m in reversed(messages) if m.get("role") == "user"), "")
    if any(w in text.lower() for w in ("vote", "election", "politic")):
        return REFUSAL, "politics"
    return GREETING, "greeting"


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):  # quiet
        pass

    def route(self):
        """The path without --prefix; None when it is outside the prefix."""
        prefix = self.server.prefix
        if self.path == "/health":
            return self.path
        if not prefix:
            return self.path
        if self.path == prefix or self.path.startswith(prefix + "/"):
            return self.path[len(prefix):] or "/"
        return None

    def send_json(self, status, obj):
        body = json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        path = self.route()
        if path == "/":
            with open(self.server.page, "rb") as f:
                body = f.read()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        elif path == "/health":
            self.send_json(200, {"status": "ok"})
        elif path == "/v1/rails/configs":
            self.send_json(200, [{"id": self.server.config_id}])
        else:
            self.send_json(404, {"error": {"message": "no route " + self.path}})

    def do_POST(self):
        if self.route() != "/v1/chat/completions":
            return self.send_json(404, {"error": {"message": "no route " + self.path}})
        length = int(self.headers.get("Content-Length") or 0)
        try:
            req = json.loads(self.rfile.read(length))
        except ValueError:
            return self.send_json(400, {"error": {"message": "malformed JSON body"}})
        if req.get("config_id") != self.server.config_id:
            return self.send_json(404, {"error": {
                "message": "unknown config '%s'" % req.get("config_id"), "type": "not_found"}})
        text, flow = answer(req.get("messages") or [])
        if req.get("stream"):
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            words = text.split(" ")
            for i, word in enumerate(words):
                piece = word if i == 0 else " " + word
                self.chunk("data: %s\n\n" % json.dumps({"content": piece}))
                time.sleep(0.02)
            self.chunk("data: [DONE]\n\n")
            self.wfile.write(b"0\r\n\r\n")
            return
        resp = {"messages": [{"role": "assistant", "content": text}]}
        log = (req.get("options") or {}).get("log") or {}
        if log.get("activated_rails") or log.get("llm_calls"):
            resp["log"] = {
                "activated_rails": [
                    {"type": "dialog", "name": "generate user intent", "decisions": ["execute generate_user_intent"],
                     "stop": False, "duration": 0.0004},
                    {"type": "dialog", "name": flow, "decisions": ["bot " + flow],
                     "stop": False, "duration": 0.0001},
                ],
                "llm_calls": [],
                "stats": {"total_duration": 0.0006, "llm_calls_count": 0},
            }
        self.send_json(200, resp)

    def chunk(self, text):
        data = text.encode()
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
        self.wfile.flush()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--prefix", default="")
    ap.add_argument("--config-id", default="ui_config")
    ap.add_argument("--page", default=os.path.join(HERE, "..", "..", "rails", "server", "chat_ui", "index.html"))
    args = ap.parse_args()
    server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    server.page, server.config_id = args.page, args.config_id
    server.prefix = args.prefix.rstrip("/")
    server.serve_forever()


if __name__ == "__main__":
    main()
