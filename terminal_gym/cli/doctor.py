"""``terminal-gym doctor``: is this machine ready to run terminal tasks?

Each check reports a level (``ok``, ``warn`` or ``fail``), what it found, and for a
problem the one thing to do about it. :func:`run_checks` runs them all, in order, and
never raises: a check that cannot run (no Docker daemon) says so and the others still
run. :func:`register` adds the ``doctor`` command to a Typer app::

    terminal-gym doctor [--json]

Exit status: 0 when nothing failed (warnings are fine), 1 when a check failed.

What is checked: the Python and package versions; the Docker SDK, daemon, server
version, storage driver (``vfs`` is slow), cgroups and resource limits; bubblewrap (the
local backend's isolation) making a user namespace; the offline base images and whether
they are current; the CA bundle builds and sandboxes trust; Ray and the OpenAI client
(optional); free disk space where Docker keeps its data and in the temp dir; Chromium
(optional, for replay tests).
"""

from __future__ import annotations

import inspect
import json
import os
import shutil
import ssl
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

import typer

if TYPE_CHECKING:
    import docker

__all__ = [
    "DISK_FAIL_BYTES",
    "DISK_WARN_BYTES",
    "Check",
    "check_disk",
    "disk_level",
    "register",
    "run_checks",
]

Level = Literal["ok", "warn", "fail"]

#: Free space under which a disk check warns, and under which it fails.
DISK_WARN_BYTES = 10 * 1024**3
DISK_FAIL_BYTES = 2 * 1024**3
#: Seconds the daemon's first answer may take before it counts as down.
DOCKER_PING_TIMEOUT = 3.0
#: How to start a Docker daemon that is down.
START_DOCKERD = "start dockerd: `sudo systemctl start docker` or `dockerd &`"
_GIB = 1024**3
_SYMBOLS = {"ok": "✓", "warn": "!", "fail": "✗"}
_STYLES = {"ok": "green", "warn": "yellow", "fail": "red"}


@dataclass(frozen=True)
class Check:
    """The outcome of one check.

    Attributes:
        name: what was checked (``"docker daemon"``).
        level: ``"ok"``, ``"warn"`` (works, but worse or optional) or ``"fail"``.
        detail: what was found (a version, a path, the error).
        fix: the one thing to do about a problem; ``None`` when there is none.
    """

    name: str
    level: Level
    detail: str
    fix: str | None = None

    def __post_init__(self) -> None:
        if self.level not in _SYMBOLS:
            raise ValueError(f"level must be 'ok', 'warn' or 'fail', not {self.level!r}")

    @property
    def ok(self) -> bool:
        """Whether the check did not fail (a warning is ok)."""
        return self.level != "fail"

    def to_dict(self) -> dict[str, Any]:
        """The check as JSON-ready data, ``ok`` included."""
        return {**asdict(self), "ok": self.ok}


# -- the checks --------------------------------------------------------------------


def check_python(version: tuple[int, ...] = sys.version_info[:3]) -> Check:
    """Python 3.10 or newer."""
    text = ".".join(str(part) for part in version[:3])
    if tuple(version[:2]) >= (3, 10):
        return Check("python", "ok", f"{text} ({sys.executable})")
    return Check(
        "python", "fail", f"{text}: terminal-gym needs 3.10 or newer", "install Python >= 3.10"
    )


def check_package() -> Check:
    """The terminal-gym version and where it is imported from."""
    import terminal_gym
    from terminal_gym._version import __version__

    where = Path(terminal_gym.__file__).parent
    return Check("terminal-gym", "ok", f"{__version__} ({where})")


