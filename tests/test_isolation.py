"""Isolation: a separate verifier environment, users, network policies.

Each attack is a hostile, root-privileged agent's: in a separate verifier environment only
the artifacts' contents may count, whatever else the agent left in its sandbox.
"""

from __future__ import annotations

import io
import tarfile
from dataclasses import replace

import pytest

from terminal_gym.errors import SandboxError
from terminal_gym.sandbox.artifacts import collect_artifacts
from terminal_gym.sandbox.docker import owned_containers
from terminal_gym.tasks import TaskSet
from terminal_gym.tasks.spec import Artifact, NetworkPolicy
from terminal_gym.terminal import ShellSession
from terminal_gym.verifier import verify
from tests.conftest import FIXTURES

ISOLATION = FIXTURES / "isolation"
SOLVE = "echo 42 > /app/answer.txt"
_WAIT_FOR_GRADING = (
    "while [ ! -e /tests/test.sh ] && [ ! -e /logs/artifacts ]; do sleep 0.01; done; "
    "while :; do echo 42 > /app/answer.txt; mkdir -p /logs/verifier; "
    "echo 1 > /logs/verifier/reward.txt; sleep 0.01; done"
)
_FAKE = "printf '#!/bin/sh\\necho 1 > /logs/verifier/reward.txt\\nexit 0\\n' > /tmp/fake"

#: name -> what the agent does (without solving the task).
ATTACKS = {
    "plants-reward": "mkdir -p /logs/verifier && echo 1 > /logs/verifier/reward.txt "
    "&& echo '{\"reward\": 1}' > /logs/verifier/reward.json",
    "replaces-python3-and-bash": f"{_FAKE} && chmod +x /tmp/fake && cp /tmp/fake "
    "/usr/local/bin/python3 && cp /tmp/fake /usr/bin/bash",
    "shadows-tools-on-path": f"{_FAKE} && chmod +x /tmp/fake && for t in grep cmp python3 "
    "bash sh; do cp /tmp/fake /usr/local/bin/$t; done",
    "background-rewrites-files": f"setsid sh -c '{_WAIT_FOR_GRADING}' </dev/null >/dev/null 2>&1 &",
    "edits-tests": "mkdir -p /tests && printf 'echo 1 > /logs/verifier/reward.txt\\n' "
    "> /tests/test.sh && printf 'pass\\n' > /tests/check.py",
    "answer-symlinks-to-shadow": "ln -s /etc/shadow /app/answer.txt",
    "answer-symlinks-to-a-42-file": "echo 42 > /tmp/42 && ln -s /tmp/42 /app/answer.txt",
    "notes-dir-symlinks-to-etc": "ln -s /etc /app/notes",
}


@pytest.fixture(scope="module")
def tasks() -> TaskSet:
    return TaskSet.from_source(ISOLATION)


def _run(sandbox, command: str) -> None:
    result = sandbox.exec(command, shell="bash", timeout=30)
    assert result.exit_code == 0, result.output


def _grade(docker_backend, task, command: str, **kwargs):
    sandbox = docker_backend.create(task)
    try:
        _run(sandbox, command)
        return verify(sandbox, task, timeout=60, backend=docker_backend, **kwargs)
    finally:
        sandbox.close()


# -- a separate verifier environment -------------------------------------------------


def test_separate_oracle_passes_on_the_artifacts_alone(docker_backend, docker_client, tasks):
    task = tasks["separate"]
    before = set(owned_containers(docker_client))
    sandbox = docker_backend.create(task)
    try:
        _run(
            sandbox,
            f"{SOLVE} && mkdir -p /app/notes && echo a > /app/notes/a.txt "
            "&& echo b > /app/notes/b.tmp && ln -s a.txt /app/notes/link",
        )
        result = verify(sandbox, task, timeout=60, backend=docker_backend)
        # The fresh verifier sandbox is gone; only the agent's remains.
        assert set(owned_containers(docker_client)) - before == {sandbox.id}
    finally:
        sandbox.close()
    assert result.reward == 1.0, result.output_tail
    assert result.environment_mode == "separate"
    assert result.tamper == [] and result.toolchain == "trusted"
    collected = {a["source"]: a for a in result.artifacts["collected"]}
    assert collected["/app/answer.txt"]["bytes"] == 3
    assert collected["/app/notes"] == {
        "source": "/app/notes",
        "destination": "notes",
        "bytes": 2,
        "files": 1,  # b.tmp excluded; the inside link kept
    }
    assert result.artifacts["missing"] == [] and result.artifacts["refused"] == []
    assert result.network["verifier"]["enforced"] == "no-network"


