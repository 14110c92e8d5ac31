"""The chat model the construction stage talks to, through the official ``openai`` client.

:class:`ChatClient` sends ``model``, ``messages`` and ``temperature`` to an
OpenAI-compatible endpoint (vLLM, SGLang, llama.cpp's server, OpenAI itself) with
``client.chat.completions.create`` and returns ``choices[0].message.content``. The
client comes from :func:`terminal_gym.rollout.llm.make_client`, so the pipeline and
the rollout agents share one transport and one install hint: without the ``llm``
extra, constructing a client raises
:class:`~terminal_gym.rollout.llm.LLMUnavailableError`
(``pip install 'terminal-gym[llm]'``). ``openai`` is imported only then.

* API key: the ``api_key`` argument, else ``OPENAI_API_KEY`` (``"EMPTY"`` when unset:
  local servers need none); sent as a bearer token.
* Retries: the client's own - 408, 409, 429, 5xx, connection errors and timeouts are
  retried ``max_retries`` times with exponential backoff (``Retry-After`` honoured);
  other 4xx fail at once. What still fails is an :class:`LLMError`.
* TLS: the CA bundle named by ``SSL_CERT_FILE`` (or ``REQUESTS_CA_BUNDLE``,
  ``CURL_CA_BUNDLE``), else the system's. Verification is never turned off.
"""

from __future__ import annotations

import logging
import os
import ssl
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from terminal_gym.pipeline import PipelineError
from terminal_gym.rollout.llm import LLMUnavailableError, make_client

__all__ = [
    "CA_BUNDLE_VARS",
    "ChatClient",
    "ChatModel",
    "LLMError",
    "LLMUnavailableError",
    "Message",
    "Usage",
]

#: Environment variables naming a CA bundle, in the order they are trusted.
CA_BUNDLE_VARS = ("SSL_CERT_FILE", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE")
_ENDPOINT = "/chat/completions"
log = logging.getLogger(__name__)

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
    prompt_tokens: int = 0
    completion_tokens: int = 0


def ca_context(ca_bundle: str | os.PathLike[str] | None = None) -> ssl.SSLContext | None:
    """A verifying TLS context for ``ca_bundle`` or the first bundle named in
    :data:`CA_BUNDLE_VARS`; ``None`` when neither names a file (the client's default)."""
    if ca_bundle is None:
        ca_bundle = next(
            (v for v in map(os.environ.get, CA_BUNDLE_VARS) if v and os.path.isfile(v)), None
        )
    return ssl.create_default_context(cafile=os.fspath(ca_bundle)) if ca_bundle else None


def _base_url(url: str) -> str:
    url = url.rstrip("/")
    return url[: -len(_ENDPOINT)] if url.endswith(_ENDPOINT) else url


def _retried(status: int) -> bool:
    """Whether the ``openai`` client retries an answer with this status."""
    return status in (408, 409, 429) or status >= 500


def _short(text: object, limit: int = 500) -> str:
    flat = " ".join(str(text).split())
    return flat if len(flat) <= limit else flat[:limit] + "..."


class ChatClient:
    """Chat completions from an OpenAI-compatible endpoint.

    Args:
        url: the API base, e.g. ``http://localhost:8000/v1`` (a full
            ``.../chat/completions`` URL also works).
        model: the model name sent with every request.
        api_key: the bearer token; default ``OPENAI_API_KEY`` (``"EMPTY"`` if unset).
        temperature: the default sampling temperature.
        max_tokens: sent when given.
        timeout: seconds per HTTP request.
        max_retries: retries after the first attempt (408/409/429/5xx, network).
        ca_bundle: a CA file for HTTPS; default from ``SSL_CERT_FILE`` & co.
        headers: extra HTTP headers.

    Raises:
        LLMUnavailableError: the ``llm`` extra (``openai``) is not installed.
        ValueError: a URL that is not ``http(s)://``.

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
        ca_bundle: str | os.PathLike[str] | None = None,
        headers: Mapping[str, str] | None = None,
    ):
        if not url.startswith(("http://", "https://")):
            raise ValueError(f"the LLM url must start with http:// or https://, got {url!r}")
        self.url = _base_url(url)
        self.model = model
        self.temperature = temperature
        self.max_tokens = max_tokens
        self.max_retries = max_retries
        self.usage = Usage()
        self._lock = threading.Lock()
        self.client = make_client(self.url, api_key, timeout=timeout, max_retries=max_retries)
        options: dict[str, Any] = {}
        if headers:
            options["default_headers"] = dict(headers)
        context = ca_context(ca_bundle) if self.url.startswith("https://") else None
        if context is not None:
            import openai  # installed: make_client succeeded

            options["http_client"] = openai.DefaultHttpxClient(verify=context)
        if options:
            self.client = self.client.with_options(**options)

    def __repr__(self) -> str:
        return f"ChatClient({self.url!r}, model={self.model!r})"

    def chat(self, messages: Sequence[Message], *, temperature: float | None = None) -> str:
        """Send ``messages``; return the assistant's reply text.

        Raises:
            LLMError: a non-retryable HTTP error, retries exhausted, or a reply
                without ``choices[0].message.content``.
        """
        kwargs: dict[str, Any] = {
            "model": self.model,
            "messages": [dict(m) for m in messages],
            "temperature": self.temperature if temperature is None else temperature,
        }
        if self.max_tokens is not None:
            kwargs["max_tokens"] = self.max_tokens
        response = self._create(kwargs)
        choices = getattr(response, "choices", None)
        if not choices or getattr(choices[0], "message", None) is None:
            raise LLMError(f"{self.url}: the reply has no choices[0].message.content")
        content = choices[0].message.content
        if not isinstance(content, str):
            raise LLMError(f"{self.url}: the reply's content is not text: {content!r:.200}")
        usage = getattr(response, "usage", None)
        with self._lock:
            self.usage.requests += 1
            if usage is not None:
                self.usage.prompt_tokens += int(getattr(usage, "prompt_tokens", 0) or 0)
                self.usage.completion_tokens += int(getattr(usage, "completion_tokens", 0) or 0)
        return content

    def _create(self, kwargs: dict[str, Any]) -> Any:
        import openai  # installed: make_client succeeded

        tries = f"after {self.max_retries + 1} tries"
        try:
            return self.client.chat.completions.create(**kwargs)
        except openai.APIStatusError as exc:
            status = exc.status_code
            more = f" {tries}" if _retried(status) else ""
            detail = _short(exc.response.text or exc.message)
            raise LLMError(f"{self.url}: HTTP {status}{more}: {detail}", status=status) from None
        except openai.APITimeoutError:
            raise LLMError(f"{self.url}: no answer within the timeout ({tries})") from None
        except openai.APIConnectionError as exc:
            reason = _short(exc.__cause__ or exc)
            raise LLMError(f"{self.url}: cannot connect: {reason} ({tries})") from None
        except openai.APIError as exc:  # e.g. a reply that fails validation
            raise LLMError(f"{self.url}: unusable reply: {_short(exc, 300)}") from None
        except ValueError as exc:  # the client decodes the body as JSON
            raise LLMError(f"{self.url}: the reply is not JSON: {_short(exc, 300)}") from None