def _docker_checks() -> tuple[list[Check], docker.DockerClient | None]:
    """SDK, daemon, storage driver and cgroups; the client when the daemon answers."""
    try:
        import docker as docker_sdk
    except ImportError as exc:
        return [
            Check("docker sdk", "fail", f"not importable: {exc}", "pip install 'docker>=7'")
        ], None
    checks = [Check("docker sdk", "ok", f"docker {docker_sdk.__version__}")]
    from terminal_gym.errors import BackendUnavailableError
    from terminal_gym.sandbox.docker import connect

    where = os.environ.get("DOCKER_HOST") or "the default socket"
    try:
        client = connect(timeout=30, ping_timeout=DOCKER_PING_TIMEOUT)
        info = client.info()
        version = client.version()
    except BackendUnavailableError as exc:
        cause = exc.__cause__ or exc
        detail = f"no daemon answers at {where}: {type(cause).__name__}: {_one_line(cause)}"
        return [*checks, Check("docker daemon", "fail", detail, _start_fix())], None
    except Exception as exc:  # the daemon answered the ping, then failed
        detail = f"the daemon at {where} failed: {type(exc).__name__}: {_one_line(exc)}"
        return [*checks, Check("docker daemon", "fail", detail, _start_fix())], None
    checks.append(
        Check(
            "docker daemon",
            "ok",
            f"server {version.get('Version', '?')} (API {version.get('ApiVersion', '?')}), "
            f"storage {info.get('Driver', '?')}, at {where}",
        )
    )
    checks.append(storage_driver_check(str(info.get("Driver", ""))))
    checks.append(cgroup_check(info))
    return checks, client


def _start_fix() -> str:
    host = os.environ.get("DOCKER_HOST")
    if host:
        return f"{START_DOCKERD}; or point DOCKER_HOST (now {host}) at a running daemon"
    return START_DOCKERD


def storage_driver_check(driver: str) -> Check:
    """``vfs`` copies every layer in full: it works, slowly."""
    if driver == "vfs":
        return Check(
            "docker storage",
            "warn",
            "vfs: every container start copies the whole image (slow, disk-hungry)",
            'use overlay2: set {"storage-driver": "overlay2"} in /etc/docker/daemon.json '
            "and restart dockerd",
        )
    if not driver:
        return Check("docker storage", "warn", "the daemon did not name its storage driver")
    return Check("docker storage", "ok", driver)


def cgroup_check(info: dict[str, Any]) -> Check:
    """The cgroup version and driver, and whether the task limits can be enforced."""
    detail = f"cgroup v{info.get('CgroupVersion', '?')} ({info.get('CgroupDriver', '?')} driver)"
    missing = [
        what
        for key, what in (("MemoryLimit", "memory"), ("PidsLimit", "pids"), ("CpuCfsQuota", "cpu"))
        if info.get(key) is False
    ]
    if missing:
        return Check(
            "docker cgroups",
            "warn",
            f"{detail}: the engine cannot enforce {', '.join(missing)} limits",
            "enable the cgroup controllers (kernel cmdline `cgroup_enable=memory swapaccount=1`, "
            "or cgroup v2 with delegation) and restart dockerd",
        )
    return Check("docker cgroups", "ok", f"{detail}, memory/pids/cpu limits enforced")


