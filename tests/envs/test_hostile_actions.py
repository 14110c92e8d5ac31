"""Hostile agent actions through ``env.step``, on real sandboxes.

For every action: no exception escapes ``step`` (an infrastructure failure is
``info["env_error"]`` with ``info["error"]``), the observation stays inside the
observation space, a SUBMIT afterwards scores 0 on this unsolved task, the host
process's memory stays bounded, and the shell (or, after an env error, the next
episode's shell) answers ``echo ok``.

Fork bombs, memory hogs and disk fillers run on Docker only: the local backend enforces
no limits. Everything else also runs on the local backend.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import gymnasium as gym
import pytest

from terminal_gym import SUBMIT, Command, Keys

pytestmark = pytest.mark.docker
TASK = "find-prod-api-key"
#: Host memory a single hostile step may add (peak RSS over the step).
RSS_BUDGET_KB = 100 * 1024

both_backends = pytest.mark.parametrize(
    "backend",
    [
        pytest.param("docker", marks=pytest.mark.docker),
        pytest.param("local", marks=pytest.mark.local),
    ],
    indirect=True,
)


def _status_kb(field: str) -> int:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise AssertionError(f"no {field} in /proc/self/status")


def _reset_peak_rss() -> bool:
    """Reset VmHWM to the current RSS (Linux >= 4.0); False where not allowed."""
    try:
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")
        return True
    except OSError:
        return False


@dataclass
class Outcome:
    obs: dict[str, Any]
    info: dict[str, Any]
    duration: float
    rss_growth_kb: int


def _make(backend, **kwargs):
    kwargs.setdefault("step_timeout", 10.0)
    return gym.make("TerminalLego-v0", tasks="builtin", backend=backend, task=TASK, **kwargs)


@pytest.fixture
def env(backend):
    env = _make(backend)
    try:
        yield env
    finally:
        env.close()


def _step(env, action) -> Outcome:
    """One step that must not raise; checks the observation and the host's memory."""
    rss_before = _status_kb("VmRSS")
    peak = _reset_peak_rss()
    started = time.monotonic()
    obs, reward, terminated, truncated, info = env.step(action)
    duration = time.monotonic() - started
    growth = (_status_kb("VmHWM") if peak else _status_kb("VmRSS")) - rss_before
    print(f"\n[hostile] {_label(action)}: {duration:.2f}s, peak RSS +{growth / 1024:.1f} MB")
    assert env.observation_space.contains(obs), {k: str(v)[:200] for k, v in obs.items()}
    assert reward == 0.0 and not terminated
    assert growth < RSS_BUDGET_KB, f"host RSS grew by {growth} kB"
    if info["env_error"]:
        assert truncated and info["error"], info
    else:
        assert not truncated
    return Outcome(obs, info, duration, growth)


def _label(action) -> str:
    text = action.text if isinstance(action, (Command, Keys)) else action
    text = repr(text)
    return text if len(text) <= 60 else text[:57] + "..."


def _answers(env) -> None:
    obs, reward, terminated, truncated, info = env.step("echo ok")
    assert not info["env_error"], info.get("error")
    assert obs["output"].splitlines().count("ok") >= 1, obs["output"][-2000:]
    assert obs["exit_code"] == 0 and reward == 0.0 and not terminated and not truncated


def _submit_scores_zero(env) -> None:
    obs, reward, terminated, truncated, info = env.step(SUBMIT)
    assert reward == 0.0
    assert env.observation_space.contains(obs)
    assert terminated or (truncated and info["env_error"])


def _fresh_episode_answers(env) -> None:
    env.reset()
    obs, *_ = env.step("echo ok")
    assert obs["output"] == "ok\n"


def survive(env, action, *, exact_ok: bool = True) -> Outcome:
    """The whole contract for one hostile action; returns the hostile step's outcome."""
    env.reset()
    out = _step(env, action)
    if not out.info["env_error"]:
        if exact_ok:  # the protocol is in sync: the next output is exactly the echo
            obs, *_ = env.step("echo ok")
            assert obs["output"] == "ok\n", obs["output"][-2000:]
            assert obs["exit_code"] == 0
        else:
            _answers(env)
        _submit_scores_zero(env)
    _fresh_episode_answers(env)
    return out


# -- the shell itself ---------------------------------------------------------------


@both_backends
@pytest.mark.parametrize("action", ["exit", "exit 3", "kill -9 $$", "kill -KILL 0"])
def test_shell_exits(env, action):
    out = survive(env, action)
    assert out.info["shell_restarted"] and not out.info["env_error"]
    assert out.duration < 15


