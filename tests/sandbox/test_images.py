"""Task images: cache keys, Dockerfile rewrites, image maps, CA bundles, real builds."""

from __future__ import annotations

import hashlib
import re
import time
import uuid
from pathlib import Path

import docker.errors
import pytest

from terminal_gym.errors import ImageBuildError, ImageUnavailableError
from terminal_gym.sandbox import images
from terminal_gym.sandbox.bootstrap import DEBIAN_IMAGE
from terminal_gym.sandbox.ca import (
    CA_BUNDLE_VARS,
    CA_PATH_IN_IMAGE,
    find_ca_bundle,
    trust_instructions,
)
from terminal_gym.sandbox.images import context_hash, ensure_image, image_tag
from terminal_gym.sandbox.substitute import base_images, parse_image_map, rewrite_dockerfile
from terminal_gym.tasks.spec import EnvironmentSpec, Task, VerifierSpec

SYSTEM_CA = Path("/etc/ssl/certs/ca-certificates.crt")


def make_task(tmp_path: Path, dockerfile: str, files: dict[str, str] | None = None) -> Task:
    """A throwaway task whose build context is ``tmp_path/ctx``, with a unique id."""
    ctx = tmp_path / "ctx"
    ctx.mkdir(exist_ok=True)
    (ctx / "Dockerfile").write_text(dockerfile)
    for name, text in (files or {}).items():
        (ctx / name).write_text(text)
    return Task(
        id=f"tg-test-{uuid.uuid4().hex[:10]}",
        instruction="test",
        environment=EnvironmentSpec(
            context_dir=ctx, dockerfile=ctx / "Dockerfile", build_timeout_sec=120
        ),
        verifier=VerifierSpec(uploads=()),
    )


@pytest.fixture
def no_env_config(monkeypatch):
    """No image map or CA bundle from the environment leaks into a test."""
    monkeypatch.delenv("TERMINAL_GYM_IMAGE_MAP", raising=False)
    for var in CA_BUNDLE_VARS:
        monkeypatch.delenv(var, raising=False)


@pytest.fixture
def built_tags(docker_client):
    """Tags to remove after the test."""
    tags: list[str] = []
    yield tags
    for tag in tags:
        try:
            docker_client.images.remove(tag, force=True)
        except docker.errors.ImageNotFound:
            pass


# -- pure helpers ----------------------------------------------------------------------


def test_context_hash_stable_and_sensitive(tmp_path):
    ctx = tmp_path / "ctx"
    (ctx / "sub").mkdir(parents=True)
    (ctx / "a.txt").write_text("alpha")
    script = ctx / "sub" / "run.sh"
    script.write_text("echo hi")
    script.chmod(0o644)

    first = context_hash(ctx)
    assert first == context_hash(ctx)
    assert len(first) == 64

    (ctx / "a.txt").write_text("alpha!")
    changed = context_hash(ctx)
    assert changed != first
    (ctx / "a.txt").write_text("alpha")
    assert context_hash(ctx) == first  # content, not mtime

    script.chmod(0o755)
    assert context_hash(ctx) != first  # exec bit
    script.chmod(0o644)
    assert context_hash(ctx) == first

    (ctx / "a.txt").rename(ctx / "b.txt")
    assert context_hash(ctx) != first  # names count
    (ctx / "b.txt").rename(ctx / "a.txt")

    (ctx / "link").symlink_to("a.txt")
    with_link = context_hash(ctx)
    assert with_link != first
    (ctx / "link").unlink()
    (ctx / "link").symlink_to("sub/run.sh")
    assert context_hash(ctx) != with_link  # the link target counts
    (ctx / "link").unlink()

    assert context_hash(ctx, ["x"]) != first
    assert context_hash(ctx, ["x"]) == context_hash(ctx, ["x"])


