"""Render a run summary (:func:`terminal_gym.data.summary.summarize_dir`) to files.

:func:`write_run_report` writes into one directory:

* ``summary.json``: the summary itself;
* ``report.md``: markdown tables;
* ``report.html``: the same tables, self-contained (inline CSS, the plots embedded as
  base64 PNG: it loads nothing from anywhere);
* PNG plots (matplotlib's Agg canvas; pyplot and the global backend are left alone):
  ``success_by_group.png``, ``tor_histogram.png``, ``episode_steps.png`` and
  ``failure_causes.png`` for rollouts; ``validation_by_group.png`` and
  ``validation_statuses.png`` for a validation. Without matplotlib (``pip install
  'terminal-gym[data]'``) the plots are left out and the reports say so.
"""

from __future__ import annotations

import base64
import html
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from terminal_gym.render import to_jsonable

__all__ = ["PLOTS_MISSING", "markdown_report", "write_run_report"]

#: What the reports say when matplotlib is not installed.
PLOTS_MISSING = "plots need matplotlib: pip install 'terminal-gym[data]'"

_GROUP_TITLES = {"category": "category (domain)", "difficulty": "difficulty", "family": "family"}


# -- cells -----------------------------------------------------------------------------


def _fmt(value: Any, kind: str = "") -> str:
    if value is None:
        return "-"
    if kind == "pct" and isinstance(value, (int, float)):
        return f"{100 * value:.1f}%"
    if kind == "s" and isinstance(value, (int, float)):
        return f"{value:.2f}"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:.3f}"
    return str(value)


Table = tuple[list[str], list[list[str]]]


def _success_table(rows: Sequence[Mapping[str, Any]], key: str) -> Table:
    head = [key.replace("_id", ""), "episodes", "successes", "success rate", "mean reward"]
    head += ["mean TOR", "mean steps"]
    body = [
        [
            _fmt(r.get(key)),
            _fmt(r["episodes"]),
            _fmt(r["successes"]),
            _fmt(r["success_rate"], "pct"),
            _fmt(r["mean_reward"]),
            _fmt(r["mean_tor"]),
            _fmt(r["mean_steps"]),
        ]
        for r in rows
    ]
    return head, body


def _verified_table(rows: Sequence[Mapping[str, Any]], key: str) -> Table:
    head = [key.replace("_id", ""), "tasks", "verified", "verified rate", "mean oracle reward"]
    body = [
        [
            _fmt(r.get(key)),
            _fmt(r["tasks"]),
            _fmt(r["verified"]),
            _fmt(r["verified_rate"], "pct"),
            _fmt(r["mean_oracle_reward"]),
        ]
        for r in rows
    ]
    return head, body


def _dist_table(dists: Sequence[tuple[str, Mapping[str, Any]]], kind: str = "") -> Table:
    head = ["", "n", "min", "mean", "p50", "p95", "max"]
    body = [
        [name] + [_fmt(d.get(k), kind if k != "n" else "") for k in head[1:]] for name, d in dists
    ]
    return head, body


def _counts_table(counts: Mapping[str, int], label: str, total: int) -> Table:
    head = [label, "count", "share"]
    body = [[name, str(n), _fmt(n / total if total else None, "pct")] for name, n in counts.items()]
    return head, body


def _validation_rows_table(rows: Sequence[Mapping[str, Any]]) -> Table:
    head = ["task", "status", "oracle reward", "null reward", "oracle steps", "seconds"]
    head.append("problems")
    body = [
        [
            _fmt(r["task_id"]),
            r["status"],
            _fmt(r["oracle_reward"]),
            _fmt(r["null_reward"]),
            _fmt(r["oracle_steps"]),
            _fmt(r["seconds"], "s"),
            "; ".join([*r["problems"], *([f"skipped: {r['skipped']}"] if r["skipped"] else [])])
            or "-",
        ]
        for r in rows
    ]
    return head, body


# -- sections --------------------------------------------------------------------------

Section = tuple[str, list[str | Table], list[str]]  # title, paragraphs and tables, plots


