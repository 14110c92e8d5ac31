"""Observation wrappers: make visible what a terminal harness would otherwise hide.

* :class:`ObservationToText` renders output, exit code, cwd, duration and timeout into
  one ``text`` key (or into ``output``), the text an LLM agent reads.
* :class:`TruncateOutput` keeps the head and the tail of long output (Terminus-2:
  10,000 bytes, the first and last 5,000) with a marker saying how much was cut.
* :class:`TrackFileChanges` lists the files the last action created, modified and
  deleted, computed inside the sandbox by one small ``find`` + ``awk`` per step.
* :class:`AddScreenObservation` adds the pyte-rendered terminal screen.
* :class:`ChatObservation` turns the episode into LLM-ready chat messages (system
  prompt with the instruction, the history as turns) within a character or token
  budget, eliding the middle of old turns first.

Compose them inside out, the chat view last::

    env = ChatObservation(ObservationToText(TruncateOutput(TrackFileChanges(env))))
"""

from __future__ import annotations

import re
import secrets
import shlex
import time
from collections.abc import Callable, Sequence
from typing import Any

import gymnasium as gym
from gymnasium import spaces
from gymnasium.core import ActType
from gymnasium.spaces import Space
from gymnasium.utils import RecordConstructorArgs

from terminal_gym.envs.spaces import TerminalText
from terminal_gym.output import omission_marker
from terminal_gym.render import DEFAULT_SYSTEM_PROMPT, action_text, files_text, observation_text

__all__ = [
    "AddScreenObservation",
    "ChatObservation",
    "ChatSpace",
    "ObservationToText",
    "TrackFileChanges",
    "TruncateOutput",
    "elide_middle",
    "fit_messages",
    "truncate_middle",
]

# The env's own truncation marker, whatever its wording: a count inside fixed text.
_MARKER_RE = re.compile(re.escape(omission_marker(123456789)).replace("123456789", r"(\d+)"))


def _with_key(space: Space[Any], key: str, value: Space[Any]) -> spaces.Dict:
    if not isinstance(space, spaces.Dict):
        raise TypeError(f"expected a Dict observation space, got {space!r}")
    return spaces.Dict({**space.spaces, key: value})


# -- truncation ------------------------------------------------------------------------


def truncate_middle(text: str, max_bytes: int = 10_000) -> str:
    """Keep the first and last ``max_bytes / 2`` bytes of ``text`` (UTF-8), marking the cut.

    The marker counts the bytes of *output* dropped: an earlier marker that falls inside
    the cut (output already truncated upstream) adds its own count, so the total stays
    honest.

    >>> truncate_middle("a" * 6 + "b" * 6, max_bytes=4)
    'aa\\n[... 8 bytes of output omitted ...]\\nbb'
    """
    data = text.encode("utf-8")
    if len(data) <= max_bytes:
        return text
    half = max_bytes // 2
    head = data[:half].decode("utf-8", "ignore")
    tail = data[len(data) - (max_bytes - half) :].decode("utf-8", "ignore")
    head_len, tail_len = len(head.encode()), len(tail.encode())
    cut = data[head_len : len(data) - tail_len].decode("utf-8", "replace")
    omitted = len(cut.encode("utf-8"))
    for m in _MARKER_RE.finditer(cut):
        omitted += int(m[1]) - len(m[0].encode())
    return head + omission_marker(omitted).rstrip("\n") + "\n" + tail


def elide_middle(text: str, keep_chars: int) -> str:
    """Keep ``keep_chars`` characters of ``text`` (head and tail), marking what was elided.

    >>> elide_middle("0123456789" * 3, 10)
    '01234\\n[... 20 characters elided ...]\\n56789'
    """
    if len(text) <= keep_chars:
        return text
    half = keep_chars // 2
    tail = keep_chars - half
    elided = len(text) - half - tail
    return f"{text[:half]}\n[... {elided} characters elided ...]\n{text[len(text) - tail :]}"


