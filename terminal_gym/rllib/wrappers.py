"""Wrappers that make a terminal env trainable by RLlib (or any numeric policy).

* :class:`MenuAction`: ``Discrete(len(menu))`` actions, each a pick from the family's
  :class:`~terminal_gym.rollout.menu.CommandMenu`, turned into that instance's command.
* :class:`CatchEnvErrors`: the env never raises out of ``reset``/``step``. RLlib's env
  runner steps its sub-envs as one Gymnasium vector env, and an exception out of any of
  them makes it close and rebuild *all* of them (``restart_failed_sub_environments``)
  or fail the whole runner; here an exception becomes what ``TerminalLegoEnv`` already
  reports for infrastructure failures: a truncated step with ``info["env_error"]``, so
  only that sub-env's episode ends, and its next ``reset`` starts over.

The usual stack (what :func:`~terminal_gym.rllib.make_menu_env` builds)::

    env = gym.make("TerminalLego-v0", tasks="family:git-history", backend="local")
    env = MenuAction(env)          # int -> the instance's command
    env = EncodeObservation(env)   # Dict of text -> Box in [0, 1]
    env = CatchEnvErrors(env)      # no exception escapes
"""

from __future__ import annotations

import logging
from typing import Any

import gymnasium as gym
from gymnasium import spaces

from terminal_gym.envs import TerminalLegoEnv
from terminal_gym.errors import TerminalGymError
from terminal_gym.rollout.menu import CommandMenu, MenuError, menu_for
from terminal_gym.tasks.families import FamilySource
from terminal_gym.vector.group import blank

__all__ = ["CatchEnvErrors", "MenuAction"]

log = logging.getLogger(__name__)


class MenuAction(gym.ActionWrapper, gym.utils.RecordConstructorArgs):
    """Actions are menu picks: action ``i`` runs item ``i`` of the family's menu.

    Args:
        env: a ``TerminalLego-v0`` env over one procedural family (``tasks="family:<name>"``).
        menu: the menu, or a family name; default: the env's family's menu.

    Each ``reset`` builds the commands for the new instance; ``info["menu_pick"]`` names
    the item a step ran.

    Raises:
        MenuError: the env's tasks have no menu (not a procedural family).
    """

    def __init__(self, env: gym.Env, menu: CommandMenu | str | None = None):
        gym.utils.RecordConstructorArgs.__init__(
            self, menu=menu if not isinstance(menu, CommandMenu) else menu.family
        )
        gym.ActionWrapper.__init__(self, env)
        base = env.unwrapped
        if not isinstance(base, TerminalLegoEnv):
            raise MenuError("MenuAction wraps a TerminalLego-v0 env")
        if menu is None:
            if not isinstance(base.tasks, FamilySource):
                raise MenuError(
                    "MenuAction needs tasks='family:<name>' (or an explicit menu): "
                    f"{base.tasks!r} has no command menu"
                )
            menu = base.tasks.family.name
        self.menu = menu_for(menu) if isinstance(menu, str) else menu
        self.action_space = spaces.Discrete(len(self.menu))
        self._commands: tuple[str, ...] = ()

    @property
    def commands(self) -> tuple[str, ...]:
        """The current instance's command per action (empty before the first reset)."""
        return self._commands

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[Any, dict[str, Any]]:
        obs, info = self.env.reset(seed=seed, options=options)
        task = self.env.unwrapped.task  # type: ignore[attr-defined]
        self._commands = self.menu.commands(task)
        return obs, info

    def action(self, action: Any) -> str:
        if not self._commands:
            raise TerminalGymError("MenuAction: step() before reset()")
        if not self.action_space.contains(action):
            raise ValueError(f"action {action!r} is not in {self.action_space}")
        return self._commands[int(action)]

    def step(self, action: Any) -> tuple[Any, float, bool, bool, dict[str, Any]]:
        obs, reward, terminated, truncated, info = self.env.step(self.action(action))
        info["menu_pick"] = self.menu.labels[int(action)]
        return obs, float(reward), terminated, truncated, info


class CatchEnvErrors(gym.Wrapper, gym.utils.RecordConstructorArgs):
    """No exception escapes ``reset`` or ``step`` (``KeyboardInterrupt`` still does).

    * ``step`` raising: the step returns the last observation, reward 0,
      ``truncated=True`` and ``info`` with ``env_error=True``, ``error`` (the exception)
      and ``exception`` (its type's name). The episode is over.
    * ``reset`` raising: it returns a blank observation (zeros, for a ``Box``) and
      ``info["env_error"]``; the next ``step`` returns the truncation above at once,
      without touching the env, and the ``reset`` after it tries again.

    Infrastructure failures that the env reports itself (``info["env_error"]`` on a
    truncated step) pass through unchanged.
    """

    def __init__(self, env: gym.Env):
        gym.utils.RecordConstructorArgs.__init__(self)
        gym.Wrapper.__init__(self, env)
        self._last: Any = None
        self._failed_reset: str | None = None

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[Any, dict[str, Any]]:
        try:
            obs, info = self.env.reset(seed=seed, options=options)
        except Exception as exc:
            message = _describe(exc)
            log.warning("a sub-env's reset failed (reported as env_error): %s", message)
            self._last, self._failed_reset = blank(self.observation_space), message
            return self._last, {"env_error": True, "error": message, "exception": _name(exc)}
        self._last, self._failed_reset = obs, None
        return obs, info

    def step(self, action: Any) -> tuple[Any, float, bool, bool, dict[str, Any]]:
        if self._failed_reset is not None:
            message, self._failed_reset = self._failed_reset, None
            return self._last, 0.0, False, True, {"env_error": True, "error": message}
        try:
            obs, reward, terminated, truncated, info = self.env.step(action)
        except Exception as exc:
            message = _describe(exc)
            log.warning("a sub-env's step failed (reported as env_error): %s", message)
            if self._last is None:
                self._last = blank(self.observation_space)
            info = {"env_error": True, "error": message, "exception": _name(exc)}
            return self._last, 0.0, False, True, info
        self._last = obs
        return obs, float(reward), terminated, truncated, info


def _name(exc: BaseException) -> str:
    return type(exc).__name__


def _describe(exc: BaseException) -> str:
    return f"{_name(exc)}: {exc}"
