"""``terminal-gym list | run | validate | families | demo``: tasks and their checks."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table
from rich.text import Text

from terminal_gym.cli.console import eprint, print_json, stdout
from terminal_gym.cli.options import (
    DEFAULT_SEEDS,
    BackendOpt,
    DifficultyOpt,
    ImageMapOpt,
    JsonOpt,
    NoProgressOpt,
    SeedsOpt,
    TaskArgs,
    choice,
    choice_metavar,
    make_env,
    resolve_tasks,
    seed_range,
)
from terminal_gym.cli.progress import LiveProgress, progress_enabled

__all__ = ["register", "render_validation", "validate_tasks"]


# -- list --------------------------------------------------------------------------


def list_tasks(
    tasks: TaskArgs = None,
    difficulty: DifficultyOpt = None,
    seeds: SeedsOpt = DEFAULT_SEEDS,
    json_out: JsonOpt = False,
) -> int:
    """List tasks: id, difficulty, category, tags.

    A directory is searched for tasks; malformed ones are reported at the end (path
    and reason, on stderr) and make the exit status 1.
    """
    taskset = resolve_tasks(
        tasks, difficulty=difficulty, seeds=seed_range(seeds), skip_invalid=True
    )
    rows = [
        {
            "id": t.id,
            "difficulty": t.difficulty,
            "category": t.category,
            "tags": list(t.tags),
            "path": str(t.path) if t.path else None,
        }
        for t in taskset
    ]
    if json_out:
        print_json(rows)
    else:
        table = Table("task", "difficulty", "category", "tags", box=None, pad_edge=False)
        for r in rows:
            table.add_row(
                r["id"], r["difficulty"] or "-", r["category"] or "-", ",".join(r["tags"])
            )
        stdout().print(table)
        stdout().print(f"{len(rows)} task(s)")
    for error in taskset.errors:
        reason = " ".join(str(error.message).split())
        eprint(f"malformed {error.path}: {reason}")
    if taskset.errors:
        eprint(f"{len(taskset.errors)} malformed task(s) left out")
    return 1 if taskset.errors else 0


# -- run ---------------------------------------------------------------------------


def run(
    task: Annotated[
        str,
        typer.Option(
            "--task",
            help="a bundled task id, a task directory, a family instance id or family:NAME",
        ),
    ],
    agent: Annotated[
        str,
        typer.Option(
            "--agent", callback=choice("oracle", "null"), metavar=choice_metavar("oracle", "null")
        ),
    ] = "oracle",
    difficulty: DifficultyOpt = None,
    seed: Annotated[int, typer.Option("--seed", help="the seed of a family:NAME task")] = 0,
    backend: BackendOpt = "auto",
    image_map: ImageMapOpt = None,
    json_out: JsonOpt = False,
) -> int:
    """Run one episode of a scripted agent (oracle or do-nothing) on one task.

    Exit status 1 when the environment failed (env_error).
    """
    from terminal_gym.rollout.validate import safe_episode

    tasks = resolve_tasks([task], difficulty=difficulty, seeds=range(seed, seed + 1))
    env = make_env(tasks, backend, image_map)
    try:
        result = safe_episode(env, agent, tasks.ids[0]).to_dict()
    finally:
        env.close()
    result["backend"] = env.backend.name
    if json_out:
        print_json(result)
    else:
        print(
            f"task {result['task_id']} agent {result['agent']} backend {env.backend.name}: "
            f"reward {result['reward']:.3f}, steps {result['steps']}, "
            f"time {result['duration']:.2f}s"
        )
        if result.get("error"):
            print(f"  error: {result['error']}")
    return 1 if result.get("env_error") else 0


# -- validate and demo -----------------------------------------------------------------


def _never_ran(row: dict[str, Any]) -> bool:
    return row.get("oracle_reward") is None or row.get("null_reward") is None


def _status(row: dict[str, Any]) -> str:
    if row.get("skipped"):
        return "skip"
    if row.get("verified"):
        return "ok"
    return "error" if _never_ran(row) else "FAIL"


def _reward(value: Any) -> Text:
    if value is None:
        return Text("error", style="bold red")
    return Text(f"{float(value):.2f}")


def _seconds(value: Any) -> str:
    return "-" if value is None else f"{float(value):.1f}s"


def _substitution(task_id: str, note: Any) -> str:
    """One line: which local image stood in for which, and how it differs."""
    if not isinstance(note, dict):
        return f"{task_id}: {note}"
    differences = "; ".join(note.get("differences") or []) or "no known difference"
    local, original = note.get("substitute"), note.get("original")
    return f"{task_id}: {local} stands in for {original} ({differences})"


def validate_tasks(
    env: Any, task_ids: Sequence[str], progress: LiveProgress
) -> list[dict[str, Any]]:
    """Validate each task in ``env`` (oracle 1, do-nothing 0); one row per task."""
    from terminal_gym.rollout.validate import validate_task

    rows: list[dict[str, Any]] = []
    verified = 0
    for task_id in task_ids:
        progress.status(task_id)
        row = validate_task(env, task_id).to_dict()
        rows.append(row)
        verified += bool(row.get("verified"))
        progress.advance(status=f"verified {verified}/{len(rows)}")
    return rows


def _solution_line(solution: Any) -> str | None:
    """One line on the oracle's solution run(s): exit code and the last output line."""
    runs = solution if isinstance(solution, list) else [solution]
    for run_ in runs:
        if isinstance(run_, dict) and run_.get("exit_code") not in (None, 0):
            tail = [ln for ln in str(run_.get("output_tail") or "").splitlines() if ln.strip()]
            return f"solution exited {run_['exit_code']}" + (f": {tail[-1][:200]}" if tail else "")
    return None


