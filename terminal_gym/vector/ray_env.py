"""``RayVectorEnv``: sub-envs in Ray actors, several per actor, on one machine or a cluster.

Sub-env ``i`` lives in actor ``i // envs_per_actor``, an
:class:`~terminal_gym.vector.group.EnvGroup` that steps its envs concurrently on threads
(the work waits on containers, not on the CPU), so ``num_envs`` envs cost
``ceil(num_envs / envs_per_actor)`` processes. Actors are dealt round-robin over the
cluster's alive nodes that have the resources they ask for (Ray's own ``"SPREAD"`` packs
zero-CPU actors on one node): each node runs its own Docker engine. See
``docs/scaling.md`` for running on a cluster.

Failures stay with the sub-env they hit (see :class:`RayVectorEnv`): the others' episodes go
on, and the trainer resets the failed one as it would any truncated episode.
"""

from __future__ import annotations

import logging
import math
import os
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import gymnasium as gym
import numpy as np
import ray
from gymnasium import spaces
from gymnasium.error import AlreadyPendingCallError, ClosedEnvironmentError, NoAsyncCallError
from gymnasium.vector import AutoresetMode, VectorEnv
from gymnasium.vector.utils import batch_space, concatenate, create_empty_array

from terminal_gym.envs import Command, Keys, TerminalText
from terminal_gym.errors import StepTimeoutError
from terminal_gym.vector.group import (
    CLOSE_TIMEOUT,
    EnvFactory,
    EnvGroup,
    blank,
    error_observation,
    failure_result,
)

log = logging.getLogger(__name__)

#: Seconds a step may take beyond its command's timeout and its verifier's (a Ctrl-C, a
#: shell restart, grading's own bookkeeping) before the actor gives the sub-env up.
STEP_MARGIN = 120.0
#: What ``ray.init`` gets when this module starts a local Ray.
LOCAL_RAY = {"include_dashboard": False, "object_store_memory": 256 * 2**20}

_RemoteGroup = ray.remote(EnvGroup)


@dataclass
class _Actor:
    """One actor and the sub-envs it hosts; ``handle`` is ``None`` once it has failed."""

    envs: list[int]
    handle: Any = None
    generation: int = 0


@dataclass
class _Call:
    """One call to an actor: ``envs[k]`` ran ``kinds[k]``; ``outcomes`` is set when the
    result is known without asking (``ref`` is then ``None``)."""

    ref: Any
    actor: int
    generation: int
    envs: list[int]
    kinds: list[str]
    deadline: float
    outcomes: list | None = None
    #: Seconds the actor was given: the longest operation's deadline.
    allowed: float = math.inf


class _Batcher(VectorEnv):
    """Gymnasium's info batching (``VectorEnv._add_info``) for any number of envs."""

    closed = True  # nothing to close

    def __init__(self, num_envs: int):
        self.num_envs = num_envs


