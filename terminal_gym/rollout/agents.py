"""Scripted agents and the episode loop they run in.

* :class:`OracleAgent` plays the task's own solution: it uploads ``solution/`` to
  ``/solution`` and runs ``bash /solution/solve.sh`` through the env, then submits.
  A Terminal-Bench 1 ``solution.yaml`` is replayed as the harness replays it: each
  step's ``command`` is tmux keystrokes (key names such as ``C-x`` or ``Escape`` are
  keys, anything else is typed), ``append_enter`` presses Enter, ``block`` waits for
  the command to finish (up to ``max_timeout_sec``) and ``min_timeout_sec`` is the
  least time to wait before the next step. See :func:`solution_step_actions`.
  Of a multi-step task it plays each step's solution in turn, submitting after each:
  every step's ``solution/`` is staged in the sandbox at ``begin`` (so its ``act`` needs
  no env, as under Ray) and moved to ``/solution`` when its step begins.
* :class:`NullAgent` submits at once: the "do-nothing" baseline every
  environment-verified task must score 0 on.
* ``"llm"``: :class:`~terminal_gym.rollout.llm.LLMAgent`, a model behind any
  OpenAI-compatible endpoint (``make_agent("llm", model=..., base_url=...)``).

Agents see the env through :meth:`Agent.begin` (once per episode) and
:meth:`Agent.act` (once per step). :func:`run_episode` plays one episode and, given an
:class:`EpisodeRecorder`, records it as a :class:`~terminal_gym.data.Trajectory`.
"""

from __future__ import annotations

import re
import shlex
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any, Protocol

import gymnasium as gym

from terminal_gym.data.schema import Step, Trajectory
from terminal_gym.envs import SUBMIT, Command, Keys, TerminalLegoEnv
from terminal_gym.errors import TerminalGymError
from terminal_gym.render import to_jsonable
from terminal_gym.rollout.llm import LLMAgent, LLMEndpointError
from terminal_gym.tasks import Task

#: Seconds the oracle's script may run when the task gives the agent no budget.
ORACLE_TIMEOUT = 600.0
#: Where the oracle of a multi-step task stages each step's solution until its step.
ORACLE_STAGE = "/tmp/.terminal-gym-oracle"
#: Terminal-Bench 1's ``TerminalCommand.max_timeout_sec`` default for a blocking step.
TB1_STEP_TIMEOUT = 180.0

#: tmux key names (``tmux send-keys`` without ``-l``) and the bytes they send.
TMUX_KEYS: Mapping[str, str] = {
    "Enter": "\r",
    "KPEnter": "\r",
    "Escape": "\x1b",
    "Tab": "\t",
    "BTab": "\x1b[Z",
    "BSpace": "\x7f",
    "Space": " ",
    "C-Space": "\x00",
    "Up": "\x1b[A",
    "Down": "\x1b[B",
    "Right": "\x1b[C",
    "Left": "\x1b[D",
    "Home": "\x1b[1~",
    "End": "\x1b[4~",
    "IC": "\x1b[2~",
    "Insert": "\x1b[2~",
    "DC": "\x1b[3~",
    "Delete": "\x1b[3~",
    "PPage": "\x1b[5~",
    "PageUp": "\x1b[5~",
    "PgUp": "\x1b[5~",
    "NPage": "\x1b[6~",
    "PageDown": "\x1b[6~",
    "PgDn": "\x1b[6~",
    **{f"F{i}": f"\x1bO{c}" for i, c in enumerate("PQRS", start=1)},
    **{f"F{i}": f"\x1b[{n}~" for i, n in enumerate((15, 17, 18, 19, 20, 21, 23, 24), start=5)},
}
_CTRL_KEY = re.compile(r"^(?:C-|\^)(.)$")
_META_KEY = re.compile(r"^M-(.+)$")
_EXECUTES = ("Enter", "KPEnter", "C-m", "C-j", "^M", "^J")


