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
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from terminal_gym.sandbox.bootstrap import DEBIAN_IMAGE, PYTHON_IMAGE
from terminal_gym.tasks import dockerfile

__all__ = [
    "DEBIAN_RELEASES",
    "DEFAULT_MAP_VAR",
    "DEFAULT_SUBSTITUTES",
    "IMAGE_MAP_VAR",
    "MIRROR_PREFIXES",
    "BaseFacts",
    "ImageRef",
    "base_images",
    "default_substitute",
    "map_lookup",
    "mapped",
    "parse_image_map",
    "rewrite_dockerfile",
    "substitution_differences",
    "unavailable_message",
    "unmatched_keys",
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
        image = clause.image if stage.from_stage else mapped(image_map, clause.image)
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


#: Registry mirrors of Docker Hub's images: ``public.ecr.aws/docker/library/debian`` is
#: ``debian``. Longest first; ``library/`` (Docker Hub's namespace of official images)
#: last.
MIRROR_PREFIXES: tuple[str, ...] = (
    "public.ecr.aws/docker/library/",
    "registry-1.docker.io/library/",
    "index.docker.io/library/",
    "mirror.gcr.io/library/",
    "docker.io/library/",
    "registry-1.docker.io/",
    "index.docker.io/",
    "mirror.gcr.io/",
    "docker.io/",
    "library/",
)


@dataclass(frozen=True)
class ImageRef:
    """An image reference taken apart: Docker Hub mirrors stripped from the name.

    >>> ImageRef.parse("public.ecr.aws/docker/library/debian:bookworm-slim@sha256:ab")
    ImageRef(name='debian', tag='bookworm-slim', digest='sha256:ab')
    >>> ImageRef.parse("localhost:5000/app").tag is None
    True
    """

    name: str
    tag: str | None
    digest: str | None

    @classmethod
    def parse(cls, image: str) -> ImageRef:
        rest, _, digest = image.strip().partition("@")
        name, tag = rest, None
        if ":" in rest.rpartition("/")[2]:
            name, _, tag = rest.rpartition(":")
        for prefix in MIRROR_PREFIXES:
            if name.startswith(prefix):
                name = name[len(prefix) :]
                break
        return cls(name, tag or None, digest or None)

    @property
    def short(self) -> str:
        """``name[:tag]`` without registry mirror or digest, e.g. ``debian:bookworm-slim``."""
        return f"{self.name}:{self.tag}" if self.tag else self.name

    def matches(self, key: ImageRef) -> bool:
        """Whether an image-map key names this image: the same name and tag (none is
        ``latest``); a key with a digest also needs the same digest, one without matches
        any digest."""
        if self.name != key.name:
            return False
        if key.digest is not None:
            return key.digest == self.digest and (
                key.tag is None or self.tag is None or key.tag == self.tag
            )
        return (self.tag or "latest") == (key.tag or "latest")


def map_lookup(image_map: Mapping[str, str], image: str) -> tuple[str, str] | None:
    """The ``(key, target)`` of ``image_map`` that names ``image``, if one does.

    An exact key wins; else keys compare as :meth:`ImageRef.matches` says, so
    ``debian:bookworm-slim`` names
    ``public.ecr.aws/docker/library/debian:bookworm-slim@sha256:...``.

    >>> map_lookup({"debian:bookworm-slim": "x"}, "mirror.gcr.io/library/debian:bookworm-slim")
    ('debian:bookworm-slim', 'x')
    >>> map_lookup({"debian:bookworm-slim@sha256:aa": "x"}, "debian:bookworm-slim@sha256:bb")
    """
    if image in image_map:
        return image, image_map[image]
    ref = ImageRef.parse(image)
    for key, target in image_map.items():
        if ref.matches(ImageRef.parse(key)):
            return key, target
    return None


def mapped(image_map: Mapping[str, str], image: str) -> str:
    """``image``'s target in ``image_map`` (:func:`map_lookup`), else ``image``."""
    found = map_lookup(image_map, image)
    return image if found is None else found[1]


def unmatched_keys(image_map: Mapping[str, str], images: Iterable[str]) -> list[str]:
    """The keys of ``image_map`` that name none of ``images``.

    >>> unmatched_keys({"debian:12": "a", "python:3.12": "b"}, ["docker.io/library/python:3.12"])
    ['debian:12']
    """
    used = {found[0] for image in images if (found := map_lookup(image_map, image)) is not None}
    return [key for key in image_map if key not in used]


def _normalise(image: str) -> str:
    return ImageRef.parse(image).short


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


# -- what a substitute differs in -----------------------------------------------------

#: Debian's codenames and their release numbers.
DEBIAN_RELEASES: dict[str, int] = {
    "buster": 10,
    "bullseye": 11,
    "bookworm": 12,
    "trixie": 13,
    "forky": 14,
}
_FLOATING = ("latest", "stable", "testing", "unstable", "sid", "oldstable", "rc-buggy")
_TBENCH = "ghcr.io/laude-institute/t-bench/"


@dataclass(frozen=True)
class BaseFacts:
    """What a local base image holds, as far as a substitution can differ in it.

    Attributes:
        release: its Debian codename (``"bookworm"``).
        python: its Python's ``major.minor``, ``None`` without Python.
        suites: the apt suites in its sources (``("bookworm", "bookworm-updates", ...)``).
        extras: a few packages it has that a slim image has not (``None``: as slim).
    """

    release: str
    python: str | None
    suites: tuple[str, ...]
    extras: str | None = None


def _release_of(word: str) -> str | None:
    """``"bookworm"`` for ``bookworm``/``12``/``12.5``/``bookworm-20240110`` words."""
    if word in DEBIAN_RELEASES:
        return word
    number = re.match(r"(\d+)(?:\.\d+)*$", word)
    if number:
        return next((k for k, v in DEBIAN_RELEASES.items() if v == int(number[1])), None)
    return None


def _debian(release: str) -> str:
    number = DEBIAN_RELEASES.get(release)
    return f"Debian {release}" + (f" ({number})" if number else "")


def substitution_differences(original: str, facts: BaseFacts) -> list[str]:
    """How a base described by ``facts`` differs from the image ``original`` names.

    >>> facts = BaseFacts("bookworm", "3.11", ("bookworm", "bookworm-updates", "bookworm-security"))
    >>> substitution_differences("python:3.11-slim-bookworm", facts)  # doctest: +ELLIPSIS
    ["Python from Debian packages ..."]
    >>> substitution_differences("debian:bullseye-slim", facts)
    ['Debian bookworm (12) instead of bullseye (11): newer packages than asked']
    >>> substitution_differences("mirror.gcr.io/library/python:3.13", facts)[:2]
    ['Python 3.11 instead of 3.13', 'not the full image: no compilers (gcc, g++) or -dev headers']
    """
    ref = ImageRef.parse(original)
    name, tag = ref.name, (ref.tag or "latest").lower()
    if name.startswith(_TBENCH):  # ghcr.io/laude-institute/t-bench/python-3-13:<date>
        flavour, _, numbers = name[len(_TBENCH) :].partition("-")
        name, tag = flavour, numbers.replace("-", ".")
    words = tag.split("-")
    out: list[str] = []
    if name == "ubuntu":
        out.append(
            f"{_debian(facts.release)} instead of Ubuntu {tag}: package names and versions differ"
        )
        return out
    if name not in ("debian", "python"):
        return out
    if name == "python":
        version = words[0] if re.match(r"\d+(\.\d+)*$", words[0]) else None
        asked = ".".join((version or "").split(".")[:2])
        if facts.python is None:
            out.append("no Python installed")
        elif version is None or "." not in version:
            out.append(f"Python {facts.python}; the tag {tag!r} follows the newest Python 3")
        elif asked != facts.python:
            out.append(f"Python {facts.python} instead of {asked}")
        if "alpine" in tag:
            out.append(f"{_debian(facts.release)} instead of Alpine Linux (glibc and apt, no apk)")
        elif "slim" not in words and facts.python is not None:
            out.append("not the full image: no compilers (gcc, g++) or -dev headers")
        if facts.python is not None:
            out.append(
                "Python from Debian packages (/usr/bin/python3; pip installs system-wide), "
                "not the official image's /usr/local build"
            )
    if "slim" in words and facts.extras:
        out.append(f"not slim: extra packages ({facts.extras})")
    if "alpine" not in tag:
        release = next((r for w in words if (r := _release_of(w)) is not None), None)
        if release is None and (name == "python" or words[0] in _FLOATING):
            out.append(
                f"the tag {tag!r} pins no Debian release (it follows the newest); "
                f"the substitute is {_debian(facts.release)}"
            )
        elif release is not None and release != facts.release:
            have, want = DEBIAN_RELEASES[facts.release], DEBIAN_RELEASES[release]
            out.append(
                f"{_debian(facts.release)} instead of {release} ({want}): "
                f"{'older' if have < want else 'newer'} packages than asked"
            )
        missing = [
            s
            for s in (facts.release, f"{facts.release}-updates", f"{facts.release}-security")
            if s not in facts.suites
        ]
        if missing:
            out.append(
                f"apt sources lack {', '.join(missing)}: package versions from "
                f"{'them' if len(missing) > 1 else 'it'} will not install (rebuild the base "
                "images: terminal-gym images bootstrap)"
            )
    return out


#: What an official image provides, by name, for the refusal of one with no local base.
_PROVIDES: dict[str, str] = {
    "rust": "Rust",
    "node": "Node.js",
    "golang": "Go",
    "openjdk": "Java",
    "eclipse-temurin": "Java",
    "amazoncorretto": "Java",
    "maven": "Maven",
    "gradle": "Gradle",
    "ruby": "Ruby",
    "php": "PHP",
    "perl": "Perl",
    "gcc": "GCC",
    "julia": "Julia",
    "r-base": "R",
    "haskell": "GHC",
    "swift": "Swift",
    "elixir": "Elixir",
    "erlang": "Erlang",
    "python": "Python",
    "ubuntu": "Ubuntu",
    "alpine": "Alpine Linux",
    "fedora": "Fedora",
    "centos": "CentOS",
    "rockylinux": "Rocky Linux",
    "archlinux": "Arch Linux",
    "postgres": "PostgreSQL",
    "mysql": "MySQL",
    "mariadb": "MariaDB",
    "redis": "Redis",
    "mongo": "MongoDB",
    "nginx": "nginx",
}


def unavailable_message(image: str) -> str:
    """The one sentence that refuses ``image``: what is missing and what would fix it.

    >>> unavailable_message("rust:1.80")  # doctest: +NORMALIZE_WHITESPACE
    'image rust:1.80 cannot be built offline: no local base provides Rust 1.80; build or
    load it (`docker load`) and pass `--image-map rust:1.80=LOCAL`'
    """
    ref = ImageRef.parse(image)
    what = _PROVIDES.get(ref.name)
    if what is None:
        what = f"the contents of {ref.short}"
    else:
        version = re.match(r"\d+(?:\.\d+)*", ref.tag or "")
        what += f" {version[0]}" if version else ""
    return (
        f"image {image} cannot be built offline: no local base provides {what}; "
        f"build or load it (`docker load`) and pass `--image-map {image}=LOCAL`"
    )
