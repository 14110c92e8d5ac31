"""The Docker backend, through the docker SDK.

Each sandbox is a container labelled with its owner process, with the network off unless
the task allows it and cpu / memory / pids limits from the task. The trusted grading
toolchain (:mod:`terminal_gym.sandbox.toolchain`) is bind-mounted read-only at
``/.terminal-gym`` and its ``tg-init`` is process 1: a reaper that ``kill(-1, SIGKILL)``
spares, so :meth:`DockerSandbox.stop_processes` ends every process of the episode at
once with one ``docker exec``. Without the toolchain (a remote daemon, a non-Linux host)
the container runs ``sleep infinity`` under docker's init, and stopping the agent means
killing the container and starting it again.

The episode's PTY is a ``docker exec`` with a TTY whose hijacked socket pexpect reads
directly: no ``docker`` CLI process per shell, no extra process per command. One-off
commands print their in-container process id first, so a runaway one is killed from
inside the container (never by signalling a host pid the daemon reports, which on a
remote daemon or a VM names an unrelated local process).

Containers whose owner process is gone are removed by :func:`reap` (run once per
process when the first backend starts, and by ``terminal-gym reap``).

Faults are typed: a daemon that does not answer (stopped, crashed, restarting) raises
:class:`BackendUnavailableError` from any call, a container that is gone or not running
(killed, removed, paused) :class:`SandboxDiedError`, never the SDK's or ``requests``'
exceptions. A container whose removal fails because the daemon does not answer is
remembered and removed by the next :meth:`DockerBackend.create` (or at exit).
"""

from __future__ import annotations

import atexit
import itertools
import os
import platform
import re
import stat
import struct
import threading
import time
import uuid
import warnings
import weakref
from collections.abc import Mapping, Sequence
from pathlib import Path, PurePosixPath
from typing import Any, Literal

import docker
import docker.errors
import requests.exceptions
import urllib3.exceptions
from pexpect.fdpexpect import fdspawn

from terminal_gym.errors import (
    ArchiveRefusedError,
    BackendUnavailableError,
    SandboxDiedError,
    SandboxError,
    ToolchainError,
)
from terminal_gym.output import BoundedBuffer
from terminal_gym.sandbox.base import (
    LABEL_OWNER,
    LABEL_TASK,
    STANDARD_BIN_DIRS,
    STANDARD_PATH,
    ExecResult,
    FileChange,
    NetworkEnforced,
    PtyHandle,
    StopReport,
    allowlist_note,
    declared_users,
    enforced_network,
    owner_is_gone,
    owner_label,
    tar_path,
)
from terminal_gym.sandbox.ca import find_ca_bundle
from terminal_gym.sandbox.images import ImageInfo, prepare_image
from terminal_gym.sandbox.substitute import parse_image_map
from terminal_gym.sandbox.toolchain import MOUNT, Toolchain, ensure_toolchain
from terminal_gym.tasks.spec import Task

_DIFF_KINDS: dict[int, Literal["added", "modified", "deleted"]] = {
    0: "modified",
    1: "added",
    2: "deleted",
}
# Kills every process in the session of the shell whose pid is $1 (POSIX sh + /proc,
# so it works in images without procps).
KILL_SESSION_SH = (
    'for p in /proc/[0-9]*; do read -r st < "$p/stat" 2>/dev/null || continue; '
    'set -- ${st##*) }; [ "$4" = "$0" ] && kill -9 "${p#/proc/}" 2>/dev/null; done; '
    'kill -9 "$0" 2>/dev/null; true'
)


_LISTING_MARK = "__TG_PROGRAMS__"
_reaped_once = False
_reap_lock = threading.Lock()
_live: weakref.WeakSet[DockerSandbox] = weakref.WeakSet()
#: Closed sandboxes whose container could not be removed (the daemon did not answer).
_unremoved: list[DockerSandbox] = []
#: What a Docker API call raises when the daemon is gone or the connection broke.
_UNREACHABLE = (
    requests.exceptions.RequestException,
    urllib3.exceptions.HTTPError,
    ConnectionError,
)
#: Everything a Docker API call raises.
_DOCKER_ERRORS = (docker.errors.DockerException, *_UNREACHABLE)


def _unreachable(exc: BaseException) -> BackendUnavailableError:
    return BackendUnavailableError(
        f"the Docker daemon does not answer ({type(exc).__name__}: {exc})"
    )


