"""Reports: the distribution of TOR and reward per source / teacher, as a table and a plot.

* :func:`summarize` groups trajectories (by ``source`` and ``teacher``) and gives, per
  group: how many, mean reward, success rate, mean TOR and its quartiles, the
  verified-before-submit rate, mean steps, and the step classes' shares.
* :func:`format_table` prints those rows; :func:`plot_distributions` draws TOR and
  reward per group into a PNG (matplotlib's Agg canvas; pyplot and the global backend
  are left alone); :func:`write_report` does all three into a directory.
* :func:`oracle_trajectories` turns the tasks' oracle scripts into trajectories, the
  script split into its top-level commands (:func:`split_script`), so the bundled
  corpus gets TOR numbers without running anything.
"""

from __future__ import annotations

import json
import re
import shutil
import statistics
import subprocess
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from terminal_gym.actions import SUBMIT, Command
from terminal_gym.data.schema import Step, Trajectory
from terminal_gym.data.select import metrics
from terminal_gym.render import to_jsonable

__all__ = [
    "format_table",
    "oracle_trajectories",
    "plot_distributions",
    "split_script",
    "summarize",
    "write_report",
]


# -- tables ----------------------------------------------------------------------------


def _quartiles(values: list[float]) -> tuple[float | None, float | None, float | None]:
    if not values:
        return None, None, None
    if len(values) == 1:
        return values[0], values[0], values[0]
    q1, q2, q3 = statistics.quantiles(values, n=4, method="inclusive")
    return q1, q2, q3


def _mean(values: list[float]) -> float | None:
    return statistics.fmean(values) if values else None


def summarize(
    trajectories: Iterable[Trajectory], by: Sequence[str] = ("source", "teacher")
) -> list[dict[str, Any]]:
    """One row per group (and a last ``all`` row when there are several groups)."""
    groups: dict[tuple[Any, ...], list[Trajectory]] = {}
    everything: list[Trajectory] = []
    for t in trajectories:
        groups.setdefault(tuple(getattr(t, k) for k in by), []).append(t)
        everything.append(t)
    rows = [
        _row(dict(zip(by, key, strict=True)), ts) for key, ts in sorted(groups.items(), key=str)
    ]
    if len(groups) > 1:
        rows.append(_row(dict.fromkeys(by, "all"), everything))
    return rows


def _row(group: dict[str, Any], trajectories: list[Trajectory]) -> dict[str, Any]:
    ms = [metrics(t) for t in trajectories]
    rewards = [m["reward"] for m in ms if m["reward"] is not None]
    tors = [m["tor"] for m in ms if m["tor"] is not None]
    q1, median, q3 = _quartiles(tors)
    counts: dict[str, int] = {}
    for m in ms:
        for kind, n in (m["counts"] or {}).items():
            counts[kind] = counts.get(kind, 0) + int(n)
    return {
        **group,
        "n": len(trajectories),
        "n_reward": len(rewards),
        "mean_reward": _mean(rewards),
        "success_rate": _mean([1.0 if r >= 1.0 else 0.0 for r in rewards]),
        "mean_tor": _mean(tors),
        "tor_q1": q1,
        "tor_median": median,
        "tor_q3": q3,
        "verified_before_submit_rate": _mean([1.0 if m["verified"] else 0.0 for m in ms]),
        "mean_steps": _mean([float(m["steps"]) for m in ms]),
        "mean_commands": _mean([float(m["commands"]) for m in ms]),
        "counts": counts,
    }


def _fmt(value: Any, pct: bool = False) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{100 * value:.1f}%" if pct else f"{value:.3f}"
    return str(value)


