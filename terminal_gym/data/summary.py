"""Run summaries: what a rollout or validation directory holds, in numbers.

A *run directory* holds what ``terminal-gym rollout --out DIR/FILE.jsonl`` wrote (one
or more ``*.jsonl`` trajectory files, each with its ``<stem>.summary.json`` beside it)
and/or what ``terminal-gym validate --out DIR`` wrote (``DIR/validate.json``).
:func:`summarize_dir` turns it into one JSON-ready summary:

* ``rollout``: success rate (reward >= 1) and mean reward, by task, category (the
  task's domain), difficulty and family; the TOR distribution (per trajectory, as
  :func:`terminal_gym.data.select.metrics` computes it, as the EGS report does);
  episode lengths; episodes by outcome (:func:`episode_outcome`: ``success`` or the
  cause of the failure); wall time; and every episode's line.
* ``validation``: each task's verdict (:func:`validation_status`), verified rate by
  category, difficulty and family, statuses, wall time.

What the trajectories do not record is derived from the task id where that is sound:
a procedural family instance ``<family>-d<k>-s<seed>`` names its family, its difficulty
and (through the family) its category; a bundled task id names the bundled task, whose
``task.toml`` gives them. Metadata the trajectory carries (``category``,
``difficulty``, ``family``) wins; a ``tasks`` source given to :func:`summarize_dir`
is looked up first for ids it holds.

A resumed rollout file may hold several records of one episode (``episode_key``): the
latest counts, a graded one winning over a failed one (as ``collect`` resumes).

Rendering (markdown, HTML, plots) lives in :mod:`terminal_gym.data.run_report`.

Example::

    summary = summarize_dir("runs/")
    summary["rollout"]["success_rate"], summary["rollout"]["failures"]
"""

from __future__ import annotations

import json
import math
import os
import statistics
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from terminal_gym.data.schema import SchemaError, Trajectory, iter_trajectories, supersedes
from terminal_gym.data.select import metrics
from terminal_gym.errors import TerminalGymError

__all__ = [
    "FAILURE_CAUSES",
    "REPORT_SCHEMA",
    "VALIDATION_STATUSES",
    "ReportError",
    "TaskMetadata",
    "episode_outcome",
    "load_rollout_dir",
    "load_validation",
    "summarize_dir",
    "summarize_rollouts",
    "summarize_validation",
    "validation_status",
]

#: The version of the summary's layout (``summary.json``).
REPORT_SCHEMA = "terminal-gym.report/1"

#: Why an episode did not succeed, in the order :func:`episode_outcome` checks them.
#: ``agent``: graded, reward < 1. ``tamper``: graded below 1 with tamper evidence.
#: ``verifier_error``: the verifier gave no reward. ``env_error``: the environment
#: failed. ``never_started``: the episode's ``reset`` failed. ``llm_error``: the model
#: endpoint failed. ``incomplete``: no grade recorded (a crash, an aborted episode).
FAILURE_CAUSES = (
    "never_started",
    "llm_error",
    "verifier_error",
    "env_error",
    "incomplete",
    "tamper",
    "agent",
)

#: A validated task's status (:func:`validation_status`), ``verified`` first.
VALIDATION_STATUSES = (
    "verified",
    "skipped",
    "never_started",
    "env_error",
    "oracle_failed",
    "null_passed",
    "failed",
)

#: The groupings of the success tables.
GROUPS = ("task", "category", "difficulty", "family")

#: TOR histogram: ten bins over [0, 1].
TOR_BINS = 10


class ReportError(TerminalGymError, ValueError):
    """A run directory holds nothing to report, or a file in it is malformed."""


# -- task metadata ---------------------------------------------------------------------


