"""``terminal-gym tasks build | verify``: construct tasks from issues with an LLM.

``build`` runs the whole pipeline (sources -> construction -> round trip) and can be
run again on the same ``--out`` to resume. It prints one line per finished source
(``ok`` / ``FAIL`` / ``ERR``, for scripts) and, when stderr is a terminal, a live
``rich`` progress bar there (off with ``--no-progress`` or ``--json``). ``verify``
runs stage 3 only on existing task directories (or directories of them); with
``--out`` it files them into ``tasks/`` and ``rejected/`` as ``build`` does.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from terminal_gym.cli.console import print_json
from terminal_gym.cli.options import BackendOpt, ImageMapOpt, JsonOpt, NoProgressOpt
from terminal_gym.cli.progress import LiveProgress, progress_enabled
from terminal_gym.errors import TerminalGymError

__all__ = ["register"]

tasks_app = typer.Typer(
    help="Construct tasks from issues with an LLM, and verify task directories.",
    no_args_is_help=True,
    epilog="Example: terminal-gym tasks verify ./built/tasks --backend docker",
)


def _make_backend(backend: str, image_map: list[str] | None) -> Any:
    from terminal_gym.sandbox import make_backend

    options = {"image_map": list(image_map)} if image_map else {}
    return make_backend(backend, **options)


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


@tasks_app.command(
    epilog="Example: terminal-gym tasks build --sources issues.jsonl --out built "
    "--llm-url http://localhost:8000/v1 --model qwen"
)
def build(
    sources: Annotated[
        Path, typer.Option("--sources", metavar="FILE", help="issues/questions, JSONL")
    ],
    out: Annotated[Path, typer.Option("--out", metavar="DIR", help="output directory (resumable)")],
    llm_url: Annotated[
        str,
        typer.Option(
            "--llm-url",
            metavar="URL",
            help="OpenAI-compatible API base, e.g. http://localhost:8000/v1",
        ),
    ],
    model: Annotated[str, typer.Option("--model", help="model name sent to the endpoint")],
    api_key: Annotated[
        str | None,
        typer.Option("--api-key", help="bearer token (default: $OPENAI_API_KEY; prefer the env)"),
    ] = None,
    workers: Annotated[int, typer.Option("--workers", min=1, help="sources processed at once")] = 4,
    base_image: Annotated[
        str | None,
        typer.Option(
            "--base-image",
            help="the image every Dockerfile starts FROM (default: the bundled Python image)",
        ),
    ] = None,
    max_review_rounds: Annotated[
        int,
        typer.Option(
            "--max-review-rounds",
            metavar="K",
            min=0,
            help="extra replies a construction step gets after failing review",
        ),
    ] = 2,
    limit: Annotated[
        int | None, typer.Option("--limit", metavar="N", help="first N sources only")
    ] = None,
    allow_internet: Annotated[
        bool,
        typer.Option(
            "--allow-internet", help="let Dockerfiles download and sandboxes use the network"
        ),
    ] = False,
    temperature: Annotated[float, typer.Option("--temperature")] = 0.2,
    timeout: Annotated[float, typer.Option("--timeout", help="seconds per LLM request")] = 300.0,
    backend: BackendOpt = "docker",
    image_map: ImageMapOpt = None,
    json_out: JsonOpt = False,
    no_progress: NoProgressOpt = False,
) -> int:
    """Sources -> LLM-constructed tasks -> environment-verified tasks (resumable).

    Exit status 1 when a source ended in an error (not a rejection).
    """
    from terminal_gym.pipeline.build import build_tasks
    from terminal_gym.pipeline.construct import DEFAULT_BASE_IMAGE
    from terminal_gym.pipeline.llm import ChatClient

    try:
        client = ChatClient(
            llm_url, model, api_key=api_key, temperature=temperature, timeout=timeout
        )
    except ValueError as exc:
        raise TerminalGymError(str(exc)) from None
    summary = build_tasks(
        sources,
        out,
        client,
        _make_backend(backend, image_map),
        workers=workers,
        base_image=base_image or DEFAULT_BASE_IMAGE,
        max_review_rounds=max_review_rounds,
        allow_internet=allow_internet,
        limit=limit,
        # the pipeline draws its own rich bar (sources/min, verified/rejected/errors)
        progress=progress_enabled(json=json_out, no_progress=no_progress),
        on_result=None if json_out else _print_result,
    )
    if json_out:
        print_json(summary)
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


def _task_dirs(paths: list[Path]) -> list[Path]:
    from terminal_gym.tasks.formats import is_task_dir

    found: list[Path] = []
    for path in paths:
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


@tasks_app.command(epilog="Example: terminal-gym tasks verify built/candidates --out built --json")
def verify(
    dirs: Annotated[
        list[Path], typer.Argument(metavar="DIR...", help="task directories or dirs of tasks")
    ],
    out: Annotated[
        Path | None,
        typer.Option("--out", metavar="DIR", help="file into DIR/tasks, DIR/rejected"),
    ] = None,
    move: Annotated[bool, typer.Option("--move", help="with --out: move instead of copy")] = False,
    backend: BackendOpt = "docker",
    image_map: ImageMapOpt = None,
    json_out: JsonOpt = False,
    no_progress: NoProgressOpt = False,
) -> int:
    """Round trip only: build, the oracle must score 1, doing nothing 0.

    Exit status 1 when a task fails.
    """
    from terminal_gym.pipeline.roundtrip import file_task, verify_task_dir

    task_dirs = _task_dirs(dirs)
    sandbox_backend = _make_backend(backend, image_map)
    rows = []
    show = progress_enabled(json=json_out, no_progress=no_progress)
    try:
        with LiveProgress("tasks verify", len(task_dirs), enabled=show) as bar:
            for task_dir in task_dirs:
                bar.status(task_dir.name)
                result = verify_task_dir(task_dir, sandbox_backend)
                row = result.to_dict()
                if out:
                    row["path"] = str(file_task(task_dir, out, result, move=move))
                rows.append(row)
                ok = sum(bool(r["verified"]) for r in rows)
                bar.advance(status=f"verified {ok}/{len(rows)}")
                if json_out:
                    continue
                if result.verified:
                    print(
                        f"ok   {result.task_id:<40} oracle {result.oracle_reward:.2f}  "
                        f"null {result.null_reward:.2f}  build {result.build_seconds:.1f}s",
                        flush=True,
                    )
                else:
                    reason = ((result.reason or "").splitlines() or [""])[0][:300]
                    print(f"FAIL {result.task_id:<40} [{result.stage}] {reason}", flush=True)
    finally:
        sandbox_backend.close()
    failed = [r for r in rows if not r["verified"]]
    if json_out:
        print_json({"tasks": rows})
    else:
        print(f"{len(rows) - len(failed)}/{len(rows)} environment-verified")
    return 1 if failed else 0


def register(app: typer.Typer) -> None:
    """Add ``tasks`` (build, verify) to ``app``."""
    app.add_typer(tasks_app, name="tasks")