class TruncateOutput(gym.ObservationWrapper[dict, ActType, dict], RecordConstructorArgs):
    """Keep the head and tail of ``output`` within ``max_bytes``, with an honest marker.

    Terminus-2 shows at most 10,000 bytes per turn, the first and last 5,000; that is
    the default. The env's own cap (``max_output_bytes``, 64 KiB) applies first; when
    its marker is cut away here, its count is added to this one.

    Args:
        env: the env.
        max_bytes: bytes of output kept (UTF-8).
        keys: the observation keys to truncate.

    Example:
        >>> env = TruncateOutput(env, max_bytes=10_000)  # doctest: +SKIP
    """

    def __init__(self, env: gym.Env, max_bytes: int = 10_000, keys: Sequence[str] = ("output",)):
        RecordConstructorArgs.__init__(self, max_bytes=max_bytes, keys=tuple(keys))
        gym.ObservationWrapper.__init__(self, env)
        if max_bytes < 2:
            raise ValueError("max_bytes must be at least 2")
        self.max_bytes = int(max_bytes)
        self.keys = tuple(keys)

    def observation(self, observation: dict) -> dict:
        out = dict(observation)
        for key in self.keys:
            if isinstance(out.get(key), str):
                out[key] = truncate_middle(out[key], self.max_bytes)
        return out


# -- text ------------------------------------------------------------------------------


class ObservationToText(gym.Wrapper[dict, ActType, dict, ActType], RecordConstructorArgs):
    """Render each observation as the text an agent reads, status line included.

    The text is the step's output followed by a line such as
    ``[exit 1 | cwd /app | 0.02s]``, with ``TIMED OUT`` when the step timeout fired,
    ``SHELL RESTARTED`` when state was lost, and the changed files when
    :class:`TrackFileChanges` runs inside this wrapper.

    Args:
        env: the env.
        key: the observation key that receives the text (added to the space).
        replace_output: write the text into ``output`` instead of a new key.

    Example:
        >>> env = ObservationToText(env)  # doctest: +SKIP
        >>> obs, *_ = env.step("false")  # doctest: +SKIP
        >>> obs["text"]  # doctest: +SKIP
        '[exit 1 | cwd /app | 0.00s]'
    """

    def __init__(self, env: gym.Env, key: str = "text", replace_output: bool = False):
        RecordConstructorArgs.__init__(self, key=key, replace_output=replace_output)
        gym.Wrapper.__init__(self, env)
        self.key = "output" if replace_output else key
        if not replace_output:
            self.observation_space = _with_key(env.observation_space, key, TerminalText())

    def _render(self, obs: dict, info: dict) -> dict:
        raw = {k: v for k, v in obs.items() if k != "text"}
        return {**obs, self.key: observation_text(raw, info)}

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None):
        obs, info = self.env.reset(seed=seed, options=options)
        return self._render(obs, info), info

    def step(self, action: ActType):
        obs, reward, terminated, truncated, info = self.env.step(action)
        return self._render(obs, info), reward, terminated, truncated, info


# -- screen ----------------------------------------------------------------------------


class AddScreenObservation(gym.ObservationWrapper[dict, ActType, dict], RecordConstructorArgs):
    """Add the terminal screen as rendered by pyte (``rows`` x ``cols`` of text).

    In command mode the screen shows each command after its prompt and its output, as a
    person at the terminal would see them; in keys mode (where the env already returns
    ``screen``) this wrapper changes nothing.

    Args:
        env: a :class:`~terminal_gym.TerminalLegoEnv` (possibly wrapped).
        key: the observation key for the screen.
    """

    def __init__(self, env: gym.Env, key: str = "screen"):
        RecordConstructorArgs.__init__(self, key=key)
        gym.ObservationWrapper.__init__(self, env)
        self.key = key
        if key not in env.observation_space.spaces:  # type: ignore[attr-defined]
            self.observation_space = _with_key(env.observation_space, key, TerminalText())

    def observation(self, observation: dict) -> dict:
        if self.key in observation:
            return observation
        screen = getattr(self.env.unwrapped, "screen", None)
        return {**observation, self.key: screen() if screen is not None else ""}


# -- changed files ---------------------------------------------------------------------

