"""Task construction: source -> task -> environment-verified task.

The Terminal-Lego pipeline in three stages, one module each:

* :mod:`.sources` - stage 1: read issues / questions from a JSONL file
  (:func:`read_sources` -> :class:`Source`). No network scraping.
* :mod:`.construct` - stage 2: an LLM writes the instruction, the environment, the
  oracle and the tests in cascaded steps, each checked by a review loop
  (:func:`construct_task` -> a Terminal-Bench 2 task directory). :mod:`.llm` is the
  OpenAI-compatible chat client it talks through (:class:`ChatClient`).
* :mod:`.roundtrip` - stage 3: build the image on a real sandbox, then the oracle
  must score 1 *and* the untouched environment must score 0
  (:func:`verify_task_dir` -> :class:`RoundTrip`). The original pipeline checks only
  the first half.

:mod:`.build` runs the three over many sources with a thread pool, a progress bar
and a journal that makes the run resumable (:func:`build_tasks`); :mod:`.cli` adds
``terminal-gym tasks build`` and ``terminal-gym tasks verify``.

Names are imported lazily, so ``import terminal_gym.pipeline.sources`` does
not pull in the sandbox layer.

Example:
    >>> from terminal_gym.pipeline import Source
    >>> Source.create(title="Count ERROR lines", body="How do I count them?").id
    'count-error-lines-afc8c5c2'
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from terminal_gym._lazy import lazy_attributes
from terminal_gym.errors import TerminalGymError

if TYPE_CHECKING:
    from terminal_gym.pipeline.build import build_tasks, read_journal
    from terminal_gym.pipeline.construct import (
        Construction,
        ConstructionRejected,
        construct_task,
    )
    from terminal_gym.pipeline.llm import ChatClient, ChatModel, LLMError
    from terminal_gym.pipeline.roundtrip import RoundTrip, file_task, verify_task_dir
    from terminal_gym.pipeline.sources import Source, SourceFormatError, read_sources

__all__ = [
    "ChatClient",
    "ChatModel",
    "Construction",
    "ConstructionRejected",
    "LLMError",
    "PipelineError",
    "RoundTrip",
    "Source",
    "SourceFormatError",
    "build_tasks",
    "construct_task",
    "file_task",
    "read_journal",
    "read_sources",
    "verify_task_dir",
]


class PipelineError(TerminalGymError):
    """Root of the errors raised by the task construction pipeline."""


_LAZY = {
    "read_journal": ".build",
    "build_tasks": ".build",
    "Construction": ".construct",
    "ConstructionRejected": ".construct",
    "construct_task": ".construct",
    "ChatClient": ".llm",
    "ChatModel": ".llm",
    "LLMError": ".llm",
    "RoundTrip": ".roundtrip",
    "file_task": ".roundtrip",
    "verify_task_dir": ".roundtrip",
    "Source": ".sources",
    "SourceFormatError": ".sources",
    "read_sources": ".sources",
}


__getattr__, __dir__ = lazy_attributes(__name__, _LAZY)
