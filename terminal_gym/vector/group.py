"""``EnvGroup``: several sub-envs in one process, stepped concurrently, each under a watchdog.

This is the body of a :class:`~terminal_gym.vector.RayVectorEnv` actor, and imports no Ray:
it runs (and is tested) as a plain object too. Each sub-env lives in a *slot* with its own
thread, so a step that blocks on its container blocks nothing else. :meth:`EnvGroup.run`
takes a batch of operations (``reset`` or ``step`` on a slot, each with a deadline in
seconds) and returns one outcome per operation; it never raises for a sub-env's failure:

* an exception out of ``reset``/``step`` becomes an ``env_error`` outcome;
* an operation still running at its deadline is abandoned: its outcome is an
  ``env_error``, and the slot is *broken*; its next ``reset`` builds a new env (whose own
  ``reset`` starts a new sandbox) and closes the old one in the background.

A step outcome is Gymnasium's ``(obs, reward, terminated, truncated, info)``; an
``env_error`` step is ``(obs, 0.0, False, True, info)`` with ``info["env_error"] = True``
and ``info["error"]``, the same contract as :class:`~terminal_gym.envs.TerminalLegoEnv`'s own
infrastructure failures. A reset outcome is ``(obs, info)``, with ``info["env_error"]``
when it failed.

Example:
    >>> factory = EnvFactory("TerminalLego-v0", {"backend": "docker"})
    >>> group = EnvGroup(factory, size=2)  # doctest: +SKIP
    >>> group.run([(0, "reset", (0, None), 60.0), (1, "reset", (1, None), 60.0)])  # doctest: +SKIP
    >>> group.run([(0, "step", "echo 0", 10.0), (1, "step", "echo 1", 10.0)])  # doctest: +SKIP
"""

from __future__ import annotations

import concurrent.futures
import logging
import os
import socket
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium import spaces

log = logging.getLogger(__name__)

#: ``(slot, kind, argument, deadline in seconds)``; kind ``"reset"`` takes ``(seed,
#: options)``, ``"step"`` takes the action.
Op = tuple[int, str, Any, float]
#: ``(result, budget)``: the reset or step result, and the slot's ``(step_timeout,
#: verifier_timeout)`` in seconds, from which the caller derives the next deadline.
Outcome = tuple[tuple, tuple[float, float]]

#: Budgets assumed for envs that do not say (not a TerminalLegoEnv underneath).
DEFAULT_STEP_TIMEOUT = 30.0
DEFAULT_VERIFIER_TIMEOUT = 600.0
#: Seconds :meth:`EnvGroup.close` waits for its envs to close (a hung one is left behind).
CLOSE_TIMEOUT = 60.0


@dataclass(frozen=True)
class EnvFactory:
    """Builds one sub-env with ``gym.make(env_id, **kwargs)``; picklable, so it travels to
    Ray actors (the kwargs must be picklable too: pass a backend by name, not as an object).

    ``overrides`` replace kwargs for one build (a group passes its shared backend and pool).
    """

    env_id: str = "TerminalLego-v0"
    kwargs: dict[str, Any] = field(default_factory=dict)

    def __call__(self, **overrides: Any) -> gym.Env:
        return gym.make(self.env_id, **{**self.kwargs, **overrides})


class _Shared:
    """What a group's TerminalLegoEnvs share: one backend (one Docker client, one set of
    image builds) and, when the kwargs ask for ``pool=<size>``, one
    :class:`~terminal_gym.sandbox.pool.SandboxPool` sized for all of them
    (``size`` per env, refilled by up to four threads).

    Only for an :class:`EnvFactory` of ``TerminalLego-v0`` (or another id with the same
    entry point) whose backend is given by name; anything else builds as it is.
    """

    def __init__(self, env_fn: Callable[..., gym.Env], envs: int):
        self.overrides: dict[str, Any] = {}
        self._backend: Any = None
        self._pool: Any = None
        if not isinstance(env_fn, EnvFactory) or not _is_terminal_lego(env_fn.env_id):
            return
        kwargs = env_fn.kwargs
        backend = kwargs.get("backend", "auto")
        if not isinstance(backend, str):
            return
        from terminal_gym.sandbox import make_backend
        from terminal_gym.sandbox.pool import SandboxPool

        self._backend = make_backend(backend, **(kwargs.get("backend_options") or {}))
        self.overrides = {"backend": self._backend, "backend_options": None}
        size = kwargs.get("pool")
        if isinstance(size, int) and not isinstance(size, bool) and size > 0:
            self._pool = SandboxPool(self._backend, size=size * envs, refill=min(4, max(2, envs)))
            self.overrides["pool"] = self._pool

    def close(self) -> None:
        try:
            if self._pool is not None:
                self._pool.close()
        finally:
            if self._backend is not None:
                self._backend.close()


def _is_terminal_lego(env_id: str) -> bool:
    try:
        entry = gym.spec(env_id).entry_point
    except gym.error.Error:
        return False
    return entry == "terminal_gym.envs:TerminalLegoEnv"


