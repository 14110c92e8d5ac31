"""Quickstart: one Terminal-Lego episode, by hand and by the oracle.

A task is an instruction, a container, a verifier and a reference solution. The env runs
the episode in a real sandbox (Docker, else bubblewrap) with a persistent bash: each
action is a shell command, each observation its output, and the reward comes from the
task's verifier when the agent submits (or the episode runs out of steps).

Run::

    python examples/quickstart.py                       # the bundled find-prod-api-key task
    python examples/quickstart.py --task fix-broken-json-config --backend local
"""

from __future__ import annotations

import argparse

import gymnasium as gym

import terminal_gym  # noqa: F401  (registers TerminalLego-v0)
from terminal_gym.envs import SUBMIT
from terminal_gym.rollout.agents import OracleAgent, run_episode


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--task", default="find-prod-api-key", help="a bundled task id")
    p.add_argument("--backend", choices=["auto", "docker", "local"], default="auto")
    args = p.parse_args(argv)

    env = gym.make("TerminalLego-v0", tasks="builtin", task=args.task, backend=args.backend)
    try:
        # 1. By hand: look around, then give up. The verifier grades what is there: 0.
        obs, info = env.reset(seed=0)
        print(f"task {info['task_id']} on {env.unwrapped.backend.name}")
        print(obs["instruction"].strip().splitlines()[0])
        for command in ("pwd", "ls | head -5"):
            obs, *_ = env.step(command)
            print(f"$ {command}  (exit {obs['exit_code']})\n{obs['output'].rstrip()}")
        obs, reward, terminated, _, info = env.step(SUBMIT)
        print(f"submitted without solving: reward {reward}, terminated {terminated}")

        # 2. The task's reference solution, through the same env: reward 1.
        result = run_episode(env, OracleAgent())
        print(f"oracle: reward {result.reward}, {result.steps} steps, {result.duration:.1f}s")
        return 0 if result.reward == 1.0 and reward == 0.0 else 1
    finally:
        env.close()


if __name__ == "__main__":
    raise SystemExit(main())
