"""Offline base images: the local images tasks fall back to when no registry answers.

:data:`DEBIAN_IMAGE` is made by ``debootstrap`` from the machine's apt mirror
(:func:`apt_mirror`) and ``docker import``; :data:`PYTHON_IMAGE` is built on top of it
with ``apt-get`` (:data:`PYTHON_PACKAGES`). :func:`bootstrap` makes whichever is missing
(``terminal-gym images bootstrap``).
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from terminal_gym.errors import ImageBuildError

if TYPE_CHECKING:
    import docker

__all__ = [
    "BASE_IMAGES",
    "DEBIAN_IMAGE",
    "PYTHON_IMAGE",
    "PYTHON_PACKAGES",
    "apt_mirror",
    "bootstrap",
]

DEBIAN_IMAGE = "terminal-gym/debian:bookworm"
PYTHON_IMAGE = "terminal-gym/python:3-bookworm"
BASE_IMAGES = (DEBIAN_IMAGE, PYTHON_IMAGE)

#: Packages of the Python flavour: enough for typical task environments and verifiers.
PYTHON_PACKAGES = (
    "python3 python3-pip python3-venv python3-pytest git procps psmisc less vim-tiny "
    "sqlite3 jq make curl file bc"
)
_PYTHON_DOCKERFILE = f"""\
FROM {DEBIAN_IMAGE}
ENV DEBIAN_FRONTEND=noninteractive PIP_BREAK_SYSTEM_PACKAGES=1
RUN apt-get update && apt-get install -y --no-install-recommends {PYTHON_PACKAGES} \\
    && rm -rf /var/lib/apt/lists/* && ln -sf /usr/bin/python3 /usr/local/bin/python
"""


def apt_mirror(default: str = "http://deb.debian.org/debian") -> str:
    """The machine's Debian mirror, read from its apt sources."""
    files = [Path("/etc/apt/sources.list"), *sorted(Path("/etc/apt/sources.list.d").glob("*"))]
    for path in files:
        try:
            text = path.read_text()
        except OSError:
            continue
        for m in re.finditer(r"(?:^deb\s+(?:\[[^\]]*\]\s+)?|^URIs:\s*)(\S+)", text, re.M):
            uri = m[1]
            if "debian" in uri and "security" not in uri and uri.startswith("http"):
                return uri.rstrip("/")
    return default


def bootstrap(
    client: docker.DockerClient,
    *,
    suite: str = "bookworm",
    mirror: str | None = None,
    force: bool = False,
    log: Callable[[str], None] = print,
) -> list[str]:
    """Build the offline base images; return the names built (present ones are kept).

    Raises:
        ImageBuildError: debootstrap is missing or failed, or the Python flavour
            failed to build.
    """
    built = []
    if force or not _present(client, DEBIAN_IMAGE):
        _debootstrap(client, suite, mirror or apt_mirror(), log)
        built.append(DEBIAN_IMAGE)
    if force or DEBIAN_IMAGE in built or not _present(client, PYTHON_IMAGE):
        _build_python_image(client, log)
        built.append(PYTHON_IMAGE)
    return built


def _present(client: docker.DockerClient, image: str) -> bool:
    return bool(client.images.list(name=image))


def _debootstrap(
    client: docker.DockerClient, suite: str, mirror: str, log: Callable[[str], None]
) -> None:
    """Make :data:`DEBIAN_IMAGE`: a minimal ``suite`` root from ``mirror``, imported."""
    if shutil.which("debootstrap") is None:
        raise ImageBuildError(
            "debootstrap is not installed (apt-get install debootstrap); it builds "
            f"{DEBIAN_IMAGE} from the machine's apt mirror"
        )
    log(f"debootstrap {suite} from {mirror} ...")
    with tempfile.TemporaryDirectory(prefix="terminal-gym-rootfs-") as tmp:
        root = Path(tmp) / "root"
        proc = subprocess.run(
            [
                "debootstrap",
                "--variant=minbase",
                "--include=ca-certificates",
                suite,
                str(root),
                mirror,
            ],
            capture_output=True,
            text=True,
        )
        if proc.returncode != 0:
            raise ImageBuildError(f"debootstrap failed:\n{(proc.stdout + proc.stderr)[-2000:]}")
        for junk in ("var/cache/apt/archives", "var/lib/apt/lists"):
            shutil.rmtree(root / junk, ignore_errors=True)
            (root / junk).mkdir(parents=True, exist_ok=True)
        tarball = Path(tmp) / "rootfs.tar"
        subprocess.run(["tar", "-C", str(root), "-cf", str(tarball), "."], check=True)
        repo, tag = DEBIAN_IMAGE.split(":")
        client.api.import_image_from_file(
            str(tarball), repository=repo, tag=tag, changes=["ENV LANG=C.UTF-8", 'CMD ["bash"]']
        )


def _build_python_image(client: docker.DockerClient, log: Callable[[str], None]) -> None:
    """Make :data:`PYTHON_IMAGE` on top of :data:`DEBIAN_IMAGE`."""
    import docker.errors

    log(f"building {PYTHON_IMAGE} ...")
    with tempfile.TemporaryDirectory(prefix="terminal-gym-pyimg-") as tmp:
        (Path(tmp) / "Dockerfile").write_text(_PYTHON_DOCKERFILE)
        try:
            client.images.build(path=tmp, tag=PYTHON_IMAGE, rm=True, forcerm=True)
        except docker.errors.BuildError as exc:
            tail = "".join(str(c.get("stream", c.get("error", ""))) for c in exc.build_log)
            raise ImageBuildError(f"building {PYTHON_IMAGE} failed:\n{tail[-2000:]}") from exc
