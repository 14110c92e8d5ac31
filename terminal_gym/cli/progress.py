"""Live progress for long commands: one ``rich.progress`` bar on stderr, or nothing.

Every long ``terminal-gym`` command (validate, demo, rollout, soak, images bootstrap)
draws its bar through :class:`LiveProgress`: the label, the bar, done/total, a status
(reward so far, verified so far ...), the throughput, elapsed time and the ETA. The bar
is drawn only when stderr is a terminal and neither ``--json`` nor ``--no-progress``
was given (:func:`progress_enabled`); otherwise every method is a no-op, so a command
calls it unconditionally and a log or a pipe never sees a control character.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from types import TracebackType
from typing import Any, TextIO

__all__ = ["LiveProgress", "progress_enabled"]


def progress_enabled(
    *, json: bool = False, no_progress: bool = False, stream: TextIO | None = None
) -> bool:
    """Whether to draw a live bar: ``stream`` (stderr) is a terminal, not ``TERM=dumb``,
    and neither ``--json`` nor ``--no-progress`` asked for quiet."""
    if json or no_progress:
        return False
    stream = sys.stderr if stream is None else stream
    try:
        tty = stream.isatty()
    except (AttributeError, ValueError):  # closed or not a real stream
        return False
    return tty and os.environ.get("TERM") != "dumb"


class LiveProgress:
    """A live bar on stderr (a context manager); does nothing when not ``enabled``.

    Args:
        label: the text before the bar (the command's name).
        total: the units of work, or ``None`` when unknown (a pulsing bar).
        enabled: draw at all (see :func:`progress_enabled`).
        unit: what one unit is, for the throughput (``"task"``, ``"ep"``).
        stream: where to draw (default stderr; a test may pass a terminal-like stream).
    """

    def __init__(
        self,
        label: str,
        total: int | None,
        *,
        enabled: bool,
        unit: str = "task",
        stream: TextIO | None = None,
    ) -> None:
        self.enabled = enabled
        self.unit = unit
        self.done = 0
        self.started = time.monotonic()
        self._lock = threading.Lock()
        self._progress: Any = None
        self._bar: Any = None
        if not enabled:
            return
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            SpinnerColumn,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        console = Console(file=stream) if stream is not None else Console(stderr=True)
        self._progress = Progress(
            SpinnerColumn(),
            TextColumn(f"[bold]{label}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[status]}"),
            TextColumn("[dim]{task.fields[rate]}"),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            console=console,
            transient=False,
        )
        self._bar = self._progress.add_task(label, total=total, status="", rate="")

    def __enter__(self) -> LiveProgress:
        if self._progress is not None:
            self._progress.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def _rate(self) -> str:
        elapsed = max(time.monotonic() - self.started, 1e-9)
        per_s = self.done / elapsed
        if per_s >= 1 or self.done == 0:
            return f"{per_s:.2f} {self.unit}/s"
        return f"{60 * per_s:.1f} {self.unit}/min"

    def advance(self, n: int = 1, status: str | None = None) -> None:
        """``n`` more units done; ``status`` replaces the status text when given."""
        with self._lock:
            self.done += n
            if self._progress is None:
                return
            fields: dict[str, Any] = {"rate": self._rate()}
            if status is not None:
                fields["status"] = status
            self._progress.update(self._bar, advance=n, **fields)

    def status(self, text: str) -> None:
        """Show ``text`` as the status without advancing (a build step, a log line)."""
        with self._lock:
            if self._progress is not None:
                self._progress.update(self._bar, status=text[:80])

    def close(self) -> None:
        """Stop drawing (idempotent)."""
        with self._lock:
            if self._progress is not None:
                self._progress.stop()
                self._progress = None
