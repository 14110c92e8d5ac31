"""The local backend: no daemon needed.

With bubblewrap (``bwrap``) each sandbox is a private root: the host's system
directories (``/usr``, ``/etc``, ...) read-only, and fresh writable directories for
the task's own paths (its workdir, ``/tests``, ``/logs``, ``/solution``, ``/tmp``,
``/root``, and whatever its Dockerfile copies into). The task's Dockerfile is
replayed on that root: ``WORKDIR``, ``ENV``, ``COPY``/``ADD`` of local files, and ``RUN``
lines (which run inside the sandbox with the host's tools; a line that needs to write
system directories, like ``apt-get install``, makes the task unsupported here).

Without bubblewrap the backend is unavailable, unless ``isolation="none"`` is asked for
explicitly: a sandbox is then a plain temp directory (a warning says so) under which the
task's absolute paths are mapped for everything terminal-gym itself runs (Dockerfile
replay, verifier, uploads), while the agent's commands run on the host unconfined.

With bubblewrap, the trusted grading toolchain (:mod:`terminal_gym.sandbox.toolchain`) is
bound read-only at ``/.terminal-gym``, and every process runs in a process namespace of its
own: stopping the agent before grading tears the namespaces down, which ends every process
the episode started, whatever session or group it moved to or environment it scrubbed. A
task that keeps its processes into grading (a service) runs in the host's process
namespace instead, as does everything without bubblewrap; there stopping is best effort
(process sessions, and the sandbox's marker in the environment). Without bubblewrap the
verifier's ``python3`` and ``pytest`` are terminal-gym's own interpreter and pytest.

Network: a task without network (``no-network``, or ``allowlist``, which fails closed)
gets a network namespace of its own per process (``--unshare-net``: loopback only), except
during the Dockerfile replay and for tasks that keep their processes into grading (their
verifier must reach them, so they share the host's network, as ``info`` reports).

Users: bubblewrap runs everything as the host user, so tasks that declare an agent or
verifier user are refused (use Docker).

Limits: the local backend does not enforce cpu / memory limits; use Docker for untrusted
agents.
"""

from __future__ import annotations

import io
import os
import re
import shlex
import shutil
import signal
import stat
import subprocess
import sys
import tarfile
import tempfile
import time
import uuid
import warnings
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path, PurePosixPath

import pexpect

from terminal_gym.errors import (
    ArchiveRefusedError,
    BackendUnavailableError,
    SandboxError,
    ToolchainError,
    UnsupportedTaskError,
)
from terminal_gym.output import BoundedBuffer
from terminal_gym.sandbox.base import (
    STANDARD_PATH,
    ExecResult,
    FileChange,
    NetworkEnforced,
    PtyHandle,
    StopReport,
    declared_users,
    enforced_network,
)
from terminal_gym.sandbox.toolchain import MOUNT, Toolchain, ensure_toolchain
from terminal_gym.tasks import dockerfile
from terminal_gym.tasks.spec import EnvironmentSpec, Task

_SYSTEM_DIRS = ("usr", "bin", "sbin", "lib", "lib32", "lib64", "libx32", "etc", "opt")
#: System directories that stay the host's, read-only, even when a task writes into them
#: (a task that copies into ``/opt`` gets a fresh ``/opt`` instead of the host's).
_READ_ONLY_DIRS = tuple(d for d in _SYSTEM_DIRS if d != "opt")
_ALWAYS_WRITABLE = ("tmp", "root", "var", "logs", "tests", "solution", "run")
#: Dockerfile instructions replayed on the sandbox; the metadata ones are ignored.
_REPLAYED = frozenset({"WORKDIR", "ENV", "COPY", "ADD", "RUN", "USER"})
_IGNORED = dockerfile.METADATA_KEYWORDS | {"FROM"}
_MARKER = "TERMINAL_GYM_SANDBOX"
#: A local sandbox's root is ``<tmp>/terminal-gym-local-<owner pid>-<random>``.
LOCAL_DIR_PREFIX = "terminal-gym-local-"


def bwrap_path() -> str | None:
    return shutil.which("bwrap")