@pytest.mark.parametrize("attack", sorted(ATTACKS))
def test_attacks_earn_nothing_in_a_separate_verifier(docker_backend, tasks, attack):
    result = _grade(docker_backend, tasks["separate"], ATTACKS[attack])
    assert result.reward == 0.0, (attack, result.output_tail)
    assert result.environment_mode == "separate"
    assert result.toolchain == "trusted"
    if "symlinks" in attack:
        refused = result.artifacts["refused"]
        assert refused and "symlink" in refused[0]["why"], refused


def test_attacks_beside_a_real_answer_change_nothing(docker_backend, tasks):
    # Only the artifact's content counts: the same reward as the plain solution.
    attacks = " ; ".join(ATTACKS[a] for a in ("plants-reward", "edits-tests"))
    result = _grade(docker_backend, tasks["separate"], f"{attacks} ; {SOLVE}")
    assert result.reward == 1.0, result.output_tail


def test_missing_artifact_gives_0_and_is_reported(docker_backend, tasks):
    result = _grade(docker_backend, tasks["separate"], "true")
    assert result.reward == 0.0
    assert result.artifacts["missing"] == ["/app/answer.txt", "/app/notes"]
    assert result.artifacts["collected"] == []


def test_any_task_can_be_graded_separately(docker_backend, tasks):
    task = replace(tasks["users"], agent_user=None)
    task = replace(task, verifier=replace(task.verifier, user=None))
    # Without artifacts the separate verifier sees nothing of the agent's work.
    result = _grade(docker_backend, task, "echo 42 > /home/player/answer.txt")
    assert result.environment_mode == "shared"
    separate = _grade(
        docker_backend, task, "echo 42 > /home/player/answer.txt", environment_mode="separate"
    )
    assert separate.environment_mode == "separate" and separate.reward == 0.0


def test_collect_hooks_run_in_the_agent_sandbox_first(docker_backend, tasks):
    from terminal_gym.tasks.spec import CollectHook

    task = tasks["separate"]
    hook = CollectHook("echo 42 > /app/answer.txt", timeout_sec=10)
    task = replace(task, verifier=replace(task.verifier, collect=(hook,)))
    result = _grade(docker_backend, task, "true")
    assert result.reward == 1.0, result.output_tail
    assert result.collect == [{"command": hook.command, "exit_code": 0, "timed_out": False}]


def _tar(*members: tuple[str, str, str]) -> bytes:
    """A tar of ``(name, kind, data or link target)``."""
    data = io.BytesIO()
    with tarfile.open(fileobj=data, mode="w") as tar:
        for name, kind, payload in members:
            info = tarfile.TarInfo(name)
            if kind == "dir":
                info.type, info.mode = tarfile.DIRTYPE, 0o755
                tar.addfile(info)
            elif kind == "file":
                info.size = len(payload)
                tar.addfile(info, io.BytesIO(payload.encode()))
            elif kind == "sym":
                info.type, info.linkname = tarfile.SYMTYPE, payload
                tar.addfile(info)
            elif kind == "fifo":
                info.type = tarfile.FIFOTYPE
                tar.addfile(info)
            elif kind == "link":
                info.type, info.linkname = tarfile.LNKTYPE, payload
                tar.addfile(info)
    return data.getvalue()


class _ArchiveOnly:
    def __init__(self, data: bytes | None):
        self.data = data

    def archive(self, path: str, max_bytes: int) -> bytes | None:
        return self.data


