"""A warm pool of started sandboxes, so that ``reset`` takes one that is ready.

:class:`SandboxPool` keeps started sandboxes for upcoming tasks: its user says which
tasks come next (:meth:`SandboxPool.prefetch`), a few background threads start sandboxes
for them, and :meth:`SandboxPool.acquire` hands one over. What the user does to a fresh
sandbox before it waits (the env starts its shell there) is a :class:`Preparer`, run in
the background too, so that taking a ready item costs no round trip to the backend but
one liveness check.

* **Keyed per task and preparer.** A container's configuration depends on its task
  (image, limits, environment), and a prepared item on its preparer, so items wait per
  ``(task, preparer)``. Equal preparers (frozen dataclasses) share items: several envs
  configured alike share one pool.
* **Bounded.** At most ``size`` items per key and ``max_total`` in all (waiting or being
  started), ``refill`` starts at a time, and one at a time for a task until its first
  start succeeded (its image may be building), so the pool never causes a start storm.
  Each hint (one task named to :meth:`~SandboxPool.prefetch`) asks for one item, and each
  :meth:`~SandboxPool.acquire` of that task uses one hint up; when ``max_total`` is
  reached, an item nobody hinted for, else one of the least recently wanted task, makes
  room.
* **Fresh, alive, once.** An item is handed out once and never comes back (a used
  sandbox carries its last agent's state; :meth:`~SandboxPool.retire` only removes it in
  the background). Before it is handed out it is checked: the sandbox's ``is_alive()``
  and the preparer's :meth:`~Preparer.is_ready`; a dead one is removed, never handed out.
* **Never waits for nothing.** :meth:`~SandboxPool.acquire` takes a ready item, or waits
  for one of that task being started, or else creates one in the caller's thread.
* **Errors surface.** A failed start in the background (an image that does not build, a
  daemon that does not answer) is remembered and raised, as the same exception, by the
  next :meth:`~SandboxPool.acquire` of that task; the task is not started again in the
  background until then, so a failure costs one attempt, not a loop of them.
* **Nothing left behind.** :meth:`~SandboxPool.close` (also run at interpreter exit)
  stops the threads and removes every waiting sandbox. After a crash, Docker containers
  are labelled with their owner process like any other, so ``terminal-gym reap`` removes
  them.

The pool knows nothing of shells or envs: it works with any backend (Docker, local).

Example:
    >>> from terminal_gym.sandbox import make_backend  # doctest: +SKIP
    >>> pool = SandboxPool(make_backend("docker"), size=2)  # doctest: +SKIP
    >>> pool.prefetch([task])  # doctest: +SKIP
    >>> item = pool.acquire(task)  # ready: a few milliseconds  # doctest: +SKIP
    >>> item.sandbox.exec("true").exit_code  # doctest: +SKIP
    0
    >>> pool.retire(item); pool.close()  # doctest: +SKIP

On the local backend, bubblewrap ties a sandbox's processes to the thread that started
them (``--die-with-parent``): the processes a preparer started in the pool's thread end
when the pool closes, so close a shared pool after the envs using it.
"""

from __future__ import annotations

import atexit
import itertools
import logging
import threading
import time
import weakref
from collections import OrderedDict, deque
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from terminal_gym.errors import SandboxError
from terminal_gym.sandbox.base import Backend, Sandbox
from terminal_gym.tasks.spec import Task

log = logging.getLogger(__name__)

T = TypeVar("T")

_pools: weakref.WeakSet[SandboxPool[Any]] = weakref.WeakSet()
_atexit_registered = False
_atexit_lock = threading.Lock()


class Preparer(Generic[T]):
    """What a pool's user does to a fresh sandbox before it waits in the pool.

    Subclass it, as a frozen dataclass holding the settings that matter (pooled items are
    shared between users whose preparers are equal), or give the pool a plain callable
    ``sandbox -> T`` (then items are shared by that very callable only).
    """

    def __call__(self, sandbox: Sandbox) -> T:
        """Prepare ``sandbox``; what it returns is handed out with it."""
        raise NotImplementedError

    def is_ready(self, prepared: T) -> bool:
        """Whether a waiting item is still usable; cheap (no round trip): it runs at
        every hand-out, beside the sandbox's ``is_alive()``."""
        return True

    def release(self, prepared: T) -> None:
        """Let go of what :meth:`__call__` made, just before its sandbox is removed."""


@dataclass(frozen=True)
class _Call(Preparer[Any]):
    """A plain callable as a :class:`Preparer` (``None``: nothing to prepare)."""

    fn: Callable[[Sandbox], Any] | None

    def __call__(self, sandbox: Sandbox) -> Any:
        return None if self.fn is None else self.fn(sandbox)