def _kill_matching(proc_file: str, matches: Callable[[bytes], bool]) -> None:
    """SIGKILL every host process (but this one) whose ``/proc/<pid>/<proc_file>`` matches."""
    me = os.getpid()
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == me:
            continue
        try:
            with open(f"/proc/{entry}/{proc_file}", "rb") as fh:
                found = matches(fh.read())
        except OSError:
            continue
        if found:
            try:
                os.kill(int(entry), signal.SIGKILL)
            except OSError:
                pass


def _kill_marked(marker: bytes) -> None:
    """Kill every host process whose environment holds ``marker`` (a sandbox's id)."""
    _kill_matching("environ", lambda environ: marker in environ.split(b"\0"))


def _kill_session(sid: int) -> None:
    """Kill every host process whose session id is ``sid``."""
    _kill_matching("stat", lambda stat: int(stat.rsplit(b")", 1)[1].split()[3]) == sid)


def _descendants(roots: set[int]) -> set[int]:
    """Host processes below ``roots`` (not the roots themselves)."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as fh:
                ppid = int(fh.read().rsplit(b")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        children.setdefault(ppid, []).append(int(entry))
    found: set[int] = set()
    todo = list(roots)
    while todo:
        for child in children.get(todo.pop(), ()):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def _host_shims() -> Path:
    """``python3``/``pytest`` scripts running terminal-gym's own interpreter (no bubblewrap)."""
    shims = Path(tempfile.gettempdir()) / f"terminal-gym-shims-{os.getuid()}" / "bin"
    if not (shims / "pytest").is_file():
        shims.mkdir(parents=True, exist_ok=True)
        python = shlex.quote(sys.executable)
        for name, line in {
            "python3": f'exec {python} -s "$@"',
            "python": f'exec {python} -s "$@"',
            "pytest": f'exec {python} -s -m pytest -p no:cacheprovider "$@"',
        }.items():
            tmp = shims / f".{name}.{os.getpid()}"
            tmp.write_text(f"#!/bin/sh\n{line}\n")
            tmp.chmod(0o755)
            tmp.replace(shims / name)
    return shims


class LocalBackend:
    """Makes :class:`LocalSandbox` es.

    Args:
        isolation: ``"auto"`` or ``"bwrap"`` (bubblewrap; without it the backend is
            unavailable), or ``"none"``: a temp dir for terminal-gym's own commands, the
            agent's running unconfined on the host (explicit only, with a warning).
        toolchain: bind the trusted grading toolchain into bubblewrap sandboxes (default).

    Attributes:
        toolchain: the toolchain bound into sandboxes, or ``None``; ``toolchain_error``
            says why not.
    """

    name = "local"

    def __init__(self, isolation: str = "auto", *, toolchain: bool = True):
        if isolation not in ("auto", "bwrap", "none"):
            raise ValueError(f"isolation must be 'auto', 'bwrap' or 'none', not {isolation!r}")
        if isolation in ("auto", "bwrap") and not bwrap_path():
            # Never fall back silently to running agents on the host: their commands
            # would write the host's own /app, /root, /tmp.
            raise BackendUnavailableError(
                "bubblewrap (bwrap) is not installed: install it (apt-get install "
                "bubblewrap) or start a Docker daemon; isolation='none' runs agents "
                "unsandboxed on this host"
            )
        if isolation == "auto":
            isolation = "bwrap"
        if isolation == "none":
            warnings.warn(
                "isolation='none': the local backend runs agents UNSANDBOXED on this "
                "host (their commands see its real paths); install bubblewrap or use "
                "Docker for isolation",
                RuntimeWarning,
                stacklevel=2,
            )
        self.isolation = isolation
        self.toolchain: Toolchain | None = None
        self.toolchain_error: str | None = "turned off (toolchain=False)"
        if isolation == "none":
            self.toolchain_error = "without bubblewrap there is nothing to bind it into"
        elif toolchain:
            try:
                self.toolchain = ensure_toolchain()
                self.toolchain_error = None
            except ToolchainError as exc:
                self.toolchain_error = str(exc)

    def __deepcopy__(self, memo: dict[int, object]) -> object:
        """Backends are shared services: env specs holding one copy the reference."""
        return self

    def unsupported_reason(self, task: Task) -> str | None:
        if task.metadata.get("local_backend") is False:
            return "the task says it needs a container ([metadata] local_backend = false)"
        users = declared_users(task)
        if users:
            return (
                f"the task runs commands as user {users[0]!r}; bubblewrap runs everything as "
                "the host's user, so the local backend cannot (use Docker)"
            )
        reason = self._environment_reason(task.environment)
        verifier = task.verifier.environment
        if reason is None and verifier is not None:
            reason = self._environment_reason(verifier)
            reason = reason and f"its separate verifier environment: {reason}"
        return reason

    def _environment_reason(self, env: EnvironmentSpec) -> str | None:
        if env.dockerfile is None:
            return "the local backend needs a Dockerfile to replay (docker_image only)"
        if env.workdir and LocalSandbox._top(env.workdir) in _READ_ONLY_DIRS:
            return f"workdir {env.workdir} is in a read-only host system directory"
        cwd = "/"
        for step in dockerfile.parse(env.dockerfile.read_text()):
            word, args = step.keyword, step.args
            if word in ("COPY", "ADD") and ("--from" in args or "://" in args):
                return f"{word} {args[:60]} needs a build stage or a download"
            if word in ("COPY", "ADD") and step.heredocs:
                return f"{word} {args[:60]} takes a heredoc, not replayed locally"
            if word in ("WORKDIR", "COPY", "ADD"):
                words = step.words
                dest = args if word == "WORKDIR" else (words[-1] if words else "")
                path = str(PurePosixPath(cwd) / dest)
                cwd = path if word == "WORKDIR" else cwd
                if LocalSandbox._top(path) in _READ_ONLY_DIRS:
                    return (
                        f"{word} {args[:60]} writes into {path}, a read-only host system "
                        "directory on the local backend"
                    )
            if word == "USER" and args.split(":")[0] not in ("root", "0"):
                return f"USER {args} is not supported locally"
            if word == "FROM" and dockerfile.parse_from(args).alias:
                return "multi-stage builds are not supported locally"
            if word not in _IGNORED | _REPLAYED:
                return f"Dockerfile instruction {word} is not supported locally"
        return None

    def prepare(self, task: Task) -> None:
        reason = self.unsupported_reason(task)
        if reason:
            raise UnsupportedTaskError(f"task {task.id!r}: {reason}")

    def create(self, task: Task) -> LocalSandbox:
        self.prepare(task)
        return LocalSandbox(task, isolation=self.isolation, toolchain=self.toolchain)

    def close(self) -> None:
        pass


