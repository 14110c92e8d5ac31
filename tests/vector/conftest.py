"""Fixtures for the vector tests: a small local Ray per module, and envs that run without Docker.

Ray is the ``ray`` extra (``make test`` installs it): tests that need it skip when it is
missing, except under ``CI=true``, where a missing Ray is a failure, as a missing Docker
daemon is.
"""

from __future__ import annotations

import contextlib
import importlib.util

import pytest

from tests.conftest import IN_CI

#: What every test module's Ray may use: this machine is small and shared.
RAY_INIT = {
    "num_cpus": 2,
    "object_store_memory": 200 * 2**20,
    "include_dashboard": False,
    "log_to_driver": False,
}


def require_ray() -> None:
    if importlib.util.find_spec("ray") is None:
        if IN_CI:
            pytest.fail("CI=true but Ray is not installed (the `ray` extra)")
        pytest.skip("Ray is not installed (pip install 'terminal-gym[ray]')")


@contextlib.contextmanager
def started_ray():
    """A fresh small local Ray (one left running is shut down first), shut down after."""
    require_ray()
    import ray

    if ray.is_initialized():
        ray.shutdown()
    ray.init(**RAY_INIT)
    try:
        yield ray
    finally:
        ray.shutdown()


@pytest.fixture(scope="module")
def local_ray():
    """A local Ray for the module, shut down at its end."""
    with started_ray() as ray:
        yield ray
