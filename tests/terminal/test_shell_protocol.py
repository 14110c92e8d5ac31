"""Protocol details of ShellSession that need no sandbox."""

from __future__ import annotations

import pexpect
import pytest

from terminal_gym.errors import ShellError
from terminal_gym.sandbox.base import PtyHandle
from terminal_gym.terminal.shell import ShellSession, _encode


class _ExitsAtOnce:
    """A sandbox whose 'bash' exits as soon as it starts (e.g. no pids left)."""

    id = "fake"
    backend = "fake"
    workdir = None

    def open_pty(self, argv, *, env, workdir, rows, cols):
        child = pexpect.spawn("sh", ["-c", "echo cannot fork; exit 1"])
        return PtyHandle(child=child, terminate=lambda pid: child.close(force=True))

    def is_alive(self):
        return True


def test_a_shell_that_dies_at_start_is_a_shell_error():
    shell = ShellSession(_ExitsAtOnce())  # type: ignore[arg-type]
    with pytest.raises(ShellError):
        shell.start(timeout=5)
    assert not shell.alive


@pytest.mark.parametrize(
    ("command", "encoded"),
    [
        ("echo hi", False),
        ("printf 'a\\tb'\r\n", False),
        ("echo a\x00b", True),
        ("echo a\x03b", True),
        ("echo a\x13b", True),
        ("x" * 2000, True),
    ],
)
def test_tty_special_characters_go_base64_encoded(command, encoded):
    shell = ShellSession(_ExitsAtOnce())  # type: ignore[arg-type]
    wrapped = shell._wrap(command, "abcd")
    assert (b"base64 -d" in wrapped) is encoded
    assert not any(c < 0x20 and c not in (0x09, 0x0A, 0x0D) for c in wrapped)


def test_encode_keeps_smuggled_bytes_and_replaces_lone_surrogates():
    assert _encode("a\udcffb") == b"a\xffb"
    assert _encode("a\ud800b") == b"a?b"
    assert _encode("é") == "é".encode()