class LocalSandbox:
    """A bubblewrap jail (or a temp dir) holding one task's files."""

    backend = "local"

    def __init__(self, task: Task, *, isolation: str = "bwrap", toolchain: Toolchain | None = None):
        self.task = task
        self.isolation = isolation
        self.id = f"local-{uuid.uuid4().hex[:12]}"
        self.root = Path(tempfile.mkdtemp(prefix=f"{LOCAL_DIR_PREFIX}{os.getpid()}-"))
        self._closed = False
        self._children: list[pexpect.spawn] = []
        self._toolchain = toolchain if isolation == "bwrap" else None
        if self._toolchain is not None:
            self.toolchain: str | None = self._toolchain.bin
        else:
            self.toolchain = str(_host_shims()) if isolation != "bwrap" else None
        # Every process in a namespace of its own, unless the task's processes must
        # stay visible to the verifier (which then shares the host's, like them).
        self._own_pids = isolation == "bwrap" and task.verifier.agent_processes == "stop"
        # No network: a namespace of its own per process, set after the Dockerfile replay.
        self._own_net = False
        self.network: NetworkEnforced = "public"
        self.system_path = STANDARD_PATH
        assert task.environment.dockerfile is not None  # unsupported_reason() says so
        steps = dockerfile.parse(task.environment.dockerfile.read_text())
        workdir: str | None = None  # the image's WORKDIR; the task's own workdir wins, as in Docker
        for step in steps:
            if step.keyword == "WORKDIR":
                workdir = str(PurePosixPath(workdir or "/") / step.args)
        self.workdir = task.environment.workdir or workdir or "/root"
        self.env = {
            "PATH": STANDARD_PATH,
            "HOME": "/root",
            "LANG": "C.UTF-8",
            "HOSTNAME": "sandbox",
        }
        tops = set(_ALWAYS_WRITABLE) | {self._top(self.workdir)}
        for step in steps:
            if step.keyword in ("COPY", "ADD"):
                tops.add(self._top(step.words[-1]))
        tops -= {"", *_READ_ONLY_DIRS}
        for top in tops:
            (self.root / top).mkdir(parents=True, exist_ok=True)
        self._tops = sorted(tops)
        try:
            self._replay(steps)
            self.env.update(task.environment.env)
            self.system_path = self.env.get("PATH", STANDARD_PATH)
            self._manifest = self._snapshot()
            if self._own_pids and enforced_network(task.environment) == "no-network":
                self._own_net = True
                self.network = "no-network"
        except Exception:
            self.close()
            raise

    def __repr__(self) -> str:
        return f"LocalSandbox({self.id}, {self.isolation}, task={self.task.id!r})"

    @staticmethod
    def _top(path: str) -> str:
        parts = PurePosixPath(path).parts
        return parts[1] if len(parts) > 1 else ""

    def host_path(self, path: str) -> Path:
        """Where a sandbox path lives on the host."""
        return self.root / PurePosixPath(path).relative_to("/")

    def _map(self, command: str) -> str:
        """Without bwrap: point the task's absolute paths at the temp root."""
        if self.isolation == "bwrap" or not self._tops:
            return command
        # One pass over all the tops: the root itself lies under /tmp, and mapping the
        # tops one after another would map the /tmp of an already mapped path again.
        tops = "|".join(re.escape(top) for top in self._tops)
        return re.sub(rf"(?<![\w./-])/({tops})(?=/|\b)", lambda m: f"{self.root}/{m[1]}", command)

    # -- Dockerfile replay ---------------------------------------------------------------

    def _replay(self, steps: list[dockerfile.Instruction]) -> None:
        context = self.task.environment.context_dir
        assert context is not None
        cwd = "/"
        for step in steps:
            word = step.keyword
            if word == "WORKDIR":
                cwd = str(PurePosixPath(cwd) / step.args)
                self.host_path(cwd).mkdir(parents=True, exist_ok=True)
            elif word == "ENV":
                self.env.update(step.variables)
            elif word in ("COPY", "ADD"):
                words = [w for w in step.words if not w.startswith("--")]
                *sources, dest = words
                dest_abs = str(PurePosixPath(cwd) / dest)
                for src in sources:
                    self._copy_in(
                        context / src, dest_abs, into=dest.endswith("/") or len(sources) > 1
                    )
            elif word == "RUN":
                command = step.shell_command
                result = self.exec(
                    command, workdir=cwd, timeout=self.task.environment.build_timeout_sec
                )
                if result.exit_code != 0:
                    raise UnsupportedTaskError(
                        f"task {self.task.id!r}: replaying `RUN {command[:80]}` on the local "
                        f"backend failed (exit {result.exit_code}): {result.output[-400:]}"
                    )

    def _copy_in(self, src: Path, dest: str, *, into: bool) -> None:
        target = self.host_path(dest)
        if src.is_dir():
            shutil.copytree(src, target, dirs_exist_ok=True, symlinks=True)
        else:
            if into or target.is_dir():
                target.mkdir(parents=True, exist_ok=True)
                target = target / src.name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, target)

    # -- processes -------------------------------------------------------------------------

    def _argv(self, argv: Sequence[str], workdir: str) -> list[str]:
        if self.isolation != "bwrap":
            return list(argv)
        args = [
            bwrap_path() or "bwrap",
            "--die-with-parent",
            "--unshare-ipc",
            "--unshare-uts",
            *(["--unshare-pid"] if self._own_pids else []),
            *(["--unshare-net"] if self._own_net else []),
            "--hostname",
            "sandbox",
            "--proc",
            "/proc",
            "--dev",
            "/dev",
        ]
        for name in sorted(os.listdir("/")):
            host = Path("/") / name
            if name in self._tops or name not in _SYSTEM_DIRS:
                continue
            if host.is_symlink():
                args += ["--symlink", os.readlink(host), f"/{name}"]
            elif host.is_dir():
                args += ["--ro-bind", str(host), f"/{name}"]
        for top in self._tops:
            args += ["--bind", str(self.root / top), f"/{top}"]
        if self._toolchain is not None:
            args += ["--ro-bind", str(self._toolchain.root), MOUNT]
        return [*args, "--chdir", workdir, *argv]

    def _environ(self, extra: Mapping[str, str] | None) -> dict[str, str]:
        env = {**self.env, **(extra or {}), _MARKER: self.id}
        if self.isolation != "bwrap":
            env = {k: self._map(v) for k, v in env.items()}
            env["HOME"] = str(self.host_path("/root"))
        return env

    def _cwd(self, workdir: str | None) -> tuple[str, str | None]:
        """(the workdir as the sandbox sees it, the host cwd to start in)."""
        wd = workdir or self.workdir
        self.host_path(wd).mkdir(parents=True, exist_ok=True)
        return wd, None if self.isolation == "bwrap" else str(self.host_path(wd))

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
        _no_user(user)
        wd, host_cwd = self._cwd(workdir)
        full = self._argv(argv, wd)
        child = pexpect.spawn(
            full[0],
            full[1:],
            env=self._environ(env),
            cwd=host_cwd,
            dimensions=(rows, cols),
            timeout=None,
            preexec_fn=_default_signals,
            use_poll=True,  # select fails on descriptors above 1023 (many envs)
        )
        child.delaybeforesend = None
        child.delayafterclose = child.delayafterterminate = 0.0  # it is SIGKILLed first
        self._children.append(child)

        def terminate(_pid: int | None) -> None:
            _kill_session(child.pid)
            child.close(force=True)

        return PtyHandle(child=child, terminate=terminate)

    def exec(
        self,
        command: str,
        *,
        timeout: float | None = None,
        env: Mapping[str, str] | None = None,
        workdir: str | None = None,
        shell: str = "sh",
        user: str | None = None,
        max_output_bytes: int = 256 * 1024,
    ) -> ExecResult:
        _no_user(user)
        if self._closed:
            raise SandboxError(f"{self!r} is closed")
        wd, host_cwd = self._cwd(workdir)
        started = time.monotonic()
        proc = subprocess.Popen(
            self._argv([shell, "-c", self._map(command)], wd),
            env=self._environ(env),
            cwd=host_cwd,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=_default_signals,
        )
        try:
            out, _ = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            _kill_session(proc.pid)
            out, _ = proc.communicate()
            buf = BoundedBuffer(max_output_bytes)
            buf.append(out)
            return ExecResult(-1, buf.text(), time.monotonic() - started, timed_out=True)
        buf = BoundedBuffer(max_output_bytes)
        buf.append(out)
        return ExecResult(proc.returncode, buf.text(), time.monotonic() - started)

    # -- files ----------------------------------------------------------------------------

    def upload(self, src: Path, dest: str, *, replace: bool = True) -> None:
        target = self.host_path(dest)
        if target.is_dir() and not target.is_symlink():
            # Empty it in place: a top-level directory is a bind mount of this inode.
            for child in target.iterdir():
                if child.is_dir() and not child.is_symlink():
                    shutil.rmtree(child)
                else:
                    child.unlink()
        elif target.exists() or target.is_symlink():
            target.unlink()
        target.parent.mkdir(parents=True, exist_ok=True)
        if src.is_dir():
            shutil.copytree(src, target, symlinks=True, dirs_exist_ok=True)
        else:
            shutil.copy2(src, target)
        if self.isolation != "bwrap":
            for path in [target] if target.is_file() else target.rglob("*"):
                if path.is_file() and path.suffix in ("", ".sh", ".py", ".txt", ".toml", ".yaml"):
                    try:
                        path.write_text(self._map(path.read_text()))
                    except (UnicodeDecodeError, OSError):
                        pass

    def read_file(self, path: str, max_bytes: int = 1 << 20) -> bytes | None:
        target = self.host_path(path)
        if not target.is_file():
            return None
        with open(target, "rb") as fh:
            return fh.read(max_bytes)

    def archive(self, path: str, max_bytes: int) -> bytes | None:
        target = self.host_path(path)
        # The host resolves symlinks: one above the path (/app/out -> /etc) would read
        # the host's files, so none is crossed. The path itself is archived as a link.
        for parent in reversed(target.relative_to(self.root).parents[:-1]):
            if (self.root / parent).is_symlink():
                raise ArchiveRefusedError(f"{path} is reached through a symlink (/{parent})")
        if not (target.exists() or target.is_symlink()):
            return None
        data = io.BytesIO()
        with tarfile.open(fileobj=data, mode="w") as tar:
            # add() stores symlinks as links (never followed); the size is checked per entry.
            inside = _walk(target) if target.is_dir() and not target.is_symlink() else []
            for entry in [target, *inside]:
                arcname = str(PurePosixPath(target.name) / entry.relative_to(target).as_posix())
                tar.add(str(entry), arcname=arcname, recursive=False)
                if data.tell() > max_bytes:
                    raise ArchiveRefusedError(f"{path} is larger than {max_bytes} bytes")
        return data.getvalue()

    def is_alive(self) -> bool:
        return not self._closed and self.root.is_dir()

    # -- grading ---------------------------------------------------------------------------

    def stop_processes(self) -> StopReport:
        live = [c for c in self._children if c.isalive()]
        found = _descendants({c.pid for c in live})
        for child in live:
            _kill_session(child.pid)
            child.close(force=True)
        self._children = []
        marker = f"{_MARKER}={self.id}".encode()
        _kill_marked(marker)
        if self._own_pids:
            # Each bwrap's process 1 dies with it (--die-with-parent), and with process 1
            # the kernel kills everything else in that namespace.
            return StopReport("pid-namespace", stopped=max(len(found) - len(live), 0))
        survivors = 0
        for pid in found:
            try:
                os.kill(pid, 0)
                survivors += 1
            except OSError:
                pass
        return StopReport("session", stopped=len(found), survivors=survivors)

    def changes(self) -> list[FileChange]:
        now = self._snapshot()
        before = self._manifest
        result = [FileChange(p, "added") for p in now.keys() - before.keys() if not now[p][0]]
        result += [FileChange(p, "deleted") for p in before.keys() - now.keys() if not before[p][0]]
        result += [
            FileChange(p, "modified")
            for p in now.keys() & before.keys()
            if now[p] != before[p] and not now[p][0]
        ]
        return sorted(result, key=lambda c: c.path)

    def grading_view(self) -> LocalSandbox:
        return self

    def _snapshot(self) -> dict[str, tuple[bool, int, int, int]]:
        """``{sandbox path: (is a directory, mode, size, mtime)}`` of the writable tree."""
        found: dict[str, tuple[bool, int, int, int]] = {}
        todo = [self.root]
        while todo:
            try:
                entries = list(os.scandir(todo.pop()))
            except OSError:
                continue
            for entry in entries:
                try:
                    st = entry.stat(follow_symlinks=False)
                except OSError:
                    continue
                is_dir = stat.S_ISDIR(st.st_mode)
                path = "/" + os.path.relpath(entry.path, self.root)
                found[path] = (is_dir, st.st_mode, st.st_size, st.st_mtime_ns)
                if is_dir:
                    todo.append(Path(entry.path))
        return found

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        for child in self._children:
            _kill_session(child.pid)
            child.close(force=True)
        # Daemons the agent started (setsid, nohup) left the session but kept the marker.
        _kill_marked(f"{_MARKER}={self.id}".encode())
        shutil.rmtree(self.root, ignore_errors=True)


