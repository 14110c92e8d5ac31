"""Observation wrappers: text, truncation, changed files, screen, chat view."""

from __future__ import annotations

import re

import gymnasium as gym
import pytest
from gymnasium.utils.env_checker import check_env

from terminal_gym import SUBMIT, Command
from terminal_gym.envs import TerminalLegoEnv
from terminal_gym.output import omission_marker
from terminal_gym.wrappers import (
    AddScreenObservation,
    ChatObservation,
    ChatSpace,
    ObservationToText,
    TrackFileChanges,
    TruncateOutput,
    truncate_middle,
)
from terminal_gym.wrappers.observation import elide_middle, parse_changes
from tests.wrappers.fake_env import INSTRUCTION, FakeTerminalEnv

TASK = "find-prod-api-key"
MARKER = re.compile(r"\[\.\.\. (\d+) bytes of output omitted \.\.\.\]")


# -- truncation (pure) -----------------------------------------------------------------


def test_truncate_middle_keeps_short_text():
    assert truncate_middle("hello\n", 10_000) == "hello\n"


def test_truncate_middle_terminus_split_and_honest_count():
    text = "".join(f"line {i}\n" for i in range(5000))
    out = truncate_middle(text, 10_000)
    head, tail = out.split("[... ", 1)[0], out.rsplit("...]\n", 1)[1]
    assert len(head.encode()) <= 5001 and len(tail.encode()) <= 5000
    assert text.startswith(head.rstrip("\n")) and text.endswith(tail)
    omitted = int(MARKER.search(out)[1])
    assert omitted + len(head.rstrip("\n").encode()) + len(tail.encode()) == len(text.encode())


def test_truncate_middle_never_splits_a_character():
    text = "é" * 10_000  # two bytes each
    out = truncate_middle(text, 1001)
    assert "\ufffd" not in out
    kept = out.replace(MARKER.search(out)[0], "").replace("\n", "")
    assert int(MARKER.search(out)[1]) + len(kept.encode()) == len(text.encode())


def test_truncate_middle_adds_an_upstream_marker_it_cuts_away():
    upstream = "a" * 3000 + omission_marker(50_000) + "b" * 3000
    out = truncate_middle(upstream, 1000)
    head, tail = out.split("\n[...")[0], out.rsplit("]\n", 1)[1]
    assert head == "a" * 500 and tail == "b" * 500 and len(MARKER.findall(out)) == 1
    assert int(MARKER.search(out)[1]) == 6000 + 50_000 - 1000


def test_elide_middle():
    assert elide_middle("short", 10) == "short"
    out = elide_middle("x" * 100, 20)
    assert out.startswith("x" * 10) and out.endswith("x" * 10) and "80 characters elided" in out


def test_truncate_output_wrapper_on_fake_env():
    env = TruncateOutput(FakeTerminalEnv({"big": "z" * 50_000}), max_bytes=100)
    env.reset()
    obs, *_ = env.step("big")
    assert len(obs["output"].encode()) < 200 and "49900 bytes of output omitted" in obs["output"]
    assert env.spec is None or env.spec.additional_wrappers  # records its kwargs


# -- text ------------------------------------------------------------------------------


def test_observation_to_text_status_line():
    env = ObservationToText(FakeTerminalEnv())
    obs, _ = env.reset()
    assert obs["text"] == "[exit 0 | cwd /app]"
    assert env.observation_space.contains(obs)
    obs, *_ = env.step("false")
    assert obs["text"] == "[exit 1 | cwd /app | 0.25s]"
    obs, *_ = env.step("sleep 100")
    assert "TIMED OUT" in obs["text"] and "exit ?" in obs["text"]
    obs, *_ = env.step("echo hi")
    assert obs["text"] == "hi\n[exit 0 | cwd /app | 0.25s]" and obs["output"] == "hi\n"


def test_observation_to_text_replace_output_keeps_the_space():
    inner = FakeTerminalEnv()
    env = ObservationToText(inner, replace_output=True)
    assert env.observation_space == inner.observation_space
    env.reset()
    obs, *_ = env.step("echo hi")
    assert obs["output"].startswith("hi\n[exit 0") and "text" not in obs