def test_image_tag_depends_on_map_ca_and_bases(tmp_path):
    task = make_task(tmp_path, "FROM python:3.11-slim\n")
    tag = image_tag(task, {}, None)
    repo, _, digest = tag.partition(":")
    assert repo == f"terminal-gym/task-{task.id}"
    assert len(digest) == 16
    assert image_tag(task, {}, None) == tag

    mapped = image_tag(task, {"python:3.11-slim": "terminal-gym/python:3-bookworm"}, None)
    assert mapped != tag
    assert image_tag(task, {"python:3.11-slim": "other:1"}, None) != mapped

    ca1 = tmp_path / "ca1.pem"
    ca1.write_text("CERT ONE")
    ca2 = tmp_path / "ca2.pem"
    ca2.write_text("CERT TWO")
    with_ca = image_tag(task, {}, ca1)
    assert with_ca != tag
    assert image_tag(task, {}, ca2) != with_ca  # the bundle's content counts

    assert image_tag(task, {}, None, ["sha256:aaa"]) != tag
    assert image_tag(task, {}, None, ["sha256:aaa"]) != image_tag(task, {}, None, ["sha256:bbb"])

    (task.environment.context_dir / "extra.txt").write_text("x")
    assert image_tag(task, {}, None) != tag


def test_image_tag_without_context_fails():
    task = Task(
        id="image-only",
        instruction="",
        environment=EnvironmentSpec(docker_image="debian:bookworm"),
        verifier=VerifierSpec(uploads=()),
    )
    with pytest.raises(ImageBuildError, match="no build context"):
        image_tag(task, {}, None)


MULTI_STAGE = """\
# syntax=docker/dockerfile:1
FROM python:3.11-slim AS build
RUN echo build
FROM build AS test
FROM --platform=linux/amd64 debian:bookworm
COPY --from=build /x /x
from build
"""


def test_rewrite_maps_from_lines_but_not_stage_aliases():
    image_map = {
        "python:3.11-slim": "terminal-gym/python:3-bookworm",
        "debian:bookworm": "terminal-gym/debian:bookworm",
        "build": "must-not-be-used",
    }
    out = rewrite_dockerfile(MULTI_STAGE, image_map)
    froms = [line for line in out.splitlines() if line.lower().startswith("from")]
    assert froms == [
        "FROM terminal-gym/python:3-bookworm AS build",
        "FROM build AS test",
        "FROM --platform=linux/amd64 terminal-gym/debian:bookworm",
        "from build",
    ]
    assert "must-not-be-used" not in out
    assert "RUN echo build" in out and "COPY --from=build /x /x" in out
    assert "COPY .terminal-gym-ca-bundle.crt" not in out
    assert rewrite_dockerfile(MULTI_STAGE, {}) == MULTI_STAGE


def test_rewrite_injects_ca_after_each_from():
    out = rewrite_dockerfile(MULTI_STAGE, {}, each_stage=trust_instructions()).splitlines()
    from_idx = [i for i, line in enumerate(out) if line.lower().startswith("from")]
    assert len(from_idx) == 4
    for i in from_idx:
        assert out[i + 1] == f"COPY .terminal-gym-ca-bundle.crt {CA_PATH_IN_IMAGE}"
        env = out[i + 2]
        assert env.startswith("ENV ")
        for var in ("SSL_CERT_FILE", "REQUESTS_CA_BUNDLE", "PIP_CERT", "CURL_CA_BUNDLE"):
            assert f"{var}={CA_PATH_IN_IMAGE}" in env
    assert sum(line.startswith("COPY .terminal-gym-ca-bundle.crt") for line in out) == 4


def test_rewrite_and_base_images_read_the_dockerfile_as_docker_does():
    text = (
        "FROM \\\n"
        "# the image, on its own line\n"
        "    python:3.11-slim AS build\n"
        "RUN <<EOF\n"
        "FROM debian:bookworm\n"
        "EOF\n"
        "RUN echo a \\\n"
        "# a comment inside the continuation\n"
        "FROM-not-an-instruction\n"
        "FROM build\n"
    )
    assert base_images(text) == ["python:3.11-slim"]
    out = rewrite_dockerfile(text, {"python:3.11-slim": "local/py", "debian:bookworm": "local/deb"})
    assert out.splitlines()[0] == "FROM local/py AS build"
    assert out.split("\n", 1)[1] == text.split("\n", 3)[3]  # the rest as it was
    assert "local/deb" not in out