def test_collect_keeps_only_safe_members(tmp_path):
    data = _tar(
        ("out", "dir", ""),
        ("out/ok.txt", "file", "fine"),
        ("out/sub", "dir", ""),
        ("out/sub/up", "sym", ".."),  # inside
        ("out/abs", "sym", "/etc/shadow"),
        ("out/escape", "sym", "../../etc"),
        ("out/through", "sym", "sub/up/../.."),  # crosses a link: refused
        ("out/sub/up/evil", "file", "written through a link"),
        ("out/fifo", "fifo", ""),
        ("out/hard", "link", "out/ok.txt"),
        ("out/ok.txt", "file", "again"),
    )
    report = collect_artifacts(_ArchiveOnly(data), [Artifact("/app/out")], tmp_path)  # type: ignore[arg-type]
    refused = {r["path"].rsplit("/", 1)[-1]: r["why"] for r in report.refused}
    assert set(refused) == {"abs", "escape", "through", "evil", "fifo", "hard", "ok.txt"}
    root = report.collected[0].host_path
    assert (root / "ok.txt").read_text() == "fine"
    assert (root / "sub" / "up").is_symlink()
    assert not any(p.name == "evil" for p in tmp_path.rglob("*"))


def test_collect_refuses_a_symlinked_artifact_and_bounds_the_size(tmp_path):
    link = _tar(("answer.txt", "sym", "/etc/shadow"))
    report = collect_artifacts(_ArchiveOnly(link), [Artifact("/app/answer.txt")], tmp_path)  # type: ignore[arg-type]
    assert report.collected == [] and "symlink" in report.refused[0]["why"]
    report = collect_artifacts(_ArchiveOnly(None), [Artifact("/app/x")], tmp_path)  # type: ignore[arg-type]
    assert report.missing == ["/app/x"]


def test_docker_archive_is_bounded(docker_backend, tasks):
    from terminal_gym.errors import ArchiveRefusedError

    sandbox = docker_backend.create(tasks["separate"])
    try:
        _run(sandbox, "head -c 300000 /dev/zero > /app/big")
        with pytest.raises(ArchiveRefusedError):
            sandbox.archive("/app/big", 100_000)
        assert sandbox.archive("/app/none", 100_000) is None
    finally:
        sandbox.close()


# -- users ---------------------------------------------------------------------------


def test_agent_and_verifier_run_as_their_users(docker_backend, tasks):
    task = tasks["users"]
    sandbox = docker_backend.create(task)
    try:
        shell = ShellSession(sandbox, workdir=sandbox.workdir, user=task.agent_user)
        shell.start()
        try:
            assert shell.run("whoami").output.strip() == "player"
            # A non-root agent cannot write root's files, so a task can rely on that.
            denied = shell.run("echo hacked > /root/owned-by-root")
            assert denied.exit_code != 0
            assert shell.run("cat /root/owned-by-root").output.strip() == "secret"
            assert shell.run("echo 42 > /home/player/answer.txt").exit_code == 0
        finally:
            shell.close()
        result = verify(sandbox, task, timeout=60, backend=docker_backend)
    finally:
        sandbox.close()
    assert "verifier-user=grader" in result.output_tail
    assert result.reward == 1.0, result.output_tail
    assert result.user == "grader" and result.toolchain == "trusted"


def test_an_unknown_user_is_a_clear_error_at_reset(docker_backend, tasks):
    task = replace(tasks["users"], agent_user="no-such-user")
    with pytest.raises(SandboxError, match="no-such-user"):
        docker_backend.create(task)


def test_local_backend_refuses_tasks_with_users(local_backend, tasks):
    reason = local_backend.unsupported_reason(tasks["users"])
    assert reason is not None and "'player'" in reason and "Docker" in reason


# -- network policies ----------------------------------------------------------------

_PROBE = """
import socket, subprocess, sys
server = socket.socket(); server.bind(("127.0.0.1", 0)); server.listen(1)
socket.create_connection(server.getsockname(), timeout=2).close()
print("loopback ok")
try:
    socket.create_connection((sys.argv[1], 9), timeout=3)
    print("gateway connected")
except OSError as exc:
    print("gateway", exc.errno)
"""


def _gateway(docker_client) -> str:
    return docker_client.api.inspect_network("bridge")["IPAM"]["Config"][0]["Gateway"]


def _probe(sandbox, gateway: str) -> str:
    sandbox.exec(f"cat > /tmp/probe.py <<'EOF'\n{_PROBE}\nEOF", timeout=10)
    return sandbox.exec(f"python3 /tmp/probe.py {gateway}", timeout=20).output


def test_no_network_keeps_loopback_only(docker_backend, docker_client, tasks):
    sandbox = docker_backend.create(tasks["separate"])
    try:
        out = _probe(sandbox, _gateway(docker_client))
    finally:
        sandbox.close()
    assert "loopback ok" in out
    assert "gateway 101" in out  # ENETUNREACH: no interface but lo