@dataclass
class _Slot:
    env: gym.Env | None = None
    executor: concurrent.futures.ThreadPoolExecutor | None = None
    last_obs: Any = None
    #: Why the env may not be used again (set when an operation failed or hung).
    broken: str | None = None
    #: Bumped when the env is replaced, so an abandoned thread cannot write into the new one.
    generation: int = 0


class EnvGroup:
    """``size`` sub-envs built by ``env_fn``, stepped concurrently (one thread per slot).

    Args:
        env_fn: builds one sub-env (e.g. an :class:`EnvFactory`). Envs are built on first
            use, which starts no sandbox (that happens on ``reset``).
        size: the number of slots.
    """

    def __init__(self, env_fn: Callable[[], gym.Env], size: int):
        if size < 1:
            raise ValueError(f"size must be at least 1, not {size!r}")
        self._env_fn = env_fn
        self._slots = [_Slot() for _ in range(size)]
        self._lock = threading.Lock()
        self._shared: _Shared | None = None  # made with the first env

    # -- what the driver asks --------------------------------------------------------

    def describe(self) -> dict[str, Any]:
        """Where this group runs: ``pid``, ``host`` and, under Ray, ``node_id``."""
        where: dict[str, Any] = {"pid": os.getpid(), "host": socket.gethostname()}
        ray = sys.modules.get("ray")
        if ray is not None and ray.is_initialized():
            where["node_id"] = ray.get_runtime_context().get_node_id()
        return where

    def spaces(self) -> dict[str, Any]:
        """The sub-envs' spaces, metadata and render mode (builds slot 0's env, no sandbox)."""
        env = self._env(0)
        return {
            "observation_space": env.observation_space,
            "action_space": env.action_space,
            "metadata": dict(env.metadata),
            "render_mode": env.render_mode,
            "budget": budget(env),
        }

    def run(self, ops: Sequence[Op]) -> list[Outcome]:
        """Run ``ops`` concurrently (at most one per slot); one outcome per op, in order."""
        if len({op[0] for op in ops}) != len(ops):
            raise ValueError("at most one operation per slot and call")
        started = time.monotonic()
        futures = [
            self._executor(slot).submit(self._run_one, slot, kind, arg)
            for slot, kind, arg, _ in ops
        ]
        outcomes = []
        for (slot, kind, _, deadline), future in zip(ops, futures, strict=True):
            try:
                remaining = started + deadline - time.monotonic()
                outcomes.append(future.result(timeout=max(0.0, remaining)))
            except concurrent.futures.TimeoutError:
                message = (
                    f"{kind} did not return within {deadline:g}s (the sub-env hung); "
                    "it is replaced at its next reset"
                )
                self._abandon(slot, message)
                outcomes.append(self._failure(slot, kind, message))
        return outcomes

    def apply(
        self,
        slots: Sequence[int],
        fn: Callable[..., Any],
        args: tuple = (),
        kwargs: dict | None = None,
    ) -> list[Any]:
        """``fn(env, *args, **kwargs)`` for each slot's env, on the slot's own thread (so it
        never overlaps an operation of that slot); the results in order. Exceptions raise."""
        options = kwargs or {}
        futures = [
            self._executor(slot).submit(self._call_on, slot, fn, args, options) for slot in slots
        ]
        return [future.result() for future in futures]

    def close(self) -> None:
        """Close every env (removing its sandbox), concurrently; idempotent."""
        with self._lock:
            envs = [(slot.env, slot.executor) for slot in self._slots]
            for slot in self._slots:
                slot.env, slot.executor = None, None
        threads = [_close_later(env) for env, _ in envs if env is not None]
        end = time.monotonic() + CLOSE_TIMEOUT
        for thread in threads:
            thread.join(max(0.0, end - time.monotonic()))
        for _, executor in envs:
            if executor is not None:
                executor.shutdown(wait=False)
        with self._lock:
            shared, self._shared = self._shared, None
        if shared is not None and all(not t.is_alive() for t in threads):
            shared.close()  # after the envs: a pooled sandbox's shell may need its thread

    # -- internals -------------------------------------------------------------------

    def _call_on(self, slot: int, fn: Callable[..., Any], args: tuple, kwargs: dict) -> Any:
        return fn(self._env(slot), *args, **kwargs)  # on the slot's thread (it may make the env)

    def _env(self, index: int) -> gym.Env:
        slot = self._slots[index]
        if slot.env is None:
            with self._lock:
                if self._shared is None:
                    self._shared = _Shared(self._env_fn, len(self._slots))
                overrides = self._shared.overrides
            slot.env = self._env_fn(**overrides) if overrides else self._env_fn()
        return slot.env

    def _executor(self, index: int) -> concurrent.futures.ThreadPoolExecutor:
        with self._lock:
            slot = self._slots[index]
            if slot.executor is None:
                slot.executor = concurrent.futures.ThreadPoolExecutor(
                    1, thread_name_prefix=f"terminal-gym-env-{index}"
                )
            return slot.executor

    def _abandon(self, index: int, reason: str) -> None:
        """Give up a slot whose operation hangs: its thread keeps the old env until
        :meth:`_replace` closes it; the slot gets a fresh thread."""
        with self._lock:
            slot = self._slots[index]
            slot.broken = reason
            if slot.executor is not None:
                slot.executor.shutdown(wait=False)
                slot.executor = None

    def _replace(self, index: int) -> gym.Env:
        slot = self._slots[index]
        old, slot.env = slot.env, None
        slot.generation += 1
        slot.broken, slot.last_obs = None, None
        if old is not None:
            _close_later(old)
        return self._env(index)

    def _run_one(self, index: int, kind: str, arg: Any) -> Outcome:
        slot = self._slots[index]
        if kind == "step" and slot.broken is not None:
            return self._failure(index, kind, f"{slot.broken}; reset it first")
        generation = None
        try:
            env = self._replace(index) if slot.broken is not None else self._env(index)
            generation = slot.generation
            if kind == "reset":
                seed, options = arg
                result: tuple = env.reset(seed=seed, options=options)
            elif kind == "step":
                result = env.step(arg)
            else:
                raise ValueError(f"unknown operation {kind!r}")
        except Exception as exc:
            message = f"{kind} raised {type(exc).__name__}: {exc}"
            if generation in (None, slot.generation):  # not an abandoned env's late failure
                log.warning("sub-env %d: %s", index, message, exc_info=True)
                slot.broken = message
            return self._failure(index, kind, message)
        if generation == slot.generation:
            slot.last_obs = result[0]
        return result, budget(env)

    def _failure(self, index: int, kind: str, message: str) -> Outcome:
        slot = self._slots[index]
        env = slot.env
        space = env.observation_space if env is not None else None
        obs = error_observation(space, slot.last_obs, message)
        return failure_result(kind, obs, message), budget(env)


