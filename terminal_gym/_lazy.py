"""Module attributes loaded on first use (PEP 562), so importing a package stays cheap.

    __getattr__, __dir__ = lazy_attributes(__name__, {"TerminalLegoEnv": "terminal_gym.envs"})

A value is imported from its module the first time it is asked for, then cached in the
package's namespace.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["lazy_attributes"]


def lazy_attributes(
    package: str, sources: Mapping[str, str]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """``__getattr__`` and ``__dir__`` for ``package``: ``sources`` maps each lazy name
    to the module that defines it (absolute, or relative to ``package`` when it starts
    with a dot)."""

    def __getattr__(name: str) -> Any:
        module = sources.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(module, package), name)
        setattr(sys.modules[package], name, value)
        return value

    def __dir__() -> list[str]:
        return sorted({*vars(sys.modules[package]), *sources})

    return __getattr__, __dir__