def _sections(summary: Mapping[str, Any], plots: Mapping[str, Path]) -> list[Section]:
    out: list[Section] = []
    rollout = summary.get("rollout")
    if rollout:
        n = rollout["episodes"]
        overview = (
            f"{n} episodes from {len(rollout['files'])} file(s) "
            f"({rollout['records']} records, {rollout['superseded']} superseded by a rerun): "
            f"{rollout['successes']} succeeded ({_fmt(rollout['success_rate'], 'pct')}), "
            f"mean reward {_fmt(rollout['mean_reward'])} over {rollout['graded']} graded; "
            f"{rollout['tamper_evidence']} with tamper evidence."
        )
        by = rollout["by"]
        items: list[str | Table] = [overview, "By task:", _success_table(by["task"], "task_id")]
        for key, title in _GROUP_TITLES.items():
            items += [f"By {title}:", _success_table(by[key], key)]
        out.append(("Rollouts: success", items, ["success_by_group"]))
        failures = rollout["failures"]
        out.append(
            (
                "Rollouts: failures by cause",
                [
                    "agent: graded below 1; tamper: graded below 1 with tamper evidence; "
                    "verifier_error: no reward read; env_error: the environment failed; "
                    "never_started: reset failed; llm_error: the model endpoint failed; "
                    "incomplete: no grade recorded.",
                    _counts_table(failures, "cause", n),
                ],
                ["failure_causes"],
            )
        )
        tor = rollout["tor"]
        out.append(
            (
                "Rollouts: TOR and episode length",
                [
                    f"TOR (targeted observation ratio) of {tor['n']} episodes with an act "
                    f"step ({tor['no_act']} without one); quartiles "
                    f"{_fmt(tor['p25'])} / {_fmt(tor['p50'])} / {_fmt(tor['p75'])}.",
                    _dist_table([("TOR", tor), ("steps", rollout["steps"])]),
                ],
                ["tor_histogram", "episode_steps"],
            )
        )
        wall = rollout["wall"]
        rate = _fmt(wall["episodes_per_s"])
        basis = "the run's wall time" if wall["basis"] == "run" else "the episodes' summed time"
        out.append(
            (
                "Rollouts: wall time",
                [
                    f"Run: {_fmt(wall['run_seconds'], 's')} s; episodes: "
                    f"{_fmt(wall['episode_seconds_total'], 's')} s in all; "
                    f"{rate} episodes/s (over {basis}).",
                    _dist_table([("seconds per episode", wall["episode_seconds"])], "s"),
                ],
                [],
            )
        )
    validation = summary.get("validation")
    if validation:
        n = validation["tasks"]
        wall = validation["wall"]
        items = [
            f"{n} tasks on backend {_fmt(validation['backend'])}: {validation['verified']} "
            f"verified ({_fmt(validation['verified_rate'], 'pct')}); run "
            f"{_fmt(wall['run_seconds'], 's')} s, {_fmt(wall['tasks_per_s'])} tasks/s.",
            _counts_table(validation["statuses"], "status", n),
        ]
        for key, title in _GROUP_TITLES.items():
            items += [f"By {title}:", _verified_table(validation["by"][key], key)]
        items += [
            _dist_table([("seconds per task (build + oracle + null)", wall["task_seconds"])], "s"),
            "Tasks:",
            _validation_rows_table(validation["rows"]),
        ]
        out.append(("Validation", items, ["validation_by_group", "validation_statuses"]))
    return [(title, items, [p for p in names if p in plots]) for title, items, names in out]


# -- markdown --------------------------------------------------------------------------


def _md_cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _md_table(table: Table) -> str:
    head, body = table
    lines = ["| " + " | ".join(map(_md_cell, head)) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(map(_md_cell, row)) + " |" for row in body]
    return "\n".join(lines)


def markdown_report(
    summary: Mapping[str, Any], plots: Mapping[str, Path] | None = None, note: str = ""
) -> str:
    """The summary as markdown (plots linked by file name)."""
    plots = plots or {}
    parts = [f"# Run report: {summary.get('dir')}", ""]
    if note:
        parts += [f"_{note}_", ""]
    for title, items, names in _sections(summary, plots):
        parts += [f"## {title}", ""]
        for item in items:
            parts += [item if isinstance(item, str) else _md_table(item), ""]
        parts += [f"![{name}]({plots[name].name})" for name in names]
        if names:
            parts.append("")
    return "\n".join(parts)


