"""The ``terminal-gym egs`` commands.

::

    terminal-gym egs report FILE... [--out DIR] [--oracle [--tasks SRC]]
                                    [--by source,teacher] [--no-plot] [--json]

``report`` loads trajectory files (JSONL; directories: their ``*.jsonl``), prints the
TOR / reward table per source and teacher, and writes ``report.md``, ``report.json``
and ``tor_reward.png`` into ``--out`` (default ``egs-report``). ``--oracle`` adds the
oracle trajectories of ``--tasks`` (default: the bundled tasks).

Wired into the main parser by ``terminal_gym.cli`` through :func:`add_parser`.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from terminal_gym.errors import TerminalGymError

__all__ = ["add_parser", "cmd_report"]


def cmd_report(args: argparse.Namespace) -> int:
    from terminal_gym.data.report import oracle_trajectories, write_report
    from terminal_gym.data.schema import load_trajectories
    from terminal_gym.render import to_jsonable

    trajectories = load_trajectories(args.files) if args.files else []
    if args.oracle:
        trajectories += oracle_trajectories(args.tasks)
    if not trajectories:
        raise TerminalGymError("no trajectories: give trajectory files or --oracle")
    by = tuple(k.strip() for k in args.by.split(",") if k.strip())
    result = write_report(trajectories, args.out, by=by, plot=not args.no_plot)
    if args.json:
        print(
            json.dumps(
                {"rows": to_jsonable(result["rows"]), "paths": to_jsonable(result["paths"])},
                indent=2,
            )
        )
    else:
        print(f"{len(trajectories)} trajectories\n")
        print(result["table"])
        print()
        for kind, path in result["paths"].items():
            print(f"{kind}: {path}")
    return 0


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Add ``egs`` (with ``report``) to the main parser's subparsers."""
    egs = subparsers.add_parser("egs", help="environment-grounded supervision: trajectory reports")
    sub = egs.add_subparsers(dest="egs_command", required=True)
    p = sub.add_parser("report", help="TOR and reward per source/teacher: a table and a PNG plot")
    p.add_argument("files", nargs="*", metavar="FILE", help="trajectory JSONL files or directories")
    p.add_argument("--out", default="egs-report", metavar="DIR", help="where to write the report")
    p.add_argument(
        "--oracle",
        action="store_true",
        help="add the oracle trajectories (each task's solution script split into commands)",
    )
    p.add_argument(
        "--tasks",
        default="builtin",
        metavar="SRC",
        help="the tasks whose oracles --oracle adds (default: the bundled tasks)",
    )
    p.add_argument("--by", default="source,teacher", help="group by these fields (comma-separated)")
    p.add_argument("--no-plot", action="store_true", help="skip the PNG")
    p.add_argument("--json", action="store_true", help="print the rows as JSON")
    p.set_defaults(func=cmd_report)
    return egs
