"""The sandbox protocol: where an episode's commands run.

A *backend* owns images and makes sandboxes (``DockerBackend``, ``LocalBackend``); a
*sandbox* is one running environment: it opens PTYs, runs one-off commands, takes
file uploads, and is removed on :meth:`Sandbox.close`. The PTY conversation itself
lives in :mod:`terminal_gym.terminal`; this layer only owns life cycles.
"""

from __future__ import annotations

import io
import os
import shlex
import socket
import tarfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, Protocol, runtime_checkable

import pexpect.spawnbase

from terminal_gym.tasks.spec import EnvironmentSpec, Task

#: Where programs are found when a sandbox's environment says nothing else, in order.
STANDARD_BIN_DIRS = ("/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin")
STANDARD_PATH = ":".join(STANDARD_BIN_DIRS)

#: Label keys put on every container (and recorded for every local sandbox).
LABEL_OWNER = "terminal-gym.owner"
LABEL_TASK = "terminal-gym.task"
#: What a sandbox's network can be here: the normal one, or none (loopback only).
NetworkEnforced = Literal["public", "no-network"]


@dataclass
class PtyHandle:
    """An interactive process on a PTY inside a sandbox.

    Attributes:
        child: the pexpect object to read from and write to.
        terminate: kills the process and every process in its session; takes the
            shell's pid as seen inside the sandbox, when known.
    """

    child: pexpect.spawnbase.SpawnBase
    terminate: Callable[[int | None], None]


@dataclass(frozen=True)
class ExecResult:
    """Result of a one-off command (verifier, oracle upload, probes).

    Attributes:
        exit_code: the exit status; ``-1`` when it timed out.
        output: stdout and stderr interleaved, clean text, head + tail when long.
        duration: seconds.
        timed_out: the command was killed at its timeout.
    """

    exit_code: int
    output: str
    duration: float
    timed_out: bool = False


@dataclass(frozen=True)
class FileChange:
    """One path the episode changed in the sandbox's filesystem.

    Attributes:
        path: the absolute path inside the sandbox.
        kind: ``"added"``, ``"modified"``, ``"deleted"``, or ``"changed"`` (added or
            modified, the backend cannot tell which).
    """

    path: str
    kind: Literal["added", "modified", "deleted", "changed"]


@dataclass(frozen=True)
class StopReport:
    """What stopping the agent's processes found.

    Attributes:
        method: how they were stopped: ``"kill-all"`` (``kill(-1, SIGKILL)`` from the
            trusted toolchain), ``"restart"`` (the container was killed and started
            again), ``"pid-namespace"`` (the bubblewrap process namespaces were torn
            down) or ``"session"`` (best effort: process sessions and markers).
        stopped: processes found and killed (``-1`` when unknown).
        survivors: processes other than the sandbox's own init still running
            afterwards; anything but 0 means a process escaped and grading is not safe.
    """

    method: str
    stopped: int = -1
    survivors: int = 0


@runtime_checkable
class Sandbox(Protocol):
    """One running environment.

    Its attributes are read-only to callers (a sandbox may hold a narrower type, e.g. a
    ``workdir`` that is always a ``str``).
    """

    @property
    def id(self) -> str:
        """Unique among the sandboxes of this host."""
        ...

    @property
    def backend(self) -> str:
        """The name of the backend that made it (``"docker"``, ``"local"``)."""
        ...

    @property
    def workdir(self) -> str | None:
        """Where commands start when they name no directory."""
        ...

    @property
    def toolchain(self) -> str | None:
        """The trusted grading toolchain's ``bin/`` inside the sandbox (see
        :mod:`terminal_gym.sandbox.toolchain`), or ``None`` when it is not mounted."""
        ...

    @property
    def system_path(self) -> str:
        """The ``PATH`` the sandbox's own programs use."""
        ...

    @property
    def network(self) -> NetworkEnforced:
        """The network the sandbox actually has (:func:`enforced_network`)."""
        ...

    def open_pty(
        self,
        argv: Sequence[str],
        *,
        env: Mapping[str, str],
        workdir: str | None,
        rows: int,
        cols: int,
        user: str | None = None,
    ) -> PtyHandle:
        """Start ``argv`` on a PTY, as ``user`` (``None``: the image's default user)."""
        ...

    def exec(
        self,
        command: str,
        *,
        timeout: float | None = None,
        env: Mapping[str, str] | None = None,
        workdir: str | None = None,
        shell: str = "sh",
        user: str | None = None,
    ) -> ExecResult:
        """Run ``command`` with ``<shell> -c`` (no PTY), bounded by ``timeout``, as ``user``
        (``None``: the image's default user).

        On timeout the command's process group is killed from inside the sandbox.
        """
        ...

    def stop_processes(self) -> StopReport:
        """Kill every process the episode started, whatever session or group it moved to.

        Raises:
            SandboxError: the sandbox is gone or the processes could not be stopped.
        """
        ...

    def changes(self) -> list[FileChange]:
        """The files added, modified or deleted since the sandbox started."""
        ...

    def grading_view(self) -> Sandbox:
        """Where to grade while the agent's processes keep running.

        For tasks whose graded outcome is a running process (a service): a sandbox with
        the same files, network and processes in sight, which those processes cannot
        write into. Backends that cannot separate them return ``self``.
        """
        ...

    def upload(self, src: Path, dest: str, *, replace: bool = True) -> None:
        """Copy a host file or directory to ``dest``, replacing what was there.

        ``replace=False`` promises that ``dest`` is absent or an empty directory and its
        parent exists (the caller cleared it), which saves a round trip.
        """
        ...

    def read_file(self, path: str, max_bytes: int = 1 << 20) -> bytes | None:
        """The file's bytes, or ``None`` when it does not exist."""
        ...

    def archive(self, path: str, max_bytes: int) -> bytes | None:
        """A tar archive of ``path`` (file or directory, stored under its own name),
        symlinks not followed; ``None`` when it does not exist.

        Raises:
            ArchiveRefusedError: the archive would exceed ``max_bytes``, or the path is
                reached through a symlink the backend would resolve outside the sandbox.
        """
        ...

    def is_alive(self) -> bool:
        """Whether the sandbox runs and can take commands.

        Raises:
            SandboxError: the backend cannot tell (e.g. the Docker daemon does not answer:
                :class:`~terminal_gym.errors.BackendUnavailableError`).
        """
        ...

    def close(self) -> None:
        """Stop and remove the sandbox. Idempotent."""
        ...


