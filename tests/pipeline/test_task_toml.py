"""``task.toml`` as the pipeline and the task families write it loads back identically."""

from __future__ import annotations

import pytest

from terminal_gym.pipeline.construct import write_task_dir
from terminal_gym.tasks.families import FAMILIES
from terminal_gym.tasks.formats.harbor import load_harbor_task
from terminal_gym.tasks.formats.writer import dumps_task_toml, write_task_toml

#: Strings a hand-written writer gets wrong: quotes, backslashes, control characters,
#: newlines, non-ASCII, and text that looks like TOML.
AWKWARD = 'say "hi" \\ C:\\path\ttab\nline\x01\x7f é 漢字 🙂 ]] = [x]'


def _files():
    return {
        "environment": {"Dockerfile": "FROM python:3.12-slim\nWORKDIR /app\n"},
        "solution": {"solve.sh": "#!/bin/bash\necho 3 > /app/answer.txt\n"},
        "tests": {"test.sh": "#!/bin/bash\necho 1 > /logs/verifier/reward.txt\n"},
    }


def test_a_constructed_task_toml_loads_back_identically(tmp_path):
    meta = {
        "instruction": "# Count\nCount the lines.\n",
        "difficulty": "medium",
        "category": AWKWARD,
        "tags": ["grep", AWKWARD, ""],
        "workdir": "/app",
    }
    extra = {"source_title": AWKWARD, "source_url": None, "score": 0.5, "model": "m"}
    task_dir = write_task_dir(
        tmp_path / "awkward",
        task_name=f"terminal-gym-pipeline/{AWKWARD}",
        meta=meta,
        files=_files(),
        metadata_extra=extra,
        allow_internet=True,
        agent_timeout_sec=901.5,
    )
    task = load_harbor_task(task_dir)
    raw = task.metadata["_raw"]
    assert raw == {
        "schema_version": "1.1",
        "task": {"name": f"terminal-gym-pipeline/{AWKWARD}"},
        "metadata": {
            "difficulty": "medium",
            "category": AWKWARD,
            "tags": ["grep", AWKWARD, ""],
            "source_title": AWKWARD,
            "score": 0.5,
            "model": "m",
        },  # source_url None: left out, TOML has no null
        "agent": {"timeout_sec": 901.5},
        "verifier": {"timeout_sec": 180},
        "environment": {
            "workdir": "/app",
            "cpus": 1,
            "memory_mb": 2048,
            "allow_internet": True,
            "build_timeout_sec": 600,
        },
    }
    assert task.metadata["task_name"] == f"terminal-gym-pipeline/{AWKWARD}"
    assert task.agent_timeout_sec == 901.5 and task.environment.allow_internet


@pytest.mark.parametrize("name", sorted(FAMILIES))
def test_a_family_task_toml_loads_back_identically(tmp_path, name):
    family = FAMILIES[name]
    task = family.build(0, 1, cache_dir=tmp_path)
    text = (task.path / "task.toml").read_text()
    raw = task.metadata["_raw"]
    assert dumps_task_toml(raw) == text  # the same document, written the same way
    assert raw["task"]["name"] == f"terminal-gym/{family.task_id(1, 0)}"
    assert raw["metadata"]["family"] == name and raw["metadata"]["seed"] == 0
    assert raw["metadata"]["params"] == dict(family.instance(0, 1).params)


def test_the_writer_drops_none_at_any_depth_and_refuses_what_toml_cannot_hold(tmp_path):
    path = write_task_toml(tmp_path, {"a": None, "t": {"b": None, "c": 1, "u": {"d": None}}})
    assert path.read_text() == "[t]\nc = 1\n\n[t.u]\n"
    with pytest.raises(TypeError):
        dumps_task_toml({"t": {"s": {1, 2}}})
