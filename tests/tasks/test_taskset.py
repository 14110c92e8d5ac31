"""Tests for terminal_gym.tasks.taskset: discovery, lookup, filtering, sampling."""

from __future__ import annotations

import pickle
import random
import shutil
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from terminal_gym.errors import TaskFormatError, TaskNotFoundError
from terminal_gym.tasks import TaskSet, builtin_dir, load_task, load_tasks

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "tasks"
HARBOR_IDS = (
    "compose-env",
    "image-only",
    "minimal",
    "newer-serialisation",
    "original-serialisation",
    "tb2-regex-log",
)
TB1_IDS = ("descriptions", "solution-sh", "solution-yaml", "tb1-git-cli-tool")


@pytest.fixture(scope="module")
def tasks() -> TaskSet:
    """All valid fixture tasks of both formats."""
    return TaskSet.from_source([FIXTURES / "harbor", FIXTURES / "tb1"])


def make_task_tree(root: Path, relpath: str) -> Path:
    """Copy the minimal Harbor fixture to ``root/relpath``."""
    target = root / relpath
    shutil.copytree(FIXTURES / "harbor" / "minimal", target)
    return target


# -- discovery ---------------------------------------------------------------------


def test_discovers_a_directory_of_tasks():
    harbor = TaskSet.from_source(FIXTURES / "harbor")
    assert harbor.ids == HARBOR_IDS  # sorted by directory name
    assert all(task.source_format == "harbor" for task in harbor)
    assert harbor.errors == ()


def test_discovery_accepts_str_paths():
    assert TaskSet.from_source(str(FIXTURES / "tb1")).ids == TB1_IDS


def test_discovery_recurses_and_skips_non_task_dirs():
    everything = TaskSet.from_source(FIXTURES, skip_invalid=True)
    assert set(everything.ids) == set(HARBOR_IDS) | set(TB1_IDS)
    assert "not-a-task" not in everything
    # the malformed fixtures are reported, not loaded
    failed = sorted(Path(str(error.path)).parent.name for error in everything.errors)
    assert failed == ["bad-timeout", "bad-toml", "missing-instruction", "tb1-bad-yaml"]
    assert all(isinstance(error, TaskFormatError) for error in everything.errors)


def test_discovery_raises_on_a_malformed_task_by_default():
    with pytest.raises(TaskFormatError) as info:
        TaskSet.from_source(FIXTURES)
    assert "malformed" in str(info.value)


def test_discovery_depth_and_hidden_dirs(tmp_path):
    make_task_tree(tmp_path, "a")
    make_task_tree(tmp_path, "group/b")
    make_task_tree(tmp_path, "x/y/c")
    make_task_tree(tmp_path, "x/y/z/too-deep")
    make_task_tree(tmp_path, ".hidden/d")
    make_task_tree(tmp_path, "a/nested-in-a-task")  # task dirs are not descended into
    assert TaskSet.from_source(tmp_path).ids == ("a", "b", "c")


def test_single_task_dir():
    task_set = TaskSet.from_source(FIXTURES / "harbor" / "minimal")
    assert task_set.ids == ("minimal",)


def test_single_malformed_task_dir_always_raises():
    with pytest.raises(TaskFormatError):
        TaskSet.from_source(FIXTURES / "malformed" / "bad-toml", skip_invalid=True)


def test_builtin_source():
    assert builtin_dir() == Path(__file__).resolve().parents[2] / "terminal_gym/tasks/builtin"
    builtin = TaskSet.from_source("builtin")
    assert len(builtin) > 0
    assert "find-prod-api-key" in builtin
    assert builtin.errors == ()


def test_list_of_sources_keeps_order(tasks):
    extra = load_task(FIXTURES / "harbor" / "minimal")
    mixed = TaskSet.from_source(
        [FIXTURES / "tb1" / "solution-sh", FIXTURES / "harbor" / "image-only"]
    )
    assert mixed.ids == ("solution-sh", "image-only")
    assert TaskSet.from_source([mixed, extra]).ids == ("solution-sh", "image-only", "minimal")
    assert tasks.ids == HARBOR_IDS + TB1_IDS


