"""The PTY: a persistent bash per episode (:class:`ShellSession`) and its screen."""

from terminal_gym.output import BoundedBuffer, clean, strip_ansi
from terminal_gym.terminal.screen import Screen
from terminal_gym.terminal.shell import CommandResult, ShellSession

__all__ = ["BoundedBuffer", "CommandResult", "Screen", "ShellSession", "clean", "strip_ansi"]
