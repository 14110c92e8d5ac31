"""A fixed-size numeric encoding of terminal observations (RLlib's default encoders take
1-D numeric ``Box`` observations only).

:class:`ObservationEncoder` turns one observation (the env's ``Dict`` of text and numbers)
plus the episode's step index and its menu picks so far into a ``float32`` vector in
``[0, 1]``; :class:`EncodeObservation` is the wrapper that applies it. The layout, in order:

==================  ====================  ==================================================
block               size                  what
==================  ====================  ==================================================
step                ``max_steps + 1``     one-hot of the step index (the last bin: later)
exit code           4                     ``== 0``, ``> 0``, unknown (-1), timed out
instruction         ``instruction_dims``  hashed bag of the instruction's tokens (0/1)
output              ``output_dims``       hashed bag of the last output's tokens (0/1)
cwd                 ``cwd_dims``          hashed bag of the working directory's parts (0/1)
picks               ``n_actions``         menu items picked so far this episode (0/1)
last pick           ``n_actions + 1``     one-hot of the previous pick (the last bin: none)
==================  ====================  ==================================================

Tokens are lower-cased runs of letters, digits and ``_``; each goes to bin
``crc32(token) % dims``. CRC-32 rather than ``hash()``: Python salts ``hash()`` per
process, and RLlib's env runners are separate processes that must agree on the bins.

Example:
    >>> enc = ObservationEncoder(max_steps=2, n_actions=3, instruction_dims=8,
    ...                          output_dims=8, cwd_dims=4)
    >>> obs = {"instruction": "Restore a file", "output": "", "exit_code": 0,
    ...        "cwd": "/app", "timed_out": 0}
    >>> vec = enc.encode(obs, step=0, picks=[])
    >>> vec.shape, vec.dtype.name, enc.space.contains(vec)
    ((34,), 'float32', True)
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium import spaces

__all__ = ["EncodeObservation", "ObservationEncoder", "hashed_bag"]

_TOKEN = re.compile(r"[a-z0-9_]+")
#: Characters of a text read for tokens (the head; a long output adds little).
_TEXT_CHARS = 16_384


def hashed_bag(text: str, dims: int) -> np.ndarray:
    """A ``(dims,)`` 0/1 vector: bin ``crc32(token) % dims`` is 1 for every token of ``text``.

    >>> np.array_equal(hashed_bag("git log; git log", 8), hashed_bag("git log", 8))
    True
    """
    bag = np.zeros(dims, dtype=np.float32)
    for token in set(_TOKEN.findall(text[:_TEXT_CHARS].lower())):
        bag[zlib.crc32(token.encode()) % dims] = 1.0
    return bag


@dataclass(frozen=True)
class ObservationEncoder:
    """Encodes observations of one env configuration (see the module docstring).

    Args:
        max_steps: the episode's step limit (the step one-hot has ``max_steps + 1`` bins).
        n_actions: menu size; ``0`` leaves out the two pick blocks.
        instruction_dims, output_dims, cwd_dims: bins of the hashed bags.
    """

    max_steps: int
    n_actions: int = 0
    instruction_dims: int = 64
    output_dims: int = 64
    cwd_dims: int = 8

    def __post_init__(self) -> None:
        for name in ("max_steps", "instruction_dims", "output_dims", "cwd_dims"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ValueError(f"{name} must be a positive integer, not {value!r}")
        if not isinstance(self.n_actions, int) or self.n_actions < 0:
            raise ValueError(f"n_actions must be a non-negative integer, not {self.n_actions!r}")

    @property
    def size(self) -> int:
        picks = 2 * self.n_actions + 1 if self.n_actions else 0
        return (
            self.max_steps
            + 1
            + 4
            + self.instruction_dims
            + self.output_dims
            + self.cwd_dims
            + picks
        )

    @property
    def space(self) -> spaces.Box:
        return spaces.Box(0.0, 1.0, (self.size,), dtype=np.float32)

    def encode(self, obs: Mapping[str, Any], *, step: int, picks: Sequence[int] = ()) -> np.ndarray:
        """The vector of ``obs`` at step ``step`` (0 after reset), ``picks`` the menu
        actions taken so far in the episode, oldest first."""
        step_hot = np.zeros(self.max_steps + 1, dtype=np.float32)
        step_hot[min(max(step, 0), self.max_steps)] = 1.0
        code = int(obs.get("exit_code", -1))
        status = np.array(
            [code == 0, code > 0, code < 0, bool(obs.get("timed_out", 0))], dtype=np.float32
        )
        blocks = [
            step_hot,
            status,
            hashed_bag(str(obs.get("instruction", "")), self.instruction_dims),
            hashed_bag(str(obs.get("output", "")), self.output_dims),
            hashed_bag(str(obs.get("cwd", "")), self.cwd_dims),
        ]
        if self.n_actions:
            seen = np.zeros(self.n_actions, dtype=np.float32)
            seen[[p for p in picks if 0 <= p < self.n_actions]] = 1.0
            last = np.zeros(self.n_actions + 1, dtype=np.float32)
            last[picks[-1] if picks and 0 <= picks[-1] < self.n_actions else self.n_actions] = 1
            blocks += [seen, last]
        return np.concatenate(blocks)


class EncodeObservation(gym.Wrapper, gym.utils.RecordConstructorArgs):
    """Replaces the env's ``Dict`` observation by :class:`ObservationEncoder`'s ``Box``.

    It counts the episode's steps and, when the action space is ``Discrete`` (a
    :class:`~terminal_gym.rllib.wrappers.MenuAction` inside), the picks, which the
    encoding includes.

    Args:
        env: an env with the terminal ``Dict`` observation (``TerminalLego-v0``, wrapped).
        max_steps: default: the underlying ``TerminalLegoEnv``'s ``max_steps``.
        instruction_dims, output_dims, cwd_dims: see :class:`ObservationEncoder`.
    """

    def __init__(
        self,
        env: gym.Env,
        *,
        max_steps: int | None = None,
        instruction_dims: int = 64,
        output_dims: int = 64,
        cwd_dims: int = 8,
    ):
        gym.utils.RecordConstructorArgs.__init__(
            self,
            max_steps=max_steps,
            instruction_dims=instruction_dims,
            output_dims=output_dims,
            cwd_dims=cwd_dims,
        )
        gym.Wrapper.__init__(self, env)
        if max_steps is None:
            max_steps = getattr(env.unwrapped, "max_steps", None)
            if max_steps is None:
                raise ValueError("max_steps is needed: the env does not say")
        n_actions = int(env.action_space.n) if isinstance(env.action_space, spaces.Discrete) else 0
        self.encoder = ObservationEncoder(
            max_steps=max_steps,
            n_actions=n_actions,
            instruction_dims=instruction_dims,
            output_dims=output_dims,
            cwd_dims=cwd_dims,
        )
        self.observation_space = self.encoder.space
        self._step = 0
        self._picks: list[int] = []

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[np.ndarray, dict[str, Any]]:
        obs, info = self.env.reset(seed=seed, options=options)
        self._step, self._picks = 0, []
        return self.encoder.encode(obs, step=0), info

    def step(self, action: Any) -> tuple[np.ndarray, float, bool, bool, dict[str, Any]]:
        obs, reward, terminated, truncated, info = self.env.step(action)
        self._step += 1
        if self.encoder.n_actions:
            self._picks.append(int(action))
        vec = self.encoder.encode(obs, step=self._step, picks=self._picks)
        return vec, float(reward), terminated, truncated, info
