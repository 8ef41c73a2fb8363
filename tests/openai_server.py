"""A scripted OpenAI-compatible chat-completions server on 127.0.0.1 for tests.

It speaks ``POST /v1/chat/completions`` over real HTTP, streamed (server-sent events, as
``stream: true`` asks) or not, so the real ChatOpenAI and OpenAI clients (retries,
timeouts, parsing) run against it. Each test scripts it with a queue of replies, or a
function of the request for conversations of many requests, and reads back every request
it received. Like a real server it stops an answer at the request's ``max_tokens``
(finish reason "length"), counting 4 characters a token, and streams chunks of
``Reply.token_chars`` characters. Replies behave like local servers do:

- ``Reply.refusing_json_schema()``: HTTP 500 with the validation message that
  llama-cpp-python's server gives for ``response_format`` of type ``json_schema``;
- ``Reply(..., forever=" text")``: ignores the token limit and, after its content,
  streams ``forever`` again and again until the client hangs up;
- ``Reply(..., token_delay=0.2)``: streams slowly (a token every 0.2 s).

    with OpenAIServer() as server:
        server.push(Reply.json({"title": ...}))
        server.push(Reply(status=429), Reply.text("..."))
        ChatOpenAI(base_url=server.base_url, ...)
"""

from __future__ import annotations

import itertools
import json
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
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
    token_delay: float = 0.0
    """seconds between streamed tokens"""
    token_chars: int = 8
    forever: str | None = None
    """streamed again and again after the content, the token limit ignored"""

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

    @classmethod
    def refusing_json_schema(cls) -> Reply:
        """What llama-cpp-python's server answers to ``response_format`` json_schema."""
        return cls(status=500, content=(
            "1 validation error for CreateChatCompletionRequest\nresponse_format.type\n"
            "  Input should be 'text' or 'json_object' [type=literal_error,"
            " input_value='json_schema', input_type=str]"))

    def body(self, request: dict[str, Any]) -> dict[str, Any]:
        if self.status != 200:
            return {"error": {"message": self.content or f"scripted error {self.status}",
                              "type": "server_error", "code": None}}
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


def _events(reply: Reply, request: dict[str, Any]) -> Iterator[str]:
    """The server-sent events of a streamed reply, ``[DONE]`` last (never, ``forever``)."""
    def chunk(delta: dict[str, Any], finish: str | None = None) -> str:
        return json.dumps({"id": "chatcmpl-test", "object": "chat.completion.chunk",
                           "created": 0, "model": request.get("model", "test"),
                           "choices": [{"index": 0, "delta": delta,
                                        "finish_reason": finish}]})

    text = reply.tool_call if reply.tool_call is not None else reply.content
    size = reply.token_chars
    tokens = [text[i:i + size] for i in range(0, len(text), size)]
    limit = request.get("max_completion_tokens") or request.get("max_tokens")
    finish = "stop"
    if limit and reply.forever is None and len(text) > 4 * limit:  # ~4 characters a token
        tokens, finish = tokens[:4 * limit // size], "length"
    if reply.tool_call is not None:
        name = request["tools"][0]["function"]["name"]
        yield chunk({"role": "assistant", "content": None, "tool_calls": [
            {"index": 0, "id": "call_1", "type": "function",
             "function": {"name": name, "arguments": ""}}]})
    else:
        yield chunk({"role": "assistant", "content": ""})
    extra = itertools.cycle([reply.forever]) if reply.forever is not None else iter(())
    for token in itertools.chain(tokens, extra):
        if reply.token_delay:
            time.sleep(reply.token_delay)
        yield chunk({"tool_calls": [{"index": 0, "function": {"arguments": token}}]}
                    if reply.tool_call is not None else {"content": token})
    yield chunk({}, finish)
    yield "[DONE]"


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
            disable_nagle_algorithm = True  # each streamed event leaves at once
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
                if request.get("stream") and reply.status == 200:
                    self._stream(reply, request)
                    return
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

            def _stream(self, reply: Reply, request: dict[str, Any]) -> None:
                try:
                    self.send_response(200)
                    self.send_header("content-type", "text/event-stream")
                    self.end_headers()
                    for event in _events(reply, request):
                        self.wfile.write(f"data: {event}\n\n".encode())
                        self.wfile.flush()
                except (BrokenPipeError, ConnectionResetError):  # the client hung up
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
