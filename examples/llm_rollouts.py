"""Collect trajectories from an OpenAI-compatible model, keep the best, export SFT data.

The Terminal-Lego recipe in three steps:

1. :func:`terminal_gym.rollout.collect`: play each task ``--group`` times with the model
   (Terminus-2 JSON replies, parsed by the env), streaming trajectories to
   ``OUT/rollouts.jsonl`` (run it again to resume);
2. :func:`terminal_gym.data.select`: keep the solved episodes (``--min-reward``), the most
   grounded first (TOR, the share of actions an earlier observation supported), then the
   shortest, ``--per-task`` per task;
3. :func:`terminal_gym.data.to_chat_jsonl`: write them as chat JSONL
   (``OUT/sft.jsonl``, TRL's ``messages`` format) for supervised fine-tuning.

Usage (a model served by vLLM)::

    vllm serve Qwen/Qwen3-8B --port 8000
    python examples/llm_rollouts.py --llm-url http://localhost:8000/v1 --model Qwen/Qwen3-8B

The default setting is short: the fixture-sized bundled task ``find-prod-api-key``, one
seed, a group of 4, 4 workers.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from terminal_gym.data import select, to_chat_jsonl
from terminal_gym.data.select import metrics
from terminal_gym.rollout import collect, load_rollouts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--llm-url", required=True, help="e.g. http://localhost:8000/v1")
    parser.add_argument("--model", required=True)
    parser.add_argument("--api-key", default=None, help="default: $OPENAI_API_KEY")
    parser.add_argument(
        "--tasks", nargs="+", default=["find-prod-api-key"], help="task sources or ids"
    )
    parser.add_argument("--episodes", type=int, default=1, help="seeds per task")
    parser.add_argument("--group", type=int, default=4, help="episodes per (task, seed)")
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--max-steps", type=int, default=30, help="model turns per episode")
    parser.add_argument("--min-reward", type=float, default=1.0)
    parser.add_argument("--per-task", type=int, default=1, help="trajectories kept per task")
    parser.add_argument("--out", default="runs/llm-rollouts", help="output directory")
    parser.add_argument("--backend", default="auto", choices=("auto", "docker", "local"))
    parser.add_argument("--no-ray", action="store_true", help="threads instead of Ray")
    args = parser.parse_args(argv)

    out = Path(args.out)
    tasks = _resolve(args.tasks)
    result = collect(
        tasks,
        "llm",
        episodes=args.episodes,
        group=args.group,
        workers=args.workers,
        out=out / "rollouts.jsonl",
        agent_options={"model": args.model, "base_url": args.llm_url, "api_key": args.api_key},
        env_kwargs={"backend": args.backend, "max_steps": args.max_steps},
        use_ray=False if args.no_ray else None,
        progress=sys.stderr.isatty(),
    )
    summary = result.summary
    print(
        f"{summary['finished']} episode(s) run ({summary['skipped']} resumed), "
        f"{summary['env_errors']} env error(s), {summary['llm_errors']} LLM error(s), "
        f"{summary['episodes_per_s'] or 0:.2f} episodes/s"
    )

    episodes = load_rollouts(out / "rollouts.jsonl")
    chosen = select(
        episodes, min_reward=args.min_reward, by=("tor", "-steps"), per_task=args.per_task
    )
    sft = to_chat_jsonl(chosen, out / "sft.jsonl")

    print(f"{'task':<28} {'group':<28} {'reward':>6} {'TOR':>6} {'steps':>5}  kept")
    kept = {id(t) for t in chosen}
    for t in sorted(episodes, key=lambda t: t.metadata["episode_key"]):
        m = metrics(t)
        tor = "-" if m["tor"] is None else f"{m['tor']:.2f}"
        print(
            f"{t.task_id:<28} {t.metadata['group_id']:<28} {m['reward']:>6.2f} {tor:>6} "
            f"{m['steps']:>5}  {'yes' if id(t) in kept else ''}"
        )
    print(f"{len(chosen)} of {len(episodes)} trajectories -> {sft}")
    (out / "selection.json").write_text(
        json.dumps(
            {
                "summary": {k: v for k, v in summary.items() if k != "groups"},
                "groups": summary["groups"],
                "selected": [t.metadata["episode_key"] for t in chosen],
            },
            indent=2,
            default=str,
        )
    )
    return 0


def _resolve(items: list[str]):
    """Task arguments as ``terminal-gym`` takes them (paths, bundled ids, family ids)."""
    from terminal_gym.tasks import TaskSet, builtin_dir, load_task

    tasks = []
    for item in items:
        if Path(item).exists():
            tasks.extend(TaskSet.from_source(item))
        else:
            tasks.append(load_task(builtin_dir() / item))
    return TaskSet(tasks)


if __name__ == "__main__":
    sys.exit(main())