def connect(timeout: float = 120.0, ping_timeout: float = 10.0) -> docker.DockerClient:
    """A client for the local engine (``DOCKER_HOST`` honoured), checked with a ping.

    Args:
        timeout: the HTTP timeout of later API calls.
        ping_timeout: how long the first ping may take (a hung daemon fails fast).

    Raises:
        BackendUnavailableError: no daemon answers.
    """
    try:
        client = docker.from_env(timeout=max(1, int(ping_timeout)))
        client.ping()
    except Exception as exc:  # DockerException, requests' ConnectionError, ...
        raise BackendUnavailableError(
            f"the Docker daemon does not answer ({exc.__class__.__name__}: {exc}); "
            "start it (e.g. `dockerd &`) or use backend='local'"
        ) from exc
    client.api.timeout = timeout
    return client


def reap(client: docker.DockerClient | None = None) -> list[str]:
    """Remove containers whose owner process (on this host) is gone; return their ids.

    Also removes grading snapshot images of gone owners. Containers of live owners, and
    of owners on other hosts, are left alone.
    """
    client = client or connect()
    removed = []
    # The low-level listing carries the labels: no per-container lookup that could race
    # with a container vanishing meanwhile.
    for summary in client.api.containers(all=True, filters={"label": LABEL_OWNER}):
        if owner_is_gone((summary.get("Labels") or {}).get(LABEL_OWNER, "")):
            try:
                client.api.remove_container(summary["Id"], force=True, v=True)
                removed.append(summary["Id"])
            except docker.errors.NotFound:
                pass
            except docker.errors.APIError as exc:
                if "already in progress" not in str(exc):
                    raise
    for image in client.api.images(filters={"label": LABEL_OWNER}):
        if owner_is_gone((image.get("Labels") or {}).get(LABEL_OWNER, "")):
            try:
                client.api.remove_image(image["Id"], force=True)
            except docker.errors.APIError:
                pass
    return removed


def owned_containers(client: docker.DockerClient, owner: str | None = None) -> list[str]:
    """Ids of the containers (running or not) labelled with ``owner`` (default: this process)."""
    label = f"{LABEL_OWNER}={owner or owner_label()}"
    return [c["Id"] for c in client.api.containers(all=True, filters={"label": label})]


def _remove_unremoved() -> None:
    """Try again to remove the containers the daemon could not be asked to remove."""
    for sandbox in list(_unremoved):
        try:
            sandbox._remove()
        except BackendUnavailableError:
            continue  # still no daemon: next time
        except SandboxError:
            pass
        try:
            _unremoved.remove(sandbox)
        except ValueError:  # another thread (a pool's) got there first
            pass


@atexit.register
def _close_live_sandboxes() -> None:
    for sandbox in list(_live):
        try:
            sandbox.close()
        except Exception:
            pass
    _remove_unremoved()


