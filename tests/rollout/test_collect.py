"""``collect()`` on a Docker-free env (the thread engine): plans, groups, streaming,
resume after a crash, environment errors, LLM errors, bad input."""

from __future__ import annotations

import dataclasses
import json
import threading
import time

import pytest

from terminal_gym.data import load_trajectories
from terminal_gym.rollout import CollectError, collect, group_stats, load_rollouts
from terminal_gym.rollout.collect import plan_episodes
from terminal_gym.tasks import TaskSet
from tests.conftest import FIXTURES
from tests.rollout import fakes
from tests.rollout.fake_llm import FakeLLMServer, require_openai, solver

fakes.register()


def tasks(*ids: str) -> TaskSet:
    base = TaskSet.from_source(FIXTURES / "shell-task")[0]
    return TaskSet([dataclasses.replace(base, id=i) for i in ids])


def run(task_set, agent="null", **kwargs):
    kwargs.setdefault("use_ray", False)
    return collect(task_set, agent, env_id=fakes.ENV_ID, **kwargs)


def test_plan_groups_members_of_one_instance_together():
    specs = plan_episodes(["a", "b"], episodes=2, group=3, seed=10)
    assert len(specs) == 12
    assert [s.group_id for s in specs[:3]] == ["a@10"] * 3
    assert [s.group_index for s in specs[:3]] == [0, 1, 2]
    assert specs[3].group_id == "a@11" and specs[-1].key == "b@11#2"
    with pytest.raises(CollectError):
        plan_episodes(["a"], episodes=0)


def test_groups_share_task_and_seed_and_get_reward_statistics(tmp_path):
    out = tmp_path / "runs.jsonl"
    result = run(tasks("odd-task", "even-task"), episodes=2, group=3, workers=4, out=out)
    assert result.summary["finished"] == 12 and result.summary["planned"] == 12
    trajectories = load_trajectories(out)
    assert len(trajectories) == 12
    for t in trajectories:
        assert t.metadata["group_id"] == f"{t.task_id}@{t.metadata['seed']}"
        assert t.metadata["group_size"] == 3 and t.metadata["agent"] == "null"
        assert t.reward == (t.metadata["seed"] % 2 if "odd" in t.task_id else 1.0)
    groups = result.summary["groups"]
    assert set(groups) == {"odd-task@0", "odd-task@1", "even-task@0", "even-task@1"}
    assert groups["odd-task@1"] == {
        "n": 3,
        "size": 3,
        "rewards": [1.0, 1.0, 1.0],
        "mean": 1.0,
        "std": 0.0,
    }
    assert groups["odd-task@0"]["mean"] == 0.0
    summary_file = json.loads((tmp_path / "runs.summary.json").read_text())
    assert summary_file["groups"] == json.loads(json.dumps(groups))
    loaded = load_rollouts(out)
    assert {t.metadata["group_reward_mean"] for t in loaded} == {0.0, 1.0}
    assert all(t.metadata["group_reward_std"] == 0.0 for t in loaded)
    assert result.summary["reward_mean"] == pytest.approx(9 / 12)


def test_episodes_stream_to_the_file_as_they_finish(tmp_path):
    out = tmp_path / "runs.jsonl"
    seen: list[int] = []

    def watch():
        while not done.is_set():
            if out.exists():
                seen.append(len(out.read_text().splitlines()))
            time.sleep(0.05)

    done = threading.Event()
    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        run(tasks("slow-task"), episodes=6, workers=1, out=out)
    finally:
        done.set()
        watcher.join()
    assert len(out.read_text().splitlines()) == 6
    assert any(0 < n < 6 for n in seen), seen  # lines appeared while the run went on


