"""A Docker-free env for ``collect`` tests: tasks by id, seeds that matter, scripted failures.

``FakeRollout-v0`` takes ``tasks`` (a TaskSet: only its ids are used) and resets to
``options["task"]``. SUBMIT scores ``seed % 2`` on tasks whose id contains ``odd``
(so a group's rewards differ by seed, not within a group) and 1 elsewhere. A task whose
id contains ``broken`` fails every reset (it raises); ``flaky`` fails its first SUBMIT in
the process with an ``env_error``; ``slow`` sleeps ``SLOW`` seconds per step.
"""

from __future__ import annotations

import threading
import time
from typing import Any

import gymnasium as gym

from terminal_gym import SUBMIT
from tests.wrappers.fake_env import FakeTerminalEnv

ENV_ID = "FakeRollout-v0"
SLOW = 0.2
_flaky_failed: set[str] = set()
_lock = threading.Lock()


class FakeRolloutEnv(FakeTerminalEnv):
    def __init__(self, tasks: Any = None, max_steps: int = 20, **kwargs: Any):
        super().__init__(max_steps=max_steps)
        self.task_ids = list(getattr(tasks, "ids", None) or ["fake-task"])
        self.task, self.seed = self.task_ids[0], None
        self.resets = 0

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None):
        task = (options or {}).get("task") or self.task_ids[0]
        if "broken" in task:
            raise RuntimeError(f"cannot start {task}")
        obs, info = super().reset(seed=seed, options=options)
        self.task, self.seed = task, seed
        self.resets += 1
        info["task_id"] = task
        return obs, info

    def step(self, action: Any):
        if "slow" in self.task:
            time.sleep(SLOW)
        obs, reward, terminated, truncated, info = super().step(action)
        info["task_id"] = self.task
        if action == SUBMIT:
            with _lock:
                first = "flaky" in self.task and self.task not in _flaky_failed
                _flaky_failed.add(self.task)
            if first:
                info.update(env_error=True, error="SandboxDiedError: the container died")
                return obs, 0.0, False, True, info
            if "odd" in self.task:
                reward = float((self.seed or 0) % 2)
                info["reward"] = reward
        return obs, reward, terminated, truncated, info


def register() -> None:
    if ENV_ID not in gym.registry:
        gym.register(ENV_ID, entry_point=FakeRolloutEnv)