_PRUNE = ("/proc", "/sys", "/dev", "/run")

# `find` lists every path under the roots (path, ctime, size, type); `awk` loads the
# previous listing, writes the new one as it reads it, and prints up to n paths per kind
# and the totals. Two processes per step, nothing else (process starts cost about 1 ms
# each in a container). ctime catches content and metadata (chmod) changes; directories
# are never "modified" (their times move whenever an entry is added).
_AWK = r"""
BEGIN {
    FS = "\t"
    while ((getline line < old) > 0) { split(line, f, "\t"); m[f[1]] = f[2] " " f[3] }
}
{ print > out }
!report { next }
!($1 in m) { if (c++ < n) print "C\t" $1; next }
m[$1] != $2 " " $3 && $4 != "d" { if (k++ < n) print "M\t" $1 }
{ delete m[$1] }
END {
    if (!report) exit
    for (p in m) if (d++ < n) print "D\t" p
    printf "T\t%d\t%d\t%d\n", c, k, d
}
"""


def _listing_script(
    roots: Sequence[str], prune: Sequence[str], state: str, old: str, new: str, limit: int
) -> str:
    """List the roots into ``new`` and print what changed since ``old``."""
    prunes = " -o ".join(f"-path {shlex.quote(p)}" for p in (*prune, state))
    report = int(old != "/dev/null")
    return (
        f"LC_ALL=C find {' '.join(shlex.quote(r) for r in roots)} -xdev "
        f"\\( {prunes} \\) -prune -o -printf '%p\\t%C@\\t%s\\t%y\\n' 2>/dev/null | "
        f"LC_ALL=C awk -v old={shlex.quote(old)} -v out={shlex.quote(new)} -v n={int(limit)} "
        f"-v report={report} {shlex.quote(_AWK)}"
    )


def parse_changes(output: str, limit: int) -> dict[str, Any]:
    """The ``info["files"]`` dict from the snapshot script's output."""
    files: dict[str, Any] = {"created": [], "modified": [], "deleted": []}
    kinds = {"C": "created", "M": "modified", "D": "deleted"}
    totals = None
    for line in output.splitlines():
        tag, _, rest = line.partition("\t")
        if tag in kinds:
            files[kinds[tag]].append(rest)
        elif tag == "T":
            totals = [int(x) for x in rest.split("\t")]
    for kind in files:
        files[kind].sort()
    if totals is not None:
        for kind, total in zip(("created", "modified", "deleted"), totals, strict=False):
            if total > len(files[kind]):
                files[f"{kind}_more"] = total - len(files[kind])
    return files


