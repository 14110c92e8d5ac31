"""Task images: build once, cache by content hash; offline base images; CA bundles.

* :func:`image_tag` names a task's image by a hash of everything that goes into the
  build (context files, their modes, the image map and CA bundle applied), so a
  changed task rebuilds and an unchanged one never does.
* :func:`ensure_image` builds it when missing, with two rewrites of the Dockerfile:
  ``FROM`` images substituted through an image map (offline registries), and a CA
  bundle copied in and announced through ``SSL_CERT_FILE`` & co (TLS-intercepting
  proxies), never by turning verification off.
* Offline, a ``FROM`` image that is neither present nor pullable falls back to a
  built-in substitute (:data:`DEFAULT_SUBSTITUTES`: ``python:*``, ``ubuntu:*``,
  ``debian:*`` and the Terminal-Bench base images map to the local base images); an
  explicit image map always wins, and each substitution is logged.
* A task built on a substitute also gets offline verifier tooling
  (:func:`ensure_verifier_tools`): the ``curl https://astral.sh/uv/.../install.sh | sh``
  that real Terminal-Bench verifiers start with is answered by a local stand-in that
  installs a uv baked into the image, so ``uv venv`` / ``uv pip install`` /
  ``uv run pytest`` work against PyPI through the CA bundle.
* :func:`bootstrap` makes the base images the bundled tasks use when no registry can
  be reached: Debian via ``debootstrap`` from the machine's apt mirror, then
  ``docker import``; a Python flavour is built on top with ``apt-get``.
"""

from __future__ import annotations

import contextlib
import fcntl
import fnmatch
import hashlib
import logging
import os
import re
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from terminal_gym.errors import ImageBuildError
from terminal_gym.sandbox.toolchain import cache_dir
from terminal_gym.tasks import dockerfile
from terminal_gym.tasks.spec import Task

if TYPE_CHECKING:
    import docker

#: Environment variables that name a CA bundle, in the order they are trusted.
CA_BUNDLE_VARS = (
    "TERMINAL_GYM_CA_BUNDLE",
    "SSL_CERT_FILE",
    "REQUESTS_CA_BUNDLE",
    "PIP_CERT",
    "CURL_CA_BUNDLE",
)
#: Where an injected CA bundle lives inside images, and who is told about it.
CA_PATH_IN_IMAGE = "/usr/local/share/terminal-gym/ca-bundle.crt"
_CA_ENV = (
    "SSL_CERT_FILE",
    "REQUESTS_CA_BUNDLE",
    "PIP_CERT",
    "CURL_CA_BUNDLE",
    "NODE_EXTRA_CA_CERTS",
    "GIT_SSL_CAINFO",
)
_CA_FILE_IN_CONTEXT = ".terminal-gym-ca-bundle.crt"

DEBIAN_IMAGE = "terminal-gym/debian:bookworm"
PYTHON_IMAGE = "terminal-gym/python:3-bookworm"
BASE_IMAGES = (DEBIAN_IMAGE, PYTHON_IMAGE)

