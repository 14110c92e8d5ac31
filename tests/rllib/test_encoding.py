"""The numeric encoding: a fixed shape and dtype, always inside its Box, stable across
processes."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest
from gymnasium import spaces

from terminal_gym.rllib import EncodeObservation, ObservationEncoder, hashed_bag
from tests.wrappers.fake_env import FakeTerminalEnv

OBSERVATIONS = [
    {"instruction": "", "output": "", "exit_code": -1, "cwd": "", "timed_out": 0},
    {"instruction": "Restore a file", "output": "ok\n", "exit_code": 0, "cwd": "/app"},
    {
        "instruction": "Recover a lost commit " * 500,
        "output": "\x1b[31mé\u2603 \ud800" + "x" * 200_000,
        "exit_code": 255,
        "cwd": "/a/" * 2000,
        "timed_out": 1,
    },
]


@pytest.mark.parametrize("n_actions", [0, 5])
def test_shape_dtype_and_bounds_are_stable(n_actions):
    enc = ObservationEncoder(max_steps=3, n_actions=n_actions)
    for obs in OBSERVATIONS:
        for step, picks in ((0, []), (2, [1, 4]), (9, [0, 0, 7, -1])):
            vec = enc.encode(obs, step=step, picks=picks if n_actions else [])
            assert vec.shape == (enc.size,) and vec.dtype == np.float32
            assert enc.space.contains(vec), (obs["exit_code"], step)


def test_blocks_say_what_they_should():
    enc = ObservationEncoder(
        max_steps=2, n_actions=3, instruction_dims=8, output_dims=8, cwd_dims=4
    )
    obs = {"instruction": "Restore", "output": "", "exit_code": 2, "cwd": "/app", "timed_out": 0}
    vec = enc.encode(obs, step=1, picks=[2])
    steps, status = vec[:3], vec[3:7]
    assert steps.tolist() == [0, 1, 0]
    assert status.tolist() == [0, 1, 0, 0]  # exit code > 0
    seen, last = vec[-7:-4], vec[-4:]
    assert seen.tolist() == [0, 0, 1] and last.tolist() == [0, 0, 1, 0]
    # different instructions, different bags
    other = dict(obs, instruction="Recover")
    assert not np.array_equal(enc.encode(other, step=1, picks=[2]), vec)


def test_hashed_bags_agree_across_processes():
    code = (
        "from terminal_gym.rllib import hashed_bag\n"
        "print(hashed_bag('git log main', 64).nonzero()[0].tolist())"
    )
    outs = {
        subprocess.run(
            [sys.executable, "-c", code],
            env={**os.environ, "PYTHONHASHSEED": seed},
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        for seed in ("1", "2")
    }
    assert outs == {str(hashed_bag("git log main", 64).nonzero()[0].tolist()) + "\n"}


def test_bad_sizes_are_value_errors():
    with pytest.raises(ValueError, match="max_steps"):
        ObservationEncoder(max_steps=0)
    with pytest.raises(ValueError, match="n_actions"):
        ObservationEncoder(max_steps=2, n_actions=-1)


def test_the_wrapper_counts_steps_and_gives_boxes():
    env = EncodeObservation(FakeTerminalEnv(max_steps=4))
    assert isinstance(env.observation_space, spaces.Box)
    assert env.encoder.n_actions == 0  # text actions: no pick blocks
    obs, _ = env.reset(seed=0)
    assert env.observation_space.contains(obs) and obs[0] == 1.0
    obs, *_ = env.step("echo hi")
    assert env.observation_space.contains(obs) and obs[1] == 1.0


def test_doctests():
    import doctest

    from terminal_gym.rllib import encoding

    failures, tried = doctest.testmod(encoding)
    assert tried > 0 and failures == 0
