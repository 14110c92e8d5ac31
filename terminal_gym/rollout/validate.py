"""Environment verification: on a fresh sandbox the oracle scores 1 and doing nothing 0.

The Terminal-Lego pipeline checks only the first half; a task whose untouched
environment already passes teaches nothing, so both are required here.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from typing import Any

import gymnasium as gym

from terminal_gym.envs import TerminalLegoEnv
from terminal_gym.errors import TerminalGymError
from terminal_gym.rollout.agents import EpisodeResult, make_agent, run_episode


@dataclass(frozen=True)
class Validation:
    """The verdict on one task."""

    task_id: str
    verified: bool
    oracle_reward: float
    null_reward: float
    oracle_steps: int
    oracle_seconds: float
    null_seconds: float
    problems: list[str] = field(default_factory=list)
    skipped: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def safe_episode(env: gym.Env, agent_name: str, task_id: str) -> EpisodeResult:
    """Run one episode; an error becomes an ``env_error`` result instead of an exception."""
    started = time.monotonic()
    try:
        return run_episode(env, make_agent(agent_name), task=task_id)
    except TerminalGymError as exc:
        return EpisodeResult(
            task_id=task_id,
            agent=agent_name,
            reward=0.0,
            steps=0,
            duration=time.monotonic() - started,
            terminated=False,
            truncated=True,
            env_error=True,
            error=f"{type(exc).__name__}: {exc}",
        )


def validate_task(env: gym.Env, task_id: str) -> Validation:
    """Run the oracle and the do-nothing agent on ``task_id`` in ``env``; judge both.

    A task the env's backend cannot serve is not run: ``skipped`` says why.
    """
    base = env.unwrapped
    if isinstance(base, TerminalLegoEnv):
        reason = base.backend.unsupported_reason(base.tasks[task_id])
        if reason is not None:
            return Validation(task_id, False, 0.0, 0.0, 0, 0.0, 0.0, skipped=reason)
    oracle = safe_episode(env, "oracle", task_id)
    null = safe_episode(env, "null", task_id)
    problems = []
    if oracle.error:
        problems.append(f"oracle: {oracle.error}")
    elif oracle.reward != 1.0:
        problems.append(f"oracle scored {oracle.reward:g}, not 1")
    if null.error:
        problems.append(f"do-nothing: {null.error}")
    elif null.reward != 0.0:
        problems.append(f"doing nothing scored {null.reward:g}, not 0")
    return Validation(
        task_id=task_id,
        verified=not problems,
        oracle_reward=oracle.reward,
        null_reward=null.reward,
        oracle_steps=oracle.steps,
        oracle_seconds=round(oracle.duration, 3),
        null_seconds=round(null.duration, 3),
        problems=problems,
    )
