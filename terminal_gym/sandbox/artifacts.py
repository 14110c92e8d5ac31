"""Artifacts: files taken out of an agent's sandbox for a verifier that runs elsewhere.

The agent controls every byte of them, names, links and sizes included, so
:func:`collect_artifacts` takes each declared path as a tar archive (symlinks archived as
links, never followed), bounds the total size, and extracts onto the host only what is
safe: regular files and directories, and symlinks whose target stays inside the artifact
(relative, not climbing out). Absolute or escaping symlinks, hard links, devices, FIFOs
and sockets are left out and reported; set-id bits and group/other write bits are
cleared (:func:`tarfile.data_filter`). A path that does not exist is reported missing,
not an error: the verifier decides what that is worth.
"""

from __future__ import annotations

import fnmatch
import io
import posixpath
import tarfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from terminal_gym.errors import ArchiveRefusedError, SandboxError
from terminal_gym.sandbox.base import Sandbox
from terminal_gym.tasks.spec import Artifact

#: Most bytes (of tar archives) taken out of one sandbox, all artifacts together.
MAX_ARTIFACT_BYTES = 256 << 20
#: Where a separate verifier finds the artifacts, under their destinations.
ARTIFACTS_DIR = "/logs/artifacts"


@dataclass(frozen=True)
class CollectedArtifact:
    """One artifact on the host.

    Attributes:
        source: its path in the agent's sandbox.
        destination: its path relative to :data:`ARTIFACTS_DIR`.
        host_path: the extracted file or directory.
        bytes: bytes of regular files kept.
        files: regular files kept.
    """

    source: str
    destination: str
    host_path: Path
    bytes: int
    files: int


@dataclass
class ArtifactReport:
    """What :func:`collect_artifacts` found, for ``info``."""

    collected: list[CollectedArtifact] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    refused: list[dict[str, str]] = field(default_factory=list)
    archive_bytes: int = 0

    def to_info(self) -> dict[str, Any]:
        return {
            "collected": [
                {"source": a.source, "destination": a.destination, "bytes": a.bytes}
                | {"files": a.files}
                for a in self.collected
            ],
            "missing": list(self.missing),
            "refused": list(self.refused),
            "bytes": sum(a.bytes for a in self.collected),
        }


def artifact_destination(artifact: Artifact) -> str:
    """The artifact's path below :data:`ARTIFACTS_DIR`: its ``destination``, else its
    source path without the leading ``/``.

    >>> artifact_destination(Artifact("/app/out.txt"))
    'app/out.txt'

    Raises:
        ValueError: a destination that is absolute or climbs out (``..``).
    """
    dest = artifact.destination or artifact.source.lstrip("/")
    norm = posixpath.normpath(dest)
    if not dest or dest.startswith("/") or norm == ".." or norm.startswith("../") or norm == ".":
        raise ValueError(f"artifact destination {dest!r} must be a relative path inside")
    return norm


def collect_artifacts(
    sandbox: Sandbox,
    artifacts: Sequence[Artifact],
    into: Path,
    *,
    max_bytes: int = MAX_ARTIFACT_BYTES,
) -> ArtifactReport:
    """Copy ``artifacts`` out of ``sandbox`` into ``into`` (an empty host directory).

    Raises:
        SandboxError: the sandbox failed (not the agent's doing: an oversized or unsafe
            path is reported in ``refused`` instead).
    """
    report = ArtifactReport()
    for index, artifact in enumerate(artifacts):
        source = posixpath.normpath(artifact.source)
        if not source.startswith("/") or source == "/":
            report.refused.append({"path": artifact.source, "why": "not an absolute path below /"})
            continue
        try:
            destination = artifact_destination(artifact)
        except ValueError as exc:
            report.refused.append({"path": artifact.source, "why": str(exc)})
            continue
        try:
            data = sandbox.archive(source, max_bytes - report.archive_bytes)
        except ArchiveRefusedError as exc:
            report.refused.append({"path": source, "why": str(exc)})
            continue
        if data is None:
            report.missing.append(source)
            continue
        report.archive_bytes += len(data)
        root = into / str(index)
        root.mkdir(parents=True)
        try:
            kept = _extract(data, root, artifact.exclude, source, report.refused)
        except (tarfile.TarError, OSError) as exc:
            raise SandboxError(f"reading artifact {source} failed: {exc}") from exc
        if kept is not None:
            host_path, nbytes, nfiles = kept
            report.collected.append(
                CollectedArtifact(source, destination, host_path, nbytes, nfiles)
            )
    return report


