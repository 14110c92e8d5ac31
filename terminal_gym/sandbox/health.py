"""Readiness checks: wait until a sandbox's healthcheck passes (Docker ``HEALTHCHECK``).

:func:`run_healthcheck` runs a task's (or a step's) :class:`~terminal_gym.tasks.spec.Healthcheck`
in a sandbox and returns once it passes, or raises :class:`HealthcheckError` with the last
output once the sandbox counts as unhealthy. The semantics are Docker's, except that the
first probe runs at once rather than one interval in:

* during ``start_period_sec`` failures do not count; the probe repeats every
  ``start_interval_sec``;
* afterwards ``retries`` consecutive failures, ``interval_sec`` apart, mean unhealthy;
* each probe is bounded by ``timeout_sec`` (a probe that runs past it failed);
* the first success returns.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass

from terminal_gym.errors import SandboxError
from terminal_gym.sandbox.base import Sandbox
from terminal_gym.tasks.spec import Healthcheck

__all__ = ["HealthcheckError", "HealthcheckResult", "run_healthcheck"]

#: Characters of a failing probe's output kept in the error.
_OUTPUT_TAIL = 2000


@dataclass(frozen=True)
class HealthcheckResult:
    """A passed healthcheck: how many probes it took and how long (seconds)."""

    attempts: int
    duration: float

    def to_info(self) -> dict[str, float | int]:
        return asdict(self)


class HealthcheckError(SandboxError):
    """The sandbox never became healthy: an infrastructure (or task) failure.

    Attributes:
        command: the healthcheck's command.
        attempts: the probes run.
        output: the last probe's output (its tail).
    """

    def __init__(self, command: str, attempts: int, output: str, *, timed_out: bool = False):
        self.command = command
        self.attempts = attempts
        self.output = output
        self.timed_out = timed_out
        how = "timed out" if timed_out else "failed"
        super().__init__(
            f"healthcheck {command!r} {how} {attempts} time(s); last output: {output.strip()!r}"
        )

    def __reduce__(self) -> tuple[type, tuple[str, int, str], dict[str, bool]]:
        return type(self), (self.command, self.attempts, self.output), {"timed_out": self.timed_out}


def run_healthcheck(
    sandbox: Sandbox,
    healthcheck: Healthcheck,
    *,
    user: str | None = None,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> HealthcheckResult:
    """Probe ``sandbox`` with ``healthcheck`` until it passes (module docstring).

    Args:
        sandbox: where the command runs (with ``sh -c``, from the sandbox's workdir).
        healthcheck: the command and its timing.
        user: run the command as this user; ``None``: the sandbox's default user.
        clock, sleep: time sources, for tests.

    Raises:
        HealthcheckError: ``retries`` consecutive probes failed after the start period.
        SandboxError: the sandbox could not run the command at all.
    """
    command = healthcheck.command
    retries = max(1, healthcheck.retries)
    started = clock()
    attempts = failures = 0
    while True:
        attempts += 1
        result = sandbox.exec(command, timeout=healthcheck.timeout_sec, user=user)
        if result.exit_code == 0 and not result.timed_out:
            return HealthcheckResult(attempts=attempts, duration=clock() - started)
        starting = clock() - started < healthcheck.start_period_sec
        if not starting:
            failures += 1
            if failures >= retries:
                raise HealthcheckError(
                    healthcheck.command,
                    attempts,
                    result.output[-_OUTPUT_TAIL:],
                    timed_out=result.timed_out,
                )
        sleep(healthcheck.start_interval_sec if starting else healthcheck.interval_sec)