@dataclass(eq=False)
class PooledSandbox(Generic[T]):
    """A sandbox and what its preparer made of it, handed out once.

    Attributes:
        sandbox: the started sandbox; the receiver owns it (close it, or
            :meth:`SandboxPool.retire` the item).
        prepared: what the preparer returned.
        task: the task it was started for.
        pooled: it came ready from the pool (``False``: created by the
            :meth:`SandboxPool.acquire` call itself).
        created: when it was ready (``time.monotonic()``).
    """

    sandbox: Sandbox
    prepared: T
    task: Task
    preparer: Preparer[T] = field(repr=False)
    pooled: bool = False
    created: float = field(default_factory=time.monotonic)


@dataclass(eq=False)
class _Slot:
    """The items of one ``(task, preparer)`` key."""

    task: Task
    preparer: Preparer[Any]
    ready: deque[PooledSandbox[Any]] = field(default_factory=deque)
    demand: int = 0  # hints not yet used up by an acquire
    starting: int = 0  # being started by the pool's threads
    waiting: int = 0  # acquire calls waiting for one of those
    error: Exception | None = None
    started_once: bool = False  # until then one start at a time (an image may be building)

    def missing(self, size: int) -> int:
        return min(self.demand, size) - len(self.ready) - self.starting

    def wants_start(self, size: int) -> bool:
        if self.error is not None or (self.starting and not self.started_once):
            return False
        return self.missing(size) > 0

    def idle(self) -> bool:
        return not (self.ready or self.starting or self.waiting or self.demand or self.error)


def _task_key(task: Task) -> tuple[str, str | None]:
    return task.id, None if task.path is None else str(task.path)


