"""The pipeline's chat client (the official ``openai`` client) against a local HTTP server."""

from __future__ import annotations

import builtins
import pickle
import socket
import ssl
import subprocess
import sys
import time

import pytest

from terminal_gym.pipeline import llm
from terminal_gym.pipeline.llm import ChatClient, LLMError, LLMUnavailableError
from tests.pipeline.fake_llm import FakeLLM, Reply

pytest.importorskip("openai")

#: Ask the client to wait 10 ms before a retry (it honours the header).
FAST_RETRY = {"retry-after-ms": "10"}
PING = [{"role": "user", "content": "ping"}]


def test_sends_model_messages_and_key():
    with FakeLLM(lambda body: "pong") as server:
        client = ChatClient(server.url, "my-model", api_key="sk-test", temperature=0.3)
        assert client.chat(PING) == "pong"
    (request,) = server.requests
    assert request["path"] == "/v1/chat/completions"
    assert request["headers"]["authorization"] == "Bearer sk-test"
    assert request["json"] == {"model": "my-model", "messages": PING, "temperature": 0.3}
    assert client.usage.requests == 1 and client.usage.prompt_tokens == 10


def test_api_key_from_the_environment_url_forms_and_headers(monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-env")
    with FakeLLM(lambda body: "ok") as server:
        for url in (server.url + "/", server.url + "/chat/completions"):
            assert ChatClient(url, "m", headers={"X-Team": "gym"}).chat(PING) == "ok"
    assert [r["path"] for r in server.requests] == ["/v1/chat/completions"] * 2
    assert all(r["headers"]["authorization"] == "Bearer sk-env" for r in server.requests)
    assert all(r["headers"]["x-team"] == "gym" for r in server.requests)
    with pytest.raises(ValueError, match="http"):
        ChatClient("localhost:8000/v1", "m")


def test_500_then_200_succeeds_through_the_clients_retries():
    replies = [Reply(status=500, headers=FAST_RETRY), Reply(content="finally")]
    with FakeLLM(lambda body: replies.pop(0)) as server:
        client = ChatClient(server.url, "m", max_retries=2)
        assert client.chat(PING) == "finally"
    assert len(server.requests) == 2 and client.usage.requests == 1


def test_429_is_retried_after_the_servers_delay():
    replies = [Reply(status=429, headers={"Retry-After": "0.3"}), Reply(content="finally")]
    with FakeLLM(lambda body: replies.pop(0)) as server:
        started = time.monotonic()
        assert ChatClient(server.url, "m", max_retries=1).chat(PING) == "finally"
    assert time.monotonic() - started >= 0.3
    assert len(server.requests) == 2


def test_a_persistent_500_is_a_typed_error_quickly():
    with FakeLLM(lambda body: Reply(status=500, headers=FAST_RETRY)) as server:
        client = ChatClient(server.url, "m", max_retries=2, timeout=5)
        started = time.monotonic()
        with pytest.raises(LLMError, match=r"HTTP 500 after 3 tries: .*fake error") as info:
            client.chat(PING)
    assert time.monotonic() - started < 3
    assert info.value.status == 500 and len(server.requests) == 3
    assert pickle.loads(pickle.dumps(info.value)).status == 500


def test_client_errors_are_not_retried():
    with FakeLLM(lambda body: Reply(status=400, body=b'{"error": "bad model"}')) as server:
        client = ChatClient(server.url, "m")
        with pytest.raises(LLMError, match=r"HTTP 400: .*bad model") as info:
            client.chat(PING)
    assert info.value.status == 400 and len(server.requests) == 1


def test_unusable_replies_are_errors():
    no_choices = FakeLLM(lambda body: Reply(body=b'{"choices": []}'))
    with no_choices, pytest.raises(LLMError, match=r"no choices\[0\].message.content"):
        ChatClient(no_choices.url, "m").chat(PING)
    html = FakeLLM(lambda body: Reply(body=b"<html>proxy error</html>"))
    with html, pytest.raises(LLMError, match="not JSON"):
        ChatClient(html.url, "m").chat(PING)


def test_connection_refused_is_retried_then_an_error():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed again: nothing listens there
    client = ChatClient(f"http://127.0.0.1:{port}/v1", "m", max_retries=1)
    with pytest.raises(LLMError, match=r"cannot connect: .*\(after 2 tries\)") as info:
        client.chat(PING)
    assert info.value.status is None


def test_https_trusts_the_ca_bundle_from_the_environment(monkeypatch, tmp_path):
    bundle = tmp_path / "ca.pem"
    bundle.write_text("")
    seen = []
    real = ssl.create_default_context

    def spy(*args, **kwargs):
        seen.append(kwargs.get("cafile"))
        return real()

    monkeypatch.setattr(llm.ssl, "create_default_context", spy)
    for var in llm.CA_BUNDLE_VARS:
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(bundle))  # one the HTTP library ignores
    ChatClient("https://llm.example/v1", "m")
    assert seen[-1] == str(bundle)  # the context the client verifies with
    context = llm.ca_context(bundle)
    assert context is not None and context.verify_mode == ssl.CERT_REQUIRED


def test_importing_the_pipeline_does_not_import_openai():
    code = "import sys, terminal_gym.pipeline.llm; assert 'openai' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)


def test_without_openai_a_client_is_a_typed_error(monkeypatch):
    for name in [m for m in sys.modules if m == "openai" or m.startswith("openai.")]:
        monkeypatch.delitem(sys.modules, name)
    real_import = builtins.__import__

    def no_openai(name, *args, **kwargs):
        if name == "openai" or name.startswith("openai."):
            raise ImportError(f"No module named {name!r}")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_openai)
    with pytest.raises(LLMUnavailableError, match=r"pip install 'terminal-gym\[llm\]'"):
        ChatClient("http://127.0.0.1:1/v1", "m")
