"""RLlib registration: an env creator, its registered name, and fault-tolerance settings.

:func:`make_menu_env` builds the trainable env from an ``env_config`` dict (no Ray
needed); :func:`register` registers it with Ray Tune's registry under :data:`ENV_NAME`, so
an RLlib config names it::

    from ray.rllib.algorithms.ppo import PPOConfig
    from terminal_gym.rllib import ENV_NAME, register, with_fault_tolerance

    register()
    config = PPOConfig().environment(
        ENV_NAME, env_config={"family": "git-history", "backend": "local", "max_steps": 4}
    )
    config = with_fault_tolerance(config)

(``config.environment(make_menu_env, env_config=...)`` works too, without a name.)
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import gymnasium as gym

from terminal_gym.rllib.encoding import EncodeObservation
from terminal_gym.rllib.wrappers import CatchEnvErrors, MenuAction

if TYPE_CHECKING:
    from ray.rllib.algorithms.algorithm_config import AlgorithmConfig

__all__ = ["DEFAULT_MAX_STEPS", "ENV_NAME", "make_menu_env", "register", "with_fault_tolerance"]

#: The name :func:`register` gives :func:`make_menu_env` in Ray Tune's registry.
ENV_NAME = "terminal-gym-menu"
#: A menu episode's step limit unless ``env_config`` says otherwise.
DEFAULT_MAX_STEPS = 4
#: What :func:`with_fault_tolerance` gives ``sample_timeout_s``: RLlib drops a runner whose
#: ``sample()`` takes longer, without an error (its default, 60 s, is shorter than one
#: verifier may take).
SAMPLE_TIMEOUT_S = 600.0

_ENCODING_KEYS = ("instruction_dims", "output_dims", "cwd_dims")


def make_menu_env(env_config: Mapping[str, Any] | None = None) -> gym.Env:
    """A ``TerminalLego-v0`` env over one family, with menu actions and ``Box`` observations.

    Args:
        env_config: ``family`` (default ``"git-history"``), ``menu`` (a family name whose
            menu to use; default the family's), the encoding's ``instruction_dims``,
            ``output_dims``, ``cwd_dims``, and any ``TerminalLego-v0`` argument
            (``backend``, ``difficulty``, ``max_steps`` (default
            :data:`DEFAULT_MAX_STEPS`), ``pool``, ...). RLlib's ``EnvContext`` (a dict)
            works as it is; a ``num_envs`` key (RLlib adds one for vector entry points)
            is ignored.

    Returns:
        ``CatchEnvErrors(EncodeObservation(MenuAction(gym.make("TerminalLego-v0", ...))))``.

    Raises:
        MenuError: the family has no menu. Bad env arguments raise as ``gym.make`` does.
    """
    config = dict(env_config or {})
    config.pop("num_envs", None)
    family = config.pop("family", "git-history")
    menu = config.pop("menu", None)
    encoding = {key: config.pop(key) for key in _ENCODING_KEYS if key in config}
    config.setdefault("max_steps", DEFAULT_MAX_STEPS)
    env = gym.make("TerminalLego-v0", tasks=f"family:{family}", **config)
    env = MenuAction(env, menu)
    env = EncodeObservation(env, **encoding)
    return CatchEnvErrors(env)


def register(name: str = ENV_NAME) -> str:
    """Register :func:`make_menu_env` with Ray Tune's registry as ``name``; returns it.

    Raises:
        ImportError: Ray (the ``ray`` extra) is not installed.
    """
    from ray.tune.registry import register_env

    register_env(name, make_menu_env)
    return name


def with_fault_tolerance(
    config: AlgorithmConfig, *, sample_timeout_s: float = SAMPLE_TIMEOUT_S
) -> AlgorithmConfig:
    """``config`` with env-runner fault settings for terminal envs, returned.

    * Sub-env failures never reach RLlib: :class:`CatchEnvErrors` turns them into
      truncated steps, so one dead container ends one episode, not the runner's others.
    * ``restart_failed_sub_environments=True``: should anything still raise (a wrapper
      added outside ours), RLlib rebuilds that runner's envs and goes on sampling, rather
      than losing the runner.
    * ``restart_failed_env_runners=True``: a runner that dies (its process killed, out of
      memory) is replaced.
    * ``sample_timeout_s``: long enough for a step plus grading (RLlib otherwise drops a
      slow runner's samples silently).
    """
    return config.fault_tolerance(
        restart_failed_env_runners=True,
        restart_failed_sub_environments=True,
    ).env_runners(sample_timeout_s=sample_timeout_s)
