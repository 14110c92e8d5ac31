"""Offline base images: every apt suite the mirror has, a version label, a security fix.

The base images carry ``bookworm``, ``bookworm-updates`` and ``bookworm-security`` in
their apt sources (each only where the mirror has its ``Release`` file), so a
Dockerfile pinning a security-updated version builds; images an older bootstrap made
(no version label) count as missing, so ``images bootstrap`` replaces them.
"""

from __future__ import annotations

import functools
import http.server
import threading
import uuid
from collections.abc import Iterator

import pytest

from terminal_gym.sandbox import bootstrap
from terminal_gym.sandbox.bootstrap import (
    BOOTSTRAP_VERSION,
    DEBIAN_IMAGE,
    LABEL_SUITES,
    LABEL_VERSION,
    PYTHON_IMAGE,
    apt_suites,
)
from terminal_gym.sandbox.images import ensure_image
from terminal_gym.tasks.spec import EnvironmentSpec, Task, VerifierSpec


@pytest.fixture
def mirror(tmp_path) -> Iterator[str]:
    """A mirror with ``bookworm`` and ``bookworm-updates`` only."""
    for suite in ("bookworm", "bookworm-updates"):
        (tmp_path / "debian" / "dists" / suite).mkdir(parents=True)
        (tmp_path / "debian" / "dists" / suite / "Release").write_text("Suite: x\n")
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(tmp_path))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_apt_suites_are_the_ones_the_mirror_has(mirror):
    found = apt_suites("bookworm", f"{mirror}/debian", f"{mirror}/debian-security")
    assert found == [(f"{mirror}/debian", "bookworm"), (f"{mirror}/debian", "bookworm-updates")]


@pytest.mark.docker
def test_images_of_an_older_bootstrap_are_not_current(docker_client, tmp_path):
    tags = []
    for version in ("", "1", str(BOOTSTRAP_VERSION)):
        tag = f"terminal-gym/test-bootstrap-label:{uuid.uuid4().hex[:8]}"
        label = f'LABEL {LABEL_VERSION}="{version}"\n' if version else "LABEL x=y\n"
        (tmp_path / "Dockerfile").write_text("FROM scratch\n" + label)
        docker_client.images.build(path=str(tmp_path), tag=tag, rm=True)
        tags.append(tag)
    try:
        assert [bootstrap._current(docker_client, t) for t in tags] == [False, False, True]
        assert not bootstrap._current(docker_client, "terminal-gym/absent:nope")
    finally:
        for tag in tags:
            docker_client.images.remove(tag, force=True)


@pytest.mark.docker
@pytest.mark.parametrize("image", [DEBIAN_IMAGE, PYTHON_IMAGE])
def test_base_images_carry_the_updates_and_security_suites(docker_client, image):
    labels = docker_client.images.get(image).labels or {}
    assert int(labels.get(LABEL_VERSION, "0")) >= BOOTSTRAP_VERSION, (
        f"{image} was made by an older bootstrap: run terminal-gym images bootstrap"
    )
    assert labels[LABEL_SUITES].split() == ["bookworm", "bookworm-updates", "bookworm-security"]
    sources = docker_client.containers.run(
        image, ["cat", "/etc/apt/sources.list"], remove=True
    ).decode()
    suites = [line.split()[2] for line in sources.splitlines() if line.startswith("deb ")]
    assert suites == ["bookworm", "bookworm-updates", "bookworm-security"]
    assert "debian-security bookworm-security main" in sources


def _security_only_version(docker_client) -> tuple[str, str]:
    """A package and a version of it that only bookworm-security has, on the mirror now."""
    script = "apt-get update -qq >/dev/null && apt-cache madison openssl libssl3 libc6 curl"
    out = docker_client.containers.run(DEBIAN_IMAGE, ["sh", "-c", script], remove=True).decode()
    rows = [[cell.strip() for cell in line.split("|")] for line in out.splitlines() if "|" in line]
    for package, version, source in rows:
        others = [r for r in rows if r[0] == package and r[1] == version and r is not None]
        if "-security" in source and all("-security" in r[2] for r in others):
            return package, version
    pytest.fail(f"no version only in bookworm-security among:\n{out}")


@pytest.mark.docker
def test_a_pinned_security_version_installs(docker_client, tmp_path):
    package, version = _security_only_version(docker_client)
    ctx = tmp_path / "ctx"
    ctx.mkdir()
    (ctx / "Dockerfile").write_text(
        f"FROM {DEBIAN_IMAGE}\n"
        f"RUN apt-get update && apt-get install -y --no-install-recommends {package}={version}"
        f" && dpkg-query -W {package}  # {uuid.uuid4().hex}\n"
    )
    task = Task(
        id=f"tg-security-{uuid.uuid4().hex[:8]}",
        instruction="test",
        environment=EnvironmentSpec(
            context_dir=ctx, dockerfile=ctx / "Dockerfile", build_timeout_sec=600
        ),
        verifier=VerifierSpec(uploads=()),
    )
    tag = ensure_image(docker_client, task, verifier_tools=False)
    try:
        # a line of its own: the daemon's logs can drop a last line with no newline
        out = docker_client.containers.run(
            tag, ["dpkg-query", "-W", "-f", "${Version}\n", package], remove=True
        ).decode()
        assert out.strip() == version
    finally:
        docker_client.images.remove(tag, force=True)


@pytest.mark.docker
def test_bootstrap_keeps_current_images(docker_client):
    stages: list[str] = []
    lines: list[str] = []
    assert bootstrap.bootstrap(docker_client, log=lines.append, progress=stages.append) == []
    assert stages == [] and lines == []