def tmux_key(key: str) -> str:
    """The bytes ``tmux send-keys KEY`` types: a key name's sequence, else ``key`` itself.

    >>> tmux_key("C-x"), tmux_key("Escape"), tmux_key("M-b"), tmux_key("ls -la")
    ('\\x18', '\\x1b', '\\x1bb', 'ls -la')
    """
    if key in TMUX_KEYS:
        return TMUX_KEYS[key]
    if m := _CTRL_KEY.match(key):
        char = m[1]
        if char == "?":
            return "\x7f"
        if char in "@ ":
            return "\x00"
        code = ord(char.upper()) ^ 0x40
        if code < 0x20:
            return chr(code)
    if (m := _META_KEY.match(key)) and (m[1] in TMUX_KEYS or len(m[1]) == 1):
        return "\x1b" + tmux_key(m[1])
    return key


def solution_step_actions(
    steps: Sequence[Mapping[str, Any]], budget: float | None = None
) -> list[Command | Keys]:
    """Env actions that replay Terminal-Bench 1 ``solution.yaml`` steps.

    A step that ends by executing a command and has ``block: true`` becomes a
    :class:`Command` run to completion (timeout ``max_timeout_sec``, default 180 s,
    capped by ``budget``); every other step becomes :class:`Keys`: the keystrokes,
    then Enter when ``append_enter`` (default true, as in the harness), waiting at
    least ``min_timeout_sec``.
    """
    actions: list[Command | Keys] = []
    for step in steps:
        command = str(step.get("command", ""))
        append_enter = bool(step.get("append_enter", True))
        min_wait = float(step.get("min_timeout_sec") or 0.0)
        executes = append_enter or command.endswith(("\n", "\r")) or command in _EXECUTES
        if step.get("block") and executes and command not in _EXECUTES:
            timeout = float(step.get("max_timeout_sec") or TB1_STEP_TIMEOUT)
            if budget is not None:
                timeout = min(timeout, budget)
            actions.append(Command(command.rstrip("\r\n"), timeout=timeout))
            continue
        keys = tmux_key(command) + ("\r" if append_enter else "")
        actions.append(Keys(keys, wait=min_wait if min_wait > 0 else None))
    return actions


class Agent(Protocol):
    """What plays an episode.

    ``begin`` gets the env and the first observation, ``act`` returns each action. An
    agent that works on the env object itself (the oracle uploads its solution) sets
    ``uses_env = True``: under :func:`terminal_gym.rollout.collect` with Ray its ``begin``
    then runs in the actor that holds the env (the agent is pickled there and back);
    other agents get ``env=None`` there. An agent that calls a model may keep the call
    behind its last action in ``last_turn`` (recorded as :attr:`Step.llm
    <terminal_gym.data.Step.llm>`).
    """

    name: str

    def begin(self, env: gym.Env, observation: dict[str, Any], info: dict[str, Any]) -> None: ...

    def act(self, observation: dict[str, Any], info: dict[str, Any]) -> str | Command | Keys: ...


class NullAgent:
    """Does nothing: submits on the first step."""

    name = "null"
    uses_env = False

    def begin(self, env: gym.Env, observation: dict[str, Any], info: dict[str, Any]) -> None:
        pass

    def act(self, observation: dict[str, Any], info: dict[str, Any]) -> str:
        return SUBMIT


class OracleAgent:
    """Runs the task's reference solution, then submits (each step's, for a multi-step
    task: the env's ``info["task_step"]`` says which step is current)."""

    name = "oracle"
    uses_env = True

    def __init__(self) -> None:
        self._queues: list[list[str | Command | Keys]] = []
        self._step = 0

    def begin(self, env: gym.Env, observation: dict[str, Any], info: dict[str, Any]) -> None:
        base = env.unwrapped
        if not isinstance(base, TerminalLegoEnv) or base.task is None or base.sandbox is None:
            raise TerminalGymError("OracleAgent needs a reset TerminalLegoEnv")
        task, sandbox = base.task, base.sandbox
        self._step = 0
        if not task.is_multi_step:
            solution = task.solution
            if solution is None:
                raise TerminalGymError(f"task {task.id!r} has no oracle solution")
            for src, dest in solution.uploads:
                sandbox.upload(src, dest)
            self._queues = [_solution_actions(task)]
            return
        self._queues = []
        for index, step in enumerate(task.steps):
            view = task.step_task(index)
            if view.solution is None:
                raise TerminalGymError(f"task {task.id!r}: step {step.name!r} has no solution")
            installs = []
            for k, (src, dest) in enumerate(view.solution.uploads):
                staged = f"{ORACLE_STAGE}/{index}/{k}"
                sandbox.upload(src, staged)
                parent = shlex.quote(str(PurePosixPath(dest).parent))
                dest = shlex.quote(dest)
                if src.is_dir():  # emptied, not removed: on the local backend a mount point
                    installs.append(
                        f"mkdir -p {dest} && find {dest} -mindepth 1 -delete && "
                        f"cp -a {staged}/. {dest}/"
                    )
                else:
                    installs.append(f"rm -f {dest} && mkdir -p {parent} && cp -a {staged} {dest}")
            queue: list[str | Command | Keys] = []
            if installs:
                queue.append(Command(" && ".join(installs), timeout=60))
            self._queues.append(queue + _solution_actions(view))

    def act(self, observation: dict[str, Any], info: dict[str, Any]) -> str | Command | Keys:
        step = info.get("task_step")
        if isinstance(step, Mapping):
            self._step = int(step.get("index", self._step))
        queue = self._queues[self._step] if self._step < len(self._queues) else []
        return queue.pop(0) if queue else SUBMIT


