"""``examples/llm_rollouts.py`` as a user runs it: a fake OpenAI-compatible model (served by
this test), real containers, then selection and the SFT export."""

from __future__ import annotations

import json

import pytest

from tests.conftest import FIXTURES
from tests.examples.test_examples import run_example
from tests.rollout.fake_llm import FakeLLMServer, require_openai, solver


@pytest.mark.docker
def test_llm_rollouts_collects_selects_and_exports(docker_client, tmp_path):
    require_openai()
    with FakeLLMServer(default=solver("echo done > /app/result.txt")) as server:
        out = run_example(
            "llm_rollouts.py",
            *("--llm-url", server.url, "--model", "fake"),
            *("--tasks", str(FIXTURES / "shell-task"), "--group", "3", "--workers", "3"),
            *("--no-ray", "--backend", "docker", "--out", str(tmp_path)),
        )
    assert "3 episode(s) run" in out and "1 of 3 trajectories" in out
    records = [json.loads(line) for line in (tmp_path / "sft.jsonl").read_text().splitlines()]
    assert len(records) == 1 and records[0]["reward"] == 1.0
    messages = records[0]["messages"]
    assert messages[0]["role"] == "system" and "JSON" in messages[0]["content"]
    assert messages[-1]["role"] == "assistant"
    assert '"task_complete": true' in messages[-1]["content"]
    selection = json.loads((tmp_path / "selection.json").read_text())
    assert selection["groups"]["shell-task@0"]["mean"] == 1.0
    assert len(selection["selected"]) == 1
