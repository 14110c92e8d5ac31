"""Exporters: chat JSONL (SFT), ATIF, Parquet; each read back."""

from __future__ import annotations

import json

import pytest

from terminal_gym import SUBMIT
from terminal_gym.data import (
    ATIF_VERSION,
    from_parquet,
    save_atif,
    to_atif,
    to_chat_jsonl,
    to_chat_messages,
    to_parquet,
    validate_atif,
)
from terminal_gym.data.schema import Step
from tests.data.samples import keys_trajectory, obs, trajectory


def _roles_alternate(messages):
    roles = [m["role"] for m in messages]
    return (
        roles[0] == "system"
        and roles[-1] == "assistant"
        and all(r == ("user" if i % 2 else "assistant") for i, r in enumerate(roles[1:], 1))
    )


def _is_conversational(example):
    """TRL's check (trl.data_utils.is_conversational) for the "messages" format."""
    messages = example.get("messages")
    return (
        isinstance(messages, list)
        and bool(messages)
        and all(isinstance(m, dict) and {"role", "content"} <= set(m) for m in messages)
    )


# -- chat ------------------------------------------------------------------------------


def test_chat_messages():
    messages = to_chat_messages(trajectory())
    assert _roles_alternate(messages)
    assert "Fix it." in messages[0]["content"]
    assert messages[1]["content"].startswith("Current terminal state:\n[exit 0 | cwd /app")
    assert messages[2] == {"role": "assistant", "content": "cat /app/config.json"}
    assert messages[3]["content"] == '{"port": 80}\n[exit 0 | cwd /app | 0.01s]'
    assert messages[4]["content"] == "sed -i 's/80/8080/' /app/config.json"
    assert messages[-1] == {"role": "assistant", "content": SUBMIT}
    custom = to_chat_messages(trajectory(), system_prompt="Do: {instruction}", submit_text="DONE")
    assert custom[0]["content"] == "Do: Fix it." and custom[-1]["content"] == "DONE"


def test_chat_drop_parse_errors():
    t = trajectory()
    t.steps.insert(
        1,
        Step(
            "garbage",
            obs("Previous response had parsing errors"),
            info={"parse_error": "No valid JSON", "commands": []},
        ),
    )
    assert any(m["content"] == "garbage" for m in to_chat_messages(t))
    clean = to_chat_messages(t, drop_parse_errors=True)
    assert not any(m["content"] == "garbage" for m in clean) and _roles_alternate(clean)


def test_chat_jsonl_records(tmp_path):
    trajectories = [trajectory("a"), keys_trajectory(), trajectory("b", reward=0.0)]
    path = to_chat_jsonl(trajectories, tmp_path / "sft.jsonl")
    records = [json.loads(line) for line in path.read_text().splitlines()]
    assert len(records) == 3
    assert all(_is_conversational(r) and _roles_alternate(r["messages"]) for r in records)
    assert records[2]["reward"] == 0.0 and records[0]["task_id"] == "a"
    assert isinstance(records[0]["tor"], float) and records[0]["verified_before_submit"] in (
        True,
        False,
    )


@pytest.mark.optional("HF datasets is no extra's dependency; the JSONL is checked above")
def test_chat_jsonl_loads_with_datasets(tmp_path):
    datasets = pytest.importorskip("datasets")
    trajectories = [trajectory("a"), keys_trajectory(), trajectory("b", reward=0.0)]
    path = to_chat_jsonl(trajectories, tmp_path / "sft.jsonl")
    ds = datasets.load_dataset("json", data_files=str(path), split="train")
    assert ds.num_rows == 3 and "messages" in ds.column_names
    messages = ds.features["messages"]
    inner = messages.feature if hasattr(messages, "feature") else messages[0]
    assert inner["role"].dtype == "string" and inner["content"].dtype == "string"
    for row in ds:
        assert _is_conversational(row) and _roles_alternate(row["messages"])
    records = [json.loads(line) for line in path.read_text().splitlines()]
    assert ds[0]["messages"] == records[0]["messages"]


def test_chat_jsonl_without_metadata_and_empty_trajectories(tmp_path):
    empty = trajectory()
    empty.steps = []
    path = to_chat_jsonl([empty, trajectory()], tmp_path / "sft.jsonl", metadata=False)
    lines = path.read_text().splitlines()
    assert len(lines) == 1 and list(json.loads(lines[0])) == ["messages"]


# -- ATIF ------------------------------------------------------------------------------