@both_backends
@pytest.mark.parametrize(
    "action", ["exec sleep 100", "exec python3", "exec cat", "exec bash --norc -i"]
)
def test_exec_into_another_program(env, action):
    out = survive(env, Command(action, timeout=3))
    assert out.info["shell_restarted"] and not out.info["env_error"]
    assert out.duration < 3 + 2 + 15


@both_backends
@pytest.mark.parametrize(
    "action",
    [
        "PS1='$ '",
        "unset PS1",
        "PS1=; PS2=",
        "PROMPT_COMMAND='echo junk'",
        "PROMPT_COMMAND='PS1=x'",
        "PS0='junk '",
        "unset PROMPT_COMMAND PS0 PS1 PS2",
        "readonly PS1",
    ],
)
def test_prompt_variables(env, action):
    out = survive(env, action)
    assert not out.info["env_error"]
    assert out.duration < 5  # no timeout, no restart


@both_backends
@pytest.mark.parametrize(
    "action",
    [
        'echo "${PS1@P}"',
        'echo "$PS1"',
        'echo "${PS1@P}"; echo "${PS1@P}"; echo after',
        'printf "%s" "${PS1@P}"',
        'echo "${PS1@P}"; sleep 100',
        '{ echo "${PS1@P}"; sleep 1; echo "${PS1@P}"; } & disown; sleep 0.5',
    ],
)
def test_printing_the_prompt(env, action):
    out = survive(env, Command(action, timeout=3))
    assert not out.info["env_error"]
    # In sync over several commands, exit codes included.
    env.reset()
    env.step(Command(action, timeout=3))
    for word in ("one", "two", "three"):
        obs, *_ = env.step(f"echo {word}; (exit 5)")
        assert obs["output"] == f"{word}\n" and obs["exit_code"] == 5


@both_backends
@pytest.mark.parametrize(
    "action", ["set -o emacs", "set -o vi", "stty echo", "stty sane", "set -x", "set -v"]
)
def test_shell_and_tty_options(env, action):
    survive(env, action)


@both_backends
@pytest.mark.parametrize("depth", [25, 60])  # a $PWD of ~5 KB and of ~12 KB
def test_very_deep_working_directory(env, depth):
    name = "d" * 200
    action = f"for i in $(seq {depth}); do mkdir -p {name} && cd {name} || break; done; pwd | wc -c"
    out = survive(env, Command(action, timeout=20))
    assert not out.info["shell_restarted"] and not out.info["timed_out"]
    assert int(out.obs["output"]) > depth * 201
    assert out.obs["cwd"].endswith(name) and len(out.obs["cwd"]) <= 4096


# -- output -------------------------------------------------------------------------


@both_backends
def test_cat_dev_urandom_times_out_with_bounded_output(env):
    out = survive(env, Command("cat /dev/urandom", timeout=3))
    assert out.info["timed_out"] and out.obs["timed_out"] == 1
    assert out.info["output_truncated"]
    assert len(out.obs["output"].encode()) <= env.unwrapped.max_output_bytes * 4
    assert out.duration < 3 + 2 + 15


@both_backends
def test_yes_flood(env):
    out = survive(env, Command("yes", timeout=3))
    assert out.info["timed_out"] and out.info["output_truncated"]


@both_backends
def test_megabyte_single_line_of_output(env):
    out = survive(env, "head -c 1000000 /dev/zero | tr '\\0' a; echo")
    assert out.info["output_bytes"] >= 1_000_000 and out.info["output_truncated"]
    assert out.obs["output"].startswith("aaaa") and out.obs["exit_code"] == 0


@both_backends
def test_nul_bytes_in_output(env):
    out = survive(env, "printf 'a\\0b\\0\\0c\\n'; head -c 5000 /dev/zero")
    assert out.obs["output"].startswith("abc\n")
    assert "\x00" not in out.obs["output"]


@both_backends
def test_invalid_utf8_in_output(env):
    out = survive(env, "printf 'x\\xff\\xfe\\xc3(y\\xe2\\x82\\n'")
    assert out.obs["output"].startswith("x") and "\ufffd" in out.obs["output"]


