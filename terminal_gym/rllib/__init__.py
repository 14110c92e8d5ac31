"""Training terminal envs with RLlib (or any numeric policy): menus in, numbers out.

RLlib's default models take numeric ``Box`` observations and cannot write shell commands,
so a terminal task becomes trainable through three wrappers and a creator:

* :class:`MenuAction` (:mod:`.wrappers`): ``Discrete`` actions, each a pick from the
  family's command menu (:mod:`terminal_gym.rollout.menu`);
* :class:`EncodeObservation` (:mod:`.encoding`): the text observation as a fixed-size
  ``Box`` (step one-hot, exit status, hashed bags of tokens, the menu picks so far);
* :class:`CatchEnvErrors` (:mod:`.wrappers`): no exception escapes a sub-env, so one
  failure ends one episode, never a whole env runner;
* :func:`make_menu_env`, :func:`register`, :data:`ENV_NAME`, :func:`with_fault_tolerance`
  (:mod:`.registration`): the creator, its name in Ray Tune's registry, and env-runner
  fault settings.

Nothing here imports Ray or torch at import time (only :func:`register` and
:func:`with_fault_tolerance`'s caller need Ray), so the wrappers also serve trainers
without them (``examples/reinforce_command_menu.py``). See ``docs/training.md``.
"""

from __future__ import annotations

from terminal_gym.rllib.encoding import EncodeObservation, ObservationEncoder, hashed_bag
from terminal_gym.rllib.registration import (
    DEFAULT_MAX_STEPS,
    ENV_NAME,
    make_menu_env,
    register,
    with_fault_tolerance,
)
from terminal_gym.rllib.wrappers import CatchEnvErrors, MenuAction

__all__ = [
    "DEFAULT_MAX_STEPS",
    "ENV_NAME",
    "CatchEnvErrors",
    "EncodeObservation",
    "MenuAction",
    "ObservationEncoder",
    "hashed_bag",
    "make_menu_env",
    "register",
    "with_fault_tolerance",
]
