"""An LLM agent for any OpenAI-compatible endpoint (vLLM, SGLang, llama.cpp, hosted APIs).

:class:`LLMAgent` follows the :class:`~terminal_gym.rollout.agents.Agent` protocol: each
``act`` sends the conversation so far to ``POST {base_url}/chat/completions`` through the
official ``openai`` client (the ``llm`` extra) and returns the model's reply as the
action. The reply is parsed by the env, not here: the agent plays an env wrapped by
:func:`llm_env` (output truncated as Terminus-2 shows it, the status line rendered, and
the reply format's parse wrapper), so a malformed reply becomes the next observation (the
parse error, shown to the model) and never an exception.

* Reply formats (:data:`REPLY_FORMATS`): ``"terminus-json"`` (default, the Terminus-2
  harness of the Terminal-Lego study), ``"fenced"`` (```` ```bash ```` blocks) and
  ``"xml"`` (``<command>`` tags); each has its system prompt (:data:`SYSTEM_PROMPTS`).
* Endpoint: ``base_url``, ``api_key`` and ``model`` from the arguments, else
  ``OPENAI_BASE_URL``, ``OPENAI_API_KEY`` (``"EMPTY"`` when unset: local servers need
  none) and ``OPENAI_MODEL``.
* Failures: every call has a ``timeout``; 408/409/429/5xx, timeouts and connection
  errors are retried ``max_retries`` times with the client's exponential backoff
  (``Retry-After`` honoured). A call that still fails raises :class:`LLMEndpointError`,
  which the episode loops turn into an episode ended and flagged (``llm_error``), not
  counted as the agent's failure. A prompt the server rejects as longer than the model's
  context (a 400 saying so) is the agent's own doing: it submits, and the verifier grades
  what it did, so a policy cannot turn failures into discarded episodes.
* For on-policy training, :attr:`LLMAgent.last_turn` holds the call behind the last
  action: the messages sent, the reply and, when the server returns them (vLLM with
  ``logprobs=True`` and ``return_token_ids``), the completion's token ids and
  log-probabilities and the prompt's token ids. The episode loops record it as
  :attr:`terminal_gym.data.Step.llm`.

Example:
    >>> agent = LLMAgent("Qwen/Qwen3-8B", base_url="http://localhost:8000/v1")  # doctest: +SKIP
    >>> env = llm_env(gym.make("TerminalLego-v0"), agent.reply_format)  # doctest: +SKIP
    >>> run_episode(env, agent)  # doctest: +SKIP
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Callable, Mapping
from typing import Any

import gymnasium as gym

from terminal_gym.envs import SUBMIT
from terminal_gym.errors import TerminalGymError
from terminal_gym.render import observation_text, to_jsonable
from terminal_gym.wrappers.action import ParseFencedCode, ParseTerminusJSON, ParseXMLCommands
from terminal_gym.wrappers.observation import ObservationToText, TruncateOutput, fit_messages

__all__ = [
    "REPLY_FORMATS",
    "SYSTEM_PROMPTS",
    "LLMAgent",
    "LLMEndpointError",
    "LLMUnavailableError",
    "llm_env",
    "make_client",
]

#: The parse wrapper of each reply format.
REPLY_FORMATS: dict[str, type[gym.Wrapper]] = {
    "terminus-json": ParseTerminusJSON,
    "fenced": ParseFencedCode,
    "xml": ParseXMLCommands,
}

_TERMINUS = """\
You are an AI assistant tasked with solving command-line tasks in a Linux environment. \
You will be given a task description and the output from previously executed commands. \
Your goal is to solve the task by providing batches of shell commands.

Format your response as JSON with the following structure:

{{
  "analysis": "What you see in the terminal output and what still needs to be done.",
  "plan": "What the next commands do, and why.",
  "commands": [
    {{"keystrokes": "ls -la\\n", "duration": 0.1}},
    {{"keystrokes": "cd project\\n", "duration": 0.1}}
  ],
  "task_complete": false
}}

Each command's "keystrokes" are typed into the terminal exactly as given (end a command \
with \\n to run it; tmux key names such as C-c are keys). "duration" is how many seconds \
to wait for it (default 1, at most 60): short for quick commands, longer for builds and \
downloads. An empty "commands" list waits for output. When the task is done, set \
"task_complete": true (you will be asked to confirm once).