def test_base_images():
    assert base_images(MULTI_STAGE) == ["python:3.11-slim", "debian:bookworm"]
    assert base_images("FROM scratch\nCOPY x /x\n") == []
    assert base_images("ARG BASE=debian\nFROM $BASE\n") == []
    assert base_images("FROM a:1 AS A\nFROM a\nFROM b:2\n") == ["a:1", "b:2"]


def test_parse_image_map(monkeypatch):
    monkeypatch.delenv("TERMINAL_GYM_IMAGE_MAP", raising=False)
    assert parse_image_map(None) == {}
    assert parse_image_map(["a:1=b:2", " c = d "]) == {"a:1": "b:2", "c": "d"}
    assert parse_image_map({"a:1": "b:2"}) == {"a:1": "b:2"}

    monkeypatch.setenv("TERMINAL_GYM_IMAGE_MAP", "x=y, a:1=from-env,")
    assert parse_image_map(None) == {"x": "y", "a:1": "from-env"}
    # explicit entries win over the environment's, in both forms
    assert parse_image_map(["a:1=explicit"]) == {"x": "y", "a:1": "explicit"}
    assert parse_image_map({"a:1": "explicit"}) == {"x": "y", "a:1": "explicit"}

    monkeypatch.setenv("TERMINAL_GYM_IMAGE_MAP", "broken")
    with pytest.raises(ValueError, match="broken"):
        parse_image_map(None)
    monkeypatch.delenv("TERMINAL_GYM_IMAGE_MAP")
    for bad in ("no-equals", "=dst", "src=", "  =  "):
        with pytest.raises(ValueError, match="SRC=DST"):
            parse_image_map([bad])


def test_find_ca_bundle(tmp_path, monkeypatch, no_env_config):
    assert find_ca_bundle("auto") is None
    assert find_ca_bundle(None) is None

    bundle = tmp_path / "bundle.pem"
    bundle.write_text("CERT")
    monkeypatch.setenv("SSL_CERT_FILE", str(bundle))
    assert find_ca_bundle("auto") == bundle
    assert find_ca_bundle() == bundle

    # a variable naming a missing file is skipped; an earlier variable wins
    monkeypatch.setenv("SSL_CERT_FILE", str(tmp_path / "missing.pem"))
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(bundle))
    assert find_ca_bundle("auto") == bundle
    other = tmp_path / "other.pem"
    other.write_text("CERT 2")
    monkeypatch.setenv("TERMINAL_GYM_CA_BUNDLE", str(other))
    assert find_ca_bundle("auto") == other
    assert find_ca_bundle(None) is None  # None means none, whatever the environment says

    assert find_ca_bundle(str(bundle)) == bundle
    assert find_ca_bundle(bundle) == bundle
    with pytest.raises(ImageBuildError, match=r"missing-explicit\.pem"):
        find_ca_bundle(tmp_path / "missing-explicit.pem")


# -- real builds -----------------------------------------------------------------------


@pytest.mark.docker
def test_ensure_image_builds_once_then_caches(docker_client, tmp_path, built_tags):
    task = make_task(
        tmp_path,
        f"FROM {DEBIAN_IMAGE}\nCOPY data.txt /data.txt\n",
        {"data.txt": uuid.uuid4().hex},
    )
    tag = ensure_image(docker_client, task)
    built_tags.append(tag)
    first_id = docker_client.images.get(tag).id
    assert tag == image_tag(task, {}, None, [docker_client.images.get(DEBIAN_IMAGE).id])
    assert docker_client.images.get(tag).labels.get("terminal-gym.task") == task.id

    logs: list[str] = []
    started = time.monotonic()
    again = ensure_image(docker_client, task, log=logs.append)
    elapsed = time.monotonic() - started
    assert again == tag
    assert docker_client.images.get(tag).id == first_id  # not rebuilt
    assert logs == []  # a build logs "built ..."
    assert elapsed < 2

    # a changed context makes a new image
    (task.environment.context_dir / "data.txt").write_text("changed")
    changed = ensure_image(docker_client, task, log=logs.append)
    built_tags.append(changed)
    assert changed != tag
    assert logs and logs[0].startswith(f"built {changed}")


