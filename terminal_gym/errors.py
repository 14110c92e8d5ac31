"""The exception hierarchy.

Every failure the package reports (a malformed task, an unreachable daemon, a dead
sandbox, an unusable reward, a bad trajectory file, a vector env that did not answer)
raises a subclass of :class:`TerminalGymError`. Where a builtin exception means the same
thing, the subclass inherits it too, so callers can catch either (``except TimeoutError``
catches :class:`StepTimeoutError`). Calling a function with an argument of the wrong
type or value raises the builtin ``TypeError``/``ValueError``, as Python code does, and
a missing key in a mapping-like lookup ``KeyError``.

A command that outlives its timeout is not an exception: the env interrupts it and
reports ``timed_out`` in the observation (and ``ExecResult.timed_out`` for one-off
commands).

Infrastructure failures (:class:`SandboxError` and below) are what the env
reports as ``info["env_error"]``: they say nothing about the agent's skill.
"""

from __future__ import annotations


class TerminalGymError(Exception):
    """Root of every error raised by terminal-gym."""


class TaskFormatError(TerminalGymError, ValueError):
    """A task directory or file is malformed.

    Attributes:
        path: the file (or directory) at fault.
        field: the field at fault, when one is, e.g. ``"verifier.timeout_sec"``.
    """

    def __init__(self, path: object, message: str, field: str | None = None):
        self.path = path
        self.field = field
        self.message = message
        where = f"{path}" + (f" [{field}]" if field else "")
        super().__init__(f"{where}: {message}")

    def __reduce__(self) -> tuple[type, tuple[object, str, str | None]]:
        # Picklable (Ray ships task sets with their load errors to workers).
        return type(self), (self.path, self.message, self.field)


class TaskNotFoundError(TerminalGymError, KeyError):
    """No task with the requested id exists in the task set."""

    def __str__(self) -> str:  # KeyError would repr() the message
        return str(self.args[0]) if self.args else ""


class SandboxError(TerminalGymError, RuntimeError):
    """The sandbox (container, bubblewrap jail, temp dir) failed: an infrastructure error."""


class BackendUnavailableError(SandboxError):
    """The requested backend cannot run here (daemon down, binary missing)."""


class ImageBuildError(SandboxError):
    """A task image could not be built (bad Dockerfile, missing base image, timeout).

    Attributes:
        summary: the message's first line (what failed).
        build_log: the failed ``docker build``'s log (its tail, without ANSI colour
            codes), when a build ran; the message ends with it, once.
        seconds: how long the failed build ran, when one did.
    """

    def __init__(self, message: str, *, build_log: str | None = None, seconds: float | None = None):
        super().__init__(message)
        self.summary = message.split("\n", 1)[0]
        self.build_log = build_log
        self.seconds = seconds

    def __reduce__(self) -> tuple[object, ...]:
        # Picklable with its attributes (Ray ships errors between processes).
        return _rebuild_image_error, (type(self), str(self), self.build_log, self.seconds)


class ImageUnavailableError(ImageBuildError):
    """A base image is not present, cannot be pulled, and no local base stands in for it:
    the message says what is missing and what would fix it."""


def _rebuild_image_error(
    cls: type[ImageBuildError], message: str, build_log: str | None, seconds: float | None
) -> ImageBuildError:
    return cls(message, build_log=build_log, seconds=seconds)


class UnsupportedTaskError(SandboxError):
    """The backend cannot serve this task (e.g. the local backend and ``RUN apt-get``)."""


class SandboxDiedError(SandboxError):
    """The sandbox stopped while an episode was using it."""


class ShellError(SandboxError):
    """The PTY shell could not be started or answered garbage."""


class ArchiveRefusedError(SandboxError):
    """A path cannot be archived out of a sandbox safely: larger than the caller allows,
    or reached through a symlink. The agent controls such paths: grading treats this as
    the agent's doing, not as an infrastructure error."""


class ToolchainError(SandboxError):
    """The trusted grading toolchain cannot be built or used here (see ``sandbox.toolchain``)."""


class StepTimeoutError(TerminalGymError, TimeoutError):
    """Sub-envs of a vector env did not answer within the wait's timeout (the step goes
    on; wait again for it)."""


class VerifierError(TerminalGymError, RuntimeError):
    """The verifier ran but produced no usable reward (missing or malformed reward file)."""
