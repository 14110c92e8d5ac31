"""Real Terminal-Bench 2 image references on the first try.

Public tasks name their base images through registry mirrors, with digests
(``public.ecr.aws/docker/library/debian:bookworm-slim@sha256:...``,
``mirror.gcr.io/library/python:3.12-slim``). Offline, each maps to the local base it
stands for, an image map names them with or without the digest, a substitution says
how it differs from what was asked, and an image no local base can stand in for is
refused in one sentence that says what would fix it.
"""

from __future__ import annotations

import logging
import uuid
from pathlib import Path

import docker.errors
import pytest

from terminal_gym.envs import TerminalLegoEnv
from terminal_gym.errors import ImageBuildError, ImageUnavailableError
from terminal_gym.rollout.validate import validate_task
from terminal_gym.sandbox.bootstrap import DEBIAN_IMAGE, PYTHON_IMAGE
from terminal_gym.sandbox.images import prepare_image
from terminal_gym.sandbox.substitute import (
    DEFAULT_MAP_VAR,
    BaseFacts,
    ImageRef,
    default_substitute,
    map_lookup,
    substitution_differences,
    unavailable_message,
    unmatched_keys,
)
from terminal_gym.tasks import load_task

DIGEST = "sha256:" + "ab" * 32
OTHER_DIGEST = "sha256:" + "cd" * 32
FULL = ("bookworm", "bookworm-updates", "bookworm-security")


@pytest.fixture(autouse=True)
def _no_env_maps(monkeypatch):
    monkeypatch.delenv(DEFAULT_MAP_VAR, raising=False)
    monkeypatch.delenv("TERMINAL_GYM_IMAGE_MAP", raising=False)


# -- references (pure) ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "prefix",
    [
        "",
        "library/",
        "docker.io/",
        "docker.io/library/",
        "registry-1.docker.io/library/",
        "index.docker.io/library/",
        "public.ecr.aws/docker/library/",
        "mirror.gcr.io/library/",
    ],
)
@pytest.mark.parametrize("suffix", ["", f"@{DIGEST}"])
@pytest.mark.parametrize(
    ("image", "expected"),
    [
        ("debian:bookworm-slim", DEBIAN_IMAGE),
        ("debian:bookworm", DEBIAN_IMAGE),
        ("debian:12", DEBIAN_IMAGE),
        ("debian", DEBIAN_IMAGE),
        ("python:3.12-slim", PYTHON_IMAGE),
        ("python:3.13-slim-bookworm", PYTHON_IMAGE),
        ("python:3.11", PYTHON_IMAGE),
        ("python", PYTHON_IMAGE),
        ("node:20", None),
        ("rust:1.80", None),
        ("golang:1.22", None),
    ],
)
def test_mirror_refs_map_to_the_right_base(prefix, suffix, image, expected):
    assert default_substitute(prefix + image + suffix) == expected


def test_image_ref_parses_registries_tags_and_digests():
    ref = ImageRef.parse(f"public.ecr.aws/docker/library/debian:bookworm-slim@{DIGEST}")
    assert (ref.name, ref.tag, ref.digest, ref.short) == (
        "debian",
        "bookworm-slim",
        DIGEST,
        "debian:bookworm-slim",
    )
    port = ImageRef.parse("localhost:5000/team/app")
    assert (port.name, port.tag) == ("localhost:5000/team/app", None)
    assert ImageRef.parse("ghcr.io/x/y:1").name == "ghcr.io/x/y"


def test_image_map_keys_match_with_or_without_the_digest():
    image = f"public.ecr.aws/docker/library/debian:bookworm-slim@{DIGEST}"
    assert map_lookup({"debian:bookworm-slim": "local:1"}, image) == (
        "debian:bookworm-slim",
        "local:1",
    )
    assert map_lookup({f"debian:bookworm-slim@{DIGEST}": "local:1"}, image) is not None
    assert map_lookup({f"debian:bookworm-slim@{OTHER_DIGEST}": "local:1"}, image) is None
    assert map_lookup({"debian:bookworm": "local:1"}, image) is None  # another tag
    assert map_lookup({"debian": "local:1"}, "debian:latest") is not None  # no tag: latest
    # an exact key wins over a looser one
    both = {"debian:bookworm-slim": "loose", image: "exact"}
    assert map_lookup(both, image) == (image, "exact")
    assert unmatched_keys({"debian:bookworm-slim": "a", "node:20": "b"}, [image]) == ["node:20"]


