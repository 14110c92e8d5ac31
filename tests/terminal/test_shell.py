"""The PTY shell protocol, on a real sandbox of each backend (Docker and bubblewrap).

One sandbox per backend is shared by the whole module; every test gets a fresh shell.
"""

from __future__ import annotations

import hashlib
import random
import string
import time

import pytest

from terminal_gym.output import omission_marker
from terminal_gym.terminal.shell import ShellSession

pytestmark = pytest.mark.parametrize(
    "backend",
    [
        pytest.param("docker", marks=pytest.mark.docker),
        pytest.param("local", marks=pytest.mark.local),
    ],
    indirect=True,
)


@pytest.fixture(scope="module")
def _sandboxes():
    made = {}
    yield made
    for sb in made.values():
        sb.close()


@pytest.fixture
def sandbox(backend, shell_task, _sandboxes):
    sb = _sandboxes.get(backend.name)
    if sb is None or not sb.is_alive():
        sb = _sandboxes[backend.name] = backend.create(shell_task)
    return sb


@pytest.fixture
def shell(sandbox, shell_task):
    sh = ShellSession(sandbox, timeout=10, workdir=shell_task.environment.workdir)
    sh.start()
    try:
        yield sh
    finally:
        sh.close()


def _rss_kb() -> int:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise AssertionError("no VmRSS in /proc/self/status")


def _assert_healthy(sh: ShellSession) -> None:
    r = sh.run("echo still-ok", timeout=10)
    assert r.output == "still-ok\n"
    assert r.exit_code == 0
    assert not r.timed_out and not r.restarted


def test_echo(shell):
    r = shell.run("echo hi")
    assert r.output == "hi\n"
    assert r.exit_code == 0
    assert r.cwd == "/app"
    assert not r.timed_out and not r.interrupted and not r.restarted and not r.truncated
    assert r.output_bytes >= 2
    assert r.duration < 5


def test_exit_codes(shell):
    assert shell.run("false").exit_code == 1
    assert shell.run("(exit 7)").exit_code == 7
    assert shell.run("true").exit_code == 0
    shell.run("false")
    r = shell.run("echo $?")
    assert r.output == "1\n"
    assert r.exit_code == 0


def test_cwd_persists(shell):
    r = shell.run("cd /tmp")
    assert r.cwd == "/tmp"
    r = shell.run("pwd")
    assert r.output == "/tmp\n"
    assert r.cwd == "/tmp"


def test_env_persists_and_image_env_visible(shell):
    shell.run("export X=1")
    assert shell.run("echo $X").output == "1\n"
    assert shell.run("echo $GREETING").output == "hello\n"
    assert shell.run("cat hello.txt").output == "hello from the fixture\n"


def test_timeout_interrupts(shell):
    started = time.monotonic()
    r = shell.run("sleep 600", timeout=1)
    assert time.monotonic() - started < 5
    assert r.timed_out
    assert r.interrupted
    assert not r.restarted
    _assert_healthy(shell)


def test_stdin_reader_times_out(shell):
    started = time.monotonic()
    r = shell.run("cat", timeout=2)
    elapsed = time.monotonic() - started
    assert elapsed < 2 + shell.interrupt_grace + 1
    assert r.timed_out
    _assert_healthy(shell)


def test_sigint_ignored_restarts_shell(shell):
    shell.run("export MARK=before")
    started = time.monotonic()
    r = shell.run("trap '' INT; sleep 600", timeout=1)
    elapsed = time.monotonic() - started
    assert r.restarted
    assert r.timed_out
    assert r.exit_code == -1
    assert elapsed < 1 + shell.interrupt_grace + 10
    # A fresh shell: state is gone, but it works.
    assert shell.run("echo ${MARK:-unset}").output == "unset\n"
    _assert_healthy(shell)


def test_flood_is_truncated_and_memory_bounded(shell):
    rss_before = _rss_kb()
    r = shell.run("yes", timeout=2)
    rss_after = _rss_kb()
    assert r.timed_out
    assert r.truncated
    assert r.output_bytes > shell.max_output_bytes
    bound = shell.max_output_bytes + len(omission_marker(r.output_bytes))
    assert len(r.output.encode()) <= bound
    assert r.output.startswith("y\ny\n")
    assert "bytes of output omitted" in r.output
    assert rss_after - rss_before < 50 * 1024
    _assert_healthy(shell)


def test_write_drains_output_while_the_child_blocks_on_output(shell):
    # `cat` echoes every pasted line back. Unless output is drained while the paste is
    # written, cat blocks writing, stops reading, and the write stalls for good; a short
    # chunk held back by an earlier drain must not stop the next drain from reading.
    shell.send_keys("cat\n", wait=0.5)
    paste = ("x" * 99 + "\n") * 40_000  # 4 MB: more than the pty and docker buffer
    shell._leftover = b"held back"
    rss_before = _rss_kb()
    r = shell.send_keys(paste + "\x04", wait=60, quiet=5)
    assert _rss_kb() - rss_before < 50 * 1024
    assert r.at_prompt
    assert r.output_bytes >= len(paste)
    assert r.output.startswith("held back")
    _assert_healthy(shell)


