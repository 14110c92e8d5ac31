"""Healthchecks: Docker's timing (start period, retries, interval, timeout) on a real sandbox."""

from __future__ import annotations

import pickle

import pytest

from terminal_gym.errors import SandboxError
from terminal_gym.sandbox.health import HealthcheckError, run_healthcheck
from terminal_gym.tasks.spec import Healthcheck

pytestmark = pytest.mark.local


@pytest.fixture(scope="module")
def sandbox(local_backend, shell_task):
    sb = local_backend.create(shell_task)
    try:
        yield sb
    finally:
        sb.close()


def test_a_passing_check_returns_after_one_probe(sandbox):
    result = run_healthcheck(sandbox, Healthcheck("true"))
    assert result.attempts == 1 and result.duration >= 0
    assert result.to_info() == {"attempts": 1, "duration": result.duration}


def test_a_check_passes_once_its_file_appears(sandbox):
    sandbox.exec("rm -f /tmp/ready")
    # Each probe counts itself; the third one creates the file the fourth finds.
    command = "echo x >> /tmp/probes; [ $(wc -l < /tmp/probes) -ge 3 ] && touch /tmp/ready; "
    command = "test -f /tmp/ready || { " + command + "exit 1; }"
    sandbox.exec("rm -f /tmp/probes")
    result = run_healthcheck(
        sandbox, Healthcheck(command, interval_sec=0.01, start_interval_sec=0.01, retries=5)
    )
    assert result.attempts == 4


def test_failures_in_the_start_period_do_not_count(sandbox):
    with pytest.raises(HealthcheckError) as caught:
        run_healthcheck(
            sandbox,
            Healthcheck(
                "echo not yet; false",
                interval_sec=0.01,
                start_period_sec=0.3,
                start_interval_sec=0.02,
                retries=2,
            ),
        )
    error = caught.value
    assert isinstance(error, SandboxError)
    assert error.attempts > 2  # probes in the start period came first
    assert "not yet" in error.output and "not yet" in str(error)


def test_a_check_that_never_passes_fails_after_its_retries(sandbox):
    sleeps: list[float] = []
    with pytest.raises(HealthcheckError) as caught:
        run_healthcheck(
            sandbox,
            Healthcheck("echo down >&2; exit 3", interval_sec=0.25, retries=3),
            sleep=sleeps.append,
        )
    assert caught.value.attempts == 3 and sleeps == [0.25, 0.25]
    assert caught.value.output.strip() == "down"
    assert not caught.value.timed_out
    copy = pickle.loads(pickle.dumps(caught.value))
    assert (copy.command, copy.attempts, copy.output) == ("echo down >&2; exit 3", 3, "down\n")


def test_a_probe_past_its_timeout_fails(sandbox):
    with pytest.raises(HealthcheckError) as caught:
        run_healthcheck(sandbox, Healthcheck("sleep 5", timeout_sec=0.2, retries=1))
    assert caught.value.timed_out and "timed out" in str(caught.value)
