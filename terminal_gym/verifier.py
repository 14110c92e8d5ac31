"""Grading you can trust: stop the agent, check for tampering, run the tests, read the reward.

An RL policy optimises whatever the reward measures, the grader's weaknesses included, and
the agent is root in its sandbox. So :func:`verify`:

1. **Stops the agent.** Every process the episode started is killed first, whatever
   session or group it moved to (``Sandbox.stop_processes``), so nothing the agent left can
   write during grading. A task whose graded outcome is a running service declares
   ``agent_processes = "keep"``; it is then graded in ``Sandbox.grading_view()``: on Docker
   a snapshot container that shares the service's network and process table but which the
   agent's processes cannot write into.
2. **Collects tamper evidence** (:mod:`terminal_gym.tamper`): changes to the verifier's
   files, the loader, the Python interpreters and the programs on ``PATH`` that no package
   manager accounts for. Under the default policy (``tamper_policy="zero"``) a flagged
   episode earns 0, whatever the tests say; ``info["verifier"]["tamper"]`` lists the paths
   and why, and ``verifier_reward`` keeps what the tests said.
3. **Runs the tests with a trusted toolchain** (:mod:`terminal_gym.sandbox.toolchain`):
   bash, coreutils, Python and pytest that the agent could not have touched come first on
   ``PATH``; every command of grading runs under that bash.
4. **Reads the reward** from files written only now: ``tests/`` reaches the sandbox here,
   after ``/logs/verifier`` was emptied, so nothing the agent planted counts.

The reward comes from ``/logs/verifier/reward.json`` (a flat dict of numbers, ``reward`` the
main one), else ``reward.txt`` (one float); a missing or malformed reward is a verifier
error, never a silent 0. Terminal-Bench 1 tasks are scored from pytest's ``-rA`` summary.

Failures say whose they are (``VerifierResult.infrastructure``): a verifier that wrote no
reward, or could not fetch its tooling offline, is the task's or the machine's fault
(``env_error``); a verifier that ran past its timeout (the agent's program may hang), a
full disk, or anything that goes wrong while the agent's processes were kept running is
the agent's, so a policy cannot turn a failure into a discarded episode.
"""

from __future__ import annotations

import json
import math
import re
import shlex
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import PurePosixPath
from typing import Any, Literal

from terminal_gym.errors import SandboxError, VerifierError
from terminal_gym.sandbox.base import Backend, Sandbox
from terminal_gym.sandbox.toolchain import MOUNT
from terminal_gym.tamper import Tamper, find_tamper
from terminal_gym.tasks.spec import VERIFIER_LOGS_DIR, Task

TamperPolicy = Literal["zero", "report"]
#: Where the programs a task declares as ``system_tools`` are linked at grading time.
_SYSTEM_TOOLS_DIR = "/tmp/.terminal-gym-system-tools"

_PYTEST_LINE = re.compile(
    r"^(PASSED|FAILED|ERROR|SKIPPED|XFAIL|XPASS)\s+(\S+?)(?:\s+-\s+.*)?$", re.M
)
_PASSING = {"PASSED", "SKIPPED", "XFAIL"}
_OUTPUT_TAIL = 4000
#: Lines that say the verifier's own tooling is missing (it could not be fetched).
_MISSING_TOOLING = re.compile(
    r"^.*(?:\b(?:uv|uvx|pytest|pip|pip3): (?:command )?not found"
    r"|/\.local/bin/env: No such file or directory).*$",
    re.M,
)
#: Lines that say a download failed for want of network.
_NETWORK_FAILURE = re.compile(
    r"^.*(?:Could not resolve host|Temporary failure in name resolution|"
    r"Name or service not known|Network is unreachable|Failed to establish a new "
    r"connection|Connection refused|certificate verify failed|SSL certificate problem).*$",
    re.M,
)