def render_validation(rows: Sequence[dict[str, Any]]) -> None:
    """The validation table on stdout, then the failing tasks with their problems."""
    table = Table("task", "oracle", "null", "steps", "time", "build", "status")
    styles = {"ok": "green", "FAIL": "bold red", "error": "bold red", "skip": "yellow"}
    for row in rows:
        status = _status(row)
        skipped = bool(row.get("skipped"))
        table.add_row(
            Text(str(row.get("task_id")), no_wrap=True),
            Text("-") if skipped else _reward(row.get("oracle_reward")),
            Text("-") if skipped else _reward(row.get("null_reward")),
            "-" if skipped else str(row.get("oracle_steps", "-")),
            "-"
            if skipped
            else _seconds((row.get("oracle_seconds") or 0) + (row.get("null_seconds") or 0)),
            _seconds(row.get("build_seconds")),
            Text(status, style=styles[status]),
        )
    console = stdout()
    console.print(table)
    for row in rows:
        if row.get("oracle_step_rewards"):
            steps = "  ".join(f"{n} {float(r):.2f}" for n, r in row["oracle_step_rewards"])
            console.print(f"{row['task_id']} oracle per step: {steps}", markup=False)
        for note in row.get("substitution") or []:
            console.print(_substitution(row["task_id"], note), markup=False, style="dim")
        if row.get("skipped"):
            console.print(f"skipped {row['task_id']}: {row['skipped']}", markup=False)
    logs_shown: set[str] = set()
    for row in rows:
        if _status(row) not in ("FAIL", "error"):
            continue
        problems = list(row.get("problems") or [])
        for key in ("oracle_error", "null_error"):
            if row.get(key) and not any(str(row[key]) in p for p in problems):
                problems.append(f"{key.replace('_', ' ')}: {row[key]}")
        if (line := _solution_line(row.get("oracle_solution"))) is not None:
            problems.append(line)
        console.print(
            Text(f"FAILED {row['task_id']}: {'; '.join(problems) or 'not verified'}", "red")
        )
        log = row.get("build_log")
        if log and log not in logs_shown:
            logs_shown.add(log)
            console.print(f"build log of {row['task_id']} (last 30 lines):", style="bold")
            console.print("\n".join(str(log).splitlines()[-30:]), markup=False, highlight=False)


