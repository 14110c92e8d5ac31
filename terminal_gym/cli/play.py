"""``terminal-gym play TASK``: a human plays a task in its sandbox, then it is graded.

::

    terminal-gym play TASK [--backend auto|docker|local] [--image-map SRC=DST]...
                           [--difficulty K] [--seed S] [--json]

TASK is resolved as the other verbs do (a bundled id, a task directory, a family
instance id, or ``family:NAME`` with ``--difficulty`` and ``--seed``). The env
(:class:`~terminal_gym.envs.TerminalLegoEnv`) starts the task's sandbox, the
instruction is shown, and the terminal is attached to an interactive bash in the
sandbox, in the agent's working directory and as the agent's user. Typing ``exit`` or
Ctrl-D (or the escape, Ctrl-]) ends the session; the env then grades it
(``env.step(SUBMIT)``) and the reward, the verifier's per-test outcomes and its output
tail are shown. A multi-step task goes on with its next step's instruction after each
graded step, until the episode ends.

The sandbox's terminal starts at this terminal's size; on the local backend it follows
later resizes too (a Docker exec's size is fixed when it starts).

Inside the session Ctrl-C goes to the sandbox's shell, as in any terminal; outside it
(while the sandbox starts or the verifier runs), Ctrl-C stops ``play``. Either way, and
on SIGTERM or SIGHUP, the env is closed: no container is left behind.

Exit status: 0 when the episode's reward is 1 (solved), 1 otherwise (or when the env
failed), 2 for a bad argument (one line on stderr), 130 when interrupted.

The human's shell is a plain interactive ``bash`` (its own prompt and line editing),
opened through the sandbox's PTY beside the agent's protocol shell
(:meth:`~terminal_gym.sandbox.base.Sandbox.open_pty`), not the agent's shell itself:
that one is driven by a sentinel prompt a human should not have to read.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import select
import shutil
import signal
import sys
import termios
import time
import tty
from collections.abc import Iterator
from typing import TYPE_CHECKING, Annotated, Any, BinaryIO

import typer

from terminal_gym.cli.doctor import help_text
from terminal_gym.cli.options import BackendOpt, DifficultyOpt, ImageMapOpt, make_env, resolve_tasks
from terminal_gym.errors import TerminalGymError

if TYPE_CHECKING:
    from rich.console import Console

    from terminal_gym.envs import TerminalLegoEnv
    from terminal_gym.sandbox.base import PtyHandle

__all__ = ["ESCAPE", "attach", "register"]

#: The key that ends the session without the shell's ``exit`` (Ctrl-], as telnet's).
ESCAPE = b"\x1d"
#: Seconds of quiet after which a shell whose input has ended is sent Ctrl-D.
_QUIET = 0.5
#: Lines of the verifier's output shown.
_TAIL_LINES = 20


class _Hangup(KeyboardInterrupt):
    """SIGTERM or SIGHUP arrived: an interruption like Ctrl-C, which closes the env."""


def attach(
    handle: PtyHandle,
    *,
    stdin_fd: int,
    stdout: BinaryIO,
    escape: bytes = ESCAPE,
) -> str:
    """Join the terminal on ``stdin_fd``/``stdout`` to the process on ``handle``'s PTY.

    Keys go to the process as typed (raw mode when ``stdin_fd`` is a terminal, so
    Ctrl-C, Tab and arrows reach the sandbox's shell); its output is written to
    ``stdout`` as it comes.

    Returns:
        ``"exit"`` when the process ended (``exit``, Ctrl-D), ``"escape"`` when the
        escape key was typed, ``"eof"`` when ``stdin_fd`` ended first (then, whenever
        the process is quiet for half a second, it is sent Ctrl-D, until it ends: a
        script piped into ``play`` runs to its end, then the shell exits).
    """
    child_fd = handle.child.child_fd
    saved = None
    resized = None
    if os.isatty(stdin_fd):
        saved = termios.tcgetattr(stdin_fd)
        tty.setraw(stdin_fd)
        resized = _follow_window_size(handle)
    stdin_open = True
    try:
        while True:
            watched = [child_fd, stdin_fd] if stdin_open else [child_fd]
            readable, _, _ = select.select(watched, [], [], None if stdin_open else _QUIET)
            if not readable:  # input ended and the shell is quiet: end it (again)
                _write_all(child_fd, b"\x04")
                continue
            if child_fd in readable:
                data = _read(child_fd)
                if not data:
                    return "exit" if stdin_open else "eof"
                stdout.write(data)
                stdout.flush()
            if stdin_open and stdin_fd in readable:
                keys = os.read(stdin_fd, 4096)
                if not keys:
                    stdin_open = False  # Ctrl-D once the shell is quiet (see above)
                    continue
                if escape and escape in keys:
                    _write_all(child_fd, keys[: keys.index(escape)])
                    return "escape"
                _write_all(child_fd, keys)
    finally:
        if resized is not None:
            signal.signal(signal.SIGWINCH, resized)
        if saved is not None:
            termios.tcsetattr(stdin_fd, termios.TCSADRAIN, saved)


def _follow_window_size(handle: PtyHandle) -> Any:
    """Resize the sandbox's PTY with this terminal, where the PTY can be resized (the
    local backend's; a Docker exec's size is set once, when it starts). Returns the
    previous SIGWINCH handler, to put back; ``None`` when nothing was installed."""
    setwinsize = getattr(handle.child, "setwinsize", None)
    if setwinsize is None:
        return None

    def on_resize(signum: int, frame: object) -> None:
        rows, cols = _terminal_size()
        with contextlib.suppress(Exception):
            setwinsize(rows, cols)

    return signal.signal(signal.SIGWINCH, on_resize)


def _read(fd: int) -> bytes:
    """Whatever is there; ``b""`` at the end (a PTY master reports EIO then)."""
    while True:
        try:
            return os.read(fd, 65536)
        except BlockingIOError:
            select.select([fd], [], [], 1.0)
        except OSError as exc:
            if exc.errno in (errno.EIO, errno.EBADF, errno.ECONNRESET):
                return b""
            raise


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        try:
            written = os.write(fd, view)
        except BlockingIOError:
            select.select([], [fd], [], 1.0)
            continue
        except OSError as exc:
            if exc.errno in (errno.EIO, errno.EPIPE, errno.EBADF, errno.ECONNRESET):
                return  # the shell is gone; the reader sees the end next
            raise
        view = view[written:]


def _open_human_shell(env: TerminalLegoEnv) -> PtyHandle:
    """An interactive bash in the episode's sandbox, where the agent's shell is and as
    its user, sized like this terminal."""
    assert env.sandbox is not None and env.shell is not None
    rows, cols = _terminal_size()
    handle = env.sandbox.open_pty(
        ["bash", "--norc", "--noprofile", "-i"],
        env={
            "TERM": os.environ.get("TERM") or "xterm-256color",
            "PS1": r"\u@sandbox:\w\$ ",
        },
        workdir=env.shell.cwd,
        rows=rows,
        cols=cols,
        user=env.shell.user,
    )
    os.set_blocking(handle.child.child_fd, False)
    return handle


def _terminal_size() -> tuple[int, int]:
    """Rows and columns of the terminal on stdin (the one the human types at), else of
    stdout, else ``$LINES``/``$COLUMNS`` or 24 x 80."""
    for stream in (sys.stdin, sys.stdout):
        try:
            size = os.get_terminal_size(stream.fileno())
        except (OSError, ValueError):
            continue
        if size.lines and size.columns:
            return size.lines, size.columns
    size = shutil.get_terminal_size()
    return size.lines, size.columns


def _close_human_shell(handle: PtyHandle) -> None:
    """Drop the connection: what the human left running is stopped by grading."""
    with contextlib.suppress(Exception):
        handle.child.close()


def _graded(info: dict[str, Any], reward: float) -> dict[str, Any]:
    """One graded step's result from the env's ``info``."""
    step = info.get("step_result")
    verifier = (step or {}).get("verifier") or info.get("verifier") or {}
    out: dict[str, Any] = {
        "reward": float(step["reward"]) if step else float(info.get("reward", reward)),
        "tests": dict(verifier.get("tests") or {}),
        "exit_code": verifier.get("exit_code"),
        "output_tail": verifier.get("output_tail", ""),
        "error": verifier.get("error"),
        "tamper": list(verifier.get("tamper") or []),
        "withheld": bool(verifier.get("withheld")),
    }
    if step:
        out["step"] = step.get("name")
    return out


def _show_instruction(console: Console, title: str, instruction: str) -> None:
    from rich.markdown import Markdown
    from rich.panel import Panel

    console.print(Panel(Markdown(instruction), title=title, border_style="cyan"))
    console.print(
        "[dim]A shell in the task's sandbox follows. Type [bold]exit[/bold] or Ctrl-D "
        "when done (Ctrl-] also ends it); the task is graded then.[/dim]"
    )


def _show_graded(console: Console, graded: dict[str, Any], title: str) -> None:
    from rich.panel import Panel
    from rich.table import Table
    from rich.text import Text

    reward = graded["reward"]
    style = "green" if reward >= 1 else "red"
    console.print(Text(f"{title}: reward {reward:.3f}", style=f"bold {style}"))
    if graded["tests"]:
        table = Table(show_header=True)
        table.add_column("test")
        table.add_column("outcome")
        for name, outcome in graded["tests"].items():
            good = outcome in ("PASSED", "XFAIL", "SKIPPED")
            table.add_row(Text(name), Text(outcome, style="green" if good else "red"))
        console.print(table)
    if graded["error"]:
        console.print(Text(f"verifier error: {graded['error']}", style="red"))
    if graded["withheld"]:
        console.print(Text("reward withheld: tampering with the verifier's path", style="red"))
    tail = "\n".join(str(graded["output_tail"]).rstrip().splitlines()[-_TAIL_LINES:])
    if tail:
        console.print(
            Panel(Text(tail), title=f"verifier output (exit {graded['exit_code']})", style="dim")
        )


@contextlib.contextmanager
def _hangup_ends_play() -> Iterator[None]:
    """SIGTERM and SIGHUP raise :class:`_Hangup` (so ``finally`` closes the env), and
    SIGINT raises ``KeyboardInterrupt`` even when play inherited it ignored (started
    in the background by a non-interactive shell, which Python then leaves alone)."""

    def handler(signum: int, frame: object) -> None:
        raise _Hangup(signal.Signals(signum).name)

    previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGTERM, signal.SIGHUP)}
    previous[signal.SIGINT] = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


def play_episode(
    env: TerminalLegoEnv, task_id: str, console: Console, *, session_out: BinaryIO
) -> dict[str, Any]:
    """Reset ``env`` on ``task_id``, let the human work each step, grade it, and return
    the result (``task_id``, ``reward``, ``solved``, ``steps`` with each graded step's
    reward, tests and output tail, ``env_error``, ``error``, ``seconds``)."""
    from rich.text import Text

    from terminal_gym import SUBMIT

    started = time.monotonic()
    console.print(Text(f"starting {task_id} on {env.backend.name} ...", style="dim"))
    obs, info = env.reset(options={"task": task_id})
    task = env.task
    assert task is not None
    total = len(task.steps) if task.is_multi_step else 1
    steps: list[dict[str, Any]] = []
    reward = 0.0
    while True:
        index = len(steps)
        title = task_id if total == 1 else f"{task_id}: step {index + 1}/{total}"
        if total > 1 and index < total:
            title += f" ({task.steps[index].name})"
        _show_instruction(console, title, obs["instruction"])
        handle = _open_human_shell(env)
        try:
            ended = attach(handle, stdin_fd=sys.stdin.fileno(), stdout=session_out)
        finally:
            _close_human_shell(handle)
        if ended != "exit":  # the shell did not end its line
            console.print()
        console.print(f"[dim]session ended ({ended}); grading ...[/dim]")
        obs, reward, terminated, truncated, info = env.step(SUBMIT)
        if "verifier" in info or "step_result" in info:  # graded, maybe by a failed verifier
            graded = _graded(info, reward)
            steps.append(graded)
            _show_graded(console, graded, "step graded" if total > 1 else "graded")
        if terminated or truncated or info.get("env_error"):
            break
    final = float(info.get("reward", reward)) if not info.get("env_error") else 0.0
    result: dict[str, Any] = {
        "task_id": task_id,
        "backend": env.backend.name,
        "reward": final,
        "solved": final >= 1.0 and not info.get("env_error"),
        "steps": steps,
        "env_error": bool(info.get("env_error")),
        "error": info.get("error"),
        "seconds": round(time.monotonic() - started, 3),
    }
    if "stopped_by" in info:
        result["stopped_by"] = info["stopped_by"]
    if "stopped_by" in result:
        console.print(Text(f"the episode stopped at {result['stopped_by']}", style="yellow"))
    if result["env_error"]:
        console.print(Text(f"the environment failed: {result['error']}", style="red"))
    elif total > 1:
        style = "green" if result["solved"] else "red"
        console.print(Text(f"episode reward {final:.3f}", style=f"bold {style}"))
    return result


def _fail_usage(message: str) -> typer.Exit:
    print(f"terminal-gym play: {message}", file=sys.stderr)
    return typer.Exit(2)


def play(
    task: Annotated[
        str,
        typer.Argument(
            help="a bundled task id, a task directory, a family instance id or family:NAME"
        ),
    ],
    backend: BackendOpt = "auto",
    image_map: ImageMapOpt = None,
    difficulty: DifficultyOpt = None,
    seed: Annotated[int, typer.Option("--seed", help="the seed of a family:NAME task")] = 0,
    json_output: Annotated[
        bool,
        typer.Option(
            "--json",
            help="print the result as JSON on stdout (the session and messages go to stderr)",
        ),
    ] = False,
) -> None:
    """Play a task yourself in its sandbox; it is graded when you leave the shell.

    Shows the instruction, attaches your terminal to a shell in the task's sandbox (the
    agent's directory and user), and when you type exit (or Ctrl-D, or Ctrl-]) runs the
    verifier and shows the reward and test outcomes. Exit 0 when solved (reward 1),
    1 otherwise.
    """
    from rich.console import Console

    try:
        tasks = resolve_tasks([task], difficulty=difficulty, seeds=range(seed, seed + 1))
    except (TerminalGymError, ValueError) as exc:
        raise _fail_usage(_error_line(exc)) from None
    if len(tasks) != 1:
        raise _fail_usage(f"{task!r} holds {len(tasks)} tasks; name one of them")
    console = Console(stderr=json_output, highlight=False)
    session_out = (sys.stderr if json_output else sys.stdout).buffer
    env = None
    try:
        with _hangup_ends_play():
            try:
                env = make_env(tasks, backend, image_map)
                result = play_episode(env, tasks.ids[0], console, session_out=session_out)
            except (KeyboardInterrupt, _Hangup):
                console.print("[yellow]interrupted: closing the sandbox[/yellow]")
                raise typer.Exit(130) from None
            except TerminalGymError as exc:
                print(f"terminal-gym play: {_error_line(exc)}", file=sys.stderr)
                raise typer.Exit(1) from None
            finally:
                if env is not None:
                    _close_uninterrupted(env)
    except (KeyboardInterrupt, _Hangup):  # a second one, while closing
        raise typer.Exit(130) from None
    if json_output:
        print(json.dumps(result, indent=2, default=str))
    raise typer.Exit(0 if result["solved"] else 1)


def _close_uninterrupted(env: TerminalLegoEnv) -> None:
    """Close ``env`` with Ctrl-C ignored: an interrupted removal would leave the container."""
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        env.close()
    finally:
        signal.signal(signal.SIGINT, previous)


def _error_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    if isinstance(exc, KeyError) and len(exc.args) == 1:  # KeyError's str() quotes it
        text = " ".join(str(exc.args[0]).split())
    return f"{type(exc).__name__}: {text}"


def register(app: typer.Typer) -> None:
    """Add the ``play`` command to ``app``."""
    app.command(
        "play",
        help=help_text(play.__doc__),
        epilog="Example: terminal-gym play find-prod-api-key --backend docker",
    )(play)
