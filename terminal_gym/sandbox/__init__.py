"""Where commands run: the sandbox protocol and its backends.

``make_backend("docker" | "local" | "auto")`` imports a backend lazily (the docker
SDK is not imported for local runs). ``"auto"`` picks Docker when a daemon answers,
otherwise the local backend, and says which through :attr:`Backend.name`.
"""

from __future__ import annotations

import logging
from typing import Any

from terminal_gym.errors import BackendUnavailableError
from terminal_gym.sandbox.base import Backend, ExecResult, PtyHandle, Sandbox

__all__ = ["Backend", "ExecResult", "PtyHandle", "Sandbox", "make_backend"]

log = logging.getLogger(__name__)

BACKENDS = ("auto", "docker", "local")


def make_backend(name: str | Backend = "auto", **options: Any) -> Backend:
    """Return a backend by name (or the backend itself when one is given).

    Args:
        name: ``"docker"``, ``"local"`` or ``"auto"``.
        **options: passed to the backend's constructor (``image_map``, ``ca_bundle``
            for Docker; ``isolation`` for local; ``toolchain`` for both). Options of the
            other backend are ignored under ``"auto"``.

    Raises:
        BackendUnavailableError: ``"docker"`` was asked for and no daemon answers, or
            ``"local"`` / ``"auto"`` and neither a daemon nor bubblewrap is there.
        ValueError: unknown name.
    """
    if not isinstance(name, str):
        return name
    if name not in BACKENDS:
        raise ValueError(f"unknown backend {name!r}; choose from {BACKENDS}")
    docker_error = None
    if name in ("docker", "auto"):
        try:
            from terminal_gym.sandbox.docker import DockerBackend

            keys = ("client", "image_map", "ca_bundle", "reap_stale", "toolchain")
            return DockerBackend(**{k: v for k, v in options.items() if k in keys})
        except BackendUnavailableError as exc:
            if name == "docker":
                raise
            docker_error = exc
            log.warning("Docker is not available (%s); using the local backend", exc)
    from terminal_gym.sandbox.local import LocalBackend

    try:
        return LocalBackend(**{k: v for k, v in options.items() if k in ("isolation", "toolchain")})
    except BackendUnavailableError as exc:
        if docker_error is None:
            raise
        raise BackendUnavailableError(
            f"no sandbox can run here: {docker_error}; and {exc}"
        ) from exc
