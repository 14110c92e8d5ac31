"""The live progress bar: drawn on a terminal only, never into a pipe or under --json."""

from __future__ import annotations

import io

from terminal_gym.cli.progress import LiveProgress, progress_enabled


class FakeTerminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_enabled_only_on_a_terminal(monkeypatch):
    monkeypatch.delenv("TERM", raising=False)
    assert progress_enabled(stream=FakeTerminal())
    assert not progress_enabled(stream=io.StringIO())
    assert not progress_enabled(json=True, stream=FakeTerminal())
    assert not progress_enabled(no_progress=True, stream=FakeTerminal())
    monkeypatch.setenv("TERM", "dumb")
    assert not progress_enabled(stream=FakeTerminal())


def test_a_disabled_bar_writes_nothing():
    stream = io.StringIO()
    with LiveProgress("validate", 3, enabled=False, stream=stream) as bar:
        bar.status("task-a")
        bar.advance(status="verified 1/1")
    assert bar.done == 1 and stream.getvalue() == ""


def test_an_enabled_bar_shows_count_status_and_rate():
    stream = FakeTerminal()
    with LiveProgress("rollout", 4, enabled=True, unit="ep", stream=stream) as bar:
        for i in range(4):
            bar.advance(status=f"reward {i / 4:.2f}")
    text = stream.getvalue()
    assert "rollout" in text and "4/4" in text and "reward 0.75" in text and "ep/" in text


def test_an_unknown_total_pulses():
    stream = FakeTerminal()
    with LiveProgress("images bootstrap", None, enabled=True, unit="step", stream=stream) as bar:
        bar.status("debootstrap: unpacking")
    assert "images bootstrap" in stream.getvalue()
