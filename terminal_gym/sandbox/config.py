"""Backend configuration: one small frozen dataclass per backend, and the factory.

Each config holds exactly the options its backend's constructor takes, plus a ``type``
that names the backend, so a config survives a round trip through JSON or YAML::

    >>> LocalConfig(isolation="none")
    LocalConfig(type='local', isolation='none', toolchain=True)
    >>> backend_config({"type": "docker", "reap_stale": False}).reap_stale
    False
    >>> backend_config("local", isolaton="none")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    terminal_gym.sandbox.config.BackendConfigError: unknown option(s) ['isolaton'] ...

:func:`make_backend` makes a backend from a config, a dict with ``"type"``, or a name
and options; it imports the backend's module only then, so the docker SDK is not
imported for local runs.
"""

from __future__ import annotations

import dataclasses
import logging
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from terminal_gym.errors import BackendUnavailableError, TerminalGymError

if TYPE_CHECKING:
    import docker

    from terminal_gym.sandbox.base import Backend

__all__ = [
    "BACKENDS",
    "BackendConfig",
    "BackendConfigError",
    "DockerConfig",
    "LocalConfig",
    "backend_config",
    "make_backend",
]

log = logging.getLogger(__name__)

#: The names :func:`make_backend` takes: a backend's ``type``, or ``"auto"``.
BACKENDS = ("auto", "docker", "local")


class BackendConfigError(TerminalGymError, ValueError):
    """A backend configuration names an unknown backend or option."""


@dataclass(frozen=True)
class DockerConfig:
    """Options of :class:`~terminal_gym.sandbox.docker.DockerBackend` (see it for each)."""

    type: Literal["docker"] = "docker"
    client: docker.DockerClient | None = None
    image_map: Mapping[str, str] | Sequence[str] | None = None
    ca_bundle: str | os.PathLike[str] | None = "auto"
    reap_stale: bool = True
    toolchain: bool = True
    tmpfs: Mapping[str, str] | None = None

    def __post_init__(self) -> None:
        _check_type(self, "docker")

    def make(self) -> Backend:
        """Start the backend (imports the docker SDK).

        Raises:
            BackendUnavailableError: no Docker daemon answers.
        """
        from terminal_gym.sandbox.docker import DockerBackend

        return DockerBackend(**_options(self))


@dataclass(frozen=True)
class LocalConfig:
    """Options of :class:`~terminal_gym.sandbox.local.LocalBackend` (see it for each)."""

    type: Literal["local"] = "local"
    isolation: Literal["auto", "bwrap", "none"] = "auto"
    toolchain: bool = True

    def __post_init__(self) -> None:
        _check_type(self, "local")

    def make(self) -> Backend:
        """Start the backend.

        Raises:
            BackendUnavailableError: ``isolation`` asks for bubblewrap, which is missing.
        """
        from terminal_gym.sandbox.local import LocalBackend

        return LocalBackend(**_options(self))


BackendConfig = DockerConfig | LocalConfig
_CONFIGS: dict[str, type[DockerConfig] | type[LocalConfig]] = {
    "docker": DockerConfig,
    "local": LocalConfig,
}


def backend_config(spec: str | Mapping[str, Any] | BackendConfig, **options: Any) -> BackendConfig:
    """The config of a single backend, from a config, a dict with ``"type"``, or a name.

    Args:
        spec: ``"docker"`` or ``"local"``; ``{"type": ..., **options}``; or a config
            (returned as it is, or with ``options`` replaced).
        **options: the backend's options.

    Raises:
        BackendConfigError: an unknown backend, or an option it does not take; the
            message names the valid ones.
    """
    if isinstance(spec, DockerConfig | LocalConfig):
        if not options:
            return spec
        return _build(type(spec), {**_options(spec), **options}, spec.type)
    if isinstance(spec, Mapping):
        spec, options = _split_type(spec, options)
    if spec not in _CONFIGS:
        raise BackendConfigError(
            f"unknown backend {spec!r}; choose from {sorted(_CONFIGS)} (or 'auto')"
        )
    return _build(_CONFIGS[spec], options, spec)