class SandboxPool(Generic[T]):
    """Started sandboxes waiting for their tasks (see the module docstring).

    Args:
        backend: makes the sandboxes (``backend.create(task)``), exactly as without a pool.
        prepare: the default :class:`Preparer` (or callable) run on each fresh sandbox;
            ``None``: items are bare sandboxes. :meth:`acquire` and :meth:`prefetch`
            take one per call too.
        size: items kept ready per key at most (several envs on one task want as many).
        max_total: items waiting or being started, in all, at most (default
            ``8 * size``).
        refill: background threads, hence sandboxes started at once (default 2).

    Thread-safe. Close it (or use it as a context manager); it is also closed at exit.
    """

    def __init__(
        self,
        backend: Backend,
        prepare: Preparer[T] | Callable[[Sandbox], T] | None = None,
        *,
        size: int = 2,
        max_total: int | None = None,
        refill: int = 2,
    ):
        for name, value in (("size", size), ("max_total", max_total), ("refill", refill)):
            if value is None and name == "max_total":
                continue
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ValueError(f"{name} must be a positive integer, not {value!r}")
        self.backend = backend
        self.size = size
        self.max_total = 8 * size if max_total is None else max_total
        self.refill = refill
        self._preparer: Preparer[T] = _Call(None) if prepare is None else _as_preparer(prepare)
        self._cond = threading.Condition()
        self._slots: OrderedDict[Hashable, _Slot] = OrderedDict()  # least recently wanted first
        self._trash: deque[PooledSandbox[Any]] = deque()
        self._threads: list[threading.Thread] = []
        self._closed = False
        self._counts = dict.fromkeys(
            ("hits", "misses", "waited", "dead", "started", "failed", "evicted"), 0
        )
        _watch(self)

    def __repr__(self) -> str:
        return f"SandboxPool({getattr(self.backend, 'name', self.backend)!r}, size={self.size})"

    def __deepcopy__(self, memo: dict[int, object]) -> object:
        """A pool is a shared service: env specs holding one copy the reference."""
        return self

    def __reduce__(self) -> Any:
        raise TypeError(
            "a SandboxPool cannot leave its process (its sandboxes and threads are local): "
            "make one per process, e.g. with pool=<size>"
        )

    def __enter__(self) -> SandboxPool[T]:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def closed(self) -> bool:
        return self._closed

    # -- the user's side -----------------------------------------------------------

    def prefetch(
        self, tasks: Iterable[Task], *, prepare: Preparer[T] | Callable[[Sandbox], T] | None = None
    ) -> None:
        """Say which tasks come next: each one named asks for one ready item.

        Returns at once; the items are started in the background. No-op once closed.
        """
        preparer = self._preparer_for(prepare)
        with self._cond:
            if self._closed:
                return
            for task in tasks:
                slot = self._slot(task, preparer)
                slot.demand += 1
            self._wake()

    def withdraw(
        self, tasks: Iterable[Task], *, prepare: Preparer[T] | Callable[[Sandbox], T] | None = None
    ) -> None:
        """Take hints back (tasks that will not come after all): nothing more is started
        for them; items already waiting stay until used or evicted."""
        preparer = self._preparer_for(prepare)
        with self._cond:
            for task in tasks:
                slot = self._slots.get((*_task_key(task), preparer))
                if slot is not None:
                    slot.demand = max(slot.demand - 1, 0)

    def acquire(
        self, task: Task, *, prepare: Preparer[T] | Callable[[Sandbox], T] | None = None
    ) -> PooledSandbox[T]:
        """A started, prepared sandbox for ``task``, handed out once.

        A ready item when there is one (checked alive first), else one that the pool is
        starting for this task (waited for), else one created here and now. Uses up one
        hint of ``task``.

        Raises:
            SandboxError: the pool's last start for this task failed (the same
                exception, raised once), or creating one here failed.
        """
        preparer = self._preparer_for(prepare)
        key = (*_task_key(task), preparer)
        used_hint = False
        while True:
            item = None
            with self._cond:
                slot = self._slots.get(key)
                if slot is None or self._closed:
                    break
                self._slots.move_to_end(key)
                if not used_hint:
                    used_hint = True
                    slot.demand = max(slot.demand - 1, 0)
                if slot.error is not None:
                    error, slot.error = slot.error, None
                    self._wake()
                    raise error
                if slot.ready:
                    item = slot.ready.popleft()
                    self._wake()  # room for a replacement
                elif slot.starting > slot.waiting:
                    slot.waiting += 1
                    self._counts["waited"] += 1
                    while slot.starting and not slot.ready and slot.error is None:
                        if self._closed:
                            break
                        self._cond.wait()
                    slot.waiting -= 1
                    continue
                else:
                    break
            if self._usable(item):
                with self._cond:
                    self._counts["hits"] += 1
                item.pooled = True
                return item
            with self._cond:
                self._counts["dead"] += 1
                self._trash.append(item)
                self._wake()
        with self._cond:
            self._counts["misses"] += 1
        return self._create(task, preparer)

    def retire(self, item: PooledSandbox[T]) -> None:
        """Remove a used item, in the background (at once when the pool is closed)."""
        with self._cond:
            if not self._closed:
                self._trash.append(item)
                self._wake()
                return
        _dispose(item)

    def wait_ready(self, timeout: float | None = None) -> bool:
        """Block until every hint has its item ready (or failed); ``False`` on timeout."""
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._cond:
            while self._pending_work():
                remaining = None if deadline is None else deadline - time.monotonic()
                if remaining is not None and remaining <= 0:
                    return False
                self._cond.wait(remaining)
        return True

    def stats(self) -> dict[str, int]:
        """Counters: ``ready``, ``starting``, ``hits``, ``misses``, ``waited`` (an acquire
        waited for a start under way), ``dead`` (found dead, not handed out), ``started``,
        ``failed``, ``evicted``."""
        with self._cond:
            return {
                "ready": sum(len(s.ready) for s in self._slots.values()),
                "starting": sum(s.starting for s in self._slots.values()),
                **self._counts,
            }

    def close(self) -> None:
        """Stop the threads (after the starts under way) and remove every waiting
        sandbox. Idempotent; later, :meth:`acquire` creates items in the caller's thread
        and :meth:`prefetch` does nothing."""
        with self._cond:
            self._closed = True
            for slot in self._slots.values():
                self._trash.extend(slot.ready)
                slot.ready.clear()
                slot.demand = 0
            threads, self._threads = self._threads, []
            self._cond.notify_all()
        for thread in threads:
            if thread is not threading.current_thread():
                thread.join()
        while True:  # what no thread took (there were none, or a start ended late)
            with self._cond:
                if not self._trash:
                    break
                item = self._trash.popleft()
            _dispose(item)

    # -- internals --------------------------------------------------------------------

    def _preparer_for(self, prepare: Preparer[T] | Callable[[Sandbox], T] | None) -> Preparer[T]:
        return self._preparer if prepare is None else _as_preparer(prepare)

    def _slot(self, task: Task, preparer: Preparer[Any]) -> _Slot:
        key = (*_task_key(task), preparer)
        slot = self._slots.get(key)
        if slot is None:
            slot = self._slots[key] = _Slot(task, preparer)
        self._slots.move_to_end(key)
        return slot

    def _create(self, task: Task, preparer: Preparer[T]) -> PooledSandbox[T]:
        sandbox = self.backend.create(task)
        try:
            prepared = preparer(sandbox)
        except BaseException:
            sandbox.close()
            raise
        return PooledSandbox(sandbox, prepared, task, preparer)

    def _usable(self, item: PooledSandbox[T] | None) -> bool:
        if item is None:
            return False
        try:
            return item.preparer.is_ready(item.prepared) and item.sandbox.is_alive()
        except SandboxError:  # e.g. the daemon does not answer: nobody can tell
            return False

    def _wake(self) -> None:
        """Start the threads on first need, and wake them (the lock is held)."""
        if not self._closed and not self._threads:
            for n in range(self.refill):
                thread = threading.Thread(
                    target=self._work, name=f"terminal-gym-pool-{n}", daemon=True
                )
                self._threads.append(thread)
                thread.start()
        self._cond.notify_all()

    def _pending_work(self) -> bool:
        return (
            bool(self._trash)
            or any(s.starting for s in self._slots.values())
            or (self._plan() is not None)
        )

    def _plan(self) -> tuple[_Slot, _Slot | None] | None:
        """The key to start an item for next, and the key whose oldest waiting item goes
        first to make room (``None`` when there is room); ``None`` when nothing can start.
        The lock is held; nothing is changed."""
        wanted = [s for s in reversed(self._slots.values()) if s.wants_start(self.size)]
        if not wanted:
            return None
        slot = wanted[0]  # the most recently wanted task first
        total = sum(len(s.ready) + s.starting for s in self._slots.values())
        if total < self.max_total:
            return slot, None
        # Full: a surplus item (more waiting than hinted) goes first, else one of the
        # least recently wanted task before this one.
        others = [s for s in self._slots.values() if s is not slot and s.ready]
        surplus = [s for s in others if len(s.ready) + s.starting > s.demand]
        older = list(itertools.takewhile(lambda s: s is not slot, self._slots.values()))
        victims = surplus or [s for s in older if s.ready]
        return (slot, victims[0]) if victims else None

    def _next_job(self) -> tuple[str, Any] | None:
        """The next thing for a thread to do (the lock is held); ``None``: exit."""
        while True:
            if self._trash:
                return "dispose", self._trash.popleft()
            if self._closed:
                return None
            for key in [k for k, s in self._slots.items() if s.idle()]:
                del self._slots[key]  # tasks of a procedural family come and go
            plan = self._plan()
            if plan is None:
                self._cond.wait()
                continue
            slot, victim = plan
            if victim is None:
                slot.starting += 1
                return "start", slot
            item = victim.ready.popleft()
            victim.demand = min(victim.demand, len(victim.ready) + victim.starting)
            self._counts["evicted"] += 1
            return "dispose", item

    def _work(self) -> None:
        while True:
            with self._cond:
                job = self._next_job()
            if job is None:
                return
            kind, target = job
            if kind == "dispose":
                _dispose(target)
                with self._cond:
                    self._cond.notify_all()
                continue
            self._start(target)

    def _start(self, slot: _Slot) -> None:
        try:
            item = self._create(slot.task, slot.preparer)
        except Exception as exc:
            log.warning("starting a sandbox for task %r failed: %s", slot.task.id, exc)
            with self._cond:
                slot.starting -= 1
                slot.error = exc
                self._counts["failed"] += 1
                self._cond.notify_all()
            return
        with self._cond:
            slot.starting -= 1
            slot.started_once = True
            self._counts["started"] += 1
            if self._closed:
                self._trash.append(item)
            else:
                slot.ready.append(item)
            self._cond.notify_all()


def _as_preparer(prepare: Preparer[T] | Callable[[Sandbox], T]) -> Preparer[T]:
    if isinstance(prepare, Preparer):
        return prepare
    if not callable(prepare):
        raise TypeError(f"prepare must be a Preparer or a callable, not {prepare!r}")
    return _Call(prepare)


def _dispose(item: PooledSandbox[Any]) -> None:
    """Release what the preparer made, then remove the sandbox; never raises."""
    try:
        item.preparer.release(item.prepared)
    except Exception as exc:
        log.debug("releasing %r failed: %s", item.sandbox, exc)
    try:
        item.sandbox.close()
    except Exception as exc:
        log.warning("removing %r failed: %s", item.sandbox, exc)


def _watch(pool: SandboxPool[Any]) -> None:
    """Close ``pool`` at exit. Registered with the first pool, hence after the backend's
    own handlers, so it runs before them: no start under way outlives them."""
    global _atexit_registered
    with _atexit_lock:
        _pools.add(pool)
        if not _atexit_registered:
            _atexit_registered = True
            atexit.register(_close_pools)


def _close_pools() -> None:
    for pool in list(_pools):
        try:
            pool.close()
        except Exception:
            pass