def check_bubblewrap(timeout: float = 10.0) -> Check:
    """``bwrap`` is installed and can make a user namespace (the local backend's isolation)."""
    path = shutil.which("bwrap")
    if path is None:
        return Check(
            "bubblewrap",
            "warn",
            "bwrap not found: the local backend runs tasks in a plain temp dir, unisolated",
            "apt-get install bubblewrap",
        )
    try:
        proc = subprocess.run(
            [path, "--unshare-all", "--ro-bind", "/", "/", "true"],
            capture_output=True,
            text=True,
            timeout=timeout,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return Check("bubblewrap", "warn", f"{path} did not run: {exc}", "reinstall bubblewrap")
    if proc.returncode != 0:
        return Check(
            "bubblewrap",
            "warn",
            f"{path} cannot make a user namespace: {_one_line(proc.stderr) or proc.returncode}",
            "allow unprivileged user namespaces: `sysctl kernel.unprivileged_userns_clone=1` "
            "(Ubuntu 24.04+: `sysctl kernel.apparmor_restrict_unprivileged_userns=0`)",
        )
    return Check("bubblewrap", "ok", f"{path}: user namespaces work")


def base_image_checks(client: docker.DockerClient | None) -> list[Check]:
    """The offline base images exist, and were made by the current bootstrap.

    Current means: when :mod:`~terminal_gym.sandbox.bootstrap` stamps a version label,
    the image carries that version; and every image built on another base image still
    has that base's layers (a base rebuilt since left it stale).
    """
    from terminal_gym.sandbox import bootstrap

    images = bootstrap.BASE_IMAGES
    if client is None:
        return [
            Check(image, "warn", "not checked: the Docker daemon does not answer")
            for image in images
        ]
    label = getattr(bootstrap, "LABEL_VERSION", "org.terminal-gym.bootstrap")
    wanted = getattr(bootstrap, "BOOTSTRAP_VERSION", None)
    suites_label = getattr(bootstrap, "LABEL_SUITES", None)
    found: dict[str, dict[str, Any]] = {}
    checks = []
    for image in images:
        try:
            attrs = client.api.inspect_image(image)
        except Exception as exc:  # docker.errors.ImageNotFound, APIError
            missing = "not present" if "No such image" in str(exc) else _one_line(exc)
            checks.append(Check(image, "fail", missing, "terminal-gym images bootstrap"))
            continue
        found[image] = attrs
        labels = (attrs.get("Config") or {}).get("Labels") or {}
        created = str(attrs.get("Created", ""))[:19].replace("T", " ")
        detail = f"{str(attrs.get('Id', ''))[7:19]}, created {created}"
        have = labels.get(label)
        if wanted is not None and _version(have) < int(wanted):
            made_by = f"bootstrap version {have}" if have else "an older bootstrap (no label)"
            checks.append(
                Check(
                    image,
                    "warn",
                    f"{detail}: made by {made_by}, current is {wanted}",
                    "terminal-gym images bootstrap (rebuilds images of an older bootstrap)",
                )
            )
            continue
        stale_base = _stale_base(attrs, found)
        if stale_base is not None:
            checks.append(
                Check(
                    image,
                    "warn",
                    f"{detail}: built on an older {stale_base}",
                    "terminal-gym images bootstrap --force",
                )
            )
            continue
        if have:
            detail += f", bootstrap version {have}"
        if suites_label and labels.get(suites_label):
            detail += f", apt suites {labels[suites_label]}"
        checks.append(Check(image, "ok", detail))
    return checks


def _version(label: object) -> int:
    """A version label as a number; ``-1`` when absent or not a number."""
    try:
        return int(str(label))
    except ValueError:
        return -1


def _stale_base(attrs: dict[str, Any], bases: dict[str, dict[str, Any]]) -> str | None:
    """The base image (among ``bases``) this image was meant to extend but no longer does."""
    from terminal_gym.sandbox import bootstrap

    if attrs is bases.get(bootstrap.DEBIAN_IMAGE):
        return None
    base = bases.get(bootstrap.DEBIAN_IMAGE)
    if base is None:
        return None
    mine = (attrs.get("RootFS") or {}).get("Layers") or []
    theirs = (base.get("RootFS") or {}).get("Layers") or []
    if theirs and mine[: len(theirs)] != theirs:
        return bootstrap.DEBIAN_IMAGE
    return None


def check_ca_bundle() -> Check:
    """The CA bundle handed to builds and sandboxes (``sandbox.ca.find_ca_bundle``)."""
    from terminal_gym.sandbox.ca import CA_BUNDLE_VARS, find_ca_bundle

    broken = [
        (var, os.environ[var])
        for var in CA_BUNDLE_VARS
        if os.environ.get(var) and not Path(os.environ[var]).is_file()
    ]
    path = find_ca_bundle("auto")
    if broken:
        var, value = broken[0]
        fix = f"point {var} at an existing PEM bundle, or unset it"
        if path is None:
            return Check("ca bundle", "fail", f"{var}={value} is not a file", fix)
        return Check(
            "ca bundle", "warn", f"{var}={value} is not a file; {path} is used instead", fix
        )
    if path is None:
        return Check(
            "ca bundle",
            "ok",
            f"none named ({', '.join(CA_BUNDLE_VARS[:2])}, ...): images use their own CAs "
            "(set TERMINAL_GYM_CA_BUNDLE behind a TLS-intercepting proxy)",
        )
    try:
        text = path.read_text(errors="replace")
        certs = text.count("-----BEGIN CERTIFICATE-----")
        ssl.create_default_context(cafile=str(path))
    except (OSError, ssl.SSLError, ValueError) as exc:
        return Check(
            "ca bundle",
            "fail",
            f"{path} does not parse: {_one_line(exc)}",
            f"replace {path} with a PEM bundle (or unset the variable naming it)",
        )
    if certs == 0:
        return Check(
            "ca bundle",
            "fail",
            f"{path} holds no PEM certificate",
            f"replace {path} with a PEM bundle",
        )
    return Check("ca bundle", "ok", f"{path}: {certs} certificates")


def check_optional_module(name: str, purpose: str, install: str) -> Check:
    """An optional Python package: a warning, not a failure, when it is missing."""
    try:
        module = __import__(name)
    except Exception as exc:  # ImportError, or a broken install failing at import
        return Check(name, "warn", f"not importable ({purpose}): {_one_line(exc)}", install)
    return Check(name, "ok", f"{getattr(module, '__version__', '?')} ({purpose})")


def disk_level(
    free: int, *, warn_below: int = DISK_WARN_BYTES, fail_below: int = DISK_FAIL_BYTES
) -> Level:
    """``"fail"`` under ``fail_below`` free bytes, ``"warn"`` under ``warn_below``, else ``"ok"``.

    >>> disk_level(50 * 1024**3), disk_level(5 * 1024**3), disk_level(1024**3)
    ('ok', 'warn', 'fail')
    """
    if free < fail_below:
        return "fail"
    if free < warn_below:
        return "warn"
    return "ok"


def check_disk(
    name: str,
    path: str | os.PathLike[str],
    *,
    usage: Callable[[str], Any] = shutil.disk_usage,
) -> Check:
    """Free space on the filesystem holding ``path`` (:func:`disk_level`'s thresholds).

    Args:
        name: the check's name (``"disk: docker data"``).
        path: a path on the filesystem to measure.
        usage: what measures it (:func:`shutil.disk_usage`; a fake in tests).
    """
    try:
        measured = usage(str(path))
    except OSError as exc:
        return Check(name, "warn", f"{path}: cannot measure: {_one_line(exc)}")
    free, total = int(measured.free), int(measured.total)
    level = disk_level(free)
    detail = f"{path}: {free / _GIB:.1f} GiB free of {total / _GIB:.1f} GiB"
    if level == "ok":
        return Check(name, level, detail)
    need = DISK_WARN_BYTES if level == "warn" else DISK_FAIL_BYTES
    return Check(
        name,
        level,
        detail,
        f"free space on {path} (at least {need / _GIB:.0f} GiB): "
        + (
            "`docker system prune`, `terminal-gym reap`" if "docker" in name else "remove old files"
        ),
    )


def _docker_root(client: docker.DockerClient | None) -> str | None:
    if client is not None:
        try:
            root = client.info().get("DockerRootDir")
        except Exception:
            root = None
        if root:
            return str(root)
    return "/var/lib/docker" if Path("/var/lib/docker").exists() else None


def check_chromium() -> Check:
    """A Chromium for the replay page's browser tests (optional)."""
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        path = shutil.which(name)
        if path is None:
            continue
        try:
            proc = subprocess.run([path, "--version"], capture_output=True, text=True, timeout=20)
            version = _one_line(proc.stdout) or f"exit {proc.returncode}"
        except (OSError, subprocess.TimeoutExpired) as exc:
            version = f"did not run: {_one_line(exc)}"
        return Check("chromium", "ok", f"{version} ({path}; replay browser tests)")
    return Check(
        "chromium",
        "warn",
        "not found (optional: replay browser tests)",
        "apt-get install chromium chromium-driver",
    )


def run_checks() -> list[Check]:
    """Run every check, in order; never raises (a check that cannot run says why)."""
    checks = [check_python(), check_package()]
    docker_checks, client = _docker_checks()
    checks += docker_checks
    try:
        checks.append(check_bubblewrap())
        checks += base_image_checks(client)
        checks.append(check_ca_bundle())
        checks.append(
            check_optional_module(
                "ray",
                "optional: RayVectorEnv, rollout --workers",
                "pip install 'terminal-gym[ray]'",
            )
        )
        checks.append(
            check_optional_module(
                "openai", "optional: LLM agents, tasks build", "pip install 'terminal-gym[llm]'"
            )
        )
        root = _docker_root(client)
        if root is not None:
            checks.append(check_disk("disk: docker data", root))
        checks.append(check_disk("disk: temp dir", tempfile.gettempdir()))
        checks.append(check_chromium())
    finally:
        if client is not None:
            client.close()
    return checks


def _one_line(value: object, limit: int = 200) -> str:
    text = " ".join(str(value).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


# -- the command ---------------------------------------------------------------------


def render(checks: list[Check]) -> Any:
    """The checks as a rich table (✓ / ! / ✗, check, detail, fix)."""
    from rich.table import Table
    from rich.text import Text

    table = Table(title="terminal-gym doctor", show_lines=False)
    table.add_column("", no_wrap=True)
    table.add_column("check", no_wrap=True)
    table.add_column("detail", overflow="fold")
    table.add_column("fix", overflow="fold")
    for check in checks:
        style = _STYLES[check.level]
        table.add_row(
            Text(_SYMBOLS[check.level], style=style),
            Text(check.name, style=style if check.level != "ok" else ""),
            Text(check.detail),
            Text(check.fix or ""),
        )
    return table


def doctor(
    json_output: Annotated[
        bool, typer.Option("--json", help="print the checks as a JSON list of dicts on stdout")
    ] = False,
) -> None:
    """Check this machine: Docker, bubblewrap, base images, CA bundle, disk space, extras.

    Each problem comes with how to fix it. Exit 0 when nothing failed (warnings are
    fine), 1 when a check failed.
    """
    checks = run_checks()
    if json_output:
        print(json.dumps([check.to_dict() for check in checks], indent=2))
    else:
        from rich.console import Console
        from rich.markup import escape

        console = Console()
        console.print(render(checks))
        failed = [check.name for check in checks if not check.ok]
        warned = sum(check.level == "warn" for check in checks)
        if failed:
            console.print(
                f"[red]{len(failed)} failed[/red]: {escape(', '.join(failed))}; {warned} warnings"
            )
        else:
            console.print(f"[green]ready[/green] ({warned} warnings)")
    raise typer.Exit(0 if all(check.ok for check in checks) else 1)


def help_text(doc: str | None) -> str:
    r"""A docstring as ``--help`` text: paragraphs unwrapped (rich help keeps line breaks).

    >>> help_text("One line.\n\n    Two\n    lines.\n")
    'One line.\n\nTwo lines.'
    """
    paragraphs = inspect.cleandoc(doc or "").split("\n\n")
    return "\n\n".join(" ".join(p.split()) for p in paragraphs)


def register(app: typer.Typer) -> None:
    """Add the ``doctor`` command to ``app``."""
    app.command(
        "doctor",
        help=help_text(doctor.__doc__),
        epilog="Example: terminal-gym doctor --json",
    )(doctor)
