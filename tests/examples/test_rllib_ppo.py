"""examples/rllib_ppo.py: RLlib's PPO, through Ray env runners, learns git-history's menu."""

from __future__ import annotations

import json

import pytest

from tests.examples.test_examples import run_example
from tests.rllib.conftest import require_torch
from tests.vector.conftest import require_ray


@pytest.mark.local
@pytest.mark.slow
def test_ppo_success_rate_rises(local_backend, tmp_path):
    require_ray()
    require_torch()
    out = tmp_path / "curve.json"
    stdout = run_example("rllib_ppo.py", "--short", "--json", str(out), timeout=600)
    result = json.loads(out.read_text())
    assert all(row["episodes"] > 0 for row in result["history"]), stdout
    assert result["end"] >= result["start"] + 0.25, stdout
    assert result["end"] >= 0.65, stdout
