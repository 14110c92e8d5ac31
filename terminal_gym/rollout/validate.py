"""Environment verification: on a fresh sandbox the oracle scores 1 and doing nothing 0.

The Terminal-Lego pipeline checks only the first half; a task whose untouched
environment already passes teaches nothing, so both are required here. Of a multi-step
task every step's oracle must score 1 (``oracle_step_rewards``) and doing nothing must
fail the first step (``null_step_rewards``).

A row (:meth:`Validation.to_dict`) says why a task failed, not only that it did:

* a run that never started (the image did not build, the sandbox did not start, the
  env failed before the first step) or was not graded (an infrastructure error) has
  reward ``None`` and a one-line ``*_error``, never a 0 that was not scored; a failed
  build is not retried for the do-nothing run;
* ``oracle_solution`` is the solution's own exit status and output tail, apart from the
  verifier's, and a problem names which of the two failed;
* ``build_seconds``, ``build_log`` (a failed build's, once) and ``substitution`` (the
  base images replaced by local stand-ins, and how they differ) describe the image;
* when the oracle's solution ran cleanly but scored below 1 and grading stopped the
  agent's processes (the default), the oracle runs again with them running through
  grading; when that scores 1 the problem names the ``agent_processes`` declaration
  the task needs (a service the tests talk to): the usual reason a public task's
  oracle fails here and passes under Harbor.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, replace
from typing import Any, Literal

import gymnasium as gym

from terminal_gym.actions import SUBMIT, Command, Keys
from terminal_gym.envs import TerminalLegoEnv
from terminal_gym.errors import ImageBuildError, TerminalGymError
from terminal_gym.rollout.agents import Agent, EpisodeResult, make_agent, run_episode
from terminal_gym.tasks import TaskSet

#: Lines of the solution's output kept in ``oracle_solution["output_tail"]``.
SOLUTION_TAIL_LINES = 30


@dataclass(frozen=True)
class Validation:
    """The verdict on one task.

    Attributes:
        oracle_reward, null_reward: the episodes' rewards; ``None`` when the episode
            never started or was not graded (``oracle_error`` / ``null_error`` say why).
        oracle_error, null_error: one line saying why that episode has no reward.
        oracle_solution: the solution's ``{"exit_code", "output_tail"}`` (the first
            failing command of it, else its last), a list of them (one per step) for a
            multi-step task; ``None`` when it never ran.
        build_seconds: how long preparing the image took (the build, when one ran);
            ``None`` when unknown (not a Docker backend) or nothing was tried.
        build_log: the failed build's log (without ANSI codes), only when it failed.
        substitution: one ``{"original", "substitute", "by", "differences"}`` per base
            image replaced by a local stand-in.
    """

    task_id: str
    verified: bool
    oracle_reward: float | None
    null_reward: float | None
    oracle_steps: int
    oracle_seconds: float
    null_seconds: float
    problems: list[str] = field(default_factory=list)
    skipped: str | None = None
    #: Per graded step ``(name, reward)``, for a multi-step task (else ``None``).
    oracle_step_rewards: list[tuple[str, float]] | None = None
    null_step_rewards: list[tuple[str, float]] | None = None
    oracle_error: str | None = None
    null_error: str | None = None
    oracle_solution: dict[str, Any] | list[dict[str, Any]] | None = None
    build_seconds: float | None = None
    build_log: str | None = None
    substitution: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        for key in ("oracle_step_rewards", "null_step_rewards"):
            if out[key] is None:
                del out[key]  # a single-step task's row is as it always was
        return out


def safe_episode(env: gym.Env, agent_name: str, task_id: str) -> EpisodeResult:
    """Run one episode; an error becomes an ``env_error`` result instead of an exception."""
    started = time.monotonic()
    try:
        return run_episode(env, make_agent(agent_name), task=task_id)
    except TerminalGymError as exc:
        return _failed(task_id, agent_name, started, f"{type(exc).__name__}: {exc}")


def _failed(task_id: str, agent_name: str, started: float, error: str) -> EpisodeResult:
    """The result of an episode that raised ``error`` instead of ending."""
    return EpisodeResult(
        task_id=task_id,
        agent=agent_name,
        reward=0.0,
        steps=0,
        duration=time.monotonic() - started,
        terminated=False,
        truncated=True,
        env_error=True,
        error=error,
    )


class _Watcher:
    """Wraps an agent: notes whether the episode began, and the result of each of its
    commands (the env reports one in the next ``act``'s observation), by task step."""

    def __init__(self, agent: Agent):
        self.agent = agent
        self.name = agent.name
        self.uses_env = getattr(agent, "uses_env", False)
        self.began = False
        self.steps: list[list[dict[str, Any]]] = [[]]
        self._pending = False

    def begin(self, env: gym.Env, observation: dict[str, Any], info: dict[str, Any]) -> None:
        self.agent.begin(env, observation, info)
        self.began = True

    def act(self, observation: dict[str, Any], info: dict[str, Any]) -> str | Command | Keys:
        if self._pending:
            code = info.get("exit_code")
            self.steps[-1].append(
                {
                    "exit_code": None if code is None else int(code),
                    "output": str(observation.get("output", "")),
                }
            )
        action = self.agent.act(observation, info)
        self._pending = action != SUBMIT
        if action == SUBMIT:
            self.steps.append([])
        return action


@dataclass
class _Run:
    result: EpisodeResult
    started: bool
    error: str | None
    build_error: ImageBuildError | None = None
    solution: list[dict[str, Any]] = field(default_factory=list)


def _one_line(text: str, limit: int = 300) -> str:
    line = " ".join(text.split())
    return line if len(line) <= limit else line[: limit - 3] + "..."


def _solution_summary(commands: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The first failing command's result, else the last one's, with its output's tail."""
    if not commands:
        return None
    failed = [c for c in commands if c["exit_code"] not in (None, 0)]
    chosen = failed[0] if failed else commands[-1]
    lines = chosen["output"].rstrip("\n").splitlines()
    return {
        "exit_code": chosen["exit_code"],
        "output_tail": "\n".join(lines[-SOLUTION_TAIL_LINES:]),
    }


def _solutions(watcher: _Watcher) -> list[dict[str, Any]]:
    """Per task step the agent played (a trailing empty one dropped), its solution."""
    steps = watcher.steps[:-1] if watcher.steps and not watcher.steps[-1] else watcher.steps
    empty: dict[str, Any] = {"exit_code": None, "output_tail": ""}
    return [_solution_summary(commands) or dict(empty) for commands in steps]


def _run(env: gym.Env, agent_name: str, task_id: str) -> _Run:
    """One episode of ``agent_name``, watched; errors become results."""
    started = time.monotonic()
    watcher = _Watcher(make_agent(agent_name))
    try:
        result = run_episode(env, watcher, task=task_id)
    except TerminalGymError as exc:
        message = exc.summary if isinstance(exc, ImageBuildError) else str(exc)
        result = _failed(
            task_id, agent_name, started, f"{type(exc).__name__}: {_one_line(message)}"
        )
        build_error = exc if isinstance(exc, ImageBuildError) else None
        return _Run(result, watcher.began, result.error, build_error, _solutions(watcher))
    solution = _solutions(watcher)
    error = _one_line(result.error or "env error") if result.env_error else None
    if result.llm_error:
        error = _one_line(f"model endpoint: {result.llm_error}")
    return _Run(result, True, error, None, solution)


def _reward(run: _Run) -> float | None:
    return None if not run.started or run.error is not None else run.result.reward


def _verifier_reason(verifier: Mapping[str, Any]) -> str:
    """Why the verifier gave less than 1, in one line."""
    if verifier.get("error"):
        return f"verifier: {_one_line(str(verifier['error']))}"
    if verifier.get("withheld"):
        return "verifier: reward withheld (the verifier's files were tampered with)"
    tests = verifier.get("tests") or {}
    failed = [name for name, outcome in tests.items() if outcome not in ("PASSED", "XFAIL")]
    if failed:
        shown = ", ".join(failed[:5]) + (", ..." if len(failed) > 5 else "")
        return f"verifier: {len(failed)} of {len(tests)} tests failed ({shown})"
    tail = str(verifier.get("output_tail") or "").strip().splitlines()
    last = f": {_one_line(tail[-1], 200)}" if tail else ""
    reward = verifier.get("reward")
    score = f"reward {reward:g}, " if isinstance(reward, (int, float)) else ""
    return f"verifier: {score}tests exited {verifier.get('exit_code')}{last}"


def _why_oracle_failed(run: _Run) -> str:
    """``solution exited 127: ...`` when the solution failed, else the verifier's reason."""
    failed = [s for s in run.solution if s["exit_code"] not in (None, 0)]
    if failed:
        first = failed[0]
        tail = [line for line in first["output_tail"].splitlines() if line.strip()][-3:]
        return f"solution exited {first['exit_code']}: {_one_line(' | '.join(tail), 300)}"
    return _verifier_reason(run.result.verifier)


def _oracle_with_processes(
    env: gym.Env, task_id: str, policy: Literal["keep", "share"]
) -> float | None:
    """The oracle's reward on ``task_id`` graded with ``agent_processes=policy``, in a
    second env on the same backend; ``None`` when it did not run."""
    base = env.unwrapped
    assert isinstance(base, TerminalLegoEnv)
    task = base.tasks[task_id]
    variant = replace(task, verifier=replace(task.verifier, agent_processes=policy))
    probe = TerminalLegoEnv(tasks=TaskSet([variant]), backend=base.backend)
    try:
        return _reward(_run(probe, "oracle", task_id))
    finally:
        probe.close()


def _processes_hint(env: gym.Env, task_id: str, oracle: _Run) -> str | None:
    """When the oracle, whose solution ran cleanly, failed with its processes stopped
    before grading: whether it scores 1 when they run on (``"share"``: Harbor's own
    way, the tests in the agent's container; then ``"keep"``, the safer snapshot), and
    the declaration to add. One or two more oracle episodes, for failing tasks only."""
    base = env.unwrapped
    if not isinstance(base, TerminalLegoEnv) or oracle.error or not oracle.started:
        return None
    task = base.tasks[task_id]
    stopped = (oracle.result.verifier.get("processes") or {}).get("policy") == "stop"
    clean = all(s["exit_code"] in (None, 0) for s in oracle.solution)
    if not stopped or not clean or task.verifier.environment_mode == "separate" or task.steps:
        return None
    if _oracle_with_processes(env, task_id, "share") != 1.0:
        return None
    policy = "keep" if _oracle_with_processes(env, task_id, "keep") == 1.0 else "share"
    return (
        "it scores 1 when its processes keep running through grading (the tests need a "
        f'service the solution starts): declare agent_processes = "{policy}" under '
        "[metadata.grading] in task.toml"
    )


def _image_facts(env: gym.Env, task_id: str) -> tuple[float | None, list[dict[str, Any]]]:
    """The backend's ``build_seconds`` and substitutions for the task, if it says."""
    base = env.unwrapped
    if not isinstance(base, TerminalLegoEnv):
        return None, []
    image_info = getattr(base.backend, "image_info", None)
    if image_info is None:
        return None, []
    info = image_info(base.tasks[task_id])
    if info is None:
        return None, []
    return round(info.seconds, 3), [dict(s) for s in info.substitutions]


def validate_task(env: gym.Env, task_id: str) -> Validation:
    """Run the oracle and the do-nothing agent on ``task_id`` in ``env``; judge both.

    A task the env's backend cannot serve is not run: ``skipped`` says why. When the
    oracle's image fails to build, the do-nothing run is not tried (it would build
    again): it is marked not started with the same reason.
    """
    base = env.unwrapped
    if isinstance(base, TerminalLegoEnv):
        reason = base.backend.unsupported_reason(base.tasks[task_id])
        if reason is not None:
            return Validation(task_id, False, None, None, 0, 0.0, 0.0, skipped=reason)
    oracle = _run(env, "oracle", task_id)
    if oracle.build_error is not None:
        null = _Run(
            EpisodeResult(task_id, "null", 0.0, 0, 0.0, False, True, True, oracle.error),
            started=False,
            error=oracle.error,
        )
    else:
        null = _run(env, "null", task_id)
    build_seconds, substitution = _image_facts(env, task_id)
    build_log = None
    if oracle.build_error is not None:
        build_log = oracle.build_error.build_log
        if oracle.build_error.seconds is not None:
            build_seconds = round(oracle.build_error.seconds, 3)
    oracle_steps, null_steps = _step_rewards(oracle.result), _step_rewards(null.result)
    problems = []
    if oracle.error:
        problems.append(f"oracle: {oracle.error}")
    elif oracle_steps is not None:
        problems += _oracle_step_problems(base, task_id, oracle_steps)
        if problems:
            problems[0] += f": {_why_oracle_failed(oracle)}"
    elif oracle.result.reward != 1.0:
        why = _why_oracle_failed(oracle)
        if (hint := _processes_hint(env, task_id, oracle)) is not None:
            why = f"{hint} ({why})"
        problems.append(f"oracle scored {oracle.result.reward:g}, not 1: {why}")
    if null.error:
        if oracle.build_error is None:
            problems.append(f"do-nothing: {null.error}")
    elif null_steps is not None:
        if null_steps and null_steps[0][1] != 0.0:
            name, reward = null_steps[0]
            problems.append(f"doing nothing scored {reward:g} on step {name!r}, not 0")
    elif null.result.reward != 0.0:
        problems.append(f"doing nothing scored {null.result.reward:g}, not 0")
    solution: dict[str, Any] | list[dict[str, Any]] | None = None
    if oracle.solution:
        solution = oracle.solution if oracle_steps is not None else oracle.solution[0]
    return Validation(
        task_id=task_id,
        verified=not problems and oracle.started and null.started,
        oracle_reward=_reward(oracle),
        null_reward=_reward(null),
        oracle_steps=oracle.result.steps,
        oracle_seconds=round(oracle.result.duration, 3),
        null_seconds=round(null.result.duration, 3),
        problems=problems,
        oracle_step_rewards=oracle_steps,
        null_step_rewards=null_steps,
        oracle_error=oracle.error,
        null_error=null.error,
        oracle_solution=solution,
        build_seconds=build_seconds,
        build_log=build_log,
        substitution=substitution,
    )


def _step_rewards(result: EpisodeResult) -> list[tuple[str, float]] | None:
    """``(name, reward)`` per graded step of a multi-step episode, else ``None``."""
    steps = result.verifier.get("steps")
    if not isinstance(steps, list):
        return None
    return [(str(step["name"]), float(step["reward"])) for step in steps]


def _oracle_step_problems(env: gym.Env, task_id: str, steps: list[tuple[str, float]]) -> list[str]:
    problems = [f"oracle scored {r:g} on step {name!r}, not 1" for name, r in steps if r != 1.0]
    if isinstance(env, TerminalLegoEnv):
        names = [step.name for step in env.tasks[task_id].steps]
        if len(steps) < len(names):
            problems.append(f"the oracle's episode ended before step {names[len(steps)]!r}")
    return problems
