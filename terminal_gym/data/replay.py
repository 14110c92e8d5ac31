"""Episode replay: a recorded trajectory as an asciinema cast, an HTML page, or live.

* :func:`to_cast` renders a :class:`~terminal_gym.data.Trajectory` as an `asciicast v2
  <https://docs.asciinema.org/manual/asciicast/v2/>`_ recording: the terminal as the
  agent saw it. A banner with the instruction (one per task step of a multi-step
  task), then for each step a prompt (``cwd$``), the command typed (in keys mode the
  keys), its output, and at the end the verifier's reward. Timing follows the recorded
  step times and durations, every pause capped at ``idle_time_limit`` seconds (also
  written in the header), so a long build does not freeze the replay.
* :func:`to_html` writes ONE self-contained page (no network: the vendored
  `asciinema-player <https://github.com/asciinema/asciinema-player>`_, Apache-2.0, is
  inlined from ``terminal_gym/data/assets/``): the task and instruction, the cast in
  the player, a table of the steps (command, output, exit code, duration, the step's
  EGS class and whether an act step was grounded) and the verifier's result.
* :func:`play` plays a cast (or a trajectory) in a terminal stream in real time.
* :func:`parse_cast` reads a cast back into its header and events.

What a keys-mode step shows: its output is the terminal's raw stream (with the prompt
in it), which the player's terminal emulator renders as the agent's screen was; the
keys are echoed only at a shell prompt, since a full-screen program draws them itself.

Example:
    >>> from terminal_gym.data import Step, Trajectory
    >>> t = Trajectory("demo", instruction="Say hi.", reward=1.0,
    ...     steps=[Step("echo hi", {"output": "hi\\n", "exit_code": 0, "cwd": "/app"},
    ...                 t=0.5, duration=0.1)])
    >>> header, events = parse_cast(to_cast(t))
    >>> header["version"], header["title"]
    (2, 'demo')
    >>> "hi\\r\\n" in "".join(e[2] for e in events)
    True
"""

from __future__ import annotations

import datetime
import html
import json
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from typing import Any, TextIO

from terminal_gym.actions import Keys
from terminal_gym.data.schema import SchemaError, Step, Trajectory
from terminal_gym.render import is_submit

__all__ = [
    "CastError",
    "StepView",
    "parse_cast",
    "play",
    "step_views",
    "to_cast",
    "to_html",
]

#: Seconds any pause of the replay is capped at (the cast header's ``idle_time_limit``).
IDLE_TIME_LIMIT = 2.0
#: Seconds typing a command takes in the replay: per character, and at most in all.
TYPING_PER_CHAR = 0.03
TYPING_MAX = 1.2
#: Outputs longer than this (lines or characters) are folded in the HTML page.
FOLD_LINES = 15
FOLD_CHARS = 1500

_RESET = "\x1b[0m"
_BOLD = "\x1b[1m"
_DIM = "\x1b[2m"
_RED = "\x1b[31m"
_GREEN = "\x1b[32m"
_YELLOW = "\x1b[33m"
_CYAN = "\x1b[36m"
_PROMPT = "\x1b[1;34m"


class CastError(SchemaError):
    """Text that is not an asciicast v2 recording."""


# -- what each step was -----------------------------------------------------------------


@dataclass(frozen=True)
class StepView:
    """One recorded step as the replay shows it.

    Attributes:
        index: the step's position, from 1.
        step: the recorded :class:`~terminal_gym.data.Step`.
        commands: the shell commands it ran (empty for ``SUBMIT``).
        cwd: the working directory the agent saw when it acted.
        output: what the step printed (the observation's ``output``).
        exit_code: its exit status (``None`` when not recorded).
        duration: seconds the step took (``None`` when not recorded).
        kinds: the EGS class of each command (``inspect``, ``act``, ``verify``,
            ``unknown``).
        grounded: for a step with an act command, whether every act was grounded (an
            earlier step inspected what it changes); ``None`` when there is no act.
        task_step: the multi-step task's step info (``index``, ``name``, ``count``).
        instruction: the instruction the agent had when it acted.
        submit: the step is ``SUBMIT``.
        keys: the action was keystrokes (:class:`~terminal_gym.Keys`, or keys mode).
    """

    index: int
    step: Step
    commands: tuple[str, ...]
    cwd: str
    output: str
    exit_code: int | None
    duration: float | None
    kinds: tuple[str, ...]
    grounded: bool | None
    task_step: Mapping[str, Any] | None
    instruction: str
    submit: bool
    keys: bool

    @property
    def kind(self) -> str:
        """The step's EGS class (``"submit"`` for SUBMIT; several joined by ``+``)."""
        if self.submit:
            return "submit"
        return "+".join(dict.fromkeys(self.kinds)) or "unknown"


