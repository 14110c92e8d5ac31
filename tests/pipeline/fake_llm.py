"""A small OpenAI-compatible HTTP server for tests: fixed completions, recorded requests.

The pipeline's real client talks to it over real HTTP on 127.0.0.1; only the model
behind the endpoint is fake. A *handler* decides each reply from the decoded request
body (e.g. by the construction step named in the system prompt) and returns the
completion text, or a :class:`Reply` for a status code, headers or a raw body.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from terminal_gym.pipeline.construct import STEPS

_STEP = re.compile(r"Task construction step: (\w+)")


@dataclass
class Reply:
    """One HTTP answer: a completion (``content``) or an error status / raw body."""

    content: str | None = None
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes | None = None


Handler = Callable[[dict[str, Any]], "str | Reply"]


def completion(content: str, model: str = "fake-model") -> dict[str, Any]:
    return {
        "id": "chatcmpl-fake",
        "object": "chat.completion",
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": content},
                "finish_reason": "stop",
            }
        ],
        "usage": {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15},
    }


def step_of(request: Mapping[str, Any]) -> str | None:
    """The construction step a request belongs to, read from its system prompt."""
    for message in request.get("messages", []):
        if message.get("role") == "system":
            match = _STEP.search(message.get("content", ""))
            if match:
                return match[1]
    return None


def first_user_message(request: Mapping[str, Any]) -> str:
    return next((m["content"] for m in request["messages"] if m["role"] == "user"), "")


class FakeLLM:
    """A ThreadingHTTPServer on 127.0.0.1 (a free port) in a daemon thread.

    Attributes:
        url: the API base to give the client (``http://127.0.0.1:PORT/v1``).
        requests: every request received: ``{"path", "headers", "json"}`` (header
            names lower-cased: HTTP clients differ in how they spell them).
    """

    def __init__(self, handler: Handler):
        self.handler = handler
        self.requests: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        fake = self

        class _Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:  # keep pytest output quiet
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                try:
                    body = json.loads(raw)
                except ValueError:
                    body = None
                with fake._lock:
                    fake.requests.append(
                        {
                            "path": self.path,
                            "headers": {k.lower(): v for k, v in self.headers.items()},
                            "json": body,
                        }
                    )
                if self.path.rstrip("/") != "/v1/chat/completions" or body is None:
                    self._send(Reply(status=404, body=b'{"error": "not found"}'))
                    return
                try:
                    reply = fake.handler(body)
                except Exception as exc:  # a test bug: say so in the HTTP reply
                    reply = Reply(status=599, body=f"handler failed: {exc!r}".encode())
                if isinstance(reply, str):
                    reply = Reply(content=reply)
                self._send(reply)

            def _send(self, reply: Reply) -> None:
                if reply.body is not None:
                    payload = reply.body
                elif reply.content is not None:
                    payload = json.dumps(completion(reply.content)).encode()
                else:
                    payload = b'{"error": {"message": "fake error"}}'
                self.send_response(reply.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                for key, value in reply.headers.items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(payload)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/v1"
        self._thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    def __enter__(self) -> FakeLLM:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
        self._thread.join(timeout=5)

    def bodies(self, step: str | None = None) -> list[dict[str, Any]]:
        """The JSON bodies received, optionally only those of one construction step."""
        with self._lock:
            bodies = [r["json"] for r in self.requests if r["json"] is not None]
        return [b for b in bodies if step is None or step_of(b) == step]


class StepScript:
    """A handler replying per construction step from lists of replies.

    Each step's replies are used in order; the last one repeats.
    """

    def __init__(self, replies: Mapping[str, str | Sequence[str | Reply]]):
        self.replies = {
            step: [value] if isinstance(value, (str, Reply)) else list(value)
            for step, value in replies.items()
        }
        self.used: dict[str, int] = {}
        self._lock = threading.Lock()

    def __call__(self, request: dict[str, Any]) -> str | Reply:
        step = step_of(request)
        if step not in self.replies:
            return Reply(status=400, body=f'{{"error": "no reply for step {step}"}}'.encode())
        with self._lock:
            n = self.used.get(step, 0)
            self.used[step] = n + 1
        options = self.replies[step]
        return options[min(n, len(options) - 1)]


class Scenarios:
    """Route each request to the script of the scenario whose key is in the first user
    message (the source title in steps 1-2; the instruction, which starts with that
    title, in steps 3-4)."""

    def __init__(self, scripts: Mapping[str, StepScript]):
        self.scripts = dict(scripts)

    def __call__(self, request: dict[str, Any]) -> str | Reply:
        text = first_user_message(request)
        for key, script in self.scripts.items():
            if key in text:
                return script(request)
        return Reply(status=400, body=b'{"error": "no scenario matches"}')


# -- replies built from a task directory -------------------------------------------------


def file_blocks(files: Mapping[str, str]) -> str:
    return "Here are the files.\n\n" + "\n".join(
        f"```file:{path}\n{text.rstrip(chr(10))}\n```\n" for path, text in files.items()
    )


def read_files(root: Path) -> dict[str, str]:
    return {
        p.relative_to(root).as_posix(): p.read_text()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def task_replies(
    task_dir: Path,
    *,
    title: str | None = None,
    difficulty: str = "easy",
    category: str = "text-processing",
    tags: Sequence[str] = ("grep", "logs"),
    workdir: str = "/app",
) -> dict[str, str]:
    """The four step replies that reproduce ``task_dir``.

    ``title`` replaces the instruction's first line (``# ...``) so a scenario can be
    recognised in every step.
    """
    instruction = (task_dir / "instruction.md").read_text()
    if title is not None:
        instruction = f"# {title}\n" + instruction.split("\n", 1)[1]
    meta = {
        "suitable": True,
        "instruction": instruction,
        "difficulty": difficulty,
        "category": category,
        "tags": list(tags),
        "workdir": workdir,
    }
    replies = {"instruction": "```json\n" + json.dumps(meta, indent=2) + "\n```"}
    for step, subdir in zip(STEPS[1:], ("environment", "solution", "tests"), strict=True):
        replies[step] = file_blocks(read_files(task_dir / subdir))
    return replies
