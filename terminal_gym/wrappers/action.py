"""Action wrappers: one model reply in, one or more env steps out.

Parsers for the formats LLM agents answer in, each a pure function returning a
:class:`ParsedReply`, and a wrapper around each:

* :func:`parse_terminus_json` / :class:`ParseTerminusJSON`: the Terminus-2 harness,
  ``{"analysis", "plan", "commands": [{"keystrokes", "duration"}], "task_complete"}``;
  keystrokes are sent raw (``Keys``), each waiting ``duration`` seconds (default 1,
  capped at 60); ``task_complete`` must be given twice in a row before the episode is
  submitted.
* :func:`parse_fenced_code` / :class:`ParseFencedCode`: Markdown code blocks
  (```` ```bash ````), one command per block; ``TASK_COMPLETE`` outside the blocks submits.
* :func:`parse_xml_commands` / :class:`ParseXMLCommands`: ``<command timeout="10">``,
  ``<keys wait="1">`` and ``<submit/>`` tags.

``wrapper.step(reply)`` runs the reply's commands one by one through the inner env and
returns one combined observation: ``output`` (and ``text``, when an inner
``ObservationToText`` made one) holds each command after a ``$`` prompt and what it
printed; the rest is the last step's. The reward is the sum of the inner rewards.
``info`` is the last inner step's plus ``commands``, ``cwds`` (after each command),
``sub_steps`` (each inner ``info``), ``parse_error``, ``parse_errors`` (the episode's
count) and ``task_complete_pending``.

An unparseable reply is not an exception: it returns the error as the observation
(what Terminus-2 shows the model), reward 0, the episode going on, no inner step taken.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import gymnasium as gym
from gymnasium.utils import RecordConstructorArgs

from terminal_gym.actions import SUBMIT, Action, Command, Keys, command_text
from terminal_gym.envs.spaces import TerminalText
from terminal_gym.replies import (
    DEFAULT_DURATION,
    DEFAULT_SUBMIT_PATTERN,
    MAX_DURATION,
    SHELL_LANGUAGES,
    ParsedReply,
    parse_fenced_code,
    parse_terminus_json,
    parse_xml_commands,
    tmux_keys,
)

__all__ = [
    "MAX_DURATION",
    "ParseFencedCode",
    "ParseReplyAction",
    "ParseTerminusJSON",
    "ParseXMLCommands",
    "ParsedReply",
    "ReplySpace",
    "parse_fenced_code",
    "parse_terminus_json",
    "parse_xml_commands",
    "tmux_keys",
]

# -- the wrappers ------------------------------------------------------------------------


class ReplySpace(TerminalText):
    """Model replies (any string); :meth:`sample` draws a valid reply running ``echo``."""

    def __init__(self, template: str, max_length: int = 1 << 20, seed: int | None = None):
        self.template = template
        super().__init__(max_length, seed=seed)

    def sample(self, mask: Any = None, probability: Any = None) -> str:
        word = "".join(self.np_random.choice(list("abcdefghij"), size=6))
        return self.template.replace("WORD", word)

    def __repr__(self) -> str:
        return f"ReplySpace({self.template!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ReplySpace) and other.template == self.template


def _shown(action: Action) -> str:
    """How an action appears after the ``$`` prompt in the combined output."""
    text = action.text if isinstance(action, (Command, Keys)) else action
    text = text.rstrip("\r\n")
    return "".join(c if c >= " " or c in "\t\n" else f"^{chr(ord(c) + 64)}" for c in text)


class ParseReplyAction(gym.Wrapper, RecordConstructorArgs):
    """Base class: parse a model reply and run its commands through the inner env.

    Subclasses set :attr:`format_name`, :attr:`sample_reply`, :attr:`resubmit_hint` and
    implement :meth:`parse`. Non-reply actions (``Command``, ``Keys``, ``SUBMIT``) pass
    straight through, so scripted code can drive the same wrapped env.

    Args:
        env: the env.
        confirm_submit: ``task_complete`` must come in two replies in a row (the first
            only asks for confirmation).
        echo_commands: show each command after a ``$`` prompt in the combined output
            (skipped in keys mode, where the terminal echoes what is typed).
        idle_wait: seconds to wait for output when a reply has no commands (Terminus-2
            replies with an empty list to wait); the wait is one inner step.
    """

    format_name = "reply"
    sample_reply = "WORD"
    resubmit_hint = "declare the task complete again"

    def __init__(
        self,
        env: gym.Env,
        confirm_submit: bool = False,
        echo_commands: bool = True,
        idle_wait: float = DEFAULT_DURATION,
        **kwargs: Any,
    ):
        RecordConstructorArgs.__init__(
            self,
            confirm_submit=confirm_submit,
            echo_commands=echo_commands,
            idle_wait=idle_wait,
            **kwargs,
        )
        gym.Wrapper.__init__(self, env)
        self.confirm_submit = confirm_submit
        self.echo_commands = echo_commands
        self.idle_wait = idle_wait
        self.action_space = ReplySpace(self.sample_reply)
        self._pending = False
        self._errors = 0
        self._last_obs: Any = None
        self._last_info: dict[str, Any] = {}

    def parse(self, reply: str) -> ParsedReply:
        raise NotImplementedError

    # -- Gymnasium API -----------------------------------------------------------------

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None):
        obs, info = self.env.reset(seed=seed, options=options)
        self._pending = False
        self._errors = 0
        self._last_obs, self._last_info = obs, info
        return obs, info

    def step(self, action: Any):
        if isinstance(action, (Command, Keys)) or action == SUBMIT:
            return self._run([action] if action != SUBMIT else [], submit=action == SUBMIT)
        if not isinstance(action, str):
            raise TypeError(f"a reply is a str, not {type(action).__name__}")
        parsed = self.parse(action)
        if parsed.error is not None:
            return self._parse_error(parsed)
        submit = parsed.task_complete and (not self.confirm_submit or self._pending)
        confirm = parsed.task_complete and not submit
        self._pending = confirm
        actions = list(parsed.actions)
        if not actions and not parsed.task_complete:
            actions = [Keys("", wait=self.idle_wait)]
        return self._run(actions, submit=submit, confirm=confirm, parsed=parsed)

    # -- internals ---------------------------------------------------------------------

    def _run(
        self,
        actions: list[Action],
        *,
        submit: bool,
        confirm: bool = False,
        parsed: ParsedReply | None = None,
    ):
        keys_mode = getattr(self.env.unwrapped, "mode", "command") == "keys"
        pieces: dict[str, list[str]] = {"output": [], "text": []}
        commands: list[str] = []
        cwds: list[str] = []
        sub_steps: list[dict[str, Any]] = []
        reward = 0.0
        terminated = truncated = False
        obs, info = self._last_obs, dict(self._last_info)
        for action in [*actions, *([SUBMIT] if submit else [])]:
            obs, r, terminated, truncated, info = self.env.step(action)
            reward += float(r)
            sub_steps.append(info)
            if action != SUBMIT:
                command = command_text(action)
                if command is not None:
                    commands.append(command)
                    cwds.append(obs.get("cwd", "") if isinstance(obs, dict) else "")
                prompt = f"$ {_shown(action)}\n" if self.echo_commands and not keys_mode else ""
                for key in pieces:
                    if isinstance(obs, dict) and isinstance(obs.get(key), str):
                        pieces[key].append(prompt + obs[key])
            if terminated or truncated:
                break
        out = dict(obs) if isinstance(obs, dict) else obs
        if isinstance(out, dict):
            for key, parts in pieces.items():
                if key in out:
                    out[key] = _join(parts) if parts else ""
            if confirm and not (terminated or truncated):
                note = self._confirmation()
                for key in ("output", "text"):
                    if isinstance(out.get(key), str):
                        out[key] = f"{out[key].rstrip()}\n\n{note}\n".lstrip()
        info = dict(info)
        info.update(
            commands=commands,
            cwds=cwds,
            sub_steps=sub_steps,
            parse_error=None,
            parse_errors=self._errors,
            parse_warnings=list(parsed.warnings) if parsed else [],
            task_complete_pending=self._pending and not (terminated or truncated),
        )
        self._last_obs, self._last_info = out, info
        return out, reward, terminated, truncated, info

    def _confirmation(self) -> str:
        return (
            "Are you sure you want to mark the task as complete? This will trigger your "
            "solution to be graded and you won't be able to make any further changes. "
            f"If so, {self.resubmit_hint}."
        )

    def _parse_error(self, parsed: ParsedReply):
        self._errors += 1
        self._pending = False
        message = (
            f"Previous response had parsing errors:\nERROR: {parsed.error}\n"
            + "".join(f"WARNING: {w}\n" for w in parsed.warnings)
            + f"\nPlease fix these issues and provide a proper {self.format_name} response."
        )
        obs = self._last_obs
        if isinstance(obs, dict):
            obs = dict(obs)
            for key in ("output", "text", "files"):
                if key in obs:
                    obs[key] = message if key != "files" else ""
            if "exit_code" in obs:
                obs["exit_code"] = -1
            if "timed_out" in obs:
                obs["timed_out"] = 0
        keep = ("task_id", "step")
        info = {k: v for k, v in self._last_info.items() if k in keep}
        info.update(
            env_error=False,
            commands=[],
            cwds=[],
            sub_steps=[],
            parse_error=parsed.error,
            parse_errors=self._errors,
            parse_warnings=list(parsed.warnings),
            task_complete_pending=False,
        )
        return obs, 0.0, False, False, info


def _join(parts: list[str]) -> str:
    return "".join(p if p.endswith("\n") or not p else p + "\n" for p in parts[:-1]) + parts[-1]


class ParseTerminusJSON(ParseReplyAction):
    """Replies in the Terminus-2 JSON format (the Terminal-Lego study's harness).

    Keystrokes go to the terminal raw (:class:`~terminal_gym.Keys`, ``wait=duration``,
    default 1 s, capped at 60 s; tmux key names such as ``C-c`` are translated);
    ``task_complete: true`` must come twice in a row before ``SUBMIT``.

    Example:
        >>> env = ParseTerminusJSON(gym.make("TerminalLego-v0"))  # doctest: +SKIP
        >>> env.step('{"analysis": "", "plan": "", '
        ...          '"commands": [{"keystrokes": "ls\\\\n", "duration": 0.1}]}')  # doctest: +SKIP
    """

    format_name = "JSON"
    sample_reply = (
        '{"analysis": "", "plan": "", "commands": [{"keystrokes": "echo WORD\\n", '
        '"duration": 0.1}], "task_complete": false}'
    )
    resubmit_hint = 'include "task_complete": true in your JSON response again'

    def __init__(
        self,
        env: gym.Env,
        confirm_submit: bool = True,
        echo_commands: bool = True,
        idle_wait: float = DEFAULT_DURATION,
    ):
        super().__init__(
            env, confirm_submit=confirm_submit, echo_commands=echo_commands, idle_wait=idle_wait
        )

    def parse(self, reply: str) -> ParsedReply:
        return parse_terminus_json(reply)


class ParseFencedCode(ParseReplyAction):
    """Replies with Markdown code blocks: each ```` ```bash ```` block runs as one command.

    Args:
        env: the env.
        languages: the info strings taken as shell (``""``: a bare fence).
        submit_pattern: a regex that, outside the blocks, declares the task complete.
        timeout: each command's timeout (``None``: the env's step timeout).
        confirm_submit, echo_commands, idle_wait: see :class:`ParseReplyAction`.
    """

    format_name = "code block"
    sample_reply = "Let me check.\n```bash\necho WORD\n```"
    resubmit_hint = "say TASK_COMPLETE again"

    def __init__(
        self,
        env: gym.Env,
        languages: Sequence[str] = SHELL_LANGUAGES,
        submit_pattern: str = DEFAULT_SUBMIT_PATTERN,
        timeout: float | None = None,
        confirm_submit: bool = False,
        echo_commands: bool = True,
        idle_wait: float = DEFAULT_DURATION,
    ):
        super().__init__(
            env,
            confirm_submit=confirm_submit,
            echo_commands=echo_commands,
            idle_wait=idle_wait,
            languages=tuple(languages),
            submit_pattern=submit_pattern,
            timeout=timeout,
        )
        self.languages = tuple(languages)
        self.submit_pattern = submit_pattern
        self.timeout = timeout

    def parse(self, reply: str) -> ParsedReply:
        return parse_fenced_code(
            reply,
            languages=self.languages,
            submit_pattern=self.submit_pattern,
            timeout=self.timeout,
        )


class ParseXMLCommands(ParseReplyAction):
    """Replies with ``<command>``, ``<keys>`` and ``<submit/>`` tags (see
    :func:`parse_xml_commands`)."""

    format_name = "XML"
    sample_reply = "<command>echo WORD</command>"
    resubmit_hint = "reply <submit/> again"

    def __init__(
        self,
        env: gym.Env,
        confirm_submit: bool = False,
        echo_commands: bool = True,
        idle_wait: float = DEFAULT_DURATION,
    ):
        super().__init__(
            env, confirm_submit=confirm_submit, echo_commands=echo_commands, idle_wait=idle_wait
        )

    def parse(self, reply: str) -> ParsedReply:
        return parse_xml_commands(reply)


#: Parsers by name, for configuration files and the CLI.
PARSERS: dict[str, Callable[[str], ParsedReply]] = {
    "terminus-json": parse_terminus_json,
    "fenced": parse_fenced_code,
    "xml": parse_xml_commands,
}
