"""RLlib PPO (new API stack, torch on CPU) on a command-menu family, through Ray env runners.

The env is :func:`terminal_gym.rllib.make_menu_env`, registered as
:data:`terminal_gym.rllib.ENV_NAME`: ``TerminalLego-v0`` over one procedural family, with
``Discrete`` menu picks as actions and a numeric ``Box`` observation, which RLlib's default
MLP encoder takes. ``--env-runners`` Ray actors each step ``--envs-per-runner`` sub-envs
(a ``SyncVectorEnv``), on the local backend (bubblewrap) by default. A sub-env that fails
ends its own episode (``info["env_error"]``); the runner's other sub-envs go on.

Every iteration prints the share of this iteration's episodes that the verifier passed:

    python examples/rllib_ppo.py                   # git-history, 12 iterations, ~3 min
    python examples/rllib_ppo.py --short           # 6 smaller iterations, ~1.5 min
    python examples/rllib_ppo.py --backend docker --env-runners 4 --envs-per-runner 4

Needs the ``ray`` and ``train`` extras (``torch``: the CPU wheel is enough, see
``docs/training.md``).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

#: Per-episode counters the env runners keep (lifetime sums; the driver takes differences).
SUCCESSES, EPISODES, ENV_ERRORS = "menu_successes", "menu_episodes", "menu_env_errors"


def count_episode(*, episode: Any, metrics_logger: Any, **_: Any) -> None:
    """``on_episode_end``: count episodes, verifier passes and infrastructure failures."""
    infos = episode.get_infos()
    failed = bool(infos and infos[-1].get("env_error"))
    metrics_logger.log_value(EPISODES, 1, reduce="lifetime_sum")
    metrics_logger.log_value(SUCCESSES, int(episode.get_return() >= 1.0), reduce="lifetime_sum")
    metrics_logger.log_value(ENV_ERRORS, int(failed), reduce="lifetime_sum")


def build_config(args: argparse.Namespace) -> Any:
    from ray.rllib.algorithms.ppo import PPOConfig
    from ray.rllib.core.rl_module.default_model_config import DefaultModelConfig

    from terminal_gym.rllib import ENV_NAME, register, with_fault_tolerance

    register()
    env_config = {
        "family": args.family,
        "difficulty": args.difficulty,
        "backend": args.backend,
        "max_steps": args.max_steps,
        **({"pool": args.pool} if args.pool else {}),
    }
    config = (
        PPOConfig()
        .environment(ENV_NAME, env_config=env_config)
        .framework("torch")
        .env_runners(
            num_env_runners=args.env_runners,
            num_envs_per_env_runner=args.envs_per_runner,
            num_cpus_per_env_runner=0.5,
        )
        .learners(num_learners=0)
        .training(
            lr=args.lr,
            train_batch_size_per_learner=args.batch,
            minibatch_size=max(8, args.batch // 2),
            num_epochs=8,
            gamma=0.99,
            entropy_coeff=0.01,
        )
        .rl_module(model_config=DefaultModelConfig(fcnet_hiddens=[64], vf_share_layers=False))
        .callbacks(on_episode_end=count_episode)
        .debugging(seed=args.seed)
    )
    return with_fault_tolerance(config)


def train(args: argparse.Namespace) -> list[dict]:
    import ray
    from ray.rllib.utils.metrics import ENV_RUNNER_RESULTS

    if not ray.is_initialized():
        ray.init(
            num_cpus=args.num_cpus,
            include_dashboard=False,
            object_store_memory=200 * 2**20,
            log_to_driver=args.verbose,
        )
    algo = build_config(args).build_algo()
    history: list[dict] = []
    seen = {SUCCESSES: 0, EPISODES: 0, ENV_ERRORS: 0}
    started = time.monotonic()
    try:
        for it in range(args.iterations):
            result = algo.train()
            runners = result.get(ENV_RUNNER_RESULTS, {})
            now = {key: int(runners.get(key, seen[key])) for key in seen}
            delta = {key: now[key] - seen[key] for key in seen}
            seen = now
            episodes = delta[EPISODES]
            row = {
                "iteration": it,
                "success_rate": delta[SUCCESSES] / episodes if episodes else 0.0,
                "episodes": episodes,
                "env_errors": delta[ENV_ERRORS],
                "wall_s": round(time.monotonic() - started, 1),
            }
            history.append(row)
            print(
                f"iter {it:3d}  success {row['success_rate']:.2f}  episodes {episodes:3d}  "
                f"env_errors {row['env_errors']}  t {row['wall_s']:.0f}s",
                flush=True,
            )
    finally:
        algo.stop()
    return history


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--family", default="git-history")
    p.add_argument("--difficulty", type=int, default=1)
    p.add_argument("--backend", default="local", help="local (bubblewrap), docker or auto")
    p.add_argument("--max-steps", type=int, default=2)
    p.add_argument("--pool", type=int, default=0, help="a warm pool of this size per sub-env")
    p.add_argument("--env-runners", type=int, default=2)
    p.add_argument("--envs-per-runner", type=int, default=2)
    p.add_argument("--iterations", type=int, default=12)
    p.add_argument("--batch", type=int, default=64, help="env steps per training batch")
    p.add_argument("--lr", type=float, default=3e-3)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--num-cpus", type=int, default=2, help="CPUs the local Ray may use")
    p.add_argument("--json", type=Path, help="also write the curve as JSON")
    p.add_argument("--short", action="store_true", help="a quick setting: 6 iterations of 48")
    p.add_argument("--verbose", action="store_true", help="show the env runners' logs")
    args = p.parse_args(argv)
    if args.short:
        args.iterations, args.batch = min(args.iterations, 6), min(args.batch, 48)
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    history = train(args)
    # start: the episodes of iteration 0, sampled with the initial weights; end: the last two
    rates = [row["success_rate"] for row in history]
    start, end = rates[0], sum(rates[-2:]) / len(rates[-2:])
    wall = history[-1]["wall_s"] if history else 0.0
    print(
        f"success rate: start {start:.2f} -> end {end:.2f} ({len(history)} iterations, {wall:.0f}s)"
    )
    if args.json:
        args.json.write_text(json.dumps({"history": history, "start": start, "end": end}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
