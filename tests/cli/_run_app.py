"""Run a Typer app made of the given command modules: ``_run_app.py MOD ... -- ARGS``.

The CLI's modules each expose ``register(app)``; this builds an app from those named
(``terminal_gym.cli.doctor``) and runs it with ARGS, as ``terminal-gym ARGS`` would.
"""

from __future__ import annotations

import importlib
import sys

import typer


def build_app(modules: list[str]) -> typer.Typer:
    """A Typer app with the commands of ``modules`` (always a group, even of one)."""
    app = typer.Typer(add_completion=False)

    @app.callback()
    def _root() -> None:
        """terminal-gym (test app)."""

    for name in modules:
        importlib.import_module(name).register(app)
    return app


if __name__ == "__main__":
    split = sys.argv.index("--")
    app = build_app(sys.argv[1:split])
    app(sys.argv[split + 1 :], prog_name="terminal-gym")
