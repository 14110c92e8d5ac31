"""One persistent bash per episode, over a PTY, driven through pexpect.

The protocol (DESIGN §4):

* bash runs with ``--norc --noprofile --noediting``; echo is off; ``PS2`` is empty and
  ``PS1`` is a per-session random sentinel carrying a per-command nonce, ``$?`` and
  ``$PWD``, so output, exit code and cwd come back with no extra process per command.
* Each command is handed to bash as a quoted here-document, read with the ``read``
  builtin and ``eval``-ed. bash therefore consumes the whole action before running
  any of it: a command that reads stdin (``cat``, ``apt``) cannot eat the rest of the
  action, and an unclosed quote is a syntax error (exit 2), not a hang. Actions
  with lines longer than the tty's canonical line limit, or with control characters
  the tty would act on (``^C``, ``^D``, ``^S``, NUL, ...), go base64-encoded in short
  lines instead, so 100 KB one-liners arrive intact.
* After the ``eval`` the same line sets the nonce the prompt will show and puts the
  protocol back (``PS1``, ``PS0``, ``PROMPT_COMMAND``; ``set -e``/``-x``/``-v`` last for
  one action), so an agent that prints its prompt (``echo "${PS1@P}"``, which shows the
  previous nonce) or reassigns ``PS1`` cannot desynchronise the reader. A prompt with a
  stale nonce is dropped from the output.
* Output is read into a :class:`BoundedBuffer` (head + tail) while reading, and drained
  while an action is being written, so neither side can block the other. If the agent
  turned tty echo back on (``stty sane``), the echo of the action is cut from the
  output and echo is turned off again.
* A step timeout sends Ctrl-C and waits briefly for the prompt; failing that the shell's
  whole session is killed and a fresh shell is started (``restarted`` in the result).
* Keys mode sends raw keystrokes and returns when the output is quiet, the prompt is
  back, or the wait runs out; the screen is rendered by pyte.
"""

from __future__ import annotations

import base64
import os
import re
import secrets
import select
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pexpect

from terminal_gym.errors import SandboxDiedError, ShellError
from terminal_gym.output import BoundedBuffer
from terminal_gym.terminal.screen import Screen

if TYPE_CHECKING:
    from terminal_gym.sandbox.base import PtyHandle, Sandbox

#: Longest line sent verbatim; the tty's canonical-mode line limit is 4095 bytes.
_MAX_PLAIN_LINE = 1024
_WRITE_CHUNK = 4096
#: Raw bytes held back from the output buffer while a prompt may still be arriving.
_WINDOW = 8192
#: Longest prompt recognised (a deep ``$PWD`` makes it long).
_MAX_PROMPT = 65536
_READ_SIZE = 65536
_UNCLOSED_QUOTE = b"unexpected EOF while looking for matching"
#: Characters a canonical-mode tty acts on (or bash drops): such actions go base64-encoded.
_TTY_SPECIAL = re.compile(r"[\x00-\x08\x0b-\x0c\x0e-\x1f\x7f]")
#: Seconds send_keys waits for a program that reads none of its keys, and the longest
#: it spends writing keys at all.
_KEYS_STALL = 5.0
_KEYS_WRITE_LIMIT = 60.0


@dataclass(frozen=True)
class CommandResult:
    """What one command (or one burst of keystrokes) produced.

    Attributes:
        output: clean text (ANSI stripped; head + tail with a marker when truncated).
        exit_code: the command's exit status; ``-1`` when unknown (still running in
            keys mode, or the shell had to be restarted).
        cwd: the shell's working directory afterwards.
        duration: seconds from send to result.
        timed_out: the step timeout fired (the command was interrupted).
        interrupted: Ctrl-C was sent and the prompt came back.
        restarted: the shell had to be killed and started again (state lost).
        output_bytes: raw bytes the command printed, before truncation.
        truncated: output was cut in the middle.
        at_prompt: the shell was back at its prompt when this returned.
    """

    output: str
    exit_code: int
    cwd: str
    duration: float
    timed_out: bool = False
    interrupted: bool = False
    restarted: bool = False
    output_bytes: int = 0
    truncated: bool = False
    at_prompt: bool = True


class _InputStalled(ShellError):
    """The shell stopped reading input before all of it was written."""


