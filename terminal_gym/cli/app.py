"""The root ``typer`` app of the ``terminal-gym`` command; each verb group adds itself.

Every verb lives in its own module with a ``register(app)`` function:
:mod:`~terminal_gym.cli.tasks` (list, run, validate, families, demo),
:mod:`~terminal_gym.cli.images` (images bootstrap, reap),
:mod:`~terminal_gym.cli.rollout` (rollout, soak), :mod:`~terminal_gym.cli.build`
(tasks build, tasks verify) and :mod:`~terminal_gym.cli.egs` (egs report).
"""

from __future__ import annotations

import os
from typing import Annotated

import typer

from terminal_gym.cli import build, egs, images, rollout, tasks

__all__ = ["app", "debug_requested", "set_debug"]

app = typer.Typer(
    name="terminal-gym",
    help="Terminal tasks as Gymnasium environments: list, run, validate and roll them out.",
    epilog="Example: terminal-gym validate fix-broken-json-config --backend docker",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)

_debug = False


def set_debug(value: bool) -> None:
    """Show tracebacks of internal errors (``--debug``); ``main`` resets it per call."""
    global _debug
    _debug = value


def debug_requested() -> bool:
    """``--debug`` was given or ``TERMINAL_GYM_DEBUG`` is set: show tracebacks."""
    return _debug or os.environ.get("TERMINAL_GYM_DEBUG", "") not in ("", "0")


@app.callback()
def _root(
    debug: Annotated[
        bool,
        typer.Option(
            "--debug", help="show the full traceback of an internal error (or TERMINAL_GYM_DEBUG=1)"
        ),
    ] = False,
) -> None:
    """Terminal tasks as Gymnasium environments: list, run, validate and roll them out."""
    set_debug(debug)


for _module in (tasks, images, rollout, build, egs):
    _module.register(app)

# -- verbs of other modules ------------------------------------------------------------
# LEAD: wire the verbs written on other branches here, once merged, e.g.
#     from terminal_gym.cli import doctor, play, replay, report
#     for _module in (doctor, play, replay, report):
#         _module.register(app)
# -------------------------------------------------------------------------------------
