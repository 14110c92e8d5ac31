"""``terminal-gym replay``: watch a recorded episode, or turn it into a cast or a page.

:func:`register` adds the command to the root Typer app. The work is done by
:mod:`terminal_gym.data.replay`; this module only reads the file, picks the episode
and reports errors as one line (exit 2).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from terminal_gym.data.replay import play, to_cast, to_html
from terminal_gym.data.schema import SchemaError, Trajectory, load_trajectories

__all__ = ["register", "replay"]

_HELP = """Replay a recorded episode (a trajectory JSONL file).

With neither --html nor --cast, plays the episode in this terminal. A file may hold several episodes: --episode N picks one (from 1; default the first).
"""  # noqa: E501 (typer keeps a paragraph's line breaks)
_EXAMPLE = "Example: terminal-gym replay runs/episode.jsonl --html replay.html --cast replay.cast"


def _fail(message: str) -> typer.Exit:
    typer.echo(f"terminal-gym replay: error: {message}", err=True)
    return typer.Exit(2)


def _load(file: Path) -> list[Trajectory]:
    if not file.exists():
        raise _fail(f"{file}: no such file")
    if file.is_dir():
        raise _fail(f"{file}: is a directory, not a trajectory file")
    try:
        trajectories = load_trajectories(file)
    except SchemaError as exc:
        raise _fail(str(exc).splitlines()[0]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise _fail(f"{file}: cannot read: {exc}") from None
    if not trajectories:
        raise _fail(f"{file}: no episode in the file")
    return trajectories


def _write(path: Path, text: str) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise _fail(f"{path}: cannot write: {exc}") from None


def replay(
    file: Annotated[Path, typer.Argument(help="A trajectory JSONL file.", show_default=False)],
    html: Annotated[
        Path | None, typer.Option("--html", help="Write a self-contained HTML page here.")
    ] = None,
    cast: Annotated[
        Path | None, typer.Option("--cast", help="Write an asciicast v2 recording here.")
    ] = None,
    speed: Annotated[float, typer.Option(help="Playback speed (2: twice as fast).")] = 1.0,
    instant: Annotated[
        bool, typer.Option("--instant", help="Play without pauses (dump the terminal).")
    ] = False,
    episode: Annotated[int, typer.Option(help="Which episode of the file, from 1.")] = 1,
) -> None:
    if not speed > 0:
        raise _fail(f"--speed must be positive, not {speed}")
    trajectories = _load(file)
    if not 1 <= episode <= len(trajectories):
        raise _fail(f"--episode {episode}: {file} holds {len(trajectories)} episode(s)")
    trajectory = trajectories[episode - 1]
    count = len(trajectories)
    typer.echo(
        f"{file}: {count} episode{'s' if count != 1 else ''}; episode {episode}: "
        f"task {trajectory.task_id}, {len(trajectory.steps)} steps, reward {trajectory.reward}",
        err=True,
    )
    recording = to_cast(trajectory)
    if cast is not None:
        _write(cast, recording)
        typer.echo(f"wrote {cast}", err=True)
    if html is not None:
        _write(html, to_html(trajectory, speed=speed, cast=recording))
        typer.echo(f"wrote {html}", err=True)
    if cast is None and html is None:
        try:
            play(recording, sys.stdout, speed=speed, instant=instant)
        except KeyboardInterrupt:
            sys.stdout.write("\x1b[0m\n")
            raise typer.Exit(130) from None
        sys.stdout.write("\x1b[0m")
        sys.stdout.flush()


replay.__doc__ = _HELP


def register(app: typer.Typer) -> None:
    """Add ``replay`` to ``app`` (the root ``terminal-gym`` app)."""
    app.command("replay", help=_HELP, epilog=_EXAMPLE)(replay)
