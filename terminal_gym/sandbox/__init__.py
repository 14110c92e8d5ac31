"""Where commands run: the sandbox protocol and its backends.

``make_backend("docker" | "local" | "auto")`` imports a backend lazily (the docker
SDK is not imported for local runs). ``"auto"`` picks Docker when a daemon answers,
otherwise the local backend, and says which through :attr:`Backend.name`.
:class:`SandboxPool` (:mod:`terminal_gym.sandbox.pool`) keeps sandboxes started ahead.
"""

from __future__ import annotations

import logging
from typing import Any

from terminal_gym.errors import BackendUnavailableError
from terminal_gym.sandbox.base import Backend, ExecResult, PtyHandle, Sandbox
from terminal_gym.sandbox.pool import SandboxPool

__all__ = ["Backend", "ExecResult", "PtyHandle", "Sandbox", "SandboxPool", "make_backend"]

log = logging.getLogger(__name__)

BACKENDS = ("auto", "docker", "local")
#: The options each backend takes (its constructor's keyword arguments).
OPTIONS = {
    "docker": ("client", "image_map", "ca_bundle", "reap_stale", "toolchain", "tmpfs"),
    "local": ("isolation", "toolchain"),
}


def make_backend(name: str | Backend = "auto", **options: Any) -> Backend:
    """Return a backend by name (or the backend itself when one is given).

    Args:
        name: ``"docker"``, ``"local"`` or ``"auto"``.
        **options: passed to the backend's constructor (:data:`OPTIONS`: ``client``,
            ``image_map``, ``ca_bundle``, ``reap_stale``, ``tmpfs`` for Docker;
            ``isolation`` for local; ``toolchain`` for both). Options of the other
            backend are ignored (a CLI passes ``image_map`` whichever it runs).

    Raises:
        BackendUnavailableError: ``"docker"`` was asked for and no daemon answers, or
            ``"local"`` / ``"auto"`` and neither a daemon nor bubblewrap is there.
        ValueError: unknown name, or an option no backend takes (a typo).
        TypeError: ``name`` is neither a string nor a backend object.
    """
    if not isinstance(name, str):
        if not all(callable(getattr(name, m, None)) for m in ("create", "prepare", "close")):
            raise TypeError(f"backend must be a name in {BACKENDS} or a backend, not {name!r}")
        return name
    if name not in BACKENDS:
        raise ValueError(f"unknown backend {name!r}; choose from {BACKENDS}")
    unknown = sorted(set(options) - {k for keys in OPTIONS.values() for k in keys})
    if unknown:
        raise ValueError(f"unknown backend option(s) {unknown}; the backends take {OPTIONS}")
    docker_error = None
    if name in ("docker", "auto"):
        try:
            from terminal_gym.sandbox.docker import DockerBackend

            keys = OPTIONS["docker"]
            return DockerBackend(**{k: v for k, v in options.items() if k in keys})
        except BackendUnavailableError as exc:
            if name == "docker":
                raise
            docker_error = exc
            log.warning("Docker is not available (%s); using the local backend", exc)
    from terminal_gym.sandbox.local import LocalBackend

    try:
        return LocalBackend(**{k: v for k, v in options.items() if k in OPTIONS["local"]})
    except BackendUnavailableError as exc:
        if docker_error is None:
            raise
        message = f"no sandbox can run here: {docker_error}; and {exc}"
        raise BackendUnavailableError(message) from exc