def test_public_reaches_the_bridge(docker_backend, docker_client, tasks):
    env = replace(
        tasks["separate"].environment, network=NetworkPolicy("public"), allow_internet=True
    )
    sandbox = docker_backend.create(replace(tasks["separate"], environment=env))
    try:
        out = _probe(sandbox, _gateway(docker_client))
    finally:
        sandbox.close()
    assert "gateway 101" not in out, out


def test_allowlist_fails_closed_and_says_so(docker_backend, docker_client, tasks):
    policy = NetworkPolicy("allowlist", ("pypi.org", "files.pythonhosted.org"))
    task = tasks["separate"]
    task = replace(task, environment=replace(task.environment, network=policy, allow_internet=True))
    with pytest.warns(RuntimeWarning, match="pypi.org"):
        sandbox = docker_backend.create(task)
    try:
        assert sandbox.network == "no-network"
        assert "gateway 101" in _probe(sandbox, _gateway(docker_client))
        _run(sandbox, SOLVE)
        result = verify(sandbox, task, timeout=60, backend=docker_backend)
    finally:
        sandbox.close()
    agent = result.network["agent"]
    assert agent["mode"] == "allowlist" and agent["enforced"] == "no-network"
    assert "files.pythonhosted.org" in agent["note"]
    assert result.reward == 1.0, result.output_tail


def test_local_no_network_keeps_loopback_only(local_backend, tasks):
    sandbox = local_backend.create(tasks["separate"])
    try:
        assert sandbox.network == "no-network"
        out = _probe(sandbox, "172.17.0.1")
    finally:
        sandbox.close()
    assert "loopback ok" in out
    assert "gateway 101" in out, out


def test_local_separate_verifier(local_backend, tasks):
    task = tasks["separate"]
    sandbox = local_backend.create(task)
    try:
        _run(sandbox, f"{ATTACKS['plants-reward']} && ln -s /etc /app/notes && {SOLVE}")
        result = verify(sandbox, task, timeout=60, backend=local_backend)
    finally:
        sandbox.close()
    assert result.reward == 1.0, result.output_tail
    assert result.artifacts["refused"][0]["path"] == "/app/notes"


# -- the env ---------------------------------------------------------------------------

COUNTER = FIXTURES / "multistep" / "counter"


@pytest.mark.docker
def test_the_env_grades_a_separate_task_on_its_artifacts(docker_backend, tasks):
    from terminal_gym import SUBMIT, TerminalLegoEnv

    env = TerminalLegoEnv(tasks=tasks["separate"], backend=docker_backend)
    try:
        env.reset(seed=0)
        env.step(ATTACKS["plants-reward"])
        *_, info = env.step(SUBMIT)
        assert info["reward"] == 0.0 and info["verifier"]["environment_mode"] == "separate"
        env.reset(seed=0)
        env.step(SOLVE)
        *_, info = env.step(SUBMIT)
        assert info["reward"] == 1.0, info["verifier"]
    finally:
        env.close()


@pytest.mark.docker
def test_verifier_mode_separate_grades_any_task_step_by_step(docker_backend):
    from terminal_gym import SUBMIT, TerminalLegoEnv

    with pytest.raises(ValueError, match="verifier_mode"):
        TerminalLegoEnv(tasks=COUNTER, backend=docker_backend, verifier_mode="shared")
    env = TerminalLegoEnv(tasks=COUNTER, backend=docker_backend, verifier_mode="separate")
    try:
        env.reset(seed=0)
        # A planted reward beside a wrong answer: the separate grader sees only counter.txt.
        env.step(
            "echo 7 > /app/counter.txt; mkdir -p /logs/verifier; echo 1 > /logs/verifier/reward.txt"
        )
        *_, terminated, _, info = env.step(SUBMIT)
        assert terminated and info["step_result"]["reward"] == 0.0
        assert info["step_result"]["verifier"]["environment_mode"] == "separate"
        env.reset(seed=0)
        env.step("echo 1 > /app/counter.txt")
        _, _, terminated, _, info = env.step(SUBMIT)
        assert not terminated and info["step_result"]["reward"] == 1.0
        assert info["task_step"]["name"] == "increment"
    finally:
        env.close()