# -- chat ------------------------------------------------------------------------------


def _alternates(messages):
    roles = [m["role"] for m in messages]
    return roles[0] == "system" and all(
        r == ("user" if i % 2 else "assistant") for i, r in enumerate(roles[1:], 1) if i >= 1
    )


def test_chat_observation_turns():
    env = ChatObservation(FakeTerminalEnv())
    msgs, info = env.reset()
    assert [m["role"] for m in msgs] == ["system", "user"]
    assert INSTRUCTION in msgs[0]["content"] and info["chat"]["dropped_turns"] == 0
    msgs, *_ = env.step("echo hi")
    assert msgs[-2] == {"role": "assistant", "content": "echo hi"}
    assert msgs[-1]["role"] == "user" and msgs[-1]["content"].startswith("hi\n[exit 0")
    msgs, *_ = env.step(Command("ls", timeout=3))
    assert msgs[-2]["content"] == "ls" and _alternates(msgs)
    assert env.observation_space.contains(msgs)


def test_chat_observation_budget_elides_old_turns_first():
    env = ChatObservation(
        FakeTerminalEnv({"big": "B" * 5000}), max_chars=4000, keep_last=2, elided_chars=100
    )
    env.reset()
    for _ in range(3):
        env.step("big")
    msgs, _, _, _, info = env.step("echo last")
    assert sum(len(m["content"]) for m in msgs) <= 4000
    assert msgs[-1]["content"].startswith("last\n")  # the newest turn is whole
    assert any("characters elided" in m["content"] for m in msgs[1:-2])
    assert _alternates(msgs) and info["chat"]["elided_chars"] > 0
    assert len(env.messages) == 2 + 2 * 4 and env.messages[3]["content"].startswith("B" * 5000)


def test_chat_observation_drops_old_pairs_when_eliding_is_not_enough():
    env = ChatObservation(FakeTerminalEnv(), max_chars=1200, keep_last=2, elided_chars=100)
    env.reset()
    for i in range(40):
        msgs, _, _, _, info = env.step(f"echo {i}")
    assert sum(len(m["content"]) for m in msgs) <= 1200
    assert info["chat"]["dropped_turns"] > 0 and "earlier turn(s) elided" in msgs[1]["content"]
    assert msgs[-2]["content"] == "echo 39" and _alternates(msgs)


def test_chat_observation_token_budget():
    env = ChatObservation(
        FakeTerminalEnv({"big": "word " * 2000}),
        max_chars=None,
        max_tokens=600,
        count_tokens=lambda s: len(s.split()),
        keep_last=2,
    )
    env.reset()
    env.step("big")
    msgs, *_ = env.step("big")
    assert sum(len(m["content"].split()) for m in msgs) <= 600


def test_chat_space():
    space = ChatSpace()
    assert space.contains(space.sample())
    assert not space.contains([{"role": "tool", "content": "x"}])
    assert not space.contains([{"role": "user", "content": 3}])


# -- on a real sandbox -----------------------------------------------------------------


@pytest.mark.docker
def test_text_and_truncation_on_docker(docker_backend):
    base = TerminalLegoEnv(backend=docker_backend, task=TASK, step_timeout=1.0)
    env = ObservationToText(TruncateOutput(base))
    try:
        env.reset()
        obs, *_ = env.step("cd /tmp && false")
        assert obs["text"].startswith("[exit 1 | cwd /tmp | ")
        obs, _, _, _, info = env.step("seq 1 200000")
        assert len(MARKER.findall(obs["output"])) == 1  # the env's own marker was cut away
        omitted = int(MARKER.search(obs["output"])[1])
        kept = obs["output"].replace(MARKER.search(obs["output"])[0], "")
        assert len(obs["output"].encode()) < 10_100
        # honest: kept + omitted is everything the command printed (the raw count
        # includes the terminal's \r before each \n)
        printed = sum(len(f"{i}\n") for i in range(1, 200_001))
        assert printed <= omitted + len(kept.encode()) - 2 <= info["output_bytes"]
        obs, *_ = env.step("sleep 30")
        assert "TIMED OUT" in obs["text"]
    finally:
        env.close()


