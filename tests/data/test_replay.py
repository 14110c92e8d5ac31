"""Replay: asciicast v2 rendering, the self-contained HTML page, terminal playback, the CLI."""

from __future__ import annotations

import io
import itertools
import json
import time
from html.parser import HTMLParser
from importlib import resources
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from terminal_gym import SUBMIT, Command, Keys
from terminal_gym.cli.replay import register
from terminal_gym.data import Step, Trajectory, load_trajectories, save_trajectories
from terminal_gym.data.replay import (
    CastError,
    parse_cast,
    play,
    step_views,
    to_cast,
    to_html,
)
from tests.data.samples import keys_trajectory, obs, trajectory

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "replay" / "csv-report.jsonl"
ROOT = Path(__file__).resolve().parents[2]


def output_of(cast: str) -> str:
    return "".join(data for _, code, data in parse_cast(cast)[1] if code == "o")


@pytest.fixture(scope="module")
def recorded() -> Trajectory:
    (t,) = load_trajectories(FIXTURE)
    return t


# -- the cast -------------------------------------------------------------------------


def test_cast_header_and_events_follow_asciicast_v2(recorded):
    cast = to_cast(recorded)
    lines = cast.splitlines()
    header = json.loads(lines[0])
    assert header["version"] == 2
    assert header["title"] == "csv-messy-payments-report"
    assert 80 <= header["width"] <= 160 and header["height"] == 32
    assert header["env"] == {"TERM": "xterm-256color", "SHELL": "/bin/bash"}
    assert header["idle_time_limit"] == 2.0
    assert isinstance(header["timestamp"], int) and header["timestamp"] > 1_700_000_000
    events = [json.loads(line) for line in lines[1:]]
    assert events and all(len(e) == 3 and e[1] == "o" and isinstance(e[2], str) for e in events)
    times = [e[0] for e in events]
    assert times == sorted(times) and times[0] == 0.0


def test_cast_shows_the_terminal_as_the_agent_saw_it(recorded):
    text = output_of(to_cast(recorded))
    # the instruction banner first, then prompt + command + output per step
    assert text.index("task csv-messy-payments-report") < text.index("Monthly payments report")
    assert "/app\x1b[0m$ ls -la data\r\n" in text
    assert "payment_id,customer,amount,paid_at,status\r\n" in text
    assert "/app\x1b[0m$ bash /solution/solve.sh\r\n" in text
    assert "month,country,payments,customers,net_eur\r\n2024-01,DE," in text
    assert "[submit]" in text
    assert "verifier: reward 1" in text.rsplit("\r\n", 3)[-2]
    # terminal line endings only: no bare \n
    assert "\n" not in text.replace("\r\n", "")


def test_cast_timing_follows_the_record_and_caps_idle_gaps():
    steps = [
        Step("sleep 1", obs(""), t=1.5, duration=1.0),  # 0.5 s thinking, 1 s running
        Step("echo after-a-long-think", obs("after\n"), t=101.6, duration=0.1),  # 100 s idle
        Step(SUBMIT, obs(), reward=1.0, terminated=True, t=102.0, duration=0.3),
    ]
    t = Trajectory("timing", instruction="Wait.", steps=steps, reward=1.0)
    header, events = parse_cast(to_cast(t, idle_time_limit=1.5))
    assert header["idle_time_limit"] == 1.5
    # between the prompts around "sleep 1": 0.5 s thinking, typing, 1 s running
    prompt_times = [at for at, _, d in events if "$ " in d]
    assert prompt_times[1] - prompt_times[0] >= 1.5
    gaps = [b[0] - a[0] for a, b in itertools.pairwise(events)]
    assert max(gaps) <= 1.5 + 1e-6  # the 100 s think is capped
    assert events[-1][0] < 15


def test_cast_of_keys_shows_the_keys_and_the_raw_screen():
    t = keys_trajectory()
    t.steps[0] = Step(Keys("vim a.txt\r", 0.5), obs("\x1b[2J~\r\n~\r\n", code=-1), t=0.05)
    t.steps.insert(1, Step(Keys("\x1b:wq\r", 0.5), obs("/app$ ", code=0), t=0.1))
    text = output_of(to_cast(t))
    assert "vim a.txt\r\n" in text
    assert "\x1b[2J~\r\n~\r\n" in text  # the program's own drawing, passed through
    # inside vim (not at a prompt) the keys are not echoed over the screen
    assert ":wq" not in text
    # a keys step's output holds its prompt: no second prompt is drawn before the next
    assert "/app$ \x1b[1;34m" not in text


