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
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from terminal_gym.errors import ImageBuildError, ImageUnavailableError
from terminal_gym.output import strip_ansi
from terminal_gym.sandbox import ca
from terminal_gym.sandbox.bootstrap import (
    BASE_IMAGES,
    LABEL_PYTHON,
    LABEL_RELEASE,
    LABEL_SUITES,
    PYTHON_IMAGE,
    PYTHON_PACKAGES,
)
from terminal_gym.sandbox.substitute import (
    DEFAULT_MAP_VAR,
    BaseFacts,
    base_images,
    default_substitute,
    map_lookup,
    rewrite_dockerfile,
    substitution_differences,
    unavailable_message,
    unmatched_keys,
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


@dataclass
class ImageInfo:
    """What preparing a task's image did (:func:`prepare_image`).

    Attributes:
        image: the image to run the task in.
        built: whether a ``docker build`` ran (else the image was cached or given).
        seconds: how long preparing it took, the build included.
        substitutions: one ``{"original", "substitute", "by", "differences"}`` per base
            image replaced (``by``: ``"image_map"`` or ``"default"``; ``differences``:
            what the substitute lacks or has otherwise, :func:`substitution_differences
            <terminal_gym.sandbox.substitute.substitution_differences>`).
        unmatched_map_keys: image-map keys that named no ``FROM`` of the task.
    """

    image: str
    built: bool = False
    seconds: float = 0.0
    substitutions: list[dict[str, Any]] = field(default_factory=list)
    unmatched_map_keys: list[str] = field(default_factory=list)

    def notes(self) -> dict[str, Any]:
        """The env ``info`` entries for an episode on this image: ``image_substitution``
        and ``image_map_unmatched``, each only when non-empty."""
        out: dict[str, Any] = {}
        if self.substitutions:
            out["image_substitution"] = [dict(s) for s in self.substitutions]
        if self.unmatched_map_keys:
            out["image_map_unmatched"] = list(self.unmatched_map_keys)
        return out


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
    """Return the image to run ``task`` in, building it if needed (:func:`prepare_image`,
    which also says what it substituted)."""
    return prepare_image(
        client,
        task,
        image_map=image_map,
        ca_bundle=ca_bundle,
        log=log,
        default_substitutes=default_substitutes,
        verifier_tools=verifier_tools,
    ).image


def prepare_image(
    client: docker.DockerClient,
    task: Task,
    *,
    image_map: Mapping[str, str] | None = None,
    ca_bundle: Path | None = None,
    log: Callable[[str], None] | None = None,
    default_substitutes: bool | None = None,
    verifier_tools: bool | None = None,
) -> ImageInfo:
    """Find or build the image to run ``task`` in; say what was substituted.

    Image references are compared without Docker Hub mirrors
    (``public.ecr.aws/docker/library/``, ``mirror.gcr.io/library/``, ``docker.io/``...);
    an ``image_map`` key without a digest names the image with any digest
    (:func:`terminal_gym.sandbox.substitute.map_lookup`), and a key that names no
    ``FROM`` of the task is logged (warning) and listed in ``unmatched_map_keys``.

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
        log: receives build notes (substitutions and how they differ, tooling, build
            time); they also go to the ``terminal_gym.sandbox.images`` logger.

    Raises:
        ImageUnavailableError: a base image is absent, cannot be pulled and has no
            local substitute; the message says what is missing and what would fix it.
        ImageBuildError: the build failed (``build_log`` and ``seconds`` say how); a
            missing local base image names ``terminal-gym images bootstrap``.
    """
    started = time.monotonic()

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
        info = ImageInfo(spec.docker_image)
        info.unmatched_map_keys = _unmatched(task.id, image_map, [spec.docker_image], note)
        found = map_lookup(image_map, spec.docker_image)
        image = spec.docker_image if found is None else found[1]
        if found is not None:
            info.substitutions.append(_record(client, spec.docker_image, image, "image_map"))
        elif substitutes_on:
            substitute = _substitute_if_missing(client, image, task.id)
            if substitute is not None:
                note(_substitution_note(task.id, image, substitute))
                info.substitutions.append(_record(client, image, substitute, "default"))
                image = substitute
        _ensure_base(client, image, task.id, spec.docker_image, substitutes_on)
        info.image = image
        _say_differences(task.id, info, note)
        info.seconds = time.monotonic() - started
        return info
    original = spec.dockerfile.read_text()
    originals = base_images(original)
    info = ImageInfo("")
    info.unmatched_map_keys = _unmatched(task.id, image_map, originals, note)
    substitutes: dict[str, str] = {}
    for base in originals:
        found = map_lookup(image_map, base)
        if found is not None:  # an explicit map's target is used as given
            info.substitutions.append(_record(client, base, found[1], "image_map"))
            continue
        if not substitutes_on:
            continue
        substitute = _substitute_if_missing(client, base, task.id)
        if substitute is not None:
            substitutes[base] = substitute
            note(_substitution_note(task.id, base, substitute))
            info.substitutions.append(_record(client, base, substitute, "default"))
    effective = {**image_map, **substitutes}
    rewritten_bases = base_images(rewrite_dockerfile(original, effective))
    tools = None
    if _flag(VERIFIER_TOOLS_VAR, verifier_tools) and any(
        new != old and new in BASE_IMAGES
        for old, new in zip(originals, rewritten_bases, strict=False)
    ):
        tools = ensure_verifier_tools(client, ca_bundle=ca_bundle, log=note)
    rewritten = rewrite_dockerfile(
        original,
        effective,
        each_stage=ca.trust_instructions() if ca_bundle is not None else (),
        final_stage=copy_instructions(tools) if tools is not None else (),
    )
    originals_by_base = dict(zip(rewritten_bases, originals, strict=False))
    base_ids = [
        _ensure_base(client, base, task.id, originals_by_base.get(base, base), substitutes_on)
        for base in base_images(rewritten)
    ]
    if tools is not None:
        base_ids.append(_ensure_base(client, tools, task.id, tools, substitutes_on))
    _say_differences(task.id, info, note)
    tag = info.image = image_tag(task, effective, ca_bundle, base_ids)
    if not _have_image(client, tag):
        with build_lock(tag):
            if not _have_image(client, tag):  # else another process built it meanwhile
                _build_task_image(client, task, tag, rewritten, ca_bundle, substitutes, log)
                info.built = True
    info.seconds = time.monotonic() - started
    return info


def _unmatched(
    task_id: str, image_map: Mapping[str, str], images: list[str], note: Callable[[str], None]
) -> list[str]:
    keys = unmatched_keys(image_map, images)
    if keys:
        note(
            f"task {task_id!r}: image map key(s) {', '.join(keys)} name no FROM image of the "
            f"task (it starts from {', '.join(images) or 'no external image'})"
        )
    return keys


def base_facts(client: docker.DockerClient, image: str) -> BaseFacts | None:
    """What a local base image made by :mod:`terminal_gym.sandbox.bootstrap` holds,
    read from its labels (an image of an older bootstrap: its suite alone); ``None``
    for any other image."""
    import docker.errors

    try:
        labels = client.images.get(image).labels or {}
    except docker.errors.ImageNotFound:
        labels = {}
    if image not in BASE_IMAGES and LABEL_RELEASE not in labels:
        return None
    release = labels.get(LABEL_RELEASE, "bookworm")
    python = labels.get(LABEL_PYTHON) or ("3.11" if image == PYTHON_IMAGE else None)
    suites = tuple(labels.get(LABEL_SUITES, release).split())
    extras = ", ".join(PYTHON_PACKAGES.split()[4:10]) + ", ..." if python else None
    return BaseFacts(release=release, python=python, suites=suites, extras=extras)


def _record(client: docker.DockerClient, original: str, substitute: str, by: str) -> dict[str, Any]:
    facts = base_facts(client, substitute)
    differences = [] if facts is None else substitution_differences(original, facts)
    return {
        "original": original,
        "substitute": substitute,
        "by": by,
        "differences": differences,
    }


def _say_differences(task_id: str, info: ImageInfo, note: Callable[[str], None]) -> None:
    for record in info.substitutions:
        if record["differences"]:
            note(
                f"task {task_id!r}: {record['substitute']} stands in for {record['original']} "
                f"and differs: {'; '.join(record['differences'])}"
            )


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
            _docker_build(
                client,
                path=str(ctx),
                dockerfile=str(dockerfile.relative_to(ctx)),
                tag=tag,
                rm=True,
                forcerm=True,
                labels=labels,
                timeout=int(spec.build_timeout_sec),
            )
        except docker.errors.BuildError as exc:
            seconds = round(time.monotonic() - started, 3)
            build_log = build_log_text(exc.build_log)
            reason = strip_ansi(str(exc.msg)).strip().splitlines() or ["docker build failed"]
            raise ImageBuildError(
                f"building task {task.id!r} from {spec.dockerfile} failed after {seconds:.1f}s: "
                f"{reason[-1][:300]}\n{build_log}",
                build_log=build_log,
                seconds=seconds,
            ) from exc
        except docker.errors.APIError as exc:
            raise ImageBuildError(
                f"building task {task.id!r} failed: {strip_ansi(str(exc))}",
                seconds=round(time.monotonic() - started, 3),
            ) from exc
        except Exception as exc:  # requests' ReadTimeout and friends
            if "timed out" in str(exc).lower():
                raise ImageBuildError(
                    f"building task {task.id!r} took longer than {spec.build_timeout_sec:.0f}s",
                    seconds=round(time.monotonic() - started, 3),
                ) from exc
            raise
    _built(f"built {tag} in {time.monotonic() - started:.1f}s", log)


def _docker_build(client: Any, **options: Any) -> None:
    """``docker build`` through the low-level API, the image left under its tag.

    docker-py's ``images.build`` takes the image id from the last log line ending in
    ``sha256:<hex>``, and the line ``Successfully tagged ...-sha256:<hash>`` of a task
    named like ``x-sha256`` is one: it then asks for an image that does not exist.

    Raises:
        docker.errors.BuildError: the daemon reported an error; its log so far.
    """
    import docker.errors

    log: list[dict[str, Any]] = []
    for chunk in client.api.build(decode=True, **options):
        log.append(chunk)
        if "error" in chunk:
            raise docker.errors.BuildError(str(chunk["error"]), log)


def build_log_text(chunks: Iterable[Mapping[str, Any]], limit: int = 4000) -> str:
    """The text of a ``docker build`` log (docker-py's chunks), its last ``limit``
    characters, without ANSI colour codes. The daemon's final ``error`` chunk repeats
    the failing step's message: it is kept once."""
    parts: list[str] = []
    for chunk in chunks:
        text = chunk.get("stream") or chunk.get("error") or ""
        if text and (not parts or text.strip() != parts[-1].strip()):
            parts.append(str(text))
    text = strip_ansi("".join(parts)).strip("\n")
    return text[-limit:]


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


def _ensure_base(
    client: docker.DockerClient,
    image: str,
    task_id: str,
    original: str | None = None,
    substitutes_on: bool = True,
) -> str:
    """Make sure ``image`` (which stands for the task's ``original``) is present, pulling
    it once, and return its id.

    A failed pull is remembered for the rest of the process, so a registry that cannot
    be reached costs one attempt per image, not one per task.

    Raises:
        ImageUnavailableError: it is absent and cannot be pulled; the message says what
            is missing and what would fix it.
    """
    image_id = _image_id(client, image) or _pull(client, image)
    if image_id is not None:
        return image_id
    original = original or image
    if image in BASE_IMAGES:
        message = (
            f"local base image {image} is missing: run `terminal-gym images bootstrap` "
            "to build the local base images"
        )
    elif original != image:
        message = (
            f"image {image} (mapped from {original}) is not present and cannot be pulled "
            f"({_UNPULLABLE.get(image, 'pull failed')}): build or load it (`docker load`) "
            "under that name, or change the image map"
        )
    elif not substitutes_on and default_substitute(image) is not None:
        message = (
            f"image {image} is not present and cannot be pulled, and the built-in "
            f"substitutes are off ({DEFAULT_MAP_VAR}=0): pass "
            f"`--image-map {image}={default_substitute(image)}` or turn them on"
        )
    else:
        message = unavailable_message(image)
    raise ImageUnavailableError(f"task {task_id!r}: {message}")


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
