"""A virtual terminal screen (pyte) fed lazily.

Feeding pyte costs far more than reading a PTY, so bytes are queued (bounded) and
only rendered when someone asks for the screen.
"""

from __future__ import annotations

from collections import deque

import pyte

#: Bytes kept for rendering; a screen never needs more than a few screens' worth.
_PENDING_LIMIT = 256 * 1024


class Screen:
    """The rendered view of a terminal of ``rows`` x ``cols``."""

    def __init__(self, rows: int = 24, cols: int = 80):
        self.rows = rows
        self.cols = cols
        self._screen = pyte.Screen(cols, rows)
        self._stream = pyte.ByteStream(self._screen)
        self._pending: deque[bytes] = deque()
        self._pending_bytes = 0

    def feed(self, data: bytes) -> None:
        """Queue terminal bytes (escape sequences included) for rendering."""
        if not data:
            return
        self._pending.append(data)
        self._pending_bytes += len(data)
        while self._pending_bytes > _PENDING_LIMIT and len(self._pending) > 1:
            self._pending_bytes -= len(self._pending.popleft())

    def render(self) -> str:
        """The screen as text: ``rows`` lines, trailing spaces removed."""
        while self._pending:
            self._stream.feed(self._pending.popleft())
        self._pending_bytes = 0
        # Not pyte's `display`: it raises IndexError on the empty stub cell a wide
        # character leaves behind once the character itself is overwritten. Stubs are
        # empty strings, so joining the cells skips them all the same.
        buffer, columns = self._screen.buffer, self._screen.columns
        return "\n".join(
            "".join(buffer[y][x].data for x in range(columns)).rstrip()
            for y in range(self._screen.lines)
        )

    @property
    def cursor(self) -> tuple[int, int]:
        """The cursor position ``(row, col)`` after rendering."""
        self.render()
        return self._screen.cursor.y, self._screen.cursor.x

    def reset(self) -> None:
        self._screen.reset()
        self._pending.clear()
        self._pending_bytes = 0