def format_table(rows: Sequence[dict[str, Any]], by: Sequence[str] = ("source", "teacher")) -> str:
    """The rows of :func:`summarize` as a Markdown table."""
    head = [
        *by,
        "n",
        "mean reward",
        "success",
        "mean TOR",
        "TOR q1",
        "TOR median",
        "TOR q3",
        "verified before submit",
        "mean steps",
        "inspect/act/verify/unknown",
    ]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in rows:
        c = r.get("counts") or {}
        cells = [
            *(_fmt(r.get(k)) for k in by),
            str(r["n"]),
            _fmt(r["mean_reward"]),
            _fmt(r["success_rate"], pct=True),
            _fmt(r["mean_tor"]),
            _fmt(r["tor_q1"]),
            _fmt(r["tor_median"]),
            _fmt(r["tor_q3"]),
            _fmt(r["verified_before_submit_rate"], pct=True),
            _fmt(r["mean_steps"]),
            "/".join(str(c.get(k, 0)) for k in ("inspect", "act", "verify", "unknown")),
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


# -- plots -----------------------------------------------------------------------------


def plot_distributions(
    trajectories: Iterable[Trajectory],
    path: str | Path,
    by: Sequence[str] = ("source", "teacher"),
) -> Path:
    """Draw TOR and reward per group (box plots with every point) into a PNG.

    Needs ``matplotlib`` (``pip install 'terminal-gym[data]'``).
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    groups: dict[str, list[dict[str, Any]]] = {}
    for t in trajectories:
        label = " / ".join(str(getattr(t, k) or "-") for k in by)
        groups.setdefault(label, []).append(metrics(t))
    labels = sorted(groups)
    fig = Figure(figsize=(max(6.0, 1.6 * len(labels) + 3), 4.5), dpi=100)
    FigureCanvasAgg(fig)
    for ax, key, title in (
        (fig.add_subplot(1, 2, 1), "tor", "TOR (targeted observation ratio)"),
        (fig.add_subplot(1, 2, 2), "reward", "verifier reward"),
    ):
        data = [[m[key] for m in groups[g] if m[key] is not None] for g in labels]
        positions = list(range(1, len(labels) + 1))
        drawn = [(p, d) for p, d in zip(positions, data, strict=True) if d]
        if drawn:
            ax.boxplot([d for _, d in drawn], positions=[p for p, _ in drawn], widths=0.5)
        for p, d in zip(positions, data, strict=True):
            jitter = [p + 0.08 * ((i % 5) - 2) for i in range(len(d))]
            ax.scatter(jitter, d, s=12, alpha=0.6)
            if not d:
                ax.text(p, 0.5, "n/a", ha="center", va="center", color="gray")
        ax.set_xticks(positions)
        ax.set_xticklabels(labels, rotation=20, ha="right", fontsize=8)
        ax.set_ylim(-0.05, 1.05)
        ax.set_title(title, fontsize=10)
        ax.grid(axis="y", alpha=0.3)
    fig.tight_layout()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, format="png")
    return path


def write_report(
    trajectories: Iterable[Trajectory],
    out_dir: str | Path,
    by: Sequence[str] = ("source", "teacher"),
    plot: bool = True,
) -> dict[str, Any]:
    """Write ``report.md`` (the table), ``report.json`` (the rows) and ``tor_reward.png``.

    Returns the rows, the table and the paths written.
    """
    trajectories = list(trajectories)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    rows = summarize(trajectories, by)
    table = format_table(rows, by)
    (out / "report.md").write_text(
        f"# EGS report\n\n{len(trajectories)} trajectories\n\n{table}\n", encoding="utf-8"
    )
    (out / "report.json").write_text(json.dumps(to_jsonable(rows), indent=2), encoding="utf-8")
    paths = {"table": out / "report.md", "json": out / "report.json"}
    if plot:
        paths["plot"] = plot_distributions(trajectories, out / "tor_reward.png", by)
    return {"rows": rows, "table": table, "paths": paths}


# -- oracle scripts --------------------------------------------------------------------

_HEREDOC = re.compile(r"(?<!<)<<(?!<)(-?)[ \t]*(['\"]?)([\w.@/+-]+)\2")
_QUOTED = re.compile(r"'[^']*'|\"(?:\\.|[^\"\\])*\"")


def _is_complete(source: str) -> bool:
    """Whether ``source`` (heredoc bodies removed) is one or more whole commands."""
    import bashlex

    try:
        bashlex.parse(source)
        return True
    except Exception as exc:  # bashlex raises several error types
        if "unexpected EOF" in str(exc):
            return False
    bash = shutil.which("bash")
    if bash is None:
        return True  # bashlex does not know this syntax; do not swallow the script
    result = subprocess.run(
        [bash, "-n", "-c", source], capture_output=True, text=True, timeout=10, check=False
    )
    return "unexpected end of file" not in result.stderr


def split_script(text: str) -> list[str]:
    """Split a shell script into its top-level commands, as an agent would type them.

    Comments and blank lines between commands and the shebang go; a command keeps its
    continuation lines, its multi-line quotes, its compound body (``if``/``for``/
    functions) and its here-documents.

    >>> split_script("#!/bin/bash\\nset -e\\ncd /app\\ncat > a <<'EOF'\\nx\\nEOF\\nls a\\n")
    ['set -e', 'cd /app', "cat > a <<'EOF'\\nx\\nEOF", 'ls a']
    """
    commands: list[str] = []
    buf: list[str] = []
    skeleton: list[str] = []
    pending: list[tuple[str, bool]] = []  # heredoc delimiters still open

    def flush() -> None:
        if buf:
            commands.append("\n".join(buf).strip("\n"))
        buf.clear()
        skeleton.clear()

    for line in text.splitlines():
        if pending:
            buf.append(line)
            delimiter, strip_tabs = pending[0]
            if (line.lstrip("\t") if strip_tabs else line) == delimiter:
                pending.pop(0)
                if not pending and _is_complete("\n".join(skeleton)):
                    flush()
            continue
        stripped = line.strip()
        if not buf and (not stripped or stripped.startswith("#")):
            continue
        buf.append(line)
        quoted = [m.span() for m in _QUOTED.finditer(line)]
        found = [
            m for m in _HEREDOC.finditer(line) if not any(a <= m.start() < b for a, b in quoted)
        ]
        starts = [(m[3], m[1] == "-") for m in found]
        for m in reversed(found):
            line = line[: m.start()] + "< /dev/null" + line[m.end() :]
        skeleton.append(line)
        if starts:
            pending.extend(starts)
            continue
        if _is_complete("\n".join(skeleton)):
            flush()
    flush()
    return commands


def _script_for(task: Any) -> tuple[list[str], str | None]:
    """The oracle's commands for ``task`` and the script's path (if it is a script)."""
    solution = task.solution
    if solution is None:
        return [], None
    if solution.commands:
        return list(solution.commands), None
    command = solution.command or ""
    m = re.fullmatch(r"\s*(?:bash|sh)\s+(\S+)\s*", command)
    if m:
        for src, dest in solution.uploads:
            inside = m[1]
            if inside == dest or inside.startswith(dest.rstrip("/") + "/"):
                host = Path(src) / inside[len(dest.rstrip("/")) + 1 :]
                if host.is_file():
                    return split_script(host.read_text(encoding="utf-8")), str(host)
    return [command] if command else [], None


def oracle_trajectories(tasks: Any = "builtin") -> list[Trajectory]:
    """One trajectory per task with an oracle: its script's top-level commands, then
    ``SUBMIT``; ``source="oracle"``, ``teacher="oracle"``, ``reward`` unknown (nothing
    was run). The commands are analysed from the task's workdir, following ``cd``.

    Args:
        tasks: anything :meth:`terminal_gym.TaskSet.from_source` takes.
    """
    from terminal_gym.tasks import TaskSet

    out = []
    for task in TaskSet.from_source(tasks):
        commands, script = _script_for(task)
        if not commands:
            continue
        steps = [Step(Command(c)) for c in commands]
        steps.append(Step(SUBMIT, terminated=True))
        workdir = task.environment.workdir or "/"
        out.append(
            Trajectory(
                task_id=task.id,
                source="oracle",
                teacher="oracle",
                instruction=task.instruction,
                steps=steps,
                initial_observation=None,
                metadata={"cwd": workdir, "script": script, "category": task.category},
                terminated=True,
            )
        )
    return out