def test_task_and_task_list_sources():
    task = load_task(FIXTURES / "harbor" / "minimal")
    assert TaskSet.from_source(task).ids == ("minimal",)
    assert TaskSet.from_source([task]).ids == ("minimal",)
    assert TaskSet([task])[0] is task


def test_taskset_source_is_returned_as_is(tasks):
    assert TaskSet.from_source(tasks) is tasks


def test_family_source_errors():
    with pytest.raises(TaskNotFoundError):
        load_tasks("family:arith")
    with pytest.raises(TypeError):
        TaskSet.from_source(["builtin", "family:csv-aggregate"])


def test_missing_and_empty_sources(tmp_path):
    with pytest.raises(TaskFormatError) as info:
        TaskSet.from_source(tmp_path / "nowhere")
    assert "nowhere" in str(info.value)
    (tmp_path / "empty" / "sub").mkdir(parents=True)
    with pytest.raises(TaskFormatError) as info:
        TaskSet.from_source(tmp_path / "empty")
    assert "no task directories found" in str(info.value)


def test_unsupported_source_type():
    with pytest.raises(TypeError):
        TaskSet.from_source(42)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        TaskSet(["not a task"])  # type: ignore[list-item]


def test_duplicate_ids(tmp_path):
    first = make_task_tree(tmp_path, "one/same-id")
    second = make_task_tree(tmp_path, "two/same-id")
    with pytest.raises(TaskFormatError) as info:
        TaskSet.from_source(tmp_path)
    assert info.value.field == "id"
    assert "duplicate task id 'same-id'" in str(info.value)
    assert str(first) in str(info.value) and str(second) in str(info.value)

    task = load_task(first)
    with pytest.raises(TaskFormatError, match="duplicate task id"):
        TaskSet([task, task])
    with pytest.raises(TaskFormatError, match="duplicate task id"):
        TaskSet.from_source([first, second])


# -- the Sequence API --------------------------------------------------------------


def test_sequence_protocol(tasks: TaskSet) -> None:
    assert isinstance(tasks, Sequence)
    assert len(tasks) == len(HARBOR_IDS) + len(TB1_IDS)
    assert [task.id for task in tasks] == list(tasks.ids)
    assert tasks[0].id == HARBOR_IDS[0]
    assert tasks[-1].id == TB1_IDS[-1]
    assert tasks.index(tasks[3]) == 3
    assert [task.id for task in reversed(tasks)] == list(reversed(tasks.ids))
    with pytest.raises(IndexError):
        tasks[100]


def test_slice_is_a_taskset(tasks):
    head = tasks[:2]
    assert isinstance(head, TaskSet)
    assert head.ids == HARBOR_IDS[:2]


def test_lookup_by_id(tasks):
    assert tasks["minimal"].id == "minimal"
    assert tasks.get("minimal") is tasks["minimal"]
    assert tasks.get("nope") is None
    assert "minimal" in tasks
    assert tasks["minimal"] in tasks
    assert "nope" not in tasks
    assert 3 not in tasks


def test_unknown_id_suggests_close_ids(tasks):
    with pytest.raises(TaskNotFoundError) as info:
        tasks["solution-sj"]
    message = str(info.value)
    assert "'solution-sj'" in message
    assert "did you mean" in message
    assert "'solution-sh'" in message and "'solution-yaml'" in message
    # a KeyError too, so dict-style callers can catch it
    assert isinstance(info.value, KeyError)


def test_unknown_id_without_close_matches_lists_some_ids(tasks):
    with pytest.raises(TaskNotFoundError) as info:
        tasks["zzzzzzzzzz"]
    assert "known ids include" in str(info.value)


def test_repr(tasks):
    assert repr(tasks).startswith(f"TaskSet({len(tasks)} tasks: compose-env, ")


# -- filter ------------------------------------------------------------------------