class TaskMetadata:
    """``category``, ``difficulty`` and ``family`` of task ids, derived where sound.

    Args:
        tasks: a task source to look ids up in first (anything
            :meth:`terminal_gym.tasks.TaskSet.from_source` takes), or ``None``.

    Raises:
        ReportError: ``tasks`` cannot be loaded.
    """

    def __init__(self, tasks: Any = None):
        self._tasks: Any = None
        if tasks is not None:
            from terminal_gym.tasks import TaskSet

            try:
                self._tasks = TaskSet.from_source(tasks)
            except (TerminalGymError, OSError, ValueError, TypeError) as exc:
                raise ReportError(f"cannot load the tasks {tasks!r}: {exc}") from None
        self._cache: dict[str, dict[str, str | None]] = {}

    def __call__(self, task_id: str | None) -> dict[str, str | None]:
        """The task's ``{"category", "difficulty", "family"}`` (``None`` when unknown)."""
        if not task_id:
            return {"category": None, "difficulty": None, "family": None}
        if task_id not in self._cache:
            self._cache[task_id] = self._lookup(task_id)
        return dict(self._cache[task_id])

    def _lookup(self, task_id: str) -> dict[str, str | None]:
        from terminal_gym.tasks.families import DIFFICULTY_NAMES, FAMILIES, parse_task_id

        if self._tasks is not None:
            task = self._tasks.get(task_id)
            if task is not None:
                meta = task.metadata
                return {
                    "category": _str_or_none(task.category),
                    "difficulty": _str_or_none(task.difficulty),
                    "family": _str_or_none(meta.get("family")),
                }
        parsed = parse_task_id(task_id)
        if parsed is not None and parsed[0] in FAMILIES:
            name, level, _ = parsed
            return {
                "category": FAMILIES[name].category,
                "difficulty": DIFFICULTY_NAMES.get(level, f"d{level}"),
                "family": name,
            }
        return self._bundled(task_id)

    @staticmethod
    def _bundled(task_id: str) -> dict[str, str | None]:
        from terminal_gym.tasks import TaskSet, builtin_dir

        unknown: dict[str, str | None] = {"category": None, "difficulty": None, "family": None}
        if "/" in task_id or task_id.startswith("."):
            return unknown
        path = builtin_dir() / task_id
        if not (path / "task.toml").is_file():
            return unknown
        try:
            task = TaskSet.from_source(path)[0]
        except (TerminalGymError, OSError, ValueError, TypeError):
            return unknown
        if task.id != task_id:
            return unknown
        return {
            "category": _str_or_none(task.category),
            "difficulty": _str_or_none(task.difficulty),
            "family": _str_or_none(task.metadata.get("family")),
        }


def _str_or_none(value: Any) -> str | None:
    return None if value is None or value == "" else str(value)


# -- numbers ---------------------------------------------------------------------------


def _num(value: Any) -> float | None:
    if isinstance(value, bool):
        return float(value)
    try:
        f = float(value)
    except (TypeError, ValueError):
        return None
    return f if math.isfinite(f) else None


def _mean(values: Sequence[float]) -> float | None:
    return statistics.fmean(values) if values else None


def _percentile(values: Sequence[float], q: float) -> float | None:
    """The ``q``-th percentile (linear interpolation between closest ranks)."""
    if not values:
        return None
    ordered = sorted(values)
    pos = (len(ordered) - 1) * q / 100.0
    lo = math.floor(pos)
    hi = min(lo + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo)


def distribution(values: Sequence[float]) -> dict[str, Any]:
    """``n``, ``min``, ``mean``, ``p25``, ``p50``, ``p75``, ``p95``, ``max`` of ``values``.

    >>> distribution([1, 2, 3, 4])["p50"]
    2.5
    """
    vals = [float(v) for v in values]
    return {
        "n": len(vals),
        "min": min(vals) if vals else None,
        "mean": _mean(vals),
        "p25": _percentile(vals, 25),
        "p50": _percentile(vals, 50),
        "p75": _percentile(vals, 75),
        "p95": _percentile(vals, 95),
        "max": max(vals) if vals else None,
    }


# -- rollouts: loading -----------------------------------------------------------------


def _read_lines(path: Path) -> list[str]:
    lines: list[str] = []
    with open(path, "rb") as fh:
        for lineno, raw in enumerate(fh, 1):
            try:
                lines.append(raw.decode("utf-8"))
            except UnicodeDecodeError as exc:
                raise ReportError(f"{path}:{lineno}: not UTF-8 text ({exc.reason})") from None
    return lines


_PARSE_ERRORS = (SchemaError, ValueError, TypeError, KeyError, AttributeError)


def _parse_file(path: Path) -> list[Trajectory]:
    """Every trajectory of one JSONL file; a malformed line raises :class:`ReportError`
    naming ``file:line``."""
    lines = _read_lines(path)
    try:
        return list(iter_trajectories(lines, str(path)))
    except _PARSE_ERRORS as exc:
        message = str(exc)
    if message.startswith(f"{path}:"):
        raise ReportError(message)
    # The schema's loader does not say where every error is: the first line whose
    # inclusion makes the file fail is where (failing is monotone in the prefix).
    lo, hi = 1, len(lines)
    while lo < hi:
        mid = (lo + hi) // 2
        try:
            list(iter_trajectories(lines[:mid], str(path)))
        except _PARSE_ERRORS:
            hi = mid
        else:
            lo = mid + 1
    raise ReportError(f"{path}:{lo}: {message}")