class RayVectorEnv(VectorEnv):
    """A Gymnasium ``VectorEnv`` whose sub-envs run in Ray actors, ``envs_per_actor`` each.

    Args:
        num_envs: the number of sub-envs.
        envs_per_actor: sub-envs per actor (the last actor may get fewer).
        address: a Ray cluster to join (default: ``RAY_ADDRESS``, else a local Ray started
            here with :data:`LOCAL_RAY` and ``ray_init``). Ignored when Ray is already up.
        env_id: the registered env each sub-env is made from, ``gym.make(env_id, **env_kwargs)``.
        env_fn: instead of ``env_id``: a picklable callable building one sub-env (wrappers
            included); it runs in the actors.
        actor_options: Ray actor options, over the defaults ``num_cpus=0`` (the work is
            I/O-bound; reserve CPUs with e.g. ``{"num_cpus": 1}``), ``max_restarts=0``,
            ``max_concurrency=envs_per_actor + 4``, and actors dealt round-robin over the
            nodes that fit them (give ``scheduling_strategy`` to place them yourself).
            Ask for a custom resource (``{"resources": {"docker": 1}}``) to keep actors on
            the nodes that run Docker.
        autoreset_mode: ``NEXT_STEP`` (default) or ``DISABLED`` (``SAME_STEP`` is refused).
        step_deadline: seconds a step may run in its actor before the sub-env is declared
            hung. Default: the action's timeout (``Command.timeout``, else the env's
            ``step_timeout``) plus the task's verifier timeout plus :data:`STEP_MARGIN`.
        reset_deadline: the same for a reset (which may build an image first).
        call_grace: seconds, beyond the deadline of everything it runs, that an actor may
            take to answer before it is declared unresponsive and killed.
        ray_init: extra ``ray.init`` arguments (``num_cpus``, ``log_to_driver``, ...).
        max_episode_steps: passed to ``gym.make`` (``gym.make_vec`` passes it on).
        **env_kwargs: the sub-envs' arguments (``tasks``, ``backend``, ``mode``, ...). They
            are pickled to the actors: name a backend (``"docker"``) rather than pass one,
            and use task paths every node can read.

    Autoreset (``NEXT_STEP``, Gymnasium's default): the step after a sub-env's episode
    ended resets it, ignores its action and returns the new episode's first observation
    with reward 0, ``terminated`` and ``truncated`` False and the reset's info. A sub-env
    never reset is treated as ended. With ``DISABLED`` a step on an ended sub-env raises
    ``ValueError``; reset it with ``reset(options={"reset_mask": mask})``.

    Three ways to step:

    * ``step(actions)``: every sub-env, one call per actor; waits for all.
    * ``step_async(actions)`` then ``step_wait(timeout=None)``: the same in two halves.
    * ``send(indices, actions)`` then ``recv(timeout=None, min_ready=1)``: only the given
      sub-envs, one call each, and ``recv`` returns as soon as ``min_ready`` of the
      sub-envs in flight have a result, so a trainer driving LLM turns of different
      lengths never waits for the slowest env. Any number of ``send`` calls may be in
      flight, for different sub-envs.

    Fault isolation: a sub-env whose container dies, whose step raises, or whose step or
    reset runs past its deadline gets an ``env_error`` result (``info["env_error"]`` True,
    ``info["error"]`` says what happened, ``truncated`` True, reward 0) and is replaced
    (a new env object, hence a new sandbox) at its next reset. An actor that dies (or does
    not answer within its call's deadline plus ``call_grace``, and is then killed) fails
    the sub-envs it hosts the same way: those with a call in flight get the ``env_error``
    at once, the others with their next step. A new actor is started by the next call
    that needs one (their reset). Sub-envs of other actors never notice. A failed reset
    returns a blank observation with ``info["env_error"]``, and the sub-env counts as ended.

    Example:
        >>> envs = RayVectorEnv(4, envs_per_actor=2, backend="docker")  # doctest: +SKIP
        >>> obs, infos = envs.reset(seed=0)  # doctest: +SKIP
        >>> obs, rewards, terminated, truncated, infos = envs.step(["ls"] * 4)  # doctest: +SKIP
        >>> envs.send([0, 2], ["make", "echo hi"])  # doctest: +SKIP
        >>> ready, obs, rewards, terminated, truncated, infos = envs.recv()  # doctest: +SKIP
        >>> ready  # sub-env 2 answered first; 0 is still in flight  # doctest: +SKIP
        array([2])
        >>> envs.close()  # doctest: +SKIP
    """

    def __init__(
        self,
        num_envs: int = 1,
        *,
        envs_per_actor: int = 4,
        address: str | None = None,
        env_id: str = "TerminalLego-v0",
        env_fn: Callable[[], gym.Env] | None = None,
        actor_options: dict[str, Any] | None = None,
        autoreset_mode: AutoresetMode | str = AutoresetMode.NEXT_STEP,
        step_deadline: float | None = None,
        reset_deadline: float = 900.0,
        call_grace: float = 30.0,
        ray_init: dict[str, Any] | None = None,
        max_episode_steps: int | None = None,
        **env_kwargs: Any,
    ):
        for name, value in (("num_envs", num_envs), ("envs_per_actor", envs_per_actor)):
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ValueError(f"{name} must be a positive integer, not {value!r}")
        deadlines: tuple[tuple[str, float | None], ...] = (
            ("step_deadline", step_deadline),
            ("reset_deadline", reset_deadline),
            ("call_grace", call_grace),
        )
        for name, seconds in deadlines:
            if seconds is not None and not (isinstance(seconds, (int, float)) and seconds > 0):
                raise ValueError(f"{name} must be a positive number of seconds, not {seconds!r}")
        self.autoreset_mode = AutoresetMode(autoreset_mode)
        if self.autoreset_mode == AutoresetMode.SAME_STEP:
            raise ValueError("RayVectorEnv supports the NEXT_STEP and DISABLED autoreset modes")
        if env_fn is not None and env_kwargs:
            raise ValueError("pass either env_fn or env arguments, not both")
        if max_episode_steps is not None:
            env_kwargs["max_episode_steps"] = max_episode_steps
        self.num_envs = num_envs
        self.envs_per_actor = envs_per_actor
        self.step_deadline = step_deadline
        self.reset_deadline = float(reset_deadline)
        self.call_grace = float(call_grace)
        self._env_fn = env_fn if env_fn is not None else EnvFactory(env_id, env_kwargs)
        self._actor_options: dict[str, Any] = {
            "num_cpus": 0,
            "max_restarts": 0,
            "max_concurrency": envs_per_actor + 4,
            **(actor_options or {}),
        }
        if self._actor_options["max_concurrency"] < envs_per_actor + 1:
            raise ValueError("actor_options['max_concurrency'] must exceed envs_per_actor")
        _connect(address, ray_init)

        self._actors = [
            _Actor(list(range(start, min(start + envs_per_actor, num_envs))))
            for start in range(0, num_envs, envs_per_actor)
        ]
        self._where = [
            (a, k) for a, actor in enumerate(self._actors) for k in range(len(actor.envs))
        ]
        try:
            for a in range(len(self._actors)):
                self._spawn(a)
            first = self._actors[0].handle
            described = ray.get(first.spaces.remote(), timeout=self.reset_deadline)
        except BaseException:
            for actor in self._actors:
                if actor.handle is not None:
                    ray.kill(actor.handle, no_restart=True)
                    actor.handle = None
            raise
        self.single_observation_space = described["observation_space"]
        self.single_action_space = described["action_space"]
        self.observation_space = batch_space(self.single_observation_space, num_envs)
        self.action_space = batch_space(self.single_action_space, num_envs)
        self.metadata = {**described["metadata"], "autoreset_mode": self.autoreset_mode}
        self.render_mode = described["render_mode"]

        self._pending: dict[int, _Call] = {}
        self._results: dict[int, tuple] = {}
        #: The sub-env's episode has ended (or it was never reset): the next step resets it.
        self._done = np.ones(num_envs, dtype=np.bool_)
        #: Why a sub-env's episode is gone (its actor failed while it had no call in flight).
        self._lost: dict[int, str] = {}
        self._obs: list[Any] = [None] * num_envs
        self._budget: list[tuple[float, float]] = [described["budget"]] * num_envs

    # -- Gymnasium API -----------------------------------------------------------------

    def reset(
        self,
        *,
        seed: int | Sequence[int | None] | None = None,
        options: dict[str, Any] | None = None,
    ) -> tuple[Any, dict[str, Any]]:
        """Reset the sub-envs (all, or those in ``options["reset_mask"]``) and return the
        observations of all of them (the others' latest) and the reset ones' infos.

        Args:
            seed: ``None``; an ``int`` (sub-env ``i`` gets ``seed + i``); or one per sub-env.
            options: passed to every reset sub-env, less ``reset_mask`` (a boolean array of
                shape ``(num_envs,)``), which chooses the sub-envs to reset.

        Raises:
            AlreadyPendingCallError: a sub-env to reset has a step in flight.
        """
        self._check_open()
        seeds = _seeds(seed, self.num_envs)
        options = dict(options) if options is not None else None
        mask = options.pop("reset_mask", None) if options is not None else None
        if mask is None:
            envs = list(range(self.num_envs))
        else:
            mask = np.asarray(mask)
            if mask.shape != (self.num_envs,) or mask.dtype != np.bool_ or not mask.any():
                raise ValueError(f"reset_mask must be a bool array of shape ({self.num_envs},)")
            envs = [int(i) for i in np.flatnonzero(mask)]
        self._refuse_in_flight(envs, "reset")
        self._dispatch([(i, "reset", (seeds[i], options)) for i in envs], batched=True)
        results = self._collect(envs, len(envs), None)
        for i in range(self.num_envs):
            if self._obs[i] is None:
                self._obs[i] = blank(self.single_observation_space)
        return self._batch_obs(self._obs), self._batch_infos(
            [results[i][1] for i in envs], envs, self.num_envs
        )

    def step(self, actions: Any) -> tuple[Any, np.ndarray, np.ndarray, np.ndarray, dict]:
        """Step every sub-env (see the class docstring for autoreset); wait for all."""
        self.step_async(actions)
        return self.step_wait()

    def step_async(self, actions: Any) -> None:
        """Send one action per sub-env (one call per actor); collect with :meth:`step_wait`.

        Raises:
            AlreadyPendingCallError: some sub-env still has a call in flight.
        """
        self._check_open()
        actions = list(actions)
        if len(actions) != self.num_envs:
            raise ValueError(f"expected {self.num_envs} actions, got {len(actions)}")
        self._refuse_in_flight(range(self.num_envs), "step")
        self._dispatch(self._step_items(range(self.num_envs), actions), batched=True)

    def step_wait(
        self, timeout: float | None = None
    ) -> tuple[Any, np.ndarray, np.ndarray, np.ndarray, dict]:
        """Wait for every sub-env's result (after :meth:`step_async`, or :meth:`send` to all).

        Args:
            timeout: seconds to wait; ``None`` waits (each call still ends by its deadline).

        Raises:
            NoAsyncCallError: some sub-env has no call in flight.
            StepTimeoutError: (a ``TimeoutError``) not all results came within ``timeout``;
                they stay in flight, and
                a later ``step_wait`` (or ``recv``) returns them.
        """
        self._check_open()
        envs = list(range(self.num_envs))
        missing = [i for i in envs if not self._in_flight(i)]
        if missing:
            raise NoAsyncCallError(f"no step in flight for sub-envs {missing}", "step")
        results = self._collect(envs, self.num_envs, timeout)
        if len(results) < self.num_envs:
            self._results.update(results)
            raise StepTimeoutError(
                f"{self.num_envs - len(results)} sub-envs did not answer in time"
            )
        return self._batch_steps(envs, results)[1:]

    def send(self, indices: Iterable[int], actions: Iterable[Any]) -> None:
        """Step only ``indices`` (one call per sub-env); collect with :meth:`recv`.

        Example:
            >>> envs.send([1, 3], ["make test", "ls"])  # doctest: +SKIP

        Raises:
            AlreadyPendingCallError: one of them still has a call in flight (or an
                uncollected result).
            ValueError: an index out of range or repeated, or lengths that differ.
        """
        self._check_open()
        indices, actions = [int(i) for i in indices], list(actions)
        if len(indices) != len(actions):
            raise ValueError(f"{len(indices)} indices but {len(actions)} actions")
        if len(set(indices)) != len(indices) or not all(0 <= i < self.num_envs for i in indices):
            raise ValueError(f"indices must be distinct, in [0, {self.num_envs}): {indices}")
        self._refuse_in_flight(indices, "send")
        self._dispatch(self._step_items(indices, actions), batched=False)

    def send_reset(
        self,
        indices: Iterable[int],
        seeds: Sequence[int | None] | None = None,
        options: dict[str, Any] | Sequence[dict[str, Any] | None] | None = None,
    ) -> None:
        """Reset only ``indices`` without waiting (one call each); collect with :meth:`recv`.

        A driver running episodes of different tasks and lengths starts each sub-env's
        next episode when its last one ends, and the others go on stepping meanwhile.
        :meth:`recv` returns a reset as it returns an autoreset step: the new episode's
        first observation, reward 0, ``terminated`` False, ``truncated`` True only when
        the reset failed (``info["env_error"]``), and the reset's info.

        Args:
            indices: the sub-envs to reset (any state: a running episode is abandoned).
            seeds: ``None``, or one seed (or ``None``) per index.
            options: ``None``, one dict for all, or one (or ``None``) per index.

        Raises:
            AlreadyPendingCallError: one of them still has a call in flight.
            ValueError: an index out of range or repeated, or lengths that differ.
        """
        self._check_open()
        indices = [int(i) for i in indices]
        seeds = [None] * len(indices) if seeds is None else list(seeds)
        if options is None or isinstance(options, dict):
            options = [options] * len(indices)
        options = list(options)
        if not len(indices) == len(seeds) == len(options):
            raise ValueError(f"{len(indices)} indices, {len(seeds)} seeds, {len(options)} options")
        if len(set(indices)) != len(indices) or not all(0 <= i < self.num_envs for i in indices):
            raise ValueError(f"indices must be distinct, in [0, {self.num_envs}): {indices}")
        self._refuse_in_flight(indices, "send_reset")
        for i in indices:
            self._lost.pop(i, None)
        items = [(i, "autoreset", (s, o)) for i, s, o in zip(indices, seeds, options, strict=True)]
        self._dispatch(items, batched=False)

    def recv(
        self, timeout: float | None = None, min_ready: int = 1
    ) -> tuple[np.ndarray, Any, np.ndarray, np.ndarray, np.ndarray, dict]:
        """Collect the results of sub-envs in flight, without waiting for the others.

        Waits until at least ``min_ready`` (at most the number in flight) have a result, or
        ``timeout`` seconds pass, then returns every result there is, as
        ``(indices, obs, rewards, terminations, truncations, infos)``, batched over
        ``indices`` (sorted ascending; possibly empty after a timeout): ``rewards[k]`` is
        sub-env ``indices[k]``'s reward.

        Example:
            >>> envs.send(range(4), ["sleep 5", "ls", "ls", "ls"])  # doctest: +SKIP
            >>> ready, obs, *_ = envs.recv(min_ready=3)  # doctest: +SKIP
            >>> ready  # doctest: +SKIP
            array([1, 2, 3])

        Raises:
            NoAsyncCallError: nothing is in flight.
        """
        self._check_open()
        envs = [i for i in range(self.num_envs) if self._in_flight(i)]
        if not envs:
            raise NoAsyncCallError("recv() with nothing in flight: send() first", "step")
        results = self._collect(envs, max(1, min(min_ready, len(envs))), timeout)
        return self._batch_steps(sorted(results), results)

    def foreach_env(
        self,
        fn: Callable[..., Any],
        indices: Iterable[int] | None = None,
        *args: Any,
        **kwargs: Any,
    ) -> list[Any]:
        """``fn(sub_env, *args, **kwargs)`` in the actors, for each index (default all); the
        results in order. ``fn`` must be picklable (a module-level function)."""
        self._check_open()
        indices = list(range(self.num_envs)) if indices is None else [int(i) for i in indices]
        self._refuse_in_flight(indices, "foreach_env")
        refs = [
            self._live(self._where[i][0]).apply.remote([self._where[i][1]], fn, args, kwargs)
            for i in indices
        ]
        return [result[0] for result in ray.get(refs)]

    def call(self, name: str, *args: Any, **kwargs: Any) -> tuple[Any, ...]:
        """Call (or read) ``name`` on every sub-env, like ``SyncVectorEnv.call``."""
        return tuple(self.foreach_env(_call_attribute, None, name, args, kwargs))

    def get_attr(self, name: str) -> tuple[Any, ...]:
        """Read ``name`` from every sub-env."""
        return self.call(name)

    def render(self) -> tuple[Any, ...] | None:
        """Every sub-env's ``render()``."""
        return self.call("render")

    def actor_info(self) -> list[dict[str, Any]]:
        """Per actor: ``envs`` (the sub-envs it hosts), ``handle``, and where it runs:
        ``pid``, ``host``, ``node_id``."""
        self._check_open()
        handles = [self._live(a) for a in range(len(self._actors))]
        described = ray.get([h.describe.remote() for h in handles])
        return [
            {"envs": list(actor.envs), "handle": handle, **where}
            for actor, handle, where in zip(self._actors, handles, described, strict=True)
        ]

    def close_extras(self, **kwargs: Any) -> None:
        """Close every sub-env (removing its sandbox) and end the actors. Ray stays up."""
        actors = getattr(self, "_actors", [])  # absent when the constructor failed
        handles = [actor.handle for actor in actors if actor.handle is not None]
        for actor in actors:
            actor.handle = None
        if not handles or not ray.is_initialized():  # Ray already shut down: actors gone
            return
        refs = [handle.close.remote() for handle in handles]
        try:
            ray.wait(refs, num_returns=len(refs), timeout=CLOSE_TIMEOUT + 10)
        finally:
            for handle in handles:
                ray.kill(handle, no_restart=True)

    # -- dispatch ----------------------------------------------------------------------

    def _step_items(self, envs: Iterable[int], actions: Sequence[Any]) -> list:
        items: list[tuple[int, str, Any]] = []
        text = isinstance(self.single_action_space, (TerminalText, spaces.Text))
        for i, action in zip(envs, actions, strict=True):
            if text and not isinstance(action, (str, Command, Keys)):
                raise TypeError(f"actions are str, Command or Keys, not {type(action).__name__}")
            if not text:  # e.g. a menu's Discrete: plain Python values travel to the actors
                action = action.item() if isinstance(action, np.generic) else action
                if not self.single_action_space.contains(np.asarray(action)):
                    raise ValueError(f"action {action!r} is not in {self.single_action_space}")
            if i in self._lost:
                items.append((i, "lost", self._lost.pop(i)))
            elif not self._done[i]:
                items.append((i, "step", action))
            elif self.autoreset_mode == AutoresetMode.NEXT_STEP:
                items.append((i, "autoreset", (None, None)))
            else:
                raise ValueError(
                    f"sub-env {i}'s episode has ended (or never began): reset it with "
                    "reset(options={'reset_mask': mask}) (autoreset_mode is DISABLED)"
                )
        return items

    def _dispatch(self, items: list[tuple[int, str, Any]], *, batched: bool) -> None:
        """Send ``(env, kind, argument)`` items: one call per actor (``batched``) or per env."""
        calls: dict[Any, list] = {}
        for i, kind, arg in items:
            if kind == "lost":
                message = f"{arg}; the episode is lost"
                outcome = (failure_result("step", self._error_obs(i, message), message), None)
                self._add_call(_Call(None, -1, -1, [i], ["step"], math.inf, [outcome]))
                continue
            key = self._where[i][0] if batched else i
            calls.setdefault(key, []).append((i, kind, arg))
        now = time.monotonic()
        for chunk in calls.values():
            a = self._where[chunk[0][0]][0]
            handle = self._live(a)
            ops = [
                (self._where[i][1], _group_kind(kind), arg, self._deadline(i, kind, arg))
                for i, kind, arg in chunk
            ]
            allowed = max(op[3] for op in ops)
            envs, kinds = [i for i, _, _ in chunk], [kind for _, kind, _ in chunk]
            ref = handle.run.remote(ops)
            deadline = now + allowed + self.call_grace
            generation = self._actors[a].generation
            self._add_call(_Call(ref, a, generation, envs, kinds, deadline, allowed=allowed))

    def _add_call(self, call: _Call) -> None:
        for i in call.envs:
            self._pending[i] = call

    def _deadline(self, i: int, kind: str, action: Any) -> float:
        if kind != "step":
            return self.reset_deadline
        if self.step_deadline is not None:
            return float(self.step_deadline)
        step_timeout, verifier_timeout = self._budget[i]
        if isinstance(action, Command) and action.timeout:
            step_timeout = action.timeout
        elif isinstance(action, Keys) and action.wait:
            step_timeout = max(step_timeout, action.wait)
        return step_timeout + verifier_timeout + STEP_MARGIN

    # -- collection --------------------------------------------------------------------

    def _collect(
        self, envs: Sequence[int], min_ready: int, timeout: float | None
    ) -> dict[int, tuple]:
        """Results for (some of) ``envs``: at least ``min_ready`` unless ``timeout`` passes.
        Calls past their deadline fail their actor."""
        wanted = set(envs)
        end = None if timeout is None else time.monotonic() + timeout
        ready: list | None = None  # refs known to be ready; None: ask Ray
        while True:
            calls = {id(c): c for i in wanted if (c := self._pending.get(i)) is not None}
            for call in calls.values():
                if call.outcomes is not None:
                    self._finish(call, call.outcomes)
            remote = [c for c in calls.values() if c.outcomes is None]
            if remote:
                if ready is None:
                    refs = [c.ref for c in remote]
                    ready, _ = ray.wait(refs, num_returns=len(refs), timeout=0)
                self._finish_ready(remote, ready)
            now = time.monotonic()
            for call in remote:
                if call.deadline <= now and self._pending.get(call.envs[0]) is call:
                    waited = f"{call.allowed + self.call_grace:g}s ({call.allowed:g}s to run"
                    message = f"the actor did not answer within {waited}, call_grace)"
                    self._fail_actor(call.actor, message)
            done = [i for i in wanted if i in self._results]
            waiting = [c for c in remote if self._pending.get(c.envs[0]) is c]
            if len(done) >= min_ready or not waiting or (end is not None and now >= end):
                return {i: self._results.pop(i) for i in done}
            wait = min(c.deadline for c in waiting) - now
            if end is not None:
                wait = min(wait, end - now)
            needed = len(waiting) if min_ready >= len(wanted) else 1
            refs = [c.ref for c in waiting]
            ready, _ = ray.wait(refs, num_returns=needed, timeout=max(0.0, wait))

    def _finish_ready(self, calls: list[_Call], ready: list) -> None:
        ready_ids = {ref.hex() for ref in ready}
        done = [c for c in calls if c.ref.hex() in ready_ids and self._pending.get(c.envs[0]) is c]
        try:
            batch = ray.get([c.ref for c in done])
        except ray.exceptions.RayError:  # one failed: take them one by one
            batch = None
        for k, call in enumerate(done):
            if self._pending.get(call.envs[0]) is not call:  # failed with its actor meanwhile
                continue
            try:
                outcomes = batch[k] if batch is not None else ray.get(call.ref)
            except ray.exceptions.RayError as exc:
                self._fail_actor(call.actor, _describe(exc))
            else:
                self._finish(call, outcomes)

    def _finish(self, call: _Call, outcomes: list) -> None:
        for i, kind, (result, budget) in zip(call.envs, call.kinds, outcomes, strict=True):
            del self._pending[i]
            if budget is not None:
                self._budget[i] = tuple(budget)
            if kind == "step":
                obs, reward, terminated, truncated, info = result
                self._done[i] = bool(terminated or truncated)
                result = (obs, float(reward), bool(terminated), bool(truncated), info)
            else:
                obs, info = result
                failed = bool(info.get("env_error", False))
                self._done[i] = failed
                self._lost.pop(i, None)
                if kind == "autoreset":
                    result = (obs, 0.0, False, failed, info)
            self._obs[i] = obs
            self._results[i] = result

    def _fail_actor(self, a: int, message: str) -> None:
        """The actor is gone (or will be: it is killed): its sub-envs fail."""
        actor = self._actors[a]
        log.warning("actor %d (sub-envs %s) failed: %s", a, actor.envs, message)
        if actor.handle is not None:
            try:
                ray.kill(actor.handle, no_restart=True)
            except Exception:  # already gone
                pass
        actor.handle = None
        failed = f"the Ray actor hosting this sub-env failed: {message}"
        for i in actor.envs:
            call = self._pending.get(i)
            if call is not None and call.actor == a and call.generation == actor.generation:
                k = call.envs.index(i)
                kind = _group_kind(call.kinds[k])
                outcome = failure_result(kind, self._error_obs(i, failed), failed)
                self._finish(
                    _Call(None, a, call.generation, [i], [call.kinds[k]], math.inf),
                    [(outcome, None)],
                )
            elif call is None and not self._done[i]:
                self._lost[i] = failed

    def _spawn(self, a: int) -> Any:
        actor = self._actors[a]
        actor.generation += 1
        options = self._actor_options
        if "scheduling_strategy" not in options and "placement_group" not in options:
            options = {**options, "scheduling_strategy": _node_for(a, options)}
        actor.handle = _RemoteGroup.options(**options).remote(self._env_fn, len(actor.envs))
        return actor.handle

    def _live(self, a: int) -> Any:
        """Actor ``a``'s handle, starting a new actor if the last one failed."""
        handle = self._actors[a].handle
        return handle if handle is not None else self._spawn(a)

    # -- helpers -----------------------------------------------------------------------

    def _in_flight(self, i: int) -> bool:
        return i in self._pending or i in self._results

    def _refuse_in_flight(self, envs: Iterable[int], what: str) -> None:
        busy = [i for i in envs if self._in_flight(i)]
        if busy:
            raise AlreadyPendingCallError(
                f"{what}: sub-envs {busy} have a call in flight; collect it with recv() or "
                "step_wait()",
                "step",
            )

    def _check_open(self) -> None:
        if self.closed:
            raise ClosedEnvironmentError("this RayVectorEnv is closed")

    def _error_obs(self, i: int, message: str) -> Any:
        return error_observation(self.single_observation_space, self._obs[i], message)

    def _batch_obs(self, observations: list[Any]) -> Any:
        space = self.single_observation_space
        if not observations:
            return _empty_batch(space)
        return concatenate(space, observations, create_empty_array(space, n=len(observations)))

    def _batch_infos(self, infos: list[dict], envs: Sequence[int], n: int) -> dict[str, Any]:
        """Infos batched Gymnasium's way; ``envs[k]`` is the position of ``infos[k]``."""
        batcher = _Batcher(n)
        batched: dict[str, Any] = {}
        for position, info in zip(envs, infos, strict=True):
            batched = batcher._add_info(batched, info, position)
        return batched

    def _batch_steps(self, envs: list[int], results: dict[int, tuple]) -> tuple:
        rows = [results[i] for i in envs]
        return (
            np.array(envs, dtype=np.int64),
            self._batch_obs([r[0] for r in rows]),
            np.array([r[1] for r in rows], dtype=np.float64),
            np.array([r[2] for r in rows], dtype=np.bool_),
            np.array([r[3] for r in rows], dtype=np.bool_),
            self._batch_infos([r[4] for r in rows], range(len(rows)), len(rows)),
        )