def validate(
    tasks: TaskArgs = None,
    difficulty: DifficultyOpt = None,
    seeds: SeedsOpt = DEFAULT_SEEDS,
    backend: BackendOpt = "auto",
    image_map: ImageMapOpt = None,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            metavar="DIR",
            file_okay=False,
            help="also write DIR/validate.json (the --json document), for terminal-gym report",
        ),
    ] = None,
    json_out: JsonOpt = False,
    no_progress: NoProgressOpt = False,
) -> int:
    """Check tasks are environment-verified: the oracle scores 1, doing nothing 0.

    Exit status 1 when a task fails.
    """
    taskset = resolve_tasks(tasks, difficulty=difficulty, seeds=seed_range(seeds))
    env = make_env(taskset, backend, image_map)
    started = time.monotonic()
    show = progress_enabled(json=json_out, no_progress=no_progress)
    try:
        if not json_out:
            print(f"validating {len(taskset)} task(s) on the {env.backend.name} backend")
        with LiveProgress("validate", len(taskset), enabled=show) as bar:
            rows = validate_tasks(env, taskset.ids, bar)
    finally:
        env.close()
    seconds = time.monotonic() - started
    document = {"backend": env.backend.name, "tasks": rows, "seconds": seconds}
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        (out / "validate.json").write_text(json.dumps(document, indent=2, default=str) + "\n")
    failed = [r for r in rows if not r.get("verified") and not r.get("skipped")]
    skipped = [r for r in rows if r.get("skipped")]
    if json_out:
        print_json(document)
        return 1 if failed else 0
    render_validation(rows)
    print(
        f"{len(rows) - len(failed) - len(skipped)}/{len(rows)} environment-verified "
        f"in {seconds:.1f}s"
        + (f" ({len(skipped)} skipped: the backend cannot serve them)" if skipped else "")
    )
    if out is not None:
        print(f"wrote {out / 'validate.json'}")
    return 1 if failed else 0


def demo(
    backend: BackendOpt = "auto",
    image_map: ImageMapOpt = None,
    no_progress: NoProgressOpt = False,
) -> int:
    """Oracle and do-nothing episodes of every bundled task: the whole idea in one go.

    Exit status 1 when a task fails.
    """
    taskset = resolve_tasks([])
    env = make_env(taskset, backend, image_map)
    try:
        kind = "Docker" if env.backend.name == "docker" else "the local backend (no Docker daemon)"
        print(f"terminal-gym demo: {len(taskset)} bundled tasks on {kind}", flush=True)
        enabled = progress_enabled(no_progress=no_progress)
        with LiveProgress("demo", len(taskset), enabled=enabled) as bar:
            rows = validate_tasks(env, taskset.ids, bar)
    finally:
        env.close()
    render_validation(rows)
    ok = sum(bool(r.get("verified")) for r in rows)
    skipped = sum(bool(r.get("skipped")) for r in rows)
    print(
        f"{ok}/{len(rows)} tasks: oracle reward 1 and do-nothing reward 0"
        + (f"; {skipped} skipped (the backend cannot serve them)" if skipped else "")
    )
    return 0 if ok + skipped == len(rows) else 1


# -- families ----------------------------------------------------------------------


def families(
    verbose: Annotated[
        bool, typer.Option("-v", "--verbose", help="say what difficulty changes")
    ] = False,
    json_out: JsonOpt = False,
) -> int:
    """List the procedural task families (use as family:NAME)."""
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
    if json_out:
        print_json(rows)
        return 0
    for r in rows:
        levels = r["difficulties"]
        print(
            f"family:{r['name']:<18} difficulty {levels[0]}-{levels[-1]} "
            f"({'/'.join(r['difficulty_names'])})  {r['description']}"
        )
        if verbose:
            print(f"    {r['knob']}")
    return 0


def _example(text: str) -> str:
    return f"Example: {text}"


COMMANDS: list[tuple[str, Callable[..., int], str]] = [
    ("list", list_tasks, "terminal-gym list family:csv-aggregate --seeds 3 --json"),
    ("run", run, "terminal-gym run --task fix-broken-json-config --agent oracle --json"),
    ("validate", validate, "terminal-gym validate ./my-tasks --backend docker --out results"),
    ("families", families, "terminal-gym families -v"),
    ("demo", demo, "terminal-gym demo --backend docker"),
]


def register(app: typer.Typer) -> None:
    """Add list, run, validate, families and demo to ``app``."""
    for name, func, example in COMMANDS:
        app.command(name, epilog=_example(example))(func)