# -- HTML ------------------------------------------------------------------------------

_CSS = """
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 72em; color: #222; }
h1 { font-size: 1.5em; } h2 { font-size: 1.2em; margin-top: 2em; border-bottom: 1px solid #ccc; }
table { border-collapse: collapse; margin: 0.5em 0 1.2em; font-size: 0.9em; }
th, td { border: 1px solid #ccc; padding: 0.25em 0.6em; text-align: left; }
th { background: #f3f3f3; } tr:nth-child(even) td { background: #fafafa; }
img { max-width: 100%; display: block; margin: 0.5em 0; }
.note { color: #a60; }
"""


def _html_table(table: Table) -> str:
    head, body = table
    esc = html.escape
    rows = ["<tr>" + "".join(f"<th>{esc(h)}</th>" for h in head) + "</tr>"]
    rows += ["<tr>" + "".join(f"<td>{esc(c)}</td>" for c in row) + "</tr>" for row in body]
    return "<table>\n" + "\n".join(rows) + "\n</table>"


def html_report(summary: Mapping[str, Any], plots: Mapping[str, Path], note: str = "") -> str:
    """The summary as one self-contained HTML page (plots inlined as ``data:`` URIs)."""
    esc = html.escape
    title = f"Run report: {summary.get('dir')}"
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{esc(title)}</title>",
        f"<style>{_CSS}</style></head><body>",
        f"<h1>{esc(title)}</h1>",
    ]
    if note:
        parts.append(f'<p class="note">{esc(note)}</p>')
    for section_title, items, names in _sections(summary, plots):
        parts.append(f"<h2>{esc(section_title)}</h2>")
        for item in items:
            parts.append(f"<p>{esc(item)}</p>" if isinstance(item, str) else _html_table(item))
        for name in names:
            data = base64.b64encode(plots[name].read_bytes()).decode("ascii")
            parts.append(f'<img alt="{esc(name)}" src="data:image/png;base64,{data}">')
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


# -- plots -----------------------------------------------------------------------------


def _figure(width: float, height: float) -> Any:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=100)
    FigureCanvasAgg(fig)
    return fig


def _integer_ticks() -> Any:
    from matplotlib.ticker import MaxNLocator

    return MaxNLocator(integer=True)


def _save(fig: Any, path: Path) -> Path:
    fig.tight_layout()
    fig.savefig(path, format="png")
    return path


def _bars_by_group(
    by: Mapping[str, Sequence[Mapping[str, Any]]], rate: str, count: str, title: str, path: Path
) -> Path:
    keys = list(_GROUP_TITLES)
    fig = _figure(5.0 * len(keys), 4.2)
    for i, key in enumerate(keys, 1):
        ax = fig.add_subplot(1, len(keys), i)
        rows = by.get(key) or []
        labels = [str(r.get(key)) for r in rows]
        values = [float(r[rate] or 0.0) for r in rows]
        bars = ax.bar(range(len(rows)), values, color="#4c72b0")
        for bar, r in zip(bars, rows, strict=True):
            ax.text(
                bar.get_x() + bar.get_width() / 2,
                bar.get_height() + 0.02,
                f"n={r[count]}",
                ha="center",
                fontsize=7,
            )
        ax.set_xticks(range(len(rows)))
        ax.set_xticklabels(labels, rotation=30, ha="right", fontsize=8)
        ax.set_ylim(0, 1.12)
        ax.set_title(f"{title} by {_GROUP_TITLES[key]}", fontsize=10)
        ax.grid(axis="y", alpha=0.3)
    return _save(fig, path)


def _counts_bar(counts: Mapping[str, int], title: str, path: Path, color: str) -> Path:
    fig = _figure(7.0, 4.0)
    ax = fig.add_subplot(1, 1, 1)
    names = list(counts)
    colors = ["#55a868" if n in ("success", "verified") else color for n in names]
    ax.barh(range(len(names)), [counts[n] for n in names], color=colors)
    ax.xaxis.set_major_locator(_integer_ticks())
    ax.set_yticks(range(len(names)))
    ax.set_yticklabels(names, fontsize=8)
    ax.invert_yaxis()
    ax.set_xlabel("episodes" if "episode" in title else "tasks")
    ax.set_title(title, fontsize=10)
    ax.grid(axis="x", alpha=0.3)
    return _save(fig, path)


