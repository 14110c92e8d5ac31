"""Procedural task families: reproducible, seed-sensitive, difficulty-aware, verified."""

from __future__ import annotations

import json
import os
import pickle
import re
import stat
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from statistics import mean

import gymnasium as gym
import numpy as np
import pytest

import terminal_gym
from terminal_gym.cli import main
from terminal_gym.errors import TaskNotFoundError
from terminal_gym.rollout.agents import NullAgent, OracleAgent, run_episode
from terminal_gym.rollout.validate import validate_task
from terminal_gym.sandbox.images import context_hash
from terminal_gym.tasks import TaskSet, TaskSource, load_tasks
from terminal_gym.tasks.families import (
    FAMILIES,
    FamilySource,
    Instance,
    find_task,
    get_family,
    parse_difficulty,
    parse_task_id,
)
from terminal_gym.tasks.families.base import sync_dir

NAMES = list(FAMILIES)
#: Seeds validated per family on Docker (the difficulty cycles 1, 2, 3 over them).
DOCKER_SEEDS = 20


@pytest.fixture
def cache(tmp_path, monkeypatch) -> Path:
    """A private TERMINAL_GYM_CACHE for one test."""
    root = tmp_path / "cache"
    monkeypatch.setenv("TERMINAL_GYM_CACHE", str(root))
    return root


@pytest.fixture(scope="module")
def module_cache(tmp_path_factory):
    """A private TERMINAL_GYM_CACHE shared by a module's sandbox tests."""
    root = tmp_path_factory.mktemp("family-cache")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("TERMINAL_GYM_CACHE", str(root))
        yield root


