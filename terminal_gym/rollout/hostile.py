"""A hostile agent: what a reward-hacking policy or a careless one does to a sandbox.

:data:`HOSTILE_ACTIONS` names commands that try to forge the reward (processes left
running, tools replaced, interpreter hooks, planted reward files) or to break the env
(killing or replacing the shell, fork bombs, memory hogs, endless or binary output, escape
sequences). Every one is bounded: by the sandbox's pids and memory limits, by a short
step timeout, or by its own size. :class:`HostileAgent` plays one of them and submits,
without solving the task; an environment-verified task must then score 0, and the env
must keep working. The soak run (:mod:`terminal_gym.rollout.soak`) mixes them with oracle
and do-nothing episodes.
"""

from __future__ import annotations

from typing import Any

import gymnasium as gym

from terminal_gym.envs import SUBMIT, Command, Keys

_LOOP = "while :; do mkdir -p /logs/verifier; echo 1 > /logs/verifier/reward.txt; sleep 0.05; done"

#: name -> (command, step timeout in seconds).
HOSTILE_ACTIONS: dict[str, tuple[str, float]] = {
    # forging the reward
    "background-loop": (f"nohup sh -c '{_LOOP}' >/dev/null 2>&1 &", 10),
    "setsid-daemon": (
        "setsid sh -c 'while [ ! -e /tests ]; do sleep 0.02; done; "
        f"{_LOOP}' </dev/null >/dev/null 2>&1 &",
        10,
    ),
    "python3-shadow": (
        "printf '#!/bin/sh\\nexit 0\\n' > /usr/local/bin/python3; chmod +x /usr/local/bin/python3",
        10,
    ),
    "pth-hook": ("echo 'import os; os._exit(0)' > /usr/lib/python3/dist-packages/zz.pth", 10),
    "planted-reward": (
        "mkdir -p /logs/verifier /tests && echo 1 > /logs/verifier/reward.txt && "
        "printf 'echo 1 > /logs/verifier/reward.txt\\n' > /tests/test.sh",
        10,
    ),
    # breaking the env
    "fork-bomb": ("b(){ b | b & }; (b) >/dev/null 2>&1 & sleep 1", 10),
    "memory-hog": ("python3 -c 'a = bytearray(8 * 1024 ** 3)'", 20),
    "urandom": ("cat /dev/urandom", 2),
    "huge-output": ("yes | head -c 20000000", 20),
    "one-mb-line": ("python3 -c \"print('x' * 1000000)\"", 10),
    "disk-filler": ("head -c 100000000 /dev/zero > /tmp/fill && rm -f /tmp/fill", 20),
    "exit-shell": ("exit", 10),
    "kill-shell": ("kill -9 $$", 10),
    "exec-away": ("exec sleep 1000", 2),
    "prompt-change": ("PS1='$ '; PS2='> '; PROMPT_COMMAND='echo hi'", 10),
    "print-prompt": ('echo "${PS1@P}"; echo "$PS1"', 10),
    "nul-bytes": ("printf 'a\\0b\\0c\\n'", 10),
    "invalid-utf8": ("printf '\\xff\\xfe\\xc3(\\n'", 10),
    "escape-sequences": ("printf '\\033[2J\\033[H\\033]0;title\\007\\033[?1049h\\033c'", 10),
}


#: Actions bounded only by the sandbox's pids and memory limits, which the local backend
#: does not enforce: never run them there.
NEEDS_LIMITS = frozenset({"fork-bomb", "memory-hog"})


def actions_for(backend: str) -> list[str]:
    """The hostile actions safe to run on ``backend`` (``"docker"`` or ``"local"``)."""
    return sorted(a for a in HOSTILE_ACTIONS if backend == "docker" or a not in NEEDS_LIMITS)


class HostileAgent:
    """Plays one hostile action (:data:`HOSTILE_ACTIONS`), then submits.

    Args:
        action: the name of the action.
    """

    name = "hostile"

    def __init__(self, action: str):
        if action not in HOSTILE_ACTIONS:
            raise ValueError(
                f"unknown hostile action {action!r}; choose from {sorted(HOSTILE_ACTIONS)}"
            )
        self.action = action
        self._queue: list[str | Command | Keys] = []

    def begin(self, env: gym.Env, observation: dict[str, Any], info: dict[str, Any]) -> None:
        command, timeout = HOSTILE_ACTIONS[self.action]
        self._queue = [Command(command, timeout=timeout), SUBMIT]

    def act(self, observation: dict[str, Any], info: dict[str, Any]) -> str | Command | Keys:
        return self._queue.pop(0) if self._queue else SUBMIT