@pytest.mark.docker
@pytest.mark.filterwarnings("ignore:.*different from the unwrapped version")
def test_check_env_on_wrapped_env(docker_backend):
    env = gym.make("TerminalLego-v0", backend=docker_backend, task=TASK)
    env = ObservationToText(TruncateOutput(TrackFileChanges(AddScreenObservation(env))))
    try:
        check_env(env, skip_render_check=True)
    finally:
        env.close()


@pytest.mark.docker
@pytest.mark.parametrize("via", ["shell", "exec"])
def test_track_file_changes(docker_backend, via):
    env = TrackFileChanges(TerminalLegoEnv(backend=docker_backend, task=TASK), via=via)
    try:
        obs, info = env.reset()
        assert info["files"] == {"created": [], "modified": [], "deleted": []}
        _, _, _, _, info = env.step("mkdir -p /app/d && echo 1 > /app/d/a.txt && echo 2 > /app/b")
        assert info["files"]["created"] == ["/app/b", "/app/d", "/app/d/a.txt"]
        assert info["files"]["modified"] == [] and info["files"]["deleted"] == []
        obs, _, _, _, info = env.step("echo more >> /app/b && chmod 600 /app/d/a.txt")
        assert info["files"]["modified"] == ["/app/b", "/app/d/a.txt"]
        assert "modified: /app/b, /app/d/a.txt" in obs["files"]
        _, _, _, _, info = env.step("rm -r /app/d && touch /tmp/outside")
        assert info["files"]["deleted"] == ["/app/d", "/app/d/a.txt"]
        assert info["files"]["created"] == []  # /tmp is not watched
        _, _, _, _, info = env.step("cat /app/b")
        assert info["files"] == {"created": [], "modified": [], "deleted": []}
        # the agent's shell is untouched: $? survives the listing
        env.step("false")
        obs, *_ = env.step("echo $?")
        assert obs["output"] == "1\n"
        _, _, term, _, info = env.step(SUBMIT)
        assert term and "files" not in info  # nothing listed after grading
    finally:
        env.close()


@pytest.mark.docker
def test_track_file_changes_caps_and_roots(docker_backend):
    base = TerminalLegoEnv(backend=docker_backend, task=TASK)
    env = TrackFileChanges(base, roots=["/app", "/tmp"], max_paths=3)
    try:
        env.reset()
        _, _, _, _, info = env.step("mkdir /tmp/many && touch /tmp/many/f{1..10}")
        assert len(info["files"]["created"]) == 3 and info["files"]["created_more"] == 8
        env.reset()  # a new episode gets a fresh baseline
        _, _, _, _, info = env.step("true")
        assert info["files"]["created"] == []
    finally:
        env.close()


def test_parse_changes():
    out = "C\t/a\nM\t/b\nD\t/c\nT\t5\t1\t1\n"
    assert parse_changes(out, 1) == {
        "created": ["/a"],
        "modified": ["/b"],
        "deleted": ["/c"],
        "created_more": 4,
    }


@pytest.mark.docker
def test_add_screen_observation(docker_backend):
    env = AddScreenObservation(TerminalLegoEnv(backend=docker_backend, task=TASK, rows=10))
    try:
        obs, _ = env.reset()
        assert env.observation_space.contains(obs) and "screen" in obs
        obs, *_ = env.step("echo screen-test")
        lines = obs["screen"].split("\n")
        assert len(lines) == 10
        assert any(line.endswith("$ echo screen-test") for line in lines)
        assert "screen-test" in lines
    finally:
        env.close()


@pytest.mark.docker
def test_chat_observation_on_docker(docker_backend):
    base = TerminalLegoEnv(backend=docker_backend, task=TASK)
    env = ChatObservation(ObservationToText(base), max_chars=20_000)
    try:
        msgs, _ = env.reset()
        assert "answer.txt" in msgs[0]["content"]
        msgs, *_ = env.step("ls /app")
        assert msgs[-1]["content"] == "archive\n" + msgs[-1]["content"].split("\n", 1)[1]
        assert "[exit 0 | cwd /app" in msgs[-1]["content"]
    finally:
        env.close()
