"""``terminal-gym egs report``: environment-grounded supervision, trajectory reports.

``report`` loads trajectory files (JSONL; directories: their ``*.jsonl``), prints the
TOR / reward table per source and teacher, and writes ``report.md``, ``report.json``
and ``tor_reward.png`` into ``--out`` (default ``egs-report``). ``--oracle`` adds the
oracle trajectories of ``--tasks`` (default: the bundled tasks).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from terminal_gym.cli.console import print_json
from terminal_gym.cli.options import JsonOpt
from terminal_gym.errors import TerminalGymError

__all__ = ["register"]

egs_app = typer.Typer(
    help="Environment-grounded supervision: trajectory reports.",
    no_args_is_help=True,
    epilog="Example: terminal-gym egs report rollouts.jsonl --out egs-report",
)


@egs_app.command(epilog="Example: terminal-gym egs report runs/ --oracle --out egs-report")
def report(
    files: Annotated[
        list[Path] | None,
        typer.Argument(metavar="[FILE]...", help="trajectory JSONL files or directories"),
    ] = None,
    out: Annotated[
        Path, typer.Option("--out", metavar="DIR", help="where to write the report")
    ] = Path("egs-report"),
    oracle: Annotated[
        bool,
        typer.Option(
            "--oracle",
            help="add the oracle trajectories (each task's solution script split into commands)",
        ),
    ] = False,
    tasks: Annotated[
        str,
        typer.Option("--tasks", metavar="SRC", help="the tasks whose oracles --oracle adds"),
    ] = "builtin",
    by: Annotated[
        str, typer.Option("--by", help="group by these fields (comma-separated)")
    ] = "source,teacher",
    no_plot: Annotated[bool, typer.Option("--no-plot", help="skip the PNG")] = False,
    json_out: JsonOpt = False,
) -> int:
    """TOR and reward per source/teacher: a table, report.md/json and a PNG plot."""
    from terminal_gym.data.report import oracle_trajectories, write_report
    from terminal_gym.data.schema import load_trajectories
    from terminal_gym.render import to_jsonable

    trajectories = load_trajectories([str(f) for f in files]) if files else []
    if oracle:
        trajectories += oracle_trajectories(tasks)
    if not trajectories:
        raise TerminalGymError("no trajectories: give trajectory files or --oracle")
    keys = tuple(k.strip() for k in by.split(",") if k.strip())
    result = write_report(trajectories, out, by=keys, plot=not no_plot)
    if json_out:
        print_json({"rows": to_jsonable(result["rows"]), "paths": to_jsonable(result["paths"])})
    else:
        print(f"{len(trajectories)} trajectories\n")
        print(result["table"])
        print()
        for kind, path in result["paths"].items():
            print(f"{kind}: {path}")
    return 0


def register(app: typer.Typer) -> None:
    """Add ``egs`` (report) to ``app``."""
    app.add_typer(egs_app, name="egs")
