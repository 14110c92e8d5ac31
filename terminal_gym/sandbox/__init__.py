"""Where commands run: the sandbox protocol and its backends.

``make_backend("docker" | "local" | "auto", **options)``, ``make_backend(DockerConfig(...))``
or ``make_backend({"type": "local", ...})`` imports a backend lazily (the docker SDK is
not imported for local runs; :mod:`terminal_gym.sandbox.config`). ``"auto"`` picks
Docker when a daemon answers, otherwise the local backend, and says which through
:attr:`Backend.name`.
:class:`SandboxPool` (:mod:`terminal_gym.sandbox.pool`) keeps sandboxes started ahead.
"""

from __future__ import annotations

from terminal_gym.sandbox.base import Backend, ExecResult, PtyHandle, Sandbox
from terminal_gym.sandbox.config import (
    BackendConfig,
    BackendConfigError,
    DockerConfig,
    LocalConfig,
    make_backend,
)
from terminal_gym.sandbox.pool import SandboxPool

__all__ = [
    "Backend",
    "BackendConfig",
    "BackendConfigError",
    "DockerConfig",
    "ExecResult",
    "LocalConfig",
    "PtyHandle",
    "Sandbox",
    "SandboxPool",
    "make_backend",
]
