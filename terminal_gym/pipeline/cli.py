"""The ``terminal-gym tasks`` commands.

::

    terminal-gym tasks build --sources FILE.jsonl --out DIR --llm-url URL --model NAME
                             [--api-key KEY] [--workers N] [--backend B] [--image-map SRC=DST]
                             [--base-image IMG] [--max-review-rounds K] [--limit N]
                             [--allow-internet] [--temperature T] [--no-progress] [--json]
    terminal-gym tasks verify DIR... [--out DIR [--move]] [--backend B] [--json]

``build`` runs the whole pipeline (sources -> construction -> round trip) and can be
run again on the same ``--out`` to resume. It prints one line per finished source
(``ok`` / ``FAIL`` / ``ERR``, for scripts) and, when stderr is a terminal, a live
``rich`` progress bar there (off with ``--no-progress`` or ``--json``). ``verify``
runs stage 3 only on existing task directories (or directories of them); with
``--out`` it files them into ``tasks/`` and ``rejected/`` as ``build`` does.

Wired into the main parser by ``terminal_gym.cli`` through :func:`add_parser`.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from terminal_gym.errors import TerminalGymError

__all__ = ["add_parser", "cmd_build", "cmd_verify"]


def _make_backend(args: argparse.Namespace) -> Any:
    from terminal_gym.sandbox import make_backend

    options = {"image_map": args.image_map} if args.image_map else {}
    return make_backend(args.backend, **options)


def _print_result(record: dict[str, Any]) -> None:
    """One line per finished source, for people and scripts (``ok``, ``FAIL``, ``ERR``)."""
    status = record["status"]
    name = f"{record['source_id']:<40}"
    if status == "verified":
        print(f"ok   {name} {record.get('seconds', 0):.1f}s", flush=True)
        return
    reason = (record.get("reason") or "").splitlines()[:1]
    tag = "FAIL" if status == "rejected" else "ERR "
    print(f"{tag} {name} [{record.get('stage')}] {''.join(reason)[:300]}", flush=True)


def cmd_build(args: argparse.Namespace) -> int:
    from terminal_gym.pipeline.build import build_tasks
    from terminal_gym.pipeline.llm import ChatClient

    if args.workers < 1:
        raise TerminalGymError("--workers must be at least 1")
    if args.max_review_rounds < 0:
        raise TerminalGymError("--max-review-rounds must be >= 0")
    try:
        client = ChatClient(
            args.llm_url,
            args.model,
            api_key=args.api_key,
            temperature=args.temperature,
            timeout=args.timeout,
        )
    except ValueError as exc:
        raise TerminalGymError(str(exc)) from None
    summary = build_tasks(
        args.sources,
        args.out,
        client,
        _make_backend(args),
        workers=args.workers,
        base_image=args.base_image,
        max_review_rounds=args.max_review_rounds,
        allow_internet=args.allow_internet,
        limit=args.limit,
        progress=not args.no_progress and not args.json,
        on_result=None if args.json else _print_result,
    )
    if args.json:
        print(json.dumps(summary, indent=2))
    else:
        print(
            f"{summary['processed']} source(s) processed, {summary['skipped']} already done: "
            f"{summary['verified']} verified, {summary['rejected']} rejected, "
            f"{summary['errors']} error(s); {summary['llm_calls']} LLM call(s) "
            f"in {summary['seconds']:.1f}s"
        )
        for stage, count in summary["rejected_by_stage"].items():
            print(f"  rejected at {stage}: {count}")
        totals = summary["totals"]
        print(
            f"{Path(summary['out']) / 'tasks'}: {totals['verified']} verified task(s) in all "
            f"({totals['rejected']} rejected)"
        )
    return 1 if summary["errors"] else 0


def _task_dirs(paths: list[str]) -> list[Path]:
    from terminal_gym.tasks.formats import is_task_dir

    found: list[Path] = []
    for item in paths:
        path = Path(item)
        if not path.is_dir():
            raise TerminalGymError(f"{path}: no such directory")
        if is_task_dir(path):
            found.append(path)
            continue
        children = sorted(p for p in path.iterdir() if p.is_dir() and is_task_dir(p))
        if not children:
            raise TerminalGymError(f"{path}: neither a task directory nor a directory of tasks")
        found.extend(children)
    return found


def cmd_verify(args: argparse.Namespace) -> int:
    from terminal_gym.pipeline.roundtrip import file_task, verify_task_dir

    dirs = _task_dirs(args.dirs)
    backend = _make_backend(args)
    rows = []
    try:
        for task_dir in dirs:
            result = verify_task_dir(task_dir, backend)
            row = result.to_dict()
            if args.out:
                row["path"] = str(file_task(task_dir, args.out, result, move=args.move))
            rows.append(row)
            if not args.json:
                if result.verified:
                    print(
                        f"ok   {result.task_id:<40} oracle {result.oracle_reward:.2f}  "
                        f"null {result.null_reward:.2f}  build {result.build_seconds:.1f}s",
                        flush=True,
                    )
                else:
                    reason = (result.reason or "").splitlines()[0][:300]
                    print(f"FAIL {result.task_id:<40} [{result.stage}] {reason}", flush=True)
    finally:
        backend.close()
    failed = [r for r in rows if not r["verified"]]
    if args.json:
        print(json.dumps({"tasks": rows}, indent=2))
    else:
        print(f"{len(rows) - len(failed)}/{len(rows)} environment-verified")
    return 1 if failed else 0


def _backend_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--backend", default="docker", choices=("auto", "docker", "local"))
    p.add_argument(
        "--image-map",
        action="append",
        default=[],
        metavar="SRC=DST",
        help="use local image DST where a Dockerfile names SRC (repeatable)",
    )


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Add ``tasks`` (with ``build`` and ``verify``) to the main parser's subparsers."""
    from terminal_gym.pipeline.construct import DEFAULT_BASE_IMAGE

    tasks = subparsers.add_parser("tasks", help="construct tasks from issues with an LLM")
    sub = tasks.add_subparsers(dest="tasks_command", required=True)

    p = sub.add_parser(
        "build",
        help="sources -> LLM-constructed tasks -> environment-verified tasks (resumable)",
    )
    p.add_argument("--sources", required=True, metavar="FILE", help="issues/questions, JSONL")
    p.add_argument("--out", required=True, metavar="DIR", help="output directory (resumable)")
    p.add_argument(
        "--llm-url",
        required=True,
        metavar="URL",
        help="OpenAI-compatible API base, e.g. http://localhost:8000/v1",
    )
    p.add_argument("--model", required=True, help="model name sent to the endpoint")
    p.add_argument(
        "--api-key", default=None, help="bearer token (default: $OPENAI_API_KEY; prefer the env)"
    )
    p.add_argument("--workers", type=int, default=4, help="sources processed at once")
    p.add_argument(
        "--base-image",
        default=DEFAULT_BASE_IMAGE,
        help=f"the image every Dockerfile starts FROM (default {DEFAULT_BASE_IMAGE})",
    )
    p.add_argument(
        "--max-review-rounds",
        type=int,
        default=2,
        metavar="K",
        help="extra replies a construction step gets after failing review (default 2)",
    )
    p.add_argument("--limit", type=int, default=None, metavar="N", help="first N sources only")
    p.add_argument(
        "--allow-internet",
        action="store_true",
        help="let Dockerfiles download and sandboxes use the network",
    )
    p.add_argument("--temperature", type=float, default=0.2)
    p.add_argument("--timeout", type=float, default=300.0, help="seconds per LLM request")
    p.add_argument(
        "--no-progress", action="store_true", help="no live progress bar on stderr (a terminal)"
    )
    p.add_argument("--json", action="store_true", help="print the summary as JSON")
    _backend_args(p)
    p.set_defaults(func=cmd_build)

    p = sub.add_parser(
        "verify", help="round trip only: build, oracle must score 1, doing nothing 0"
    )
    p.add_argument("dirs", nargs="+", metavar="DIR", help="task directories or dirs of tasks")
    p.add_argument("--out", default=None, metavar="DIR", help="file into DIR/tasks, DIR/rejected")
    p.add_argument("--move", action="store_true", help="with --out: move instead of copy")
    p.add_argument("--json", action="store_true")
    _backend_args(p)
    p.set_defaults(func=cmd_verify)
    return tasks