def _solution_actions(task: Task) -> list[str | Command | Keys]:
    """The actions that play ``task``'s (uploaded) solution, then submit."""
    solution = task.solution
    assert solution is not None
    env_vars = {"DEBIAN_FRONTEND": "noninteractive", **solution.env}
    prefix = " ".join(f"{k}={shlex.quote(v)}" for k, v in env_vars.items())
    budget = task.agent_timeout_sec or ORACLE_TIMEOUT
    steps = task.metadata.get("solution_steps")
    queue: list[str | Command | Keys] = []
    if solution.commands and steps:
        queue = [Command(f"export {prefix}", timeout=10)]
        queue += solution_step_actions(steps, budget)
    elif solution.commands:
        queue = [Command(f"export {prefix}", timeout=10)]
        queue += [Command(c, timeout=budget) for c in solution.commands]
    elif solution.command:
        queue = [Command(f"{prefix} {solution.command}", timeout=budget)]
    queue.append(SUBMIT)
    return queue


def _random_menu(**options: Any) -> Agent:
    """``RandomMenuAgent`` (terminal_gym.rollout.menu imports this module: imported late)."""
    from terminal_gym.rollout.menu import RandomMenuAgent

    return RandomMenuAgent(**options)


AGENTS: dict[str, Any] = {
    "oracle": OracleAgent,
    "null": NullAgent,
    "llm": LLMAgent,
    "random-menu": _random_menu,
}


def make_agent(name: str, **options: Any) -> Agent:
    """A new agent by name, with its options (``make_agent("llm", model=..., base_url=...)``).

    Raises:
        ValueError: an unknown name, or options the agent does not take.
    """
    try:
        cls = AGENTS[name]
    except KeyError:
        raise ValueError(f"unknown agent {name!r}; choose from {sorted(AGENTS)}") from None
    try:
        return cls(**options)
    except TypeError as exc:
        raise ValueError(f"agent {name!r}: {exc}") from None


@dataclass
class EpisodeResult:
    """Summary of one episode."""

    task_id: str
    agent: str
    reward: float
    steps: int
    duration: float
    terminated: bool
    truncated: bool
    env_error: bool
    error: str | None = None
    verifier: dict[str, Any] = field(default_factory=dict)
    #: Why the model endpoint ended the episode (then it was neither graded nor the
    #: agent's failure).
    llm_error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return self.__dict__.copy()


