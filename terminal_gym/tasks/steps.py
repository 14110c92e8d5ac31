"""How a multi-step task's steps gate the episode and make its return (Harbor semantics).

>>> min_reward_failure({"reward": 0.5}, 1.0)
'reward=0.5 is below min_reward 1.0'
>>> min_reward_failure(None, {"safety": 1.0})
'safety=-inf is below min_reward 1.0'
>>> combine_step_rewards([{"reward": 1.0, "style": 0.5}, {"reward": 0.0}], "mean")
{'reward': 0.5, 'style': 0.25}
>>> combine_step_rewards([{"reward": 1.0}, None, {"reward": 0.0}], "final")
{'reward': 0.0}
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

from terminal_gym.tasks.spec import RewardStrategy

__all__ = ["combine_step_rewards", "min_reward_failure"]


def min_reward_failure(
    rewards: Mapping[str, float] | None, min_reward: float | Mapping[str, float] | None
) -> str | None:
    """Why a step's rewards stop the episode, or ``None`` when they pass its gate.

    A float gates ``reward``; a mapping gates each of its keys. A missing key, or a step
    whose verifier produced no rewards (``None``), counts as minus infinity.
    """
    if min_reward is None:
        return None
    gates = {"reward": float(min_reward)} if isinstance(min_reward, (int, float)) else min_reward
    for key, threshold in gates.items():
        actual = rewards.get(key, -math.inf) if rewards else -math.inf
        if actual < threshold:
            return f"{key}={actual} is below min_reward {threshold}"
    return None


def combine_step_rewards(
    step_rewards: Sequence[Mapping[str, float] | None], strategy: RewardStrategy
) -> dict[str, float] | None:
    """The episode's rewards from its steps' (``None`` for a step never graded).

    ``"mean"``: each key's mean over the graded steps (a key a step lacks counts 0 for
    it); ``"final"``: the last step's, as it is. ``None`` when nothing was graded.
    """
    if strategy == "final":
        last = step_rewards[-1] if step_rewards else None
        return None if last is None else dict(last)
    graded = [r for r in step_rewards if r is not None]
    keys = sorted({key for r in graded for key in r})
    if not keys:
        return None
    return {key: sum(r.get(key, 0.0) for r in graded) / len(graded) for key in keys}
