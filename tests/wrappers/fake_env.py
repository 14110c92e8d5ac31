"""A tiny stand-in for TerminalLegoEnv (same observation and info shapes, no sandbox).

It answers a few commands from a table, tracks ``cd``, times out on ``sleep``, and
grades on SUBMIT with a fixed reward, so wrapper logic can be tested without Docker.
"""

from __future__ import annotations

from typing import Any

import gymnasium as gym
from gymnasium import spaces

from terminal_gym import SUBMIT, Command, Keys
from terminal_gym.envs.spaces import CommandSpace, TerminalText

INSTRUCTION = "Fix /app/config.json."


class FakeTerminalEnv(gym.Env):
    metadata = {"render_modes": []}

    def __init__(self, outputs: dict[str, str] | None = None, reward: float = 1.0, max_steps=50):
        self.outputs = {"ls": "config.json\n", "false": "", **(outputs or {})}
        self.reward = reward
        self.max_steps = max_steps
        self.mode = "command"
        text = TerminalText()
        self.observation_space = spaces.Dict(
            {
                "instruction": text,
                "output": text,
                "exit_code": spaces.Discrete(257, start=-1),
                "cwd": TerminalText(4096),
                "timed_out": spaces.Discrete(2),
            }
        )
        self.action_space = CommandSpace()
        self.actions: list[Any] = []
        self.cwd = "/app"
        self.steps = 0

    def _obs(self, output: str = "", code: int = 0, timed_out: bool = False) -> dict[str, Any]:
        return {
            "instruction": INSTRUCTION,
            "output": output,
            "exit_code": code,
            "cwd": self.cwd,
            "timed_out": int(timed_out),
        }

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None):
        super().reset(seed=seed)
        self.actions, self.cwd, self.steps = [], "/app", 0
        info = {"task_id": "fake-task", "backend": "fake", "reset_duration": 0.0}
        return self._obs(), {**info, "pooled": False, "env_error": False}

    def step(self, action: Any):
        self.steps += 1
        self.actions.append(action)
        info: dict[str, Any] = {"task_id": "fake-task", "step": self.steps, "env_error": False}
        if action == SUBMIT:
            info.update(verifier={"reward": self.reward}, reward=self.reward)
            return self._obs(), self.reward, True, False, info
        text = action.text if isinstance(action, (Command, Keys)) else action
        command = text.strip()
        code, timed_out, output = 0, False, self.outputs.get(command)
        if command.startswith("cd "):
            self.cwd = command[3:].strip()
            output = ""
        elif command.startswith("echo "):
            output = command[5:] + "\n"
        elif command == "false":
            code = 1
        elif command.startswith("sleep"):
            code, timed_out, output = -1, True, ""
        elif output is None:
            output = ""
        info.update(
            duration=0.25,
            exit_code=code,
            timed_out=timed_out,
            shell_restarted=False,
            output_bytes=len(output.encode()),
            output_truncated=False,
        )
        if self.steps >= self.max_steps:
            info.update(truncated_by="max_steps", reward=0.0)
            return self._obs(output, code, timed_out), 0.0, False, True, info
        return self._obs(output, code, timed_out), 0.0, False, False, info


#: Info keys the fake gives, by moment; tests/wrappers/test_fake_env.py checks that the
#: real env gives the same ones.
RESET_INFO = frozenset({"task_id", "backend", "reset_duration", "pooled", "env_error"})
