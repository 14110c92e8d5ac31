"""The ``terminal-gym`` command (``typer`` + ``rich``).

::

    terminal-gym list [TASK ...] [--difficulty K] [--seeds N] [--json]
    terminal-gym run --task ID|DIR|family:NAME [--difficulty K] [--seed S]
                     [--agent oracle|null] [--backend B] [--image-map SRC=DST] [--json]
    terminal-gym validate [TASK ...] [--difficulty K] [--seeds N] [--backend B]
                          [--image-map SRC=DST] [--out DIR] [--json] [--no-progress]
    terminal-gym families [-v] [--json]
    terminal-gym demo [--backend B] [--no-progress]
    terminal-gym images bootstrap [--force] [--mirror URL] [--json] [--no-progress]
    terminal-gym reap
    terminal-gym rollout [TASK ...] --out FILE [--agent oracle|null|llm] [--episodes N]
                         [--group G] [--workers W] [--seed S]
                         [--llm-url URL --model M [--api-key K]] [--reply-format F]
                         [--no-ray] [--rerun-env-errors K] [--json] [--no-progress]
    terminal-gym soak [TASK ...] [--episodes N] [--parallel P] [--backend B] [--seed S]
                      [--out FILE] [--episodes-out FILE] [--json] [--no-progress]
    terminal-gym tasks build --sources FILE --out DIR --llm-url URL --model M [--workers N]
    terminal-gym tasks verify DIR ... [--out DIR [--move]] [--json]
    terminal-gym egs report FILE ... [--out DIR] [--oracle] [--json]

Task arguments are task directories, directories of tasks, bundled task ids, ids of
procedural family instances (``csv-aggregate-d2-s7``), or ``family:<name>``, which
stands for seeds ``0 .. N-1`` (``--seeds``, default 10; ``run`` uses ``--seed``) at
level ``--difficulty`` (1-3 or easy/medium/hard, default 1).

Exit status: 0 ok; 1 failures found (a task that does not verify, an episode whose
environment failed, rollout episodes still failed, a malformed task in ``list``, a soak
guarantee broken); 2 a usage error (one line on stderr). ``--json`` prints JSON on
stdout and nothing else there; live progress goes to stderr, only on a terminal.
An internal error prints one line; ``--debug`` (or ``TERMINAL_GYM_DEBUG=1``) shows
its traceback. Every command's ``--help`` ends with an example.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

from terminal_gym.cli.app import app  # the Typer app (this name hides the module app.py)

__all__ = ["app", "main"]


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``terminal-gym ARGV`` (default ``sys.argv[1:]``); return the exit status.

    Errors never escape as tracebacks: see :class:`~terminal_gym.cli.app.TerminalGymGroup`.
    """
    import typer.main

    from terminal_gym.cli.app import PROG

    args = list(sys.argv[1:] if argv is None else argv)
    command = typer.main.get_command(app)
    return int(command.main(args=args, prog_name=PROG, standalone_mode=False))
