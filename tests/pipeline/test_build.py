"""The whole pipeline: `tasks build` over a JSONL of sources, on real Docker, resumable."""

from __future__ import annotations

import io
import json

import pytest

from terminal_gym.pipeline.build import Progress, build_tasks, read_journal
from terminal_gym.pipeline.llm import ChatClient
from terminal_gym.pipeline.sources import read_sources
from terminal_gym.tasks import TaskSet
from tests.pipeline.conftest import COUNT_ERRORS, cli
from tests.pipeline.fake_llm import (
    FakeLLM,
    Reply,
    Scenarios,
    StepScript,
    file_blocks,
    first_user_message,
    task_replies,
)

GOOD_TITLE = "Count ERROR lines in app.log"
SOLVED_TITLE = "Count ERROR lines in an already answered log"
UNPARSEABLE_TITLE = "Count ERROR lines with a broken verifier"
BROKEN_TESTS = file_blocks({"test.sh": "#!/bin/bash\nif [ -f /app/answer.txt ]; then\n  echo 1\n"})


def write_sources(path, titles):
    records = [
        {
            "title": title,
            "question": f"{title}: how many lines of my log contain ERROR?",
            "accepted_answer": "grep -c ERROR app.log",
            "tags": "<bash><grep>",
            "link": f"https://unix.stackexchange.com/questions/{n}",
        }
        for n, title in enumerate(titles, start=1)
    ]
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    return path


def scenarios():
    good = task_replies(COUNT_ERRORS, title=GOOD_TITLE)
    solved = task_replies(COUNT_ERRORS, title=SOLVED_TITLE)
    solved["environment"] = file_blocks(
        {
            "Dockerfile": (COUNT_ERRORS / "environment/Dockerfile").read_text()
            + "RUN grep -c ERROR /app/logs/app.log > /app/answer.txt\n",
            "app.log": (COUNT_ERRORS / "environment/app.log").read_text(),
        }
    )
    unparseable = {**task_replies(COUNT_ERRORS, title=UNPARSEABLE_TITLE), "tests": BROKEN_TESTS}
    return Scenarios(
        {
            GOOD_TITLE: StepScript(good),
            SOLVED_TITLE: StepScript(solved),
            UNPARSEABLE_TITLE: StepScript(unparseable),
        }
    )


def calls_for(server, title, since=0):
    return sum(title in first_user_message(r["json"]) for r in server.requests[since:])


@pytest.mark.docker
def test_tasks_build_end_to_end_and_resume(tmp_path, docker_client, capsys):
    sources = write_sources(
        tmp_path / "issues.jsonl", [GOOD_TITLE, SOLVED_TITLE, UNPARSEABLE_TITLE]
    )
    ids = {s.title: s.id for s in read_sources(sources)}
    out = tmp_path / "out"
    with FakeLLM(scenarios()) as server:
        argv = ["tasks", "build", "--sources", str(sources), "--out", str(out)]
        argv += ["--llm-url", server.url, "--model", "fake-model", "--backend", "docker"]
        argv += ["--workers", "3", "--max-review-rounds", "1", "--json"]

        # run 1 stops after the first source; run 2 resumes with the other two
        assert cli([*argv, "--limit", "1"]) == 0
        first = json.loads(capsys.readouterr().out)
        assert (first["processed"], first["verified"], first["rejected"]) == (1, 1, 0)
        assert calls_for(server, GOOD_TITLE) == 4
        seen = len(server.requests)

        assert cli(argv) == 0
        captured = capsys.readouterr()
        second = json.loads(captured.out)
        assert (second["sources"], second["skipped"], second["processed"]) == (3, 1, 2)
        assert (second["verified"], second["rejected"], second["errors"]) == (0, 2, 0)
        assert second["rejected_by_stage"] == {"construction:tests": 1, "validate": 1}
        assert second["totals"] == {"verified": 1, "rejected": 2, "error": 0}
        assert calls_for(server, GOOD_TITLE, since=seen) == 0  # done sources are not asked again
        assert calls_for(server, SOLVED_TITLE, since=seen) == 4
        assert calls_for(server, UNPARSEABLE_TITLE, since=seen) == 5  # 3 steps + 2 test replies
        assert second["llm_calls"] == 9
        assert "tasks build" not in captured.err  # no progress bar under --json

        # run 3: everything is done, no LLM call at all
        seen = len(server.requests)
        assert cli(argv) == 0
        third = json.loads(capsys.readouterr().out)
        assert (third["skipped"], third["processed"], third["llm_calls"]) == (3, 0, 0)
        assert len(server.requests) == seen

    # the verified task loads and is the one the model wrote
    tasks = TaskSet.from_source(out / "tasks")
    assert tasks.ids == (ids[GOOD_TITLE],)
    task = tasks[0]
    assert task.instruction.startswith(f"# {GOOD_TITLE}")
    assert task.metadata["source_url"] == "https://unix.stackexchange.com/questions/1"

    # the environment that already passes: rejected by the round trip, with the reason
    solved = json.loads((out / "rejected" / ids[SOLVED_TITLE] / "REJECTED.json").read_text())
    assert solved["stage"] == "validate"
    assert solved["reason"] == "doing nothing scored 1, not 0"
    assert solved["source"]["title"] == SOLVED_TITLE
    assert (out / "rejected" / ids[SOLVED_TITLE] / "task.toml").is_file()

    # the verifier that never parses: rejected at construction, its files kept for a look
    broken_dir = out / "rejected" / ids[UNPARSEABLE_TITLE]
    broken = json.loads((broken_dir / "REJECTED.json").read_text())
    assert broken["stage"] == "construction:tests"
    assert "tests/test.sh: bash -n:" in broken["reason"]
    assert (broken_dir / "environment" / "Dockerfile").is_file()

    journal = read_journal(out)
    assert {r["status"] for r in journal.values()} == {"verified", "rejected"}
    assert len((out / "journal.jsonl").read_text().splitlines()) == 3
    assert sorted(p.name for p in (out / "transcripts").iterdir()) == sorted(
        f"{i}.json" for i in ids.values()
    )
    assert not (out / ".work").exists()