class Backend(Protocol):
    """Makes sandboxes for tasks."""

    name: str

    def unsupported_reason(self, task: Task) -> str | None:
        """Why this backend cannot serve ``task``, or ``None`` when it can."""
        ...

    def prepare(self, task: Task) -> str | None:
        """Build or fetch what ``task`` needs, ahead of :meth:`create`.

        Returns:
            The image the task runs in, for backends that run images (Docker), else
            ``None``.
        """
        ...

    def create(self, task: Task) -> Sandbox:
        """Start a fresh sandbox for ``task``."""
        ...

    def close(self) -> None: ...


# -- network -----------------------------------------------------------------------


def enforced_network(env: EnvironmentSpec) -> NetworkEnforced:
    """The network a sandbox of ``env`` gets: ``"public"`` only when the policy is
    ``public`` and ``allow_internet`` agrees, else none. An ``allowlist`` cannot be
    enforced without an egress proxy, so it fails closed (no network at all)."""
    return "public" if env.network.mode == "public" and env.allow_internet else "no-network"


def network_report(env: EnvironmentSpec, enforced: NetworkEnforced) -> dict[str, object]:
    """What a phase asked for and what it got, for ``info``."""
    policy = env.network
    mode = policy.mode if env.allow_internet or policy.mode != "public" else "no-network"
    report: dict[str, object] = {"mode": mode, "enforced": enforced}
    if policy.allowed_hosts:
        report["allowed_hosts"] = list(policy.allowed_hosts)
    if mode == "allowlist" and enforced == "no-network":
        report["note"] = allowlist_note(policy.allowed_hosts)
    elif mode == "no-network" and enforced == "public":
        report["note"] = "this backend cannot take the network away here: not enforced"
    return report


def allowlist_note(hosts: Sequence[str]) -> str:
    names = ", ".join(hosts) or "(none listed)"
    return (
        "network_mode 'allowlist' cannot be enforced without an egress proxy, so the "
        f"sandbox runs with no network at all: these hosts will be unreachable: {names}"
    )


def declared_users(task: Task) -> list[str]:
    """The users ``task`` runs commands as in its own sandbox: the agent's (the task's
    and its steps'), and the verifier's when it grades in that sandbox."""
    users = [task.agent_user, *(step.agent_user for step in task.steps)]
    verifiers = [task.verifier, *(step.verifier for step in task.steps)]
    users += [v.user for v in verifiers if v.environment_mode == "shared"]
    return list(dict.fromkeys(u for u in users if u))


# -- owners ------------------------------------------------------------------------


def _process_start_time(pid: int) -> str | None:
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            stat = fh.read()
    except OSError:
        return None
    return stat.rsplit(b")", 1)[1].split()[19].decode()


def owner_label(pid: int | None = None) -> str:
    """``host:pid:start-time`` of a process; the start time defeats pid reuse."""
    pid = os.getpid() if pid is None else pid
    return f"{socket.gethostname()}:{pid}:{_process_start_time(pid) or '?'}"


def owner_is_gone(label: str) -> bool:
    """Whether the process named by an owner label has exited (on this host).

    Labels from other hosts are never judged gone: their owner may be alive there.
    """
    try:
        host, pid, started = label.rsplit(":", 2)
        pid_num = int(pid)
    except ValueError:
        return False
    if host != socket.gethostname():
        return False
    now = _process_start_time(pid_num)
    return now is None or (started != "?" and now != started)


def clear_paths_script(paths: Sequence[str]) -> str:
    """Shell that empties each directory of ``paths`` (not removed: on the local backend it
    may be a mount point) and removes anything else there, links included; it fails on
    the first path it cannot clear."""
    quoted = " ".join(shlex.quote(p) for p in paths)
    return (
        f"for d in {quoted}; do "
        'if [ -d "$d" ] && [ ! -L "$d" ]; then find "$d" -mindepth 1 -delete; '
        'else rm -rf "$d"; fi || exit 1; done'
    )


def tar_path(src: Path, arcname: str) -> bytes:
    """A tar archive of ``src`` (file or directory) stored under ``arcname``."""
    data = io.BytesIO()
    with tarfile.open(fileobj=data, mode="w") as tar:
        tar.add(str(src), arcname=arcname)
    return data.getvalue()
