"""``terminal-gym report DIR``: summarise a rollout or validation directory.

Reads what ``terminal-gym rollout --out DIR/FILE.jsonl`` and ``terminal-gym validate
--out DIR`` wrote (:func:`terminal_gym.data.summary.summarize_dir`) and writes
``report.md``, a self-contained ``report.html``, PNG plots and ``summary.json`` into
``--out`` (default ``DIR/report/``; :func:`terminal_gym.data.run_report.write_run_report`).
``--json`` prints the summary on stdout instead of the paths.

Exit status: 0 when the report was written; 2 when ``DIR`` holds nothing to report or a
file in it is malformed (one line on stderr naming the file and line).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

__all__ = ["register", "report"]


def report(
    directory: Annotated[
        Path, typer.Argument(metavar="DIR", help="A rollout or validation output directory.")
    ],
    out: Annotated[
        Path | None,
        typer.Option("--out", "-o", metavar="OUTDIR", help="Where to write (default DIR/report/)."),
    ] = None,
    json_output: Annotated[
        bool, typer.Option("--json", help="Print the summary as JSON on stdout.")
    ] = False,
    tasks: Annotated[
        str | None,
        typer.Option(
            "--tasks",
            metavar="SRC",
            help="A task source to look task metadata up in (category, difficulty, family).",
        ),
    ] = None,
) -> None:
    """Summarise a run: success by group, TOR, lengths, failure causes, wall time.

    Reads a rollout directory (trajectory JSONL) or a validation directory
    (validate.json) and writes report.md, a self-contained report.html, PNG plots
    and summary.json.
    """
    from terminal_gym.data.run_report import write_run_report
    from terminal_gym.data.summary import summarize_dir
    from terminal_gym.errors import TerminalGymError
    from terminal_gym.render import to_jsonable

    try:
        summary = summarize_dir(directory, tasks=tasks)
        written = write_run_report(summary, out if out is not None else directory / "report")
    except TerminalGymError as exc:
        typer.echo(f"terminal-gym report: error: {exc}", err=True)
        raise typer.Exit(2) from None
    except OSError as exc:
        typer.echo(
            f"terminal-gym report: error: cannot write the report: {exc.strerror or exc}", err=True
        )
        raise typer.Exit(2) from None
    if written["note"]:
        typer.echo(f"warning: {written['note']}", err=True)
    if json_output:
        typer.echo(json.dumps(to_jsonable(summary), indent=2))
        return
    paths: dict[str, Any] = written["paths"]
    for name in ("markdown", "html", "summary"):
        typer.echo(f"{name}: {paths[name]}")
    plots = [p for k, p in paths.items() if k not in ("markdown", "html", "summary")]
    if plots:
        typer.echo("plots: " + ", ".join(str(p) for p in plots))
    rollout, validation = summary["rollout"], summary["validation"]
    if rollout:
        rate = rollout["success_rate"]
        typer.echo(
            f"rollout: {rollout['episodes']} episodes, {rollout['successes']} succeeded"
            f" ({100 * rate:.1f}%)"
        )
    if validation:
        typer.echo(f"validation: {validation['tasks']} tasks, {validation['verified']} verified")


def register(app: typer.Typer) -> None:
    """Add the ``report`` command to ``app``."""
    summary, _, rest = (report.__doc__ or "").partition("\n\n")
    app.command(
        "report",
        help=f"{summary}\n\n{' '.join(rest.split())}",
        epilog="Example: terminal-gym report runs/ --out runs/report",
    )(report)