def test_filter_by_difficulty(tasks):
    assert tasks.filter(difficulty="hard").ids == ("newer-serialisation", "tb1-git-cli-tool")
    assert set(tasks.filter(difficulty=["easy", "hard"]).ids) == {
        "minimal",
        "image-only",
        "newer-serialisation",
        "solution-sh",
        "solution-yaml",
        "tb1-git-cli-tool",
    }


def test_filter_by_category(tasks):
    assert tasks.filter(category="data-processing").ids == ("newer-serialisation", "tb2-regex-log")
    assert tasks.filter(category={"games", "networking"}).ids == ("compose-env", "solution-yaml")


def test_filter_by_tags_requires_all(tasks):
    assert tasks.filter(tags="regex").ids == ("tb2-regex-log",)
    assert tasks.filter(tags=["git", "cli"]).ids == ("tb1-git-cli-tool",)
    assert tasks.filter(tags=["git", "regex"]).ids == ()


def test_filter_by_ids_and_predicate(tasks):
    assert tasks.filter(ids=["minimal", "solution-sh"]).ids == ("minimal", "solution-sh")
    assert tasks.filter(ids="minimal").ids == ("minimal",)
    tb1_only = tasks.filter(predicate=lambda task: task.source_format == "tb1")
    assert tb1_only.ids == TB1_IDS
    with pytest.raises(TaskNotFoundError, match="minimall"):
        tasks.filter(ids=["minimall"])


def test_filter_combines_criteria(tasks):
    hard_tb1 = tasks.filter(difficulty="hard", predicate=lambda task: task.source_format == "tb1")
    assert hard_tb1.ids == ("tb1-git-cli-tool",)
    assert isinstance(tasks.filter(), TaskSet)
    assert tasks.filter().ids == tasks.ids


def test_filter_keeps_load_errors():
    everything = TaskSet.from_source(FIXTURES, skip_invalid=True)
    assert len(everything.filter(difficulty="easy").errors) == len(everything.errors)


# -- sample ------------------------------------------------------------------------


def test_sample_is_deterministic_with_a_seeded_generator(tasks):
    first = [tasks.sample(np.random.default_rng(123)).id for _ in range(5)]
    assert len(set(first)) == 1  # same fresh seed, same draw

    rng_a, rng_b = np.random.default_rng(7), np.random.default_rng(7)
    draws_a = [tasks.sample(rng_a).id for _ in range(50)]
    draws_b = [tasks.sample(rng_b).id for _ in range(50)]
    assert draws_a == draws_b


def test_sample_uses_only_the_given_generator(tasks):
    np.random.seed(0)
    random.seed(0)
    a = [tasks.sample(np.random.default_rng(5)).id for _ in range(3)]
    np.random.seed(999)
    random.seed(999)
    b = [tasks.sample(np.random.default_rng(5)).id for _ in range(3)]
    assert a == b


def test_sample_is_uniform_enough(tasks):
    rng = np.random.default_rng(0)
    counts = dict.fromkeys(tasks.ids, 0)
    for _ in range(2000):
        counts[tasks.sample(rng).id] += 1
    expected = 2000 / len(tasks)
    assert all(0.6 * expected < count < 1.4 * expected for count in counts.values()), counts


def test_sample_from_an_empty_set():
    with pytest.raises(TaskNotFoundError, match="empty"):
        TaskSet([]).sample(np.random.default_rng(0))


# -- pickling (Ray ships env configs to workers) -------------------------------------


def test_pickle_round_trip(tasks):
    clone = pickle.loads(pickle.dumps(tasks))
    assert clone.ids == tasks.ids
    assert clone["minimal"] == tasks["minimal"]


def test_pickle_keeps_load_errors():
    everything = TaskSet.from_source(FIXTURES, skip_invalid=True)
    clone = pickle.loads(pickle.dumps(everything))
    assert [str(e) for e in clone.errors] == [str(e) for e in everything.errors]
    assert [(e.path, e.field) for e in clone.errors] == [
        (e.path, e.field) for e in everything.errors
    ]
    assert all(isinstance(e, TaskFormatError) for e in clone.errors)