def test_cast_of_a_multi_step_episode_has_a_banner_per_step():
    def info(index, name="s"):
        return {"task_step": {"index": index, "name": name, "count": 2}}

    steps = [
        Step(
            "cat a",
            {**obs("A\n"), "instruction": "Do part one."},
            info=info(0, "first"),
            t=0.2,
            duration=0.01,
        ),
        Step(
            SUBMIT,
            {**obs(), "instruction": "Now do part two."},
            info={**info(0, "first"), "step_result": {"name": "first", "reward": 1.0}},
            t=0.5,
        ),
        Step(
            "cat b",
            {**obs("B\n"), "instruction": "Now do part two."},
            info=info(1, "second"),
            t=0.8,
            duration=0.01,
        ),
        Step(SUBMIT, obs(), reward=1.0, terminated=True, info=info(1, "second"), t=1.0),
    ]
    t = Trajectory(
        "multi",
        instruction="Do part one.",
        steps=steps,
        reward=1.0,
        metadata={"reset_info": info(0, "first")},
    )
    text = output_of(to_cast(t))
    first = text.index("step 1/2: first")
    second = text.index("step 2/2: second")
    assert first < text.index("Do part one.") < text.index("cat a") < second
    assert second < text.index("Now do part two.") < text.index("cat b")
    assert "step first graded: reward 1" in text
    views = step_views(t)
    assert [v.instruction for v in views] == ["Do part one."] * 2 + ["Now do part two."] * 2


def test_cast_reports_an_unknown_reward_and_non_zero_exits():
    t = trajectory(reward=None)
    t.steps[1] = Step("false", obs("", code=1), t=0.2, duration=0.01)
    t.complete = False
    text = output_of(to_cast(t))
    assert "[exit 1]" in text
    assert "verifier: reward unknown, episode incomplete" in text


def test_bad_arguments_raise_typed_errors():
    with pytest.raises(TypeError):
        to_cast({"steps": []})  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        to_cast(trajectory(), idle_time_limit=0)
    with pytest.raises(TypeError):
        to_html("nope")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        play(to_cast(trajectory()), io.StringIO(), speed=0)
    for bad in ("", "not json", '{"version": 1}', '{"version": 2}\n[1, "o"]'):
        with pytest.raises(CastError):
            parse_cast(bad)
    assert issubclass(CastError, ValueError)


# -- playing --------------------------------------------------------------------------


def test_play_instant_writes_every_event_in_order(recorded):
    cast = to_cast(recorded)
    out = io.StringIO()
    started = time.monotonic()
    assert play(cast, out, instant=True) == 0.0
    assert time.monotonic() - started < 1.0
    assert out.getvalue() == output_of(cast)


def test_play_waits_for_the_recorded_time_scaled_by_speed():
    cast = "\n".join(
        [
            json.dumps({"version": 2, "width": 80, "height": 24}),
            json.dumps([0.0, "o", "a"]),
            json.dumps([0.4, "o", "b"]),
            json.dumps([5.4, "o", "c"]),  # a 5 s idle gap, capped
        ]
    )
    out = io.StringIO()
    started = time.monotonic()
    waited = play(cast, out, speed=2.0, idle_limit=0.4)
    elapsed = time.monotonic() - started
    assert out.getvalue() == "abc"
    assert waited == pytest.approx(0.4, abs=1e-6)  # (0.4 + min(5, 0.4)) / 2
    assert 0.35 <= elapsed < 1.5


def test_play_takes_a_trajectory():
    out = io.StringIO()
    play(trajectory(), out, instant=True)
    assert "cat /app/config.json" in out.getvalue()


# -- the page -------------------------------------------------------------------------


class _Page(HTMLParser):
    """Collects the text of each element by id and every <script> body."""

    def __init__(self):
        super().__init__()
        self.scripts: list[tuple[dict, str]] = []
        self._script: dict | None = None
        self.loads: list[tuple[str, str | None]] = []

    def handle_starttag(self, tag, attrs):
        self.loads += [(k, v) for k, v in attrs if k in ("src", "href")]
        if tag == "script":
            self._script = dict(attrs)
            self.scripts.append((self._script, ""))

    def handle_endtag(self, tag):
        if tag == "script":
            self._script = None

    def handle_data(self, data):
        if self._script is not None:
            attrs, body = self.scripts[-1]
            self.scripts[-1] = (attrs, body + data)


def parse_page(page: str) -> _Page:
    parser = _Page()
    parser.feed(page)
    parser.close()
    return parser


def test_html_is_self_contained_and_shows_everything(recorded):
    page = to_html(recorded)
    parsed = parse_page(page)
    # no network: no element loads anything (no src, no href, no <link>)
    assert parsed.loads == [] and "<link" not in page
    assert 'id="task-id">csv-messy-payments-report<' in page
    assert "Monthly payments report from messy CSV exports" in page
    assert '<pre class="step-command">bash /solution/solve.sh</pre>' in page
    assert "2024-01,DE,10,6,5669.42" in page
    assert 'id="reward" class="reward ok">1<' in page
    assert "PASS: both outputs are correct" in page  # the verifier's output tail
    # the embedded cast is the cast, and the player code is inlined
    by_id = {attrs.get("id"): body for attrs, body in parsed.scripts if attrs.get("id")}
    assert json.loads(by_id["replay-cast"]) == to_cast(recorded)
    assert any("AsciinemaPlayer" in body and len(body) > 100_000 for _, body in parsed.scripts)
    assert ".ap-player" in page  # the player's stylesheet


