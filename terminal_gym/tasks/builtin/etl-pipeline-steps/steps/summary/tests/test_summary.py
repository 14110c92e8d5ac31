import json
from pathlib import Path

from etl import HERE, expected, lines, run

FIXTURE = HERE / "fixture"


def test_outputs_of_the_current_exports_are_there():
    summary = json.loads(Path("/app/data/out/summary.json").read_text())
    assert summary == expected("expected_app", "summary.json")
    assert lines("/app/data/out/orders.jsonl") == expected("expected_app", "orders.jsonl")
    assert lines("/app/data/out/rejects.jsonl") == expected("expected_app", "rejects.jsonl")


def test_other_input_and_customers(tmp_path):
    run_ = run(
        "--input",
        str(FIXTURE / "raw"),
        "--output",
        str(tmp_path),
        "--customers",
        str(FIXTURE / "customers.csv"),
    )
    assert run_.returncode == 0, run_.stderr[-1500:]
    assert json.loads((tmp_path / "summary.json").read_text()) == expected(
        "fixture/expected", "summary.json"
    )
    assert lines(tmp_path / "rejects.jsonl") == expected("fixture/expected", "rejects.jsonl")
    assert lines(tmp_path / "orders.jsonl") == expected("fixture/expected", "orders.jsonl")


def test_default_paths():
    run_ = run()
    assert run_.returncode == 0, run_.stderr[-1500:]
    summary = json.loads(Path("/app/data/out/summary.json").read_text())
    assert summary == expected("expected_app", "summary.json")