def _group_kind(kind: str) -> str:
    return "step" if kind == "step" else "reset"


def _call_attribute(env: gym.Env, name: str, args: tuple, kwargs: dict) -> Any:
    attribute = env.get_wrapper_attr(name)
    return attribute(*args, **kwargs) if callable(attribute) else attribute


def _seeds(seed: int | Sequence[int | None] | None, n: int) -> list[int | None]:
    """Per sub-env seeds, as Gymnasium's vector envs derive them.

    >>> _seeds(7, 3), _seeds(None, 2)
    ([7, 8, 9], [None, None])
    """
    if seed is None:
        return [None] * n
    if isinstance(seed, (int, np.integer)):
        return [int(seed) + i for i in range(n)]
    seeds = list(seed)
    if len(seeds) != n:
        raise ValueError(f"expected {n} seeds, got {len(seeds)}")
    return seeds


def _empty_batch(space: gym.Space) -> Any:
    if isinstance(space, gym.spaces.Dict):
        return {key: _empty_batch(sub) for key, sub in space.spaces.items()}
    if isinstance(space, gym.spaces.Tuple):
        return tuple(_empty_batch(sub) for sub in space.spaces)
    empty = create_empty_array(space, n=0)
    return () if empty is None else empty


def _node_for(a: int, options: dict[str, Any]) -> Any:
    """Where actor ``a`` goes. Zero-CPU, zero-GPU actors (the default): the ``a``-th
    (round-robin) alive node that has the custom resources they ask for, pinned (Ray's
    ``"SPREAD"`` and soft affinities pack such actors on one node; a node lost before the
    actor starts fails the actor, and its replacement is placed afresh). Actors that reserve
    CPUs or GPUs: ``"SPREAD"``, which then weighs what each node has free."""
    from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

    if options.get("num_cpus") or options.get("num_gpus"):
        return "SPREAD"
    wants = {key: need for key, need in (options.get("resources") or {}).items() if need}
    nodes = sorted(
        node["NodeID"]
        for node in ray.nodes()
        if node.get("Alive")
        and all(node.get("Resources", {}).get(key, 0) >= need for key, need in wants.items())
    )
    if not nodes:
        return "SPREAD"
    return NodeAffinitySchedulingStrategy(nodes[a % len(nodes)], soft=False)


def _describe(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0] if text else ''}"


def _connect(address: str | None, ray_init: dict[str, Any] | None) -> None:
    """Join ``address`` (or ``RAY_ADDRESS``), else start a small local Ray, unless Ray is up."""
    if ray.is_initialized():
        return
    address = address or os.environ.get("RAY_ADDRESS") or None
    if address:
        ray.init(address=address, **(ray_init or {}))
    else:
        ray.init(**{**LOCAL_RAY, **(ray_init or {})})
