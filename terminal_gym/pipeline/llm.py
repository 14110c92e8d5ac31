"""A minimal OpenAI-compatible chat client over the standard library.

``POST {url}/chat/completions`` with ``model``, ``messages`` and ``temperature``;
the reply's ``choices[0].message.content`` comes back. Works with any endpoint that
speaks the protocol (vLLM, SGLang, llama.cpp's server, OpenAI itself). No new
dependency: ``urllib.request`` does the HTTP.

* API key: the ``api_key`` argument, else ``OPENAI_API_KEY``; sent as a bearer token
  (endpoints that need none ignore it).
* Retries: 429, 5xx, connection errors and timeouts are retried with exponential
  backoff (``Retry-After`` honoured, capped); other 4xx fail at once.
* TLS: the CA bundle named by ``SSL_CERT_FILE`` (or ``REQUESTS_CA_BUNDLE``,
  ``CURL_CA_BUNDLE``), else the system's. Verification is never turned off.
"""

from __future__ import annotations

import json
import logging
import os
import random
import ssl
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from terminal_gym.pipeline import PipelineError

__all__ = ["CA_BUNDLE_VARS", "ChatClient", "ChatModel", "LLMError", "Message", "Usage"]

#: Environment variables naming a CA bundle, in the order they are trusted.
CA_BUNDLE_VARS = ("SSL_CERT_FILE", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE")
log = logging.getLogger(__name__)

_RETRY_STATUS = frozenset({408, 409, 425, 429, 500, 502, 503, 504})
_MAX_RETRY_AFTER = 60.0

Message = Mapping[str, str]


class LLMError(PipelineError, RuntimeError):
    """The endpoint failed (after retries) or answered something unusable.

    Attributes:
        status: the HTTP status, when there was one.
    """

    def __init__(self, message: str, status: int | None = None):
        self.status = status
        super().__init__(message)

    def __reduce__(self) -> tuple[type, tuple[str, int | None]]:
        return type(self), (str(self), self.status)


class ChatModel(Protocol):
    """What the construction stage needs from a model: messages in, text out."""

    model: str

    def chat(self, messages: Sequence[Message], *, temperature: float | None = None) -> str: ...


@dataclass
class Usage:
    """Totals over the client's life (thread-safe updates)."""

    requests: int = 0
    retries: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0


def _ca_context(ca_bundle: str | os.PathLike[str] | None) -> ssl.SSLContext:
    if ca_bundle is None:
        for var in CA_BUNDLE_VARS:
            value = os.environ.get(var)
            if value and os.path.isfile(value):
                ca_bundle = value
                break
    return ssl.create_default_context(cafile=os.fspath(ca_bundle) if ca_bundle else None)


def _endpoint(url: str) -> str:
    url = url.rstrip("/")
    return url if url.endswith("/chat/completions") else f"{url}/chat/completions"


class ChatClient:
    """Chat completions from an OpenAI-compatible endpoint.

    Args:
        url: the API base, e.g. ``http://localhost:8000/v1`` (a full
            ``.../chat/completions`` URL also works).
        model: the model name sent with every request.
        api_key: the bearer token; default ``OPENAI_API_KEY`` (none if unset).
        temperature: the default sampling temperature.
        max_tokens: sent when given.
        timeout: seconds per HTTP request.
        max_retries: retries after the first attempt (429 / 5xx / network).
        backoff: the first retry's delay in seconds; doubles each retry (+ jitter).
        ca_bundle: a CA file for HTTPS; default from ``SSL_CERT_FILE`` & co.
        headers: extra HTTP headers.
        sleep: waits between retries (tests pass a recorder).

    Example:
        >>> client = ChatClient("http://localhost:8000/v1", "qwen")  # doctest: +SKIP
        >>> client.chat([{"role": "user", "content": "hi"}])  # doctest: +SKIP
        'Hello!'
    """

    def __init__(
        self,
        url: str,
        model: str,
        *,
        api_key: str | None = None,
        temperature: float = 0.2,
        max_tokens: int | None = None,
        timeout: float = 300.0,
        max_retries: int = 5,
        backoff: float = 1.0,
        ca_bundle: str | os.PathLike[str] | None = None,
        headers: Mapping[str, str] | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ):
        if not url.startswith(("http://", "https://")):
            raise ValueError(f"the LLM url must start with http:// or https://, got {url!r}")
        self.url = _endpoint(url)
        self.model = model
        self.api_key = api_key if api_key is not None else os.environ.get("OPENAI_API_KEY")
        self.temperature = temperature
        self.max_tokens = max_tokens
        self.timeout = timeout
        self.max_retries = max_retries
        self.backoff = backoff
        self.headers = dict(headers or {})
        self.usage = Usage()
        self._sleep = sleep
        self._lock = threading.Lock()
        self._ssl = _ca_context(ca_bundle) if self.url.startswith("https://") else None

    def __repr__(self) -> str:
        return f"ChatClient({self.url!r}, model={self.model!r})"

    def chat(self, messages: Sequence[Message], *, temperature: float | None = None) -> str:
        """Send ``messages``; return the assistant's reply text.

        Raises:
            LLMError: a non-retryable HTTP error, retries exhausted, or a reply
                without ``choices[0].message.content``.
        """
        payload: dict[str, Any] = {
            "model": self.model,
            "messages": [dict(m) for m in messages],
            "temperature": self.temperature if temperature is None else temperature,
        }
        if self.max_tokens is not None:
            payload["max_tokens"] = self.max_tokens
        data = self._post(json.dumps(payload).encode("utf-8"))
        try:
            content = data["choices"][0]["message"]["content"]
        except (KeyError, IndexError, TypeError):
            raise LLMError(
                f"{self.url}: the reply has no choices[0].message.content: {json.dumps(data)[:300]}"
            ) from None
        if not isinstance(content, str):
            raise LLMError(f"{self.url}: the reply's content is not text: {content!r:.200}")
        usage = data.get("usage") if isinstance(data, dict) else None
        with self._lock:
            self.usage.requests += 1
            if isinstance(usage, dict):
                self.usage.prompt_tokens += int(usage.get("prompt_tokens") or 0)
                self.usage.completion_tokens += int(usage.get("completion_tokens") or 0)
        return content

    def _post(self, body: bytes) -> Any:
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if self.api_key:
            headers["Authorization"] = f"Bearer {self.api_key}"
        headers.update(self.headers)
        attempt = 0
        while True:
            request = urllib.request.Request(self.url, data=body, headers=headers, method="POST")
            retry_after: float | None = None
            try:
                with urllib.request.urlopen(
                    request, timeout=self.timeout, context=self._ssl
                ) as response:
                    raw = response.read()
                try:
                    return json.loads(raw)
                except ValueError:
                    raise LLMError(f"{self.url}: the reply is not JSON: {raw[:200]!r}") from None
            except urllib.error.HTTPError as exc:
                detail = exc.read()[:500].decode("utf-8", "replace")
                exc.close()
                if exc.code not in _RETRY_STATUS or attempt >= self.max_retries:
                    more = "" if exc.code not in _RETRY_STATUS else f" after {attempt + 1} tries"
                    raise LLMError(
                        f"{self.url}: HTTP {exc.code}{more}: {detail}", status=exc.code
                    ) from None
                retry_after = _retry_after(exc.headers.get("Retry-After"))
                problem = f"HTTP {exc.code}"
            except (urllib.error.URLError, TimeoutError, ConnectionError) as exc:
                reason = getattr(exc, "reason", exc)
                if isinstance(reason, ssl.SSLError) or attempt >= self.max_retries:
                    raise LLMError(f"{self.url}: {reason} (after {attempt + 1} tries)") from None
                problem = str(reason)
            attempt += 1
            with self._lock:
                self.usage.retries += 1
            delay = self.backoff * 2 ** (attempt - 1) * (1 + 0.25 * random.random())
            if retry_after is not None:
                delay = max(delay, retry_after)
            log.info("%s: %s; retry %d in %.1fs", self.url, problem, attempt, delay)
            self._sleep(min(delay, _MAX_RETRY_AFTER))


def _retry_after(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return min(max(float(value), 0.0), _MAX_RETRY_AFTER)
    except ValueError:
        return None  # an HTTP date: fall back to the backoff