#: Built-in substitutes: ``(glob over the image name, local image)``, first match wins.
#: Names are compared without a digest and without ``docker.io/`` / ``library/``.
#: Ubuntu maps to the Python flavour: real verifiers on ``ubuntu:*`` get their Python
#: from uv's downloads, which offline only a local interpreter can replace.
DEFAULT_SUBSTITUTES: tuple[tuple[str, str], ...] = (
    ("ghcr.io/laude-institute/t-bench/python-3-*", PYTHON_IMAGE),
    ("ghcr.io/laude-institute/t-bench/ubuntu-*", PYTHON_IMAGE),
    ("python", PYTHON_IMAGE),
    ("python:3*", PYTHON_IMAGE),
    ("ubuntu", PYTHON_IMAGE),
    ("ubuntu:*", PYTHON_IMAGE),
    ("debian", DEBIAN_IMAGE),
    ("debian:*", DEBIAN_IMAGE),
)
#: Set to ``0`` to turn the built-in substitutes off (explicit maps still apply).
DEFAULT_MAP_VAR = "TERMINAL_GYM_DEFAULT_IMAGE_MAP"
#: Set to ``0`` to build substituted tasks without the offline verifier tooling.
VERIFIER_TOOLS_VAR = "TERMINAL_GYM_VERIFIER_TOOLS"
#: The uv baked into the verifier tooling (what ``astral.sh/uv/<any>/install.sh`` gets).
UV_VERSION = "0.7.13"
TOOLS_REPO = "terminal-gym/verifier-tools"
TOOLS_DIR = "/opt/terminal-gym"
_TOOLS_FILES: dict[str, tuple[str, int]] = {
    # A stand-in for uv's installer: links the baked uv and writes ~/.local/bin/env.
    "uv-install.sh": (
        f"""\
#!/bin/sh
# terminal-gym: offline stand-in for uv's installer (https://astral.sh/uv/install.sh).
set -e
bin="${{UV_INSTALL_DIR:-${{XDG_BIN_HOME:-$HOME/.local/bin}}}}"
mkdir -p "$bin"
ln -sf {TOOLS_DIR}/bin/uv "$bin/uv"
ln -sf {TOOLS_DIR}/bin/uvx "$bin/uvx"
cat > "$bin/env" <<EOF
#!/bin/sh
case ":\\${{PATH}}:" in
    *:"$bin":*) ;;
    *) export PATH="$bin:\\$PATH" ;;
esac
EOF
echo "installing to $bin (terminal-gym offline stand-in for uv's installer)"
echo "everything's installed!"
""",
        0o755,
    ),
    # curl on PATH: uv installer URLs get the stand-in, everything else the real curl.
    "shim/curl": (
        f"""\
#!/bin/sh
# terminal-gym offline shim: uv's installer URL is served from {TOOLS_DIR}.
out="" prev="" serve=""
for arg in "$@"; do
  case "$prev" in -o|--output) out="$arg" ;; esac
  case "$arg" in http://astral.sh/uv/*install.sh|https://astral.sh/uv/*install.sh) serve=1 ;; esac
  prev="$arg"
done
if [ -n "$serve" ]; then
  if [ -n "$out" ] && [ "$out" != "-" ]; then
    cat {TOOLS_DIR}/uv-install.sh > "$out"
  else
    cat {TOOLS_DIR}/uv-install.sh
  fi
  exit 0
fi
for real in /usr/bin/curl /bin/curl; do
  [ -x "$real" ] && exec "$real" "$@"
done
echo "curl: command not found" >&2
exit 127
""",
        0o755,
    ),
}
_TOOLS_DOCKERFILE = f"""\
FROM {PYTHON_IMAGE}
RUN python3 -m pip install --no-cache-dir --target /tmp/uv uv=={UV_VERSION} \\
    && mkdir -p {TOOLS_DIR}/bin && cp /tmp/uv/bin/uv /tmp/uv/bin/uvx {TOOLS_DIR}/bin/ \\
    && rm -rf /tmp/uv && {TOOLS_DIR}/bin/uv --version
COPY uv-install.sh {TOOLS_DIR}/uv-install.sh
COPY shim/curl {TOOLS_DIR}/shim/curl
"""

logger = logging.getLogger(__name__)
#: Images whose pull failed in this process (image -> why): never retried.
_UNPULLABLE: dict[str, str] = {}
#: Verifier-tools tags whose build failed in this process: not retried.
_TOOLS_FAILED: dict[str, str] = {}

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

_UNREACHABLE = re.compile(
    r"pull access denied|manifest unknown|not found|no such host|failed to resolve|"
    r"dial tcp|i/o timeout|TLS handshake|connection refused|repository does not exist",
    re.I,
)


def find_ca_bundle(ca_bundle: str | os.PathLike[str] | None = "auto") -> Path | None:
    """The CA bundle to hand to builds and sandboxes.

    Args:
        ca_bundle: a path; ``None`` for none; ``"auto"`` for the first existing file
            named by ``TERMINAL_GYM_CA_BUNDLE``, ``SSL_CERT_FILE``,
            ``REQUESTS_CA_BUNDLE``, ``PIP_CERT`` or ``CURL_CA_BUNDLE``.
    """
    if ca_bundle is None:
        return None
    if ca_bundle != "auto":
        path = Path(ca_bundle)
        if not path.is_file():
            raise ImageBuildError(f"CA bundle {path} does not exist")
        return path
    for var in CA_BUNDLE_VARS:
        value = os.environ.get(var)
        if value and Path(value).is_file():
            return Path(value)
    return None


