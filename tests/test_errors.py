"""Every exception class the package defines derives from ``TerminalGymError`` (the
claim of terminal_gym/errors.py), and the ones with a builtin meaning inherit it too."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import terminal_gym
from terminal_gym import errors
from terminal_gym.errors import TerminalGymError

#: Modules that need an optional extra at import time, all installed by the dev set-up.
MODULES = sorted(
    m.name
    for m in pkgutil.walk_packages(terminal_gym.__path__, "terminal_gym.")
    if ".tasks.builtin" not in m.name
)


def _exception_classes():
    for name in MODULES:
        module = importlib.import_module(name)
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if issubclass(cls, BaseException) and cls.__module__ == name:
                yield cls


def test_every_package_exception_derives_from_the_root():
    found = list(_exception_classes())
    assert len(found) >= 20
    strays = [  # an interruption (play's SIGTERM/SIGHUP) is not an error
        f"{c.__module__}.{c.__qualname__}"
        for c in found
        if not issubclass(c, (TerminalGymError, KeyboardInterrupt))
    ]
    assert not strays, strays


def test_builtin_meanings_are_inherited():
    assert issubclass(errors.TaskFormatError, ValueError)
    assert issubclass(errors.TaskNotFoundError, KeyError)
    assert issubclass(errors.StepTimeoutError, TimeoutError)
    assert issubclass(errors.SandboxError, RuntimeError)
    assert not hasattr(errors, "CommandTimeoutError")  # timeouts are observations, not errors
