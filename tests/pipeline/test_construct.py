"""Stage 2: the cascaded construction and its review loop, against a local fake endpoint."""

from __future__ import annotations

import json
import os

from terminal_gym.pipeline.construct import (
    ConstructionRejected,
    check_dockerfile,
    construct_task,
    parse_file_blocks,
)
from terminal_gym.pipeline.llm import ChatClient
from terminal_gym.pipeline.sources import Source
from tests.pipeline.conftest import COUNT_ERRORS
from tests.pipeline.fake_llm import FakeLLM, StepScript, file_blocks, read_files, task_replies

SOURCE = Source.create(
    title="Count ERROR lines in app.log",
    body="My service writes a log; how many lines contain ERROR?",
    answer="Use `grep -c ERROR app.log`.",
    tags=("grep",),
    url="https://unix.stackexchange.com/questions/42",
)
BASE = "terminal-gym/python:3-bookworm"
GOOD = task_replies(COUNT_ERRORS)
GOOD_TEST_SH = (COUNT_ERRORS / "tests/test.sh").read_text()
BROKEN_TEST_SH = GOOD_TEST_SH.replace("\nfi\n", "\n")  # an `if` without `fi`


def run(replies, tmp_path, **kwargs):
    """Construct SOURCE against a fake endpoint serving ``replies``; return (result, server)."""
    with FakeLLM(StepScript(replies)) as server:
        client = ChatClient(server.url, "fake-model", api_key="sk-test")
        try:
            result = construct_task(SOURCE, client, tmp_path / "task", **kwargs)
        except ConstructionRejected as exc:
            result = exc
    return result, server


def test_four_steps_make_a_loadable_task(tmp_path):
    result, server = run(GOOD, tmp_path)
    assert result.llm_calls == 4
    assert result.replies == {"instruction": 1, "environment": 1, "solution": 1, "tests": 1}
    bodies = server.bodies()
    assert [b["model"] for b in bodies] == ["fake-model"] * 4
    assert [b["messages"][0]["role"] for b in bodies] == ["system"] * 4
    steps = [b["messages"][0]["content"].split("\n")[0] for b in bodies]
    assert steps == [
        "Task construction step: instruction (1 of 4).",
        "Task construction step: environment (2 of 4).",
        "Task construction step: solution (3 of 4).",
        "Task construction step: tests (4 of 4).",
    ]
    # the cascade: each step sees the source or what the earlier steps produced
    assert "My service writes a log" in bodies[0]["messages"][1]["content"]
    assert f"FROM {BASE}" in bodies[1]["messages"][0]["content"]
    assert "COPY app.log /app/logs/app.log" in bodies[2]["messages"][1]["content"]
    assert "grep -c 'ERROR'" in bodies[3]["messages"][1]["content"]
    assert server.requests[0]["headers"]["authorization"] == "Bearer sk-test"

    task = result.task
    assert task.id == "task" and task.environment.workdir == "/app"
    assert (task.difficulty, task.category, task.tags) == (
        "easy",
        "text-processing",
        ("grep", "logs"),
    )
    assert task.metadata["source_url"] == SOURCE.url
    assert task.metadata["model"] == "fake-model"
    assert task.environment.allow_internet is False
    for sub in ("environment", "solution", "tests"):
        assert read_files(result.task_dir / sub) == read_files(COUNT_ERRORS / sub)
    assert os.access(result.task_dir / "solution/solve.sh", os.X_OK)
    assert os.access(result.task_dir / "tests/test.sh", os.X_OK)


def test_review_sends_a_bash_syntax_error_back_and_accepts_the_fix(tmp_path):
    bad = file_blocks({"test.sh": BROKEN_TEST_SH})
    result, server = run({**GOOD, "tests": [bad, GOOD["tests"]]}, tmp_path)
    assert not isinstance(result, ConstructionRejected)
    assert result.replies["tests"] == 2 and result.llm_calls == 5
    first, second = server.bodies("tests")
    assert len(first["messages"]) == 2
    assert [m["role"] for m in second["messages"]] == ["system", "user", "assistant", "user"]
    assert second["messages"][2]["content"] == bad  # the rejected reply, then the review
    review = second["messages"][3]["content"]
    assert "tests/test.sh: bash -n:" in review and "syntax error" in review
    assert (result.task_dir / "tests/test.sh").read_text() == GOOD_TEST_SH


def test_tests_that_never_parse_are_rejected_with_the_reason(tmp_path):
    bad = file_blocks({"test.sh": BROKEN_TEST_SH})
    result, server = run({**GOOD, "tests": bad}, tmp_path, max_review_rounds=2)
    assert isinstance(result, ConstructionRejected)
    assert result.step == "tests"
    assert "tests/test.sh: bash -n:" in result.reason and "syntax error" in result.reason
    assert "rejected after 3 replies" in result.reason
    assert len(server.bodies("tests")) == 3 and result.llm_calls == 6
    assert "environment/Dockerfile" in result.files  # earlier steps' output is kept
    assert not (tmp_path / "task").exists()


