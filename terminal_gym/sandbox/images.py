"""Task images: build once, cache by content hash.

* :func:`image_tag` names a task's image by a hash of everything that goes into the
  build (context files, their modes, the image map and CA bundle applied, the base
  images' ids), so a changed task rebuilds and an unchanged one never does.
* :func:`ensure_image` builds it when missing, with the Dockerfile rewritten: ``FROM``
  images substituted (:mod:`terminal_gym.sandbox.substitute`: explicit image maps, and
  built-in substitutes for images that are neither present nor pullable, each one
  logged), a CA bundle trusted (:mod:`terminal_gym.sandbox.ca`), and, on a substituted
  base, the offline verifier tooling (:mod:`terminal_gym.sandbox.verifier_tools`, built
  once by :func:`ensure_verifier_tools`).
* :func:`build_lock` makes processes on one host build an image once.

The offline base images themselves come from :mod:`terminal_gym.sandbox.bootstrap`.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import logging
import os
import re
import shutil
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from terminal_gym.errors import ImageBuildError
from terminal_gym.sandbox import ca
from terminal_gym.sandbox.bootstrap import BASE_IMAGES, PYTHON_IMAGE
from terminal_gym.sandbox.substitute import (
    DEFAULT_MAP_VAR,
    base_images,
    default_substitute,
    rewrite_dockerfile,
)
from terminal_gym.sandbox.toolchain import cache_dir
from terminal_gym.sandbox.verifier_tools import (
    UV_VERSION,
    VERIFIER_TOOLS_VAR,
    copy_instructions,
    tools_tag,
    write_context,
)
from terminal_gym.tasks.spec import Task

if TYPE_CHECKING:
    import docker

logger = logging.getLogger(__name__)
#: Images whose pull failed in this process (image -> why): never retried.
_UNPULLABLE: dict[str, str] = {}
#: Verifier-tools tags whose build failed in this process: not retried.
_TOOLS_FAILED: dict[str, str] = {}


def _flag(var: str, value: bool | None) -> bool:
    if value is not None:
        return value
    return os.environ.get(var, "1").strip().lower() not in ("0", "false", "no", "off")


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
        default_substitutes: fall back to the built-in substitutes
            (:data:`terminal_gym.sandbox.substitute.DEFAULT_SUBSTITUTES`) for a base
            image that is neither present nor pullable (default: on unless
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
        for base in base_images(rewrite_dockerfile(original, image_map)):
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
    rewritten = rewrite_dockerfile(
        original,
        effective,
        each_stage=ca.trust_instructions() if ca_bundle is not None else (),
        final_stage=copy_instructions(tools) if tools is not None else (),
    )
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
            ca.add_to_context(ca_bundle, ctx)
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
    return None if base_id is None else tools_tag(base_id)


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
    Substituted task images copy it in
    (:func:`terminal_gym.sandbox.verifier_tools.copy_instructions`).

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
            write_context(ctx)
            if ca_bundle is not None:
                dockerfile = ctx / "Dockerfile"
                dockerfile.write_text(
                    rewrite_dockerfile(
                        dockerfile.read_text(), {}, each_stage=ca.trust_instructions()
                    )
                )
                ca.add_to_context(ca_bundle, ctx)
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
