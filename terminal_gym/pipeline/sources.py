"""Stage 1: the issues and questions tasks are made from, read from a JSONL file.

One JSON object per line: a Stack Exchange dump, GitHub issues, a forum export.
Nothing is fetched from the network. Fields (first alias found wins):

=========== ==================================================================
``title``   ``title``, ``question_title``, ``subject`` (required)
``body``    ``body``, ``question``, ``question_body``, ``text``, ``content``
            (required)
``answer``  ``answer``, ``accepted_answer``, ``accepted_answer_body``,
            ``solution``, ``answer_body`` (optional; a dict with ``body`` works)
``tags``    ``tags``: a list, ``"a,b"``, ``"a b"`` or Stack Exchange's
            ``"<a><b>"`` (optional)
``url``     ``url``, ``link``, ``html_url``, ``question_url`` (optional)
``id``      ``id``, ``source_id`` (optional: derived when absent)
=========== ==================================================================

A source's id names its task directory, so it is stable across runs: an explicit
``id`` (slugged), else a slug of the title plus a hash of the URL (or, without one,
of title and body). Blank lines are skipped; a repeated id keeps the first line.
Files ending in ``.gz`` are read through gzip.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import logging
import os
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from terminal_gym.pipeline import PipelineError

__all__ = ["Source", "SourceFormatError", "iter_sources", "read_sources", "slugify"]

log = logging.getLogger(__name__)

TITLE_KEYS = ("title", "question_title", "subject")
BODY_KEYS = ("body", "question", "question_body", "text", "content")
ANSWER_KEYS = ("answer", "accepted_answer", "accepted_answer_body", "solution", "answer_body")
URL_KEYS = ("url", "link", "html_url", "question_url")
ID_KEYS = ("id", "source_id")

_SLUG_MAX = 40


class SourceFormatError(PipelineError, ValueError):
    """A sources file is malformed; names the file and the line.

    Attributes:
        path: the sources file.
        line: the 1-based line number at fault (``None`` for the whole file).
        message: what is wrong.
    """

    def __init__(self, path: object, line: int | None, message: str):
        self.path = path
        self.line = line
        self.message = message
        where = f"{path}" + (f" line {line}" if line is not None else "")
        super().__init__(f"{where}: {message}")

    def __reduce__(self) -> tuple[type, tuple[object, int | None, str]]:
        return type(self), (self.path, self.line, self.message)


def slugify(text: str, max_len: int = _SLUG_MAX) -> str:
    """Lower-case ``[a-z0-9-]`` words of ``text``, at most ``max_len`` characters.

    Example:
        >>> slugify("How do I `grep` ERROR lines?")
        'how-do-i-grep-error-lines'
    """
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    if len(slug) > max_len:
        slug = slug[:max_len].rsplit("-", 1)[0] if "-" in slug[:max_len] else slug[:max_len]
    return slug.strip("-")


@dataclass(frozen=True)
class Source:
    """One issue or question a task is built from.

    Attributes:
        id: stable id; becomes the task directory name (``[a-z0-9-]``).
        title: the question's title.
        body: the question itself.
        answer: the accepted answer, when there is one.
        tags: topic tags.
        url: where it came from.
        extra: the other fields of the JSON line, kept as they were.
    """

    id: str
    title: str
    body: str
    answer: str | None = None
    tags: tuple[str, ...] = ()
    url: str | None = None
    extra: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def create(
        cls,
        *,
        title: str,
        body: str,
        answer: str | None = None,
        tags: tuple[str, ...] | list[str] = (),
        url: str | None = None,
        id: str | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> Source:
        """Build a source, deriving its id when none is given."""
        return cls(
            id=_stable_id(title, body, url, id),
            title=title,
            body=body,
            answer=answer,
            tags=tuple(tags),
            url=url,
            extra=dict(extra or {}),
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "body": self.body,
            "answer": self.answer,
            "tags": list(self.tags),
            "url": self.url,
        }


def _stable_id(title: str, body: str, url: str | None, explicit: str | None) -> str:
    if explicit is not None and slugify(explicit, 64):
        return slugify(explicit, 64)
    key = url.strip() if url and url.strip() else f"{title}\0{body}"
    digest = hashlib.sha256(key.encode("utf-8")).hexdigest()[:8]
    slug = slugify(title)
    return f"{slug}-{digest}" if slug else f"source-{digest}"


def _first(record: Mapping[str, Any], keys: tuple[str, ...]) -> tuple[str | None, Any]:
    for key in keys:
        if record.get(key) is not None:
            return key, record[key]
    return None, None


def _text(value: Any, what: str, path: object, line: int) -> str:
    if isinstance(value, Mapping) and isinstance(value.get("body"), str):
        value = value["body"]  # {"body": ..., "score": ...} answer objects
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        raise SourceFormatError(path, line, f"{what} must be a string, got {type(value).__name__}")
    return value


def _tags(value: Any, path: object, line: int) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        if "<" in value:
            return tuple(re.findall(r"<([^<>]+)>", value))
        return tuple(t for t in re.split(r"[,\s]+", value) if t)
    if isinstance(value, (list, tuple)) and all(isinstance(t, str) for t in value):
        return tuple(t.strip() for t in value if t.strip())
    raise SourceFormatError(path, line, "tags must be a list of strings or a string")


def parse_source(record: Any, *, path: object = "<sources>", line: int = 1) -> Source:
    """Turn one decoded JSON line into a :class:`Source`.

    Raises:
        SourceFormatError: not an object, or a required field is missing or empty.
    """
    if not isinstance(record, Mapping):
        raise SourceFormatError(path, line, f"expected a JSON object, got {type(record).__name__}")
    title_key, title = _first(record, TITLE_KEYS)
    body_key, body = _first(record, BODY_KEYS)
    missing = [
        name
        for name, value in (("title", title), ("body", body))
        if value is None or (isinstance(value, str) and not value.strip())
    ]
    if missing:
        aliases = {"title": TITLE_KEYS, "body": BODY_KEYS}
        detail = "; ".join(f"{m} (one of {', '.join(aliases[m])})" for m in missing)
        raise SourceFormatError(path, line, f"missing or empty field: {detail}")
    answer_key, answer = _first(record, ANSWER_KEYS)
    url_key, url = _first(record, URL_KEYS)
    id_key, explicit_id = _first(record, ID_KEYS)
    used = {title_key, body_key, answer_key, url_key, id_key, "tags"}
    return Source.create(
        title=_text(title, "title", path, line).strip(),
        body=_text(body, "body", path, line),
        answer=None if answer is None else _text(answer, "answer", path, line),
        tags=_tags(record.get("tags"), path, line),
        url=None if url is None else _text(url, "url", path, line).strip(),
        id=None if explicit_id is None else _text(explicit_id, "id", path, line),
        extra={k: v for k, v in record.items() if k not in used},
    )


def iter_sources(path: str | os.PathLike[str]) -> Iterator[Source]:
    """Yield the sources of a JSONL file in file order (duplicates included).

    Raises:
        SourceFormatError: the file cannot be read, or a line is not valid JSON or
            lacks a required field; the error names the line.
    """
    path = Path(path)
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        fh = opener(path, "rt", encoding="utf-8")
    except OSError as exc:
        raise SourceFormatError(path, None, f"cannot read: {exc}") from exc
    with fh:
        try:
            for number, text in enumerate(fh, start=1):
                if not text.strip():
                    continue
                try:
                    record = json.loads(text)
                except json.JSONDecodeError as exc:
                    raise SourceFormatError(path, number, f"invalid JSON: {exc}") from exc
                yield parse_source(record, path=path, line=number)
        except (OSError, UnicodeDecodeError) as exc:
            raise SourceFormatError(path, None, f"cannot read: {exc}") from exc


def read_sources(path: str | os.PathLike[str]) -> list[Source]:
    """All sources of a JSONL file, in file order; a repeated id keeps the first.

    Example:
        >>> import json, tempfile, pathlib
        >>> f = pathlib.Path(tempfile.mkdtemp()) / "issues.jsonl"
        >>> _ = f.write_text(json.dumps({"title": "T", "question": "Q?", "tags": "<bash>"}))
        >>> [(s.title, s.body, s.tags) for s in read_sources(f)]
        [('T', 'Q?', ('bash',))]
    """
    seen: set[str] = set()
    result = []
    for source in iter_sources(path):
        if source.id in seen:
            log.warning("%s: source %s appears more than once; keeping the first", path, source.id)
            continue
        seen.add(source.id)
        result.append(source)
    return result
