"""Where ``terminal-gym`` commands write: results on stdout, everything else on stderr.

:func:`stdout` is the rich console for tables; off a terminal it is wide (no wrapped
task ids in a log) and writes no colour codes. :func:`print_json` is the only way a
``--json`` command writes stdout.
"""

from __future__ import annotations

import json
import sys
from typing import Any

from rich.console import Console

__all__ = ["eprint", "print_json", "stdout"]


def stdout() -> Console:
    """A rich console on the current ``sys.stdout`` (looked up per call: tests swap it)."""
    tty = sys.stdout.isatty()
    return Console(file=sys.stdout, width=None if tty else 200, soft_wrap=not tty)


def print_json(data: Any) -> None:
    """``data`` as indented JSON on stdout (non-JSON values via ``str``)."""
    print(json.dumps(data, indent=2, default=str), flush=True)


def eprint(*parts: Any) -> None:
    """A plain line on stderr."""
    print(*parts, file=sys.stderr, flush=True)
