"""Grounding wrapper: how each step relates to what the agent observed (EGS, DESIGN §6).

:class:`GroundingInfo` classifies every command with :class:`terminal_gym.egs.Analyzer`
(inspect / act / verify), says which paths it read and wrote and whether an act was
*grounded* (a prior inspect of the same path or its parent), and can shape the reward
for grounded behaviour. Shaping is off by default; the verifier's reward and the
shaped reward are both in ``info`` either way.
"""

from __future__ import annotations

from typing import Any

import gymnasium as gym
from gymnasium.core import ActType, ObsType
from gymnasium.utils import RecordConstructorArgs

from terminal_gym.actions import SUBMIT, command_text
from terminal_gym.render import to_jsonable

__all__ = ["GroundingInfo", "label_to_info"]

_KIND_ORDER = ("act", "verify", "inspect", "unknown")


def label_to_info(label: Any) -> dict[str, Any]:
    """One ``StepLabel`` as a JSON dict, with ``class`` and ``paths`` added."""
    data = to_jsonable(label)
    if not isinstance(data, dict):
        data = {"kind": "unknown"}
    reads, writes = list(data.get("reads") or []), list(data.get("writes") or [])
    data["reads"], data["writes"] = reads, writes
    data["class"] = data.get("kind", "unknown")
    data["paths"] = sorted(set(reads) | set(writes))
    return data


def _summarise(labels: list[dict[str, Any]]) -> dict[str, Any]:
    """``info["egs"]`` for one env step, which may have run several commands."""
    if not labels:
        return {
            "class": None,
            "kind": None,
            "paths": [],
            "reads": [],
            "writes": [],
            "grounded": None,
            "commands": [],
            "labels": [],
        }
    if len(labels) == 1:
        return {**labels[0], "labels": labels}
    kinds = {lab["kind"] for lab in labels}
    kind = next((k for k in _KIND_ORDER if k in kinds), "unknown")
    acts = [lab["grounded"] for lab in labels if lab["kind"] == "act"]
    reads = sorted({p for lab in labels for p in lab["reads"]})
    writes = sorted({p for lab in labels for p in lab["writes"]})
    return {
        "class": kind,
        "kind": kind,
        "paths": sorted(set(reads) | set(writes)),
        "reads": reads,
        "writes": writes,
        "grounded": all(bool(g) for g in acts) if acts else None,
        "commands": [c for lab in labels for c in lab.get("commands") or []],
        "parse_error": next((lab["parse_error"] for lab in labels if lab.get("parse_error")), None),
        "labels": labels,
    }


class GroundingInfo(gym.Wrapper[ObsType, ActType, ObsType, ActType], RecordConstructorArgs):
    """Add ``info["egs"]`` to every step and, optionally, shape the reward.

    ``info["egs"]`` holds the step's ``class`` (``inspect``, ``act``, ``verify`` or
    ``unknown``), ``paths`` (``reads`` and ``writes``), ``grounded`` (for acts: was a
    prior inspect of the same path or its parent seen? else ``None``), the ``commands``
    it parsed, and ``labels`` (one per command when a reply ran several). On the last
    step ``info["egs"]["summary"]`` is the episode's analysis (TOR, counts,
    ``verified_before_submit``).

    Commands are analysed in the cwd the agent saw when it issued them. Above a reply
    parser the parser's ``info["commands"]`` are analysed, so the wrapper works on
    either side of one (inside is cheaper: one command at a time).

    Reward: ``info["reward_verifier"]`` is the inner reward, ``info["reward_bonus"]``
    the shaping bonus, ``info["reward_shaped"]`` their sum. The step returns the shaped
    reward only when ``shaping=True``. Bonuses: ``bonus_grounded_act`` per grounded act
    (at most ``max_act_bonus`` per episode, so it cannot be farmed by repeating
    inspect-act pairs) and ``bonus_verified_before_submit`` when the agent submits
    after verifying its last change.

    Args:
        env: the env.
        shaping: return the shaped reward.
        bonus_grounded_act: bonus per grounded act.
        bonus_verified_before_submit: bonus on a submit that follows a verify.
        max_act_bonus: cap on the grounded-act bonuses of one episode.
    """

    def __init__(
        self,
        env: gym.Env,
        shaping: bool = False,
        bonus_grounded_act: float = 0.01,
        bonus_verified_before_submit: float = 0.05,
        max_act_bonus: float = 0.05,
    ):
        RecordConstructorArgs.__init__(
            self,
            shaping=shaping,
            bonus_grounded_act=bonus_grounded_act,
            bonus_verified_before_submit=bonus_verified_before_submit,
            max_act_bonus=max_act_bonus,
        )
        gym.Wrapper.__init__(self, env)
        from terminal_gym.egs import Analyzer

        self._analyzer_type = Analyzer
        self.shaping = shaping
        self.bonus_grounded_act = float(bonus_grounded_act)
        self.bonus_verified_before_submit = float(bonus_verified_before_submit)
        self.max_act_bonus = float(max_act_bonus)
        self.analyzer: Any = None
        self._cwd = "/"
        self._act_bonus = 0.0

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None):
        obs, info = self.env.reset(seed=seed, options=options)
        self._cwd = _cwd_of(obs) or "/"
        self.analyzer = self._analyzer_type(cwd=self._cwd)
        self._act_bonus = 0.0
        return obs, info

    def step(self, action: ActType):
        if self.analyzer is None:
            raise gym.error.ResetNeeded("call reset() before step()")
        cwd_before = self._cwd
        obs, reward, terminated, truncated, info = self.env.step(action)
        labels = self._analyse(action, info, cwd_before)
        self._cwd = _cwd_of(obs) or self._cwd
        bonus = 0.0
        for label in labels:
            if label.get("kind") == "act" and label.get("grounded"):
                give = max(0.0, min(self.bonus_grounded_act, self.max_act_bonus - self._act_bonus))
                self._act_bonus += give
                bonus += give
        egs = _summarise(labels)
        if terminated or truncated:
            summary = to_jsonable(self.analyzer.result().to_dict())
            egs["summary"] = summary
            # The env terminates only on SUBMIT (limits and errors truncate).
            if terminated and summary.get("verified_before_submit"):
                bonus += self.bonus_verified_before_submit
        info["egs"] = egs
        info["reward_verifier"] = float(reward)
        info["reward_bonus"] = bonus
        info["reward_shaped"] = float(reward) + bonus
        return obs, (float(reward) + bonus if self.shaping else reward), terminated, truncated, info

    def _analyse(self, action: Any, info: dict[str, Any], cwd: str) -> list[dict[str, Any]]:
        commands = info.get("commands")
        if isinstance(commands, list):  # a reply parser below us ran these
            cwds = info.get("cwds") or []
            labels = []
            for i, command in enumerate(commands):
                labels.append(label_to_info(self.analyzer.step(str(command), cwd=cwd)))
                if i < len(cwds) and cwds[i]:
                    cwd = cwds[i]
            return labels
        if isinstance(action, str) and action == SUBMIT:
            return []
        if not (isinstance(action, str) or hasattr(action, "text")):
            return []
        command = command_text(action)
        if command is None:
            return []
        return [label_to_info(self.analyzer.step(command, cwd=cwd))]


def _cwd_of(obs: Any) -> str | None:
    if isinstance(obs, dict) and isinstance(obs.get("cwd"), str) and obs["cwd"]:
        return obs["cwd"]
    return None