def parse_image_map(items: Iterable[str] | Mapping[str, str] | None) -> dict[str, str]:
    """``["python:3.11-slim=terminal-gym/python:3-bookworm", ...]`` -> dict.

    Also reads ``TERMINAL_GYM_IMAGE_MAP`` (comma-separated ``SRC=DST``) from the environment;
    explicit items win.
    """
    result: dict[str, str] = {}
    env_items = [i for i in os.environ.get("TERMINAL_GYM_IMAGE_MAP", "").split(",") if i.strip()]
    explicit = items.items() if isinstance(items, Mapping) else None
    for item in env_items + ([] if explicit is not None else list(items or [])):
        src, sep, dst = item.partition("=")
        if not sep or not src.strip() or not dst.strip():
            raise ValueError(f"image map entry {item!r} is not SRC=DST")
        result[src.strip()] = dst.strip()
    if explicit is not None:
        result.update({str(k): str(v) for k, v in explicit})
    return result


def rewrite_dockerfile(
    text: str, image_map: Mapping[str, str], ca: bool, tools_image: str | None = None
) -> str:
    """Apply the image map to ``FROM`` lines and, with ``ca``, trust the bundle after each.

    With ``tools_image`` (see :func:`ensure_verifier_tools`), the final stage also
    gets the offline verifier tooling: ``/opt/terminal-gym`` and the ``curl`` shim.
    A ``FROM`` whose image changes is rewritten on one line; every other line is kept
    as it was.
    """
    lines = text.split("\n")
    froms = [step for step in dockerfile.parse(text) if step.keyword == "FROM"]
    stages: set[str] = set()
    edits: list[tuple[int, int, list[str]]] = []  # (first line, end line, new lines)
    for count, step in enumerate(froms):
        clause = dockerfile.parse_from(step.args)
        image = clause.image
        if image.lower() not in stages:
            image = image_map.get(image, image)
        if clause.alias:
            stages.add(clause.alias.lower())
        first, end = step.line - 1, step.end_line
        new = lines[first:end]
        if image != clause.image:
            words = step.args.split()
            words[len(clause.flags)] = image
            indent = new[0][: len(new[0]) - len(new[0].lstrip())]
            new = [f"{indent}{new[0].split()[0]} {' '.join(words)}"]
        if ca:
            env = " ".join(f"{v}={CA_PATH_IN_IMAGE}" for v in _CA_ENV)
            new += [f"COPY {_CA_FILE_IN_CONTEXT} {CA_PATH_IN_IMAGE}", f"ENV {env}"]
        if tools_image is not None and count == len(froms) - 1:
            new += [
                f"COPY --from={tools_image} {TOOLS_DIR} {TOOLS_DIR}",
                f"COPY --from={tools_image} {TOOLS_DIR}/shim/curl /usr/local/bin/curl",
            ]
        edits.append((first, end, new))
    for first, end, new in reversed(edits):
        lines[first:end] = new
    return "\n".join(lines)


def _normalise(image: str) -> str:
    name = image.split("@", 1)[0]
    for prefix in ("docker.io/", "index.docker.io/", "library/"):
        if name.startswith(prefix):
            name = name[len(prefix) :]
    return name


def default_substitute(image: str) -> str | None:
    """The built-in local substitute for ``image``, if it has one.

    >>> default_substitute("python:3.13-slim-bookworm")
    'terminal-gym/python:3-bookworm'
    >>> default_substitute("docker.io/library/debian:bookworm-slim")
    'terminal-gym/debian:bookworm'
    >>> default_substitute("example.com/app:1") is None
    True
    """
    name = _normalise(image)
    for pattern, substitute in DEFAULT_SUBSTITUTES:
        if fnmatch.fnmatchcase(name, pattern):
            return substitute
    return None