def _obs_field(observation: Any, key: str) -> Any:
    return observation.get(key) if isinstance(observation, Mapping) else None


def _output_of(step: Step) -> str:
    obs = step.observation
    if isinstance(obs, Mapping):
        out = obs.get("output")
        return out if isinstance(out, str) else ""
    return obs if isinstance(obs, str) else ""


def _exit_code_of(step: Step) -> int | None:
    for value in (_obs_field(step.observation, "exit_code"), step.info.get("exit_code")):
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return int(value)
    return None


def _duration_of(step: Step) -> float | None:
    for value in (step.duration, step.info.get("duration")):
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
    return None


def _is_keys(trajectory: Trajectory, step: Step) -> bool:
    if isinstance(step.action, Keys):
        return True
    return trajectory.metadata.get("mode") == "keys" and isinstance(step.action, str)


def _labels(trajectory: Trajectory) -> list[dict[str, Any]]:
    """The EGS label of every command, in order (see :meth:`Trajectory.analyze`)."""
    try:
        analysis = trajectory.analyze()
    except Exception:  # a replay must not fail because one command defeats the parser
        return []
    return [label.to_dict() for label in analysis.steps]


def step_views(trajectory: Trajectory) -> list[StepView]:
    """Each step of ``trajectory`` with what the replay shows of it.

    The EGS labels come from :meth:`Trajectory.analyze` (each command analysed in the
    cwd the agent saw), spread back over the steps that ran the commands.
    """
    labels = _labels(trajectory)
    views: list[StepView] = []
    cwd = trajectory.initial_cwd
    reset_info = trajectory.metadata.get("reset_info")
    task_step = reset_info.get("task_step") if isinstance(reset_info, Mapping) else None
    instruction = trajectory.instruction
    at = 0
    for index, step in enumerate(trajectory.steps, 1):
        commands = tuple(step.commands)
        mine = labels[at : at + len(commands)] if len(labels) >= at + len(commands) else []
        at += len(commands)
        kinds = tuple(str(lab.get("kind") or "unknown") for lab in mine)
        acts = [lab for lab in mine if lab.get("kind") == "act"]
        grounded = all(bool(lab.get("grounded")) for lab in acts) if acts else None
        info_step = step.info.get("task_step")
        if isinstance(info_step, Mapping):
            task_step = info_step
        views.append(
            StepView(
                index=index,
                step=step,
                commands=commands,
                cwd=cwd,
                output=_output_of(step),
                exit_code=_exit_code_of(step),
                duration=_duration_of(step),
                kinds=kinds,
                grounded=grounded,
                task_step=task_step,
                instruction=instruction,
                submit=is_submit(step.action),
                keys=_is_keys(trajectory, step),
            )
        )
        new_cwd = _obs_field(step.observation, "cwd")
        if isinstance(new_cwd, str) and new_cwd:
            cwd = new_cwd
        new_instruction = _obs_field(step.observation, "instruction")
        if isinstance(new_instruction, str) and new_instruction:
            instruction = new_instruction
    return views


def _verifier(trajectory: Trajectory) -> dict[str, Any] | None:
    """The verifier's result: the ``info["verifier"]`` of the last step that has one."""
    for step in reversed(trajectory.steps):
        verifier = step.info.get("verifier")
        if isinstance(verifier, Mapping):
            return dict(verifier)
    return None


