"""The OpenAI-compatible client against a local HTTP server."""

from __future__ import annotations

import socket
import ssl

import pytest

from terminal_gym.pipeline import llm
from terminal_gym.pipeline.llm import ChatClient, LLMError
from tests.pipeline.fake_llm import FakeLLM, Reply


class Sleeps(list):
    def __call__(self, seconds):
        self.append(seconds)


def test_sends_model_messages_and_key():
    with FakeLLM(lambda body: "pong") as server:
        client = ChatClient(server.url, "my-model", api_key="sk-test", temperature=0.3)
        assert client.chat([{"role": "user", "content": "ping"}]) == "pong"
    (request,) = server.requests
    assert request["path"] == "/v1/chat/completions"
    assert request["headers"]["Authorization"] == "Bearer sk-test"
    assert request["json"] == {
        "model": "my-model",
        "messages": [{"role": "user", "content": "ping"}],
        "temperature": 0.3,
    }
    assert client.usage.requests == 1 and client.usage.prompt_tokens == 10


def test_api_key_from_the_environment_and_url_forms(monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-env")
    with FakeLLM(lambda body: "ok") as server:
        for url in (server.url + "/", server.url + "/chat/completions"):
            assert ChatClient(url, "m").chat([{"role": "user", "content": "x"}]) == "ok"
    assert [r["path"] for r in server.requests] == ["/v1/chat/completions"] * 2
    assert all(r["headers"]["Authorization"] == "Bearer sk-env" for r in server.requests)
    with pytest.raises(ValueError, match="http"):
        ChatClient("localhost:8000/v1", "m")


def test_429_then_200_is_retried_after_the_servers_delay():
    replies = [Reply(status=429, headers={"Retry-After": "0.5"}), Reply(content="finally")]
    with FakeLLM(lambda body: replies.pop(0)) as server:
        sleeps = Sleeps()
        client = ChatClient(server.url, "m", backoff=0.01, sleep=sleeps)
        assert client.chat([{"role": "user", "content": "x"}]) == "finally"
    assert len(server.requests) == 2
    assert len(sleeps) == 1 and sleeps[0] >= 0.5  # Retry-After wins over a shorter backoff
    assert client.usage.retries == 1


def test_5xx_until_retries_run_out():
    with FakeLLM(lambda body: Reply(status=503)) as server:
        sleeps = Sleeps()
        client = ChatClient(server.url, "m", max_retries=2, backoff=0.01, sleep=sleeps)
        with pytest.raises(LLMError, match="HTTP 503 after 3 tries") as info:
            client.chat([{"role": "user", "content": "x"}])
    assert info.value.status == 503
    assert len(server.requests) == 3
    assert sleeps[1] > sleeps[0]  # exponential backoff


def test_client_errors_are_not_retried():
    with FakeLLM(lambda body: Reply(status=400, body=b'{"error": "bad model"}')) as server:
        client = ChatClient(server.url, "m", sleep=Sleeps())
        with pytest.raises(LLMError, match=r"HTTP 400: .*bad model") as info:
            client.chat([{"role": "user", "content": "x"}])
    assert info.value.status == 400 and len(server.requests) == 1


def test_unusable_replies_are_errors():
    no_choices = FakeLLM(lambda body: Reply(body=b'{"choices": []}'))
    with no_choices, pytest.raises(LLMError, match=r"no choices\[0\].message.content"):
        ChatClient(no_choices.url, "m").chat([{"role": "user", "content": "x"}])
    html = FakeLLM(lambda body: Reply(body=b"<html>proxy error</html>"))
    with html, pytest.raises(LLMError, match="not JSON"):
        ChatClient(html.url, "m").chat([{"role": "user", "content": "x"}])


def test_connection_refused_is_retried_then_an_error():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed again: nothing listens there
    sleeps = Sleeps()
    client = ChatClient(f"http://127.0.0.1:{port}/v1", "m", max_retries=1, sleep=sleeps)
    with pytest.raises(LLMError, match="after 2 tries"):
        client.chat([{"role": "user", "content": "x"}])
    assert len(sleeps) == 1


def test_https_trusts_the_ca_bundle_from_the_environment(monkeypatch, tmp_path):
    bundle = tmp_path / "ca.pem"
    bundle.write_text("")
    seen = []
    real = ssl.create_default_context

    def spy(*args, **kwargs):
        seen.append(kwargs.get("cafile"))
        return real()

    monkeypatch.setattr(llm.ssl, "create_default_context", spy)
    monkeypatch.setenv("SSL_CERT_FILE", str(bundle))
    client = ChatClient("https://llm.example/v1", "m")
    assert seen == [str(bundle)]
    assert client._ssl is not None and client._ssl.verify_mode == ssl.CERT_REQUIRED