@dataclass(frozen=True)
class VerifierResult:
    """The outcome of grading one episode.

    Attributes:
        reward: the main reward in [0, 1] (0 on a verifier error).
        rewards: every number from ``reward.json`` (``{"reward": r}`` for reward.txt).
        exit_code: the test command's exit status (-1 on timeout).
        output_tail: the last few KB of the test command's output.
        duration: seconds the verifier took, uploads included.
        timed_out: the verifier ran past its timeout.
        tests: per-test outcomes when pytest reported them (``{"test_x": "PASSED"}``).
        error: why no reward could be read, when it could not.
        infrastructure: the error is the task's or the machine's fault, not the agent's
            (the env reports it as ``env_error``).
        tamper: what the agent changed on the verifier's path (:class:`Tamper` dicts).
        withheld: the reward was set to 0 because of ``tamper``.
        verifier_reward: the reward the tests gave, before any withholding.
        toolchain: ``"trusted"`` (the grading toolchain ran the tests), ``"host"``
            (terminal-gym's own Python and pytest, on the local backend without
            bubblewrap) or ``"sandbox"`` (the sandbox's own tools: no toolchain here).
        processes: how the agent's processes were handled: ``policy`` (``"stop"`` or
            ``"keep"``), ``method``, ``stopped``, ``survivors``.
    """

    reward: float
    rewards: dict[str, float] = field(default_factory=dict)
    exit_code: int = 0
    output_tail: str = ""
    duration: float = 0.0
    timed_out: bool = False
    tests: dict[str, str] = field(default_factory=dict)
    error: str | None = None
    infrastructure: bool = False
    tamper: list[dict[str, str]] = field(default_factory=list)
    withheld: bool = False
    verifier_reward: float | None = None
    toolchain: str = "sandbox"
    processes: dict[str, Any] = field(default_factory=dict)

    def to_info(self) -> dict[str, Any]:
        return asdict(self)


def parse_pytest_summary(output: str) -> dict[str, str]:
    """Per-test outcomes from pytest's ``-rA`` short test summary.

    >>> parse_pytest_summary("PASSED t.py::test_one\\nFAILED t.py::test_two - assert 0")
    {'t.py::test_one': 'PASSED', 't.py::test_two': 'FAILED'}
    """
    return {m[2]: m[1] for m in _PYTEST_LINE.finditer(output)}


def parse_reward(name: str, data: bytes) -> dict[str, float]:
    """Parse ``reward.json`` or ``reward.txt`` content.

    Raises:
        VerifierError: empty, not a number (``true`` is not one), too deeply nested, not
            finite, or not in [0, 1]; never anything else, whatever the bytes.
    """
    text = data.decode("utf-8", "replace").strip()
    if not text:
        raise VerifierError(f"{VERIFIER_LOGS_DIR}/{name} is empty")
    try:
        if name.endswith(".json"):
            raw = json.loads(text)
            if _is_number(raw):
                raw = {"reward": raw}
            if not isinstance(raw, dict):
                raise ValueError("not a JSON object")
            rewards = {str(k): float(v) for k, v in raw.items() if _is_number(v)}
            if "reward" not in rewards:
                if len(rewards) != 1:
                    raise ValueError('no "reward" key')
                rewards["reward"] = next(iter(rewards.values()))
        else:
            rewards = {"reward": float(text.split()[0])}
    except (ValueError, OverflowError, RecursionError) as exc:
        raise VerifierError(
            f"{VERIFIER_LOGS_DIR}/{name} is malformed ({exc}): {text[:200]!r}"
        ) from exc
    main = rewards["reward"]
    if not math.isfinite(main) or not 0.0 <= main <= 1.0:
        raise VerifierError(f"{VERIFIER_LOGS_DIR}/{name}: reward {main} is not in [0, 1]")
    return rewards


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def verify(
    sandbox: Sandbox,
    task: Task,
    *,
    timeout: float | None = None,
    tamper_policy: TamperPolicy = "zero",
    backend: Backend | None = None,
) -> VerifierResult:
    """Grade the sandbox's current state with the task's verifier (module docstring).

    Args:
        sandbox: the episode's sandbox, as the agent left it (its shell closed).
        task: the task (its verifier spec; for a multi-step task, ``task.step_task(i)``).
        timeout: overrides the task's verifier timeout.
        tamper_policy: ``"zero"`` withholds the reward of an episode with tamper
            evidence; ``"report"`` only reports it.
        backend: the backend that made ``sandbox``, for a verifier that runs in a
            separate sandbox (``environment_mode = "separate"``).

    Raises:
        SandboxError: the sandbox failed while the agent's processes were stopped
            (infrastructure, not the agent).
    """
    spec = task.verifier
    started = time.monotonic()
    if spec.agent_processes == "stop":
        report = sandbox.stop_processes()
        processes = {"policy": "stop", **asdict(report)}
        return _grade(sandbox, sandbox, task, timeout, tamper_policy, processes)
    processes = {"policy": spec.agent_processes}
    try:
        if spec.agent_processes == "share":
            return _grade(sandbox, sandbox, task, timeout, tamper_policy, processes)
        view = sandbox.grading_view()
        try:
            return _grade(sandbox, view, task, timeout, tamper_policy, processes)
        finally:
            if view is not sandbox:
                view.close()
    except SandboxError as exc:
        # The agent's processes were running: they may have caused it.
        return VerifierResult(
            reward=0.0,
            duration=time.monotonic() - started,
            error=f"grading failed while the agent's processes ran: {exc}",
            processes=processes,
        )