def test_long_single_line_arrives_intact(shell):
    rng = random.Random(0)
    payload = "".join(rng.choice(string.ascii_letters + string.digits) for _ in range(100_000))
    r = shell.run(f"printf '%s' '{payload}' | md5sum", timeout=20)
    assert r.exit_code == 0
    assert r.output.split()[0] == hashlib.md5(payload.encode()).hexdigest()
    r = shell.run(f"printf '%s' '{payload}' | wc -c", timeout=20)
    assert r.output.strip() == "100000"


def test_unicode_round_trip(shell):
    text = "é日本 ✓"
    r = shell.run(f"echo '{text}'")
    assert r.output == text + "\n"
    r = shell.run(f"printf '%s' '{text}' | wc -c")
    assert r.output.strip() == str(len(text.encode()))


def test_binary_output(shell):
    r = shell.run("head -c 3000 /dev/urandom", timeout=10)
    assert r.exit_code == 0
    assert not r.timed_out
    assert r.output_bytes >= 3000
    assert isinstance(r.output, str)
    _assert_healthy(shell)


def test_unclosed_quote_is_a_syntax_error(shell):
    started = time.monotonic()
    r = shell.run("echo 'x", timeout=10)
    assert time.monotonic() - started < 2
    assert r.exit_code == 2
    assert not r.timed_out
    assert "unexpected EOF" in r.output
    _assert_healthy(shell)


def test_exit_restarts_shell(shell):
    r = shell.run("exit 3", timeout=10)
    assert r.restarted
    assert not r.timed_out
    assert r.duration < 10
    assert shell.alive
    _assert_healthy(shell)
    assert shell.run("pwd").output == "/app\n"


def test_printf_without_newline(shell):
    r = shell.run("printf abc")
    assert r.output == "abc"
    assert r.exit_code == 0
    assert shell.run("printf 'x\\ny'").output == "x\ny"


def test_printing_ps1_does_not_confuse_protocol(shell):
    r = shell.run('echo "$PS1"; echo after')
    assert r.output.endswith("after\n")
    assert "__TG" in r.output
    assert r.exit_code == 0
    r = shell.run("echo next; (exit 4)")
    assert r.output == "next\n"
    assert r.exit_code == 4


def test_printed_prompts_do_not_desynchronise(shell):
    r = shell.run('echo "${PS1@P}"; echo after; (exit 3)')
    assert r.output == "\nafter\n" and r.exit_code == 3
    for word in ("one", "two"):
        r = shell.run(f"echo {word}")
        assert r.output == f"{word}\n" and r.exit_code == 0


def test_prompt_variables_are_put_back(shell):
    r = shell.run("unset PS1; PROMPT_COMMAND='echo junk'; PS0=junk; export KEEP=1")
    assert r.exit_code == 0 and not r.timed_out
    assert shell.run("echo $KEEP").output == "1\n"


def test_set_x_traces_the_action_that_sets_it_only(shell):
    r = shell.run("set -x; echo hi")
    trace, out = r.output.splitlines()  # nothing of the protocol is traced
    assert trace.endswith("+ echo hi") and out == "hi"
    assert shell.run("echo ok").output == "ok\n"


def test_tty_echo_turned_back_on_is_cut_and_undone(shell):
    r = shell.run("stty sane; (exit 3)")
    assert r.exit_code == 3
    r = shell.run("echo $?")  # the exit status survives turning echo off again
    assert r.output == "3\n"
    assert shell.run("echo ok").output == "ok\n"
    assert "echo" not in shell.run("stty -a").output.split("-echo")[0].split()


def test_multiline_heredoc(shell):
    action = (
        "cat > /tmp/hd.txt <<'EOF'\n"
        "line one\n"
        "$HOME `x`\n"
        "EOF\n"
        "wc -l < /tmp/hd.txt\n"
        "cat /tmp/hd.txt\n"
    )
    r = shell.run(action)
    assert r.exit_code == 0
    assert r.output == "2\nline one\n$HOME `x`\n"


def test_keys_mode_python_repl(shell):
    r = shell.send_keys("python3\r", wait=10.0, quiet=1.0)
    assert ">>>" in r.output
    assert not r.at_prompt
    r = shell.send_keys("1+1\r", wait=5.0, quiet=0.5)
    assert "2" in r.output.splitlines()
    r = shell.send_keys("print('from' + '-repl')\r", wait=5.0, quiet=0.5)
    assert "from-repl" in r.output
    screen = shell.render()
    assert ">>>" in screen
    assert "from-repl" in screen
    r = shell.send_keys("exit()\r", wait=5.0)
    assert r.at_prompt
    assert r.exit_code == 0
    _assert_healthy(shell)


def test_keys_mode_with_echo_shows_typed_text(sandbox, shell_task):
    sh = ShellSession(sandbox, timeout=10, workdir=shell_task.environment.workdir, echo=True)
    sh.start()
    try:
        sh.send_keys("python3\r", wait=10.0, quiet=1.0)
        r = sh.send_keys("6*7\r", wait=5.0, quiet=0.5)
        assert "42" in r.output
        screen = sh.render().splitlines()
        assert any(line.startswith(">>> 6*7") for line in screen)
        assert "42" in screen
        r = sh.send_keys("\x04", wait=5.0)  # Ctrl-D leaves the REPL
        assert r.at_prompt
        assert sh.render().rstrip().endswith("/app$")
    finally:
        sh.close()