def test_resume_skips_finished_episodes_and_repairs_a_cut_line(tmp_path):
    out = tmp_path / "runs.jsonl"
    run(tasks("t1", "t2"), episodes=2, group=2, workers=2, out=out)
    lines = out.read_text().splitlines(keepends=True)
    assert len(lines) == 8
    # a crash: the last two episodes never written, the one before cut mid-line
    out.write_text("".join(lines[:5]) + lines[5][: len(lines[5]) // 2])
    kept = {json.loads(line)["metadata"]["episode_key"] for line in lines[:5]}
    result = run(tasks("t1", "t2"), episodes=2, group=2, workers=2, out=out)
    assert result.summary["skipped"] == 5 and result.summary["finished"] == 3
    trajectories = load_trajectories(out)  # the cut line is gone: the file parses
    keys = [t.metadata["episode_key"] for t in trajectories]
    assert len(keys) == 8 and len(set(keys)) == 8 and kept <= set(keys)
    assert len(result.trajectories) == 8
    again = run(tasks("t1", "t2"), episodes=2, group=2, workers=2, out=out)
    assert again.summary["finished"] == 0 and again.summary["skipped"] == 8


def test_an_environment_error_is_marked_and_run_again(tmp_path):
    out = tmp_path / "runs.jsonl"
    first = run(tasks("flaky-a", "fine"), out=out)
    assert first.summary["env_errors"] == 1 and first.summary["remaining_failed"] == 1
    failed = [t for t in load_trajectories(out) if t.metadata["env_error"]]
    assert len(failed) == 1 and failed[0].reward is None
    assert "SandboxDiedError" in failed[0].metadata["error"]
    assert failed[0].metadata["attempt"] == 0
    assert group_stats(load_trajectories(out))["flaky-a@0"]["n"] == 0  # not an agent failure
    # resuming reruns it (the fake fails only the first time)
    second = run(tasks("flaky-a", "fine"), out=out)
    assert second.summary["finished"] == 1 and second.summary["remaining_failed"] == 0
    assert [t.reward for t in load_rollouts(out)] == [1.0, 1.0]
    assert len(load_rollouts(out, failed=True)) == 2  # the latest record of each


def test_rerun_env_errors_in_the_same_run(tmp_path):
    out = tmp_path / "runs.jsonl"
    result = run(tasks("flaky-b", "broken-c"), out=out, rerun_env_errors=2)
    records = load_trajectories(out)
    flaky = [t for t in records if t.task_id == "flaky-b"]
    assert [t.metadata["env_error"] for t in flaky] == [True, False]
    assert [t.metadata["attempt"] for t in flaky] == [0, 1]
    broken = [t for t in records if t.metadata["task"] == "broken-c"]
    assert len(broken) == 3 and all(t.metadata["env_error"] for t in broken)
    assert "RuntimeError: cannot start broken-c" in broken[0].metadata["error"]
    assert result.summary["remaining_failed"] == 1 and result.summary["finished"] == 1


def test_llm_rollouts_on_threads_record_turns_and_flag_endpoint_failures(tmp_path):
    require_openai()
    out = tmp_path / "runs.jsonl"
    with FakeLLMServer(default=solver("echo done")) as server:
        result = run(
            tasks("a", "b"),
            "llm",
            group=2,
            workers=4,
            out=out,
            agent_options={"model": "fake", "base_url": server.url},
        )
    assert result.summary["finished"] == 4 and result.summary["reward_mean"] == 1.0
    for t in load_rollouts(out):
        assert t.teacher == "fake" and t.metadata["reply_format"] == "terminus-json"
        assert len(t.steps) == 3
        assert all(s.llm["completion_token_ids"] for s in t.steps)
    with FakeLLMServer(default=lambda body: {"status": 502}) as server:
        failed = run(
            tasks("c"),
            "llm",
            out=out,
            agent_options={"model": "fake", "base_url": server.url, "max_retries": 0},
        )
    assert failed.summary["llm_errors"] == 1 and failed.summary["env_errors"] == 0
    [record] = [t for t in load_trajectories(out) if t.task_id == "c"]
    assert "HTTP 502" in record.metadata["llm_error"] and record.reward is None


def test_bad_input_is_a_collect_error(tmp_path):
    with pytest.raises(CollectError, match="unknown agent"):
        run(tasks("a"), "gpt")
    with pytest.raises(CollectError, match="no tasks"):
        run(TaskSet([]))
    with pytest.raises(CollectError, match="cannot write the output"):
        run(tasks("a"), out=tmp_path / "missing" / "x" / "\0bad.jsonl")
    (tmp_path / "dir.jsonl").mkdir()
    with pytest.raises(CollectError, match="cannot"):
        run(tasks("a"), out=tmp_path / "dir.jsonl")
    with pytest.raises(CollectError, match="workers"):
        run(tasks("a"), workers=0)
    with pytest.raises(CollectError, match="http:// or https://"):
        run(tasks("a"), "llm", agent_options={"model": "m", "base_url": "ftp://x"})


def test_a_live_progress_bar_on_stderr(capsys):
    result = run(tasks("odd-p"), episodes=3, progress=True)
    assert result.summary["finished"] == 3
    captured = capsys.readouterr()
    assert "rollout" in captured.err and "3/3" in captured.err and "ep/s" in captured.err
    assert captured.out == ""
