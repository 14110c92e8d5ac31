"""terminal-gym: terminal tasks as Gymnasium environments.

Importing the package registers ``TerminalLego-v0``::

    import gymnasium as gym, terminal_gym
    env = gym.make("TerminalLego-v0", tasks="builtin", backend="docker")
    obs, info = env.reset(seed=0)
    obs, reward, terminated, truncated, info = env.step("ls -la")
    obs, reward, terminated, truncated, info = env.step(terminal_gym.SUBMIT)

and its vector forms: ``gym.make_vec("TerminalLego-v0", num_envs=N,
vectorization_mode="sync" | "async")``, and with no mode (or ``"vector_entry_point"``)
:class:`terminal_gym.vector.RayVectorEnv`, sub-envs in Ray actors.
"""

from __future__ import annotations

import gymnasium as gym

from terminal_gym.envs import SUBMIT, Command, Keys, TerminalLegoEnv
from terminal_gym.errors import TerminalGymError
from terminal_gym.tasks import Task, TaskSet, load_task

__version__ = "0.1.0"

__all__ = [
    "SUBMIT",
    "Command",
    "Keys",
    "Task",
    "TaskSet",
    "TerminalGymError",
    "TerminalLegoEnv",
    "load_task",
]

if "TerminalLego-v0" not in gym.registry:
    gym.register(
        id="TerminalLego-v0",
        entry_point="terminal_gym.envs:TerminalLegoEnv",
        # gym.make_vec(id, num_envs=N) with no mode: sub-envs in Ray actors (the `ray`
        # extra); "sync" and "async" still give Gymnasium's own vector envs.
        vector_entry_point="terminal_gym.vector:RayVectorEnv",
        nondeterministic=True,
    )
