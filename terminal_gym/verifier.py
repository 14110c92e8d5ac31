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

**A separate verifier environment** (``[verifier] environment_mode = "separate"``, or
``verify(..., environment_mode="separate")`` for any task) goes further: the agent's
processes are stopped, the task's ``[[verifier.collect]]`` hooks run in its sandbox, the
declared artifacts are copied out (:mod:`terminal_gym.sandbox.artifacts`: bounded, no
symlink followed, no special file), and the tests run in a fresh sandbox of the
verifier's environment that receives only those files, at their own paths and below
``/logs/artifacts``. Nothing else of the agent's sandbox reaches the grader.

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
import tempfile
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path, PurePosixPath
from typing import Any, Literal

from terminal_gym.errors import SandboxError, VerifierError
from terminal_gym.sandbox.artifacts import ARTIFACTS_DIR, collect_artifacts
from terminal_gym.sandbox.base import (
    Backend,
    Sandbox,
    clear_paths_script,
    enforced_network,
    network_report,
)
from terminal_gym.sandbox.toolchain import MOUNT
from terminal_gym.tamper import Tamper, find_tamper
from terminal_gym.tasks.spec import VERIFIER_LOGS_DIR, CollectHook, Task

TamperPolicy = Literal["zero", "report"]
EnvironmentMode = Literal["shared", "separate"]
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
        environment_mode: ``"shared"`` (the tests ran in the agent's sandbox) or
            ``"separate"`` (in a fresh one that received only the artifacts).
        artifacts: for a separate verifier, what was taken from the agent's sandbox:
            ``collected`` (``source``, ``destination``, ``bytes``, ``files``), ``missing``
            (paths that did not exist), ``refused`` (``path``, ``why``: symlinks out,
            special files, over the size bound), ``bytes``.
        collect: for a separate verifier, the ``[[verifier.collect]]`` hooks run
            (``command``, ``exit_code``, ``timed_out``).
        network: per phase (``agent``, ``verifier``), the policy asked for (``mode``,
            ``allowed_hosts``) and the network the sandbox had (``enforced``), with a
            ``note`` where they differ (an allowlist runs with no network at all).
        user: the user the tests ran as (``None``: the image's default).
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
    environment_mode: EnvironmentMode = "shared"
    artifacts: dict[str, Any] = field(default_factory=dict)
    collect: list[dict[str, Any]] = field(default_factory=list)
    network: dict[str, Any] = field(default_factory=dict)
    user: str | None = None

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
    environment_mode: EnvironmentMode | None = None,
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
        environment_mode: overrides the task's ``[verifier] environment_mode``:
            ``"separate"`` grades any task in a fresh sandbox that receives only its
            declared artifacts (the env's ``verifier_mode``).

    Raises:
        SandboxError: the sandbox failed while the agent's processes were stopped
            (infrastructure, not the agent), or a separate verifier's sandbox could not
            be made.
        ValueError: a separate verifier without ``backend``.
    """
    spec = task.verifier
    started = time.monotonic()
    if (environment_mode or spec.environment_mode) == "separate":
        if backend is None:
            raise ValueError("a separate verifier environment needs the backend (backend=)")
        return _verify_separate(sandbox, task, backend, timeout, tamper_policy)
    network = {"agent": _network(task, sandbox)}
    if spec.agent_processes == "stop":
        report = sandbox.stop_processes()
        processes = {"policy": "stop", **asdict(report)}
        result = _grade(sandbox, sandbox, task, timeout, tamper_policy, processes)
        return replace(result, network=network)
    processes = {"policy": spec.agent_processes}
    try:
        if spec.agent_processes == "share":
            result = _grade(sandbox, sandbox, task, timeout, tamper_policy, processes)
            return replace(result, network=network)
        view = sandbox.grading_view()
        try:
            result = _grade(sandbox, view, task, timeout, tamper_policy, processes)
            return replace(result, network=network)
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


def _verify_separate(
    sandbox: Sandbox,
    task: Task,
    backend: Backend,
    timeout: float | None,
    tamper_policy: TamperPolicy,
) -> VerifierResult:
    """Collect the artifacts out of ``sandbox`` and grade them in a fresh sandbox."""
    spec = task.verifier
    started = time.monotonic()
    if spec.agent_processes == "stop":
        processes: dict[str, Any] = {"policy": "stop", **asdict(sandbox.stop_processes())}
        hooks = _run_collect_hooks(sandbox, task)
    else:  # the hooks may need the agent's service; nothing may run while files are copied
        hooks = _run_collect_hooks(sandbox, task)
        processes = {"policy": "stop", **asdict(sandbox.stop_processes())}
    grading = separate_verifier_task(task)
    with tempfile.TemporaryDirectory(prefix="terminal-gym-artifacts-") as tmp:
        report = collect_artifacts(sandbox, task.artifacts, Path(tmp))
        target = backend.create(grading)
        try:
            for artifact in report.collected:
                target.upload(artifact.host_path, artifact.source)
                target.upload(artifact.host_path, f"{ARTIFACTS_DIR}/{artifact.destination}")
            # Nothing of the agent's reaches this sandbox but the artifacts: there is no
            # tamper evidence to look for, and no process of the agent's to stop.
            result = _grade(target, target, grading, timeout, tamper_policy, processes, tamper=[])
        finally:
            target.close()
    return replace(
        result,
        duration=time.monotonic() - started,
        environment_mode="separate",
        artifacts=report.to_info(),
        collect=hooks,
        network={
            "agent": _network(task, sandbox),
            "verifier": _network(grading, target),
        },
    )


def _network(task: Task, sandbox: Sandbox) -> dict[str, object]:
    """The phase's network report; a sandbox that does not say what it enforces (a
    minimal one from elsewhere) is taken to enforce the policy."""
    enforced = getattr(sandbox, "network", None) or enforced_network(task.environment)
    return network_report(task.environment, enforced)


def separate_verifier_task(task: Task) -> Task:
    """The task a separate verifier's sandbox is made for: the verifier's environment
    (``[verifier.environment]``, else the task's), with the verifier phase's network
    policy, and grading in it as in a shared one."""
    spec = task.verifier
    env = spec.environment or task.environment
    if spec.network is not None:
        env = replace(env, network=spec.network, allow_internet=spec.network.mode != "no-network")
    verifier = replace(
        spec, environment_mode="shared", environment=None, collect=(), agent_processes="stop"
    )
    return replace(
        task, environment=env, verifier=verifier, agent_user=None, artifacts=(), steps=()
    )


def _run_collect_hooks(sandbox: Sandbox, task: Task) -> list[dict[str, Any]]:
    """Run the ``[[verifier.collect]]`` hooks in the agent's sandbox, each as its user and
    bounded by its timeout; a failing hook is reported, not fatal (its artifacts are
    then missing or stale, which the verifier judges)."""
    shell, path = _grading_shell(sandbox)
    ran = []
    for hook in task.verifier.collect:
        result = sandbox.exec(
            hook.command,
            shell=shell,
            env={"PATH": path},
            timeout=hook.timeout_sec,
            workdir=task.environment.workdir,
            **_as_user(hook),
        )
        ran.append(
            {
                "command": hook.command[:200],
                "exit_code": result.exit_code,
                "timed_out": result.timed_out,
            }
        )
    return ran


def _as_user(hook: CollectHook) -> dict[str, str]:
    return {"user": hook.user} if hook.user else {}


def _grading_shell(target: Sandbox) -> tuple[str, str]:
    """The shell grading commands run under, and their ``PATH``."""
    trusted = bool(target.toolchain) and str(target.toolchain).startswith(MOUNT)
    shell = f"{MOUNT}/bin/bash" if trusted else "sh"
    path = f"{target.toolchain}:{target.system_path}" if target.toolchain else target.system_path
    return shell, path


def _grade(
    sandbox: Sandbox,
    target: Sandbox,
    task: Task,
    timeout: float | None,
    tamper_policy: TamperPolicy,
    processes: dict[str, Any],
    *,
    tamper: list[Tamper] | None = None,
) -> VerifierResult:
    """Grade in ``target``; ``tamper``: the evidence when the caller knows it (``[]`` for a
    sandbox the agent never touched), else it is looked for in ``sandbox``."""
    spec = task.verifier
    started = time.monotonic()
    live = processes["policy"] != "stop"  # the agent's processes run beside the tests
    trusted = bool(target.toolchain) and str(target.toolchain).startswith(MOUNT)
    shell, path = _grading_shell(target)
    if tamper is None:
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
    # A verifier user gets /logs/verifier as its own, to write the reward.
    owner = f" && chown {shlex.quote(spec.user)} {VERIFIER_LOGS_DIR}" if spec.user else ""
    prep = target.exec(
        "[ -L /logs ] && rm -f /logs; "
        f"{clear_paths_script([VERIFIER_LOGS_DIR, *dests])}; "
        f"mkdir -p {' '.join(shlex.quote(p) for p in sorted({VERIFIER_LOGS_DIR, *parents}))}"
        f"{owner}",
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
        **({"user": spec.user} if spec.user else {}),
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
        user=spec.user,
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
        elsewhere = _reward_elsewhere(task)
        return failed(f"{exc}; {elsewhere}" if elsewhere else str(exc), infrastructure=True)
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


_REWARD_FILE = re.compile(r"(?<![\w.$-])(/[\w./-]*?/)?reward\.(?:txt|json)\b")


def foreign_reward_paths(script: str) -> list[str]:
    """The reward files a test script names outside ``/logs/verifier``, where
    rewards are read (a task written for another harness writes ``/app/reward.txt``).

    >>> foreign_reward_paths('echo 1 > /app/reward.txt; echo 1 > /logs/verifier/reward.txt')
    ['/app/reward.txt']
    """
    found = []
    for match in _REWARD_FILE.finditer(script):
        folder = (match[1] or "").rstrip("/")
        if folder and folder != VERIFIER_LOGS_DIR and match[0] not in found:
            found.append(match[0])
    return found


def _reward_elsewhere(task: Task) -> str | None:
    """A hint when the task's test scripts write their reward somewhere else."""
    for host, _ in task.verifier.uploads:
        scripts = sorted(host.rglob("*.sh")) if host.is_dir() else [host]
        for script in scripts:
            if script.suffix != ".sh" or script.stat().st_size > 1 << 20:
                continue
            paths = foreign_reward_paths(script.read_text(errors="replace"))
            if paths:
                return (
                    f"{script.name} writes {', '.join(paths)}, but rewards are read from "
                    f"{VERIFIER_LOGS_DIR}/ (Harbor's convention)"
                )
    return None


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
