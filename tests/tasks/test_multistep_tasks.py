"""Multi-step tasks (Harbor ``[[steps]]``), validated step by step on Docker.

Independently of the env's episode loop, each step is played the way Harbor plays it in
one sandbox: the step's ``workdir/`` is copied into the working directory (and its
``setup.sh`` run), the step's verifier must give 0 before the step's oracle and 1 after
it, and the filesystem carries on into the next step. A fresh sandbox graded at step 0
without doing anything must score 0.
"""

from __future__ import annotations

import time

import pytest

from terminal_gym.sandbox.base import Backend, Sandbox
from terminal_gym.tasks import TaskSet
from terminal_gym.tasks.families import FAMILIES
from terminal_gym.tasks.spec import StepSpec, Task
from terminal_gym.verifier import VerifierResult, verify

MULTISTEP_IDS = ("debug-cascade", "etl-pipeline-steps", "staged-kv-service")
FAMILY = "staged-config"
FAMILY_SEEDS = (0, 1, 2)
_STAGING = "/tmp/.terminal-gym-step-workdir"


@pytest.fixture(scope="module")
def family_cache(tmp_path_factory):
    root = tmp_path_factory.mktemp("family-cache")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("TERMINAL_GYM_CACHE", str(root))
        yield root


def _bundled(task_id: str) -> Task:
    return TaskSet.from_source("builtin")[task_id]


def _enter_step(sandbox: Sandbox, task: Task, step: StepSpec) -> None:
    """Copy the step's ``workdir/`` into the working directory, then run its setup.sh."""
    if step.workdir_dir is None:
        return
    workdir = task.environment.workdir or "/"
    sandbox.upload(step.workdir_dir, _STAGING)
    setup = "bash setup.sh" if _has_setup(step) else "true"
    run = sandbox.exec(
        f"cp -a {_STAGING}/. {workdir}/ && rm -rf {_STAGING} && cd {workdir} && {setup}",
        timeout=120,
    )
    assert run.exit_code == 0, f"step {step.name}: workdir/setup failed: {run.output[-800:]}"


def _has_setup(step: StepSpec) -> bool:
    return step.workdir_dir is not None and (step.workdir_dir / "setup.sh").is_file()


def _run_oracle(sandbox: Sandbox, task: Task, step: StepSpec) -> None:
    solution = step.solution
    assert solution is not None and solution.command, f"step {step.name} has no oracle"
    for src, dest in solution.uploads:
        sandbox.upload(src, dest)
    run = sandbox.exec(
        solution.command,
        timeout=300,
        env={"DEBIAN_FRONTEND": "noninteractive", **solution.env},
        workdir=task.environment.workdir,
    )
    assert run.exit_code == 0, f"step {step.name}: oracle failed: {run.output[-800:]}"


def _grade(sandbox: Sandbox, task: Task, index: int) -> VerifierResult:
    """Grade step ``index``, then clear what grading left (``/tests``, the reward files)
    and the oracle's ``/solution``: the next grading's tamper check must not take them
    for the agent's doing."""
    result = verify(sandbox, task.step_task(index))
    run = sandbox.exec("rm -rf /tests /solution /logs/verifier", timeout=60)
    assert run.exit_code == 0, run.output
    return result


def _graded(result: VerifierResult, want: float, what: str) -> None:
    assert result.error is None and not result.withheld, (what, result.error, result.tamper)
    assert result.reward == want, f"{what}: reward {result.reward}\n{result.output_tail}"


def play_steps(backend: Backend, task: Task) -> list[tuple[str, float, float]]:
    """Every step in order in one sandbox: ``(step, reward before, reward after)``."""
    assert task.is_multi_step and task.steps[0].min_reward is not None
    rows = []
    sandbox = backend.create(task)
    try:
        for i, step in enumerate(task.steps):
            _enter_step(sandbox, task, step)
            before = _grade(sandbox, task, i)
            _graded(before, 0.0, f"{task.id} step {step.name} before its oracle")
            _run_oracle(sandbox, task, step)
            after = _grade(sandbox, task, i)
            _graded(after, 1.0, f"{task.id} step {step.name} after its oracle")
            rows.append((step.name, before.reward, after.reward))
    finally:
        sandbox.close()
    return rows


def do_nothing_scores_zero(backend: Backend, task: Task) -> None:
    sandbox = backend.create(task)
    try:
        _enter_step(sandbox, task, task.steps[0])
        _graded(_grade(sandbox, task, 0), 0.0, f"{task.id}: doing nothing")
    finally:
        sandbox.close()


def test_bundled_multistep_tasks_load_as_declared(builtin):
    strategies = []
    for task_id in MULTISTEP_IDS:
        task = builtin[task_id]
        assert len(task.steps) == 3 and "multi-step" in task.tags
        assert task.steps[0].min_reward == 1.0
        assert task.environment.workdir == "/app"
        assert task.environment.network.mode == "no-network"
        assert all(step.solution is not None for step in task.steps)
        # the task-level instruction, verifier and oracle are the first step's
        assert task.instruction == task.steps[0].instruction
        assert task.solution == task.steps[0].solution
        strategies.append(task.reward_strategy)
    assert sorted(strategies) == ["final", "mean", "mean"]


def test_family_instances_have_two_to_four_steps(family_cache):
    family = FAMILIES[FAMILY]
    for level, count in ((1, 2), (2, 3), (3, 4)):
        for seed in FAMILY_SEEDS:
            task = family.build(seed, level)
            assert len(task.steps) == count and task.is_multi_step
            assert task.steps[0].min_reward == 1.0 and "multi-step" in task.tags
            assert all(step.solution is not None for step in task.steps)


@pytest.mark.docker
@pytest.mark.parametrize("task_id", MULTISTEP_IDS)
def test_bundled_task_steps_validate_on_docker(docker_backend, task_id):
    task = _bundled(task_id)
    started = time.monotonic()
    rows = play_steps(docker_backend, task)
    do_nothing_scores_zero(docker_backend, task)
    assert [name for name, _, _ in rows] == [step.name for step in task.steps]
    print(f"\n{task_id}: {rows} in {time.monotonic() - started:.1f}s")


@pytest.mark.docker
@pytest.mark.slow
@pytest.mark.parametrize("level", [1, 2, 3])
def test_family_steps_validate_on_docker(docker_backend, family_cache, level):
    family = FAMILIES[FAMILY]
    started = time.monotonic()
    for seed in FAMILY_SEEDS:
        task = family.build(seed, level)
        rows = play_steps(docker_backend, task)
        assert len(rows) == level + 1
        do_nothing_scores_zero(docker_backend, task)
    elapsed = time.monotonic() - started
    print(f"\n{FAMILY} level {level}: {len(FAMILY_SEEDS)} seeds in {elapsed:.1f}s")
