"""Trajectory data: the versioned schema, exporters, selection and reports.

Schema (:mod:`~terminal_gym.data.schema`):
    :data:`SCHEMA_VERSION`, :class:`Trajectory`, :class:`Step`,
    :func:`load_trajectories`, :func:`save_trajectories`.
Export (:mod:`~terminal_gym.data.export`):
    :func:`to_chat_jsonl` (SFT, TRL's ``messages`` format), :func:`to_atif` /
    :func:`save_atif` (Harbor's ATIF), :func:`to_parquet` / :func:`from_parquet`.
Selection (:mod:`~terminal_gym.data.select`):
    :func:`filter_trajectories`, :func:`rank`, :func:`dedupe_by_task`, :func:`select`.
Report (:mod:`~terminal_gym.data.report`):
    :func:`summarize`, :func:`format_table`, :func:`plot_distributions`,
    :func:`write_report`, :func:`oracle_trajectories`, :func:`split_script`.
Replay (:mod:`~terminal_gym.data.replay`):
    :func:`to_cast` (asciicast v2), :func:`to_html` (a self-contained page with
    asciinema-player), :func:`play` (in a terminal).

Example::

    from terminal_gym.data import load_trajectories, select, to_chat_jsonl
    runs = load_trajectories("runs/")
    to_chat_jsonl(select(runs, min_reward=1.0, by=("tor", "-steps"), per_task=1), "sft.jsonl")
"""

from terminal_gym.data.export import (
    ATIF_VERSION,
    from_parquet,
    save_atif,
    to_atif,
    to_chat_jsonl,
    to_chat_messages,
    to_parquet,
    validate_atif,
)
from terminal_gym.data.replay import play, to_cast, to_html
from terminal_gym.data.report import (
    format_table,
    oracle_trajectories,
    plot_distributions,
    split_script,
    summarize,
    write_report,
)
from terminal_gym.data.schema import (
    SCHEMA_VERSION,
    SchemaError,
    Step,
    Trajectory,
    load_trajectories,
    save_trajectories,
)
from terminal_gym.data.select import dedupe_by_task, filter_trajectories, metrics, rank, select

__all__ = [
    "ATIF_VERSION",
    "SCHEMA_VERSION",
    "SchemaError",
    "Step",
    "Trajectory",
    "dedupe_by_task",
    "filter_trajectories",
    "format_table",
    "from_parquet",
    "load_trajectories",
    "metrics",
    "oracle_trajectories",
    "play",
    "plot_distributions",
    "rank",
    "save_atif",
    "save_trajectories",
    "select",
    "split_script",
    "summarize",
    "to_atif",
    "to_cast",
    "to_chat_jsonl",
    "to_chat_messages",
    "to_html",
    "to_parquet",
    "validate_atif",
    "write_report",
]
