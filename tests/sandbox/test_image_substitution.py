"""Built-in image substitutes (sandbox.substitute) and the offline verifier tooling.

A real task's ``FROM python:3.13-slim-bookworm`` (or a Terminal-Bench base image)
cannot be pulled offline: a built-in substitute takes its place, only when the image
is absent and unpullable, never over an explicit map, and the build says so.
"""

from __future__ import annotations

import logging
import time
import uuid
from pathlib import Path

import docker.errors
import pytest

from terminal_gym.errors import ImageBuildError
from terminal_gym.sandbox import images, substitute
from terminal_gym.sandbox.bootstrap import DEBIAN_IMAGE, PYTHON_IMAGE
from terminal_gym.sandbox.ca import CA_PATH_IN_IMAGE, find_ca_bundle, trust_instructions
from terminal_gym.sandbox.images import ensure_image, ensure_verifier_tools
from terminal_gym.sandbox.substitute import DEFAULT_MAP_VAR, default_substitute, rewrite_dockerfile
from terminal_gym.sandbox.verifier_tools import TOOLS_DIR, UV_VERSION, copy_instructions
from terminal_gym.tasks.spec import EnvironmentSpec, Task, VerifierSpec


def make_task(tmp_path: Path, dockerfile: str | None, docker_image: str | None = None) -> Task:
    ctx = tmp_path / "ctx"
    ctx.mkdir(exist_ok=True)
    if dockerfile is not None:
        (ctx / "Dockerfile").write_text(dockerfile)
    return Task(
        id=f"tg-subst-{uuid.uuid4().hex[:10]}",
        instruction="test",
        environment=EnvironmentSpec(
            context_dir=ctx if dockerfile is not None else None,
            dockerfile=ctx / "Dockerfile" if dockerfile is not None else None,
            docker_image=docker_image,
            build_timeout_sec=300,
        ),
        verifier=VerifierSpec(uploads=()),
    )


@pytest.fixture
def fake_registry(monkeypatch):
    """Images named ``example.invalid/...`` (never pullable) get the Debian substitute."""
    monkeypatch.delenv(DEFAULT_MAP_VAR, raising=False)
    monkeypatch.delenv("TERMINAL_GYM_IMAGE_MAP", raising=False)
    rules = (("example.invalid/*", DEBIAN_IMAGE), *substitute.DEFAULT_SUBSTITUTES)
    monkeypatch.setattr(substitute, "DEFAULT_SUBSTITUTES", rules)
    return f"example.invalid/t-bench/base-{uuid.uuid4().hex[:8]}:20250620"


@pytest.fixture
def built_tags(docker_client):
    tags: list[str] = []
    yield tags
    for tag in tags:
        try:
            docker_client.images.remove(tag, force=True)
        except docker.errors.ImageNotFound:
            pass


# -- rules (pure) ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("image", "expected"),
    [
        ("python:3.13-slim-bookworm", PYTHON_IMAGE),
        ("python:3.11-slim", PYTHON_IMAGE),
        ("python", PYTHON_IMAGE),
        ("docker.io/library/python:3.12", PYTHON_IMAGE),
        ("python:3.12@sha256:" + "0" * 64, PYTHON_IMAGE),
        ("ghcr.io/laude-institute/t-bench/python-3-13:20250620", PYTHON_IMAGE),
        ("ghcr.io/laude-institute/t-bench/ubuntu-24-04:20250624", PYTHON_IMAGE),
        ("ubuntu:24.04", PYTHON_IMAGE),
        ("ubuntu", PYTHON_IMAGE),
        ("debian:bookworm-slim", DEBIAN_IMAGE),
        ("library/debian:12", DEBIAN_IMAGE),
        ("python:2.7", None),
        ("node:20", None),
        ("alexgshaw/regex-log:20251031", None),
        ("ghcr.io/other/python-3-13:1", None),
    ],
)
def test_default_substitute_rules(image, expected):
    assert default_substitute(image) == expected


def test_tools_go_into_the_final_stage_after_the_ca():
    text = "FROM python:3.11 AS build\nRUN make\nFROM debian:bookworm\nCOPY --from=build /o /o\n"
    out = rewrite_dockerfile(
        text,
        {"debian:bookworm": DEBIAN_IMAGE},
        each_stage=trust_instructions(),
        final_stage=copy_instructions("tools:1"),
    ).splitlines()
    assert out[0] == "FROM python:3.11 AS build"
    assert not any("tools:1" in line for line in out[: out.index("RUN make")])
    final = out.index(f"FROM {DEBIAN_IMAGE}")
    assert out[final + 1].startswith("COPY ") and CA_PATH_IN_IMAGE in out[final + 1]
    assert out[final + 2].startswith("ENV SSL_CERT_FILE=")
    assert out[final + 3] == f"COPY --from=tools:1 {TOOLS_DIR} {TOOLS_DIR}"
    assert out[final + 4] == f"COPY --from=tools:1 {TOOLS_DIR}/shim/curl /usr/local/bin/curl"
    assert out[final + 5] == "COPY --from=build /o /o"
    assert rewrite_dockerfile(text, {}) == text


def test_a_failed_pull_is_tried_once(monkeypatch):
    calls = []

    class Images:
        def pull(self, name):
            calls.append(name)
            raise docker.errors.APIError("500", explanation="dial tcp: no such host")

    class Client:
        images = Images()

    name = f"example.invalid/once-{uuid.uuid4().hex[:8]}:1"
    assert images._pull(Client(), name) is None
    assert images._pull(Client(), name) is None
    assert calls == [name]
    assert images._UNPULLABLE[name] == "dial tcp: no such host"