class DockerBackend:
    """Builds task images and starts containers for them.

    Args:
        client: a docker client (default: :func:`connect`).
        image_map: ``{"python:3.11-slim": "terminal-gym/python:3-bookworm"}``; also read
            from ``TERMINAL_GYM_IMAGE_MAP``.
        ca_bundle: ``"auto"`` (from ``SSL_CERT_FILE`` & co), a path, or ``None``.
        reap_stale: remove containers of dead owners when the first backend starts.
        toolchain: mount the trusted grading toolchain (default); ``False`` grades with
            the sandbox's own tools (``info["verifier"]["toolchain"]`` says which).
        tmpfs: size-limited in-memory filesystems to mount in every container,
            ``{"/logs": "size=2m"}`` (docker's ``--tmpfs``): e.g. to give a scratch
            directory a small quota. Their contents are not part of a grading snapshot
            (``agent_processes = "keep"``), and tamper evidence does not look into them
            (other filesystems), so never mount one over a grading path but ``/logs``.

    Attributes:
        toolchain: the mounted toolchain, or ``None``; ``toolchain_error`` says why not.
    """

    name = "docker"

    def __init__(
        self,
        client: docker.DockerClient | None = None,
        *,
        image_map: Mapping[str, str] | Sequence[str] | None = None,
        ca_bundle: str | os.PathLike[str] | None = "auto",
        reap_stale: bool = True,
        toolchain: bool = True,
        tmpfs: Mapping[str, str] | None = None,
    ):
        global _reaped_once
        self.client = client or connect()
        self.tmpfs = dict(tmpfs or {})
        self.image_map = parse_image_map(image_map)
        self.ca_bundle = find_ca_bundle(ca_bundle)
        self._images: dict[str, ImageInfo] = {}
        # One build of an image at a time per task in this process (threads of a pool,
        # envs of a thread pool); across processes, ensure_image takes a file lock.
        self._prepare_locks: dict[str, threading.Lock] = {}
        self._locks_lock = threading.Lock()
        self._programs: dict[str, set[str]] = {}
        self.toolchain: Toolchain | None = None
        self.toolchain_error: str | None = "turned off (toolchain=False)"
        self._toolchain_checked = False
        if toolchain:
            self._find_toolchain()
        if reap_stale:
            with _reap_lock:
                if not _reaped_once:
                    _reaped_once = True
                    reap(self.client)

    def __deepcopy__(self, memo: dict[int, object]) -> object:
        """Backends are shared services: env specs holding one copy the reference."""
        return self

    def unsupported_reason(self, task: Task) -> str | None:
        env = task.environment
        if env.dockerfile is None and env.docker_image is None:
            return "the task has neither a Dockerfile nor a docker_image"
        return None

    def prepare(self, task: Task) -> str:
        """Build (or find) the task's image; return its name (:meth:`image_info` says
        what preparing it did).

        Raises:
            ImageBuildError: the build failed (the message ends with the build log).
            BackendUnavailableError: the daemon does not answer.
        """
        return self._prepare(task).image

    def image_info(self, task: Task) -> ImageInfo | None:
        """What preparing ``task``'s image did in this backend (how long it took, whether
        it was built, what was substituted), once :meth:`prepare` succeeded."""
        return self._images.get(self._image_key(task))

    @staticmethod
    def _image_key(task: Task) -> str:
        # A separate verifier's environment is another image of the same task.
        env = task.environment
        return f"{task.id if task.path is None else task.path}|{env.dockerfile}|{env.docker_image}"

    def _prepare(self, task: Task) -> ImageInfo:
        key = self._image_key(task)
        info = self._images.get(key)
        if info is not None:
            return info
        with self._locks_lock:
            lock = self._prepare_locks.setdefault(key, threading.Lock())
        with lock:
            if key not in self._images:  # not built by the thread that held the lock
                try:
                    self._images[key] = prepare_image(
                        self.client, task, image_map=self.image_map, ca_bundle=self.ca_bundle
                    )
                except _UNREACHABLE as exc:
                    raise _unreachable(exc) from exc
                except docker.errors.DockerException as exc:  # one prepare_image did not wrap
                    raise SandboxError(f"preparing task {task.id!r} failed: {exc}") from exc
        return self._images[key]

    def create(self, task: Task) -> DockerSandbox:
        _remove_unremoved()
        prepared = self._prepare(task)
        image = prepared.image
        listing = self._programs.get(image)
        sandbox = DockerSandbox(
            self.client,
            task,
            image,
            toolchain=self.toolchain,
            bin_listing=listing,
            tmpfs=self.tmpfs,
        )
        try:
            if self.toolchain is not None and not self._toolchain_checked:
                # The daemon may not see this host's files (docker-in-docker, a VM): check once.
                self._toolchain_checked = True
                probe = sandbox.exec("true", shell=f"{MOUNT}/bin/bash", timeout=30)
                if probe.exit_code != 0:
                    sandbox.close()
                    self._no_toolchain(f"the daemon cannot run it from {self.toolchain.root}")
                    sandbox = DockerSandbox(
                        self.client, task, image, toolchain=None, tmpfs=self.tmpfs
                    )
            if self.toolchain is not None and listing is None:
                # The image's programs, once per image: deletions are found against them.
                listing = self._programs[image] = sandbox.list_programs()
                sandbox._bin_listing = listing
            sandbox.check_users(declared_users(task))
        except BaseException:
            sandbox.close()
            raise
        sandbox.image_notes = prepared.notes()
        return sandbox

    def _find_toolchain(self) -> None:
        base_url = str(getattr(self.client.api, "base_url", ""))
        if not base_url.startswith(("http+docker://localhost", "http+docker://localunixsocket")):
            self._no_toolchain(f"the daemon at {base_url} is not local")
            return
        try:
            info = self.client.info()
        except _DOCKER_ERRORS as exc:
            raise BackendUnavailableError(f"the Docker daemon does not answer: {exc}") from exc
        machine = platform.machine()
        if info.get("Architecture") not in (machine, {"x86_64": "amd64"}.get(machine)):
            self._no_toolchain(f"the daemon runs {info.get('Architecture')}, this host {machine}")
            return
        try:
            self.toolchain = ensure_toolchain()
            self.toolchain_error = None
        except ToolchainError as exc:
            self._no_toolchain(str(exc))

    def _no_toolchain(self, reason: str) -> None:
        self.toolchain = None
        self.toolchain_error = reason
        warnings.warn(
            f"terminal-gym grades Docker sandboxes with their own tools: {reason}",
            RuntimeWarning,
            stacklevel=3,
        )

    def close(self) -> None:
        self.client.close()