# -- differences (pure) ----------------------------------------------------------------------


def test_a_faithful_substitution_names_only_the_python_build():
    facts = BaseFacts("bookworm", "3.11", FULL, extras="git, curl")
    assert substitution_differences("debian:bookworm", facts) == []
    assert substitution_differences(f"debian:bookworm-slim@{DIGEST}", facts) == [
        "not slim: extra packages (git, curl)"
    ]
    found = substitution_differences("python:3.11-bookworm", facts)
    assert len(found) == 2 and found[0].startswith("not the full image")


@pytest.mark.parametrize(
    ("image", "expected"),
    [
        ("python:3.13-slim-bookworm", "Python 3.11 instead of 3.13"),
        ("mirror.gcr.io/library/python:3.12-slim", "Python 3.11 instead of 3.12"),
        ("python:3.12-slim", "pins no Debian release"),
        ("python:3.11", "not the full image: no compilers"),
        ("python:3.11-slim-bullseye", "Debian bookworm (12) instead of bullseye (11): newer"),
        ("debian:trixie-slim", "Debian bookworm (12) instead of trixie (13): older"),
        ("debian:13", "instead of trixie (13)"),
        ("debian:latest", "pins no Debian release"),
        ("python:3.12-alpine", "instead of Alpine Linux"),
        ("ubuntu:24.04", "Debian bookworm (12) instead of Ubuntu 24.04"),
        ("ghcr.io/laude-institute/t-bench/python-3-13:20250620", "Python 3.11 instead of 3.13"),
    ],
)
def test_differences_are_named(image, expected):
    facts = BaseFacts("bookworm", "3.11", FULL, extras="git")
    found = substitution_differences(image, facts)
    assert any(expected in line for line in found), found


def test_fewer_apt_suites_are_named():
    found = substitution_differences("debian:bookworm", BaseFacts("bookworm", None, ("bookworm",)))
    assert len(found) == 1
    assert "lack bookworm-updates, bookworm-security" in found[0]
    assert "images bootstrap" in found[0]


@pytest.mark.parametrize(
    ("image", "what"),
    [
        ("rust:1.80", "Rust 1.80"),
        ("node:20", "Node.js 20"),
        ("golang:1.22", "Go 1.22"),
        (f"public.ecr.aws/docker/library/node:20-slim@{DIGEST}", "Node.js 20"),
        ("ghcr.io/x/y", "the contents of ghcr.io/x/y"),
    ],
)
def test_the_refusal_is_one_sentence_with_the_fix(image, what):
    message = unavailable_message(image)
    assert message == (
        f"image {image} cannot be built offline: no local base provides {what}; "
        f"build or load it (`docker load`) and pass `--image-map {image}=LOCAL`"
    )
    assert "\n" not in message


# -- real builds -------------------------------------------------------------------------------


def write_task(root: Path, dockerfile: str, solve: str = "touch /tmp/done\n") -> Path:
    """A Harbor task: create /tmp/done (the solution does) and the verifier checks it."""
    (root / "environment").mkdir(parents=True)
    (root / "solution").mkdir()
    (root / "tests").mkdir()
    (root / "task.toml").write_text('[metadata]\ndifficulty = "easy"\n')
    (root / "instruction.md").write_text("Create the file /tmp/done.\n")
    (root / "environment" / "Dockerfile").write_text(dockerfile)
    (root / "solution" / "solve.sh").write_text("#!/bin/bash\n" + solve)
    (root / "tests" / "test.sh").write_text(
        "#!/bin/bash\nmkdir -p /logs/verifier\n"
        "[ -f /tmp/done ] && echo 1 > /logs/verifier/reward.txt "
        "|| echo 0 > /logs/verifier/reward.txt\n"
    )
    return root