def _flag(var: str, value: bool | None) -> bool:
    if value is not None:
        return value
    return os.environ.get(var, "1").strip().lower() not in ("0", "false", "no", "off")


def base_images(dockerfile_text: str) -> list[str]:
    """The external images a Dockerfile starts from (stage references excluded)."""
    stages: set[str] = set()
    result = []
    for step in dockerfile.parse(dockerfile_text):
        if step.keyword != "FROM":
            continue
        clause = dockerfile.parse_from(step.args)
        image = clause.image.lower()
        if image and image not in stages and image != "scratch" and "$" not in image:
            result.append(clause.image)
        if clause.alias:
            stages.add(clause.alias.lower())
    return result


def context_hash(context_dir: Path, extra: Iterable[str] = ()) -> str:
    """sha256 over the context's relative paths, exec bits and contents, plus ``extra``."""
    h = hashlib.sha256()
    for path in sorted(p for p in context_dir.rglob("*") if p.is_file() or p.is_symlink()):
        rel = path.relative_to(context_dir).as_posix()
        h.update(rel.encode() + b"\0")
        if path.is_symlink():
            h.update(b"link:" + os.readlink(path).encode() + b"\0")
            continue
        h.update(b"x" if os.access(path, os.X_OK) else b"-")
        h.update(hashlib.sha256(path.read_bytes()).digest())
    for item in extra:
        h.update(item.encode() + b"\0")
    return h.hexdigest()


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9_.-]+", "-", text.lower()).strip("-.")[:100] or "task"


def image_tag(
    task: Task,
    image_map: Mapping[str, str],
    ca_bundle: Path | None,
    base_ids: Iterable[str] = (),
) -> str:
    """The cache tag of ``task``'s image: ``terminal-gym/task-<id>:<hash16>``.

    ``base_ids`` are the ids of the images the Dockerfile starts from, so a rebuilt
    base image (``images bootstrap --force``) invalidates the task images built on it.
    """
    spec = task.environment
    if spec.context_dir is None:
        raise ImageBuildError(f"task {task.id!r} has no build context")
    extra = [f"dockerfile={spec.dockerfile.name if spec.dockerfile else 'Dockerfile'}"]
    extra += [f"map:{k}={v}" for k, v in sorted(image_map.items())]
    extra += [f"base:{i}" for i in base_ids]
    if ca_bundle is not None:
        extra.append("ca:" + hashlib.sha256(ca_bundle.read_bytes()).hexdigest())
    return f"terminal-gym/task-{_slug(task.id)}:{context_hash(spec.context_dir, extra)[:16]}"


def _image_id(client: docker.DockerClient, name: str) -> str | None:
    import docker.errors

    try:
        return str(client.images.get(name).id)
    except docker.errors.ImageNotFound:
        return None


def _have_image(client: docker.DockerClient, name: str) -> bool:
    return _image_id(client, name) is not None