def _latest(trajectories: Iterable[Trajectory]) -> tuple[list[Trajectory], int]:
    """The latest record of each episode (by ``episode_key``; a graded record wins over
    a failed one), records without a key kept; and how many records were superseded."""
    out: list[Trajectory | None] = []
    where: dict[str, int] = {}
    superseded = 0
    for t in trajectories:
        key = t.metadata.get("episode_key")
        if not isinstance(key, str):
            out.append(t)
            continue
        if key not in where:
            where[key] = len(out)
            out.append(t)
            continue
        superseded += 1
        previous = out[where[key]]
        assert previous is not None
        if supersedes(t, previous):
            out[where[key]] = t
    return [t for t in out if t is not None], superseded


def load_rollout_dir(
    directory: str | os.PathLike[str],
) -> tuple[list[tuple[str, Trajectory]], dict[str, Any]]:
    """The episodes of every ``*.jsonl`` in ``directory`` (``(file name, trajectory)``,
    the latest record of each episode), and what the files say about the run:
    ``files``, ``records``, ``superseded`` and ``run_seconds`` (the sum of the
    ``seconds`` of the ``<stem>.summary.json`` files ``collect`` wrote beside them, or
    ``None`` when a file has none).

    Raises:
        ReportError: a file cannot be read or holds a malformed line (``file:line``).
    """
    root = Path(directory)
    episodes: list[tuple[str, Trajectory]] = []
    files: list[str] = []
    records = superseded = 0
    run_seconds: float | None = 0.0
    for path in sorted(root.glob("*.jsonl")):
        if not path.is_file():
            continue
        try:
            trajectories = _parse_file(path)
        except OSError as exc:
            raise ReportError(f"{path}: cannot read: {exc.strerror or exc}") from None
        files.append(path.name)
        records += len(trajectories)
        latest, dropped = _latest(trajectories)
        superseded += dropped
        episodes.extend((path.name, t) for t in latest)
        seconds = _run_seconds(path)
        run_seconds = None if seconds is None or run_seconds is None else run_seconds + seconds
    meta = {
        "files": files,
        "records": records,
        "superseded": superseded,
        "run_seconds": run_seconds if files else None,
    }
    return episodes, meta


