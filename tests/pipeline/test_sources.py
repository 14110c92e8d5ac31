"""Stage 1: reading sources from JSONL."""

from __future__ import annotations

import gzip
import json

import pytest

from terminal_gym.errors import TerminalGymError
from terminal_gym.pipeline import PipelineError
from terminal_gym.pipeline.sources import Source, SourceFormatError, read_sources


def write_jsonl(path, records):
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    return path


def test_reads_the_canonical_fields(tmp_path):
    path = write_jsonl(
        tmp_path / "issues.jsonl",
        [
            {
                "title": "Count ERROR lines",
                "body": "How do I count the ERROR lines of a log?",
                "answer": "grep -c ERROR app.log",
                "tags": ["bash", "grep"],
                "url": "https://unix.stackexchange.com/questions/1",
                "score": 7,
            },
            {"title": "Second", "body": "Another question"},
        ],
    )
    first, second = read_sources(path)
    assert first.title == "Count ERROR lines"
    assert first.body.startswith("How do I count")
    assert first.answer == "grep -c ERROR app.log"
    assert first.tags == ("bash", "grep")
    assert first.url == "https://unix.stackexchange.com/questions/1"
    assert first.extra == {"score": 7}
    assert first.id.startswith("count-error-lines-")
    assert second.answer is None and second.tags == () and second.url is None


def test_accepts_aliases_and_stack_exchange_tags(tmp_path):
    path = write_jsonl(
        tmp_path / "se.jsonl",
        [
            {
                "question_title": "Untar into a directory",
                "question": "How?",
                "accepted_answer": {"body": "tar -C dir -xf x.tar", "score": 3},
                "tags": "<tar><bash>",
                "link": "https://superuser.com/q/2",
            },
            {"subject": "Find big files", "text": "Which?", "solution": "du", "tags": "a, b c"},
        ],
    )
    first, second = read_sources(path)
    assert (first.title, first.body, first.answer) == (
        "Untar into a directory",
        "How?",
        "tar -C dir -xf x.tar",
    )
    assert first.tags == ("tar", "bash") and first.url == "https://superuser.com/q/2"
    assert (second.title, second.body, second.answer, second.tags) == (
        "Find big files",
        "Which?",
        "du",
        ("a", "b", "c"),
    )


def test_malformed_json_names_the_line(tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_text(
        json.dumps({"title": "a", "body": "b"}) + "\n\n" + '{"title": "oops", "body": \n'
    )
    with pytest.raises(SourceFormatError) as info:
        read_sources(path)
    assert info.value.line == 3
    assert "bad.jsonl line 3: invalid JSON" in str(info.value)
    # one root for everything the package raises; ValueError for callers who expect it
    assert isinstance(info.value, (PipelineError, TerminalGymError, ValueError))


def test_missing_field_names_the_line_and_the_aliases(tmp_path):
    path = write_jsonl(tmp_path / "x.jsonl", [{"title": "a", "body": "b"}, {"title": "only"}])
    with pytest.raises(SourceFormatError, match=r"line 2: missing or empty field: body \(one of"):
        read_sources(path)
    path = write_jsonl(tmp_path / "y.jsonl", [["not", "an", "object"]])
    with pytest.raises(SourceFormatError, match="line 1: expected a JSON object"):
        read_sources(path)
    with pytest.raises(SourceFormatError, match="cannot read"):
        read_sources(tmp_path / "missing.jsonl")


def test_ids_are_stable_and_duplicates_keep_the_first(tmp_path):
    a = Source.create(title="Count lines", body="x", url="https://e.com/q/1")
    b = Source.create(title="Count lines", body="different body", url="https://e.com/q/1")
    c = Source.create(title="Count lines", body="x")
    assert a.id == b.id  # the URL decides
    assert a.id != c.id and c.id == Source.create(title="Count lines", body="x").id
    assert Source.create(title="?!", body="x").id.startswith("source-")
    assert Source.create(title="t", body="b", id="SO 12345").id == "so-12345"
    path = write_jsonl(
        tmp_path / "dup.jsonl",
        [
            {"title": "T", "body": "first", "url": "u"},
            {"title": "T", "body": "second", "url": "u"},
        ],
    )
    (only,) = read_sources(path)
    assert only.body == "first"


def test_reads_gzip(tmp_path):
    path = tmp_path / "issues.jsonl.gz"
    with gzip.open(path, "wt") as fh:
        fh.write(json.dumps({"title": "T", "body": "B"}) + "\n")
    assert [s.title for s in read_sources(path)] == ["T"]