def ensure_image(
    client: docker.DockerClient,
    task: Task,
    *,
    image_map: Mapping[str, str] | None = None,
    ca_bundle: Path | None = None,
    log: Callable[[str], None] | None = None,
    default_substitutes: bool | None = None,
    verifier_tools: bool | None = None,
) -> str:
    """Return the image to run ``task`` in, building it if needed.

    Args:
        image_map: explicit ``FROM`` substitutions (always applied).
        default_substitutes: fall back to :data:`DEFAULT_SUBSTITUTES` for a base image
            that is neither present nor pullable (default: on unless
            ``TERMINAL_GYM_DEFAULT_IMAGE_MAP=0``).
        verifier_tools: give a task whose base was substituted by a local base image
            the offline verifier tooling (default: on unless
            ``TERMINAL_GYM_VERIFIER_TOOLS=0``); skipped, with a log line, when the
            tooling cannot be built.
        log: receives build notes (substitutions, tooling, build time); they also go
            to the ``terminal_gym.sandbox.images`` logger.

    Raises:
        ImageBuildError: the build failed; when a base image is missing and cannot be
            pulled, the message names ``terminal-gym images bootstrap`` and the image map.
    """

    def note(message: str) -> None:
        logger.warning(message)
        if log is not None:
            log(message)

    image_map = dict(image_map or {})
    spec = task.environment
    substitutes_on = _flag(DEFAULT_MAP_VAR, default_substitutes)
    if spec.dockerfile is None or spec.context_dir is None:
        if spec.docker_image is None:
            raise ImageBuildError(f"task {task.id!r} has neither a Dockerfile nor a docker_image")
        image = image_map.get(spec.docker_image, spec.docker_image)
        if substitutes_on and image not in image_map.values():
            substitute = _substitute_if_missing(client, image, task.id)
            if substitute is not None:
                note(_substitution_note(task.id, image, substitute))
                image = substitute
        _ensure_base(client, image, task.id)
        return image
    original = spec.dockerfile.read_text()
    substitutes: dict[str, str] = {}
    if substitutes_on:
        for base in base_images(rewrite_dockerfile(original, image_map, False)):
            if base in image_map.values():
                continue  # an explicit map's target is used as given
            substitute = _substitute_if_missing(client, base, task.id)
            if substitute is not None:
                substitutes[base] = substitute
                note(_substitution_note(task.id, base, substitute))
    effective = {**image_map, **substitutes}
    tools = None
    if _flag(VERIFIER_TOOLS_VAR, verifier_tools) and any(
        effective.get(base) in BASE_IMAGES for base in base_images(original)
    ):
        tools = ensure_verifier_tools(client, ca_bundle=ca_bundle, log=note)
    rewritten = rewrite_dockerfile(original, effective, ca_bundle is not None, tools)
    base_ids = [_ensure_base(client, base, task.id) for base in base_images(rewritten)]
    if tools is not None:
        base_ids.append(_ensure_base(client, tools, task.id))
    tag = image_tag(task, effective, ca_bundle, base_ids)
    if _have_image(client, tag):
        return tag
    with build_lock(tag):
        if not _have_image(client, tag):  # else another process built it meanwhile
            _build_task_image(client, task, tag, rewritten, ca_bundle, substitutes, log)
    return tag


def _build_task_image(
    client: docker.DockerClient,
    task: Task,
    tag: str,
    rewritten: str,
    ca_bundle: Path | None,
    substitutes: Mapping[str, str],
    log: Callable[[str], None] | None,
) -> None:
    import docker.errors

    spec = task.environment
    assert spec.dockerfile is not None and spec.context_dir is not None
    labels = {"terminal-gym.task": task.id}
    if substitutes:
        labels["terminal-gym.substitutes"] = ",".join(f"{k}={v}" for k, v in substitutes.items())
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="terminal-gym-build-") as tmp:
        ctx = Path(tmp) / "context"
        shutil.copytree(spec.context_dir, ctx, symlinks=True)
        dockerfile = ctx / spec.dockerfile.relative_to(spec.context_dir)
        dockerfile.write_text(rewritten)
        if ca_bundle is not None:
            shutil.copyfile(ca_bundle, ctx / _CA_FILE_IN_CONTEXT)
        try:
            client.images.build(
                path=str(ctx),
                dockerfile=str(dockerfile.relative_to(ctx)),
                tag=tag,
                rm=True,
                forcerm=True,
                labels=labels,
                timeout=int(spec.build_timeout_sec),
            )
        except docker.errors.BuildError as exc:
            tail = "".join(
                str(chunk.get("stream", chunk.get("error", ""))) for chunk in exc.build_log
            )
            raise ImageBuildError(
                f"building task {task.id!r} from {spec.dockerfile} failed: {exc.msg}\n"
                f"{tail[-2000:]}"
            ) from exc
        except docker.errors.APIError as exc:
            raise ImageBuildError(f"building task {task.id!r} failed: {exc}") from exc
        except Exception as exc:  # requests' ReadTimeout and friends
            if "timed out" in str(exc).lower():
                raise ImageBuildError(
                    f"building task {task.id!r} took longer than {spec.build_timeout_sec:.0f}s"
                ) from exc
            raise
    _built(f"built {tag} in {time.monotonic() - started:.1f}s", log)


def _built(message: str, log: Callable[[str], None] | None) -> None:
    """Say that an image was built: to the logger (info), and to ``log``."""
    logger.info(message)
    if log:
        log(message)


