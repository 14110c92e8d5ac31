"""The registry: command name -> the handler that classifies it.

Each domain module registers its handlers next to their definitions with
:func:`handles`; the driver finds them with :func:`lookup`. A name may be registered
once only: a second registration raises :class:`DuplicateCommandError` at import time,
so two tables can never silently disagree about a command (before this check, the
later registration won and the earlier one was dead code).

Example:
    >>> registry = Registry()
    >>> @registry.handles("frobnicate")
    ... def _h_frobnicate(ctx, name, args):
    ...     return []
    >>> registry.lookup("frobnicate") is _h_frobnicate
    True
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import MappingProxyType

from terminal_gym.egs.classify.core import Handler
from terminal_gym.errors import TerminalGymError

__all__ = [
    "DuplicateCommandError",
    "Registry",
    "handlers",
    "handles",
    "is_registered",
    "lookup",
]


class DuplicateCommandError(TerminalGymError, ValueError):
    """A command name was registered by two handlers.

    Attributes:
        command: the name registered twice.
        first: where the registration in effect comes from (``module.function``).
        second: where the rejected registration comes from.
    """

    def __init__(self, command: str, first: str, second: str):
        self.command = command
        self.first = first
        self.second = second
        super().__init__(f"command {command!r} is registered twice: by {first} and by {second}")

    def __reduce__(self) -> tuple[type, tuple[str, str, str]]:
        return type(self), (self.command, self.first, self.second)


def _place(handler: Handler) -> str:
    """Where a handler is defined, for error messages: ``module.qualname``."""
    module = getattr(handler, "__module__", "?")
    return f"{module}.{getattr(handler, '__qualname__', repr(handler))}"


class Registry:
    """A mapping of command names to handlers that refuses to register a name twice."""

    def __init__(self) -> None:
        self._handlers: dict[str, Handler] = {}

    @property
    def handlers(self) -> Mapping[str, Handler]:
        """A read-only view of every registered name and its handler."""
        return MappingProxyType(self._handlers)

    def register(self, handler: Handler, names: tuple[str, ...]) -> None:
        """Register ``handler`` for ``names``; nothing is registered if one is taken."""
        for name in names:
            if name in self._handlers:
                raise DuplicateCommandError(name, _place(self._handlers[name]), _place(handler))
        if len(set(names)) != len(names):
            twice = next(n for n in names if names.count(n) > 1)
            raise DuplicateCommandError(twice, _place(handler), _place(handler))
        for name in names:
            self._handlers[name] = handler

    def handles(self, *names: str) -> Callable[[Handler], Handler]:
        """Decorator: register the decorated handler for ``names``."""

        def decorate(handler: Handler) -> Handler:
            self.register(handler, names)
            return handler

        return decorate

    def lookup(self, name: str) -> Handler | None:
        """The handler registered for ``name``, or ``None``."""
        return self._handlers.get(name)


_REGISTRY = Registry()

handles = _REGISTRY.handles
lookup = _REGISTRY.lookup
handlers = _REGISTRY.handlers


def is_registered(name: str) -> bool:
    """Whether some handler classifies ``name``."""
    return name in _REGISTRY.handlers
