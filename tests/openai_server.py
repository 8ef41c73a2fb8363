"""A scripted OpenAI-compatible chat-completions server on 127.0.0.1 for tests.

It speaks ``POST /v1/chat/completions`` over real HTTP, so the real ChatOpenAI and
OpenAI clients (retries, timeouts, parsing) run against it. Each test scripts it with a
queue of replies, or a function of the request for conversations of many requests, and
reads back every request it received.

    with OpenAIServer() as server:
        server.push(Reply.json({"title": ...}))
        server.push(Reply(status=429), Reply.text("..."))
        ChatOpenAI(base_url=server.base_url, ...)
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Reply:
    """One scripted answer: an HTTP status, the assistant's text, an optional delay."""

    content: str = ""
    status: int = 200
    delay: float = 0.0
    tool_call: str | None = None
    """arguments of a tool call answer (function calling) instead of content"""
    headers: dict[str, str] = field(default_factory=dict)

    @classmethod
    def text(cls, content: str, **kwargs: Any) -> Reply:
        return cls(content=content, **kwargs)

    @classmethod
    def json(cls, data: Any, **kwargs: Any) -> Reply:
        return cls(content=json.dumps(data), **kwargs)

    @classmethod
    def error(cls, status: int, **kwargs: Any) -> Reply:
        # retry-after-ms keeps the OpenAI client's backoff short in tests
        return cls(status=status, headers={"retry-after-ms": "10"}, **kwargs)

    def body(self, request: dict[str, Any]) -> dict[str, Any]:
        if self.status != 200:
            return {"error": {"message": f"scripted error {self.status}", "type": "server_error",
                              "code": None}}
        message: dict[str, Any] = {"role": "assistant", "content": self.content}
        if self.tool_call is not None:
            name = request["tools"][0]["function"]["name"]
            message = {"role": "assistant", "content": None, "tool_calls": [
                {"id": "call_1", "type": "function",
                 "function": {"name": name, "arguments": self.tool_call}}]}
        return {"id": "chatcmpl-test", "object": "chat.completion", "created": 0,
                "model": request.get("model", "test"),
                "choices": [{"index": 0, "message": message, "finish_reason": "stop"}],
                "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}}


Responder = Callable[[dict[str, Any]], Reply]


class OpenAIServer:
    """The server. ``push`` queues replies; ``responder`` answers when the queue is empty
    (a 500 with a clear message when neither is set). ``requests`` holds every request
    body and ``headers`` every request's headers, in order."""

    def __init__(self, responder: Responder | None = None) -> None:
        self.queue: deque[Reply] = deque()
        self.responder = responder
        self.requests: list[dict[str, Any]] = []
        self.headers: list[dict[str, str]] = []
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - the http.server name
                length = int(self.headers.get("content-length", 0))
                request = json.loads(self.rfile.read(length) or b"{}")
                with server._lock:
                    server.requests.append(request)
                    server.headers.append({k.lower(): v for k, v in self.headers.items()})
                    if self.path.rstrip("/") != "/v1/chat/completions":
                        reply = Reply(status=404)
                    elif server.queue:
                        reply = server.queue.popleft()
                    elif server.responder is not None:
                        reply = server.responder(request)
                    else:
                        reply = Reply(status=500)
                if reply.delay:
                    time.sleep(reply.delay)
                data = json.dumps(reply.body(request)).encode()
                try:
                    self.send_response(reply.status)
                    self.send_header("content-type", "application/json")
                    self.send_header("content-length", str(len(data)))
                    for key, value in reply.headers.items():
                        self.send_header(key, value)
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):  # the client gave up
                    pass

            def log_message(self, *args: Any) -> None:  # keep test output quiet
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        kwargs={"poll_interval": 0.05}, daemon=True)

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/v1"

    def push(self, *replies: Reply) -> None:
        self.queue.extend(replies)

    def __enter__(self) -> OpenAIServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    # -- reading what was asked ----------------------------------------------------------
    def schema_names(self) -> list[str]:
        """The response_format schema name of each request ('' when none was sent)."""
        return [((r.get("response_format") or {}).get("json_schema") or {}).get("name", "")
                for r in self.requests]

    @staticmethod
    def user_text(request: dict[str, Any]) -> str:
        return "\n".join(m["content"] for m in request["messages"]
                         if m["role"] == "user" and isinstance(m["content"], str))

    @staticmethod
    def system_text(request: dict[str, Any]) -> str:
        return "\n".join(m["content"] for m in request["messages"]
                         if m["role"] in ("system", "developer")
                         and isinstance(m["content"], str))