@both_backends
@pytest.mark.parametrize(
    "escapes",
    [
        "\\e[?1049h\\e[2J\\e[H",  # alternate screen, clear, home
        "\\e[10;10Hmoved\\e[1A\\e[5D",  # cursor moves
        "\\e]0;title\\a",  # window title
        "\\e]0;unterminated title",
        "\\ec",  # full reset
        "\\e[?25l\\e[?1000h\\e[?2004h",  # hide cursor, mouse, bracketed paste
        "\\e[6n\\e[c",  # status requests a real terminal would answer
        "\\e(0lqqk\\e(B",  # line drawing charset
    ],
)
def test_escape_sequences_reshaping_the_screen(env, escapes):
    out = survive(env, f"printf '{escapes}'; echo; echo visible")
    assert out.obs["output"].endswith("visible\n")
    assert "\x1b" not in out.obs["output"]


# -- the action itself ----------------------------------------------------------------


@both_backends
def test_megabyte_single_line_action(env):
    out = survive(env, "printf %s '" + "a" * 1_000_000 + "' | wc -c")
    assert out.obs["output"].strip() == "1000000"


@both_backends
@pytest.mark.parametrize(
    "action",
    [
        "echo a\x00b",
        "echo a\x04b",  # VEOF
        "echo a\x03b",  # VINTR
        "echo a\x1ab\x1cc",  # VSUSP, VQUIT
        "echo a\x13b",  # VSTOP (XOFF): would freeze all output
        "echo ab\x15c",  # VKILL
        "echo ab\x7fc\x17d\x16e\x12f",  # VERASE, VWERASE, VLNEXT, VREPRINT
        "\x04",
        "\x03",
        "\x00" * 1000,
    ],
)
def test_control_characters_in_the_action(env, action):
    out = survive(env, Command(action, timeout=5))
    assert not out.info["env_error"] and not out.info["shell_restarted"]
    assert not out.info["timed_out"]


@both_backends
@pytest.mark.parametrize(
    "action",
    [
        "echo x\udcffy",  # a byte smuggled in by surrogateescape
        "echo \ud800",  # a lone surrogate: not encodable at all
        "printf '%s' 'é日本' | wc -c",
    ],
)
def test_odd_unicode_in_the_action(env, action):
    out = survive(env, action)
    assert not out.info["env_error"] and out.obs["exit_code"] == 0


# -- resource exhaustion (Docker only: the container's limits bound them) -------------


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["docker"], indirect=True)
def test_fork_bomb(env):
    out = survive(env, Command(":(){ :|:& };:", timeout=5), exact_ok=False)
    assert out.duration < 30


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["docker"], indirect=True)
@pytest.mark.parametrize(
    "action",
    [
        "head -c 3G /dev/zero | tail > /dev/null",
        "python3 -c 'x = bytearray(3 << 30); print(len(x))'",
    ],
)
def test_memory_hog(env, action):
    out = survive(env, Command(action, timeout=60), exact_ok=False)
    assert out.obs["exit_code"] != 0 or out.info["shell_restarted"]


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["docker"], indirect=True)
def test_bounded_disk_filler(env):
    out = survive(env, Command("head -c 200M /dev/zero > /tmp/fill && ls -l /tmp/fill", timeout=60))
    assert "209715200" in out.obs["output"]


# -- keys mode --------------------------------------------------------------------------


@both_backends
def test_keys_mode_flood_is_bounded(backend):
    env = _make(backend, mode="keys", render_mode="ansi")
    try:
        env.reset()
        out = _step(env, Keys("yes\r", wait=4.0))
        assert out.info["output_truncated"]
        assert "y" in out.obs["screen"]
        out = _step(env, Keys("\x03", wait=2.0))
        out = _step(env, Keys("cat /dev/urandom | head -c 3000000; echo; echo done\r", wait=10))
        env.render()
        out = _step(env, Command("echo ok"))
        assert out.obs["output"] == "ok\n"
    finally:
        env.close()


@both_backends
def test_keys_mode_paste_into_a_program_that_does_not_read(backend):
    env = _make(backend, mode="keys")
    try:
        env.reset()
        _step(env, Keys("sleep 12\r", wait=0.2))  # longer than send_keys waits for it
        out = _step(env, Keys(("x" * 99 + "\r") * 40_000, wait=1.0))
        assert not out.info["env_error"]
        _step(env, Keys("\x03", wait=1.0))
        # Keys the tty did take still reach bash, as typeahead does in a terminal (and
        # their echo mixes with the output); after that the shell is in sync again.
        out = _step(env, Command("echo ok", timeout=30))
        assert "ok" in out.obs["output"] and not out.info["timed_out"]
        out = _step(env, Command("echo ok"))
        assert out.obs["output"] == "ok\n"
    finally:
        env.close()
