"""Spaces for terminal text.

``gymnasium.spaces.Text`` accepts only a fixed charset (62 alphanumerics by default),
so terminal output would fail ``contains``. :class:`TerminalText` accepts any ``str``
up to a length; :class:`CommandSpace` samples harmless commands so random agents and
``check_env`` exercise the shell without damaging anything.

Both compare equal when equivalent (Gymnasium's vector envs check that every sub-env has
the single env's spaces) and batch as a ``Tuple`` of copies (Gymnasium's fallback for
custom spaces). For ``AsyncVectorEnv(shared_memory=True)`` (the default of
``gym.make_vec(..., vectorization_mode="async")``) this module registers shared-memory
handlers: each sub-env's text is a UTF-8 byte buffer of ``4 * max_length`` bytes (the
most ``max_length`` characters can take) plus its length, and the batch read back is a
live :class:`SharedTextBatch`, so every step returns the text just written (Gymnasium's
own ``Text`` handlers decode the buffer once, at construction, and then return stale
values). That costs ``4 * max_length`` bytes of shared memory per text key and sub-env
(about 8 MiB per ``TerminalLegoEnv`` in command mode); ``shared_memory=False`` avoids it.
"""

from __future__ import annotations

import ctypes
import multiprocessing as mp
import string
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np
from gymnasium.spaces import Space
from gymnasium.vector.utils import (
    create_shared_memory,
    read_from_shared_memory,
    write_to_shared_memory,
)

_SAMPLE_CHARS = string.ascii_letters + string.digits


class TerminalText(Space[str]):
    """Any string of at most ``max_length`` characters.

    >>> TerminalText(10).contains("\\x1b[1mé\\n")
    True
    """

    def __init__(self, max_length: int = 1 << 20, seed: int | np.random.Generator | None = None):
        self.max_length = int(max_length)
        super().__init__(shape=None, dtype=None, seed=seed)

    @property
    def is_np_flattenable(self) -> bool:
        return False

    def contains(self, x: Any) -> bool:
        return isinstance(x, str) and len(x) <= self.max_length

    def sample(self, mask: Any = None, probability: Any = None) -> str:
        length = int(self.np_random.integers(0, min(self.max_length, 32) + 1))
        return "".join(self.np_random.choice(list(_SAMPLE_CHARS), size=length))

    def __repr__(self) -> str:
        return f"TerminalText({self.max_length})"

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, TerminalText)
            and type(other) is type(self)
            and (other.max_length == self.max_length)
        )

    def __hash__(self) -> int:
        return hash((type(self).__name__, self.max_length))


class CommandSpace(TerminalText):
    """Shell commands (any string); :meth:`sample` draws harmless ``echo`` commands."""

    def sample(self, mask: Any = None, probability: Any = None) -> str:
        return "echo " + super().sample()

    def __repr__(self) -> str:
        return f"CommandSpace({self.max_length})"


# -- shared memory for AsyncVectorEnv ---------------------------------------------------

#: UTF-8 takes at most 4 bytes per character (``surrogatepass`` keeps lone surrogates, 3).
_BYTES_PER_CHAR = 4


class SharedTextBatch(Sequence[str]):
    """The texts of ``n`` sub-envs in shared memory, decoded on every read.

    ``AsyncVectorEnv`` reads its shared memory once, at construction, and hands out that
    object (deep-copied when ``copy=True``, the default) after every step; this view reads
    the current bytes whenever it is indexed, and a deep copy is a plain ``tuple`` of ``str``
    (what ``shared_memory=False`` returns). With ``copy=False`` the caller holds the view,
    which changes with the next step, as the numpy arrays of numeric keys do.
    """

    def __init__(self, lengths: Any, data: Any, capacity: int, n: int):
        self._lengths, self._data, self._capacity, self._n = lengths, data, capacity, n

    def __len__(self) -> int:
        return self._n

    def __getitem__(self, index: Any) -> Any:
        if isinstance(index, slice):
            return tuple(self[i] for i in range(*index.indices(self._n)))
        i = range(self._n)[index]
        start = i * self._capacity
        raw = memoryview(self._data).cast("B")[start : start + self._lengths[i]]
        return bytes(raw).decode("utf-8", "surrogatepass")

    def __iter__(self) -> Iterator[str]:
        return (self[i] for i in range(self._n))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Sequence) and tuple(self) == tuple(other)

    __hash__ = None  # type: ignore[assignment]

    def __deepcopy__(self, memo: dict[int, Any]) -> tuple[str, ...]:
        return tuple(self)

    def __repr__(self) -> str:
        return f"SharedTextBatch({tuple(self)!r})"


@create_shared_memory.register(TerminalText)
def _create_text_shared_memory(space: TerminalText, n: int = 1, ctx: Any = mp) -> tuple:
    # The worst case, so any string the space contains fits: 4 bytes per character.
    return (
        ctx.Array(ctypes.c_int64, n, lock=False),
        ctx.Array(ctypes.c_char, n * space.max_length * _BYTES_PER_CHAR, lock=False),
    )


@read_from_shared_memory.register(TerminalText)
def _read_text_from_shared_memory(
    space: TerminalText, shared_memory: tuple, n: int = 1
) -> SharedTextBatch:
    lengths, data = shared_memory
    return SharedTextBatch(lengths, data, space.max_length * _BYTES_PER_CHAR, n)


@write_to_shared_memory.register(TerminalText)
def _write_text_to_shared_memory(
    space: TerminalText, index: int, value: str, shared_memory: tuple
) -> None:
    lengths, data = shared_memory
    raw = value.encode("utf-8", "surrogatepass")
    capacity = space.max_length * _BYTES_PER_CHAR
    if len(raw) > capacity:
        raise ValueError(f"{len(value)} characters do not fit {space!r}")
    start = index * capacity
    memoryview(data).cast("B")[start : start + len(raw)] = raw
    lengths[index] = len(raw)
