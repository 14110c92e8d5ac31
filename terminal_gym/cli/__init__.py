"""The ``terminal-gym`` command.

::

    terminal-gym list [SRC ...] [--difficulty K] [--seeds N] [--json]
    terminal-gym run --task ID|family:NAME [--difficulty K] [--seed S] [--agent oracle|null]
                     [--backend B] [--json]
    terminal-gym validate [PATH|ID|family:NAME ...] [--difficulty K] [--seeds N]
                          [--backend B] [--json]
    terminal-gym families [-v] [--json]
    terminal-gym demo [--backend B]
    terminal-gym images bootstrap [--force] [--mirror URL]
    terminal-gym reap
    terminal-gym rollout [SRC ...] --agent oracle|null|llm --out FILE [--episodes N] [--group G]
                         [--workers W] [--seed S] [--llm-url URL --model M [--api-key K]]
                         [--reply-format F] [--no-ray] [--rerun-env-errors K] [--json]
    terminal-gym tasks build --sources FILE --out DIR --llm-url URL --model M [--workers N]
    terminal-gym tasks verify DIR ... [--out DIR]
    terminal-gym egs report FILE ... [--out DIR] [--oracle]

Task arguments are task directories, directories of tasks, bundled task ids, ids of
procedural family instances (``csv-aggregate-d2-s7``), or ``family:<name>``, which
stands for seeds ``0 .. N-1`` (``--seeds``, default 10; ``run`` uses ``--seed``) at
level ``--difficulty`` (1-3 or easy/medium/hard, default 1).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from terminal_gym.errors import TerminalGymError


def _backend_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--backend", default="auto", choices=("auto", "docker", "local"))
    p.add_argument(
        "--image-map",
        action="append",
        default=[],
        metavar="SRC=DST",
        help="use local image DST where a task's Dockerfile names SRC (repeatable)",
    )


#: How many seeds ``family:<name>`` stands for in ``list`` and ``validate``.
DEFAULT_SEEDS = 10


def _difficulty(text: str) -> int:
    from terminal_gym.tasks.families import parse_difficulty

    try:
        return parse_difficulty(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _family_args(p: argparse.ArgumentParser, *, seeds: bool = True) -> None:
    p.add_argument(
        "--difficulty",
        type=_difficulty,
        help="level of family:NAME sources: 1-3 or easy/medium/hard (default 1)",
    )
    if seeds:
        p.add_argument(
            "--seeds",
            type=int,
            default=None,
            metavar="N",
            help=f"family:NAME stands for seeds 0..N-1 (default {DEFAULT_SEEDS})",
        )


def _task_sets(
    items: Sequence[str],
    default: str = "builtin",
    *,
    difficulty: int | None = None,
    seeds: range = range(DEFAULT_SEEDS),
) -> Any:
    """Resolve CLI task arguments.

    Paths load from disk; ``family:<name>`` expands to the instances of ``seeds`` at
    ``difficulty``; other words are family instance ids (``<name>-d<k>-s<seed>``) or
    bundled task ids.
    """
    from terminal_gym.tasks import Task, TaskSet, builtin_dir, is_task_dir, load_task
    from terminal_gym.tasks.taskset import FAMILY_PREFIX

    if difficulty is not None and not any(i.startswith(FAMILY_PREFIX) for i in items):
        raise TerminalGymError("--difficulty applies to family:<name> task arguments only")
    if not items:
        return TaskSet.from_source(default)
    from terminal_gym.tasks.families import FamilySource, find_task

    builtin = None  # loaded only when a bare id needs it
    tasks: list[Task] = []
    for item in items:
        if item.startswith(FAMILY_PREFIX):
            family = FamilySource.from_spec(item, difficulty)
            tasks.extend(family.task(seed) for seed in seeds)
        elif Path(item).exists():
            tasks.extend(TaskSet.from_source(item))
        elif (task := find_task(item)) is not None:
            tasks.append(task)
        elif is_task_dir(builtin_dir() / item):
            tasks.append(load_task(builtin_dir() / item))
        else:  # unknown: the lookup's error lists the close ids
            builtin = builtin or TaskSet.from_source("builtin")
            tasks.append(builtin[item])
    return TaskSet(tasks)


def _seeds(args: argparse.Namespace) -> range:
    n = DEFAULT_SEEDS if args.seeds is None else args.seeds
    if n < 1:
        raise TerminalGymError("--seeds must be at least 1")
    return range(n)


def _make_env(args: argparse.Namespace, tasks: Any) -> Any:
    from terminal_gym.envs import TerminalLegoEnv

    options = {"image_map": args.image_map} if args.image_map else {}
    return TerminalLegoEnv(tasks=tasks, backend=args.backend, backend_options=options)


def cmd_list(args: argparse.Namespace) -> int:
    tasks = _task_sets(args.tasks, difficulty=args.difficulty, seeds=_seeds(args))
    rows = [
        {
            "id": t.id,
            "difficulty": t.difficulty,
            "category": t.category,
            "tags": list(t.tags),
            "path": str(t.path) if t.path else None,
        }
        for t in tasks
    ]
    if args.json:
        print(json.dumps(rows, indent=2))
    else:
        for r in rows:
            print(
                f"{r['id']:<32} {r['difficulty'] or '-':<8} {r['category'] or '-':<18} "
                f"{','.join(r['tags'])}"
            )
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    tasks = _task_sets(
        [args.task], difficulty=args.difficulty, seeds=range(args.seed, args.seed + 1)
    )
    env = _make_env(args, tasks)
    from terminal_gym.rollout.validate import safe_episode

    try:
        result = safe_episode(env, args.agent, tasks.ids[0]).to_dict()
    finally:
        env.close()
    result["backend"] = env.backend.name
    if args.json:
        print(json.dumps(result, indent=2, default=str))
    else:
        print(
            f"task {result['task_id']} agent {result['agent']} backend {env.backend.name}: "
            f"reward {result['reward']:.3f}, steps {result['steps']}, "
            f"time {result['duration']:.2f}s"
        )
        if result.get("error"):
            print(f"  error: {result['error']}")
    return 1 if result.get("env_error") else 0


def _validate(env: Any, task_ids: Sequence[str], log: Any) -> list[dict[str, Any]]:
    from terminal_gym.rollout.validate import validate_task

    rows = []
    for task_id in task_ids:
        row = validate_task(env, task_id).to_dict()
        rows.append(row)
        log(row)
    return rows


def _print_row(row: dict[str, Any]) -> None:
    if row.get("skipped"):
        print(f"skip {row['task_id']:<32} {row['skipped']}", flush=True)
        return
    mark = "ok  " if row["verified"] else "FAIL"
    print(
        f"{mark} {row['task_id']:<32} oracle {row['oracle_reward']:.2f} "
        f"({row['oracle_steps']} steps, {row['oracle_seconds']:.2f}s)  "
        f"null {row['null_reward']:.2f} ({row['null_seconds']:.2f}s)",
        flush=True,
    )
    if row.get("oracle_step_rewards") is not None:
        steps = "  ".join(f"{name} {reward:.2f}" for name, reward in row["oracle_step_rewards"])
        print(f"     oracle per step: {steps}", flush=True)
    for problem in row["problems"]:
        print(f"     {problem}", flush=True)


def cmd_validate(args: argparse.Namespace) -> int:
    tasks = _task_sets(args.tasks, difficulty=args.difficulty, seeds=_seeds(args))
    env = _make_env(args, tasks)
    started = time.monotonic()
    try:
        if not args.json:
            print(f"validating {len(tasks)} task(s) on the {env.backend.name} backend")
        rows = _validate(env, tasks.ids, (lambda r: None) if args.json else _print_row)
    finally:
        env.close()
    failed = [r for r in rows if not r["verified"] and not r["skipped"]]
    skipped = [r for r in rows if r["skipped"]]
    if args.json:
        print(json.dumps({"backend": env.backend.name, "tasks": rows}, indent=2))
    else:
        print(
            f"{len(rows) - len(failed) - len(skipped)}/{len(rows)} environment-verified "
            f"in {time.monotonic() - started:.1f}s"
            + (f" ({len(skipped)} skipped: the backend cannot serve them)" if skipped else "")
        )
        for r in failed:
            print(f"FAILED {r['task_id']}: {'; '.join(r['problems'])}")
    return 1 if failed else 0


def cmd_families(args: argparse.Namespace) -> int:
    from terminal_gym.tasks.families import DIFFICULTY_NAMES, FAMILIES

    rows: list[dict[str, Any]] = [
        {
            "name": family.name,
            "description": family.description,
            "category": family.category,
            "difficulties": list(family.difficulties),
            "difficulty_names": [DIFFICULTY_NAMES.get(d, str(d)) for d in family.difficulties],
            "knob": family.knob,
        }
        for family in FAMILIES.values()
    ]
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    for r in rows:
        levels = r["difficulties"]
        print(
            f"family:{r['name']:<18} difficulty {levels[0]}-{levels[-1]} "
            f"({'/'.join(r['difficulty_names'])})  {r['description']}"
        )
        if args.verbose:
            print(f"    {r['knob']}")
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    """The main job: every bundled task with the oracle and the do-nothing agent."""
    tasks = _task_sets([])
    env = _make_env(args, tasks)
    try:
        kind = "Docker" if env.backend.name == "docker" else "the local backend (no Docker daemon)"
        print(f"terminal-gym demo: {len(tasks)} bundled tasks on {kind}")
        rows = _validate(env, tasks.ids, _print_row)
    finally:
        env.close()
    ok = sum(r["verified"] for r in rows)
    skipped = sum(bool(r["skipped"]) for r in rows)
    print(
        f"{ok}/{len(rows)} tasks: oracle reward 1 and do-nothing reward 0"
        + (f"; {skipped} skipped (the backend cannot serve them)" if skipped else "")
    )
    return 0 if ok + skipped == len(rows) else 1


def cmd_images(args: argparse.Namespace) -> int:
    from terminal_gym.sandbox.bootstrap import BASE_IMAGES, bootstrap
    from terminal_gym.sandbox.docker import connect

    built = bootstrap(connect(), mirror=args.mirror, force=args.force)
    for name in BASE_IMAGES:
        print(f"{name}: {'built' if name in built else 'present'}")
    return 0


def cmd_reap(args: argparse.Namespace) -> int:
    from terminal_gym.sandbox.docker import connect, reap

    removed = reap(connect())
    print(f"removed {len(removed)} orphaned container(s)")
    return 0


def cmd_rollout(args: argparse.Namespace) -> int:
    from terminal_gym.rollout.collect import CollectError, check_endpoint, collect

    for name in ("episodes", "group", "workers", "envs_per_actor"):
        if getattr(args, name) < 1:
            raise CollectError(f"--{name.replace('_', '-')} must be at least 1")
    tasks = _task_sets(args.tasks, difficulty=args.difficulty, seeds=_seeds(args))
    agent_options: dict[str, Any] = {}
    if args.agent == "llm":
        if not (args.model or os.environ.get("OPENAI_MODEL")):
            raise CollectError("--agent llm needs --model (or OPENAI_MODEL)")
        check_endpoint(args.llm_url, args.api_key)
        agent_options = {
            "model": args.model,
            "base_url": args.llm_url,
            "api_key": args.api_key,
            "reply_format": args.reply_format,
            "temperature": args.temperature,
            "max_tokens": args.max_tokens,
            "timeout": args.timeout,
            "max_turns": args.max_turns,
            "logprobs": not args.no_logprobs,
            "token_ids": not args.no_token_ids,
        }
    elif args.llm_url or args.model:
        raise CollectError("--llm-url and --model are for --agent llm")
    env_kwargs: dict[str, Any] = {"backend": args.backend}
    if args.image_map:
        env_kwargs["backend_options"] = {"image_map": args.image_map}
    if args.max_steps:
        env_kwargs["max_steps"] = args.max_steps
    result = collect(
        tasks,
        args.agent,
        episodes=args.episodes,
        group=args.group,
        workers=args.workers,
        out=args.out,
        seed=args.seed,
        agent_options=agent_options,
        env_kwargs=env_kwargs,
        use_ray=False if args.no_ray else None,
        envs_per_actor=args.envs_per_actor,
        rerun_env_errors=args.rerun_env_errors,
        progress=not args.no_progress and not args.json,
    )
    summary = result.summary
    if args.json:
        print(json.dumps(summary, indent=2, default=str))
    else:
        mean = summary["reward_mean"]
        print(
            f"{summary['finished']} episode(s) run, {summary['skipped']} already done: "
            f"reward mean {'-' if mean is None else f'{mean:.3f}'}, "
            f"{summary['env_errors']} env error(s), {summary['llm_errors']} LLM error(s), "
            f"{summary['seconds']:.1f}s ({summary['episodes_per_s'] or 0:.2f} episodes/s) "
            f"-> {args.out}"
        )
    return 1 if summary["remaining_failed"] else 0


def _rollout_parser(sub: Any) -> None:
    p = sub.add_parser(
        "rollout",
        help="collect trajectories: many episodes at once, in groups, resumable JSONL",
    )
    p.add_argument(
        "tasks",
        nargs="*",
        help="task dirs, dirs of tasks, bundled or family ids, family:NAME (default: bundled)",
    )
    p.add_argument("--agent", default="oracle", choices=("oracle", "null", "llm"))
    p.add_argument("--out", required=True, metavar="FILE", help="JSONL output (resumable)")
    p.add_argument("--episodes", type=int, default=1, metavar="N", help="seeds per task")
    p.add_argument(
        "--group", type=int, default=1, metavar="G", help="episodes per (task, seed) instance"
    )
    p.add_argument("--workers", type=int, default=4, metavar="W", help="episodes at once")
    p.add_argument("--seed", type=int, default=0, help="the first seed")
    p.add_argument("--max-steps", type=int, default=None, metavar="N", help="steps per episode")
    p.add_argument(
        "--llm-url",
        default=None,
        metavar="URL",
        help="OpenAI-compatible API base (default: $OPENAI_BASE_URL), e.g. http://localhost:8000/v1",
    )
    p.add_argument("--model", default=None, help="model name sent to the endpoint")
    p.add_argument(
        "--api-key", default=None, help="bearer token (default: $OPENAI_API_KEY; prefer the env)"
    )
    p.add_argument(
        "--reply-format", default="terminus-json", choices=("terminus-json", "fenced", "xml")
    )
    p.add_argument("--temperature", type=float, default=1.0)
    p.add_argument("--max-tokens", type=int, default=None, help="per model reply")
    p.add_argument("--timeout", type=float, default=120.0, help="seconds per LLM request")
    p.add_argument(
        "--max-turns", type=int, default=100, help="model replies per episode, then submit"
    )
    p.add_argument("--no-logprobs", action="store_true", help="do not ask for log-probabilities")
    p.add_argument(
        "--no-token-ids",
        action="store_true",
        help="do not ask for vLLM's token ids (for servers that refuse unknown parameters)",
    )
    p.add_argument("--no-ray", action="store_true", help="a local thread pool instead of Ray")
    p.add_argument("--envs-per-actor", type=int, default=8, metavar="K", help="with Ray")
    p.add_argument(
        "--rerun-env-errors",
        type=int,
        default=0,
        metavar="K",
        help="run an episode whose environment failed again, up to K times",
    )
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.add_argument("--json", action="store_true", help="print the summary as JSON")
    _family_args(p)
    _backend_args(p)
    p.set_defaults(func=cmd_rollout)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="terminal-gym", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("list", help="list tasks")
    p.add_argument(
        "tasks",
        nargs="*",
        help="task dirs, dirs of tasks, bundled or family ids, family:NAME (default: bundled)",
    )
    p.add_argument("--json", action="store_true")
    _family_args(p)
    p.set_defaults(func=cmd_list)

    p = sub.add_parser("run", help="run one episode of a scripted agent")
    p.add_argument(
        "--task",
        required=True,
        help="a bundled task id, a task directory, a family instance id or family:NAME",
    )
    p.add_argument("--agent", default="oracle", choices=("oracle", "null"))
    p.add_argument("--json", action="store_true")
    _family_args(p, seeds=False)
    p.add_argument("--seed", type=int, default=0, help="the seed of a family:NAME task")
    _backend_args(p)
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("validate", help="check tasks are environment-verified (oracle 1, null 0)")
    p.add_argument(
        "tasks",
        nargs="*",
        help="task dirs, dirs of tasks, bundled or family ids, family:NAME (default: all bundled)",
    )
    p.add_argument("--json", action="store_true")
    _family_args(p)
    _backend_args(p)
    p.set_defaults(func=cmd_validate)

    p = sub.add_parser("families", help="list the procedural task families")
    p.add_argument("--json", action="store_true")
    p.add_argument("-v", "--verbose", action="store_true", help="say what difficulty changes")
    p.set_defaults(func=cmd_families)

    p = sub.add_parser("demo", help="oracle and do-nothing episodes of every bundled task")
    _backend_args(p)
    p.set_defaults(func=cmd_demo)

    p = sub.add_parser("images", help="manage images")
    isub = p.add_subparsers(dest="images_command", required=True)
    b = isub.add_parser("bootstrap", help="build the offline base images (debootstrap + import)")
    b.add_argument("--force", action="store_true", help="rebuild even when present")
    b.add_argument("--mirror", help="Debian mirror (default: from /etc/apt)")
    b.set_defaults(func=cmd_images)

    p = sub.add_parser("reap", help="remove containers whose owner process is gone")
    p.set_defaults(func=cmd_reap)
    _rollout_parser(sub)
    from terminal_gym.data.cli import add_parser as add_egs_parser
    from terminal_gym.pipeline.cli import add_parser as add_tasks_parser

    add_tasks_parser(sub)
    add_egs_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args))
    except TerminalGymError as exc:
        print(f"terminal-gym: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