def _grade(
    sandbox: Sandbox,
    target: Sandbox,
    task: Task,
    timeout: float | None,
    tamper_policy: TamperPolicy,
    processes: dict[str, Any],
) -> VerifierResult:
    spec = task.verifier
    started = time.monotonic()
    live = processes["policy"] != "stop"  # the agent's processes run beside the tests
    trusted = bool(target.toolchain) and str(target.toolchain).startswith(MOUNT)
    shell = f"{MOUNT}/bin/bash" if trusted else "sh"
    path = f"{target.toolchain}:{target.system_path}" if target.toolchain else target.system_path
    tamper = find_tamper(
        sandbox.changes(),
        read=target.read_file,
        shadowed=lambda pairs: _shadowed(target, shell, path, pairs),
        path=target.system_path,
        allow_changes=spec.allow_changes,
        system_tools=spec.system_tools,
    )
    if processes.get("survivors"):
        n = processes["survivors"]
        tamper.append(Tamper("", "", "process", f"{n} process(es) survived the stop"))
    if spec.system_tools:
        path = _link_system_tools(target, shell, path, spec.system_tools)
    # One step clears /logs/verifier and every upload's destination (whatever the agent
    # put there) and makes their parents, so the uploads need no round trip of their own.
    dests = [dest for _, dest in spec.uploads]
    parents = {str(PurePosixPath(dest).parent) for dest in dests}
    # A directory is emptied rather than removed: on the local backend it is a mount point.
    prep = target.exec(
        "[ -L /logs ] && rm -f /logs; "
        f"for d in {' '.join(shlex.quote(p) for p in [VERIFIER_LOGS_DIR, *dests])}; do "
        'if [ -d "$d" ] && [ ! -L "$d" ]; then find "$d" -mindepth 1 -delete; '
        'else rm -rf "$d"; fi || exit 1; done; '
        f"mkdir -p {' '.join(shlex.quote(p) for p in sorted({VERIFIER_LOGS_DIR, *parents}))}",
        shell=shell,
        env={"PATH": path},
        timeout=60,
    )
    if prep.exit_code != 0:
        raise SandboxError(f"preparing {VERIFIER_LOGS_DIR} failed: {prep.output[-300:]}")
    for src, dest in spec.uploads:
        target.upload(src, dest, replace=False)
    env = {"PATH": path, "PYTHONDONTWRITEBYTECODE": "1", "PYTHONNOUSERSITE": "1", **spec.env}
    timeout = spec.timeout_sec if timeout is None else timeout
    run = target.exec(
        spec.command,
        shell=shell,
        timeout=timeout,
        env=env,
        workdir=task.environment.workdir,
    )
    if processes["policy"] == "share":
        # The tests shared the filesystem with the agent's live processes: anything in
        # /logs/verifier changed after the tests ended was written by one of them.
        tamper += _late_writes(target, shell, path, since=time.time())
    tests = parse_pytest_summary(run.output)
    common: dict[str, Any] = dict(
        exit_code=run.exit_code,
        output_tail=run.output[-_OUTPUT_TAIL:],
        timed_out=run.timed_out,
        tests=tests,
        tamper=[t.to_dict() for t in tamper],
        toolchain="trusted" if trusted else ("host" if target.toolchain else "sandbox"),
        processes=processes,
    )

    def failed(error: str, *, infrastructure: bool) -> VerifierResult:
        return VerifierResult(
            reward=0.0,
            duration=time.monotonic() - started,
            error=error,
            infrastructure=infrastructure and not live,
            **common,
        )

    if run.timed_out:
        return failed(f"the verifier ran past its {timeout:g}s timeout", infrastructure=False)
    try:
        rewards = _read_rewards(target, spec.reward_source, tests)
    except VerifierError as exc:
        offline = missing_tooling(run.output) if not tests else None
        if offline is not None:
            return failed(f"{exc}; {offline}", infrastructure=True)
        full = _disk_full(target, shell, path)
        if full:
            return failed(f"{exc}; {full}", infrastructure=False)
        return failed(str(exc), infrastructure=True)
    offline = missing_tooling(run.output) if not tests and rewards["reward"] == 0 else None
    if offline is not None:
        return failed(
            f"no test ran, so its reward 0 does not grade the agent: {offline}",
            infrastructure=True,
        )
    withheld = bool(tamper) and tamper_policy == "zero" and rewards["reward"] > 0
    return VerifierResult(
        reward=0.0 if withheld else rewards["reward"],
        rewards=rewards,
        duration=time.monotonic() - started,
        withheld=withheld,
        verifier_reward=rewards["reward"],
        **common,
    )