@contextlib.contextmanager
def build_lock(tag: str) -> Iterator[None]:
    """Hold this host's lock on building ``tag``.

    An exclusive ``flock`` on ``<cache_dir>/locks/<tag>.lock``, held around "is the tag
    there? else build it": processes starting at once (Ray actors on one node) build an
    image once, the others wait and find it. The kernel drops the lock of a process that
    dies. Without a writable cache directory, builds go unlocked (a warning says so).
    """
    name = f"{_slug(tag)[:80]}-{hashlib.sha256(tag.encode()).hexdigest()[:12]}.lock"
    try:
        locks = cache_dir() / "locks"
        locks.mkdir(parents=True, exist_ok=True)
        fh = open(locks / name, "a")  # noqa: SIM115 (held across the yield)
    except OSError as exc:
        logger.warning(
            "building %s without a lock (%s): other processes may build it too", tag, exc
        )
        yield
        return
    with fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _pull(client: docker.DockerClient, image: str) -> str | None:
    """Pull ``image`` and return its id; ``None`` (remembered) when it cannot be pulled."""
    import docker.errors

    if image in _UNPULLABLE:
        return None
    try:
        return str(client.images.pull(image).id)
    except docker.errors.APIError as exc:
        reason = str(exc.explanation or exc).strip().splitlines() or ["pull failed"]
        _UNPULLABLE[image] = reason[0][:300]
        return None


def _substitute_if_missing(client: docker.DockerClient, image: str, task_id: str) -> str | None:
    """The built-in substitute to use for ``image``, when it is absent and unpullable.

    Raises:
        ImageBuildError: the substitute is needed but not present either.
    """
    substitute = default_substitute(image)
    if substitute is None or _image_id(client, image) is not None:
        return None
    if _pull(client, image) is not None:
        return None
    if _image_id(client, substitute) is None:
        raise ImageBuildError(
            f"task {task_id!r} needs image {image!r}, which is not present and cannot be "
            f"pulled ({_UNPULLABLE.get(image, '')}); its built-in substitute {substitute!r} "
            "is missing too: run `terminal-gym images bootstrap` to build the local base images"
        )
    return substitute


def _substitution_note(task_id: str, image: str, substitute: str) -> str:
    return (
        f"task {task_id!r}: image {image!r} is not present and cannot be pulled "
        f"({_UNPULLABLE.get(image, 'offline')}); using the built-in substitute "
        f"{substitute!r} (override with --image-map {image}=IMAGE, disable with "
        f"{DEFAULT_MAP_VAR}=0)"
    )


def _ensure_base(client: docker.DockerClient, image: str, task_id: str) -> str:
    """Make sure ``image`` is present (pulling it once) and return its id.

    A failed pull is remembered for the rest of the process, so a registry that cannot
    be reached costs one attempt per image, not one per task.

    Raises:
        ImageBuildError: it is absent and cannot be pulled; the message says what to do.
    """
    image_id = _image_id(client, image) or _pull(client, image)
    if image_id is not None:
        return image_id
    reason = _UNPULLABLE.get(image, "pull failed")
    hint = (
        "run `terminal-gym images bootstrap` to build the local base images"
        if image in BASE_IMAGES
        else f"map it to a local image (--image-map {image}=terminal-gym/python:3-bookworm "
        "or TERMINAL_GYM_IMAGE_MAP)"
    )
    raise ImageBuildError(
        f"task {task_id!r} needs image {image!r}, which is not present and cannot be pulled "
        f"({reason}): {hint}"
    )


def verifier_tools_tag(client: docker.DockerClient) -> str | None:
    """The tag of the verifier-tools image for the current :data:`PYTHON_IMAGE`, if any."""
    base_id = _image_id(client, PYTHON_IMAGE)
    if base_id is None:
        return None
    h = hashlib.sha256(f"{base_id}\0{UV_VERSION}\0{_TOOLS_DOCKERFILE}".encode())
    for name, (text, mode) in sorted(_TOOLS_FILES.items()):
        h.update(f"{name}\0{mode:o}\0{text}\0".encode())
    return f"{TOOLS_REPO}:uv-{UV_VERSION}-{h.hexdigest()[:12]}"


