"""Vector envs beyond Gymnasium's own: :class:`RayVectorEnv` (sub-envs in Ray actors).

``gym.make_vec("TerminalLego-v0", num_envs=N, vectorization_mode="sync" | "async")`` needs
nothing from here. Importing this package does not import Ray (it is the ``ray`` extra):
``RayVectorEnv`` is loaded on first use::

    from terminal_gym.vector import RayVectorEnv
    envs = RayVectorEnv(16, envs_per_actor=8, tasks="builtin", backend="docker")

It is also ``TerminalLego-v0``'s ``vector_entry_point``, so
``gym.make_vec("TerminalLego-v0", num_envs=N)`` (or ``vectorization_mode="vector_entry_point"``)
builds one.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from terminal_gym.vector.group import EnvFactory, EnvGroup

if TYPE_CHECKING:
    from terminal_gym.vector.ray_env import RayVectorEnv

__all__ = ["EnvFactory", "EnvGroup", "RayVectorEnv"]


def __getattr__(name: str) -> Any:
    if name == "RayVectorEnv":
        try:
            from terminal_gym.vector.ray_env import RayVectorEnv
        except ImportError as exc:
            if exc.name != "ray" and not str(exc.name or "").startswith("ray."):
                raise
            raise ImportError(
                "RayVectorEnv needs Ray: pip install 'terminal-gym[ray]' (or use "
                "gym.make_vec(..., vectorization_mode='sync' or 'async'))",
                name=exc.name,
            ) from exc
        return RayVectorEnv
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