def _shadowed(
    sandbox: Sandbox, shell: str, path: str, pairs: Sequence[tuple[str, str]]
) -> set[str]:
    """Of ``(new, later)`` pairs, the later programs that exist and are another file.

    POSIX sh: without the toolchain it runs under the sandbox's own ``sh``.
    """
    lines = "\n".join(f"{new}\t{later}" for new, later in pairs)
    script = (
        "while IFS='\t' read -r new later; do\n"
        '  [ -e "$later" ] || continue\n'
        '  [ "$(readlink -f -- "$later")" = "$(readlink -f -- "$new")" ] && continue\n'
        '  printf "%s\\n" "$later"\n'
        f"done <<'__TG_PAIRS__'\n{lines}\n__TG_PAIRS__\n"
    )
    result = sandbox.exec(script, shell=shell, env={"PATH": path}, timeout=60)
    return {line for line in result.output.splitlines() if line.startswith("/")}


def _late_writes(sandbox: Sandbox, shell: str, path: str, since: float) -> list[Tamper]:
    """Files in /logs/verifier changed at ``since`` or later, or in the next 0.2 s."""
    listing = f"find {VERIFIER_LOGS_DIR} -mindepth 1 -printf '%C@ %p\\n'"
    result = sandbox.exec(
        f"{listing}; echo __TG_AGAIN__; sleep 0.2; {listing}",
        shell=shell,
        env={"PATH": path},
        timeout=30,
    )
    first, _, second = result.output.partition("__TG_AGAIN__")
    late = {
        name
        for stamp, _, name in (line.partition(" ") for line in first.splitlines())
        if name and float(stamp or 0) >= since
    }
    late |= {line.partition(" ")[2] for line in set(second.splitlines()) ^ set(first.splitlines())}
    return [
        Tamper(name, "modified", "grading-path", "written after the tests ended")
        for name in sorted(late)
        if name.startswith(VERIFIER_LOGS_DIR)
    ]


def _link_system_tools(sandbox: Sandbox, shell: str, path: str, tools: Sequence[str]) -> str:
    """Link the sandbox's own ``tools`` into a directory put first on the verifier's PATH."""
    names = " ".join(shlex.quote(t) for t in tools)
    system = shlex.quote(sandbox.system_path)
    d = _SYSTEM_TOOLS_DIR
    sandbox.exec(
        f'rm -rf {d} && mkdir -p {d} && for t in {names}; do p=$(PATH={system} command -v "$t")'
        f' && ln -s "$p" {d}/"$t"; done; true',
        shell=shell,
        env={"PATH": path},
        timeout=30,
    )
    return f"{d}:{path}"


def _disk_full(sandbox: Sandbox, shell: str, path: str) -> str | None:
    """A sentence when the sandbox's disk under /logs/verifier has no room left."""
    try:
        result = sandbox.exec(
            f"df -Pk {VERIFIER_LOGS_DIR} | tail -n 1", shell=shell, env={"PATH": path}, timeout=30
        )
    except SandboxError:
        return None
    fields = result.output.split()
    if len(fields) >= 4 and fields[3].isdigit() and int(fields[3]) < 1024:
        return f"the sandbox's disk is full ({fields[3]} KB free), so the agent left no room"
    return None


def missing_tooling(output: str) -> str | None:
    """Why a verifier could not run its tests, if its output shows missing tooling.

    Returns a sentence naming the first "uv: command not found"-style line and, when
    there is one, the network failure before it (``None`` when there is no sign).

    >>> missing_tooling("t.sh: line 3: uv: command not found")
    'the verifier could not fetch its tooling (offline?): t.sh: line 3: uv: command not found'
    """
    missing = _MISSING_TOOLING.search(output)
    if missing is None:
        return None
    network = _NETWORK_FAILURE.search(output, 0, missing.start())
    lines = ([network[0].strip()] if network else []) + [missing[0].strip()]
    return "the verifier could not fetch its tooling (offline?): " + "; ".join(
        line[:200] for line in lines
    )


def _read_rewards(sandbox: Sandbox, source: str, tests: dict[str, str]) -> dict[str, float]:
    if source == "pytest":
        if not tests:
            raise VerifierError("the verifier printed no pytest -rA summary")
        return {"reward": 1.0 if all(s in _PASSING for s in tests.values()) else 0.0}
    for name in ("reward.json", "reward.txt"):
        data = sandbox.read_file(f"{VERIFIER_LOGS_DIR}/{name}")
        if data is not None:
            return parse_reward(name, data)
    raise VerifierError(f"the verifier wrote no {VERIFIER_LOGS_DIR}/reward.json or reward.txt")