class _Prompt:
    """The per-session sentinel prompt: ``__TG<token>_<nonce>_<$?>_<$PWD>_TG<token>__``."""

    def __init__(self) -> None:
        self.token = secrets.token_hex(6)
        t = self.token
        self.ps1 = f"__TG{t}_${{__tg_n}}_${{?}}_${{PWD}}_TG{t}__"
        self.regex = re.compile(
            rb"__TG" + t.encode() + rb"_([0-9a-f]*)_(\d+)_(.*?)_TG" + t.encode() + b"__", re.S
        )
        self.marker = b"__TG" + t.encode() + b"_"
        self.closer = b"_TG" + t.encode() + b"__"
        self.heredoc = f"__TG_EOF_{t}"

    def restore(self, nonce: str) -> str:
        """Shell text that saves ``$?`` in ``__tg_s``, sets the next prompt's nonce and
        puts the protocol back.

        Its own errors (``readonly PS1``) and traces (``set -x``) go nowhere.
        """
        # `declare`, not plain assignments: assigning a readonly variable would abort
        # the rest of the line, `declare` only fails.
        return (
            f"{{ __tg_s=$?; set +exv; declare __tg_n={nonce} PS1='{self.ps1}' PS0='' "
            "PS2=''; unset PROMPT_COMMAND; } 2>/dev/null"
        )


def _encode(text: str) -> bytes:
    """UTF-8, raw bytes smuggled in by ``surrogateescape`` kept, other lone surrogates ``?``."""
    try:
        return text.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        return text.encode("utf-8", "replace")


#: Seconds between the Ctrl-Cs sent to a command past its timeout, within the grace.
INTERRUPT_REPEAT = 1.0


