"""A Docker-free sub-env for the vector machinery: ``FakeTerminalEnv`` plus real waiting.

``nap N`` sleeps N seconds in Python (a step the env itself cannot time out), ``crash``
raises, and ``seed`` reports the seed of the last reset. Ray actors get this module and
``fake_env`` by value (:func:`ship`), so workers need not import the tests package.
"""

from __future__ import annotations

import time
from typing import Any

from tests.wrappers.fake_env import FakeTerminalEnv


class NappingEnv(FakeTerminalEnv):
    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None):
        self.last_seed = seed
        return super().reset(seed=seed, options=options)

    def step(self, action: Any):
        text = getattr(action, "text", action)
        if text.startswith("nap "):
            time.sleep(float(text.split()[1]))
            return super().step("echo napped")
        if text == "crash":
            raise RuntimeError("the env crashed")
        if text == "seed":
            return super().step(f"echo {self.last_seed}")
        return super().step(action)


def make_napping_env(max_steps: int = 50) -> NappingEnv:
    return NappingEnv(max_steps=max_steps)


def ship() -> None:
    """Pickle the fake envs by value for Ray's workers."""
    import ray.cloudpickle

    from tests.vector import fake
    from tests.wrappers import fake_env

    ray.cloudpickle.register_pickle_by_value(fake_env)
    ray.cloudpickle.register_pickle_by_value(fake)


def sandbox_id(env: Any) -> str:
    """The id of a sub-env's container (run in its actor)."""
    return env.unwrapped.sandbox.id


def check_sub_env(env: Any) -> bool:
    """Gymnasium's ``check_env`` on a sub-env, in its actor."""
    from gymnasium.utils.env_checker import check_env

    check_env(env.unwrapped, skip_render_check=True)
    env.unwrapped.close()
    return True


def oracle_plan(env: Any) -> list:
    """The oracle's actions for a sub-env's current episode, SUBMIT last (run in its actor:
    it uploads the task's solution into the sub-env's sandbox, as ``OracleAgent`` does)."""
    from terminal_gym import SUBMIT
    from terminal_gym.rollout.agents import OracleAgent

    agent = OracleAgent()
    agent.begin(env, {}, {})
    plan = []
    while (action := agent.act({}, {})) != SUBMIT:
        plan.append(action)
    return [*plan, SUBMIT]
