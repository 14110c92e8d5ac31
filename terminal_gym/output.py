"""Turning raw PTY bytes into text an agent can read.

:class:`BoundedBuffer` keeps the head and the tail of a stream and counts what it
dropped in the middle, so ``yes`` cannot exhaust memory. :func:`clean` strips ANSI
escape sequences and terminal line endings. Both are pure and cheap.
"""

from __future__ import annotations

import re

# CSI (ESC [ ... final), OSC (ESC ] ... BEL or ST), other two-byte ESC sequences,
# and lone C0 controls other than tab / newline / carriage return.
_ANSI = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]"
    r"|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)"
    r"|\x1b[PX^_][^\x1b]*\x1b\\"
    r"|\x1b[0-Z\\-_]"
    r"|\x1b[()*+][0-9A-Za-z]"
    r"|[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]"
)
_CR_OVERWRITE = re.compile(r"[^\n]*\r(?=[^\n])")


def strip_ansi(text: str) -> str:
    """Remove ANSI escape sequences and control characters except ``\\t \\n \\r``.

    >>> strip_ansi("\\x1b[1;31mred\\x1b[0m")
    'red'
    """
    return _ANSI.sub("", text)


def clean(data: bytes) -> str:
    """Decode PTY output into plain text.

    Invalid UTF-8 becomes U+FFFD, escape sequences go, ``\\r\\n`` becomes ``\\n``, and a
    carriage return that overwrites a line (progress bars) keeps only the last version.

    >>> clean(b"\\x1b[32mok\\x1b[0m\\r\\n10%\\r50%\\r100%\\r\\n")
    'ok\\n100%\\n'
    """
    text = strip_ansi(data.decode("utf-8", "replace"))
    text = text.replace("\r\n", "\n")
    text = _CR_OVERWRITE.sub("", text)
    return text.replace("\r", "")


def omission_marker(omitted: int) -> str:
    """The marker put where output was dropped."""
    return f"\n[... {omitted} bytes of output omitted ...]\n"


class BoundedBuffer:
    """Accumulates a byte stream, keeping at most ``head + tail`` bytes of it.

    The first ``head`` bytes are kept, then a sliding window of the last ``tail``
    bytes; the count of bytes dropped in between is reported by :attr:`omitted`.

    Args:
        limit: the total bytes kept; split evenly between head and tail.
    """

    __slots__ = ("_head_cap", "_tail_cap", "head", "omitted", "tail", "total")

    def __init__(self, limit: int):
        self._head_cap = limit // 2
        self._tail_cap = limit - self._head_cap
        self.head = bytearray()
        self.tail = bytearray()
        self.omitted = 0
        self.total = 0

    def append(self, data: bytes) -> None:
        self.total += len(data)
        room = self._head_cap - len(self.head)
        if room > 0 and not self.tail:
            self.head += data[:room]
            data = data[room:]
        if not data:
            return
        self.tail += data
        excess = len(self.tail) - self._tail_cap
        if excess > 0:
            del self.tail[:excess]
            self.omitted += excess

    @property
    def truncated(self) -> bool:
        return self.omitted > 0

    def text(self) -> str:
        """The kept output as clean text, with a marker where bytes were dropped."""
        if not self.omitted:
            return clean(bytes(self.head + self.tail))
        return clean(bytes(self.head)) + omission_marker(self.omitted) + clean(bytes(self.tail))