class TrackFileChanges(gym.Wrapper[dict, ActType, dict, ActType], RecordConstructorArgs):
    """Report the files each step created, modified and deleted.

    After every step one small pipeline runs *inside the sandbox*: ``find`` lists path,
    ctime, size and type under ``roots``, and ``awk`` compares the listing with the
    previous one (keeping the new one); only the differences come back. By default it
    runs in a second, private PTY shell opened once per episode (no process spawned on
    the host; the cost is the two processes and the ``find``: about 8 ms per step for
    the 320 paths of a bundled task on Docker); ``via="exec"`` uses ``sandbox.exec``
    instead (one ``docker exec`` per step, about 60 ms). The agent's shell is never
    touched, so its ``$?``, history and screen stay as they were. The listings live in
    a hidden ``/tmp/.terminal-gym-files-*`` directory, pruned from the walk. See
    ``benchmarks/wrapper_overhead.py``.

    Adds ``info["files"] = {"created": [...], "modified": [...], "deleted": [...]}``
    (sorted; ``<kind>_more`` counts what ``max_paths`` left out; ``error`` when the
    listing failed) and an observation key ``files`` with a one-line summary.

    Args:
        env: a :class:`~terminal_gym.TerminalLegoEnv` (possibly wrapped).
        roots: the directories to watch; default: the task's workdir.
        prune: directories never descended into (besides the wrapper's own state).
        max_paths: paths reported per kind.
        via: ``"shell"`` (a private PTY shell, :meth:`TerminalLegoEnv.open_shell`) or
            ``"exec"`` (:meth:`TerminalLegoEnv.exec`).
        timeout: seconds the listing may take.
    """

    def __init__(
        self,
        env: gym.Env,
        roots: Sequence[str] | None = None,
        prune: Sequence[str] = _PRUNE,
        max_paths: int = 50,
        via: str = "shell",
        timeout: float = 10.0,
    ):
        RecordConstructorArgs.__init__(
            self,
            roots=None if roots is None else tuple(roots),
            prune=tuple(prune),
            max_paths=max_paths,
            via=via,
            timeout=timeout,
        )
        gym.Wrapper.__init__(self, env)
        if via not in ("shell", "exec"):
            raise ValueError(f"via must be 'shell' or 'exec', not {via!r}")
        self.roots = None if roots is None else tuple(roots)
        self.prune = tuple(prune)
        self.max_paths = int(max_paths)
        self.via = via
        self.timeout = timeout
        self.observation_space = _with_key(env.observation_space, "files", TerminalText())
        self._state = f"/tmp/.terminal-gym-files-{secrets.token_hex(4)}"
        self._roots: tuple[str, ...] = ()
        self._flip = 0
        self._shell: Any = None
        self._base: Any = None  # the env whose sandbox is listed (its exec/open_shell)
        #: seconds the last listing took (what this wrapper costs per step).
        self.last_cost = 0.0

    # -- Gymnasium API -----------------------------------------------------------------

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None):
        self._close_shell()
        obs, info = self.env.reset(seed=seed, options=options)
        base = self.env.unwrapped
        self._base = base if callable(getattr(base, "exec", None)) else None
        task = getattr(base, "task", None)
        self._roots = self.roots or (
            (task.environment.workdir if task is not None else None) or obs.get("cwd") or "/",
        )
        self._flip = 0
        files = self._diff(baseline=True)  # nothing to report yet
        info["files"] = {"created": [], "modified": [], "deleted": [], **_errors(files)}
        return {**obs, "files": ""}, info

    def step(self, action: ActType):
        obs, reward, terminated, truncated, info = self.env.step(action)
        if terminated or truncated or self._base is None:
            return {**obs, "files": ""}, reward, terminated, truncated, info
        files = self._diff()
        info["files"] = files
        return {**obs, "files": files_text(files)}, reward, terminated, truncated, info

    def close(self) -> None:
        self._close_shell()
        super().close()

    # -- internals ---------------------------------------------------------------------

    def _diff(self, baseline: bool = False) -> dict[str, Any]:
        started = time.perf_counter()
        listings = (f"{self._state}/a", f"{self._state}/b")
        old = "/dev/null" if baseline else listings[self._flip]
        new = listings[1 - self._flip]
        script = _listing_script(self._roots, self.prune, self._state, old, new, self.max_paths)
        if baseline:
            script = f"mkdir -p {shlex.quote(self._state)} && {script}"
        try:
            output, ok = self._run(script)
        except Exception as exc:  # never let bookkeeping break the episode
            output, ok = f"{type(exc).__name__}: {exc}", False
        self.last_cost = time.perf_counter() - started
        if not ok:
            return {"created": [], "modified": [], "deleted": [], "error": output.strip()[:200]}
        self._flip = 1 - self._flip
        return parse_changes(output, self.max_paths)

    def _run(self, script: str) -> tuple[str, bool]:
        if self._base is None:
            return "no sandbox", False
        if self.via == "shell":
            if self._shell is None:
                self._shell = self._base.open_shell(timeout=self.timeout)
            result = self._shell.run(script, timeout=self.timeout)
            return result.output, result.exit_code == 0 and not result.timed_out
        result = self._base.exec(script, timeout=self.timeout)
        return result.output, result.exit_code == 0 and not result.timed_out

    def _close_shell(self) -> None:
        shell, self._shell = self._shell, None
        if shell is not None:
            try:
                # The sandbox is removed by the env's teardown; dropping the PTY is enough.
                shell.close(kill=False)
            except Exception:
                pass


