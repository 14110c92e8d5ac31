"""Selection: score, filter, rank and dedupe trajectories for training.

The Terminal-Lego study found that selecting high-TOR trajectories beats random
selection; these helpers make that one line::

    chosen = select(trajectories, min_reward=1.0, by=("tor", "-steps"), per_task=1)

Every function takes and returns lists of :class:`~terminal_gym.data.Trajectory`; EGS
scores are computed on first use (:meth:`Trajectory.ensure_egs`).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from terminal_gym.data.schema import Trajectory

__all__ = ["dedupe_by_task", "filter_trajectories", "metrics", "rank", "select"]

#: Rank keys: ``name`` sorts high first, ``-name`` low first.
RANK_KEYS = ("reward", "tor", "steps", "commands", "verified", "grounded_acts")


def _num(value: Any) -> float | None:
    try:
        f = float(value)
    except (TypeError, ValueError):
        return None
    return f if math.isfinite(f) else None


def metrics(trajectory: Trajectory) -> dict[str, Any]:
    """The numbers selection works on.

    ``reward`` (``None`` when unknown), ``tor`` (``None`` when the trajectory has no act
    step), ``steps`` (env steps), ``commands``, ``verified`` (verified before submit),
    ``grounded_acts`` and ``counts`` (steps per class).
    """
    egs = trajectory.ensure_egs()
    counts = dict(egs.get("counts") or {})
    labels = egs.get("steps") or []
    grounded = sum(
        1
        for lab in labels
        if isinstance(lab, dict) and lab.get("kind") == "act" and lab.get("grounded")
    )
    return {
        "reward": _num(trajectory.reward),
        "tor": _num(egs.get("tor")) if counts.get("act", 1) else None,
        "steps": len(trajectory.steps),
        "commands": len(trajectory.commands),
        "verified": bool(egs.get("verified_before_submit")),
        "grounded_acts": grounded,
        "counts": counts,
    }


def filter_trajectories(
    trajectories: Iterable[Trajectory],
    *,
    min_reward: float | None = None,
    max_reward: float | None = None,
    min_tor: float | None = None,
    min_steps: int | None = None,
    max_steps: int | None = None,
    verified_before_submit: bool | None = None,
    sources: Sequence[str] | None = None,
    teachers: Sequence[str] | None = None,
    complete: bool | None = True,
    where: Callable[[Trajectory], bool] | None = None,
) -> list[Trajectory]:
    """The trajectories meeting every given condition (``None``: no condition).

    A trajectory whose reward (or TOR) is unknown fails a ``min_reward`` (``min_tor``)
    condition. ``complete=True`` (the default) drops trajectories cut short by a crash.
    """
    out = []
    for t in trajectories:
        if complete is not None and t.complete != complete:
            continue
        if sources is not None and t.source not in sources:
            continue
        if teachers is not None and t.teacher not in teachers:
            continue
        m = metrics(t)
        if min_reward is not None and (m["reward"] is None or m["reward"] < min_reward):
            continue
        if max_reward is not None and (m["reward"] is None or m["reward"] > max_reward):
            continue
        if min_tor is not None and (m["tor"] is None or m["tor"] < min_tor):
            continue
        if min_steps is not None and m["steps"] < min_steps:
            continue
        if max_steps is not None and m["steps"] > max_steps:
            continue
        if verified_before_submit is not None and m["verified"] != verified_before_submit:
            continue
        if where is not None and not where(t):
            continue
        out.append(t)
    return out


def _sort_key(by: Sequence[str]) -> Callable[[Trajectory], tuple[float, ...]]:
    fields = []
    for spec in by:
        ascending = spec.startswith("-")
        name = spec.lstrip("-")
        if name not in RANK_KEYS:
            raise ValueError(f"unknown rank key {name!r}; choose from {RANK_KEYS}")
        fields.append((name, ascending))

    def key(t: Trajectory) -> tuple[float, ...]:
        m = metrics(t)
        out = []
        for name, ascending in fields:
            value = _num(m[name])
            if value is None:  # unknown values sort last either way
                out.append(math.inf)
            else:
                out.append(value if ascending else -value)
        return tuple(out)

    return key


def rank(
    trajectories: Iterable[Trajectory], by: Sequence[str] = ("reward", "tor", "-steps")
) -> list[Trajectory]:
    """Sorted best first by ``by`` (``"tor"``: high first, ``"-steps"``: short first).

    The sort is stable: ties keep their input order.
    """
    return sorted(trajectories, key=_sort_key(by))


def dedupe_by_task(
    trajectories: Iterable[Trajectory],
    *,
    by: Sequence[str] = ("reward", "tor", "-steps"),
    keep: int = 1,
) -> list[Trajectory]:
    """At most ``keep`` trajectories per task, the best by ``by``, best first overall."""
    seen: dict[Any, int] = {}
    out = []
    for t in rank(trajectories, by):
        if seen.get(t.task_id, 0) < keep:
            seen[t.task_id] = seen.get(t.task_id, 0) + 1
            out.append(t)
    return out


def select(
    trajectories: Iterable[Trajectory],
    *,
    by: Sequence[str] = ("reward", "tor", "-steps"),
    per_task: int | None = None,
    top_k: int | None = None,
    **conditions: Any,
) -> list[Trajectory]:
    """Filter (``conditions``: see :func:`filter_trajectories`), rank by ``by``, keep
    ``per_task`` per task and the ``top_k`` best."""
    chosen = filter_trajectories(trajectories, **conditions)
    chosen = dedupe_by_task(chosen, by=by, keep=per_task) if per_task else rank(chosen, by)
    return chosen[:top_k] if top_k is not None else chosen
