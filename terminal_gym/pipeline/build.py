"""The pipeline over many sources: parallel, resumable, with a progress bar.

For each source not yet done: construct the task (stage 2) in ``<out>/.work/<id>/``,
verify it on the backend (stage 3), and file it. The output directory::

    <out>/tasks/<id>/             environment-verified tasks (load them with
                                  TaskSet.from_source("<out>/tasks"))
    <out>/rejected/<id>/          what was produced + REJECTED.json (stage, reason)
    <out>/transcripts/<id>.json   the LLM conversations of each source
    <out>/journal.jsonl           one line per finished source (the resume state)
    <out>/summary.json            the last run's summary

Resuming: a source whose latest journal line is ``verified`` or ``rejected`` (or whose
directory already sits in ``tasks/`` or ``rejected/``) is skipped without any LLM call.
Sources that hit an infrastructure error (the LLM endpoint down, the Docker daemon
gone) are journalled as ``error`` and tried again on the next run.

Workers are threads: both stages mostly wait (on the LLM, on Docker).
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, TextIO

from terminal_gym.errors import TerminalGymError
from terminal_gym.pipeline import PipelineError
from terminal_gym.pipeline.construct import (
    DEFAULT_BASE_IMAGE,
    ConstructionRejected,
    construct_task,
)
from terminal_gym.pipeline.llm import ChatModel, LLMError
from terminal_gym.pipeline.roundtrip import (
    REJECTED_SUBDIR,
    TASKS_SUBDIR,
    file_task,
    verify_task_dir,
    write_rejection,
)
from terminal_gym.pipeline.sources import Source, read_sources
from terminal_gym.sandbox import Backend, make_backend

__all__ = [
    "JOURNAL_FILE",
    "Progress",
    "build_tasks",
    "process_source",
    "read_journal",
]

log = logging.getLogger(__name__)

JOURNAL_FILE = "journal.jsonl"
SUMMARY_FILE = "summary.json"
WORK_SUBDIR = ".work"
TRANSCRIPTS_SUBDIR = "transcripts"
#: Journal statuses that end a source's processing (``error`` is retried).
FINAL_STATUSES = ("verified", "rejected")


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def read_journal(out_dir: str | os.PathLike[str]) -> dict[str, dict[str, Any]]:
    """The latest journal record of each source id (a torn last line is ignored)."""
    path = Path(out_dir) / JOURNAL_FILE
    records: dict[str, dict[str, Any]] = {}
    if not path.is_file():
        return records
    with path.open(encoding="utf-8") as fh:
        for number, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
                records[str(record["source_id"])] = record
            except (ValueError, KeyError, TypeError):
                log.warning("%s line %d: unreadable journal line ignored", path, number)
    return records


def _done_ids(out_dir: Path) -> set[str]:
    done = {sid for sid, r in read_journal(out_dir).items() if r.get("status") in FINAL_STATUSES}
    for subdir in (TASKS_SUBDIR, REJECTED_SUBDIR):
        root = out_dir / subdir
        if root.is_dir():
            done.update(p.name for p in root.iterdir() if p.is_dir())
    return done


class Progress:
    """The live bar of a build (``rich.progress``): done/total, verified / rejected /
    errors, sources per minute, elapsed time and ETA. Thread-safe.

    Args:
        total: the sources to process.
        stream: where to draw (default stderr). A stream that is not a terminal gets
            no live redraws, only the final state when the bar closes.
        label: the text before the bar.
    """

    def __init__(self, total: int, *, stream: TextIO | None = None, label: str = "tasks build"):
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )
        from rich.progress import Progress as RichProgress

        self.counts: Counter[str] = Counter()
        self.started = time.monotonic()
        self._lock = threading.Lock()
        console = Console(file=stream) if stream is not None else Console(stderr=True)
        self._progress = RichProgress(
            TextColumn(f"[bold]{label}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[counts]}"),
            TextColumn("{task.fields[rate]}"),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            console=console,
            transient=False,
        )
        self._bar = self._progress.add_task(label, total=total, counts=self._counts(), rate="-")
        self._progress.start()

    def _counts(self) -> str:
        c = self.counts
        return f"verified {c['verified']}  rejected {c['rejected']}  errors {c['error']}"

    def advance(self, status: str) -> None:
        """One source finished with ``status`` (``verified``, ``rejected``, ``error``)."""
        with self._lock:
            self.counts[status] += 1
            elapsed = max(time.monotonic() - self.started, 1e-9)
            rate = f"{60 * sum(self.counts.values()) / elapsed:.1f}/min"
            self._progress.update(self._bar, advance=1, counts=self._counts(), rate=rate)

    def close(self) -> None:
        with self._lock:
            self._progress.stop()


def _write_transcript(out_dir: Path, source_id: str, transcript: list[Any]) -> None:
    root = out_dir / TRANSCRIPTS_SUBDIR
    root.mkdir(parents=True, exist_ok=True)
    (root / f"{source_id}.json").write_text(json.dumps(transcript, indent=1) + "\n")


def process_source(
    source: Source,
    model: ChatModel,
    out_dir: str | os.PathLike[str],
    backend: Backend,
    *,
    base_image: str = DEFAULT_BASE_IMAGE,
    max_review_rounds: int = 2,
    allow_internet: bool = False,
) -> dict[str, Any]:
    """Construct, verify and file one source; return its journal record.

    Never raises for a source's own failures: construction rejections and failed
    round trips are ``status: rejected``; infrastructure errors are ``status: error``.
    """
    out_dir = Path(out_dir)
    started = time.monotonic()
    work = out_dir / WORK_SUBDIR / source.id
    shutil.rmtree(work, ignore_errors=True)
    record: dict[str, Any] = {
        "source_id": source.id,
        "title": source.title,
        "url": source.url,
        "model": getattr(model, "model", None),
    }

    def finish(status: str, **fields: Any) -> dict[str, Any]:
        shutil.rmtree(work, ignore_errors=True)
        record.update(status=status, **fields)
        record["seconds"] = round(time.monotonic() - started, 3)
        record["finished_at"] = _now()
        return record

    try:
        construction = construct_task(
            source,
            model,
            work,
            base_image=base_image,
            max_review_rounds=max_review_rounds,
            allow_internet=allow_internet,
        )
    except ConstructionRejected as exc:
        _write_transcript(out_dir, source.id, exc.transcript)
        dest = out_dir / REJECTED_SUBDIR / source.id
        shutil.rmtree(dest, ignore_errors=True)
        for rel, text in exc.files.items():
            (dest / rel).parent.mkdir(parents=True, exist_ok=True)
            (dest / rel).write_text(text, encoding="utf-8")
        stage = f"construction:{exc.step}"
        write_rejection(
            dest,
            {
                "id": source.id,
                "stage": stage,
                "reason": exc.reason,
                "llm_calls": exc.llm_calls,
                "source": source.to_dict(),
            },
        )
        return finish(
            "rejected", stage=stage, reason=exc.reason, llm_calls=exc.llm_calls, path=str(dest)
        )
    except (LLMError, PipelineError, OSError) as exc:
        return finish("error", stage="construction", reason=f"{type(exc).__name__}: {exc}")

    _write_transcript(out_dir, source.id, construction.transcript)
    record.update(llm_calls=construction.llm_calls, replies=dict(construction.replies))
    try:
        result = verify_task_dir(work, backend)
    except TerminalGymError as exc:  # the backend itself failed (daemon gone)
        return finish("error", stage="roundtrip", reason=f"{type(exc).__name__}: {exc}")
    dest = file_task(work, out_dir, result, record={"source": source.to_dict()})
    return finish(
        "verified" if result.verified else "rejected",
        stage=result.stage if not result.verified else "verified",
        reason=result.reason,
        path=str(dest),
        roundtrip=result.to_dict(),
    )


def build_tasks(
    sources: str | os.PathLike[str] | Sequence[Source],
    out_dir: str | os.PathLike[str],
    model: ChatModel,
    backend: str | Backend = "docker",
    *,
    workers: int = 4,
    base_image: str = DEFAULT_BASE_IMAGE,
    max_review_rounds: int = 2,
    allow_internet: bool = False,
    limit: int | None = None,
    progress: bool | TextIO = True,
    on_result: Callable[[dict[str, Any]], None] | None = None,
) -> dict[str, Any]:
    """Run the pipeline over ``sources`` into ``out_dir``; return a summary.

    Args:
        sources: a JSONL file (see :mod:`.sources`) or sources already read.
        out_dir: the output root (see the module docstring); created if needed.
        model: the chat model (:class:`~.llm.ChatClient`).
        backend: the sandbox backend, or its name.
        workers: sources processed at once.
        base_image: the image every Dockerfile starts from.
        max_review_rounds: extra replies per construction step after a rejected one.
        allow_internet: let builds and sandboxes use the network.
        limit: consider only the first ``limit`` sources.
        progress: ``True`` for a live bar on stderr when it is a terminal, a stream
            for a bar there, ``False`` for none.
        on_result: called with each journal record as its source finishes (in the
            calling thread); the CLI prints one line per source with it.

    Returns:
        ``{"sources", "skipped", "processed", "verified", "rejected", "errors",
        "rejected_by_stage", "llm_calls", "seconds", "out", "totals"}`` - counts of this
        run, and in ``totals`` the journal's counts over all runs. Also written to
        ``<out>/summary.json``.
    """
    if workers < 1:
        raise ValueError("workers must be at least 1")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    items = read_sources(sources) if isinstance(sources, (str, os.PathLike)) else list(sources)
    if limit is not None:
        items = items[: max(0, limit)]
    done = _done_ids(out)
    pending = [s for s in items if s.id not in done]
    started = time.monotonic()
    owned = isinstance(backend, str)
    sandbox_backend = make_backend(backend) if isinstance(backend, str) else backend

    bar: Progress | None = None
    if progress is True and sys.stderr.isatty():
        bar = Progress(len(pending))
    elif progress and progress is not True:
        bar = Progress(len(pending), stream=progress)
    counts: Counter[str] = Counter()
    by_stage: Counter[str] = Counter()
    llm_calls = 0
    journal_path = out / JOURNAL_FILE
    try:
        with (
            journal_path.open("a", encoding="utf-8") as journal,
            ThreadPoolExecutor(max_workers=workers, thread_name_prefix="tasks-build") as pool,
        ):
            futures: dict[Future[dict[str, Any]], Source] = {
                pool.submit(
                    process_source,
                    source,
                    model,
                    out,
                    sandbox_backend,
                    base_image=base_image,
                    max_review_rounds=max_review_rounds,
                    allow_internet=allow_internet,
                ): source
                for source in pending
            }
            try:
                for future in as_completed(futures):
                    source = futures[future]
                    try:
                        record = future.result()
                    except Exception as exc:  # a bug: keep going, report it
                        log.exception("source %s failed unexpectedly", source.id)
                        record = {
                            "source_id": source.id,
                            "status": "error",
                            "stage": "internal",
                            "reason": f"{type(exc).__name__}: {exc}",
                            "finished_at": _now(),
                        }
                    journal.write(json.dumps(record, default=str) + "\n")
                    journal.flush()
                    counts[record["status"]] += 1
                    if record["status"] == "rejected":
                        by_stage[str(record.get("stage"))] += 1
                    llm_calls += int(record.get("llm_calls") or 0)
                    if bar is not None:
                        bar.advance(record["status"])
                    if on_result is not None:
                        on_result(record)
            except BaseException:
                pool.shutdown(wait=False, cancel_futures=True)
                raise
    finally:
        if bar is not None:
            bar.close()
        if owned:
            sandbox_backend.close()
        try:
            (out / WORK_SUBDIR).rmdir()
        except OSError:
            pass
    totals = Counter(r.get("status") for r in read_journal(out).values())
    summary = {
        "sources": len(items),
        "skipped": len(items) - len(pending),
        "processed": len(pending),
        "verified": counts["verified"],
        "rejected": counts["rejected"],
        "errors": counts["error"],
        "rejected_by_stage": dict(sorted(by_stage.items())),
        "llm_calls": llm_calls,
        "seconds": round(time.monotonic() - started, 3),
        "out": str(out),
        "totals": {k: totals[k] for k in ("verified", "rejected", "error")},
    }
    (out / SUMMARY_FILE).write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    return summary
