"""Text spaces in Gymnasium's vector envs: equality, batching, shared memory (no Docker)."""

from __future__ import annotations

import copy
import multiprocessing as mp

import gymnasium as gym
import numpy as np
import pytest
from gymnasium import spaces
from gymnasium.vector.utils import (
    batch_space,
    create_shared_memory,
    read_from_shared_memory,
    write_to_shared_memory,
)

from terminal_gym.envs.spaces import CommandSpace, SharedTextBatch, TerminalText
from tests.wrappers.fake_env import FakeTerminalEnv

TEXTS = ["", "plain", "é\x1b[1m漢字🙂\nend", "\udcff lone surrogate"]


def test_equal_when_equivalent():
    assert TerminalText(10) == TerminalText(10) != TerminalText(11)
    assert CommandSpace(10) == CommandSpace(10)
    assert CommandSpace(10) != TerminalText(10) and TerminalText(10) != CommandSpace(10)
    assert len({TerminalText(10), TerminalText(10), CommandSpace(10)}) == 2
    one, two = FakeTerminalEnv(), FakeTerminalEnv()
    assert one.observation_space == two.observation_space
    assert one.action_space == two.action_space
    assert batch_space(one.observation_space, 3) == batch_space(two.observation_space, 3)
    assert batch_space(one.action_space, 3) == batch_space(two.action_space, 3)


def test_batched_spaces_hold_batched_text():
    space = batch_space(FakeTerminalEnv().observation_space, 2)
    assert isinstance(space["output"], spaces.Tuple) and space["output"][1] == TerminalText()
    batch = {
        "instruction": ("a", "b"),
        "output": ("é\n", ""),
        "exit_code": np.array([0, -1]),
        "cwd": ("/app", "/"),
        "timed_out": np.array([0, 1]),
    }
    assert space.contains(batch)
    assert all(isinstance(a, str) for a in batch_space(CommandSpace(), 4).sample())


def _write(space, shared, index, values):
    for value in values:
        write_to_shared_memory(space, index, value, shared)


@pytest.mark.parametrize("context", ["fork", "spawn"])
def test_shared_memory_round_trip_across_processes(context):
    space = TerminalText(8)
    ctx = mp.get_context(context)
    shared = create_shared_memory(space, n=3, ctx=ctx)
    batch = read_from_shared_memory(space, shared, n=3)
    assert isinstance(batch, SharedTextBatch) and tuple(batch) == ("", "", "")
    widest = "🙂" * 8  # 8 characters, 32 bytes: the most the space holds
    for index, text in enumerate(["漢字", widest, "x"]):
        process = ctx.Process(target=_write, args=(space, shared, index, ["longer!!", text]))
        process.start()
        process.join()
        assert process.exitcode == 0
    # The view read once at construction shows what the children wrote since.
    assert batch == ("漢字", widest, "x") and batch[1] == widest and batch[-1] == "x"
    frozen = copy.deepcopy(batch)
    assert type(frozen) is tuple and frozen == ("漢字", widest, "x")
    write_to_shared_memory(space, 0, "", shared)
    assert batch[0] == "" and frozen[0] == "漢字"


def test_every_text_the_space_contains_fits():
    for text in [*TEXTS, "🙂" * 32]:
        space = TerminalText(max(1, len(text)))
        shared = create_shared_memory(space, n=2)
        write_to_shared_memory(space, 1, text, shared)
        assert read_from_shared_memory(space, shared, n=2)[1] == text


@pytest.mark.parametrize("shared_memory", [True, False])
def test_async_vector_env_returns_each_sub_envs_own_text(shared_memory):
    envs = gym.vector.AsyncVectorEnv(
        [lambda: FakeTerminalEnv(max_steps=3)] * 3, shared_memory=shared_memory
    )
    try:
        envs.reset(seed=0)
        for step in range(7):
            texts = [f"{i}-{step}-{TEXTS[i % len(TEXTS)]}" for i in range(3)]
            obs, _, _, truncated, _ = envs.step([f"echo {t}" for t in texts])
            if step % 4 == 3:  # the step after max_steps: Gymnasium's autoreset
                assert obs["output"] == ("", "", "")
            else:
                assert obs["output"] == tuple(f"{t}\n" for t in texts)
            assert envs.observation_space.contains(obs)
            assert list(truncated) == [step % 4 == 2] * 3
    finally:
        envs.close()