def make_backend(
    spec: str | Mapping[str, Any] | BackendConfig | Backend = "auto", **options: Any
) -> Backend:
    """Make a backend from a config, a dict with ``"type"``, or a name and options.

    ``"auto"`` tries Docker, then the local backend when no daemon answers (a warning
    says so, and :attr:`Backend.name` which); its options are those of either backend,
    each backend taking its own. A backend object is returned as it is.

    Args:
        spec: ``"auto"``, ``"docker"``, ``"local"``; ``{"type": ..., **options}``; a
            :class:`DockerConfig` or :class:`LocalConfig`; or a backend.
        **options: the backend's options (:class:`DockerConfig`, :class:`LocalConfig`).

    Raises:
        BackendConfigError: unknown backend, or an option the backend does not take.
        BackendUnavailableError: ``"docker"`` was asked for and no daemon answers, or
            ``"local"`` / ``"auto"`` and neither a daemon nor bubblewrap is there.
        TypeError: ``spec`` is none of the above.
    """
    if isinstance(spec, Mapping) and spec.get("type") == "auto":
        spec, options = _split_type(spec, options)
    if spec == "auto":
        return _make_auto(options)
    if isinstance(spec, str | Mapping | DockerConfig | LocalConfig):
        return backend_config(spec, **options).make()
    if not all(callable(getattr(spec, m, None)) for m in ("create", "prepare", "close")):
        raise TypeError(
            f"backend must be a name in {BACKENDS}, a config or a backend, not {spec!r}"
        )
    if options:
        raise BackendConfigError(f"options {sorted(options)} do not apply to a backend object")
    return spec


def _make_auto(options: Mapping[str, Any]) -> Backend:
    unknown = sorted(set(options) - _fields(DockerConfig) - _fields(LocalConfig))
    if unknown:
        valid = {name: sorted(_fields(cls)) for name, cls in _CONFIGS.items()}
        raise BackendConfigError(
            f"unknown option(s) {unknown} for the auto backend; the backends take {valid}"
        )
    try:
        pick = {k: v for k, v in options.items() if k in _fields(DockerConfig)}
        return DockerConfig(**pick).make()
    except BackendUnavailableError as docker_error:
        log.warning("Docker is not available (%s); using the local backend", docker_error)
        try:
            pick = {k: v for k, v in options.items() if k in _fields(LocalConfig)}
            return LocalConfig(**pick).make()
        except BackendUnavailableError as exc:
            message = f"no sandbox can run here: {docker_error}; and {exc}"
            raise BackendUnavailableError(message) from exc


def _split_type(spec: Mapping[str, Any], options: Mapping[str, Any]) -> tuple[Any, dict[str, Any]]:
    if "type" not in spec:
        raise BackendConfigError(f"a backend config needs a 'type' ({BACKENDS}): {dict(spec)!r}")
    rest = {k: v for k, v in spec.items() if k != "type"}
    return spec["type"], {**rest, **options}


def _build(
    cls: type[DockerConfig] | type[LocalConfig], options: Mapping[str, Any], name: str
) -> BackendConfig:
    unknown = sorted(set(options) - _fields(cls))
    if unknown:
        raise BackendConfigError(
            f"unknown option(s) {unknown} for the {name} backend; it takes {sorted(_fields(cls))}"
        )
    return cls(**options)


def _fields(cls: type[DockerConfig] | type[LocalConfig]) -> set[str]:
    return {f.name for f in dataclasses.fields(cls)} - {"type"}


def _options(config: BackendConfig) -> dict[str, Any]:
    """The config's options as keyword arguments (shallow: a client stays itself)."""
    return {name: getattr(config, name) for name in _fields(type(config))}


def _check_type(config: BackendConfig, expected: str) -> None:
    if config.type != expected:
        raise BackendConfigError(
            f"{type(config).__name__} has type {expected!r}, not {config.type!r}"
        )