class DockerSandbox:
    """One container. See the module docstring."""

    backend = "docker"

    def __init__(
        self,
        client: docker.DockerClient,
        task: Task,
        image: str,
        *,
        toolchain: Toolchain | None = None,
        share_with: str | None = None,
        bin_listing: set[str] | None = None,
        tmpfs: Mapping[str, str] | None = None,
    ):
        self.client = client
        self.api = client.api
        self.task = task
        self.image = image
        self.workdir = task.environment.workdir
        self._toolchain = toolchain
        self.toolchain = toolchain.bin if toolchain is not None else None
        self._closed = False
        #: What the env adds to ``reset``'s info about the image (substitutions, image
        #: map keys that matched nothing): :meth:`ImageInfo.notes`.
        self.image_notes: dict[str, Any] = {}
        self._snapshots: list[str] = []
        self._bin_listing = bin_listing
        self._tmpfs = dict(tmpfs or {})
        env = task.environment
        limits = env.limits
        kwargs: dict[str, Any] = {}
        if limits.cpus:
            kwargs["nano_cpus"] = int(limits.cpus * 1e9)
        if limits.memory_mb:
            kwargs["mem_limit"] = f"{limits.memory_mb}m"
            kwargs["memswap_limit"] = f"{limits.memory_mb}m"
        if limits.pids:
            kwargs["pids_limit"] = limits.pids
        if self._tmpfs:
            kwargs["tmpfs"] = self._tmpfs
        if toolchain is not None:
            kwargs["volumes"] = {str(toolchain.root): {"bind": MOUNT, "mode": "ro"}}
            kwargs["entrypoint"] = [f"{MOUNT}/bin/tg-init"]
        else:
            kwargs["entrypoint"] = ["sleep", "infinity"]
            kwargs["init"] = True
        if share_with is not None:
            # A grading view: the agent container's network and processes in sight, and
            # one capability more than the agent has, so that its processes cannot
            # ptrace this container's processes or reach its files through /proc.
            kwargs.update(
                network_mode=f"container:{share_with}",
                pid_mode=f"container:{share_with}",
                cap_add=["WAKE_ALARM"],
            )
        else:
            if env.network.mode == "allowlist":
                warnings.warn(
                    f"task {task.id!r}: {allowlist_note(env.network.allowed_hosts)}",
                    RuntimeWarning,
                    stacklevel=2,
                )
            public = enforced_network(env) == "public"
            kwargs.update(hostname="sandbox", network_mode=None if public else "none")
        #: A grading view shares the agent container's network, so has the same.
        self.network: NetworkEnforced = enforced_network(env)
        # Files changed after this moment are the episode's (same clock: a local daemon).
        self._started = f"@{time.time():.6f}"
        self._graph_driver: dict[str, Any] = {}
        try:
            self.container = client.containers.run(
                image,
                command=[],
                detach=True,
                name=f"terminal-gym-{uuid.uuid4().hex[:12]}",
                labels={LABEL_OWNER: owner_label(), LABEL_TASK: task.id},
                working_dir=env.workdir or "",
                environment=dict(env.env),
                **kwargs,
            )
        except _UNREACHABLE as exc:
            raise _unreachable(exc) from exc
        except docker.errors.DockerException as exc:
            raise SandboxError(f"starting a container of {image} failed: {exc}") from exc
        self.id = self.container.id
        _live.add(self)
        self._graph_driver = dict(self.container.attrs.get("GraphDriver") or {})
        config_env = self.container.attrs.get("Config", {}).get("Env") or []
        self.system_path = next(
            (e[5:] for e in config_env if e.startswith("PATH=")),
            STANDARD_PATH,
        )

    def __repr__(self) -> str:
        return f"DockerSandbox({self.id[:12]}, task={self.task.id!r})"

    # -- PTY ---------------------------------------------------------------------

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
        try:
            exec_id = self.api.exec_create(
                self.id,
                list(argv),
                stdin=True,
                tty=True,
                environment=dict(env),
                workdir=workdir or self.workdir,
                user=user or "",
            )["Id"]
            sock = self.api.exec_start(exec_id, socket=True, tty=True)
        except _DOCKER_ERRORS as exc:
            raise self._died_or(exc) from exc
        # pexpect owns a duplicate of the hijacked socket's fd; the SDK objects can go.
        fd = os.dup(sock._sock.fileno())
        _close_hijacked(sock)
        try:
            self.api.exec_resize(exec_id, height=rows, width=cols)
        except _DOCKER_ERRORS:
            pass
        child = fdspawn(fd, timeout=None, use_poll=True)  # select fails above fd 1023
        child.delaybeforesend = None

        def terminate(pid: int | None) -> None:
            if pid is not None and not self._closed:
                try:
                    self.exec(f"{KILL_SESSION_SH}", shell=self._shell(), timeout=10, args=[pid])
                except SandboxError:
                    pass

        return PtyHandle(child=child, terminate=terminate)

    # -- one-off commands ----------------------------------------------------------

    def exec(
        self,
        command: str,
        *,
        timeout: float | None = None,
        env: Mapping[str, str] | None = None,
        workdir: str | None = None,
        shell: str = "sh",
        user: str | None = None,
        args: Sequence[object] = (),
        max_output_bytes: int = 256 * 1024,
    ) -> ExecResult:
        """Run ``command`` with ``<shell> -c`` (``args`` become ``$0``, ``$1`` ...).

        The shell first prints its process id (a process-group leader: runc makes every
        exec a session leader) on stdout; it is taken off the output and used to kill
        the whole group from inside the container when ``timeout`` passes.
        """
        started = time.monotonic()
        wrapper = 'echo "$$"; exec "$0" -c "$@"'
        argv = [shell, "-c", wrapper, shell, command, *(str(a) for a in args)]
        try:
            exec_id = self.api.exec_create(
                self.id,
                argv,
                stdout=True,
                stderr=True,
                environment=dict(env or {}),
                workdir=workdir or self.workdir,
                user=user or "",
            )["Id"]
            sock = self.api.exec_start(exec_id, socket=True)
        except _DOCKER_ERRORS as exc:
            raise self._died_or(exc) from exc
        buf = BoundedBuffer(max_output_bytes)
        deadline = None if timeout is None else started + timeout
        reader = _FrameReader(buf)
        try:
            timed_out = not reader.read(sock._sock, deadline)
        except OSError:  # the stream broke (the daemon went): the inspection below says
            timed_out = False
        finally:
            _close_hijacked(sock)
        if timed_out:
            if reader.pid is not None:
                self._kill_group(reader.pid)
            return ExecResult(-1, buf.text(), time.monotonic() - started, timed_out=True)
        try:
            code = self.api.exec_inspect(exec_id).get("ExitCode")
        except _DOCKER_ERRORS as exc:
            raise self._died_or(exc) from exc
        return ExecResult(-1 if code is None else code, buf.text(), time.monotonic() - started)

    def _shell(self) -> str:
        return f"{MOUNT}/bin/bash" if self.toolchain else "sh"

    def check_users(self, users: Sequence[str]) -> None:
        """Raise :class:`SandboxError` naming the first of ``users`` the image lacks.

        A numeric uid (``1000``, ``1000:1000``) needs no entry in ``/etc/passwd``.
        """
        names = [u for u in users if not u.split(":")[0].isdigit()]
        if not names:
            return
        script = (
            'for u in "$@"; do id -u -- "${u%%:*}" >/dev/null 2>&1 || { echo "$u"; exit 1; }; done'
        )
        result = self.exec(script, shell=self._shell(), timeout=30, args=["sh", *names])
        if result.exit_code != 0:
            missing = (result.output.strip().splitlines() or ["?"])[-1]
            raise SandboxError(
                f"task {self.task.id!r} runs as user {missing!r}, which does not exist in "
                f"image {self.image}"
            )

    def _kill_group(self, pid: int) -> None:
        """Kill the process group ``pid`` (an in-container pid) from inside the container."""
        try:
            self.exec(f"kill -9 -- -{int(pid)} 2>/dev/null; true", shell=self._shell(), timeout=10)
        except SandboxError:
            pass

    # -- grading -------------------------------------------------------------------

    def stop_processes(self) -> StopReport:
        if self.toolchain is not None:
            try:
                result = self.exec(f"{MOUNT}/bin/tg-stop", shell=self._shell(), timeout=30)
            except SandboxError:  # e.g. a fork bomb holds every pid: no exec can start
                result = None
            m = re.search(r"stopped (\d+)", result.output) if result is not None else None
            if result is not None and result.exit_code == 0 and m:
                return StopReport("kill-all", stopped=int(m[1]))
        return self._restart()

    def _restart(self) -> StopReport:
        """Kill the container (its whole process namespace goes) and start it again."""
        try:
            before = len(self.api.top(self.id).get("Processes") or [])
            self.container.kill()
            self.container.wait(timeout=60)
            self.container.start()
            after = self.api.top(self.id).get("Processes") or []
        except _DOCKER_ERRORS as exc:
            raise self._died_or(exc) from exc
        except Exception as exc:  # requests' ReadTimeout from wait()
            raise SandboxError(f"restarting {self!r} failed: {exc}") from exc
        # Process 1 (tg-init, or docker-init) and its sleeper are the container's own.
        return StopReport("restart", stopped=max(before - 2, 0), survivors=max(len(after) - 2, 0))

    def changes(self) -> list[FileChange]:
        """What the episode changed, by the fastest exact way this daemon allows.

        1. The container's overlay2 upper directory, read from this host (a local daemon
           and the right to read its data root, e.g. as root): only what the episode
           wrote is walked, a few milliseconds.
        2. With the toolchain, its ``find`` lists the files whose inode change time is
           past the container's start (which no process in the container can set back),
           and the program directories are compared with their listing at the start,
           for deletions: one exec, ~0.15 s on the bundled images.
        3. ``docker diff`` (~0.8 s).
        """
        upper = overlay_changes(self._graph_driver)
        if upper is not None:
            return upper
        if self.toolchain is None or self._bin_listing is None:
            return self._diff()
        result = self.exec(
            f"find / -xdev \\( -path /proc -o -path /sys -o -path /dev -o -path {MOUNT} \\) "
            f'-prune -o ! -type d -newerct "{self._started}" -print; echo "{_LISTING_MARK}"; '
            + _bin_listing_script(self._bin_dirs()),
            shell=self._shell(),
            env={"PATH": self.toolchain},
            timeout=120,
        )
        if result.exit_code != 0 or _LISTING_MARK not in result.output:
            return self._diff()
        changed_text, _, listing_text = result.output.partition(_LISTING_MARK)
        listing = set(listing_text.split())
        changes = []
        for path in changed_text.splitlines():
            if not path.startswith("/"):
                continue
            if path in self._bin_listing:
                changes.append(FileChange(path, "modified"))
            elif path in listing:
                changes.append(FileChange(path, "added"))
            else:
                changes.append(FileChange(path, "changed"))
        changes += [FileChange(p, "deleted") for p in sorted(self._bin_listing - listing)]
        return changes

    def _bin_dirs(self) -> list[str]:
        dirs = [*self.system_path.split(":"), *STANDARD_BIN_DIRS]
        return [d for i, d in enumerate(dirs) if d.startswith("/") and d not in dirs[:i]]

    def list_programs(self) -> set[str]:
        """Every file in the real (not symlinked) directories of the PATH."""
        result = self.exec(
            _bin_listing_script(self._bin_dirs()),
            shell=self._shell(),
            env={"PATH": self.toolchain or self.system_path},
            timeout=60,
        )
        return set(result.output.split())

    def _diff(self) -> list[FileChange]:
        try:
            raw = self.api.diff(self.id) or []
        except _DOCKER_ERRORS as exc:
            raise self._died_or(exc) from exc
        paths = sorted(str(c["Path"]) for c in raw)
        # Directories show up as "modified" beside the files changed in them: drop them.
        parents = {p for p, q in itertools.pairwise(paths) if q.startswith(p.rstrip("/") + "/")}
        mounts = (MOUNT, "/sbin/docker-init", "/dev/init")  # mount points, not the agent's
        changes = []
        for c in raw:
            path = str(c["Path"])
            if path in parents or any(path == m or path.startswith(m + "/") for m in mounts):
                continue
            changes.append(FileChange(path, _DIFF_KINDS[int(c["Kind"])]))
        return changes

    def grading_view(self) -> DockerSandbox:
        """A fresh container from a snapshot of this one, sharing its network and processes.

        ``docker commit`` pauses the agent's processes while it copies the filesystem, so
        the snapshot is consistent; they run on afterwards (a service keeps answering)
        but cannot write into the snapshot's container, nor reach it through ``/proc``.
        """
        tag = f"{uuid.uuid4().hex[:16]}"
        try:
            image = self.container.commit(
                repository="terminal-gym/grading",
                tag=tag,
                pause=True,
                changes=[f'LABEL {LABEL_OWNER}="{owner_label()}"'],
            )
        except _DOCKER_ERRORS as exc:
            raise self._died_or(exc) from exc
        try:
            view = DockerSandbox(
                self.client,
                self.task,
                str(image.id),
                toolchain=self._toolchain,
                share_with=self.id,
                tmpfs=self._tmpfs,
            )
        except SandboxError:
            self._remove_image(str(image.id))
            raise
        view._snapshots.append(str(image.id))
        return view

    def _remove_image(self, image_id: str) -> None:
        try:
            self.client.images.remove(image_id, force=True)
        except _DOCKER_ERRORS:
            pass

    # -- files -----------------------------------------------------------------------

    def upload(self, src: Path, dest: str, *, replace: bool = True) -> None:
        target = PurePosixPath(dest)
        if replace:
            prep = self.exec(
                f"rm -rf '{target}' && mkdir -p '{target.parent}'",
                shell=self._shell(),
                timeout=30,
            )
            if prep.exit_code != 0:
                raise SandboxError(f"preparing {dest} failed: {prep.output[-500:]}")
        try:
            ok = self.api.put_archive(self.id, str(target.parent), tar_path(src, target.name))
        except _DOCKER_ERRORS as exc:
            raise self._died_or(exc) from exc
        if not ok:
            raise SandboxError(f"uploading {src} to {dest} failed")

    def archive(self, path: str, max_bytes: int) -> bytes | None:
        """The daemon's tar of ``path`` (symlinks are archived as links, never followed)."""
        try:
            stream, _ = self.api.get_archive(self.id, path, chunk_size=1 << 16)
            data = bytearray()
            for chunk in stream:
                data += chunk
                if len(data) > max_bytes:
                    stream.close()
                    raise ArchiveRefusedError(f"{path} is larger than {max_bytes} bytes")
        except docker.errors.NotFound:
            return None
        except _DOCKER_ERRORS as exc:
            raise self._died_or(exc) from exc
        return bytes(data)

    def read_file(self, path: str, max_bytes: int = 1 << 20) -> bytes | None:
        import io
        import tarfile

        try:
            stream, _ = self.api.get_archive(self.id, path)
            data = b"".join(stream)
        except docker.errors.NotFound:
            return None
        except _DOCKER_ERRORS as exc:
            raise self._died_or(exc) from exc
        try:
            with tarfile.open(fileobj=io.BytesIO(data)) as tar:
                member = tar.next()
                if member is None or not member.isfile():
                    return None
                fh = tar.extractfile(member)
                return fh.read(max_bytes) if fh else None
        except tarfile.TarError as exc:  # a stream cut short
            raise SandboxError(f"reading {path} from {self!r} failed: {exc}") from exc

    # -- life ------------------------------------------------------------------------

    def is_alive(self) -> bool:
        """Whether the container runs (a paused one does not).

        Raises:
            BackendUnavailableError: the daemon does not answer, so nobody can tell.
            SandboxError: the daemon answered with an error.
        """
        if self._closed:
            return False
        try:
            self.container.reload()
        except docker.errors.NotFound:
            return False
        except _UNREACHABLE as exc:
            raise _unreachable(exc) from exc
        except docker.errors.DockerException as exc:
            raise SandboxError(f"inspecting {self!r} failed: {exc}") from exc
        return self.container.status == "running"

    def close(self) -> None:
        """Remove the container (running, paused or stopped). Idempotent.

        When the daemon does not answer, the container is remembered and removed by the
        next :meth:`DockerBackend.create`, or at exit; this does not raise then.
        """
        if self._closed:
            return
        self._closed = True
        _live.discard(self)
        try:
            self._remove()
        except BackendUnavailableError:
            _unremoved.append(self)

    def _remove(self) -> None:
        try:
            self.container.remove(force=True, v=True)
        except docker.errors.NotFound:
            pass
        except _UNREACHABLE as exc:
            raise _unreachable(exc) from exc
        except docker.errors.DockerException as exc:
            if "already in progress" not in str(exc):
                raise SandboxError(f"removing {self!r} failed: {exc}") from exc
        finally:
            for image_id in self._snapshots:
                self._remove_image(image_id)

    def _died_or(self, exc: BaseException) -> SandboxError:
        """The error to raise for a failed API call: was the container (or daemon) gone?"""
        try:
            alive = self.is_alive()
        except SandboxError as unknown:  # the daemon does not answer, or errs
            return unknown
        if not alive:
            return SandboxDiedError(f"{self!r} is gone or not running ({exc})")
        return SandboxError(f"{self!r}: {exc}")