@pytest.mark.docker
def test_missing_base_image_fails_with_advice(docker_client, tmp_path, built_tags):
    task = make_task(tmp_path, "FROM example.invalid/nope:1\nRUN true\n")
    started = time.monotonic()
    with pytest.raises(ImageBuildError) as info:
        tag = ensure_image(docker_client, task)
        built_tags.append(tag)
    assert time.monotonic() - started < 60
    message = str(info.value)
    assert "example.invalid/nope:1" in message
    assert task.id in message
    assert isinstance(info.value, ImageUnavailableError)
    assert "cannot be built offline" in message and "`docker load`" in message
    assert "--image-map example.invalid/nope:1=LOCAL" in message


@pytest.mark.docker
def test_missing_base_image_through_map_names_the_mapped_image(docker_client, tmp_path):
    task = make_task(tmp_path, "FROM python:3.11-slim\n")
    missing = f"example.invalid/mapped-{uuid.uuid4().hex[:6]}:1"
    with pytest.raises(ImageBuildError, match=re.escape(missing)):
        ensure_image(docker_client, task, image_map={"python:3.11-slim": missing})


@pytest.mark.docker
def test_missing_bootstrap_image_says_bootstrap(docker_client, tmp_path, monkeypatch):
    task = make_task(tmp_path, "FROM terminal-gym/debian:nope\n")
    monkeypatch.setattr(images, "BASE_IMAGES", ("terminal-gym/debian:nope",))
    with pytest.raises(ImageBuildError, match="terminal-gym images bootstrap"):
        ensure_image(docker_client, task)


@pytest.mark.docker
def test_ca_bundle_is_built_into_the_image(docker_client, tmp_path, built_tags):
    if not SYSTEM_CA.is_file():
        pytest.skip(f"{SYSTEM_CA} is not on this host")
    task = make_task(tmp_path, f"FROM {DEBIAN_IMAGE}\nRUN echo {uuid.uuid4().hex}\n")
    tag = ensure_image(docker_client, task, ca_bundle=SYSTEM_CA)
    built_tags.append(tag)
    assert tag == image_tag(task, {}, SYSTEM_CA, [docker_client.images.get(DEBIAN_IMAGE).id])

    env = docker_client.images.get(tag).attrs["Config"]["Env"]
    for var in ("SSL_CERT_FILE", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"):
        assert f"{var}={CA_PATH_IN_IMAGE}" in env
    out = docker_client.containers.run(
        tag,
        ["sh", "-c", 'sha256sum "$SSL_CERT_FILE"'],
        remove=True,
        network_disabled=True,
    )
    digest, path = out.decode().split()
    assert path == CA_PATH_IN_IMAGE
    assert digest == hashlib.sha256(SYSTEM_CA.read_bytes()).hexdigest()


@pytest.mark.docker
def test_failing_build_raises(docker_client, tmp_path, built_tags):
    task = make_task(tmp_path, f"FROM {DEBIAN_IMAGE}\nRUN echo about-to-fail && false\n")
    with pytest.raises(ImageBuildError) as info:
        tag = ensure_image(docker_client, task)
        built_tags.append(tag)
    message = str(info.value)
    assert task.id in message
    assert "about-to-fail" in message  # the build log's tail
    assert not docker_client.images.list(name=f"terminal-gym/task-{task.id}")
