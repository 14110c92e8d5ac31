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

from typing import TYPE_CHECKING

import gymnasium as gym

from terminal_gym._lazy import lazy_attributes
from terminal_gym._version import __version__
from terminal_gym.actions import SUBMIT, Command, Keys
from terminal_gym.errors import TerminalGymError

if TYPE_CHECKING:
    from terminal_gym.envs import TerminalLegoEnv
    from terminal_gym.tasks import Task, TaskSet, load_task

# The env stack (sandboxes, the PTY, the verifier) loads on first use, so importing a
# lower layer (reading a trajectory file with `terminal_gym.data`) does not start it.
_LAZY = {
    "TerminalLegoEnv": "terminal_gym.envs",
    "Task": "terminal_gym.tasks",
    "TaskSet": "terminal_gym.tasks",
    "load_task": "terminal_gym.tasks",
}


__getattr__, __dir__ = lazy_attributes(__name__, _LAZY)

__all__ = [
    "SUBMIT",
    "Command",
    "Keys",
    "Task",
    "TaskSet",
    "TerminalGymError",
    "TerminalLegoEnv",
    "__version__",
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