def test_atif_document():
    doc = to_atif(trajectory())
    assert validate_atif(doc) == []
    assert doc["schema_version"] == ATIF_VERSION == "ATIF-v1.6"
    assert doc["agent"]["name"] == "model-x" and doc["agent"]["version"]
    steps = doc["steps"]
    assert [s["step_id"] for s in steps] == list(range(1, len(steps) + 1))
    assert [s["source"] for s in steps[:3]] == ["system", "user", "agent"]
    first = steps[2]
    assert first["tool_calls"] == [
        {
            "tool_call_id": "call_1_1",
            "function_name": "bash",
            "arguments": {"command": "cat /app/config.json"},
        }
    ]
    assert first["observation"]["results"][0]["source_call_id"] == "call_1_1"
    assert first["observation"]["results"][0]["content"].startswith('{"port": 80}')
    assert first["timestamp"].startswith("2026-01-02T03:04:05.1")
    assert first["extra"]["egs"][0]["kind"] == "inspect"
    assert steps[-1]["tool_calls"][0]["function_name"] == "mark_task_complete"
    assert doc["extra"]["reward"] == 1.0 and doc["extra"]["task_id"] == "task-a"
    assert 0.0 <= doc["extra"]["egs"]["tor"] <= 1.0
    json.dumps(doc)  # plain JSON


def test_atif_keys_and_terminus_replies():
    doc = to_atif(keys_trajectory())
    call = doc["steps"][2]["tool_calls"][0]
    assert call["function_name"] == "bash_command"
    assert call["arguments"] == {"keystrokes": "vim a.txt\n", "duration": 0.5}
    reply = json.dumps(
        {
            "analysis": "look",
            "plan": "ls",
            "task_complete": False,
            "commands": [{"keystrokes": "ls\n", "duration": 0.1}, {"keystrokes": "pwd\n"}],
        }
    )
    t = trajectory()
    t.steps.insert(0, Step(reply, obs("a\n/app\n"), info={"commands": ["ls", "pwd"]}))
    doc = to_atif(t)
    assert validate_atif(doc) == []
    step = doc["steps"][2]
    assert step["message"] == reply
    assert [c["arguments"] for c in step["tool_calls"]] == [
        {"keystrokes": "ls\n", "duration": 0.1},
        {"keystrokes": "pwd\n", "duration": 1.0},
    ]
    assert "source_call_id" not in step["observation"]["results"][0]  # one result, two calls
    assert len(step["extra"]["egs"]) == 2


def test_save_atif_and_validator_catches_problems(tmp_path):
    paths = save_atif([trajectory("a"), trajectory("b")], tmp_path / "atif")
    assert len(paths) == 2 and paths[0] != paths[1]
    doc = json.loads(paths[0].read_text())
    assert validate_atif(doc) == []
    doc["steps"][1]["step_id"] = 7
    doc["steps"][0]["tool_calls"] = []
    doc["steps"][2]["observation"]["results"][0]["source_call_id"] = "nope"
    del doc["agent"]["version"]
    problems = validate_atif(doc)
    assert any("step_id" in p for p in problems)
    assert any("only agent steps" in p for p in problems)
    assert any("matches no tool call" in p for p in problems)
    assert any("agent.version" in p for p in problems)


# -- Parquet ---------------------------------------------------------------------------


def test_parquet_round_trip(tmp_path):
    pq = pytest.importorskip("pyarrow.parquet")
    originals = [trajectory("a"), keys_trajectory(), trajectory("b", reward=None)]
    path = to_parquet(originals, tmp_path / "t.parquet")
    table = pq.read_table(path)
    assert table.num_rows == 3
    assert table.schema.metadata[b"terminal_gym.schema"].decode() == "terminal-gym.trajectory/1"
    rows = table.to_pylist()
    assert rows[0]["task_id"] == "a" and rows[2]["reward"] is None
    assert _roles_alternate(rows[0]["messages"]) and rows[1]["n_steps"] == 5
    back = from_parquet(path)
    for original, loaded in zip(originals, back, strict=True):
        original.ensure_egs()
        assert loaded == original


def test_parquet_per_step(tmp_path):
    pq = pytest.importorskip("pyarrow.parquet")
    path = to_parquet([trajectory("a"), trajectory("b")], tmp_path / "s.parquet", per="step")
    rows = pq.read_table(path).to_pylist()
    assert len(rows) == 8 and rows[0]["step"] == 1 and rows[0]["kinds"] == ["inspect"]
    assert rows[3]["submit"] and rows[3]["kinds"] == [] and rows[3]["reward"] == 1.0
    with pytest.raises(ValueError):
        to_parquet([], tmp_path / "x.parquet", per="token")
