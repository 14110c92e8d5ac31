"""`terminal-gym egs report` (terminal_gym.cli.egs)."""

from __future__ import annotations

import json

import pytest

from terminal_gym.cli import main
from terminal_gym.data import save_trajectories
from tests.data.samples import trajectory

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def run(argv):
    return main(argv)


def test_egs_report(tmp_path, capsys):
    pytest.importorskip("matplotlib")
    a = save_trajectories([trajectory("a"), trajectory("b", reward=0.0)], tmp_path / "a.jsonl")
    b = save_trajectories([trajectory("a", source="run-2")], tmp_path / "b.jsonl")
    out = tmp_path / "report"
    assert run(["egs", "report", str(a), str(b), "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "3 trajectories" in printed and "| run-2 | model-x | 1 |" in printed
    assert (out / "tor_reward.png").read_bytes().startswith(PNG_SIGNATURE)
    assert "| all | all | 3 |" in (out / "report.md").read_text()


def test_egs_report_oracle_json_no_plot(tmp_path, capsys):
    out = tmp_path / "r"
    assert run(["egs", "report", "--oracle", "--out", str(out), "--no-plot", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["rows"][0]["n"] >= 10 and data["rows"][0]["source"] == "oracle"
    assert "plot" not in data["paths"] and not (out / "tor_reward.png").exists()


def test_egs_report_needs_input(tmp_path, capsys):
    assert run(["egs", "report", "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "no trajectories" in err and len(err.strip().splitlines()) == 1


def test_wired_into_the_main_cli(tmp_path):
    from terminal_gym.cli import app

    (group,) = (g for g in app.registered_groups if g.name == "egs")
    assert group.typer_instance is not None
    assert run(["egs", "report", "--oracle", "--no-plot", "--out", str(tmp_path)]) == 0