#: Signals a sandbox's processes start with at their default action, whatever the host
#: process ignores (Python ignores SIGPIPE; a library may ignore SIGINT): an ignored
#: signal is inherited, and bash cannot undo it, so Ctrl-C would not stop a command.
_RESET_SIGNALS = tuple(
    getattr(signal, name)
    for name in (
        "SIGPIPE", "SIGINT", "SIGQUIT", "SIGTERM", "SIGHUP", "SIGTSTP", "SIGTTIN",
        "SIGTTOU", "SIGUSR1", "SIGUSR2", "SIGALRM", "SIGXFSZ",
    )
)  # fmt: skip


def _walk(root: Path) -> list[Path]:
    """Every entry under ``root``, parents first, no symlink followed."""
    found: list[Path] = []
    for dirpath, dirnames, filenames in os.walk(root):
        found += [Path(dirpath) / n for n in sorted(dirnames) + sorted(filenames)]
    return found


def _no_user(user: str | None) -> None:
    if user is not None:
        raise UnsupportedTaskError(
            f"the local backend cannot run commands as user {user!r} (use Docker)"
        )


def _default_signals() -> None:
    """Run in the child before exec: every signal of :data:`_RESET_SIGNALS` at its default."""
    for sig in _RESET_SIGNALS:
        signal.signal(sig, signal.SIG_DFL)