def ensure_verifier_tools(
    client: docker.DockerClient,
    *,
    ca_bundle: Path | None = None,
    log: Callable[[str], None] | None = None,
) -> str | None:
    """Build (once) the image holding the offline verifier tooling; return its tag.

    It holds uv (from PyPI, through ``ca_bundle``) under ``/opt/terminal-gym/bin``, a
    stand-in for uv's installer script, and a ``curl`` shim that serves the stand-in for
    ``https://astral.sh/uv/<version>/install.sh`` and runs the real curl otherwise.
    Substituted task images copy it in (:func:`rewrite_dockerfile`).

    Returns:
        The tag, or ``None`` (with a ``log`` line) when :data:`PYTHON_IMAGE` is missing
        or the build fails, e.g. because PyPI cannot be reached; a failure is not
        retried in this process.
    """
    import docker.errors

    tag = verifier_tools_tag(client)
    if tag is None:
        if log:
            log(f"no offline verifier tooling: {PYTHON_IMAGE} is missing (images bootstrap)")
        return None
    if _have_image(client, tag):
        return tag
    if tag in _TOOLS_FAILED:
        return None
    with build_lock(tag):
        if _have_image(client, tag):  # another process built it meanwhile
            return tag
        started = time.monotonic()
        with tempfile.TemporaryDirectory(prefix="terminal-gym-tools-") as tmp:
            ctx = Path(tmp)
            (ctx / "Dockerfile").write_text(
                rewrite_dockerfile(_TOOLS_DOCKERFILE, {}, ca_bundle is not None)
            )
            for name, (text, mode) in _TOOLS_FILES.items():
                path = ctx / name
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(text)
                path.chmod(mode)
            if ca_bundle is not None:
                shutil.copyfile(ca_bundle, ctx / _CA_FILE_IN_CONTEXT)
            try:
                client.images.build(path=tmp, tag=tag, rm=True, forcerm=True, timeout=600)
            except docker.errors.BuildError as exc:
                tail = "".join(str(c.get("stream", c.get("error", ""))) for c in exc.build_log)
                _TOOLS_FAILED[tag] = tail[-500:]
            except docker.errors.APIError as exc:
                _TOOLS_FAILED[tag] = str(exc)[:500]
        if tag in _TOOLS_FAILED:
            if log:
                log(
                    f"no offline verifier tooling (building {tag} failed; verifiers that fetch "
                    f"uv from astral.sh will fail offline): {_TOOLS_FAILED[tag].strip()[-300:]}"
                )
            return None
        _built(f"built {tag} (uv {UV_VERSION}) in {time.monotonic() - started:.1f}s", log)
    return tag


# -- offline base images -------------------------------------------------------------


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
    import docker.errors

    built = []
    if force or not _have_image(client, DEBIAN_IMAGE):
        if shutil.which("debootstrap") is None:
            raise ImageBuildError(
                "debootstrap is not installed (apt-get install debootstrap); it builds "
                f"{DEBIAN_IMAGE} from the machine's apt mirror"
            )
        mirror = mirror or apt_mirror()
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
                str(tarball),
                repository=repo,
                tag=tag,
                changes=["ENV LANG=C.UTF-8", 'CMD ["bash"]'],
            )
        built.append(DEBIAN_IMAGE)
    if force or DEBIAN_IMAGE in built or not _have_image(client, PYTHON_IMAGE):
        log(f"building {PYTHON_IMAGE} ...")
        with tempfile.TemporaryDirectory(prefix="terminal-gym-pyimg-") as tmp:
            (Path(tmp) / "Dockerfile").write_text(_PYTHON_DOCKERFILE)
            try:
                client.images.build(path=tmp, tag=PYTHON_IMAGE, rm=True, forcerm=True)
            except docker.errors.BuildError as exc:
                tail = "".join(str(c.get("stream", c.get("error", ""))) for c in exc.build_log)
                raise ImageBuildError(f"building {PYTHON_IMAGE} failed:\n{tail[-2000:]}") from exc
        built.append(PYTHON_IMAGE)
    return built
