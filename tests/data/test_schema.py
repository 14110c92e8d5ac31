"""The trajectory schema: save -> load equality, versions, crash leftovers."""

from __future__ import annotations

import json

import pytest

from terminal_gym import SUBMIT, Command, Keys
from terminal_gym.data import (
    SCHEMA_VERSION,
    SchemaError,
    Step,
    Trajectory,
    load_trajectories,
    save_trajectories,
)
from terminal_gym.render import observation_text, status_line, to_jsonable
from tests.data.samples import keys_trajectory, trajectory


def test_save_load_round_trip_is_equal(tmp_path):
    originals = [trajectory(), keys_trajectory(), trajectory("task-b", reward=None)]
    originals[1].egs = {"tor": 0.5, "counts": {"act": 2}}
    path = save_trajectories(originals, tmp_path / "t.jsonl")
    loaded = load_trajectories(path)
    assert loaded == originals
    assert isinstance(loaded[1].steps[0].action, Keys)
    assert isinstance(loaded[0].steps[1].action, Command) and loaded[0].steps[-1].action == SUBMIT
    assert loaded[0].metadata["note"] == "ünïcode ✓"
    # and once more: what was loaded saves to the same bytes
    again = save_trajectories(loaded, tmp_path / "u.jsonl")
    assert again.read_bytes() == path.read_bytes()


def test_single_file_helpers_and_the_one_line_form(tmp_path):
    t = trajectory()
    assert Trajectory.load(t.save(tmp_path / "one.jsonl")) == t
    (tmp_path / "line.jsonl").write_text(json.dumps(t.to_dict()) + "\n")
    assert load_trajectories(tmp_path / "line.jsonl") == [t]
    assert Trajectory.from_dict(json.loads(json.dumps(t.to_dict()))) == t


def test_directories_load_every_jsonl(tmp_path):
    save_trajectories([trajectory("a")], tmp_path / "1.jsonl")
    save_trajectories([trajectory("b"), trajectory("c")], tmp_path / "2.jsonl")
    (tmp_path / "notes.txt").write_text("not a trajectory")
    assert [t.task_id for t in load_trajectories(tmp_path)] == ["a", "b", "c"]


@pytest.mark.parametrize(
    "schema",
    ["terminal-gym.trajectory/2", "other.format/1", None, "terminal-gym.trajectory"],
)
def test_other_versions_are_refused(tmp_path, schema):
    path = tmp_path / "t.jsonl"
    path.write_text(json.dumps({"event": "header", "schema": schema, "task_id": "x"}) + "\n")
    with pytest.raises(SchemaError):
        load_trajectories(path)


def test_minor_versions_of_the_same_major_are_read(tmp_path):
    path = tmp_path / "t.jsonl"
    path.write_text(
        json.dumps({"event": "header", "schema": "terminal-gym.trajectory/1.3", "task_id": "x"})
        + "\n"
    )
    (t,) = load_trajectories(path)
    assert t.task_id == "x" and not t.complete and SCHEMA_VERSION.endswith("/1")


def test_malformed_lines_are_errors_but_a_torn_last_line_is_not(tmp_path):
    good = "".join(json.dumps(e) + "\n" for e in trajectory().events())
    path = tmp_path / "t.jsonl"
    path.write_text(good + '{"event": "step", "act')  # torn: no newline
    (t,) = load_trajectories(path)
    assert t == trajectory()
    path.write_text('{"event": "step"}\n' + good)
    with pytest.raises(SchemaError, match="before any header"):
        load_trajectories(path)
    path.write_text(good.replace('"event": "end"', '"event": "party"', 1))
    with pytest.raises(SchemaError, match="unknown event"):
        load_trajectories(path)
    path.write_text("not json\n" + good)
    with pytest.raises(SchemaError, match="not JSON"):
        load_trajectories(path)


def test_incomplete_trajectory_takes_the_reward_of_a_final_step(tmp_path):
    t = trajectory(reward=0.25)
    t.complete = False
    (loaded,) = load_trajectories(t.save(tmp_path / "t.jsonl"))
    assert not loaded.complete and loaded.reward == 0.25


def test_commands_and_json_helpers():
    t = keys_trajectory()
    assert t.commands[0] == "vim a.txt\n" and SUBMIT not in t.commands and t.submitted
    step = Step("reply", info={"commands": ["ls", "pwd"]})
    assert step.commands == ["ls", "pwd"]
    import numpy as np

    assert to_jsonable({"a": np.int64(3), "b": np.array([1.5]), "c": float("nan")}) == {
        "a": 3,
        "b": [1.5],
        "c": None,
    }


def test_observation_text():
    o = {"output": "hi\n", "exit_code": 0, "cwd": "/app", "timed_out": 0}
    assert observation_text(o, {"duration": 0.5}) == "hi\n[exit 0 | cwd /app | 0.50s]"
    assert observation_text({**o, "text": "given"}) == "given"
    files = {"files": {"created": ["/app/x"], "modified": [], "deleted": []}}
    assert observation_text(o, files).endswith("\n[files created: /app/x]")
    assert status_line(0, "/", shell_restarted=True).endswith(
        "SHELL RESTARTED: variables and cwd were lost]"
    )
