from pathlib import Path

from etl import HERE, expected, lines, run

FIXTURE = HERE / "fixture"


def test_outputs_of_the_current_exports_are_there():
    assert lines("/app/data/out/orders.jsonl") == expected("expected_app", "orders.jsonl")
    assert lines("/app/data/out/rejects.jsonl") == expected("expected_app", "rejects.jsonl")


def test_dirty_input(tmp_path):
    run_ = run("--input", str(FIXTURE / "raw"), "--output", str(tmp_path))
    assert run_.returncode == 0, run_.stderr[-1500:]
    assert lines(tmp_path / "rejects.jsonl") == expected("fixture/expected", "rejects.jsonl")
    assert lines(tmp_path / "orders.jsonl") == expected("fixture/expected", "orders.jsonl")


def test_clean_input_gives_an_empty_rejects_file(tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "one.csv").write_text(
        "order_id,customer,sku,quantity,unit_price,ordered_at\n"
        "Q-1,K-1,SKU-A,1,2.00,2024-05-01 10:00\n"
    )
    run_ = run("--input", str(raw), "--output", str(tmp_path / "out"))
    assert run_.returncode == 0, run_.stderr[-1500:]
    assert Path(tmp_path / "out" / "rejects.jsonl").read_text() == ""
    assert [o["order_id"] for o in lines(tmp_path / "out" / "orders.jsonl")] == ["Q-1"]


def test_default_directories():
    run_ = run()
    assert run_.returncode == 0, run_.stderr[-1500:]
    assert lines("/app/data/out/rejects.jsonl") == expected("expected_app", "rejects.jsonl")