def _errors(files: dict[str, Any]) -> dict[str, Any]:
    return {"error": files["error"]} if files.get("error") else {}


# -- chat ------------------------------------------------------------------------------


_ROLES = ("system", "user", "assistant")


class ChatSpace(Space[list]):
    """Chat messages: a list of ``{"role": system|user|assistant, "content": str}``."""

    def __init__(self, max_messages: int = 1 << 16, seed: int | None = None):
        self.max_messages = int(max_messages)
        self._text = TerminalText(1 << 22)
        super().__init__(shape=None, dtype=None, seed=seed)

    @property
    def is_np_flattenable(self) -> bool:
        return False

    def contains(self, x: Any) -> bool:
        return (
            isinstance(x, list)
            and len(x) <= self.max_messages
            and all(
                isinstance(m, dict)
                and m.get("role") in _ROLES
                and self._text.contains(m.get("content"))
                for m in x
            )
        )

    def sample(self, mask: Any = None, probability: Any = None) -> list:
        self._text.seed(int(self.np_random.integers(1 << 31)))
        return [
            {"role": "system", "content": self._text.sample()},
            {"role": "user", "content": self._text.sample()},
        ]

    def __repr__(self) -> str:
        return f"ChatSpace({self.max_messages})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ChatSpace) and other.max_messages == self.max_messages


def _approx_tokens(text: str) -> int:
    return (len(text) + 3) // 4


class ChatObservation(gym.Wrapper[list, ActType, dict, ActType], RecordConstructorArgs):
    """The episode as chat messages, ready for an LLM, within a budget.

    The observation is ``[system, user, assistant, user, ...]``: the system prompt holds
    the instruction, the first user message the initial terminal state, then each
    action (the assistant's turn, as sent: a command or a whole model reply) and the
    text of what it produced (``observation["text"]`` when present, else the output with
    its status line). Place it outermost: above a reply parser, the assistant turns are
    the model's replies.

    Budget: when the messages exceed ``max_chars`` (or ``max_tokens`` by
    ``count_tokens``), the middle of the oldest turns is elided first (each kept to
    ``elided_chars``, with a marker), the last ``keep_last`` messages untouched; if that
    is not enough, the oldest (assistant, user) pairs are dropped and a note says how
    many; as a last resort the newest messages are elided too. The full history stays
    in :attr:`messages`.

    Args:
        env: the env.
        system_prompt: the system message; ``{instruction}`` is filled in.
        max_chars: character budget for all messages (``None``: unlimited).
        max_tokens: token budget (``None``: unlimited), counted by ``count_tokens``.
        count_tokens: a tokenizer's length function; default about 4 characters a token.
        keep_last: recent messages never elided (while the budget allows).
        elided_chars: characters an elided old message keeps.
    """

    def __init__(
        self,
        env: gym.Env,
        system_prompt: str = DEFAULT_SYSTEM_PROMPT,
        max_chars: int | None = 100_000,
        max_tokens: int | None = None,
        count_tokens: Callable[[str], int] | None = None,
        keep_last: int = 4,
        elided_chars: int = 400,
    ):
        RecordConstructorArgs.__init__(
            self,
            system_prompt=system_prompt,
            max_chars=max_chars,
            max_tokens=max_tokens,
            count_tokens=count_tokens,
            keep_last=keep_last,
            elided_chars=elided_chars,
        )
        gym.Wrapper.__init__(self, env)
        self.system_prompt = system_prompt
        self.max_chars = max_chars
        self.max_tokens = max_tokens
        self.count_tokens = count_tokens or _approx_tokens
        self.keep_last = max(1, int(keep_last))
        self.elided_chars = int(elided_chars)
        self.observation_space = ChatSpace()
        #: the full, unelided conversation so far.
        self.messages: list[dict[str, str]] = []

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None):
        obs, info = self.env.reset(seed=seed, options=options)
        instruction = obs.get("instruction", "") if isinstance(obs, dict) else ""
        self.messages = [
            {"role": "system", "content": self.system_prompt.format(instruction=instruction)},
            {"role": "user", "content": "Current terminal state:\n" + observation_text(obs, info)},
        ]
        view, stats = self.view()
        info["chat"] = stats
        return view, info

    def step(self, action: ActType):
        obs, reward, terminated, truncated, info = self.env.step(action)
        self.messages.append({"role": "assistant", "content": action_text(action)})
        self.messages.append({"role": "user", "content": observation_text(obs, info)})
        view, stats = self.view()
        info["chat"] = stats
        return view, reward, terminated, truncated, info

    # -- budgeting ---------------------------------------------------------------------

    def view(self) -> tuple[list[dict[str, str]], dict[str, Any]]:
        """The budgeted messages and what it cost: ``chars``, ``elided_chars``,
        ``dropped_turns`` (see :func:`fit_messages`)."""
        return fit_messages(
            self.messages,
            max_chars=self.max_chars,
            max_tokens=self.max_tokens,
            count_tokens=self.count_tokens,
            keep_last=self.keep_last,
            elided_chars=self.elided_chars,
        )