class ShellSession:
    """A persistent PTY bash inside a sandbox.

    Args:
        sandbox: where to run; it provides the PTY (:meth:`Sandbox.open_pty`).
        timeout: default per-command timeout in seconds.
        max_output_bytes: output kept per step (head + tail).
        env: extra environment variables for the shell.
        workdir: the starting directory (``None``: the sandbox's own).
        rows, cols: terminal size.
        echo: keep tty echo on (keys-mode sessions, so typed text shows on screen).
        interrupt_grace: seconds to wait for the prompt after Ctrl-C before the shell
            is killed and restarted.
        user: the user bash runs as (``None``: the image's default user).
    """

    def __init__(
        self,
        sandbox: Sandbox,
        *,
        timeout: float = 30.0,
        max_output_bytes: int = 64 * 1024,
        env: Mapping[str, str] | None = None,
        workdir: str | None = None,
        rows: int = 40,
        cols: int = 160,
        echo: bool = False,
        interrupt_grace: float = 2.0,
        user: str | None = None,
    ):
        self.sandbox = sandbox
        self.timeout = timeout
        self.max_output_bytes = max_output_bytes
        self.env = dict(env or {})
        self.workdir = workdir
        self.rows, self.cols = rows, cols
        self.echo = echo
        self.interrupt_grace = interrupt_grace
        self.user = user
        self.screen = Screen(rows, cols)
        self.cwd = workdir or "/"
        self.pid: int | None = None
        self._pty: PtyHandle | None = None
        self._prompt = _Prompt()
        self._nonce = ""
        self._leftover = b""
        # The tty's echo of what we are writing, when echo may be on: cut from the output.
        self._echo_expected = b""
        self._echo_matched = 0
        self._echo_seen = False

    # -- life cycle -------------------------------------------------------------

    def start(self, timeout: float = 20.0) -> None:
        """Spawn bash and install the sentinel prompt."""
        self._prompt = _Prompt()
        self.pid = None  # not the last shell's: a failed start must not kill a reused pid
        env = {"TERM": "xterm-256color", "PAGER": "cat", "GIT_PAGER": "cat", **self.env}
        self._pty = self.sandbox.open_pty(
            ["bash", "--norc", "--noprofile", "--noediting", "-i"],
            env=env,
            workdir=self.workdir,
            rows=self.rows,
            cols=self.cols,
            **({"user": self.user} if self.user is not None else {}),
        )
        self._pty.child.delaybeforesend = None
        # Writes must never block: a full tty is waited for with select, draining output.
        os.set_blocking(self._pty.child.child_fd, False)
        stty = "stty -echo 2>/dev/null; " if not self.echo else ""
        self._nonce = secrets.token_hex(4)
        init = (
            f"{stty}unset PROMPT_COMMAND HISTFILE; set +o history 2>/dev/null; "
            '__tg_rc() { return "$1"; }; echo __TGPID_$$; '
            f"{self._prompt.restore(self._nonce)}\n"
        )
        self._leftover = b""
        self._expect_echo(b"")
        buf = BoundedBuffer(1 << 20)
        try:
            self._write(_encode(init), time.monotonic() + timeout, buf.append)
            match = self._read_until_prompt(buf, time.monotonic() + timeout, {self._nonce})
        except pexpect.EOF:
            self._kill()
            raise ShellError(
                f"bash exited as it started in {self.sandbox!r}: {buf.text()[-500:]!r}"
            ) from None
        if match is None:
            self._kill()
            raise ShellError(f"bash did not answer within {timeout:.0f}s in {self.sandbox!r}")
        pid = re.search(rb"__TGPID_(\d+)", bytes(buf.head + buf.tail))
        self.pid = int(pid.group(1)) if pid else None
        self.cwd = match[1]
        self.screen.reset()

    def close(self, *, kill: bool = True) -> None:
        """Kill the shell (and its session). Idempotent.

        Args:
            kill: ``False`` only drops the connection, for when the whole sandbox is
                about to be removed anyway (saves a round trip at teardown).
        """
        if self._pty is None:
            return
        if kill:
            self._kill()
            return
        pty, self._pty = self._pty, None
        try:
            pty.child.close()
        except Exception:
            pass

    @property
    def alive(self) -> bool:
        return self._pty is not None and self._pty.child.isalive()

    def is_open(self) -> bool:
        """Whether the PTY is connected: open, and its other end has not hung up.

        One poll of the descriptor, no round trip: a shell whose container was killed
        reads as end of file. Bytes that arrived meanwhile are kept for the next read.
        """
        if not self.alive:
            return False
        assert self._pty is not None
        try:
            readable, _, _ = select.select([self._pty.child.child_fd], [], [], 0)
            if readable:
                self._leftover += self._read_pty(0)
        except (pexpect.EOF, OSError, ValueError):
            return False
        return True

    def restart(self) -> None:
        """Kill the shell and its whole session, then start a fresh one."""
        self._kill()
        if not self.sandbox.is_alive():
            raise SandboxDiedError(f"{self.sandbox!r} is not running")
        self.start()

    def _kill(self) -> None:
        pty, self._pty = self._pty, None
        if pty is None:
            return
        try:
            pty.terminate(self.pid)
        finally:
            try:
                pty.child.close()
            except Exception:
                pass

    # -- commands ----------------------------------------------------------------

    def run(self, command: str, timeout: float | None = None) -> CommandResult:
        """Run ``command`` to completion and return its output, exit code and cwd."""
        if self._pty is None:
            self.start()
        timeout = self.timeout if timeout is None else timeout
        started = time.monotonic()
        deadline = started + timeout
        buf = BoundedBuffer(self.max_output_bytes)
        nonce = secrets.token_hex(4)
        wrapped = self._wrap(command, nonce)
        try:
            match = self._send(wrapped, nonce, buf, deadline)
        except pexpect.EOF:
            return self._after_death(command, buf, started, timed_out=False)
        interrupted = False
        if match is None:
            # Ctrl-C. The rest of the interrupted line (the nonce update) does not run,
            # so the prompt may still carry the previous command's nonce.
            # Sent again each second of the grace: a Ctrl-C that lands while bash is
            # still reading the action (a loaded machine) interrupts the reading, and
            # the command may start after it.
            interrupted = True
            end = time.monotonic() + self.interrupt_grace
            try:
                while match is None and time.monotonic() < end:
                    self._write(b"\x03", min(end, time.monotonic() + 1.0), buf.append)
                    match = self._read_until_prompt(
                        buf,
                        min(end, time.monotonic() + INTERRUPT_REPEAT),
                        {nonce, self._nonce},
                        keep=True,  # a prompt may be arriving across the pause
                    )
            except (pexpect.EOF, ShellError):
                match = None
            if match is None:
                buf.append(self._leftover)
                self._leftover = b""
            if match is None:
                return self._after_death(command, buf, started, timed_out=True)
        exit_code, self.cwd = match
        if self._echo_seen and not self.echo:
            self._echo_off()
        result = CommandResult(
            output=buf.text(),
            exit_code=exit_code,
            cwd=self.cwd,
            duration=time.monotonic() - started,
            timed_out=interrupted,
            interrupted=interrupted,
            output_bytes=buf.total,
            truncated=buf.truncated,
        )
        self._transcript(command, result.output)
        return result

    def _send(
        self, wrapped: bytes, nonce: str, buf: BoundedBuffer, deadline: float
    ) -> tuple[int, str] | None:
        """Write a wrapped action and read up to its prompt; ``None`` when time ran out."""
        self._expect_echo(wrapped)
        try:
            self._write(wrapped, deadline, buf.append)
        except _InputStalled:
            return None  # bash stopped reading the action: interrupt it
        return self._read_until_prompt(buf, deadline, {nonce})

    def _echo_off(self) -> None:
        """The agent turned tty echo on (``stty sane``): turn it off, keeping ``$?``."""
        nonce = secrets.token_hex(4)
        wrapped = self._wrap('stty -echo 2>/dev/null; __tg_rc "$__tg_s"', nonce)
        try:
            match = self._send(wrapped, nonce, BoundedBuffer(4096), time.monotonic() + 10)
        except (pexpect.EOF, ShellError):
            match = None
        if match is not None:
            self.cwd = match[1]

    def _after_death(
        self, command: str, buf: BoundedBuffer, started: float, *, timed_out: bool
    ) -> CommandResult:
        """The shell hung past Ctrl-C or exited: restart it and say so."""
        self.restart()
        result = CommandResult(
            output=buf.text(),
            exit_code=-1,
            cwd=self.cwd,
            duration=time.monotonic() - started,
            timed_out=timed_out,
            interrupted=timed_out,
            restarted=True,
            output_bytes=buf.total,
            truncated=buf.truncated,
        )
        self._transcript(command, result.output)
        return result

    def send_keys(
        self, keys: str | bytes, *, wait: float | None = None, quiet: float = 0.15
    ) -> CommandResult:
        """Send raw keystrokes; return what the terminal printed meanwhile.

        Returns once the shell prompt is back, or the output has been quiet for
        ``quiet`` seconds after something was printed, or ``wait`` seconds (default:
        ``quiet``, at least) have passed. Keys a program does not read within a few
        seconds are dropped (the output says how many).
        """
        if self._pty is None:
            self.start()
        data = _encode(keys) if isinstance(keys, str) else keys
        started = time.monotonic()
        deadline = started + max(wait if wait is not None else quiet, quiet)
        buf = BoundedBuffer(self.max_output_bytes)
        regex = self._prompt.regex
        raw = bytearray()  # bytes that may still hold a prompt; older ones are emitted
        at_prompt = False
        exit_code = -1

        def emit(data: bytes) -> None:
            shown = regex.sub(lambda m: f"{m[3].decode('utf-8', 'replace')}$ ".encode(), data)
            buf.append(shown)
            self.screen.feed(shown)

        self._expect_echo(b"")
        dropped = 0
        try:
            try:
                self._write(data, started + _KEYS_WRITE_LIMIT, emit, stall=_KEYS_STALL)
            except _InputStalled as exc:
                dropped = exc.args[1]
            last = time.monotonic()
            while True:
                now = time.monotonic()
                if now >= deadline or (raw and now - last >= quiet):
                    break
                chunk = self._read_chunk(min(deadline, last + quiet if raw else deadline) - now)
                if not chunk:
                    continue
                raw += chunk
                last = time.monotonic()
                prompts = list(regex.finditer(raw))
                m = prompts[-1] if prompts else None
                if m is not None and not raw[m.end() :].strip():
                    at_prompt = True
                    exit_code, self.cwd = int(m[2]), m[3].decode("utf-8", "replace")
                    break
                if len(raw) > 2 * _WINDOW:
                    cut = self._safe_cut(raw, len(raw) - _WINDOW)
                    emit(bytes(raw[:cut]))
                    del raw[:cut]
        except pexpect.EOF:
            self.restart()
            return CommandResult("", -1, self.cwd, time.monotonic() - started, restarted=True)
        emit(bytes(raw))
        if dropped:
            buf.append(f"\n[terminal-gym: {dropped} bytes of keys were not read]\n".encode())
        return CommandResult(
            output=buf.text(),
            exit_code=exit_code,
            cwd=self.cwd,
            duration=time.monotonic() - started,
            output_bytes=buf.total,
            truncated=buf.truncated,
            at_prompt=at_prompt,
        )

    def render(self) -> str:
        """The terminal screen as text."""
        return self.screen.render()

    # -- protocol internals ------------------------------------------------------

    def _wrap(self, command: str, nonce: str) -> bytes:
        eof = self._prompt.heredoc
        body = command if command.endswith("\n") else command + "\n"
        raw = _encode(body)
        restore = self._prompt.restore(nonce)
        run = f'__tg_rc "$__tg_s"; eval "$__tg_c"; {restore}; __tg_rc "$__tg_s"'
        if max(map(len, raw.split(b"\n"))) <= _MAX_PLAIN_LINE and not _TTY_SPECIAL.search(body):
            return (
                f"__tg_s=$?; IFS= read -r -d '' __tg_c <<'{eof}'; {run}\n".encode()
                + raw
                + f"{eof}\n".encode()
            )
        encoded = base64.encodebytes(raw).decode()
        return (
            f"__tg_s=$?; IFS= read -r -d '' __tg_c <<'{eof}'; "
            f'__tg_c=$(base64 -d <<<"$__tg_c"); {run}\n{encoded}{eof}\n'
        ).encode()

    def _transcript(self, command: str, output: str) -> None:
        text = f"{self.cwd}$ {command.rstrip()}\n{output}"
        self.screen.feed(_encode(text.replace("\n", "\r\n")))

    def _expect_echo(self, written: bytes) -> None:
        """Cut the tty's echo of ``written`` from the start of what is read next."""
        self._echo_expected = written.replace(b"\n", b"\r\n")
        self._echo_matched = 0
        self._echo_seen = False

    def _read_pty(self, timeout: float) -> bytes:
        """One read from the PTY itself; ``b""`` when nothing came within ``timeout``."""
        assert self._pty is not None
        try:
            data = self._pty.child.read_nonblocking(_READ_SIZE, max(timeout, 0.0))
        except (pexpect.TIMEOUT, BlockingIOError, InterruptedError):
            return b""
        except ValueError as exc:  # its descriptor was closed under us (sandbox closed)
            raise pexpect.EOF(f"the shell's terminal is closed: {exc}") from exc
        expected, matched = self._echo_expected, self._echo_matched
        if matched >= len(expected):
            return data
        n = min(len(data), len(expected) - matched)
        if data[:n] == expected[matched : matched + n]:
            self._echo_matched = matched + n
            # Sure once the first line (with the session's random token) matched.
            self._echo_seen = self._echo_matched > expected.find(b"\r\n")
            return data[n:]
        self._echo_expected = b""  # not an echo: give back what was held as one
        self._echo_seen = False
        return expected[:matched] + data

    def _read_chunk(self, timeout: float) -> bytes:
        """Bytes left over from an earlier read, else one read from the PTY."""
        if self._leftover:
            data, self._leftover = self._leftover, b""
            return data
        return self._read_pty(timeout)

    def _safe_cut(self, data: bytes | bytearray, cut: int) -> int:
        """``cut``, or an earlier index, such that no prompt straddles it."""
        marker = self._prompt.marker
        pos = data.rfind(marker, max(0, cut - _MAX_PROMPT), cut + len(marker) - 1)
        if pos < 0:
            return cut
        m = self._prompt.regex.match(data, pos)
        return cut if m is not None and m.end() <= cut else pos

    def _read_until_prompt(
        self, buf: BoundedBuffer, deadline: float, nonces: set[str], *, keep: bool = False
    ) -> tuple[int, str] | None:
        """Read into ``buf`` until a sentinel prompt with one of ``nonces``.

        Returns ``(exit code, cwd)``, or ``None`` at the deadline. Raw bytes stay in a small
        window until they are known not to be part of a prompt, then move to ``buf``;
        prompts with another nonce (a stale one, or one the agent printed) are dropped.
        Bytes after the prompt are kept for the next read, and so is the window at the
        deadline with ``keep`` (the caller reads again: a prompt may straddle the pause).
        """
        window = bytearray()
        regex = self._prompt.regex
        marker, closer = self._prompt.marker, self._prompt.closer
        accept = {n.encode() for n in nonces}
        scan = 0
        nudged = False
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                if keep:
                    self._leftover = bytes(window) + self._leftover
                else:
                    buf.append(bytes(window))
                return None
            chunk = self._read_chunk(min(remaining, 0.25))
            if not chunk:
                if not nudged and _UNCLOSED_QUOTE in window[-200:]:
                    # bash reports an unclosed quote in `eval` and then waits to discard
                    # the rest of a terminal line that was already consumed: end it.
                    nudged = True
                    try:
                        self._write(b"\n", time.monotonic() + 1.0, buf.append)
                    except _InputStalled:
                        pass
                continue
            window += chunk
            while True:
                pos = window.find(marker, scan)
                if pos < 0:
                    scan = max(scan, len(window) - len(marker))
                    break
                m = regex.match(window, pos)
                if m is not None:
                    if m[1] not in accept:
                        del window[pos : m.end()]  # stale or printed by the agent
                        scan = pos
                        continue
                    buf.append(bytes(window[:pos]))
                    self._leftover = bytes(window[m.end() :])
                    self._nonce = m[1].decode()
                    return int(m[2]), m[3].decode("utf-8", "replace")
                if len(window) - pos > _MAX_PROMPT or window.find(closer, pos + len(marker)) >= 0:
                    scan = pos + 1  # the marker's text, not a prompt (e.g. `echo "$PS1"`)
                    continue
                scan = pos  # a prompt still arriving
                break
            if scan > _WINDOW:  # bytes before `scan` cannot hold a prompt: move them out
                buf.append(bytes(window[:scan]))
                del window[:scan]
                scan = 0

    def _write(
        self,
        data: bytes,
        deadline: float,
        spill: Callable[[bytes], None],
        *,
        stall: float | None = None,
    ) -> None:
        """Write all of ``data``, draining output meanwhile so neither side blocks.

        Drained bytes wait in ``_leftover`` for the next read; beyond a few windows'
        worth, the oldest of them (never a prompt) go to ``spill``.

        Raises:
            _InputStalled: the deadline passed, or ``stall`` seconds went by without a
                byte written (``args[1]``: bytes not written).
            pexpect.EOF: the shell is gone.
        """
        assert self._pty is not None
        fd = self._pty.child.child_fd
        if fd < 0:  # closed under us (the sandbox was closed from outside)
            raise pexpect.EOF("the shell's terminal is closed")
        view = memoryview(data)
        progress = time.monotonic()
        while view:
            limit = deadline if stall is None else min(deadline, progress + stall)
            remaining = limit - time.monotonic()
            if remaining <= 0:
                raise _InputStalled("the shell stopped accepting input", len(view))
            # poll, not select: select fails on descriptors above 1023 (many envs).
            events = 0
            poller = select.poll()
            poller.register(fd, select.POLLIN | select.POLLOUT)
            for _, mask in poller.poll(remaining * 1000):
                events |= mask
            readable = events & (select.POLLIN | select.POLLHUP | select.POLLERR)
            writable = events & select.POLLOUT
            n = 0
            if writable:
                try:
                    n = os.write(fd, view[:_WRITE_CHUNK])
                except (BlockingIOError, InterruptedError):
                    pass
                except OSError as exc:
                    raise pexpect.EOF(str(exc)) from exc
                view = view[n:]
            if n:
                progress = time.monotonic()
                continue
            if not readable:
                time.sleep(0.001)  # writable, yet nothing went: do not spin
            else:
                # Always from the PTY itself: the child may be blocked writing output.
                self._leftover += self._read_pty(0)
                if len(self._leftover) > 2 * _WINDOW:
                    cut = self._safe_cut(self._leftover, len(self._leftover) - _WINDOW)
                    spill(self._leftover[:cut])
                    self._leftover = self._leftover[cut:]