def test_html_shows_egs_labels_and_grounding_per_step():
    page = to_html(trajectory())
    rows = page.split('<tr class="step"')[1:]
    assert len(rows) == 4
    assert "kind-inspect" in rows[0] and "cat /app/config.json" in rows[0]
    assert "kind-act" in rows[1] and "✓ yes" in rows[1]
    assert "kind-verify" in rows[2] and "1 passed" in rows[2]
    assert "kind-submit" in rows[3]
    assert "TOR <b>1.00</b> (1/1 act steps grounded)" in page
    ungrounded = to_html(trajectory(grounded=False)).split('<tr class="step"')[1:]
    assert "kind-act" in ungrounded[0] and "✗ no" in ungrounded[0]


def test_html_escapes_everything_from_the_trajectory():
    evil = "echo '</script><script>alert(1)</script>' && echo \"<b>&amp;</b>\""
    t = trajectory()
    t.task_id = "task</title><script>x()</script>"
    t.instruction = "Fix </script> <!-- it -->"
    t.steps[1] = Step(Command(evil), obs("</script><img src=x onerror=alert(2)>\n"), t=0.2)
    t.steps[-1].info["verifier"] = {
        "reward": 1.0,
        "tests": {"test_</script>": "PASSED"},
        "output_tail": "</pre></details><script>alert(3)</script>",
    }
    page = to_html(t)
    parsed = parse_page(page)
    # exactly the page's own four scripts (cast, options, player, init): nothing injected
    assert len(parsed.scripts) == 4
    assert [a.get("id") for a, _ in parsed.scripts] == ["replay-cast", "replay-options", None, None]
    assert "<img" not in page and "alert(1)</script>" not in page
    assert "&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "&lt;img src=x onerror=alert(2)&gt;" in page
    cast_json = parsed.scripts[0][1]
    assert "<" not in cast_json and json.loads(cast_json) == to_cast(t)
    assert evil in output_of(json.loads(cast_json))


def test_html_folds_long_outputs():
    long_output = "".join(f"line {i}\n" for i in range(200))
    t = trajectory()
    t.steps[0] = Step("cat big", obs(long_output), t=0.1, duration=0.01)
    page = to_html(t)
    assert "<details><summary>201 lines" in page


def test_assets_are_package_data():
    assets = resources.files("terminal_gym.data") / "assets"
    assert "AsciinemaPlayer" in (assets / "asciinema-player.min.js").read_text(encoding="utf-8")
    assert ".ap-player" in (assets / "asciinema-player.css").read_text(encoding="utf-8")
    assert "Apache License" in (assets / "asciinema-player.LICENSE").read_text(encoding="utf-8")
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert '"data/assets/*"' in pyproject


# -- the CLI --------------------------------------------------------------------------


@pytest.fixture
def app() -> typer.Typer:
    root = typer.Typer()

    @root.callback()
    def _root() -> None:
        """terminal-gym (test app)."""

    register(root)
    return root


def test_cli_writes_cast_and_html(app, tmp_path):
    cast, page = tmp_path / "out" / "e.cast", tmp_path / "e.html"
    result = CliRunner().invoke(
        app, ["replay", str(FIXTURE), "--cast", str(cast), "--html", str(page)]
    )
    assert result.exit_code == 0, result.output
    assert "1 episode;" in result.stderr
    header, events = parse_cast(cast.read_text(encoding="utf-8"))
    assert header["title"] == "csv-messy-payments-report" and events
    assert "bash /solution/solve.sh" in page.read_text(encoding="utf-8")
    assert result.stdout == ""


def test_cli_plays_instantly_and_picks_an_episode(app, tmp_path):
    many = tmp_path / "many.jsonl"
    save_trajectories([trajectory("task-a"), trajectory("task-b", extra_steps=1)], many)
    result = CliRunner().invoke(app, ["replay", str(many), "--instant", "--episode", "2"])
    assert result.exit_code == 0, result.output
    assert "2 episodes; episode 2: task task-b" in result.stderr
    assert "task task-b" in result.stdout and "ls /app/d0" in result.stdout
    first = CliRunner().invoke(app, ["replay", str(many), "--instant"])
    assert "task task-a" in first.stdout


@pytest.mark.parametrize(
    ("setup", "args", "message"),
    [
        (None, [], "no such file"),
        ("not json\n{}\n", [], "not JSON"),
        ('{"event": "header", "schema": "other/9"}\n', [], "not a terminal-gym trajectory"),
        ("\n", [], "no episode in the file"),
        (None, ["--episode", "3"], "holds 1 episode(s)"),
        (None, ["--speed", "0"], "--speed must be positive"),
    ],
)
def test_cli_bad_input_exits_2_with_one_line(app, tmp_path, setup, args, message):
    target = tmp_path / "t.jsonl"
    if setup is not None:
        target.write_text(setup, encoding="utf-8")
    elif args:
        target = FIXTURE
    result = CliRunner().invoke(app, ["replay", str(target), "--instant", *args])
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0] and "Traceback" not in result.output


def test_cli_help_ends_with_an_example(app):
    result = CliRunner().invoke(app, ["replay", "--help"])
    assert result.exit_code == 0
    assert "Example: terminal-gym replay" in result.output
