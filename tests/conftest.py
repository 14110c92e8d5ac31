"""Shared fixtures, and the skip policy.

Docker-backed tests skip when no daemon answers, except under ``CI=true``, where an
unreachable daemon is a failure: CI must test the real thing. The skip policy for the
whole suite is in the repository's root ``conftest.py``.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from terminal_gym.tasks import TaskSet

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
FIXTURES = Path(__file__).parent / "fixtures"


def _docker_client():
    from terminal_gym.errors import BackendUnavailableError
    from terminal_gym.sandbox.docker import connect

    try:
        return connect(ping_timeout=5)
    except BackendUnavailableError as exc:
        if IN_CI:
            pytest.fail(f"CI=true but the Docker daemon is unreachable: {exc}")
        pytest.skip(f"no Docker daemon: {exc}")


@pytest.fixture(scope="session")
def docker_client():
    return _docker_client()


@pytest.fixture(scope="session")
def docker_backend(docker_client):
    from terminal_gym.sandbox.docker import DockerBackend

    return DockerBackend(docker_client)


@pytest.fixture(scope="session")
def local_backend():
    from terminal_gym.sandbox.local import LocalBackend

    if shutil.which("bwrap") is None:
        if IN_CI:
            pytest.fail("CI=true but bubblewrap (bwrap) is not installed")
        pytest.skip("bubblewrap is not installed")
    return LocalBackend(isolation="bwrap")


@pytest.fixture(params=["docker", "local"])
def backend(request):
    """Each test using this runs once per backend."""
    return request.getfixturevalue(f"{request.param}_backend")


@pytest.fixture(scope="session")
def builtin() -> TaskSet:
    return TaskSet.from_source("builtin")


@pytest.fixture(scope="session")
def shell_task():
    """A small task for shell and sandbox tests: files in /app, python3 available."""
    return TaskSet.from_source(FIXTURES / "shell-task")[0]
