"""Offline base images: the local images tasks fall back to when no registry answers.

:data:`DEBIAN_IMAGE` is made by ``debootstrap`` from the machine's apt mirror
(:func:`apt_mirror`) and ``docker import``; :data:`PYTHON_IMAGE` is built on top of it
with ``apt-get`` (:data:`PYTHON_PACKAGES`). :func:`bootstrap` makes whichever is missing
or was made by an older bootstrap (``terminal-gym images bootstrap``).

The image's apt sources list every suite of the release the mirrors have
(:func:`apt_suites`: ``bookworm``, ``bookworm-updates``, ``bookworm-security``), as the
official Debian images do, so a Dockerfile that pins a security-updated version
installs it. Labels record what the images hold: :data:`LABEL_VERSION` (the bootstrap
that made them, :data:`BOOTSTRAP_VERSION`), :data:`LABEL_RELEASE`, :data:`LABEL_SUITES`
and, on the Python flavour, :data:`LABEL_PYTHON`.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from terminal_gym.errors import ImageBuildError

if TYPE_CHECKING:
    import docker

__all__ = [
    "BASE_IMAGES",
    "BOOTSTRAP_VERSION",
    "DEBIAN_IMAGE",
    "LABEL_PYTHON",
    "LABEL_RELEASE",
    "LABEL_SUITES",
    "LABEL_VERSION",
    "PYTHON_IMAGE",
    "PYTHON_PACKAGES",
    "apt_mirror",
    "apt_suites",
    "bootstrap",
    "security_mirror",
]

DEBIAN_IMAGE = "terminal-gym/debian:bookworm"
PYTHON_IMAGE = "terminal-gym/python:3-bookworm"
BASE_IMAGES = (DEBIAN_IMAGE, PYTHON_IMAGE)

#: The version of this bootstrap: images labelled with an older one (or none) are rebuilt.
BOOTSTRAP_VERSION = 2
LABEL_VERSION = "org.terminal-gym.bootstrap"
#: The Debian codename of a base image.
LABEL_RELEASE = "org.terminal-gym.release"
#: The apt suites in its sources, space-separated.
LABEL_SUITES = "org.terminal-gym.apt-suites"
#: Its Python's ``major.minor`` (the Python flavour only).
LABEL_PYTHON = "org.terminal-gym.python"

#: Packages of the Python flavour: enough for typical task environments and verifiers.
PYTHON_PACKAGES = (
    "python3 python3-pip python3-venv python3-pytest git procps psmisc less vim-tiny "
    "sqlite3 jq make curl file bc"
)
_PYTHON_DOCKERFILE = f"""\
FROM {DEBIAN_IMAGE}
ENV DEBIAN_FRONTEND=noninteractive PIP_BREAK_SYSTEM_PACKAGES=1
RUN apt-get update && apt-get install -y --no-install-recommends {PYTHON_PACKAGES} \\
    && rm -rf /var/lib/apt/lists/* && ln -sf /usr/bin/python3 /usr/local/bin/python \\
    && python3 -c 'import sys; print("%d.%d" % sys.version_info[:2])' > /etc/terminal-gym-python
"""


def _sources_uris() -> list[str]:
    files = [Path("/etc/apt/sources.list"), *sorted(Path("/etc/apt/sources.list.d").glob("*"))]
    uris = []
    for path in files:
        try:
            text = path.read_text()
        except OSError:
            continue
        for m in re.finditer(r"(?:^deb\s+(?:\[[^\]]*\]\s+)?|^URIs:\s*)(\S+)", text, re.M):
            if "debian" in m[1] and m[1].startswith("http"):
                uris.append(m[1].rstrip("/"))
    return uris


def apt_mirror(default: str = "http://deb.debian.org/debian") -> str:
    """The machine's Debian mirror, read from its apt sources."""
    return next((u for u in _sources_uris() if "security" not in u), default)


def security_mirror(default: str = "http://deb.debian.org/debian-security") -> str:
    """The machine's Debian security mirror, read from its apt sources."""
    return next((u for u in _sources_uris() if "security" in u), default)


def _has_release(mirror: str, suite: str, timeout: float = 15.0) -> bool:
    """Whether ``mirror`` serves ``dists/<suite>/Release``."""
    request = urllib.request.Request(f"{mirror}/dists/{suite}/Release", method="HEAD")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return bool(200 <= response.status < 300)
    except (urllib.error.URLError, OSError, ValueError):
        return False


def apt_suites(
    suite: str = "bookworm", mirror: str | None = None, security: str | None = None
) -> list[tuple[str, str]]:
    """``(mirror, suite)`` for ``suite`` and its ``-updates`` and ``-security`` suites,
    each only where its mirror has its ``Release`` file (``suite`` itself always)."""
    mirror = mirror or apt_mirror()
    security = security or security_mirror()
    found = [(mirror, suite)]
    for uri, name in ((mirror, f"{suite}-updates"), (security, f"{suite}-security")):
        if _has_release(uri, name):
            found.append((uri, name))
    return found


def _current(client: docker.DockerClient, image: str) -> bool:
    """Whether ``image`` is present and made by this bootstrap (or a newer one)."""
    import docker.errors

    try:
        labels = client.images.get(image).labels or {}
    except docker.errors.ImageNotFound:
        return False
    try:
        return int(labels.get(LABEL_VERSION, "0")) >= BOOTSTRAP_VERSION
    except ValueError:
        return False


def bootstrap(
    client: docker.DockerClient,
    *,
    suite: str = "bookworm",
    mirror: str | None = None,
    force: bool = False,
    log: Callable[[str], None] = print,
    progress: Callable[[str], None] | None = None,
    debian_image: str = DEBIAN_IMAGE,
    python_image: str = PYTHON_IMAGE,
) -> list[str]:
    """Build the offline base images; return the names built.

    Present images made by this bootstrap are kept; missing ones, and ones an older
    bootstrap made (no :data:`LABEL_VERSION` label of at least
    :data:`BOOTSTRAP_VERSION`), are built, as all are with ``force``.

    Args:
        log: receives what is being built (one line per image).
        progress: receives stage messages while building (debootstrap, apt suites
            found, import, the Python flavour's build steps), for a live display.
        debian_image, python_image: the tags to build (another tag tries a new
            bootstrap without replacing the images tasks use).

    Raises:
        ImageBuildError: debootstrap is missing or failed, or the Python flavour
            failed to build.
    """
    stage = progress or (lambda message: None)
    built = []
    if force or not _current(client, debian_image):
        _debootstrap(client, suite, mirror or apt_mirror(), debian_image, log, stage)
        built.append(debian_image)
    if force or debian_image in built or not _current(client, python_image):
        _build_python_image(client, debian_image, python_image, log, stage)
        built.append(python_image)
    return built


#: debootstrap's per-package lines: not stages.
_PER_PACKAGE = ("Retrieving ", "Validating ", "Extracting ", "Unpacking ", "Configuring ")


def _debootstrap(
    client: docker.DockerClient,
    suite: str,
    mirror: str,
    image: str,
    log: Callable[[str], None],
    stage: Callable[[str], None],
) -> None:
    """Make ``image``: a minimal ``suite`` root from ``mirror``, with every suite the
    mirrors have in its apt sources, imported."""
    if shutil.which("debootstrap") is None:
        raise ImageBuildError(
            "debootstrap is not installed (apt-get install debootstrap); it builds "
            f"{image} from the machine's apt mirror"
        )
    log(f"debootstrap {suite} from {mirror} ...")
    stage(f"checking which {suite} suites {mirror} has")
    suites = apt_suites(suite, mirror)
    stage("apt suites: " + " ".join(name for _, name in suites))
    with tempfile.TemporaryDirectory(prefix="terminal-gym-rootfs-") as tmp:
        root = Path(tmp) / "root"
        stage(f"debootstrap {suite} (minbase) from {mirror}")
        proc = subprocess.Popen(
            [
                "debootstrap",
                "--variant=minbase",
                "--include=ca-certificates",
                suite,
                str(root),
                mirror,
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        assert proc.stdout is not None
        lines = []
        for line in proc.stdout:
            lines.append(line)
            if line.startswith("I: ") and not line[3:].startswith(_PER_PACKAGE):
                stage(line[3:].strip())
        if proc.wait() != 0:
            raise ImageBuildError(f"debootstrap failed:\n{''.join(lines)[-2000:]}")
        (root / "etc/apt/sources.list").write_text(
            "".join(f"deb {uri} {name} main\n" for uri, name in suites)
        )
        for junk in ("var/cache/apt/archives", "var/lib/apt/lists"):
            shutil.rmtree(root / junk, ignore_errors=True)
            (root / junk).mkdir(parents=True, exist_ok=True)
        stage(f"importing {image}")
        tarball = Path(tmp) / "rootfs.tar"
        subprocess.run(["tar", "-C", str(root), "-cf", str(tarball), "."], check=True)
        repo, tag = image.rsplit(":", 1)
        labels = {
            LABEL_VERSION: str(BOOTSTRAP_VERSION),
            LABEL_RELEASE: suite,
            LABEL_SUITES: " ".join(name for _, name in suites),
        }
        client.api.import_image_from_file(
            str(tarball),
            repository=repo,
            tag=tag,
            changes=[
                "ENV LANG=C.UTF-8",
                'CMD ["bash"]',
                *(f'LABEL {k}="{v}"' for k, v in labels.items()),
            ],
        )


def _build_python_image(
    client: docker.DockerClient,
    debian_image: str,
    image: str,
    log: Callable[[str], None],
    stage: Callable[[str], None],
) -> None:
    """Make ``image``, the Python flavour, on top of ``debian_image``."""
    import docker.errors

    from terminal_gym.output import strip_ansi

    log(f"building {image} ...")
    stage(f"building {image} on {debian_image}")
    dockerfile = _PYTHON_DOCKERFILE.replace(f"FROM {DEBIAN_IMAGE}", f"FROM {debian_image}")
    with tempfile.TemporaryDirectory(prefix="terminal-gym-pyimg-") as tmp:
        (Path(tmp) / "Dockerfile").write_text(dockerfile)
        output: list[str] = []
        try:
            for chunk in client.api.build(path=tmp, tag=image, rm=True, forcerm=True, decode=True):
                text = strip_ansi(str(chunk.get("stream") or chunk.get("error") or ""))
                output.append(text)
                if chunk.get("error"):
                    raise ImageBuildError(
                        f"building {image} failed: {text.strip()}\n{''.join(output)[-2000:]}"
                    )
                if text.strip().startswith("Step "):
                    stage(text.strip())
        except docker.errors.APIError as exc:
            raise ImageBuildError(f"building {image} failed: {exc}") from exc
        version = (
            client.containers.run(image, ["cat", "/etc/terminal-gym-python"], remove=True)
            .decode()
            .strip()
        )
    # The Python version as a label: a one-line commit on top of the built image.
    stage(f"labelling {image} (Python {version})")
    _add_label(client, image, {LABEL_PYTHON: version})


def _add_label(client: docker.DockerClient, image: str, labels: dict[str, str]) -> None:
    with tempfile.TemporaryDirectory(prefix="terminal-gym-label-") as tmp:
        (Path(tmp) / "Dockerfile").write_text(
            f"FROM {image}\n" + "".join(f'LABEL {k}="{v}"\n' for k, v in labels.items())
        )
        client.images.build(path=tmp, tag=image, rm=True, forcerm=True)