def _close_hijacked(sock: Any) -> None:
    """Close a hijacked exec socket now, not when the garbage collector gets to it.

    The SDK hands out a ``SocketIO`` over the connection's socket and keeps the HTTP
    response alive beside it; closing only the ``SocketIO`` leaves the descriptor open.
    """
    for close in (sock._sock.close, sock.close, getattr(sock, "_response", sock).close):
        try:
            close()
        except Exception:
            pass


class _FrameReader:
    """Reads docker's multiplexed stdout/stderr frames into a buffer until EOF.

    The first stdout line is the command's in-container process id (see
    :meth:`DockerSandbox.exec`): it is kept in :attr:`pid`, not in the buffer.
    """

    def __init__(self, buf: BoundedBuffer):
        self.buf = buf
        self.pid: int | None = None
        self._first = b""
        self._first_done = False

    def read(self, sock: Any, deadline: float | None) -> bool:
        """Read until EOF; ``False`` when ``deadline`` passed first."""
        import select

        pending = b""
        poller = select.poll()  # not select: it fails on descriptors above 1023
        poller.register(sock, select.POLLIN)
        while True:
            remaining = None if deadline is None else deadline - time.monotonic()
            if remaining is not None and remaining <= 0:
                return False
            if not poller.poll(None if remaining is None else remaining * 1000):
                continue
            try:
                chunk = sock.recv(65536)
            except BlockingIOError:  # the SDK's socket timeout makes the fd non-blocking
                continue
            if not chunk:
                return True
            pending += chunk
            while len(pending) >= 8:
                (size,) = struct.unpack(">I", pending[4:8])
                if len(pending) < 8 + size:
                    break
                self._frame(pending[0], pending[8 : 8 + size])
                pending = pending[8 + size :]

    def _frame(self, stream: int, data: bytes) -> None:
        if stream == 1 and not self._first_done:
            self._first += data
            line, sep, rest = self._first.partition(b"\n")
            if not sep:
                if len(self._first) > 64:  # not a pid line after all
                    self._first_done = True
                    self.buf.append(self._first)
                return
            self._first_done = True
            if line.strip().isdigit():
                self.pid = int(line.strip())
            else:
                rest = self._first
            data = rest
        if data:
            self.buf.append(data)