Task:
{instruction}
"""

_FENCED = """\
You are an AI assistant solving a command-line task in a Linux terminal. Reply with the \
shell commands to run next, each in its own ```bash code block; you will see their output, \
exit code and working directory. Inspect before you change things and check your work. \
When the task is done, reply TASK_COMPLETE (outside any code block).

Task:
{instruction}
"""

_XML = """\
You are an AI assistant solving a command-line task in a Linux terminal. Reply with the \
shell commands to run next, each as <command>...</command> (add timeout="SECONDS" for \
long ones; <keys wait="1">...</keys> types raw keystrokes); you will see their output, \
exit code and working directory. Inspect before you change things and check your work. \
When the task is done, reply <submit/>.

Task:
{instruction}
"""

#: The system prompt of each reply format; ``{instruction}`` is filled in.
SYSTEM_PROMPTS: dict[str, str] = {"terminus-json": _TERMINUS, "fenced": _FENCED, "xml": _XML}

#: A 400 saying the prompt is too long for the model (vLLM, SGLang, OpenAI wordings).
_CONTEXT_OVERFLOW = re.compile(r"context|too long|maximum.*(length|tokens)|max_tokens", re.I)

#: The first user message: the terminal as the episode starts.
INITIAL_STATE = "Current terminal state:\n{state}"


class LLMUnavailableError(TerminalGymError, ImportError):
    """The ``openai`` client is not installed (``pip install 'terminal-gym[llm]'``)."""


class LLMEndpointError(TerminalGymError, ConnectionError):
    """The endpoint kept failing (after retries) or answered something unusable.

    Attributes:
        status: the last HTTP status, when there was one.
    """

    def __init__(self, message: str, status: int | None = None):
        self.status = status
        super().__init__(message)

    def __reduce__(self) -> tuple[type, tuple[str, int | None]]:
        return type(self), (str(self), self.status)


def _openai() -> Any:
    try:
        import openai
    except ImportError as exc:
        raise LLMUnavailableError(
            "the LLM agent needs the openai client: pip install 'terminal-gym[llm]'"
        ) from exc
    return openai


def make_client(
    base_url: str | None = None,
    api_key: str | None = None,
    *,
    timeout: float = 120.0,
    max_retries: int = 4,
) -> Any:
    """An ``openai.OpenAI`` client for an OpenAI-compatible endpoint (thread-safe; share it).

    Args:
        base_url: the API base, e.g. ``http://localhost:8000/v1``; default
            ``OPENAI_BASE_URL``.
        api_key: the bearer token; default ``OPENAI_API_KEY``, else ``"EMPTY"``.
        timeout: seconds per HTTP request.
        max_retries: retries after the first attempt (429, 5xx, timeouts, connection
            errors), with exponential backoff.

    Raises:
        LLMUnavailableError: the ``llm`` extra is not installed.
        ValueError: no URL, or one that is not ``http(s)://``.
    """
    openai = _openai()
    url = base_url or os.environ.get("OPENAI_BASE_URL")
    if not url:
        raise ValueError("no LLM endpoint: pass base_url (--llm-url) or set OPENAI_BASE_URL")
    if not url.startswith(("http://", "https://")):
        raise ValueError(f"the LLM url must start with http:// or https://, got {url!r}")
    if timeout <= 0 or max_retries < 0:
        raise ValueError("timeout must be positive and max_retries at least 0")
    key = api_key or os.environ.get("OPENAI_API_KEY") or "EMPTY"
    return openai.OpenAI(base_url=url, api_key=key, timeout=timeout, max_retries=max_retries)


def llm_env(env: gym.Env, reply_format: str = "terminus-json", max_output_bytes: int = 10_000):
    """``env`` as an LLM agent plays it: output cut to ``max_output_bytes`` (head and
    tail), the status line rendered into ``obs["text"]``, and replies parsed by the
    format's wrapper (:data:`REPLY_FORMATS`)."""
    try:
        parser = REPLY_FORMATS[reply_format]
    except KeyError:
        raise ValueError(
            f"unknown reply format {reply_format!r}; choose from {sorted(REPLY_FORMATS)}"
        ) from None
    return parser(ObservationToText(TruncateOutput(env, max_bytes=max_output_bytes)))


def _extra(obj: Any, name: str) -> Any:
    """A field the OpenAI models do not declare (vLLM's ``prompt_token_ids`` ...)."""
    value = getattr(obj, name, None)
    if value is None:
        value = (getattr(obj, "model_extra", None) or {}).get(name)
    return value


def _token_id(token: str) -> int | None:
    """vLLM's ``return_tokens_as_token_ids`` spells tokens ``token_id:123``."""
    if token.startswith("token_id:"):
        try:
            return int(token.split(":", 1)[1])
        except ValueError:
            return None
    return None


def completion_record(response: Any) -> dict[str, Any]:
    """What a trainer needs from one chat completion: the reply, finish reason, usage
    and, when present, the reasoning text, completion token ids, their log-probabilities
    and prompt token ids.

    Token ids come from vLLM's ``choices[0].token_ids`` (``return_token_ids``), else from
    the logprob tokens when they are spelt ``token_id:<id>``.
    """
    choice = response.choices[0]
    record: dict[str, Any] = {
        "reply": choice.message.content or "",
        "model": getattr(response, "model", None),
        "finish_reason": choice.finish_reason,
    }
    reasoning = _extra(choice.message, "reasoning_content") or _extra(choice.message, "reasoning")
    if reasoning:
        record["reasoning"] = str(reasoning)  # reasoning models: not sent back next turn
    usage = getattr(response, "usage", None)
    if usage is not None:
        record["usage"] = {
            "prompt_tokens": getattr(usage, "prompt_tokens", None),
            "completion_tokens": getattr(usage, "completion_tokens", None),
        }
    content = getattr(getattr(choice, "logprobs", None), "content", None)
    if content:
        record["logprobs"] = [float(item.logprob) for item in content]
        record["tokens"] = [item.token for item in content]
    token_ids = _extra(choice, "token_ids")
    if token_ids is None and content:
        ids = [_token_id(item.token) for item in content]
        token_ids = ids if all(i is not None for i in ids) else None
    if token_ids is not None:
        record["completion_token_ids"] = [int(i) for i in token_ids]
    prompt_ids = _extra(response, "prompt_token_ids")
    if prompt_ids is not None:
        record["prompt_token_ids"] = [int(i) for i in prompt_ids]
    return record


class LLMAgent:
    """Plays an episode by chatting with a model behind an OpenAI-compatible endpoint.

    Args:
        model: the model name (default ``OPENAI_MODEL``).
        base_url, api_key, timeout, max_retries: the endpoint (see :func:`make_client`);
            ignored when ``client`` is given.
        client: an ``openai.OpenAI`` client to share between agents.
        reply_format: ``"terminus-json"``, ``"fenced"`` or ``"xml"``; the env must parse
            it (:func:`llm_env`).
        system_prompt: instead of the format's own; ``{instruction}`` is filled in.
        temperature, top_p, max_tokens: sampling (``None``: the server's default).
        logprobs: ask for the completion's log-probabilities.
        token_ids: ask vLLM for token ids (``return_token_ids`` and
            ``return_tokens_as_token_ids``); turn off for servers that refuse unknown
            parameters (hosted APIs).
        extra_body: more request fields (``top_k``, ``chat_template_kwargs`` ...).
        max_chars, max_tokens_context: the conversation's budget (see
            :func:`~terminal_gym.wrappers.observation.fit_messages`).
        max_turns: model calls per episode; then the agent submits (a reply the env
            cannot parse takes no env step, so the env's ``max_steps`` alone would not
            end an episode of malformed replies).

    Raises:
        LLMUnavailableError: the ``llm`` extra is missing.
        ValueError: no model, an unknown reply format, a bad URL.
    """

    name = "llm"
    #: ``begin`` needs only the first observation, not the env object (an agent that
    #: works on the env itself, like the oracle, sets this True).
    uses_env = False

    def __init__(
        self,
        model: str | None = None,
        *,
        base_url: str | None = None,
        api_key: str | None = None,
        timeout: float = 120.0,
        max_retries: int = 4,
        client: Any = None,
        reply_format: str = "terminus-json",
        system_prompt: str | None = None,
        temperature: float | None = 1.0,
        top_p: float | None = None,
        max_tokens: int | None = None,
        logprobs: bool = True,
        token_ids: bool = True,
        extra_body: Mapping[str, Any] | None = None,
        max_chars: int | None = 200_000,
        max_tokens_context: int | None = None,
        count_tokens: Callable[[str], int] | None = None,
        max_turns: int | None = 100,
    ):
        self.model = model or os.environ.get("OPENAI_MODEL")
        if not self.model:
            raise ValueError("no model: pass model (--model) or set OPENAI_MODEL")
        if reply_format not in REPLY_FORMATS:
            raise ValueError(
                f"unknown reply format {reply_format!r}; choose from {sorted(REPLY_FORMATS)}"
            )
        self.client = (
            client
            if client is not None
            else make_client(base_url, api_key, timeout=timeout, max_retries=max_retries)
        )
        self.reply_format = reply_format
        self.system_prompt = system_prompt or SYSTEM_PROMPTS[reply_format]
        self.sampling = {
            k: v
            for k, v in (("temperature", temperature), ("top_p", top_p), ("max_tokens", max_tokens))
            if v is not None
        }
        self.logprobs = logprobs
        self.extra_body = dict(extra_body or {})
        if token_ids:
            self.extra_body.setdefault("return_token_ids", True)
            if logprobs:
                self.extra_body.setdefault("return_tokens_as_token_ids", True)
        self.max_turns = max_turns
        self.budget: dict[str, Any] = {
            "max_chars": max_chars,
            "max_tokens": max_tokens_context,
            "count_tokens": count_tokens,
        }
        #: the whole conversation of the episode (unbudgeted).
        self.messages: list[dict[str, str]] = []
        #: the model call behind the last action (see the module docstring).
        self.last_turn: dict[str, Any] | None = None
        self.turns = 0
        self._fresh = True

    def __repr__(self) -> str:
        return f"LLMAgent({self.model!r}, {str(self.client.base_url)!r}, {self.reply_format!r})"

    def spawn(self) -> LLMAgent:
        """A new agent with the same settings and the same client (one per concurrent
        episode: an agent holds its episode's conversation)."""
        twin = object.__new__(type(self))
        twin.__dict__.update(self.__dict__)
        twin.messages, twin.last_turn, twin.turns, twin._fresh = [], None, 0, True
        return twin

    # -- the Agent protocol ------------------------------------------------------------

    def begin(self, env: gym.Env | None, observation: Any, info: dict[str, Any]) -> None:
        instruction = observation.get("instruction", "") if isinstance(observation, dict) else ""
        state = INITIAL_STATE.format(state=observation_text(observation, info))
        self.messages = [
            {"role": "system", "content": self.system_prompt.format(instruction=instruction)},
            {"role": "user", "content": state},
        ]
        self.last_turn = None
        self.turns = 0
        self._fresh = True

    def act(self, observation: Any, info: dict[str, Any]) -> str:
        """The model's reply to the latest observation (``SUBMIT`` after ``max_turns``
        replies, or when the server rejects the prompt as over the model's context).

        Raises:
            LLMEndpointError: the endpoint failed after its retries.
        """
        if not self._fresh:
            self.messages.append({"role": "user", "content": observation_text(observation, info)})
        self._fresh = False
        if self.max_turns is not None and self.turns >= self.max_turns:
            self.last_turn = None
            return SUBMIT
        self.turns += 1
        prompt, budget = fit_messages(self.messages, **self.budget)
        turn: dict[str, Any] = {"prompt": prompt}
        if budget["elided_chars"]:
            turn["budget"] = budget
        started = time.monotonic()
        try:
            response = self._complete(prompt)
        except LLMEndpointError as exc:
            turn.update(error=str(exc), latency=time.monotonic() - started)
            self.last_turn = turn
            if exc.status == 400 and _CONTEXT_OVERFLOW.search(str(exc)):
                return SUBMIT  # the conversation outgrew the model: the agent's own doing
            raise
        turn.update(completion_record(response), latency=time.monotonic() - started)
        self.last_turn = to_jsonable(turn)
        self.messages.append({"role": "assistant", "content": turn["reply"]})
        return turn["reply"]

    # -- internals ---------------------------------------------------------------------

    def _complete(self, messages: list[dict[str, str]]) -> Any:
        openai = _openai()
        kwargs: dict[str, Any] = {"model": self.model, "messages": messages, **self.sampling}
        if self.logprobs:
            kwargs["logprobs"] = True
        if self.extra_body:
            kwargs["extra_body"] = self.extra_body
        try:
            response = self.client.chat.completions.create(**kwargs)
        except openai.APIStatusError as exc:
            raise LLMEndpointError(
                f"the endpoint answered HTTP {exc.status_code}: {_short(exc.message)}",
                exc.status_code,
            ) from None
        except openai.APITimeoutError:
            raise LLMEndpointError(
                f"the endpoint did not answer within {self.client.timeout}s "
                f"({self.client.max_retries} retries)"
            ) from None
        except openai.APIError as exc:  # connection errors, undecodable replies
            raise LLMEndpointError(f"{type(exc).__name__}: {_short(str(exc))}") from None
        if not getattr(response, "choices", None):
            raise LLMEndpointError("the endpoint answered without choices")
        return response


def _short(text: str, limit: int = 300) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[:limit] + "..."
