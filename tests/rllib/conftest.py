"""Ray and torch for the RLlib tests: skipped when missing, failures under ``CI=true``."""

from __future__ import annotations

import importlib.util

import pytest

from tests.conftest import IN_CI
from tests.vector.conftest import started_ray


def require_torch() -> None:
    if importlib.util.find_spec("torch") is None:
        if IN_CI:
            pytest.fail("CI=true but torch is not installed (the `train` extra)")
        pytest.skip("torch is not installed (pip install 'terminal-gym[train]')")


@pytest.fixture(scope="module")
def rllib_ready():
    """Ray (initialised for the module, small) and torch, or a skip (a failure in CI)."""
    require_torch()
    with started_ray() as ray:
        yield ray
