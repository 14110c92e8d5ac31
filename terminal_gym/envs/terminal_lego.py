"""``TerminalLegoEnv``: one terminal task per episode, graded by its verifier.

Episode: ``reset`` picks a task (``options={"task": id}`` or a seeded sample),
starts a fresh sandbox and a PTY bash in it, and returns the instruction. Each
``step`` runs one action; ``SUBMIT`` (or ``max_steps``, or the agent's time budget)
ends the episode and runs the verifier, whose reward is the terminal step's reward
(all other steps give 0). ``close`` (or the next ``reset``) removes the sandbox.

Actions are strings: in ``mode="command"`` a shell command run to completion, in
``mode="keys"`` raw keystrokes. :class:`Command` and :class:`Keys` override the mode
and the timeout for one step.

Infrastructure failures never masquerade as agent failures: they end the episode
(``truncated``) with ``info["env_error"] = True`` and the error in ``info["error"]``.

A task's ``[environment.healthcheck]`` must pass before ``reset`` returns
(``info["healthcheck"]``: its probes and seconds); one that never passes is an
infrastructure failure, raised as at a sandbox that fails to start.
A Docker image whose base was replaced by a local stand-in says so at ``reset``:
``info["image_substitution"]`` (original, substitute, differences) and
``info["image_map_unmatched"]`` (see :class:`terminal_gym.sandbox.images.ImageInfo`).

Multi-step tasks (Harbor ``[[steps]]``) run all their steps in one sandbox. Before each
step its ``workdir/`` is copied into the working directory, its ``setup.sh`` runs and its
healthcheck must pass; the observation's ``instruction`` is the step's. ``SUBMIT`` (or
the step's ``max_steps`` / agent budget) ends the *step*: its verifier grades it, then,
unless it was the last step or its rewards fail its ``min_reward``, the next step begins
in a fresh shell (``terminated=False``). ``info["task_step"]`` names the current step,
``info["step_result"]`` reports a graded one and, at the end, ``info["step_rewards"]``
lists every graded step's rewards and ``info["reward"]`` is the episode's (the task's
``reward_strategy``: ``"mean"`` of the graded steps, or the ``"final"`` one). The reward
``step`` returns depends on ``reward_mode``:

* ``"final"`` (default, Harbor's scoring): 0 at every step boundary, the episode's
  reward on the terminal step, so the return is the task's score.
* ``"per_step"`` (dense): each boundary returns the step just graded's reward, the
  terminal step too, so the return is the *sum* of the graded steps' rewards. The task's
  ``reward_strategy`` does not shape it (it only sets ``info["reward"]``): with ``"mean"``
  the return is the number of graded steps times the score, and a step the episode never
  reached (a ``min_reward`` gate ended it) adds nothing, so stopping early never pays.

A later step whose ``setup.sh`` or healthcheck fails is counted as a failed step (0, and
the episode ends), not as an env error: the agent has worked in the sandbox since the task
was set up, so it may have broken it, and sabotaging the next step must not turn a poor
return into a discarded episode (a task that is broken itself fails ``validate``).

With ``pool=`` a :class:`~terminal_gym.sandbox.pool.SandboxPool` keeps sandboxes for the
next episodes started, their shell already running, so ``reset`` only takes one
(``info["pooled"]``). The env tells the pool what comes next: a fixed task, or, when it
samples tasks, the next episode's task, drawn one reset ahead from ``np_random`` (the
draws come in the same order as without a pool, so a seed gives the same tasks).
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any, Literal

import gymnasium as gym
from gymnasium import spaces

from terminal_gym.actions import SUBMIT, Command, Keys
from terminal_gym.envs.spaces import CommandSpace, TerminalText
from terminal_gym.errors import SandboxError, TerminalGymError
from terminal_gym.sandbox import Backend, BackendConfig, make_backend
from terminal_gym.sandbox.base import ExecResult, Sandbox, clear_paths_script
from terminal_gym.sandbox.health import HealthcheckError, run_healthcheck
from terminal_gym.sandbox.pool import PooledSandbox, Preparer, SandboxPool
from terminal_gym.tasks import Task, TaskSet, TaskSource, load_tasks
from terminal_gym.tasks.spec import VERIFIER_LOGS_DIR, StepSpec
from terminal_gym.tasks.steps import combine_step_rewards, min_reward_failure
from terminal_gym.terminal import CommandResult, ShellSession
from terminal_gym.verifier import TamperPolicy, VerifierResult, verify

Mode = Literal["command", "keys"]
RewardMode = Literal["final", "per_step"]
_REWARD_MODES = ("final", "per_step")
#: Seconds a step's ``setup.sh`` may run.
_SETUP_TIMEOUT = 600.0
#: Characters of the working directory in an observation (a deeper one keeps its tail).
_CWD_CHARS = 4096


@dataclass(frozen=True)
class ShellStarter(Preparer[ShellSession]):
    """Starts an episode's shell on a fresh sandbox: the env's preparer for its pool
    (equal settings, equal starters: envs configured alike share pooled sandboxes)."""

    timeout: float
    max_output_bytes: int
    rows: int
    cols: int
    keys: bool
    #: The user the shell runs as (the task's ``[agent] user``; ``None``: the image's).
    user: str | None = None

    def __call__(self, sandbox: Sandbox) -> ShellSession:
        shell = ShellSession(
            sandbox,
            timeout=self.timeout,
            max_output_bytes=self.max_output_bytes,
            workdir=sandbox.workdir,
            rows=self.rows,
            cols=self.cols,
            echo=self.keys,
            user=self.user,
        )
        shell.start()
        if self.keys:
            try:
                shell.send_keys("", wait=0.05)
            except BaseException:
                shell.close(kill=False)
                raise
        return shell

    def is_ready(self, prepared: ShellSession) -> bool:
        return prepared.is_open()

    def release(self, prepared: ShellSession) -> None:
        prepared.close(kill=False)  # its sandbox is removed next


class TerminalLegoEnv(gym.Env[dict[str, Any], str]):
    """A Gymnasium env over Terminal-Lego / Terminal-Bench tasks.

    Args:
        tasks: ``"builtin"``, a task directory, a directory of tasks, a list of those,
            a :class:`Task`, a :class:`TaskSet`, or ``"family:<name>"`` (a procedural
            family: every ``reset`` draws a fresh seed from ``np_random``).
        backend: ``"auto"`` (Docker when a daemon answers, else local), ``"docker"``,
            ``"local"``, a typed config (:class:`~terminal_gym.sandbox.DockerConfig`,
            :class:`~terminal_gym.sandbox.LocalConfig`) or ``{"type": ..., **options}``,
            or a backend object.
        difficulty: for a ``"family:<name>"`` source, the level: ``1``-``3`` or
            ``"easy"``/``"medium"``/``"hard"`` (default 1).
        task: a task id to use every episode (``options={"task": ...}`` overrides).
        mode: ``"command"`` or ``"keys"`` (see the module docstring).
        max_steps: steps before the episode (a multi-step task's step) is truncated
            (and graded).
        step_timeout: seconds one command may run before Ctrl-C.
        agent_timeout: the agent's wall-clock budget per episode (per step of a
            multi-step task); default: the task's (step's) ``timeout_sec``, else none.
        verifier_timeout: overrides the task's verifier timeout.
        max_output_bytes: output kept per step (head + tail, with a marker).
        render_mode: ``"ansi"`` returns the terminal screen from :meth:`render`.
        rows, cols: the terminal size.
        backend_options: passed to the backend (``client``, ``image_map``, ``ca_bundle``,
            ``reap_stale``, ``tmpfs``, ``isolation``, ``toolchain``; see
            :func:`terminal_gym.sandbox.make_backend`).
        tamper_policy: ``"zero"`` (default): an episode with tamper evidence on the
            verifier's path earns 0; ``"report"``: it is only reported in
            ``info["verifier"]["tamper"]`` (see ``docs/grading.md``).
        pool: ``None`` (default): every ``reset`` starts a sandbox; an ``int``: a
            :class:`~terminal_gym.sandbox.pool.SandboxPool` of that size on the env's
            backend, closed with the env; or a ``SandboxPool`` shared with other envs
            (its backend is the env's; the env does not close it).
        reward_mode: for multi-step tasks, ``"final"`` (default: the episode's reward on
            the terminal step) or ``"per_step"`` (each step's reward when it is graded);
            see the module docstring. A single-step task scores the same either way.
        verifier_mode: ``None`` (default): each task's own ``[verifier] environment_mode``;
            ``"separate"``: every task is graded in a fresh sandbox that receives only its
            declared artifacts (see ``docs/grading.md``), so nothing else the agent did
            can reach the grader.

    Attributes:
        tasks: the :class:`~terminal_gym.tasks.TaskSource` episodes draw from.
        task: the current episode's :class:`Task` (``None`` before the first reset).
        mode: ``"command"`` or ``"keys"``.
        backend: the sandbox backend.

    Wrappers reach the episode's sandbox through :meth:`screen`, :meth:`exec` and
    :meth:`open_shell`, never through its internals.

    Observation (a ``Dict``): ``instruction``, ``output`` (new output of the step),
    ``exit_code`` (-1 when unknown), ``cwd``, ``timed_out`` (0/1), and in keys mode
    ``screen`` (the rendered terminal).

    Example:
        >>> import gymnasium as gym, terminal_gym  # doctest: +SKIP
        >>> env = gym.make("TerminalLego-v0", backend="docker")  # doctest: +SKIP
        >>> obs, info = env.reset(seed=0)  # doctest: +SKIP
        >>> obs, r, term, trunc, info = env.step("ls")  # doctest: +SKIP
    """

    metadata = {"render_modes": ["ansi"], "render_fps": 4}

    def __init__(
        self,
        tasks: Any = "builtin",
        backend: str | Mapping[str, Any] | BackendConfig | Backend = "auto",
        *,
        difficulty: int | str | None = None,
        task: str | None = None,
        mode: Mode = "command",
        max_steps: int = 50,
        step_timeout: float = 30.0,
        agent_timeout: float | None = None,
        verifier_timeout: float | None = None,
        max_output_bytes: int = 64 * 1024,
        render_mode: str | None = None,
        rows: int = 40,
        cols: int = 160,
        backend_options: dict[str, Any] | None = None,
        tamper_policy: TamperPolicy = "zero",
        pool: int | SandboxPool[Any] | None = None,
        reward_mode: RewardMode = "final",
        verifier_mode: Literal["separate"] | None = None,
    ):
        if mode not in ("command", "keys"):
            raise ValueError(f"mode must be 'command' or 'keys', not {mode!r}")
        if reward_mode not in _REWARD_MODES:
            raise ValueError(f"reward_mode must be 'final' or 'per_step', not {reward_mode!r}")
        if tamper_policy not in ("zero", "report"):
            raise ValueError(f"tamper_policy must be 'zero' or 'report', not {tamper_policy!r}")
        if render_mode not in (None, *self.metadata["render_modes"]):
            raise ValueError(f"render_mode must be one of {self.metadata['render_modes']}")
        for name, value, integer in (
            ("max_steps", max_steps, True),
            ("step_timeout", step_timeout, False),
            ("agent_timeout", agent_timeout, False),
            ("verifier_timeout", verifier_timeout, False),
            ("max_output_bytes", max_output_bytes, True),
            ("rows", rows, True),
            ("cols", cols, True),
        ):
            _check_positive(name, value, integer=integer)
        self.tasks: TaskSource = load_tasks(tasks, difficulty=difficulty)
        if isinstance(self.tasks, TaskSet) and len(self.tasks) == 0:
            raise TerminalGymError(f"no tasks found in {tasks!r}")
        if task is not None:
            self.tasks[task]  # fail early on an unknown id
        self.default_task = task
        self._pool_size = 0  # > 0: the env makes (and closes) a pool of this size
        self._pool: SandboxPool[ShellSession] | None = None
        if isinstance(pool, SandboxPool):
            self.backend = _pool_backend(pool, backend, backend_options)
            self._owns_backend = False
            self._pool = pool
        elif pool is None or (isinstance(pool, int) and not isinstance(pool, bool) and pool > 0):
            self.backend = make_backend(backend, **(backend_options or {}))
            self._owns_backend = self.backend is not backend  # made here: closed here
            self._pool_size = pool or 0
        elif isinstance(pool, int):
            raise ValueError(f"pool must be a positive size, not {pool!r}")
        else:
            raise TypeError(f"pool must be None, a size or a SandboxPool, not {pool!r}")
        self.mode: Mode = mode
        self.max_steps = max_steps
        self.step_timeout = step_timeout
        self.agent_timeout = agent_timeout
        self.verifier_timeout = verifier_timeout
        self.tamper_policy: TamperPolicy = tamper_policy
        if verifier_mode not in (None, "separate"):
            raise ValueError(f"verifier_mode must be None or 'separate', not {verifier_mode!r}")
        self.verifier_mode: Literal["separate"] | None = verifier_mode
        self.reward_mode: RewardMode = reward_mode
        self.max_output_bytes = max_output_bytes
        self.render_mode = render_mode
        self.rows, self.cols = rows, cols

        text = TerminalText()
        obs = {
            "instruction": text,
            # Output text has at most as many characters as bytes kept, plus a marker.
            "output": TerminalText(max(text.max_length, max_output_bytes + 256)),
            "exit_code": spaces.Discrete(257, start=-1),
            "cwd": TerminalText(_CWD_CHARS),
            "timed_out": spaces.Discrete(2),
        }
        if mode == "keys":
            obs["screen"] = text
        self.observation_space = spaces.Dict(obs)
        self.action_space = CommandSpace()

        self.task: Task | None = None
        self.sandbox: Sandbox | None = None
        self.shell: ShellSession | None = None
        self._steps = 0
        self._task_step = 0  # the index of the multi-step task's current step
        self._step_view: Task | None = None  # that step as a single-step task
        self._step_actions = 0  # actions in the current task step
        self._graded: list[dict[str, Any]] = []  # the graded steps' results, in order
        self._started = 0.0
        self._done = True
        self._last: CommandResult | None = None
        self._starter = ShellStarter(
            timeout=step_timeout,
            max_output_bytes=max_output_bytes,
            rows=rows,
            cols=cols,
            keys=mode == "keys",
        )
        self._item: PooledSandbox[ShellSession] | None = None  # the episode's, when pooled
        self._next_task: Task | None = None  # the next sampled task, drawn ahead
        self._hints: list[Task] = []  # what this env told the pool it will take
        if self.default_task is not None:
            self._hint_next()  # warm from the start (a sampled task is drawn at reset)

    # -- Gymnasium API -------------------------------------------------------------

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        super().reset(seed=seed)
        pool = self._active_pool()
        self._teardown(retire=pool is not None)
        options = options or {}
        task_id = options.get("task", self.default_task)
        if task_id is not None:
            self.task = self.tasks[task_id]
        else:
            self.task = self._draw_task(reseeded=seed is not None)
        started = time.monotonic()
        pooled = False
        starter = self._starter_for(self.task)
        if pool is not None:
            self._took(self.task)  # one hint of it used up, whatever acquire says
            self._item = pool.acquire(self.task, prepare=starter)
            self.sandbox, self.shell = self._item.sandbox, self._item.prepared
            pooled = self._item.pooled
            self._hint_next()
        else:
            self.sandbox = self.backend.create(self.task)
            try:
                self.shell = starter(self.sandbox)
            except BaseException:
                self._teardown()
                raise
        info: dict[str, Any] = {}
        self._graded = []
        try:
            if self.task.environment.healthcheck is not None:
                checked = run_healthcheck(self.sandbox, self.task.environment.healthcheck)
                info["healthcheck"] = checked.to_info()
            self._prepare_task_step(0, info)
        except BaseException:
            self._teardown()
            raise
        self._steps = 0
        self._done = False
        self._last = None
        obs = self._observation(CommandResult("", 0, self.shell.cwd, 0.0))
        info = {
            "task_id": self.task.id,
            "backend": self.backend.name,
            "reset_duration": self._started - started,
            "pooled": pooled,
            "env_error": False,
            **getattr(self.sandbox, "image_notes", {}),  # image substitutions, if any
            **info,
        }
        return obs, info

    def step(
        self, action: str | Command | Keys
    ) -> tuple[dict[str, Any], float, bool, bool, dict[str, Any]]:
        if self._done or self.shell is None or self.task is None:
            raise TerminalGymError("step() called before reset() or after the episode ended")
        self._steps += 1
        self._step_actions += 1
        info: dict[str, Any] = {"task_id": self.task.id, "step": self._steps, "env_error": False}
        if self.task.is_multi_step:
            info["task_step"] = self._task_step_info()
        if action == SUBMIT:
            return self._finish(self._last_or_empty(), info, terminated=True)
        try:
            result = self._act(action)
        except SandboxError as exc:
            return self._env_error(exc, info)
        self._last = result
        info.update(
            duration=result.duration,
            exit_code=result.exit_code,
            timed_out=result.timed_out,
            shell_restarted=result.restarted,
            output_bytes=result.output_bytes,
            output_truncated=result.truncated,
        )
        budget = self._agent_budget()
        if self._step_actions >= self.max_steps or (
            budget is not None and time.monotonic() - self._started >= budget
        ):
            info["truncated_by"] = (
                "max_steps" if self._step_actions >= self.max_steps else "agent_timeout"
            )
            return self._finish(result, info, terminated=False)
        return self._observation(result), 0.0, False, False, info

    def render(self) -> str | None:  # type: ignore[override]
        """The terminal screen as text when ``render_mode="ansi"``, else ``None``."""
        if self.render_mode != "ansi":
            return None
        return self.screen()

    # -- side channels for wrappers (the agent sees none of this) -------------------

    def screen(self) -> str:
        """The episode's terminal as the agent would see it (``rows`` x ``cols`` text);
        ``""`` before ``reset``."""
        return self.shell.render() if self.shell is not None else ""

    def exec(self, command: str, *, timeout: float = 30.0) -> ExecResult:
        """Run a one-off command in the episode's sandbox, beside the agent's shell: not
        a step, not in the observation (what :class:`~terminal_gym.wrappers.TrackFileChanges`
        lists files with).

        Raises:
            TerminalGymError: no episode is running (before ``reset``).
            SandboxError: the sandbox could not run it.
        """
        return self._live_sandbox().exec(command, timeout=timeout)

    def open_shell(
        self, *, timeout: float = 30.0, max_output_bytes: int = 1 << 20, workdir: str = "/"
    ) -> ShellSession:
        """A second, started PTY shell in the episode's sandbox, for a wrapper's own
        commands (cheaper per command than :meth:`exec`); the caller closes it, and it
        dies with the sandbox.

        Raises:
            TerminalGymError: no episode is running (before ``reset``).
            SandboxError: the shell could not start.
        """
        shell = ShellSession(
            self._live_sandbox(),
            timeout=timeout,
            max_output_bytes=max_output_bytes,
            workdir=workdir,
        )
        shell.start()
        return shell

    def close(self) -> None:
        """Remove the sandbox, and the pool and the backend's connections when the env
        made them (a shared pool only hears that this env's hints are off). Idempotent;
        a later ``reset`` still works."""
        try:
            self._teardown()
        finally:
            try:
                self._close_pool()
            finally:
                if self._owns_backend:
                    self.backend.close()
        super().close()

    # -- internals -----------------------------------------------------------------

    def _starter_for(self, task: Task, step: int = 0) -> ShellStarter:
        """The shell starter of ``task``'s step ``step``: the env's, as the step's agent user."""
        return replace(self._starter, user=task.step_task(step).agent_user)

    def _live_sandbox(self) -> Sandbox:
        if self.sandbox is None:
            raise TerminalGymError("no episode is running: call reset() first")
        return self.sandbox

    def _active_pool(self) -> SandboxPool[ShellSession] | None:
        """The pool to reset from (an own one is made again after ``close``)."""
        if self._pool is None and self._pool_size:
            self._pool = SandboxPool(self.backend, size=self._pool_size)
        return self._pool

    def _draw_task(self, *, reseeded: bool) -> Task:
        """The next sampled task: the one drawn ahead, unless ``np_random`` was just
        seeded (then a fresh draw from it, as without a pool)."""
        task, self._next_task = self._next_task, None
        if task is not None and reseeded:
            self._withdraw([task])
            task = None
        return task if task is not None else self.tasks.sample(self.np_random)

    def _hint_next(self) -> None:
        """Tell the pool what the next episodes need: the fixed task (``size`` of them),
        or the next sampled task, drawn now (in the order ``reset`` would draw it)."""
        pool = self._active_pool()
        if pool is None:
            return
        if self.default_task is not None:
            task = self.tasks[self.default_task]
            tasks = [task] * (pool.size - len(self._hints))
        elif self._next_task is None:
            self._next_task = self.tasks.sample(self.np_random)
            tasks = [self._next_task]
        else:
            return
        self._hints += tasks
        pool.prefetch(tasks, prepare=self._starter_for(tasks[0]))

    def _took(self, task: Task) -> None:
        """An acquire used up one of this env's hints of ``task``, if it had one."""
        for i, hinted in enumerate(self._hints):
            if hinted.id == task.id and hinted.path == task.path:
                del self._hints[i]
                return

    def _withdraw(self, tasks: list[Task]) -> None:
        for task in tasks:
            self._took(task)
        if self._pool is not None:
            for task in tasks:
                self._pool.withdraw([task], prepare=self._starter_for(task))

    def _close_pool(self) -> None:
        # The task drawn ahead stays drawn: a later reset takes it, as it would have.
        self._withdraw(list(self._hints))
        if self._pool_size and self._pool is not None:
            pool, self._pool = self._pool, None
            pool.close()

    def _act(self, action: str | Command | Keys) -> CommandResult:
        assert self.shell is not None
        budget = self._agent_budget()
        timeout = self.step_timeout
        if isinstance(action, Command):
            timeout = action.timeout or timeout
            action = action.text
        elif isinstance(action, Keys):
            return self.shell.send_keys(action.text, wait=action.wait)
        elif not isinstance(action, str):
            raise TypeError(f"actions are str, Command or Keys, not {type(action).__name__}")
        elif self.mode == "keys":
            return self.shell.send_keys(action)
        if budget is not None:
            timeout = max(0.1, min(timeout, budget - (time.monotonic() - self._started)))
        return self.shell.run(action, timeout=timeout)

    def _agent_budget(self) -> float | None:
        if self.agent_timeout is not None:
            return self.agent_timeout
        return self._step_view.agent_timeout_sec if self._step_view is not None else None

    def _task_step_info(self) -> dict[str, Any]:
        assert self.task is not None
        step = self.task.steps[self._task_step]
        return {"index": self._task_step, "name": step.name, "count": len(self.task.steps)}

    def _prepare_task_step(self, index: int, info: dict[str, Any]) -> None:
        """Make step ``index`` current: for a multi-step task, copy its ``workdir/`` in,
        run its ``setup.sh`` and wait for its healthcheck (``info["step_healthcheck"]``).
        Starts the step's agent budget.

        Raises:
            SandboxError: the copy or ``setup.sh`` failed, or the healthcheck never passed.
        """
        assert self.task is not None and self.sandbox is not None
        self._task_step = index
        self._step_view = self.task.step_task(index)
        self._step_actions = 0
        if self.task.is_multi_step:
            step = self.task.steps[index]
            info["task_step"] = self._task_step_info()
            if step.trajectory is not None:  # prior context (ATIF) the agent may start from
                info["prior_trajectory"] = json.loads(step.trajectory.read_text(encoding="utf-8"))
            if step.workdir_dir is not None:
                self._copy_step_workdir(step)
            if step.healthcheck is not None:
                checked = run_healthcheck(self.sandbox, step.healthcheck, user=step.agent_user)
                info["step_healthcheck"] = checked.to_info()
        self._started = time.monotonic()

    def _copy_step_workdir(self, step: StepSpec) -> None:
        """Copy ``step.workdir_dir``'s contents into the working directory (merging into
        directories already there) and run its ``setup.sh`` there, if it has one."""
        assert self.task is not None and self.sandbox is not None and step.workdir_dir
        workdir = self.task.environment.workdir or self.sandbox.workdir
        if workdir is None:  # the image's WORKDIR: where commands start by default
            workdir = self.sandbox.exec("pwd", timeout=30).output.strip() or "/"
        # File by file, so a directory merges into one already there (as Harbor's upload
        # does) instead of replacing what earlier steps left in it.
        for path in sorted(step.workdir_dir.rglob("*")):
            if not path.is_dir():
                relative = path.relative_to(step.workdir_dir).as_posix()
                self.sandbox.upload(path, f"{workdir.rstrip('/')}/{relative}")
        if (step.workdir_dir / "setup.sh").is_file():
            run = self.sandbox.exec(
                "bash setup.sh", timeout=_SETUP_TIMEOUT, workdir=workdir, user=step.agent_user
            )
            if run.timed_out or run.exit_code != 0:
                how = "timed out" if run.timed_out else f"exited {run.exit_code}"
                raise StepSetupError(
                    f"step {step.name!r}: setup.sh {how}: {run.output[-1000:].strip()!r}"
                )

    def _next_task_step(self, info: dict[str, Any]) -> None:
        """After a graded step: hide its tests and reward, prepare the next step, and
        give the agent a fresh shell (the old one was closed for grading)."""
        assert self.sandbox is not None and self.task is not None and self._step_view is not None
        dests = [VERIFIER_LOGS_DIR, *(dest for _, dest in self._step_view.verifier.uploads)]
        clear = self.sandbox.exec(clear_paths_script(dests), timeout=60)
        if clear.exit_code != 0:
            raise SandboxError(f"clearing the graded step's tests failed: {clear.output[-300:]}")
        self._prepare_task_step(self._task_step + 1, info)
        self.shell = self._starter_for(self.task, self._task_step)(self.sandbox)
        self._last = None
        self._done = False

    def _finish(
        self, result: CommandResult, info: dict[str, Any], *, terminated: bool
    ) -> tuple[dict[str, Any], float, bool, bool, dict[str, Any]]:
        assert self.sandbox is not None and self.task is not None
        self._done = True
        if self.shell is not None:
            # The agent's terminal hangs up here; what it left running is stopped by grading,
            # unless the task keeps the agent's processes (a service it had to start).
            self.shell.close(kill=False)
        try:
            verdict = verify(
                self.sandbox,
                self._step_view or self.task,
                timeout=self.verifier_timeout,
                tamper_policy=self.tamper_policy,
                backend=self.backend,
                environment_mode=self.verifier_mode,
            )
        except SandboxError as exc:
            return self._env_error(exc, info)
        if self.task.is_multi_step:
            return self._finish_task_step(verdict, result, info, terminated=terminated)
        info["verifier"] = verdict.to_info()
        info["reward"] = verdict.reward
        if verdict.error is not None:
            info["env_error"] = verdict.infrastructure
            info["error"] = f"verifier: {verdict.error}"
        return self._observation(result), verdict.reward, terminated, not terminated, info

    def _finish_task_step(
        self,
        verdict: VerifierResult,
        result: CommandResult,
        info: dict[str, Any],
        *,
        terminated: bool,
    ) -> tuple[dict[str, Any], float, bool, bool, dict[str, Any]]:
        """A multi-step task's step was graded: go on to the next step, or end the
        episode (the last step, a failed ``min_reward``, a verifier the env failed)."""
        assert self.task is not None
        step = self.task.steps[self._task_step]
        # A step whose verifier failed scored 0 (and fails any min_reward gate).
        rewards = {**verdict.rewards, "reward": verdict.reward} if verdict.error is None else {}
        step_result = {
            "index": self._task_step,
            "name": step.name,
            "reward": verdict.reward,
            "rewards": rewards or {"reward": 0.0},
            "verifier": verdict.to_info(),
        }
        self._graded.append(step_result)
        info["step_result"] = step_result
        gate = min_reward_failure(rewards or None, step.min_reward)
        step_reward = verdict.reward if self.reward_mode == "per_step" else 0.0
        if verdict.error is not None:
            info["env_error"] = verdict.infrastructure
            info["error"] = f"verifier: {verdict.error}"
        last = self._task_step + 1 == len(self.task.steps)
        if not (last or gate or info["env_error"]):
            following = self._task_step + 1
            try:
                self._next_task_step(info)
            except (StepSetupError, HealthcheckError) as exc:
                # The agent has worked in this sandbox since the task was set up, so a next
                # step that cannot be prepared is, as far as the env can tell, its doing: the
                # step counts as failed (0), so sabotaging it never turns a poor return into
                # a discarded episode. A broken task shows up in `validate` (the oracle).
                unprepared = self.task.steps[following]
                self._graded.append(
                    {
                        "index": following,
                        "name": unprepared.name,
                        "reward": 0.0,
                        "rewards": {"reward": 0.0},
                        "verifier": {"error": str(exc), "tamper": [], "withheld": False},
                    }
                )
                gate = f"it could not be prepared: {type(exc).__name__}: {exc}"
                step = unprepared
            except SandboxError as exc:
                return self._env_error(exc, info)
            else:
                cwd = self.shell.cwd if self.shell else ""
                return (
                    self._observation(CommandResult("", 0, cwd, 0.0)),
                    step_reward,
                    False,
                    False,
                    info,
                )
        if gate is not None:
            info["stopped_by"] = f"step {step.name!r}: {gate}"
        combined = self._episode_rewards()
        info["step_rewards"] = [graded["rewards"] for graded in self._graded]
        info["reward"] = combined["reward"]
        info["verifier"] = {
            **verdict.to_info(),
            "reward": combined["reward"],
            "rewards": combined,
            "reward_strategy": self.task.reward_strategy,
            "steps": [
                {key: graded[key] for key in ("name", "reward", "rewards")}
                for graded in self._graded
            ],
            "tamper": [
                {**tamper, "step": graded["name"]}
                for graded in self._graded
                for tamper in graded["verifier"]["tamper"]
            ],
            "withheld": any(graded["verifier"]["withheld"] for graded in self._graded),
        }
        reward = step_reward if self.reward_mode == "per_step" else combined["reward"]
        if info["env_error"]:
            reward = 0.0  # not a grade of the agent
        return self._observation(result), reward, terminated, not terminated, info

    def _episode_rewards(self) -> dict[str, float]:
        """The episode's rewards from its graded steps (the task's ``reward_strategy``)."""
        assert self.task is not None
        rewards = [graded["rewards"] for graded in self._graded]
        return combine_step_rewards(rewards, self.task.reward_strategy) or {"reward": 0.0}

    def _env_error(
        self, exc: Exception, info: dict[str, Any]
    ) -> tuple[dict[str, Any], float, bool, bool, dict[str, Any]]:
        self._done = True
        info.update(env_error=True, error=f"{type(exc).__name__}: {exc}")
        if self.task is not None and self.task.is_multi_step:
            info["step_rewards"] = [graded["rewards"] for graded in self._graded]
        cwd = self.shell.cwd if self.shell is not None else ""
        obs = self._observation(CommandResult(f"[terminal-gym] {exc}", -1, cwd, 0.0))
        return obs, 0.0, False, True, info

    def _last_or_empty(self) -> CommandResult:
        cwd = self.shell.cwd if self.shell is not None else ""
        return CommandResult("", -1 if self._last is None else self._last.exit_code, cwd, 0.0)

    def _observation(self, result: CommandResult) -> dict[str, Any]:
        assert self.task is not None
        obs = {
            "instruction": (self._step_view or self.task).instruction,
            "output": result.output,
            "exit_code": max(-1, min(255, result.exit_code)),
            "cwd": _tail(result.cwd, _CWD_CHARS),
            "timed_out": int(result.timed_out),
        }
        if self.mode == "keys":
            obs["screen"] = self.shell.render() if self.shell is not None else ""
        return obs

    def _teardown(self, *, retire: bool = False) -> None:
        """Remove the episode's sandbox; ``retire``: in the pool's background, not here."""
        shell, self.shell = self.shell, None
        sandbox, self.sandbox = self.sandbox, None
        item, self._item = self._item, None
        self._done = True
        if item is not None and retire and self._pool is not None:
            if shell is not None and shell is not item.prepared:
                shell.close(kill=False)  # a later step's shell: the pool knows the first
            self._pool.retire(item)
            return
        try:
            if shell is not None:
                shell.close(kill=sandbox is None)
        finally:
            if sandbox is not None:
                sandbox.close()


class StepSetupError(SandboxError):
    """A step's ``setup.sh`` failed (the step could not be prepared)."""


def _pool_backend(
    pool: SandboxPool[Any],
    backend: str | Mapping[str, Any] | BackendConfig | Backend,
    options: dict[str, Any] | None,
) -> Backend:
    """The backend of an env on a shared pool: the pool's (a ``backend`` argument must
    agree with it, and options cannot configure it: it exists already)."""
    if options:
        raise ValueError("backend_options do not apply with a shared pool: configure its backend")
    name = getattr(pool.backend, "name", None)
    if isinstance(backend, str) and backend not in ("auto", name):
        raise ValueError(f"backend={backend!r}, but the pool's backend is {name!r}")
    if not isinstance(backend, str) and backend is not pool.backend:
        raise ValueError("backend is not the pool's backend: pass the pool alone")
    return pool.backend


def _check_positive(name: str, value: object, *, integer: bool) -> None:
    """Raise ``ValueError`` unless ``value`` is ``None`` (where allowed) or a positive number."""
    if value is None and name in ("agent_timeout", "verifier_timeout"):
        return
    number = isinstance(value, int if integer else (int, float)) and not isinstance(value, bool)
    if not (number and math.isfinite(value) and value > 0):  # type: ignore[arg-type,operator]
        kind = "integer" if integer else "number of seconds"
        raise ValueError(f"{name} must be a positive {kind}, not {value!r}")


def _tail(text: str, limit: int) -> str:
    """``text``, or ``...`` and its last characters when longer than ``limit``.

    >>> _tail("/a/very/deep/path", 10)
    '...ep/path'
    """
    return text if len(text) <= limit else "..." + text[len(text) - limit + 3 :]