def _fmt_reward(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return "unknown"
    return f"{float(value):g}"


def _test_counts(tests: Any) -> tuple[int, int]:
    if not isinstance(tests, Mapping) or not tests:
        return 0, 0
    ok = sum(1 for v in tests.values() if str(v).upper() in ("PASSED", "SKIPPED", "XFAIL"))
    return ok, len(tests)


# -- the cast ---------------------------------------------------------------------------


def _crlf(text: str) -> str:
    """Text with terminal line endings (``\\r\\n``)."""
    return text.replace("\r\n", "\n").replace("\n", "\r\n")


def _visible_keys(text: str) -> str:
    """Keystrokes as a terminal can echo them: Enter as a new line, control keys as
    ``^X``, escape sequences as ``<Esc>``."""
    out = []
    for ch in text:
        if ch in "\r\n":
            out.append("\r\n")
        elif ch == "\x1b":
            out.append(f"{_DIM}<Esc>{_RESET}")
        elif ch == "\t":
            out.append(f"{_DIM}<Tab>{_RESET}")
        elif ch == "\x7f":
            out.append(f"{_DIM}<BS>{_RESET}")
        elif ord(ch) < 32:
            out.append(f"{_DIM}^{chr(ord(ch) + 64)}{_RESET}")
        else:
            out.append(ch)
    return "".join(out)


def _banner(title: str, instruction: str, width: int) -> str:
    rule = "─" * max(10, min(width, 100) - 2)
    lines = [f"{_BOLD}{_CYAN}{rule}{_RESET}", f"{_BOLD}{_CYAN} {title}{_RESET}"]
    lines += [f" {line}" for line in instruction.strip("\n").splitlines()]
    lines.append(f"{_BOLD}{_CYAN}{rule}{_RESET}")
    return "\r\n".join(lines) + "\r\n"


def _started_at(trajectory: Trajectory) -> int | None:
    value = trajectory.metadata.get("started_at")
    if isinstance(value, str):
        try:
            return int(datetime.datetime.fromisoformat(value).timestamp())
        except ValueError:
            return None
    return None


def _auto_width(views: Sequence[StepView], instruction: str) -> int:
    texts = [instruction, *(v.output for v in views), *(c for v in views for c in v.commands)]
    longest = max((len(line) for t in texts for line in t.splitlines()), default=0)
    return max(80, min(160, longest + 8))


class _Timeline:
    """Cast events on a clock whose every pause is capped at ``idle``."""

    def __init__(self, idle: float):
        self.idle = idle
        self.clock = 0.0
        self.events: list[tuple[float, str]] = []

    def wait(self, seconds: float | None) -> None:
        if seconds is not None and seconds > 0:
            self.clock += min(seconds, self.idle)

    def out(self, data: str) -> None:
        if not data:
            return
        if self.events and self.events[-1][0] == round(self.clock, 6):
            self.events[-1] = (self.events[-1][0], self.events[-1][1] + data)
        else:
            self.events.append((round(self.clock, 6), data))

    def type(self, text: str) -> None:
        """Type ``text`` a few characters at a time (at most ~40 events)."""
        if not text:
            return
        chunk = -(-len(text) // 40)
        pieces = [text[i : i + chunk] for i in range(0, len(text), chunk)]
        step = min(len(text) * TYPING_PER_CHAR, TYPING_MAX) / len(pieces)
        for piece in pieces:
            self.out(piece)
            self.clock += step


def _command_text(view: StepView) -> str:
    return "\n".join(view.commands) if view.commands else view.step.text


def to_cast(
    trajectory: Trajectory,
    *,
    width: int | None = None,
    height: int = 32,
    idle_time_limit: float = IDLE_TIME_LIMIT,
) -> str:
    """The episode as an asciicast v2 recording (one JSON header line, then events).

    Args:
        trajectory: the episode.
        width: terminal columns (default: fit the longest line, 80 to 160).
        height: terminal rows.
        idle_time_limit: the longest pause in the replay, in seconds.

    Raises:
        TypeError: ``trajectory`` is not a :class:`~terminal_gym.data.Trajectory`.
        ValueError: a size or the idle limit is not positive.
    """
    if not isinstance(trajectory, Trajectory):
        raise TypeError(f"to_cast needs a Trajectory, not {type(trajectory).__name__}")
    if height <= 0 or (width is not None and width <= 0) or not idle_time_limit > 0:
        raise ValueError("width, height and idle_time_limit must be positive")
    views = step_views(trajectory)
    cols = width or _auto_width(views, trajectory.instruction)
    line = _Timeline(idle_time_limit)
    multi = bool(views and views[0].task_step) or isinstance(
        (trajectory.metadata.get("reset_info") or {}).get("task_step"), Mapping
    )

    def step_banner(view: StepView | None, task_step: Mapping[str, Any] | None) -> str:
        title = f"task {trajectory.task_id or '?'}"
        if task_step is not None:
            count = task_step.get("count")
            number = int(task_step.get("index") or 0) + 1
            title += f" · step {number}/{count}: {task_step.get('name')}"
        instruction = view.instruction if view is not None else trajectory.instruction
        return _banner(title, instruction, cols)

    reset_info = trajectory.metadata.get("reset_info")
    first_task_step = reset_info.get("task_step") if isinstance(reset_info, Mapping) else None
    if first_task_step is None and views:
        first_task_step = views[0].task_step
    line.out(step_banner(views[0] if views else None, first_task_step if multi else None))
    line.wait(0.8)
    shown_task_step = first_task_step.get("index") if isinstance(first_task_step, Mapping) else None
    prev_end = 0.0
    prev_keys = False
    prev_at_prompt = True
    for view in views:
        if multi and view.task_step is not None and view.task_step.get("index") != shown_task_step:
            shown_task_step = view.task_step.get("index")
            line.out("\r\n" + step_banner(view, view.task_step))
            line.wait(0.8)
        duration = view.duration or 0.0
        end = view.step.t or 0.0
        start = max(prev_end, end - duration)
        if not prev_keys:
            line.out(f"{_PROMPT}{view.cwd}{_RESET}$ ")
        line.wait(max(0.3, start - prev_end))
        if view.submit:
            line.out(f"{_DIM}[submit]{_RESET}\r\n")
        elif view.keys:
            if prev_at_prompt:
                line.type(_visible_keys(_command_text(view)))
        else:
            line.type(_crlf(_command_text(view)))
            line.out("\r\n")
        line.wait(max(0.05, duration))
        output = view.output
        if view.keys and not view.submit:
            line.out(output.replace("\r\n", "\n").replace("\n", "\r\n"))
        elif output and not view.submit:
            line.out(_crlf(output) + ("" if output.endswith("\n") else "\r\n"))
        if not view.keys and not view.submit:
            if _obs_field(view.step.observation, "timed_out") or view.step.info.get("timed_out"):
                line.out(f"{_YELLOW}[timed out]{_RESET}\r\n")
            elif view.exit_code not in (None, 0):
                line.out(f"{_DIM}{_RED}[exit {view.exit_code}]{_RESET}\r\n")
        graded = view.step.info.get("step_result")
        if isinstance(graded, Mapping) and multi:
            line.out(
                f"{_DIM}step {graded.get('name')!s} graded: "
                f"reward {_fmt_reward(graded.get('reward'))}{_RESET}\r\n"
            )
        prev_end = max(end, prev_end)
        prev_keys = view.keys and not view.submit
        prev_at_prompt = (view.exit_code is not None and view.exit_code >= 0) or not prev_keys
    line.wait(0.6)
    line.out("\r\n" + _final_line(trajectory))
    line.wait(1.0)
    line.out(" ")  # hold the final frame a moment before the player ends

    header: dict[str, Any] = {
        "version": 2,
        "width": cols,
        "height": height,
        "title": str(trajectory.task_id or "episode"),
        "idle_time_limit": idle_time_limit,
        "env": {"TERM": "xterm-256color", "SHELL": "/bin/bash"},
    }
    started = _started_at(trajectory)
    if started is not None:
        header["timestamp"] = started
    lines = [json.dumps(header, ensure_ascii=False)]
    lines += [json.dumps([t, "o", data], ensure_ascii=False) for t, data in line.events]
    return "\n".join(lines) + "\n"


def _final_line(trajectory: Trajectory) -> str:
    verifier = _verifier(trajectory) or {}
    reward = trajectory.reward if trajectory.reward is not None else verifier.get("reward")
    ok, total = _test_counts(verifier.get("tests"))
    parts = [f"reward {_fmt_reward(reward)}"]
    if total:
        parts.append(f"{ok}/{total} tests passed")
    if verifier.get("error"):
        parts.append(f"error: {verifier['error']}")
    if not trajectory.complete:
        parts.append("episode incomplete")
    elif trajectory.truncated:
        parts.append("truncated")
    good = isinstance(reward, (int, float)) and reward >= 1.0
    colour = _GREEN if good else _RED if isinstance(reward, (int, float)) else _YELLOW
    return f"{_BOLD}{colour}verifier: {', '.join(parts)}{_RESET}\r\n"


def parse_cast(text: str) -> tuple[dict[str, Any], list[tuple[float, str, str]]]:
    """The header and the events of an asciicast v2 recording.

    Raises:
        CastError: not a v2 cast (with the line that is wrong).
    """
    if not isinstance(text, str):
        raise TypeError(f"a cast is text, not {type(text).__name__}")
    lines = [ln for ln in text.splitlines() if ln.strip()]
    if not lines:
        raise CastError("empty cast")
    try:
        header = json.loads(lines[0])
    except json.JSONDecodeError as exc:
        raise CastError(f"cast line 1: not JSON: {exc}") from None
    if not isinstance(header, dict) or header.get("version") != 2:
        raise CastError("cast line 1: not an asciicast v2 header")
    events: list[tuple[float, str, str]] = []
    for n, raw in enumerate(lines[1:], 2):
        try:
            event = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise CastError(f"cast line {n}: not JSON: {exc}") from None
        if (
            not isinstance(event, list)
            or len(event) != 3
            or not isinstance(event[0], (int, float))
            or not isinstance(event[1], str)
            or not isinstance(event[2], str)
        ):
            raise CastError(f"cast line {n}: expected [time, code, data]")
        events.append((float(event[0]), event[1], event[2]))
    return header, events


# -- playing in a terminal --------------------------------------------------------------


def play(
    cast_or_trajectory: str | Trajectory,
    stream: TextIO,
    speed: float = 1.0,
    idle_limit: float | None = None,
    *,
    instant: bool = False,
) -> float:
    """Play a cast (or a trajectory, rendered by :func:`to_cast`) into ``stream``.

    Args:
        cast_or_trajectory: asciicast v2 text or a trajectory.
        stream: where to write (a terminal: ``sys.stdout``).
        speed: playback speed (2.0: twice as fast).
        idle_limit: the longest pause, in seconds (default: the cast's
            ``idle_time_limit``, else :data:`IDLE_TIME_LIMIT`).
        instant: write every event at once, without waiting (tests, pipes).

    Returns:
        The seconds the playback waited in all.

    Raises:
        ValueError: ``speed`` or ``idle_limit`` is not positive.
        CastError: the text is not a v2 cast.
    """
    if not speed > 0:
        raise ValueError(f"speed must be positive, not {speed!r}")
    if idle_limit is not None and not idle_limit > 0:
        raise ValueError(f"idle_limit must be positive, not {idle_limit!r}")
    if isinstance(cast_or_trajectory, Trajectory):
        cast_or_trajectory = to_cast(cast_or_trajectory)
    header, events = parse_cast(cast_or_trajectory)
    limit = idle_limit or header.get("idle_time_limit") or IDLE_TIME_LIMIT
    waited = 0.0
    previous = 0.0
    for at, code, data in events:
        if code != "o":
            continue
        delay = min(max(0.0, at - previous), float(limit)) / speed
        previous = at
        if delay > 0 and not instant:
            stream.flush()
            time.sleep(delay)
            waited += delay
        stream.write(data)
    stream.flush()
    return waited


# -- the HTML page ----------------------------------------------------------------------


def _asset(name: str) -> str:
    return (resources.files("terminal_gym.data") / "assets" / name).read_text(encoding="utf-8")


def _json_for_script(value: Any) -> str:
    """JSON safe inside ``<script>``: no ``<``, ``>`` or ``&`` (so no ``</script>``)."""
    text = json.dumps(value, ensure_ascii=True)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _inline(code: str, tag: str) -> str:
    """Vendored code inlined in a ``<tag>`` element, with no early end tag in it."""
    return code.replace(f"</{tag}", f"<\\/{tag}")


def _e(value: Any) -> str:
    return html.escape(str(value), quote=True)


def _folded(text: str, cls: str) -> str:
    if not text:
        return '<span class="none">—</span>'
    pre = f'<pre class="{cls}">{_e(text)}</pre>'
    lines = text.count("\n") + 1
    if lines > FOLD_LINES or len(text) > FOLD_CHARS:
        return f"<details><summary>{lines} lines, {len(text)} characters</summary>{pre}</details>"
    return pre


def _seconds(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value * 1000:.0f} ms" if value < 1 else f"{value:.2f} s"


_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,sans-serif;margin:0 auto;max-width:1200px;
 padding:1rem 1.5rem;color:#1f2328;background:#fff}
h1{font-size:1.4rem;margin:.2rem 0}h2{font-size:1.1rem;margin:1.4rem 0 .5rem}
pre{white-space:pre-wrap;word-break:break-word;margin:0;font:12px/1.4 ui-monospace,monospace}
.meta{color:#59636e;font-size:.9rem}.meta b{color:#1f2328}
#instruction pre{background:#f6f8fa;border:1px solid #d1d9e0;border-radius:6px;padding:.7rem;
 max-height:13em;overflow:auto;resize:vertical}
table{border-collapse:collapse;width:100%;font-size:.85rem}
th,td{border-bottom:1px solid #d1d9e0;padding:.35rem .45rem;text-align:left;vertical-align:top}
th{background:#f6f8fa}td.num{text-align:right;white-space:nowrap}
.kind{display:inline-block;padding:0 .4rem;border-radius:1rem;font-size:.75rem;color:#fff}
.kind-inspect{background:#0969da}.kind-act{background:#bc4c00}.kind-verify{background:#1a7f37}
.kind-unknown{background:#6e7781}.kind-submit{background:#8250df}
.kind-mixed{background:#6e7781}
.yes{color:#1a7f37;font-weight:600}.no{color:#cf222e;font-weight:600}.none{color:#8c959f}
.bad{color:#cf222e;font-weight:600}tr.task-step td{background:#ddf4ff;font-weight:600}
.reward{font-size:1.2rem;font-weight:700}.reward.ok{color:#1a7f37}.reward.fail{color:#cf222e}
details summary{cursor:pointer;color:#0969da}
#player{max-width:960px}
"""

_INIT = """
(function () {
  var cast = JSON.parse(document.getElementById("replay-cast").textContent);
  var opts = JSON.parse(document.getElementById("replay-options").textContent);
  window.replayPlayer = AsciinemaPlayer.create({data: cast}, document.getElementById("player"),
                                               opts);
})();
"""


def _kind_badge(kind: str) -> str:
    cls = kind if kind in ("inspect", "act", "verify", "unknown", "submit") else "mixed"
    return f'<span class="kind kind-{cls}">{_e(kind)}</span>'


def _grounded_cell(grounded: bool | None) -> str:
    if grounded is None:
        return '<span class="none">—</span>'
    return '<span class="yes">✓ yes</span>' if grounded else '<span class="no">✗ no</span>'


def _steps_table(views: Sequence[StepView]) -> str:
    rows = [
        '<table id="steps-table"><thead><tr><th>#</th><th>t</th><th>EGS</th>'
        "<th>grounded</th><th>command</th><th>exit</th><th>duration</th><th>output</th>"
        "</tr></thead><tbody>"
    ]
    shown = None
    for v in views:
        if v.task_step is not None and v.task_step.get("index") != shown:
            shown = v.task_step.get("index")
            number = int(shown or 0) + 1
            rows.append(
                f'<tr class="task-step"><td colspan="8">task step {number}/'
                f"{_e(v.task_step.get('count'))}: {_e(v.task_step.get('name'))}</td></tr>"
            )
        command = "SUBMIT" if v.submit else _command_text(v)
        if v.keys and not v.submit:
            command = "keys: " + json.dumps(command, ensure_ascii=False)[1:-1]
        code = "—" if v.exit_code is None or v.submit else str(v.exit_code)
        code_cls = "num bad" if v.exit_code not in (None, 0) and not v.submit else "num"
        rows.append(
            f'<tr class="step" id="step-{v.index}"><td class="num">{v.index}</td>'
            f'<td class="num">{v.step.t:.2f} s</td>'
            f"<td>{_kind_badge(v.kind)}</td><td>{_grounded_cell(v.grounded)}</td>"
            f'<td><pre class="step-command">{_e(command)}</pre>'
            f'<div class="meta">cwd {_e(v.cwd)}</div></td>'
            f'<td class="{code_cls}">{_e(code)}</td><td class="num">{_seconds(v.duration)}</td>'
            f"<td>{_folded(v.output if not v.submit else '', 'step-output')}</td></tr>"
        )
    rows.append("</tbody></table>")
    return "".join(rows)


def _verifier_section(trajectory: Trajectory) -> str:
    verifier = _verifier(trajectory)
    reward = trajectory.reward if trajectory.reward is not None else (verifier or {}).get("reward")
    good = isinstance(reward, (int, float)) and reward >= 1.0
    cls = "ok" if good else "fail"
    parts = [f'<p>reward <span id="reward" class="reward {cls}">{_e(_fmt_reward(reward))}</span>']
    if not trajectory.complete:
        parts.append(' <span class="bad">(episode incomplete: no end recorded)</span>')
    parts.append("</p>")
    if verifier is None:
        parts.append('<p class="none">no verifier result recorded</p>')
        return "".join(parts)
    rewards = verifier.get("rewards")
    if isinstance(rewards, Mapping) and set(rewards) - {"reward"}:
        items = ", ".join(f"{_e(k)} = {_e(_fmt_reward(v))}" for k, v in rewards.items())
        parts.append(f"<p>rewards: {items}</p>")
    facts = []
    for key in ("exit_code", "duration", "timed_out", "toolchain", "withheld"):
        if key in verifier:
            value = verifier[key]
            facts.append(f"{key} <b>{_e(_seconds(value) if key == 'duration' else value)}</b>")
    if facts:
        parts.append(f'<p class="meta">{" · ".join(facts)}</p>')
    if verifier.get("error"):
        parts.append(f'<p class="bad">error: {_e(verifier["error"])}</p>')
    steps = verifier.get("steps")
    if isinstance(steps, list) and steps:
        parts.append("<table><thead><tr><th>task step</th><th>reward</th></tr></thead><tbody>")
        for s in steps:
            if isinstance(s, Mapping):
                parts.append(
                    f"<tr><td>{_e(s.get('name'))}</td>"
                    f'<td class="num">{_e(_fmt_reward(s.get("reward")))}</td></tr>'
                )
        parts.append("</tbody></table>")
    tests = verifier.get("tests")
    if isinstance(tests, Mapping) and tests:
        ok, total = _test_counts(tests)
        parts.append(
            f"<p>{ok}/{total} tests passed</p>"
            '<table id="tests"><thead><tr><th>test</th><th>outcome</th></tr></thead><tbody>'
        )
        for name, outcome in tests.items():
            bad = str(outcome).upper() not in ("PASSED", "SKIPPED", "XFAIL")
            parts.append(
                f"<tr><td><code>{_e(name)}</code></td>"
                f'<td class="{"bad" if bad else "yes"}">{_e(outcome)}</td></tr>'
            )
        parts.append("</tbody></table>")
    tail = verifier.get("output_tail")
    if isinstance(tail, str) and tail:
        parts.append(
            f"<details><summary>verifier output (tail)</summary>"
            f'<pre class="verifier-output">{_e(tail)}</pre></details>'
        )
    return "".join(parts)


def to_html(
    trajectory: Trajectory,
    *,
    title: str | None = None,
    autoplay: bool = False,
    speed: float = 1.0,
    cast: str | None = None,
) -> str:
    """One self-contained HTML page replaying ``trajectory`` (no network needed).

    Everything from the trajectory is escaped: HTML text with :func:`html.escape`, the
    cast as JSON with ``<``, ``>`` and ``&`` escaped inside its ``<script>`` element.

    Args:
        trajectory: the episode.
        title: the page title (default: ``replay: <task id>``).
        autoplay: start the player when the page loads.
        speed: the player's playback speed.
        cast: the cast to embed (default: :func:`to_cast` of ``trajectory``).

    Raises:
        TypeError: ``trajectory`` is not a :class:`~terminal_gym.data.Trajectory`.
        ValueError: ``speed`` is not positive.
    """
    if not isinstance(trajectory, Trajectory):
        raise TypeError(f"to_html needs a Trajectory, not {type(trajectory).__name__}")
    if not speed > 0:
        raise ValueError(f"speed must be positive, not {speed!r}")
    cast = cast if cast is not None else to_cast(trajectory)
    header, _ = parse_cast(cast)
    views = step_views(trajectory)
    egs_labels = [v for v in views if not v.submit]
    acts = [v for v in egs_labels if v.grounded is not None]
    grounded = sum(1 for v in acts if v.grounded)
    tor = None
    try:
        tor = trajectory.analyze().tor if trajectory.commands else None
    except Exception:
        tor = None
    task_id = trajectory.task_id or "episode"
    options = {
        "cols": header.get("width"),
        "rows": header.get("height"),
        "autoPlay": autoplay,
        "speed": speed,
        "idleTimeLimit": header.get("idle_time_limit"),
        "fit": "width",
        "terminalFontSize": "small",
        "preload": True,
    }
    meta = [
        f"source <b>{_e(trajectory.source or '—')}</b>",
        f"teacher <b>{_e(trajectory.teacher or '—')}</b>",
        f"steps <b>{len(trajectory.steps)}</b>",
        f"reward <b>{_e(_fmt_reward(trajectory.reward))}</b>",
        f"TOR <b>{'—' if tor is None else f'{tor:.2f}'}</b> ({grounded}/{len(acts)} act steps"
        " grounded)",
    ]
    started = trajectory.metadata.get("started_at")
    if started:
        meta.append(f"started <b>{_e(started)}</b>")
    errors = trajectory.metadata.get("errors")
    error_html = ""
    if isinstance(errors, list) and errors:
        items = "".join(
            f"<li>step {_e(e.get('index'))}: {_e(e.get('error'))}</li>"
            for e in errors
            if isinstance(e, Mapping)
        )
        error_html = f'<h2>Errors</h2><ul class="bad">{items}</ul>'
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{_e(title or f"replay: {task_id}")}</title>
<style>{_inline(_asset("asciinema-player.css"), "style")}</style>
<style>{_CSS}</style>
</head><body>
<header><h1 id="task-id">{_e(task_id)}</h1><p class="meta">{" · ".join(meta)}</p></header>
<section id="instruction"><h2>Instruction</h2><pre>{_e(trajectory.instruction)}</pre></section>
<section><h2>Replay</h2><div id="player"></div></section>
<section id="steps"><h2>Steps</h2>{_steps_table(views)}</section>
{error_html}
<section id="verifier"><h2>Verifier</h2>{_verifier_section(trajectory)}</section>
<p class="meta">Made by terminal-gym · player: asciinema-player (Apache-2.0)</p>
<script type="application/json" id="replay-cast">{_json_for_script(cast)}</script>
<script type="application/json" id="replay-options">{_json_for_script(options)}</script>
<script>{_inline(_asset("asciinema-player.min.js"), "script")}</script>
<script>{_INIT}</script>
</body></html>
"""