def _run_seconds(path: Path) -> float | None:
    summary = path.with_name(path.stem + ".summary.json")
    try:
        data = json.loads(summary.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return _num(data.get("seconds")) if isinstance(data, dict) else None


# -- rollouts: outcomes ----------------------------------------------------------------


def _last_info(trajectory: Trajectory) -> Mapping[str, Any]:
    if not trajectory.steps:
        return {}
    info = trajectory.steps[-1].info
    return info if isinstance(info, Mapping) else {}


def _verifier(trajectory: Trajectory) -> Mapping[str, Any]:
    verifier = _last_info(trajectory).get("verifier")
    return verifier if isinstance(verifier, Mapping) else {}


def tamper_evidence(trajectory: Trajectory) -> list[Any]:
    """What the verifier recorded of the agent's tampering (empty: none)."""
    tamper = _verifier(trajectory).get("tamper")
    return list(tamper) if isinstance(tamper, list) else []


def episode_outcome(trajectory: Trajectory) -> str:
    """``"success"`` (graded, reward >= 1) or the cause of the failure, the first of
    :data:`FAILURE_CAUSES` that applies:

    * ``never_started``: the environment failed before the episode began (no steps, no
      initial observation);
    * ``llm_error``: the model endpoint failed the agent;
    * ``verifier_error``: the verifier ran but gave no reward;
    * ``env_error``: the environment failed (sandbox, shell, setup);
    * ``incomplete``: no grade was recorded (the writer crashed, the episode was
      abandoned);
    * ``tamper``: graded below 1 and the verifier found tampering;
    * ``agent``: graded below 1.
    """
    meta = trajectory.metadata
    info = _last_info(trajectory)
    env_error = bool(meta.get("env_error") or info.get("env_error"))
    if not trajectory.steps and trajectory.initial_observation is None and env_error:
        return "never_started"
    if meta.get("llm_error"):
        return "llm_error"
    if _verifier(trajectory).get("error"):
        return "verifier_error"
    if env_error:
        return "env_error"
    reward = _num(trajectory.reward)
    if not trajectory.complete or meta.get("aborted") or reward is None:
        return "incomplete"
    if reward >= 1.0:
        return "success"
    return "tamper" if tamper_evidence(trajectory) else "agent"


def _meta_str(meta: Mapping[str, Any], key: str) -> str | None:
    value = meta.get(key)
    return str(value) if isinstance(value, (str, int)) and value != "" else None


def episode_record(
    trajectory: Trajectory, file: str = "", lookup: TaskMetadata | None = None
) -> dict[str, Any]:
    """One episode's line in the summary."""
    lookup = lookup or TaskMetadata()
    meta = trajectory.metadata
    task_id = trajectory.task_id or _meta_str(meta, "task")
    derived = lookup(task_id)
    outcome = episode_outcome(trajectory)
    started = outcome != "never_started"
    tor = None
    if started:
        try:
            tor = metrics(trajectory)["tor"]
        except Exception:  # an unparsable command must not sink the whole report
            tor = None
    reward = _num(trajectory.reward)
    return {
        "file": file,
        "episode_key": _meta_str(meta, "episode_key"),
        "task_id": task_id,
        "category": _meta_str(meta, "category") or derived["category"],
        "difficulty": _meta_str(meta, "difficulty") or derived["difficulty"],
        "family": _meta_str(meta, "family") or derived["family"],
        "agent": _meta_str(meta, "agent") or trajectory.source,
        "seed": meta.get("seed") if isinstance(meta.get("seed"), int) else None,
        "outcome": outcome,
        "success": outcome == "success",
        "graded": outcome in ("success", "agent", "tamper"),
        "reward": reward,
        "steps": len(trajectory.steps) if started else None,
        "tor": tor,
        "tamper": bool(tamper_evidence(trajectory)),
        "seconds": _num(meta.get("duration")) if started else None,
        "error": _meta_str(meta, "error") or _meta_str(meta, "llm_error"),
    }


# -- rollouts: the summary -------------------------------------------------------------


def _group_rows(records: Sequence[Mapping[str, Any]], key: str) -> list[dict[str, Any]]:
    groups: dict[str, list[Mapping[str, Any]]] = {}
    for r in records:
        groups.setdefault(str(r.get(key) or "-"), []).append(r)
    rows = []
    for name in sorted(groups):
        rs = groups[name]
        rewards = [r["reward"] for r in rs if r["graded"] and r["reward"] is not None]
        successes = sum(1 for r in rs if r["success"])
        tors = [r["tor"] for r in rs if r["tor"] is not None]
        steps = [float(r["steps"]) for r in rs if r["steps"] is not None]
        rows.append(
            {
                key: name,
                "episodes": len(rs),
                "graded": len(rewards),
                "successes": successes,
                "success_rate": successes / len(rs),
                "mean_reward": _mean(rewards),
                "mean_tor": _mean(tors),
                "mean_steps": _mean(steps),
                "failures": len(rs) - successes,
            }
        )
    return rows


def _tor_histogram(values: Sequence[float]) -> dict[str, Any]:
    counts = [0] * TOR_BINS
    for v in values:
        counts[min(TOR_BINS - 1, max(0, int(v * TOR_BINS)))] += 1
    return {"edges": [round(i / TOR_BINS, 10) for i in range(TOR_BINS + 1)], "counts": counts}


def _steps_histogram(values: Sequence[int]) -> dict[str, Any]:
    counts: dict[int, int] = {}
    for v in values:
        counts[v] = counts.get(v, 0) + 1
    return {"values": sorted(counts), "counts": [counts[v] for v in sorted(counts)]}


def summarize_rollouts(
    episodes: Iterable[tuple[str, Trajectory]] | Iterable[Trajectory],
    *,
    run_seconds: float | None = None,
    tasks: Any = None,
    files: Sequence[str] = (),
    records: int | None = None,
    superseded: int = 0,
) -> dict[str, Any]:
    """The rollout section of a summary (see the module docstring).

    Args:
        episodes: trajectories, or ``(file name, trajectory)`` pairs.
        run_seconds: the run's wall time, when known (else episodes/s is over the sum of
            the episodes' own durations, ``wall.basis == "episodes"``).
        tasks: a task source to look metadata up in, or a :class:`TaskMetadata`.
        files, records, superseded: what :func:`load_rollout_dir` reported.
    """
    lookup = tasks if isinstance(tasks, TaskMetadata) else TaskMetadata(tasks)
    rows = []
    for item in episodes:
        file, trajectory = item if isinstance(item, tuple) else ("", item)
        rows.append(episode_record(trajectory, file, lookup))
    n = len(rows)
    successes = sum(1 for r in rows if r["success"])
    graded_rewards = [r["reward"] for r in rows if r["graded"] and r["reward"] is not None]
    outcomes = dict.fromkeys(("success", *FAILURE_CAUSES), 0)
    for r in rows:
        outcomes[r["outcome"]] += 1
    tors = [r["tor"] for r in rows if r["tor"] is not None]
    steps = [r["steps"] for r in rows if r["steps"] is not None]
    seconds = [r["seconds"] for r in rows if r["seconds"] is not None]
    started = sum(1 for r in rows if r["outcome"] != "never_started")
    total = sum(seconds)
    basis_seconds = run_seconds if run_seconds else total
    return {
        "files": list(files),
        "records": n if records is None else records,
        "superseded": superseded,
        "episodes": n,
        "graded": len(graded_rewards),
        "successes": successes,
        "success_rate": successes / n if n else None,
        "mean_reward": _mean(graded_rewards),
        "outcomes": outcomes,
        "failures": {cause: outcomes[cause] for cause in FAILURE_CAUSES},
        "tamper_evidence": sum(1 for r in rows if r["tamper"]),
        "by": {key: _group_rows(rows, key if key != "task" else "task_id") for key in GROUPS},
        "tor": {
            **distribution(tors),
            "no_act": started - len(tors),
            "histogram": _tor_histogram(tors),
        },
        "steps": {**distribution([float(s) for s in steps]), "histogram": _steps_histogram(steps)},
        "wall": {
            "run_seconds": run_seconds,
            "episode_seconds_total": total,
            "episode_seconds": distribution(seconds),
            "basis": "run" if run_seconds else "episodes",
            "episodes_per_s": (n / basis_seconds) if basis_seconds else None,
        },
        "episode_list": rows,
    }


# -- validation ------------------------------------------------------------------------


def load_validation(directory: str | os.PathLike[str]) -> dict[str, Any] | None:
    """``directory/validate.json`` (``{"backend", "tasks": [rows], "seconds"}``), or
    ``None`` when there is none.

    Raises:
        ReportError: the file is not JSON or not of that shape.
    """
    path = Path(directory) / "validate.json"
    if not path.is_file():
        return None
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise ReportError(f"{path}: not UTF-8 text") from None
    except OSError as exc:
        raise ReportError(f"{path}: cannot read: {exc.strerror or exc}") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ReportError(f"{path}:{exc.lineno}: not JSON: {exc.msg}") from None
    if isinstance(data, list):  # a bare list of rows
        data = {"tasks": data}
    if not isinstance(data, dict) or not isinstance(data.get("tasks"), list):
        raise ReportError(f'{path}: expected an object with a "tasks" list')
    for i, row in enumerate(data["tasks"]):
        if not isinstance(row, dict) or not isinstance(row.get("task_id"), str):
            raise ReportError(f"{path}: tasks[{i}] is not a row with a task_id")
    return data


def validation_status(row: Mapping[str, Any]) -> str:
    """A validation row's status, the first of :data:`VALIDATION_STATUSES` that applies.

    Rows come old (``oracle_reward``/``null_reward`` always numbers, an episode's error
    only in ``problems`` as ``"oracle: ..."``/``"do-nothing: ..."``) or new (a reward is
    ``None`` when its episode never started, with ``oracle_error``/``null_error``).
    """
    if row.get("verified") is True:
        return "verified"
    if row.get("skipped"):
        return "skipped"
    if ("oracle_reward" in row and row.get("oracle_reward") is None) or (
        "null_reward" in row and row.get("null_reward") is None
    ):
        return "never_started"
    problems = [str(p) for p in row.get("problems") or []]
    if (
        row.get("oracle_error")
        or row.get("null_error")
        or any(p.startswith(("oracle: ", "do-nothing: ")) for p in problems)
    ):
        return "env_error"
    oracle = _num(row.get("oracle_reward"))
    if oracle is not None and oracle < 1.0:
        return "oracle_failed"
    if any(p.startswith("oracle ") for p in problems):
        return "oracle_failed"
    null = _num(row.get("null_reward"))
    if (null is not None and null != 0.0) or any(p.startswith("doing nothing") for p in problems):
        return "null_passed"
    return "failed"


def summarize_validation(data: Mapping[str, Any], *, tasks: Any = None) -> dict[str, Any]:
    """The validation section of a summary from ``validate.json``'s content."""
    lookup = tasks if isinstance(tasks, TaskMetadata) else TaskMetadata(tasks)
    rows = []
    for row in data.get("tasks") or []:
        derived = lookup(row.get("task_id"))
        oracle_s = _num(row.get("oracle_seconds")) or 0.0
        null_s = _num(row.get("null_seconds")) or 0.0
        build_s = _num(row.get("build_seconds"))
        status = validation_status(row)
        rows.append(
            {
                "task_id": row.get("task_id"),
                **derived,
                "status": status,
                "verified": status == "verified",
                "oracle_reward": _num(row.get("oracle_reward")),
                "null_reward": _num(row.get("null_reward")),
                "oracle_steps": row.get("oracle_steps"),
                "oracle_seconds": _num(row.get("oracle_seconds")),
                "null_seconds": _num(row.get("null_seconds")),
                "build_seconds": build_s,
                "seconds": oracle_s + null_s + (build_s or 0.0),
                "oracle_error": row.get("oracle_error"),
                "null_error": row.get("null_error"),
                "oracle_solution": row.get("oracle_solution"),
                "skipped": row.get("skipped"),
                "problems": [str(p) for p in row.get("problems") or []],
            }
        )
    n = len(rows)
    statuses = dict.fromkeys(VALIDATION_STATUSES, 0)
    for r in rows:
        statuses[r["status"]] += 1
    by: dict[str, list[dict[str, Any]]] = {}
    for key in GROUPS:
        field = "task_id" if key == "task" else key
        groups: dict[str, list[dict[str, Any]]] = {}
        for r in rows:
            groups.setdefault(str(r.get(field) or "-"), []).append(r)
        by[key] = [
            {
                field: name,
                "tasks": len(rs),
                "verified": sum(1 for r in rs if r["verified"]),
                "verified_rate": sum(1 for r in rs if r["verified"]) / len(rs),
                "mean_oracle_reward": _mean(
                    [r["oracle_reward"] for r in rs if r["oracle_reward"] is not None]
                ),
                "failures": sum(1 for r in rs if not r["verified"]),
            }
            for name, rs in sorted(groups.items())
        ]
    seconds = [r["seconds"] for r in rows if r["status"] != "skipped"]
    run_seconds = _num(data.get("seconds"))
    return {
        "backend": data.get("backend"),
        "tasks": n,
        "verified": statuses["verified"],
        "verified_rate": statuses["verified"] / n if n else None,
        "statuses": statuses,
        "failures": {s: statuses[s] for s in VALIDATION_STATUSES if s != "verified"},
        "by": by,
        "wall": {
            "run_seconds": run_seconds,
            "task_seconds_total": sum(seconds),
            "task_seconds": distribution(seconds),
            "tasks_per_s": n / run_seconds if run_seconds else None,
        },
        "rows": rows,
    }


# -- a directory -----------------------------------------------------------------------


def summarize_dir(directory: str | os.PathLike[str], *, tasks: Any = None) -> dict[str, Any]:
    """The summary of a run directory: ``{"schema", "dir", "rollout", "validation"}``,
    a section ``None`` when the directory has no such output.

    Raises:
        ReportError: ``directory`` is not a directory, holds nothing to report (no
            trajectory in any ``*.jsonl``, no ``validate.json``), or a file is malformed.
    """
    root = Path(directory)
    if not root.is_dir():
        raise ReportError(f"{root}: not a directory")
    episodes, meta = load_rollout_dir(root)
    validation = load_validation(root)
    if not episodes and not (validation and validation["tasks"]):
        raise ReportError(
            f"nothing to report in {root}: no trajectories in *.jsonl and no validate.json"
        )
    lookup = TaskMetadata(tasks)
    return {
        "schema": REPORT_SCHEMA,
        "dir": str(root),
        "rollout": (
            summarize_rollouts(
                episodes,
                run_seconds=meta["run_seconds"],
                tasks=lookup,
                files=meta["files"],
                records=meta["records"],
                superseded=meta["superseded"],
            )
            if episodes
            else None
        ),
        "validation": summarize_validation(validation, tasks=lookup) if validation else None,
    }