def _histogram(
    positions: Sequence[float],
    counts: Sequence[int],
    width: float,
    title: str,
    xlabel: str,
    path: Path,
    empty: str,
    integer_x: bool = False,
) -> Path:
    fig = _figure(6.0, 4.0)
    ax = fig.add_subplot(1, 1, 1)
    if sum(counts):
        ax.bar(positions, counts, width=width, align="edge", color="#55a868", edgecolor="white")
    else:
        ax.text(0.5, 0.5, empty, ha="center", va="center", color="gray", transform=ax.transAxes)
    ax.yaxis.set_major_locator(_integer_ticks())
    if integer_x:
        ax.xaxis.set_major_locator(_integer_ticks())
    ax.set_xlabel(xlabel)
    ax.set_ylabel("episodes")
    ax.set_title(title, fontsize=10)
    ax.grid(axis="y", alpha=0.3)
    return _save(fig, path)


def write_plots(summary: Mapping[str, Any], out: Path) -> dict[str, Path]:
    """Draw the summary's plots into ``out`` (name -> path).

    Raises:
        ImportError: matplotlib is not installed.
    """
    import matplotlib  # noqa: F401  (fail before drawing anything)

    plots: dict[str, Path] = {}
    rollout = summary.get("rollout")
    if rollout:
        plots["success_by_group"] = _bars_by_group(
            rollout["by"],
            "success_rate",
            "episodes",
            "success rate",
            out / "success_by_group.png",
        )
        plots["failure_causes"] = _counts_bar(
            rollout["outcomes"],
            "episodes by outcome (success or failure cause)",
            out / "failure_causes.png",
            "#c44e52",
        )
        hist = rollout["tor"]["histogram"]
        plots["tor_histogram"] = _histogram(
            hist["edges"][:-1],
            hist["counts"],
            1.0 / len(hist["counts"]),
            f"TOR per episode (n={rollout['tor']['n']})",
            "TOR",
            out / "tor_histogram.png",
            "no episode with an act step",
        )
        steps = rollout["steps"]["histogram"]
        plots["episode_steps"] = _histogram(
            [v - 0.4 for v in steps["values"]],
            steps["counts"],
            0.8,
            f"episode length (n={rollout['steps']['n']})",
            "steps",
            out / "episode_steps.png",
            "no started episode",
            integer_x=True,
        )
    validation = summary.get("validation")
    if validation:
        plots["validation_by_group"] = _bars_by_group(
            validation["by"],
            "verified_rate",
            "tasks",
            "verified rate",
            out / "validation_by_group.png",
        )
        plots["validation_statuses"] = _counts_bar(
            validation["statuses"],
            "validated tasks by status",
            out / "validation_statuses.png",
            "#8172b2",
        )
    return plots


# -- everything ------------------------------------------------------------------------


def write_run_report(summary: Mapping[str, Any], out_dir: str | Path) -> dict[str, Any]:
    """Write ``summary.json``, ``report.md``, ``report.html`` and the plots into
    ``out_dir`` (created). Returns ``{"paths": {name: path}, "plots": bool, "note": str}``.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    note = ""
    try:
        plots = write_plots(summary, out)
    except ImportError:
        plots, note = {}, PLOTS_MISSING
    paths: dict[str, Path] = {"summary": out / "summary.json"}
    paths["summary"].write_text(json.dumps(to_jsonable(summary), indent=2) + "\n", encoding="utf-8")
    paths["markdown"] = out / "report.md"
    paths["markdown"].write_text(markdown_report(summary, plots, note), encoding="utf-8")
    paths["html"] = out / "report.html"
    paths["html"].write_text(html_report(summary, plots, note), encoding="utf-8")
    paths.update(plots)
    return {"paths": paths, "plots": bool(plots), "note": note}