def overlay_changes(graph_driver: Mapping[str, Any]) -> list[FileChange] | None:
    """A container's file changes from its overlay2 upper directory, or ``None``.

    ``None`` when the driver is not overlay2 or this process cannot read the directories
    (a remote daemon, a user in the ``docker`` group but not root). Files in the upper
    directory are ``"modified"`` when a lower layer has the path, else ``"added"``; a
    whiteout (a 0/0 character device) is a deletion, and so is every lower entry under an
    opaque directory (one replaced as a whole) that the upper one lacks. Nothing is
    followed: entries are only ``lstat``-ed.
    """
    data = graph_driver.get("Data") or {}
    if graph_driver.get("Name") != "overlay2" or not data.get("UpperDir"):
        return None
    upper = str(data["UpperDir"])
    lowers = [d for d in str(data.get("LowerDir") or "").split(":") if d]
    if not os.access(upper, os.R_OK | os.X_OK) or not all(os.access(d, os.X_OK) for d in lowers):
        return None

    def in_lower(rel: str) -> bool:
        return any(os.path.lexists(os.path.join(d, rel)) for d in lowers)

    changes: list[FileChange] = []
    todo = [""]
    while todo:
        rel_dir = todo.pop()
        try:
            entries = list(os.scandir(os.path.join(upper, rel_dir)))
        except OSError:
            continue
        names = {e.name for e in entries}
        if rel_dir and _is_opaque(os.path.join(upper, rel_dir)):
            for lower in lowers:
                try:
                    gone = set(os.listdir(os.path.join(lower, rel_dir))) - names
                except OSError:
                    continue
                changes += [FileChange("/" + os.path.join(rel_dir, n), "deleted") for n in gone]
        for entry in entries:
            rel = os.path.join(rel_dir, entry.name)
            try:
                st = entry.stat(follow_symlinks=False)
            except OSError:
                continue
            if stat.S_ISCHR(st.st_mode) and st.st_rdev == 0:
                changes.append(FileChange("/" + rel, "deleted"))
            elif stat.S_ISDIR(st.st_mode):
                todo.append(rel)
            else:
                changes.append(FileChange("/" + rel, "modified" if in_lower(rel) else "added"))
    return sorted(set(changes), key=lambda c: c.path)


def _is_opaque(path: str) -> bool:
    for name in ("trusted.overlay.opaque", "user.overlay.opaque"):
        try:
            if os.getxattr(path, name, follow_symlinks=False) == b"y":
                return True
        except OSError:
            continue
    return False


def _bin_listing_script(dirs: Sequence[str]) -> str:
    """A bash script printing every entry of the real directories among ``dirs``."""
    quoted = " ".join(f"'{d}'" for d in dirs if "'" not in d)
    return (
        f'for d in {quoted}; do [ -d "$d" ] && [ ! -L "$d" ] || continue; '
        'for f in "$d"/* "$d"/.[!.]*; do { [ -e "$f" ] || [ -L "$f" ]; } && echo "$f"; done; '
        "done; true"
    )
