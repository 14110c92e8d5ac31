"""``examples/llm_rollouts.py`` end to end: a fake OpenAI-compatible model, real containers."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

from tests.conftest import FIXTURES
from tests.rollout.fake_llm import FakeLLMServer, solver

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "llm_rollouts.py"


def load_example():
    spec = importlib.util.spec_from_file_location("llm_rollouts", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.docker
def test_collect_select_and_export(docker_client, tmp_path, capsys):
    example = load_example()
    with FakeLLMServer(default=solver("echo done > /app/result.txt")) as server:
        argv = ["--llm-url", server.url, "--model", "fake", "--tasks", str(FIXTURES / "shell-task")]
        argv += ["--group", "3", "--workers", "3", "--no-ray", "--backend", "docker"]
        assert example.main([*argv, "--out", str(tmp_path)]) == 0
    printed = capsys.readouterr().out
    assert "3 episode(s) run" in printed and "1 of 3 trajectories" in printed
    records = [json.loads(line) for line in (tmp_path / "sft.jsonl").read_text().splitlines()]
    assert len(records) == 1 and records[0]["reward"] == 1.0
    messages = records[0]["messages"]
    assert messages[0]["role"] == "system" and "JSON" in messages[0]["content"]
    assert messages[-1]["role"] == "assistant"
    assert '"task_complete": true' in messages[-1]["content"]
    selection = json.loads((tmp_path / "selection.json").read_text())
    assert selection["groups"]["shell-task@0"]["mean"] == 1.0
    assert len(selection["selected"]) == 1