def test_python_tests_are_parsed_and_reward_file_required(tmp_path):
    tests = file_blocks(
        {
            "test.sh": "#!/bin/bash\npytest /tests/test_outputs.py\n",
            "test_outputs.py": "def test_answer(:\n    pass\n",
        }
    )
    result, _ = run({**GOOD, "tests": tests}, tmp_path, max_review_rounds=0)
    assert isinstance(result, ConstructionRejected)
    assert "tests/test_outputs.py: line 1:" in result.reason
    assert "must write the reward to /logs/verifier/reward.txt" in result.reason
    assert "rejected after 1 replies" in result.reason


def test_dockerfile_review_base_image_network_and_copies(tmp_path):
    wrong = file_blocks(
        {
            "Dockerfile": "FROM python:3.12\nRUN pip install pandas\nCOPY data.csv /app/\n",
            "app.log": "x\n",
        }
    )
    result, server = run({**GOOD, "environment": [wrong, GOOD["environment"]]}, tmp_path)
    assert not isinstance(result, ConstructionRejected)
    review = server.bodies("environment")[1]["messages"][3]["content"]
    assert f"Dockerfile line 1: FROM python:3.12 - the image must be {BASE}" in review
    assert "Dockerfile line 2: RUN uses the network (pip install)" in review
    assert "Dockerfile line 3: COPY data.csv: no such file" in review


def test_network_is_fine_when_allowed():
    text = f"FROM {BASE}\nRUN apt-get update && apt-get install -y jq\n"
    assert check_dockerfile(text, {}, base_image=BASE, allow_internet=True) == []
    assert check_dockerfile(text, {}, base_image=BASE, allow_internet=False)
    assert check_dockerfile("RUN true\n", {}, base_image=BASE, allow_internet=False) == [
        f"Dockerfile has no FROM: its first instruction must be FROM {BASE}"
    ]


def test_dockerfile_review_reads_continuations_and_heredocs_as_docker_does():
    text = (
        f"FROM {BASE}\n"
        "RUN echo start && \\\n"
        "# a comment inside the continuation\n"
        "\n"
        "    pip install pandas\n"
        "RUN <<EOF\n"
        "set -e\n"
        "FROM python:3.12\n"
        "curl -fsSO https://example.com/x\n"
        "EOF\n"
        "COPY <<EOF /app/notes.txt\n"
        "COPY missing.txt /nowhere\n"
        "EOF\n"
    )
    problems = check_dockerfile(text, {}, base_image=BASE, allow_internet=False)
    assert problems == [
        "Dockerfile line 2: RUN uses the network (pip install); the build is offline: use "
        "only what the base image has",
        "Dockerfile line 6: RUN uses the network (curl); the build is offline: use only what "
        "the base image has",
    ]


def test_unsuitable_sources_are_rejected_at_once(tmp_path):
    reply = json.dumps({"suitable": False, "reason": "needs a GUI"})
    result, server = run({"instruction": reply}, tmp_path)
    assert isinstance(result, ConstructionRejected)
    assert (result.step, result.reason) == ("instruction", "unsuitable source: needs a GUI")
    assert len(server.requests) == 1


def test_instruction_must_be_a_json_object_with_the_fields(tmp_path):
    replies = {**GOOD, "instruction": ["Sure! Here is the task.", '{"instruction": "x"}']}
    result, server = run(replies, tmp_path, max_review_rounds=1)
    assert isinstance(result, ConstructionRejected) and result.step == "instruction"
    first_review = server.bodies("instruction")[1]["messages"][3]["content"]
    assert "not a JSON object" in first_review
    assert '"difficulty" must be one of easy, medium, hard' in result.reason


def test_file_blocks_reject_unsafe_paths_and_strip_the_prefix():
    files, problems = parse_file_blocks(
        "```file:tests/test.sh\necho\n```\n```file:../evil\nx\n```\n"
        "````file:README.md\n```\ncode\n```\n````\n",
        "tests",
    )
    assert files == {"test.sh": "echo\n", "README.md": "```\ncode\n```\n"}
    assert problems == [
        "'../evil' is not a safe relative path (letters, digits, ._+@- and /; no ..)"
    ]
    assert parse_file_blocks("no blocks here")[1][0].startswith("no files found")
    assert "not closed" in parse_file_blocks("```file:a.sh\necho\n")[1][0]


def test_solution_must_not_read_the_tests(tmp_path):
    solution = file_blocks({"solve.sh": "#!/bin/bash\nbash /tests/test.sh\n"})
    result, _ = run({**GOOD, "solution": solution}, tmp_path, max_review_rounds=0)
    assert isinstance(result, ConstructionRejected) and result.step == "solution"
    assert "reads /tests" in result.reason