@pytest.mark.docker
@pytest.mark.parametrize(
    ("dockerfile", "substitute", "check"),
    [
        (
            f"FROM public.ecr.aws/docker/library/debian:bookworm-slim@{DIGEST}\n",
            DEBIAN_IMAGE,
            "cat /etc/debian_version",
        ),
        (
            "FROM mirror.gcr.io/library/python:3.12-slim\n",
            PYTHON_IMAGE,
            "python3 --version",
        ),
    ],
)
def test_mirror_ref_tasks_build_and_validate(
    docker_backend, tmp_path, dockerfile, substitute, check
):
    marker = uuid.uuid4().hex[:8]
    task = load_task(write_task(tmp_path / f"mirror-{marker}", dockerfile + f"RUN echo {marker}\n"))
    env = TerminalLegoEnv(task, backend=docker_backend)
    try:
        _, info = env.reset()
        [note] = info["image_substitution"]
        assert note["original"] == dockerfile.split()[1]
        assert note["substitute"] == substitute and note["by"] == "default"
        assert isinstance(note["differences"], list)
        assert env.unwrapped.sandbox.exec(check).exit_code == 0
        row = validate_task(env, task.id).to_dict()
    finally:
        env.close()
    assert row["verified"], row["problems"]
    assert row["oracle_reward"] == 1.0 and row["null_reward"] == 0.0
    assert row["substitution"][0]["substitute"] == substitute
    if substitute == PYTHON_IMAGE:
        assert any("3.12" in d for d in row["substitution"][0]["differences"])
    assert row["build_seconds"] is not None and row["build_log"] is None
    docker_backend.client.images.remove(docker_backend.prepare(task), force=True)


@pytest.mark.docker
def test_digestless_map_key_and_unmatched_key(docker_client, tmp_path, caplog):
    marker = uuid.uuid4().hex[:8]
    root = write_task(
        tmp_path / "mapped",
        f"FROM public.ecr.aws/docker/library/debian:bookworm-slim@{DIGEST}\nRUN echo {marker}\n",
    )
    task = load_task(root)
    image_map = {"debian:bookworm-slim": DEBIAN_IMAGE, "node:20": "local/node:20"}
    with caplog.at_level(logging.WARNING, logger="terminal_gym.sandbox.images"):
        info = prepare_image(docker_client, task, image_map=image_map, verifier_tools=False)
    try:
        assert info.built and info.seconds > 0
        assert info.unmatched_map_keys == ["node:20"]
        assert info.notes()["image_map_unmatched"] == ["node:20"]
        [record] = info.substitutions
        assert record["by"] == "image_map" and record["substitute"] == DEBIAN_IMAGE
        assert any(
            "node:20" in r.getMessage() and "no FROM" in r.getMessage() for r in caplog.records
        )
        assert docker_client.images.get(info.image).labels["terminal-gym.task"] == task.id
        # a key with another digest matches nothing: the unpullable image is refused
        other = {f"debian:bookworm-slim@{OTHER_DIGEST}": DEBIAN_IMAGE}
        with pytest.raises(ImageBuildError):
            prepare_image(
                docker_client,
                task,
                image_map=other,
                default_substitutes=False,
                verifier_tools=False,
            )
    finally:
        docker_client.images.remove(info.image, force=True)


@pytest.mark.docker
@pytest.mark.parametrize(
    "image", ["rust:1.80", "node:20", "golang:1.22", f"ghcr.io/x/y-{uuid.uuid4().hex[:6]}"]
)
def test_unobtainable_images_are_refused(docker_client, tmp_path, image):
    task = load_task(write_task(tmp_path / "refused", f"FROM {image}\nRUN true\n"))
    try:
        docker_client.images.get(image)
        pytest.fail(f"{image} is present here: this test needs it absent")
    except docker.errors.ImageNotFound:
        pass
    with pytest.raises(ImageUnavailableError) as info:
        prepare_image(docker_client, task)
    assert str(info.value) == f"task {task.id!r}: {unavailable_message(image)}"