def _extract(
    data: bytes, root: Path, exclude: Sequence[str], source: str, refused: list[dict[str, str]]
) -> tuple[Path, int, int] | None:
    """Extract the safe members of one artifact's archive below ``root``; ``None`` when
    the artifact itself is not a regular file or a directory."""
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        members = tar.getmembers()
        if not members:
            return None
        top = members[0].name.strip("/")
        if "/" in top or not top or top in (".", ".."):
            refused.append({"path": source, "why": f"unexpected archive entry {top!r}"})
            return None
        kind = _unsafe_kind(members[0], top, set())
        if kind is not None:
            refused.append({"path": source, "why": kind})
            return None
        links = {m.name.strip("/") for m in members if m.issym()}
        seen: set[str] = set()
        keep: list[tarfile.TarInfo] = []
        nbytes = nfiles = 0
        for member in members:
            name = member.name.strip("/")
            rel = name[len(top) + 1 :] if name.startswith(top + "/") else ""
            if name != top and not rel:
                refused.append({"path": f"{source}/{name}", "why": "outside the artifact"})
                continue
            if rel and _excluded(rel, exclude):
                continue
            where = f"{source}/{rel}" if rel else source
            kind = _unsafe_kind(member, name, links)
            if name in seen:
                kind = "a second entry of the same name"
            elif any(parent in links for parent in _parents(name)):
                kind = "below a symlink"
            seen.add(name)
            if kind is None:
                try:
                    member = tarfile.data_filter(member, str(root))
                except tarfile.FilterError as exc:
                    kind = str(exc)
            if kind is not None:
                refused.append({"path": where, "why": kind})
                continue
            keep.append(member)
            if member.isfile():
                nbytes += member.size
                nfiles += 1
        tar.extractall(root, members=keep, filter="fully_trusted")
    return root / top, nbytes, nfiles


def _parents(name: str) -> list[str]:
    parts = name.split("/")
    return ["/".join(parts[:i]) for i in range(1, len(parts))]


def _unsafe_kind(member: tarfile.TarInfo, name: str, links: set[str]) -> str | None:
    """Why ``member`` is not taken, or ``None`` for a file, a directory or an inside link.

    A link's target is resolved as the kernel would, step by step: it must stay inside
    the artifact and cross no other link (whose own target would change the meaning of a
    ``..`` after it), so that where it points is what its text says.
    """
    if member.isfile() or member.isdir():
        return None
    if member.issym():
        target = member.linkname
        if target.startswith("/"):
            return f"a symlink to an absolute path ({target[:200]})"
        top = PurePosixPath(name).parts[0]
        at = posixpath.dirname(name).split("/")
        for part in target.split("/"):
            if part in ("", "."):
                continue
            if "/".join(at) in links:
                return f"a symlink through another symlink ({target[:200]})"
            at = at[:-1] if part == ".." else [*at, part]
            if not at or at[0] != top:
                return f"a symlink pointing outside the artifact ({target[:200]})"
        return None
    if member.islnk():
        return "a hard link"
    return "not a regular file, directory or symlink"


def _excluded(rel: str, patterns: Sequence[str]) -> bool:
    """Whether ``rel`` or a directory above it matches a pattern, as ``tar --exclude``
    matches: against the whole path or any trailing part of it."""
    parts = rel.split("/")
    for end in range(1, len(parts) + 1):
        for start in range(end):
            tail = "/".join(parts[start:end])
            if any(fnmatch.fnmatchcase(tail, p.rstrip("/")) for p in patterns):
                return True
    return False
