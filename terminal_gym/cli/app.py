"""The root ``typer`` app of the ``terminal-gym`` command; each verb group adds itself.

Every verb lives in its own module with a ``register(app)`` function:
:mod:`~terminal_gym.cli.tasks` (list, run, validate, families, demo),
:mod:`~terminal_gym.cli.images` (images bootstrap, reap),
:mod:`~terminal_gym.cli.rollout` (rollout, soak), :mod:`~terminal_gym.cli.build`
(tasks build, tasks verify) and :mod:`~terminal_gym.cli.egs` (egs report).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from terminal_gym.cli import build, doctor, egs, images, play, replay, report, rollout, tasks

__all__ = ["PROG", "TerminalGymGroup", "app", "debug_requested", "set_debug"]

PROG = "terminal-gym"


def _one_line(text: object) -> str:
    return " ".join(str(text).split())


def _usage_error(exc: Any) -> int:
    """A click usage error as one line on stderr; its exit code (2)."""
    ctx = getattr(exc, "ctx", None)
    where = ctx.command_path if ctx is not None else PROG
    hint = f" (see '{where} --help')" if ctx is not None else ""
    print(f"{where}: error: {_one_line(exc.format_message())}{hint}", file=sys.stderr)
    return int(getattr(exc, "exit_code", 2) or 2)


def run_guarded(invoke: Any) -> int:
    """Call ``invoke()`` (the command line, parsed and run); its exit status.

    A usage error or a :class:`~terminal_gym.errors.TerminalGymError` (bad input:
    a missing task, an unreachable endpoint ...) is one line on stderr and status 2;
    any other exception one line with a hint, status 1, or its traceback under
    ``--debug`` / ``TERMINAL_GYM_DEBUG=1``.
    """
    from terminal_gym.errors import TerminalGymError

    set_debug(False)
    try:
        result = invoke()
    except typer.TyperException as exc:  # click's usage errors (typer vendors click)
        if type(exc).__name__ == "NoArgsIsHelpError":
            return 2  # `terminal-gym tasks`: the group's help is already printed
        return _usage_error(exc)
    except typer.Abort:
        print(f"{PROG}: aborted", file=sys.stderr)
        return 130
    except typer.Exit as exc:
        return int(exc.exit_code)
    except TerminalGymError as exc:
        print(f"{PROG}: {type(exc).__name__}: {_one_line(exc)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:
        if debug_requested():
            raise
        print(
            f"{PROG}: internal error: {type(exc).__name__}: {_one_line(exc)} "
            f"(run with --debug or TERMINAL_GYM_DEBUG=1 for the traceback)",
            file=sys.stderr,
        )
        return 1
    return result if isinstance(result, int) else 0


class TerminalGymGroup(TyperGroup):
    """The root command: every way in (``main``, ``app()``, typer's ``CliRunner``)
    gets the same one-line errors and exit statuses (:func:`run_guarded`)."""

    def main(
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        windows_expand_args: bool = True,
        **extra: Any,
    ) -> Any:
        code = run_guarded(
            lambda: super(TerminalGymGroup, self).main(
                args=args,
                prog_name=prog_name or PROG,
                complete_var=complete_var,
                standalone_mode=False,
                windows_expand_args=windows_expand_args,
                **extra,
            )
        )
        if standalone_mode:
            sys.exit(code)
        return code


app = typer.Typer(
    cls=TerminalGymGroup,
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


for _module in (tasks, images, rollout, build, egs, play, replay, report, doctor):
    _module.register(app)
