"""Environment verification: on a fresh sandbox the oracle scores 1 and doing nothing 0.

The Terminal-Lego pipeline checks only the first half; a task whose untouched
environment already passes teaches nothing, so both are required here. Of a multi-step
task every step's oracle must score 1 (``oracle_step_rewards``) and doing nothing must
fail the first step (``null_step_rewards``).
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
    #: Per graded step ``(name, reward)``, for a multi-step task (else ``None``).
    oracle_step_rewards: list[tuple[str, float]] | None = None
    null_step_rewards: list[tuple[str, float]] | None = None

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        for key in ("oracle_step_rewards", "null_step_rewards"):
            if out[key] is None:
                del out[key]  # a single-step task's row is as it always was
        return out


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
    oracle_steps, null_steps = _step_rewards(oracle), _step_rewards(null)
    problems = []
    if oracle.error:
        problems.append(f"oracle: {oracle.error}")
    elif oracle_steps is not None:
        problems += _oracle_step_problems(base, task_id, oracle_steps)
    elif oracle.reward != 1.0:
        problems.append(f"oracle scored {oracle.reward:g}, not 1")
    if null.error:
        problems.append(f"do-nothing: {null.error}")
    elif null_steps is not None:
        if null_steps and null_steps[0][1] != 0.0:
            name, reward = null_steps[0]
            problems.append(f"doing nothing scored {reward:g} on step {name!r}, not 0")
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
        oracle_step_rewards=oracle_steps,
        null_step_rewards=null_steps,
    )


def _step_rewards(result: EpisodeResult) -> list[tuple[str, float]] | None:
    """``(name, reward)`` per graded step of a multi-step episode, else ``None``."""
    steps = result.verifier.get("steps")
    if not isinstance(steps, list):
        return None
    return [(str(step["name"]), float(step["reward"])) for step in steps]


def _oracle_step_problems(env: gym.Env, task_id: str, steps: list[tuple[str, float]]) -> list[str]:
    problems = [f"oracle scored {r:g} on step {name!r}, not 1" for name, r in steps if r != 1.0]
    if isinstance(env, TerminalLegoEnv):
        names = [step.name for step in env.tasks[task_id].steps]
        if len(steps) < len(names):
            problems.append(f"the oracle's episode ended before step {names[len(steps)]!r}")
    return problems
