"""Fixtures of the pipeline tests: a known-good task directory and variants of it."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Mapping
from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "fixtures"
COUNT_ERRORS = FIXTURES / "count-errors"


def cli(argv: list[str]) -> int:
    """Run ``terminal-gym ARGV`` (the ``tasks`` commands live in ``terminal_gym.cli.build``)."""
    from terminal_gym.cli import main

    return main(argv)


@pytest.fixture
def make_task(tmp_path: Path) -> Callable[..., Path]:
    """Copy the count-errors task to ``tmp_path / name``, replacing some of its files."""

    def make(name: str = "count-errors", files: Mapping[str, str] | None = None) -> Path:
        task_dir = tmp_path / name
        shutil.copytree(COUNT_ERRORS, task_dir)
        for rel, text in (files or {}).items():
            (task_dir / rel).write_text(text)
        return task_dir

    return make