# -- builds -------------------------------------------------------------------------------


@pytest.mark.docker
def test_missing_base_falls_back_to_the_substitute(
    docker_client, tmp_path, fake_registry, built_tags, caplog
):
    task = make_task(tmp_path, f"FROM {fake_registry}\nRUN echo {uuid.uuid4().hex}\n")
    notes: list[str] = []
    started = time.monotonic()
    with caplog.at_level(logging.WARNING, logger="terminal_gym.sandbox.images"):
        tag = ensure_image(docker_client, task, log=notes.append, verifier_tools=False)
    built_tags.append(tag)
    assert time.monotonic() - started < 120
    labels = docker_client.images.get(tag).labels
    assert labels["terminal-gym.substitutes"] == f"{fake_registry}={DEBIAN_IMAGE}"
    assert any(fake_registry in n and DEBIAN_IMAGE in n and "--image-map" in n for n in notes)
    assert any("built-in substitute" in r.getMessage() for r in caplog.records)
    out = docker_client.containers.run(tag, ["cat", "/etc/debian_version"], remove=True)
    assert out.decode().startswith("12")
    # same inputs, same tag: the cache holds
    assert ensure_image(docker_client, task, verifier_tools=False) == tag


@pytest.mark.docker
def test_explicit_map_wins_over_substitutes(docker_client, tmp_path, fake_registry):
    task = make_task(tmp_path, "FROM python:3.11-slim\n")
    with pytest.raises(ImageBuildError, match=r"example\.invalid"):
        ensure_image(docker_client, task, image_map={"python:3.11-slim": fake_registry})


@pytest.mark.docker
def test_substitutes_can_be_turned_off(docker_client, tmp_path, fake_registry, monkeypatch):
    task = make_task(tmp_path, f"FROM {fake_registry}\n")
    with pytest.raises(ImageBuildError, match="--image-map"):
        ensure_image(docker_client, task, default_substitutes=False)
    monkeypatch.setenv(DEFAULT_MAP_VAR, "0")
    with pytest.raises(ImageBuildError, match="--image-map"):
        ensure_image(docker_client, task)


@pytest.mark.docker
def test_missing_substitute_says_bootstrap(docker_client, tmp_path, monkeypatch):
    missing = f"example.invalid/gone-{uuid.uuid4().hex[:8]}:1"
    monkeypatch.setattr(
        substitute, "DEFAULT_SUBSTITUTES", (("example.invalid/gone-*", "terminal-gym/none:x"),)
    )
    task = make_task(tmp_path, f"FROM {missing}\n")
    with pytest.raises(ImageBuildError) as info:
        ensure_image(docker_client, task)
    message = str(info.value)
    assert missing in message and "terminal-gym/none:x" in message
    assert "terminal-gym images bootstrap" in message


@pytest.mark.docker
def test_image_only_task_gets_the_substitute(docker_client, tmp_path, fake_registry):
    task = make_task(tmp_path, None, docker_image=fake_registry)
    assert ensure_image(docker_client, task) == DEBIAN_IMAGE


# -- offline verifier tooling ---------------------------------------------------------------


@pytest.fixture(scope="module")
def tools(docker_client):
    if docker_client.images.list(name=PYTHON_IMAGE) == []:
        pytest.skip(f"{PYTHON_IMAGE} is missing (terminal-gym images bootstrap)")
    tag = ensure_verifier_tools(docker_client, ca_bundle=find_ca_bundle())
    if tag is None:
        pytest.skip("the verifier tooling cannot be built here (no PyPI?)")
    return tag


@pytest.mark.docker
def test_substituted_task_gets_uv_behind_the_astral_installer(
    docker_client, tmp_path, fake_registry, built_tags, tools
):
    task = make_task(tmp_path, f"FROM {fake_registry}\nWORKDIR /app\n")
    tag = ensure_image(docker_client, task)
    built_tags.append(tag)
    script = (
        "set -e; curl -LsSf https://astral.sh/uv/0.9.5/install.sh | sh; "
        '. "$HOME/.local/bin/env"; uv --version; '
        "curl -fsSL https://astral.sh/uv/install.sh -o /tmp/i.sh; grep -c stand-in /tmp/i.sh; "
        "curl --version >/dev/null 2>&1 || echo real-curl-absent"
    )
    out = docker_client.containers.run(
        tag, ["sh", "-c", script], remove=True, network_disabled=True
    ).decode()
    assert f"uv {UV_VERSION}" in out
    assert "everything's installed!" in out
    assert out.splitlines()[-1] in ("1", "real-curl-absent")


@pytest.mark.docker
def test_tasks_on_their_own_images_get_no_tooling(docker_client, tmp_path, built_tags, tools):
    task = make_task(tmp_path, f"FROM {DEBIAN_IMAGE}\nRUN echo {uuid.uuid4().hex}\n")
    tag = ensure_image(docker_client, task)
    built_tags.append(tag)
    out = docker_client.containers.run(
        tag, ["sh", "-c", f"ls {TOOLS_DIR} 2>&1 || true"], remove=True
    ).decode()
    assert "No such file" in out


def test_doctests():
    import doctest

    from terminal_gym.sandbox import ca, verifier_tools

    for module in (substitute, ca, verifier_tools):
        failures, tried = doctest.testmod(module)
        assert tried and not failures, module.__name__
