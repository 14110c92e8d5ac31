"""``FROM`` substitution: which image a task's Dockerfile really starts from.

* An *image map* (``--image-map SRC=DST``, ``TERMINAL_GYM_IMAGE_MAP``;
  :func:`parse_image_map`) names local stand-ins for images, e.g. for offline registries.
* :data:`DEFAULT_SUBSTITUTES` are the built-in stand-ins used when an image is neither
  present nor pullable (:func:`default_substitute`): ``python:*``, ``ubuntu:*``,
  ``debian:*`` and the Terminal-Bench base images map to the offline base images of
  :mod:`terminal_gym.sandbox.bootstrap`.
* :func:`rewrite_dockerfile` applies a map to the ``FROM`` lines (never to earlier
  stages' names) and adds lines after each stage's ``FROM``; :func:`base_images` lists
  the images a Dockerfile starts from.

Dockerfiles are read by :mod:`terminal_gym.tasks.dockerfile`.
"""

from __future__ import annotations

import fnmatch
import os
from collections.abc import Iterable, Mapping, Sequence

from terminal_gym.sandbox.bootstrap import DEBIAN_IMAGE, PYTHON_IMAGE
from terminal_gym.tasks import dockerfile

__all__ = [
    "DEFAULT_MAP_VAR",
    "DEFAULT_SUBSTITUTES",
    "IMAGE_MAP_VAR",
    "base_images",
    "default_substitute",
    "parse_image_map",
    "rewrite_dockerfile",
]

#: Comma-separated ``SRC=DST`` pairs that every image map starts from.
IMAGE_MAP_VAR = "TERMINAL_GYM_IMAGE_MAP"
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


def parse_image_map(items: Iterable[str] | Mapping[str, str] | None) -> dict[str, str]:
    """``["python:3.11-slim=terminal-gym/python:3-bookworm", ...]`` -> dict.

    Also reads ``TERMINAL_GYM_IMAGE_MAP`` (comma-separated ``SRC=DST``) from the environment;
    explicit items win.

    Raises:
        ValueError: an entry is not ``SRC=DST``.
    """
    result: dict[str, str] = {}
    env_items = [i for i in os.environ.get(IMAGE_MAP_VAR, "").split(",") if i.strip()]
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
    text: str,
    image_map: Mapping[str, str],
    *,
    each_stage: Sequence[str] = (),
    final_stage: Sequence[str] = (),
) -> str:
    """Apply ``image_map`` to the ``FROM`` lines and add lines after them.

    Args:
        each_stage: lines to add after every ``FROM`` (e.g.
            :func:`terminal_gym.sandbox.ca.trust_instructions`).
        final_stage: lines to add after the last ``FROM``, after ``each_stage``.

    A ``FROM`` whose image changes is rewritten on one line; every other line is kept
    as it was.
    """
    lines = text.split("\n")
    stages = dockerfile.stages(dockerfile.parse(text))
    edits: list[tuple[int, int, list[str]]] = []  # (first line, end line, new lines)
    for count, stage in enumerate(stages):
        step, clause = stage.instruction, stage.source
        image = clause.image if stage.from_stage else image_map.get(clause.image, clause.image)
        first, end = step.line - 1, step.end_line
        new = lines[first:end]
        if image != clause.image:
            words = step.args.split()
            words[len(clause.flags)] = image
            indent = new[0][: len(new[0]) - len(new[0].lstrip())]
            new = [f"{indent}{new[0].split()[0]} {' '.join(words)}"]
        new += each_stage
        if count == len(stages) - 1:
            new += final_stage
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


def base_images(dockerfile_text: str) -> list[str]:
    """The external images a Dockerfile starts from (stage references excluded).

    >>> base_images("FROM python:3.11 AS build\\nFROM build\\nFROM scratch\\n")
    ['python:3.11']
    """
    return [
        stage.source.image
        for stage in dockerfile.stages(dockerfile.parse(dockerfile_text))
        if not stage.from_stage
        and stage.source.image
        and stage.source.image.lower() != "scratch"
        and "$" not in stage.source.image
    ]