class EpisodeRecorder:
    """Builds the :class:`~terminal_gym.data.Trajectory` of one episode as it runs.

    Both episode loops use it (:func:`run_episode`, and ``collect``'s loop over a vector
    env). ``metadata`` goes into the trajectory's metadata; the recorder adds
    ``reset_duration``, ``duration`` (seconds since ``reset`` began), and how the episode
    ended: ``env_error``, ``error`` and ``llm_error`` (then ``reward`` is ``None``).
    """

    def __init__(
        self,
        *,
        source: str | None = None,
        teacher: str | None = None,
        metadata: dict[str, Any] | None = None,
    ):
        self.source, self.teacher = source, teacher
        self.metadata = dict(metadata or {})
        self.trajectory: Trajectory | None = None
        self._started = 0.0

    def reset(
        self, observation: Any, info: dict[str, Any], *, started: float | None = None
    ) -> None:
        """The episode began (``started``: when ``reset`` was called, ``time.monotonic()``)."""
        self._started = time.monotonic() if started is None else started
        instruction = observation.get("instruction", "") if isinstance(observation, dict) else ""
        self.trajectory = Trajectory(
            task_id=info.get("task_id"),
            source=self.source,
            teacher=self.teacher,
            instruction=instruction,
            initial_observation=to_jsonable(observation),
            metadata={**self.metadata, "reset_duration": time.monotonic() - self._started},
            complete=False,
        )

    def step(
        self,
        action: Any,
        result: tuple[Any, Any, bool, bool, dict[str, Any]],
        *,
        duration: float | None = None,
        llm: dict[str, Any] | None = None,
    ) -> None:
        """One env step: its action, ``(obs, reward, terminated, truncated, info)``, how
        long it took and the model call behind it."""
        assert self.trajectory is not None, "reset() first"
        obs, raw_reward, terminated, truncated, info = result
        reward = float(raw_reward)
        self.trajectory.steps.append(
            Step(
                action=action,
                observation=to_jsonable(obs),
                reward=float(reward),
                info=to_jsonable(info),
                t=time.monotonic() - self._started,
                duration=duration,
                terminated=bool(terminated),
                truncated=bool(truncated),
                llm=llm,
            )
        )

    def finish(
        self, *, error: str | None = None, llm_error: str | None = None, env_error: bool = False
    ) -> Trajectory:
        """The trajectory, ended: by its last step, or by ``error`` / ``llm_error``.

        A trajectory that never began (its reset failed) is returned empty, flagged
        ``env_error``.
        """
        trajectory = self.trajectory or Trajectory(
            task_id=self.metadata.get("task"),
            source=self.source,
            teacher=self.teacher,
            metadata=dict(self.metadata),
        )
        last = trajectory.steps[-1] if trajectory.steps else None
        info = last.info if last is not None else {}
        trajectory.terminated = bool(last and last.terminated)
        trajectory.truncated = bool(last and last.truncated) or llm_error is not None
        if last is not None and (last.terminated or last.truncated):
            trajectory.reward = float(info.get("reward", last.reward) or 0.0)
        env_error = env_error or bool(info.get("env_error"))
        if "step_rewards" in info:  # a multi-step task's graded steps
            trajectory.metadata["step_rewards"] = info["step_rewards"]
        trajectory.metadata.update(
            env_error=env_error,
            error=error or (info.get("error") if env_error else None),
            llm_error=llm_error,
            duration=time.monotonic() - self._started if self._started else None,
        )
        if env_error or llm_error:
            trajectory.reward = None  # not a grade of the agent
        trajectory.complete = True
        return trajectory


def run_episode(
    env: gym.Env,
    agent: Agent,
    *,
    task: str | None = None,
    seed: int | None = None,
    recorder: EpisodeRecorder | None = None,
) -> EpisodeResult:
    """Play one episode of ``agent`` in ``env`` and summarise it (and record it, given a
    ``recorder``). An endpoint that fails the agent (:class:`LLMEndpointError`) ends the
    episode ungraded, with ``llm_error``."""
    started = time.monotonic()
    obs, info = env.reset(seed=seed, options={"task": task} if task else None)
    if recorder is not None:
        recorder.reset(obs, info, started=started)
    task_id = str(info.get("task_id", task))
    agent.begin(env, obs, info)
    reward, steps, terminated, truncated, llm_error = 0.0, 0, False, False, None
    while not (terminated or truncated):
        try:
            action = agent.act(obs, info)
        except LLMEndpointError as exc:
            llm_error = str(exc)
            break
        step_started = time.monotonic()
        result = env.step(action)
        obs, raw_reward, terminated, truncated, info = result
        reward = float(raw_reward)
        steps += 1
        if recorder is not None:
            recorder.step(
                action,
                result,
                duration=time.monotonic() - step_started,
                llm=getattr(agent, "last_turn", None),
            )
    return EpisodeResult(
        task_id=info.get("task_id", task_id),
        agent=agent.name,
        reward=float(reward),
        steps=steps,
        duration=time.monotonic() - started,
        terminated=terminated,
        truncated=truncated or llm_error is not None,
        env_error=bool(info.get("env_error")),
        error=info.get("error"),
        verifier=info.get("verifier", {}) if terminated or truncated else {},
        llm_error=llm_error,
    )
