import shutil

from etl import HERE, expected, lines, run

FIXTURE = HERE / "fixture"


def test_output_of_the_current_exports_is_there():
    assert lines("/app/data/out/orders.jsonl") == expected("expected_app", "orders.jsonl")


def test_default_directories(tmp_path):
    run_ = run()
    assert run_.returncode == 0, run_.stderr[-1500:]
    assert lines("/app/data/out/orders.jsonl") == expected("expected_app", "orders.jsonl")


def test_other_input_and_output(tmp_path):
    out = tmp_path / "new" / "out"
    run_ = run("--input", str(FIXTURE / "raw"), "--output", str(out))
    assert run_.returncode == 0, run_.stderr[-1500:]
    assert lines(out / "orders.jsonl") == expected("fixture/expected", "orders.jsonl")


def test_rerun_replaces(tmp_path):
    raw = tmp_path / "raw"
    shutil.copytree(FIXTURE / "raw", raw)
    for _ in range(2):
        assert run("--input", str(raw), "--output", str(tmp_path / "out")).returncode == 0
    assert lines(tmp_path / "out" / "orders.jsonl") == expected("fixture/expected", "orders.jsonl")