def fit_messages(
    messages: Sequence[dict[str, str]],
    *,
    max_chars: int | None = 100_000,
    max_tokens: int | None = None,
    count_tokens: Callable[[str], int] | None = None,
    keep_last: int = 4,
    elided_chars: int = 400,
) -> tuple[list[dict[str, str]], dict[str, Any]]:
    """Chat messages (system first) fitted to a budget, and what it cost.

    The budget rule of :class:`ChatObservation` (which calls this), for any holder of a
    conversation (an LLM agent keeps its own): the middle of the oldest turns is elided
    first, then the oldest (assistant, user) pairs are dropped, the newest messages
    last. ``messages`` is not changed.

    Returns:
        The messages to send, and ``chars``, ``elided_chars``, ``dropped_turns``.

    >>> msgs = [{"role": "system", "content": "s"}, {"role": "user", "content": "x" * 50}]
    >>> fit_messages(msgs, max_chars=None)[1]
    {'chars': 51, 'elided_chars': 0, 'dropped_turns': 0}
    """
    count = count_tokens or _approx_tokens
    keep_last = max(1, int(keep_last))

    def over(msgs: list[dict[str, str]]) -> bool:
        if max_chars is not None and sum(len(m["content"]) for m in msgs) > max_chars:
            return True
        if max_tokens is not None:
            return sum(count(m["content"]) for m in msgs) > max_tokens
        return False

    def excess(msgs: list[dict[str, str]]) -> int:
        """How many characters over the budget (tokens counted as about 4 characters)."""
        chars = 0
        if max_chars is not None:
            chars = sum(len(m["content"]) for m in msgs) - max_chars
        if max_tokens is not None:
            tokens = sum(count(m["content"]) for m in msgs) - max_tokens
            chars = max(chars, 4 * tokens)
        return chars

    msgs = [dict(m) for m in messages]
    full = sum(len(m["content"]) for m in msgs)
    dropped = 0
    if over(msgs):
        protected = max(2, len(msgs) - keep_last)
        for i in range(1, protected):  # oldest first; the system prompt stays whole
            msgs[i]["content"] = elide_middle(msgs[i]["content"], elided_chars)
            if not over(msgs):
                break
        first = msgs[1]["content"]
        while over(msgs) and len(msgs) - 2 > keep_last:
            del msgs[2:4]  # the oldest (assistant, user) pair
            dropped += 1
            note = f"[... {dropped} earlier turn(s) elided to fit the context ...]\n"
            msgs[1]["content"] = note + first
        # Last resort: shrink the largest message (the instruction last of all).
        while over(msgs):
            order = sorted(range(len(msgs)), key=lambda i: (i > 0, len(msgs[i]["content"])))
            i = order[-1]
            content = msgs[i]["content"]
            keep = max(0, len(content) - excess(msgs) - 64)
            shorter = elide_middle(content, keep)
            if len(shorter) >= len(content):
                break
            msgs[i]["content"] = shorter
    chars = sum(len(m["content"]) for m in msgs)
    return msgs, {"chars": chars, "elided_chars": full - chars, "dropped_turns": dropped}