def tree(root: Path) -> dict[str, tuple[bytes, int]]:
    return {
        p.relative_to(root).as_posix(): (p.read_bytes(), stat.S_IMODE(p.stat().st_mode))
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def env_bytes(instance: Instance) -> int:
    files = {**instance.app_files, **instance.build_files}
    return sum(len(c.encode() if isinstance(c, str) else c) for c in files.values())


# -- the registry ---------------------------------------------------------------------


def test_at_least_six_families_with_descriptions():
    assert len(FAMILIES) >= 6
    assert {
        "find-value",
        "repair-config",
        "csv-aggregate",
        "fix-seeded-bug",
        "git-history",
        "permissions-spec",
    } <= set(FAMILIES)
    for name, family in FAMILIES.items():
        assert family.name == name and family.description and family.knob
        assert family.difficulties == (1, 2, 3)
    with pytest.raises(TaskNotFoundError, match="did you mean csv-aggregate"):
        get_family("csv-agregate")


@pytest.mark.parametrize(
    ("value", "level"), [(1, 1), ("2", 2), ("hard", 3), ("Easy", 1), ("medium", 2)]
)
def test_difficulty_accepts_numbers_and_names(value, level):
    assert parse_difficulty(value) == level


@pytest.mark.parametrize("value", [0, 4, "extreme", True, None, 2.0])
def test_difficulty_rejects_the_rest(value):
    with pytest.raises(ValueError, match="difficulty must be one of"):
        parse_difficulty(value)


# -- reproducibility ------------------------------------------------------------------


@pytest.mark.parametrize("name", NAMES)
def test_same_seed_same_bytes(name, tmp_path, monkeypatch):
    family = FAMILIES[name]
    dirs = []
    for where in ("a", "b"):
        monkeypatch.setenv("TERMINAL_GYM_CACHE", str(tmp_path / where))
        for level in (1, 2, 3):
            task = family.build(7, level)
            assert task.path == tmp_path / where / "families" / name / f"d{level}" / "s7"
            dirs.append(task.path)
    for a, b in zip(dirs[:3], dirs[3:], strict=True):
        files_a, files_b = tree(a), tree(b)
        assert files_a == files_b and len(files_a) >= 5
        assert context_hash(a / "environment") == context_hash(b / "environment")


@pytest.mark.parametrize("name", NAMES)
def test_regenerating_is_cheap_and_leaves_the_files_alone(name, cache):
    family = FAMILIES[name]
    task = family.build(3, 2)
    before = {p: p.stat().st_mtime_ns for p in task.path.rglob("*")}
    digest = context_hash(task.path / "environment")
    started = time.perf_counter()
    again = family.build(3, 2)
    assert time.perf_counter() - started < 1.0
    assert again.path == task.path and again.id == task.id
    assert {p: p.stat().st_mtime_ns for p in task.path.rglob("*")} == before
    assert context_hash(task.path / "environment") == digest
    # a damaged instance is repaired in place, byte for byte
    (task.path / "instruction.md").write_text("tampered\n")
    (task.path / "environment" / "stray.txt").write_text("x\n")
    family.build(3, 2)
    assert tree(task.path) == {k: v for k, v in family.render(3, 2).items()}


def test_sync_dir_writes_exact_modes(tmp_path):
    files = {"a.sh": (b"#!/bin/sh\n", 0o755), "d/b.txt": (b"b\n", 0o644)}
    assert sync_dir(tmp_path / "t", files) is True
    assert tree(tmp_path / "t") == files
    assert sync_dir(tmp_path / "t", files) is False
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("level", [1, 2, 3])
def test_different_seeds_give_different_answers(name, level):
    family = FAMILIES[name]
    answers = [family.instance(seed, level).answer for seed in range(12)]
    assert len(set(answers)) == len(answers)


@pytest.mark.parametrize("name", NAMES)
def test_difficulty_changes_something_measurable(name):
    family = FAMILIES[name]
    sizes = {
        level: mean(env_bytes(family.instance(seed, level)) for seed in range(8))
        for level in (1, 2, 3)
    }
    assert sizes[1] < sizes[2] < sizes[3], sizes
    for seed in range(4):
        params = [dict(family.instance(seed, level).params) for level in (1, 2, 3)]
        assert params[0] != params[1] != params[2]


@pytest.mark.parametrize("name", NAMES)
def test_task_layout_and_metadata(name, cache):
    task = FAMILIES[name].build(11, "medium")
    assert task.id == f"{name}-d2-s11" and task.source_format == f"family:{name}"
    meta = task.metadata
    assert meta["family"] == name and meta["seed"] == 11
    assert meta["difficulty"] == "medium" and meta["difficulty_level"] == 2
    assert task.category and task.tags and meta["params"]
    assert task.environment.workdir == "/app" and not task.environment.allow_internet
    dockerfile = task.environment.dockerfile.read_text()
    assert dockerfile.startswith("FROM terminal-gym/python:3-bookworm\nWORKDIR /app\n")
    assert len(dockerfile.splitlines()) <= 5
    # a multi-step instance's tests are its steps' (the first step's stand for the task's)
    first = f"steps/{task.steps[0].name}/" if task.is_multi_step else ""
    test_sh = task.path / f"{first}tests" / "test.sh"
    assert task.solution is not None and test_sh.is_file()
    assert "/logs/verifier/reward.txt" in test_sh.read_text()
    # nothing generated lands outside /app (the local backend's writable tree)
    for word, args in (line.split(" ", 1) for line in dockerfile.splitlines()[2:]):
        dest = args.split()[-1] if word == "COPY" else ""
        assert word == "RUN" or dest.startswith(("/app/", "/tmp/build/"))


# -- the task set --------------------------------------------------------------------


def test_load_tasks_opens_an_infinite_family_source(cache):
    tasks = load_tasks("family:csv-aggregate", difficulty=2)
    assert isinstance(tasks, FamilySource) and isinstance(tasks, TaskSource)
    assert not isinstance(tasks, TaskSet) and tasks.finite is False
    assert tasks.difficulty == 2 and "csv-aggregate" in repr(tasks)
    assert load_tasks("family:csv-aggregate?difficulty=hard").difficulty == 3
    assert load_tasks("family:csv-aggregate").difficulty == 1
    assert load_tasks(tasks, difficulty=3).difficulty == 3
    assert load_tasks(tasks) is tasks
    with pytest.raises(ValueError, match="names difficulty"):
        load_tasks("family:csv-aggregate?difficulty=1", difficulty=3)
    with pytest.raises(ValueError, match="difficulty must be one of"):
        load_tasks("family:csv-aggregate", difficulty=9)
    with pytest.raises(ValueError, match="family:<name>' sources only"):
        load_tasks("builtin", difficulty=2)
    with pytest.raises(TaskNotFoundError, match="no task family"):
        load_tasks("family:nope")
    with pytest.raises(TypeError, match="not a task set"):
        load_tasks(["builtin", "family:csv-aggregate"])
    with pytest.raises(TypeError, match="not a task set"):
        TaskSet.from_source(["builtin", tasks])
    with pytest.raises(TypeError, match="not a task set"):
        TaskSet.from_source("family:csv-aggregate")


def test_a_task_set_is_a_finite_task_source(builtin):
    tasks = builtin
    assert isinstance(tasks, TaskSource) and tasks.finite is True
    assert load_tasks(tasks) is tasks


def test_family_set_sampling_and_lookup(cache):
    tasks = FamilySource("find-value", "medium")
    first = tasks.sample(np.random.default_rng(123))
    again = tasks.sample(np.random.default_rng(123))
    assert first.id == again.id and first.id.startswith("find-value-d2-s")
    other = tasks.sample(np.random.default_rng(124))
    assert other.id != first.id
    assert tasks[first.id] is first and first.id in tasks and first in tasks
    seed = parse_task_id(first.id)[2]
    assert tasks[seed].id == first.id and tasks[np.int64(seed)].id == first.id
    assert tasks["find-value-d3-s5"].id == "find-value-d3-s5"  # the id names the level
    assert tasks.get("csv-aggregate-d2-s1") is None and "csv-aggregate-d2-s1" not in tasks
    with pytest.raises(TaskNotFoundError, match="<family>-d<difficulty>-s<seed>"):
        tasks["csv-aggregate-d2-s1"]
    with pytest.raises(TaskNotFoundError):
        tasks["find-value-d9-s1"]
    with pytest.raises(IndexError):
        tasks[-1]
    finite = tasks[0:3]
    assert finite.ids == ("find-value-d2-s0", "find-value-d2-s1", "find-value-d2-s2")
    assert tasks.take(2, start=5).ids == ("find-value-d2-s5", "find-value-d2-s6")
    with pytest.raises(ValueError, match="needs an end"):
        tasks[3:]
    # An infinite source has no length, ids, iteration or filter (it is no Sequence).
    for missing in ("__len__", "__iter__", "ids", "filter"):
        assert not hasattr(tasks, missing), missing
    clone = pickle.loads(pickle.dumps(tasks))
    assert clone.difficulty == 2 and clone[first.id].id == first.id


def test_find_task_resolves_family_ids(cache):
    assert find_task("git-history-d3-s4").id == "git-history-d3-s4"
    assert find_task("git-history-d4-s4") is None
    assert find_task("nothing-d1-s1") is None and find_task("find-prod-api-key") is None


def test_env_accepts_family_sources(cache):
    env = gym.make("TerminalLego-v0", tasks="family:repair-config", difficulty=3, backend="local")
    try:
        tasks = env.unwrapped.tasks
        assert isinstance(tasks, FamilySource) and tasks.difficulty == 3
    finally:
        env.close()


# -- the CLI --------------------------------------------------------------------------


def test_cli_families(capsys):
    assert main(["families", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [r["name"] for r in rows] == NAMES
    assert all(r["difficulties"] == [1, 2, 3] and r["description"] for r in rows)
    assert main(["families"]) == 0
    assert "family:git-history" in capsys.readouterr().out


def test_cli_lists_family_seeds(capsys, cache):
    argv = ["list", "family:permissions-spec", "--seeds", "3", "--difficulty", "hard", "--json"]
    assert main(argv) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [r["id"] for r in rows] == [f"permissions-spec-d3-s{i}" for i in range(3)]
    assert all(r["difficulty"] == "hard" for r in rows)
    assert main(["list", "csv-aggregate-d2-s9", "find-prod-api-key", "--json"]) == 0
    assert [r["id"] for r in json.loads(capsys.readouterr().out)] == [
        "csv-aggregate-d2-s9",
        "find-prod-api-key",
    ]
    assert main(["list", "--difficulty", "2"]) == 2
    assert "--difficulty applies to family" in capsys.readouterr().err


# -- in sandboxes -----------------------------------------------------------------------


def _check_verified(env, task_id):
    oracle = run_episode(env, OracleAgent(), task=task_id)
    assert not oracle.env_error, oracle.error
    assert oracle.reward == 1.0, oracle.verifier.get("output_tail")
    null = run_episode(env, NullAgent(), task=task_id)
    assert not null.env_error, null.error
    assert null.reward == 0.0, null.verifier.get("output_tail")


@pytest.mark.docker
def test_gym_make_family_resets_reproducibly(docker_backend, module_cache):
    env = gym.make(
        "TerminalLego-v0", tasks="family:csv-aggregate", difficulty=2, backend=docker_backend
    )
    try:
        _, info = env.reset(seed=42)
        first = info["task_id"]
        assert first.startswith("csv-aggregate-d2-s")
        _, info = env.reset(seed=42)
        assert info["task_id"] == first
        obs, info = env.reset(seed=43)
        assert info["task_id"] != first
        assert "/app/out/summary.csv" in obs["instruction"]
        obs, *_ = env.step("head -n 3 /app/data/orders.csv")
        assert obs["output"].startswith("order_id,date,region")
    finally:
        env.close()


@pytest.mark.docker
def test_cli_validates_a_family(capsys, docker_client, module_cache):
    argv = ["validate", "family:fix-seeded-bug", "--seeds", "1", "--difficulty", "3"]
    assert main([*argv, "--backend", "docker"]) == 0
    out = capsys.readouterr().out
    assert re.search(r"fix-seeded-bug-d3-s0 .* ok", out) and "1/1 environment-verified" in out


@pytest.mark.local
@pytest.mark.parametrize("name", NAMES)
def test_families_validate_on_the_local_backend(name, local_backend, module_cache):
    env = gym.make("TerminalLego-v0", tasks=f"family:{name}", backend=local_backend)
    try:
        for level in (1, 2, 3):
            task = env.unwrapped.tasks[f"{name}-d{level}-s{100 + level}"]
            assert local_backend.unsupported_reason(task) is None
            _check_verified(env, task.id)
    finally:
        env.close()


@pytest.mark.local
def test_find_value_decoys_score_zero(local_backend, module_cache):
    """Answering with a near-miss file (what a careless grep finds) gets no reward."""
    env = gym.make(
        "TerminalLego-v0", tasks="family:find-value", difficulty=3, backend=local_backend
    )
    try:
        env.reset(options={"task": "find-value-d3-s1"})
        line = env.unwrapped.task.instruction.split("\n\n    ", 1)[1].split("\n", 1)[0]
        value = line.split("=", 1)[1]
        # every file that mentions the value, except the right one, is a decoy
        obs, *_ = env.step(f"grep -rlF -- '{value}' /app/data | sort")
        candidates = obs["output"].split()
        obs, *_ = env.step(f"grep -rlIxF -- '{line}' /app/data")
        right = obs["output"].strip()
        wrong = [c for c in candidates if c != right]
        assert right and len(wrong) >= 3
        env.step(f"echo {wrong[0]} > /app/answer.txt")
        *_, reward, _, _, _ = env.step(terminal_gym.SUBMIT)
        assert reward == 0.0
    finally:
        env.close()


@pytest.mark.docker
@pytest.mark.slow
def test_every_family_validates_on_docker(docker_backend, module_cache):
    """20 seeds of every family (levels 1-3 in turn): oracle 1, do-nothing 0.

    One env per family; the families run side by side in threads (episodes wait on
    containers far more than on the CPU), which takes this from about 160 s to 100 s
    on two cores.
    """

    def validate_family(name: str) -> list:
        env = gym.make("TerminalLego-v0", tasks=f"family:{name}", backend=docker_backend)
        try:
            return [
                validate_task(env, f"{name}-d{1 + seed % 3}-s{seed}")
                for seed in range(DOCKER_SEEDS)
            ]
        finally:
            env.close()

    started = time.monotonic()
    workers = min(len(NAMES), (os.cpu_count() or 2) + 1)
    with ThreadPoolExecutor(workers) as pool:
        verdicts = [v for vs in pool.map(validate_family, NAMES) for v in vs]
    elapsed = time.monotonic() - started
    failures = [f"{v.task_id}: {'; '.join(v.problems)}" for v in verdicts if not v.verified]
    print(f"\n{len(verdicts) - len(failures)}/{len(verdicts)} verified in {elapsed:.0f}s")
    assert len(verdicts) == DOCKER_SEEDS * len(NAMES)
    assert not failures, "\n".join(failures)


def test_no_generated_file_escapes_the_cache(cache):
    for name in NAMES:
        FAMILIES[name].build(0, 1)
    roots = {p.parts[len(cache.parts)] for p in cache.rglob("*")}
    assert roots == {"families"}
    assert not [p for p in cache.rglob(".*tmp-*")]
    assert os.listdir(cache / "families") and set(os.listdir(cache / "families")) == set(NAMES)