def failure_result(kind: str, obs: Any, message: str) -> tuple:
    """The result of a failed ``reset`` (``(obs, info)``) or ``step`` (a truncation)."""
    info = {"env_error": True, "error": message}
    return (obs, info) if kind == "reset" else (obs, 0.0, False, True, info)


def budget(env: gym.Env | None) -> tuple[float, float]:
    """``(step_timeout, verifier_timeout)`` of ``env``: what one step may take before the
    env gives up on its command, and what grading may take if the step ends the episode."""
    base = env.unwrapped if env is not None else None
    step = getattr(base, "step_timeout", None) or DEFAULT_STEP_TIMEOUT
    verifier = getattr(base, "verifier_timeout", None)
    task = getattr(base, "task", None)
    if verifier is None and task is not None:
        verifier = getattr(getattr(task, "verifier", None), "timeout_sec", None)
    return float(step), float(verifier or DEFAULT_VERIFIER_TIMEOUT)


def error_observation(space: spaces.Space | None, last: Any, message: str) -> Any:
    """An observation for a failed step: the last one (or a blank one), with ``output``
    saying what failed and ``exit_code`` at its lowest (-1), when the space has them.

    >>> from terminal_gym.envs.spaces import TerminalText
    >>> code = spaces.Discrete(257, start=-1)
    >>> space = spaces.Dict({"output": TerminalText(100), "exit_code": code})
    >>> error_observation(space, None, "the actor died")
    {'exit_code': -1, 'output': '[terminal-gym] the actor died'}
    """
    if space is None:
        return {"output": f"[terminal-gym] {message}", "exit_code": -1}
    obs = dict(last) if isinstance(last, dict) and space.contains(last) else blank(space)
    if isinstance(space, spaces.Dict) and isinstance(obs, dict):
        output = space.spaces.get("output")
        if output is not None:
            text = f"[terminal-gym] {message}"
            obs["output"] = text[: getattr(output, "max_length", len(text))]
        code = space.spaces.get("exit_code")
        if isinstance(code, spaces.Discrete):
            obs["exit_code"] = int(code.start)
    return obs


def blank(space: spaces.Space) -> Any:
    """The emptiest value of ``space``: ``""`` for text, the lowest number, zeros.

    >>> blank(spaces.Dict({"a": spaces.Discrete(3, start=-1), "b": spaces.Box(1, 2, (2,))}))
    {'a': -1, 'b': array([1., 1.], dtype=float32)}
    """
    if isinstance(space, spaces.Dict):
        return {key: blank(sub) for key, sub in space.spaces.items()}
    if isinstance(space, spaces.Tuple):
        return tuple(blank(sub) for sub in space.spaces)
    if isinstance(space, spaces.Discrete):
        return int(space.start)
    if isinstance(space, spaces.MultiDiscrete):
        return np.array(space.start, dtype=space.dtype)
    if isinstance(space, spaces.Box):
        return np.clip(np.zeros(space.shape, dtype=space.dtype), space.low, space.high)
    if isinstance(space, spaces.MultiBinary):
        return np.zeros(space.shape, dtype=space.dtype)
    if space.contains(""):
        return ""
    return space.sample()


def _close_later(env: gym.Env) -> threading.Thread:
    """Close ``env`` on a daemon thread (a hung env may never finish closing)."""

    def close() -> None:
        try:
            env.close()
        except Exception:
            log.warning("closing a sub-env failed", exc_info=True)

    thread = threading.Thread(target=close, name="terminal-gym-close", daemon=True)
    thread.start()
    return thread
