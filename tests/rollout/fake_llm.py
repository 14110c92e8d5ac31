"""A small OpenAI-compatible chat server for tests (stdlib ``http.server`` on a thread).

Only the network boundary is fake: the agent under test talks HTTP to it through the real
``openai`` client. Replies come from a script, one entry per request (then from
``default``, a function of the request body):

* ``"text"``: answer with that content;
* ``{"status": 500}`` (or 429 with ``"retry_after"``): an error response;
* ``{"delay": 2.0, "content": ...}``: sleep first (to run past a client timeout);
* ``{"content": ..., "finish_reason": "length", "reasoning": ...}`` (``reasoning``: the
  message's ``reasoning_content``, as vLLM's reasoning parsers send it).

With ``logprobs`` in the request, the answer carries vLLM-style log-probabilities: one per
whitespace-separated word of the content (token ids 1000, 1001, ...; tokens spelt
``token_id:<id>`` when ``return_tokens_as_token_ids``), plus ``token_ids`` and
``prompt_token_ids`` when ``return_token_ids`` (as vLLM 0.10.2+ does).
"""

from __future__ import annotations

import importlib.util
import json
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

Script = list[Any]


def require_openai() -> None:
    """Skip without the ``openai`` client (the ``llm`` extra), except under ``CI=true``,
    where its absence is a failure: ``make test`` installs it."""
    import pytest

    from tests.conftest import IN_CI

    if importlib.util.find_spec("openai") is None:
        if IN_CI:
            pytest.fail("CI=true but the openai client is not installed (the `llm` extra)")
        pytest.skip("the openai client is not installed (pip install 'terminal-gym[llm]')")


def terminus(commands: list[str], task_complete: bool = False) -> str:
    """A Terminus-2 JSON reply running ``commands``."""
    return json.dumps(
        {
            "analysis": "looking",
            "plan": "run the commands",
            "commands": [{"keystrokes": c + "\n", "duration": 0.1} for c in commands],
            "task_complete": task_complete,
        }
    )


def solver(command: str) -> Callable[[dict[str, Any]], str]:
    """A policy for one-command tasks: run ``command``, then declare the task complete
    (twice: Terminus-2 asks to confirm)."""

    def reply(body: dict[str, Any]) -> str:
        turns = sum(1 for m in body["messages"] if m["role"] == "assistant")
        return terminus([command]) if turns == 0 else terminus([], task_complete=True)

    return reply


class FakeLLMServer:
    """``with FakeLLMServer(script) as server: server.url`` (an ``.../v1`` base URL)."""

    def __init__(
        self, script: Script | None = None, default: Callable[[dict[str, Any]], str] | None = None
    ):
        self.script = list(script or [])
        self.default = default or (lambda body: terminus([], task_complete=True))
        self.requests: list[dict[str, Any]] = []
        self.lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                if self.path.rstrip("/").endswith("/models"):
                    self._send(200, {"object": "list", "data": [{"id": "fake", "object": "model"}]})
                else:
                    self._send(404, {"error": {"message": "not found"}})

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length) or b"{}")
                with server.lock:
                    server.requests.append(body)
                    entry = server.script.pop(0) if server.script else None
                if entry is None:
                    entry = server.default(body)
                if isinstance(entry, str):
                    entry = {"content": entry}
                if entry.get("delay"):
                    time.sleep(entry["delay"])
                status = entry.get("status", 200)
                if status != 200:
                    headers = {}
                    if "retry_after" in entry:
                        headers["Retry-After"] = str(entry["retry_after"])
                    message = entry.get("message", f"scripted HTTP {status}")
                    self._send(status, {"error": {"message": message}}, headers)
                    return
                self._send(200, server.completion(body, entry))

            def _send(self, status: int, payload: Any, headers: dict | None = None) -> None:
                data = json.dumps(payload).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    for key, value in (headers or {}).items():
                        self.send_header(key, value)
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):  # the client gave up
                    pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"
        self._thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def completion(self, body: dict[str, Any], entry: dict[str, Any]) -> dict[str, Any]:
        content = entry["content"]
        words = content.split()
        ids = list(range(1000, 1000 + len(words)))
        prompt_ids = list(range(len(json.dumps(body["messages"])) // 50 + 1))
        message: dict[str, Any] = {"role": "assistant", "content": content}
        if entry.get("reasoning"):
            message["reasoning_content"] = entry["reasoning"]
        choice: dict[str, Any] = {
            "index": 0,
            "message": message,
            "finish_reason": entry.get("finish_reason", "stop"),
        }
        response: dict[str, Any] = {
            "id": f"chatcmpl-{len(self.requests)}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": body.get("model", "fake"),
            "choices": [choice],
            "usage": {
                "prompt_tokens": len(prompt_ids),
                "completion_tokens": len(words),
                "total_tokens": len(prompt_ids) + len(words),
            },
        }
        if body.get("logprobs"):
            as_ids = body.get("return_tokens_as_token_ids")
            choice["logprobs"] = {
                "content": [
                    {
                        "token": f"token_id:{i}" if as_ids else word,
                        "logprob": -0.01 * (n + 1),
                        "bytes": None,
                        "top_logprobs": [],
                    }
                    for n, (i, word) in enumerate(zip(ids, words, strict=True))
                ]
            }
        if body.get("return_token_ids"):
            choice["token_ids"] = ids
            response["prompt_token_ids"] = prompt_ids
        return response

    def __enter__(self) -> FakeLLMServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