class NoBackend:
    """Construction failures never reach the sandbox; this proves it."""

    name = "none"

    def __getattr__(self, name):
        raise AssertionError(f"the backend was used ({name})")

    def close(self):
        pass


def test_errors_are_retried_on_the_next_run_and_rejections_are_not(tmp_path):
    sources = write_sources(tmp_path / "issues.jsonl", [UNPARSEABLE_TITLE])
    out = tmp_path / "out"
    down = lambda body: Reply(status=503)  # noqa: E731
    with FakeLLM(down) as server:
        client = ChatClient(server.url, "m", max_retries=0)
        summary = build_tasks(sources, out, client, NoBackend(), progress=False)
    assert (summary["errors"], summary["totals"]["error"]) == (1, 1)
    (record,) = read_journal(out).values()
    assert record["status"] == "error" and "HTTP 503" in record["reason"]

    replies = {**task_replies(COUNT_ERRORS, title=UNPARSEABLE_TITLE), "tests": BROKEN_TESTS}
    with FakeLLM(StepScript(replies)) as server:
        client = ChatClient(server.url, "m")
        stream = io.StringIO()
        summary = build_tasks(
            sources, out, client, NoBackend(), max_review_rounds=0, progress=stream
        )
        assert (summary["processed"], summary["rejected"]) == (1, 1)
        assert summary["totals"] == {"verified": 0, "rejected": 1, "error": 0}
        assert "1/1" in stream.getvalue()
        calls = len(server.requests)
        summary = build_tasks(sources, out, client, NoBackend(), progress=False)
        assert (summary["skipped"], len(server.requests)) == (1, calls)


def test_progress_bar_counts_the_outcomes():
    stream = io.StringIO()  # not a terminal: the bar's final state only, when it closes
    bar = Progress(4, stream=stream)
    bar.advance("verified")
    bar.advance("rejected")
    assert stream.getvalue() == ""
    bar.close()
    (line,) = stream.getvalue().splitlines()
    assert line.startswith("tasks build") and "2/4" in line
    assert "verified 1  rejected 1  errors 0" in line


def test_cli_prints_a_line_per_source_and_no_bar_off_a_terminal(tmp_path, capsys):
    sources = write_sources(tmp_path / "issues.jsonl", [UNPARSEABLE_TITLE])
    replies = {**task_replies(COUNT_ERRORS, title=UNPARSEABLE_TITLE), "tests": BROKEN_TESTS}
    with FakeLLM(StepScript(replies)) as server:
        argv = ["tasks", "build", "--sources", str(sources), "--out", str(tmp_path / "out")]
        argv += ["--llm-url", server.url, "--model", "m", "--max-review-rounds", "0"]
        assert cli([*argv, "--backend", "local"]) == 0
    out, err = capsys.readouterr()
    (source_id,) = (s.id for s in read_sources(sources))
    first = out.splitlines()[0]
    assert first.startswith(f"FAIL {source_id}") and "[construction:tests]" in first
    assert "1 source(s) processed" in out
    assert "tasks build" not in err  # stderr is not a terminal: no live bar
