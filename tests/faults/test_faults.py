"""Faults and bad input on real sandboxes.

Every fault must surface as a typed error or as ``info["env_error"]`` with a clear
``info["error"]``, within the step timeout plus a few seconds; never as a traceback out
of ``env.step`` / ``env.reset``, a hang, a leaked container or lost data; and the next
``reset`` must work. Each Docker test checks at its end that no container labelled with
this process as its owner is left.

Times to surface are recorded with ``record_property`` (``--junitxml`` shows them).
"""

from __future__ import annotations

import json
import math
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import textwrap
import time
import uuid
from pathlib import Path

import docker
import docker.errors
import pytest

from terminal_gym import SUBMIT
from terminal_gym.envs import TerminalLegoEnv
from terminal_gym.errors import (
    BackendUnavailableError,
    ImageBuildError,
    TaskFormatError,
    TaskNotFoundError,
    TerminalGymError,
)
from terminal_gym.sandbox.base import LABEL_OWNER, owner_label
from terminal_gym.sandbox.docker import DockerBackend, DockerSandbox
from terminal_gym.sandbox.local import _descendants
from tests.conftest import FIXTURES, IN_CI

REPO = Path(__file__).resolve().parents[2]
TASK = "find-prod-api-key"
STEP_TIMEOUT = 3.0
#: Ctrl-C grace of the shell (ShellSession.interrupt_grace) before it is given up.
INTERRUPT_GRACE = 2.0
#: Docker round trips on a busy machine.
SLACK = 6.0


# -- helpers --------------------------------------------------------------------------


def _mine(client: docker.DockerClient) -> list:
    """Containers (any state) whose owner label names this process."""
    label = f"{LABEL_OWNER}={owner_label()}"
    return client.containers.list(all=True, filters={"label": label})


def _assert_no_leak(client: docker.DockerClient) -> None:
    left = [(c.short_id, c.status) for c in _mine(client)]
    assert not left, f"containers of this process leaked: {left}"


@pytest.fixture
def no_leak(docker_client):
    """Fails the test when it leaves a container of this process behind."""
    yield
    _assert_no_leak(docker_client)


@pytest.fixture
def episode(docker_client, docker_backend):
    """``(env, its container)``: an episode of the built-in task on Docker, under way.

    Closed afterwards, and checked for leaked containers.
    """
    env = _env(docker_backend)
    try:
        env.reset()
        yield env, docker_client.containers.get(env.unwrapped.sandbox.id)
    finally:
        env.close()
    _assert_no_leak(docker_client)


def _env(backend, **kwargs) -> TerminalLegoEnv:
    kwargs.setdefault("tasks", "builtin")
    if kwargs["tasks"] == "builtin":
        kwargs.setdefault("task", TASK)
    kwargs.setdefault("step_timeout", STEP_TIMEOUT)
    return TerminalLegoEnv(backend=backend, **kwargs)


def _timed(record_property, name: str, within: float, fn, *args):
    """``fn(*args)``, recording its duration as ``name``; it must take less than ``within``."""
    started = time.monotonic()
    result = fn(*args)
    took = time.monotonic() - started
    record_property(name, round(took, 2))
    assert took < within, f"{name}: {took:.1f}s, not under {within:.0f}s"
    return result


def _assert_env_error(step_result, *, needle: str | None = None) -> dict:
    obs, reward, terminated, truncated, info = step_result
    assert info["env_error"] is True, info
    assert truncated and not terminated and reward == 0.0
    assert isinstance(info.get("error"), str) and info["error"], info
    if needle is not None:
        assert re.search(needle, info["error"], re.I), info["error"]
    assert obs["exit_code"] == -1
    return info


def _assert_works(env: TerminalLegoEnv, **reset_kwargs) -> None:
    """A fresh episode: reset, a command, its output."""
    env.reset(**reset_kwargs)
    obs, _, term, trunc, info = env.step("echo works; pwd")
    assert obs["output"].split()[0] == "works", obs
    assert not info["env_error"] and not term and not trunc


def _task_copy(tmp_path: Path, name: str, *, test_sh: str | None = None) -> Path:
    """A copy of the shell-task fixture named ``name``, optionally with another test.sh."""
    task_dir = tmp_path / name
    shutil.copytree(FIXTURES / "shell-task", task_dir)
    toml = task_dir / "task.toml"
    toml.write_text(toml.read_text().replace("terminal-gym/shell-task", f"terminal-gym/{name}"))
    if test_sh is not None:
        (task_dir / "tests" / "test.sh").write_text("#!/bin/bash\n" + test_sh + "\n")
    return task_dir


# -- 1. the container killed or removed from outside -----------------------------------


@pytest.mark.docker
@pytest.mark.parametrize("how", ["kill", "rm"])
def test_container_killed_from_outside(how, episode, record_property):
    env, container = episode
    assert env.step("echo up")[0]["output"] == "up\n"
    container.kill() if how == "kill" else container.remove(force=True)
    within = STEP_TIMEOUT + SLACK
    result = _timed(record_property, "surface_s", within, env.step, "echo still there?")
    _assert_env_error(result, needle="gone|died|not running")
    with pytest.raises(TerminalGymError, match="after the episode ended"):
        env.step("echo again")
    _assert_works(env)


# -- 2. the container paused from outside ----------------------------------------------


@pytest.mark.docker
def test_container_paused_from_outside(episode, docker_client, record_property):
    env, container = episode
    container.pause()
    within = STEP_TIMEOUT + INTERRUPT_GRACE + SLACK
    result = _timed(record_property, "surface_s", within, env.step, "echo hello")
    _assert_env_error(result, needle="paused|not running|gone")
    # reset removes the paused container and starts a working one
    _assert_works(env)
    with pytest.raises(docker.errors.NotFound):
        container.reload()
    # close() removes a paused container too
    container = docker_client.containers.get(env.unwrapped.sandbox.id)
    container.pause()
    _timed(record_property, "close_paused_s", SLACK, env.close)
    with pytest.raises(docker.errors.NotFound):
        container.reload()


# -- 3. the agent's shell killed from outside ------------------------------------------


@pytest.mark.docker
def test_shell_killed_from_another_exec(episode, record_property):
    env, container = episode
    env.step("cd /tmp && echo kept > /tmp/state.txt")
    pid = env.unwrapped.shell.pid
    assert pid is not None
    code, out = container.exec_run(["sh", "-c", f"kill -9 {pid}"])  # `docker exec ... kill`
    assert code == 0, out
    result = _timed(record_property, "surface_s", STEP_TIMEOUT + SLACK, env.step, "echo after")
    info = result[4]
    record_property("outcome", "env_error" if info["env_error"] else "shell_restarted")
    if info["env_error"]:
        _assert_env_error(result)
        _assert_works(env)
        return
    assert info["shell_restarted"] is True, info
    obs, *_, info = env.step("cat /tmp/state.txt")
    assert obs["output"] == "kept\n" and not info["env_error"]  # the files survived
    obs, *_ = env.step("echo fine")
    assert obs["output"] == "fine\n"
    _, reward, term, _, info = env.step(SUBMIT)
    assert term and not info["env_error"] and 0.0 <= reward <= 1.0


@pytest.mark.local
def test_shell_killed_on_the_local_backend(local_backend, shell_task, record_property):
    env = TerminalLegoEnv(tasks=shell_task.path, backend=local_backend, step_timeout=STEP_TIMEOUT)
    try:
        env.reset()
        env.step("echo kept > /app/state.txt")
        # the shell's bash, a host process below its bubblewrap
        pty = env.unwrapped.shell._pty.child
        shells = [
            pid
            for pid in _descendants({pty.pid})
            if Path(f"/proc/{pid}/comm").read_text().strip() == "bash"
        ]
        assert len(shells) == 1, shells
        os.kill(shells[0], signal.SIGKILL)
        deadline = time.monotonic() + 5
        while pty.isalive() and time.monotonic() < deadline:  # bubblewrap follows it
            time.sleep(0.05)
        result = _timed(record_property, "surface_s", STEP_TIMEOUT + SLACK, env.step, "echo after")
        info = result[4]
        assert info["env_error"] or info["shell_restarted"], info
        if not info["env_error"]:
            obs, *_ = env.step("cat /app/state.txt")
            assert obs["output"] == "kept\n"
        _assert_works(env)
    finally:
        env.close()


# -- 4. the Docker daemon restarted mid-episode ----------------------------------------


class PrivateDockerd:
    """A second, throw-away ``dockerd`` with its own data root, exec root and socket.

    The machine's own daemon is never touched. The private one gets a bridge of its own
    (``--bridge=none`` would make dockerd delete the host's ``docker0``, which the
    machine's daemon needs to build images) and no iptables rules.
    """

    def __init__(self) -> None:
        # A short path: a unix socket path must fit in 108 bytes.
        self.root = Path(tempfile.mkdtemp(prefix="tgd-", dir="/tmp"))
        self.bridge = f"tgd{os.getpid() % 100000}"
        subprocess.run(["ip", "link", "del", self.bridge], capture_output=True, check=False)
        subprocess.run(["ip", "link", "add", self.bridge, "type", "bridge"], check=True)
        subprocess.run(["ip", "addr", "add", "10.213.7.1/24", "dev", self.bridge], check=True)
        self.sock = self.root / "d.sock"
        self.url = f"unix://{self.sock}"
        self.proc: subprocess.Popen | None = None
        (self.root / "daemon.json").write_text("{}")

    def start(self, timeout: float = 60.0) -> docker.DockerClient:
        self._clear_stale_pidfiles()
        log = open(self.root / "dockerd.log", "ab")  # noqa: SIM115 (kept by the process)
        self.proc = subprocess.Popen(
            [
                shutil.which("dockerd") or "dockerd",
                "--config-file",
                str(self.root / "daemon.json"),
                "--data-root",
                str(self.root / "data"),
                "--exec-root",
                str(self.root / "exec"),
                "--pidfile",
                str(self.root / "dockerd.pid"),
                "-H",
                self.url,
                f"--bridge={self.bridge}",
                "--iptables=false",
                "--ip-forward=false",
                "--ip-masq=false",
                "--userland-proxy=false",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()
        deadline = time.monotonic() + timeout
        while True:
            try:
                client = docker.DockerClient(base_url=self.url, timeout=5)
                client.ping()
                client.api.timeout = 120
                return client
            except Exception:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(
                        f"the private dockerd did not come up: {self.log_tail()}"
                    ) from None
                time.sleep(0.3)

    def log_tail(self) -> str:
        try:
            return (self.root / "dockerd.log").read_text(errors="replace")[-1500:]
        except OSError:
            return ""

    def kill(self) -> None:
        """SIGKILL the daemon (a crash); its containerd dies with it, its shims do not."""
        assert self.proc is not None
        self.proc.kill()
        self.proc.wait(timeout=30)

    def _clear_stale_pidfiles(self) -> None:
        """What an init system does after a crash: drop pid files of dead processes.

        A crashed daemon's containerd is killed with it but may linger as a zombie
        (this machine's process 1 reaps slowly); a restarted dockerd would take it for a
        live containerd and wait for its socket in vain.
        """
        for pidfile in (self.root / "dockerd.pid", self.root / "exec/containerd/containerd.pid"):
            try:
                pid = int(pidfile.read_text().strip())
            except (OSError, ValueError):
                continue
            try:
                state = Path(f"/proc/{pid}/stat").read_bytes().rsplit(b")", 1)[1].split()[0]
            except OSError:
                state = b"X"
            if state in (b"Z", b"X"):
                pidfile.unlink(missing_ok=True)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=40)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=30)

    def _own_processes(self) -> list[int]:
        """containerd and its shims that this daemon started (they name our root)."""
        found = []
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                cmdline = Path(f"/proc/{entry}/cmdline").read_bytes()
            except OSError:
                continue
            if str(self.root).encode() in cmdline:
                found.append(int(entry))
        return found

    def teardown(self) -> None:
        self.stop()
        for pid in self._own_processes():
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        mounts = []
        with open("/proc/self/mountinfo") as fh:
            for line in fh:
                point = line.split()[4].replace("\\040", " ")
                if point.startswith(str(self.root) + "/"):
                    mounts.append(point)
        for point in sorted(mounts, key=len, reverse=True):
            subprocess.run(["umount", "-l", point], capture_output=True, check=False)
        shutil.rmtree(self.root, ignore_errors=True)
        subprocess.run(["ip", "link", "del", self.bridge], capture_output=True, check=False)


def _second_daemon_unavailable() -> str | None:
    if os.geteuid() != 0:
        return "a second dockerd needs root"
    if shutil.which("dockerd") is None:
        return "dockerd is not installed"
    if shutil.which("ip") is None:
        return "iproute2 (ip) is not installed: the private daemon needs a bridge of its own"
    return None


@pytest.fixture
def private_dockerd(docker_client):
    reason = _second_daemon_unavailable()
    if reason:
        if IN_CI:
            pytest.fail(reason)
        pytest.skip(reason)
    daemon = PrivateDockerd()
    try:
        try:
            client = daemon.start()
        except RuntimeError as exc:
            if IN_CI:
                raise
            pytest.skip(f"a second dockerd cannot run here: {exc}")
        image = "terminal-gym/python:3-bookworm"
        save = subprocess.Popen(["docker", "save", image], stdout=subprocess.PIPE)
        load = subprocess.run(
            ["docker", "-H", daemon.url, "load"],
            stdin=save.stdout,
            capture_output=True,
            timeout=300,
            check=False,
        )
        save.stdout.close()
        assert save.wait(timeout=60) == 0 and load.returncode == 0, load.stderr
        client.close()
        yield daemon
    finally:
        daemon.teardown()


@pytest.mark.docker
@pytest.mark.slow
def test_daemon_restarted_mid_episode(private_dockerd, shell_task, record_property):
    client = docker.DockerClient(base_url=private_dockerd.url, timeout=120)
    # DockerBackend may warn that it grades with the sandbox's tools on this daemon.
    backend = DockerBackend(client, reap_stale=False)
    env = TerminalLegoEnv(tasks=shell_task.path, backend=backend, step_timeout=STEP_TIMEOUT)
    try:
        env.reset()
        assert env.step("echo up")[0]["output"] == "up\n"
        first = env.unwrapped.sandbox.id

        # the daemon crashes: the step fails fast, with env_error
        private_dockerd.kill()
        within = STEP_TIMEOUT + SLACK
        result = _timed(record_property, "step_daemon_down_s", within, env.step, "echo there?")
        _assert_env_error(result, needle="daemon|gone|connect")

        # a reset while it is down fails fast, with a typed error
        started = time.monotonic()
        with pytest.raises(BackendUnavailableError, match="daemon does not answer"):
            env.reset()
        record_property("reset_daemon_down_s", round(time.monotonic() - started, 2))
        assert time.monotonic() - started < SLACK * 2

        # the daemon is back: reset works, the episode grades, the old container goes
        private_dockerd.start()
        started = time.monotonic()
        _assert_works(env)
        record_property("reset_after_restart_s", round(time.monotonic() - started, 2))
        env.step("echo done > /app/result.txt")
        _, reward, term, _, info = env.step(SUBMIT)
        assert term and not info["env_error"] and reward == 1.0, info
        expected = "trusted" if backend.toolchain is not None else "sandbox"
        assert info["verifier"]["toolchain"] == expected
        record_property("toolchain", info["verifier"]["toolchain"])
        with pytest.raises(docker.errors.NotFound):
            client.containers.get(first)

        # a daemon crash while the episode is being graded
        env.reset()
        private_dockerd.kill()
        result = _timed(record_property, "submit_daemon_down_s", SLACK, env.step, SUBMIT)
        _assert_env_error(result, needle="daemon|gone|connect")
        private_dockerd.start()
        _assert_works(env)
    finally:
        env.close()
    owned = client.containers.list(all=True, filters={"label": f"{LABEL_OWNER}={owner_label()}"})
    assert not owned, [c.short_id for c in owned]
    client.close()


# -- 5. an image build that fails ------------------------------------------------------


@pytest.mark.docker
def test_image_build_failure(docker_client, docker_backend, tmp_path, no_leak, record_property):
    marker = f"tg-fault-{uuid.uuid4().hex[:8]}"
    bad = _task_copy(tmp_path, "bad-build")
    dockerfile = bad / "environment" / "Dockerfile"
    dockerfile.write_text(dockerfile.read_text() + f"RUN echo {marker} && exit 3 # {marker}\n")
    good = _task_copy(tmp_path, "good-build")
    env = TerminalLegoEnv(tasks=[bad, good], backend=docker_backend, step_timeout=STEP_TIMEOUT)
    try:
        started = time.monotonic()
        with pytest.raises(ImageBuildError) as caught:
            env.reset(options={"task": "bad-build"})
        record_property("surface_s", round(time.monotonic() - started, 2))
        assert isinstance(caught.value, TerminalGymError)
        message = str(caught.value)
        assert "bad-build" in message and marker in message  # the build log's tail
        assert "3" in message
        with pytest.raises(TerminalGymError):
            env.step("echo no episode")
        # no build container is left behind
        left = [
            c.short_id
            for c in docker_client.containers.list(all=True, sparse=True)
            if marker in str(c.attrs.get("Command", ""))
        ]
        assert not left, left
        _assert_works(env, options={"task": "good-build"})
        # the failure is not cached: it fails again, the same way
        with pytest.raises(ImageBuildError):
            env.reset(options={"task": "bad-build"})
    finally:
        env.close()


# -- 6. a full disk inside the sandbox -------------------------------------------------


@pytest.mark.docker
def test_full_disk_in_the_sandbox(docker_client, tmp_path, no_leak, record_property):
    """The agent fills /logs (a 2 MB tmpfs): its command fails normally; grading cannot
    write the reward, which is the agent's doing (reward 0, not an env_error)."""
    task_dir = _task_copy(tmp_path, "full-disk")
    env = TerminalLegoEnv(
        tasks=task_dir,
        backend="docker",
        step_timeout=STEP_TIMEOUT,
        backend_options={
            "client": docker_client,
            "reap_stale": False,
            "tmpfs": {"/logs": "size=2m"},
        },
    )
    try:
        env.reset()
        env.step("echo done > /app/result.txt")  # the task is solved ...
        obs, reward, term, trunc, info = env.step(
            "dd if=/dev/zero of=/logs/fill bs=64k count=100"  # ... and the disk filled
        )
        assert not info["env_error"] and not term and not trunc and reward == 0.0
        assert obs["exit_code"] != 0
        assert "No space left on device" in obs["output"]
        _, reward, term, _, info = _timed(record_property, "grade_s", 30 + SLACK, env.step, SUBMIT)
        assert term and reward == 0.0
        assert info["env_error"] is False, info
        assert "disk is full" in info["error"] and "agent" in info["error"]
        assert "disk is full" in info["verifier"]["error"]
        _assert_works(env)
    finally:
        env.close()


def test_backend_options_are_checked():
    with pytest.raises(ValueError, match="tmpfs_size"):
        TerminalLegoEnv(backend="local", backend_options={"tmpfs_size": "1m"})


# -- 7. the owning process SIGKILLed with envs open ------------------------------------


_OWNER_SCRIPT = textwrap.dedent(
    """
    import sys, time
    from terminal_gym.envs import TerminalLegoEnv

    envs = []
    for _ in range(int(sys.argv[1])):
        env = TerminalLegoEnv(tasks="builtin", backend="docker", task=sys.argv[2])
        env.reset()
        envs.append(env)
        print(env.unwrapped.sandbox.id, flush=True)
    time.sleep(600)
    """
)


def _child_env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(REPO)}


def _orphans(docker_client, n: int) -> list[str]:
    """Start a process owning ``n`` live Docker envs, SIGKILL it, return their containers."""
    proc = subprocess.Popen(
        [sys.executable, "-c", _OWNER_SCRIPT, str(n), TASK],
        stdout=subprocess.PIPE,
        text=True,
        env=_child_env(),
    )
    ids: list[str] = []
    try:
        for _ in range(n):
            line = proc.stdout.readline().strip()
            assert line, "the child did not start its envs"
            ids.append(line)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    for cid in ids:
        assert docker_client.containers.get(cid).status == "running"  # orphaned, alive
    return ids


def _force_remove(docker_client, ids: list[str]) -> None:
    for cid in ids:
        try:
            docker_client.containers.get(cid).remove(force=True)
        except docker.errors.NotFound:
            pass


@pytest.mark.docker
@pytest.mark.slow
def test_owner_sigkilled_orphans_are_reaped(
    docker_client, docker_backend, shell_task, no_leak, record_property
):
    mine = DockerSandbox(docker_client, shell_task, docker_backend.prepare(shell_task))
    orphans: list[str] = []
    try:
        # `terminal-gym reap` removes them, and leaves a live owner's container alone
        orphans = _orphans(docker_client, 2)
        started = time.monotonic()
        cli = subprocess.run(
            [sys.executable, "-m", "terminal_gym.cli", "reap"],
            capture_output=True,
            text=True,
            timeout=120,
            env=_child_env(),
        )
        record_property("cli_reap_s", round(time.monotonic() - started, 2))
        assert cli.returncode == 0, cli.stderr
        assert re.search(r"removed \d+ orphaned container", cli.stdout), cli.stdout
        for cid in orphans:
            with pytest.raises(docker.errors.NotFound):
                docker_client.containers.get(cid)
        assert docker_client.containers.get(mine.id).status == "running"

        # a new DockerBackend in a fresh process reaps them when it starts
        orphans = _orphans(docker_client, 1)
        fresh = subprocess.run(
            [
                sys.executable,
                "-c",
                "from terminal_gym.sandbox.docker import DockerBackend\nDockerBackend()",
            ],
            capture_output=True,
            text=True,
            timeout=120,
            env=_child_env(),
        )
        assert fresh.returncode == 0, fresh.stderr
        for cid in orphans:
            with pytest.raises(docker.errors.NotFound):
                docker_client.containers.get(cid)
        assert docker_client.containers.get(mine.id).status == "running"
    finally:
        mine.close()
        _force_remove(docker_client, orphans)


# -- 8. verifiers that misbehave -------------------------------------------------------


R = "/logs/verifier"
#: name -> (test.sh, env_error, what info["error"] says)
VERIFIERS = {
    "no-reward": ("echo 'forgot the reward'", True, "wrote no"),
    "nan": (f"echo nan > {R}/reward.txt", True, r"not in \[0, 1\]"),
    "seven": (f"echo 7 > {R}/reward.txt", True, r"not in \[0, 1\]"),
    "text": (f"echo great > {R}/reward.txt", True, "malformed"),
    "empty": (f": > {R}/reward.txt", True, "empty"),
    "json-list": (f"echo '[1, 0.5]' > {R}/reward.json", True, "not a JSON object"),
    "json-bad": (f"echo '{{\"reward\": ' > {R}/reward.json", True, "malformed"),
    "json-bool": (f"echo '{{\"reward\": true}}' > {R}/reward.json", True, "reward"),
    "json-huge": (f"printf '{{\"reward\": 1%0400d}}' 0 > {R}/reward.json", True, "reward"),
    "json-deep": (
        f"python3 -c \"print('['*100000 + ']'*100000)\" > {R}/reward.json",
        True,
        "malformed",
    ),
}


@pytest.mark.docker
@pytest.mark.parametrize("case", list(VERIFIERS))
def test_misbehaving_verifier(case, docker_backend, tmp_path, no_leak, record_property):
    script, env_error, needle = VERIFIERS[case]
    task_dir = _task_copy(tmp_path, f"verifier-{case}", test_sh=f"mkdir -p {R}\n{script}")
    env = TerminalLegoEnv(tasks=task_dir, backend=docker_backend, step_timeout=STEP_TIMEOUT)
    try:
        env.reset()
        env.step("echo done > /app/result.txt")
        result = _timed(record_property, "grade_s", 30 + SLACK, env.step, SUBMIT)
        _, reward, term, trunc, info = result
        assert term and not trunc and reward == 0.0
        assert info["env_error"] is env_error, info
        assert info["error"].startswith("verifier: ")
        assert re.search(needle, info["error"]), info["error"]
        assert info["verifier"]["reward"] == 0.0 and info["verifier"]["error"]
        _assert_works(env)
    finally:
        env.close()


@pytest.mark.docker
def test_hanging_verifier(docker_client, docker_backend, tmp_path, no_leak, record_property):
    task_dir = _task_copy(
        tmp_path,
        "verifier-hangs",
        test_sh=f"mkdir -p {R}\nsleep 4321 & sleep 4321\necho 1 > {R}/reward.txt",
    )
    env = TerminalLegoEnv(
        tasks=task_dir, backend=docker_backend, step_timeout=STEP_TIMEOUT, verifier_timeout=3
    )
    try:
        env.reset()
        cid = env.unwrapped.sandbox.id
        _, reward, term, _, info = _timed(record_property, "surface_s", 3 + SLACK, env.step, SUBMIT)
        assert term and reward == 0.0
        assert info["env_error"] is False, info  # the agent's program may hang
        assert info["verifier"]["timed_out"] is True
        assert "3s timeout" in info["error"], info["error"]
        procs = docker_client.api.top(cid, ps_args="-eo pid,args")["Processes"] or []
        assert not [p for p in procs if "sleep 4321" in " ".join(p)], procs
        _assert_works(env)
    finally:
        env.close()


@pytest.mark.local
def test_verifier_faults_on_the_local_backend(local_backend, tmp_path, record_property):
    hang = _task_copy(tmp_path, "local-hang", test_sh="sleep 4321 & sleep 4321")
    nan = _task_copy(tmp_path, "local-nan", test_sh=f"mkdir -p {R}\necho nan > {R}/reward.txt")
    env = TerminalLegoEnv(
        tasks=[hang, nan], backend=local_backend, step_timeout=STEP_TIMEOUT, verifier_timeout=3
    )
    try:
        env.reset(options={"task": "local-hang"})
        _, reward, _, _, info = _timed(record_property, "hang_s", 3 + SLACK, env.step, SUBMIT)
        assert reward == 0.0 and info["env_error"] is False and info["verifier"]["timed_out"]
        ps = subprocess.run(["ps", "-eo", "args"], capture_output=True, text=True).stdout
        assert "sleep 4321" not in ps
        env.reset(options={"task": "local-nan"})
        _, reward, _, _, info = env.step(SUBMIT)
        assert reward == 0.0 and info["env_error"] is True and "not in [0, 1]" in info["error"]
        _assert_works(env, options={"task": "local-nan"})
    finally:
        env.close()


# -- 9. bad input at construction ------------------------------------------------------


def test_task_directory_without_a_dockerfile(tmp_path):
    task_dir = _task_copy(tmp_path, "no-dockerfile")
    (task_dir / "environment" / "Dockerfile").unlink()
    with pytest.raises(TaskFormatError, match="Dockerfile"):
        TerminalLegoEnv(tasks=task_dir, backend="local")


@pytest.mark.parametrize(
    "toml",
    [
        "this is [not toml",
        '[verifier]\ntimeout_sec = "soon"\n',
        "[environment]\nmemory_mb = -5\n",
        "[verifier]\ntimeout_sec = nan\n",
        "verifier = 3\n",
    ],
)
def test_malformed_task_toml(tmp_path, toml):
    task_dir = _task_copy(tmp_path, "bad-toml")
    (task_dir / "task.toml").write_text(toml)
    with pytest.raises(TaskFormatError) as caught:
        TerminalLegoEnv(tasks=task_dir, backend="local")
    assert "task.toml" in str(caught.value)


def test_unknown_task_ids(local_backend, shell_task):
    with pytest.raises(TaskNotFoundError):
        TerminalLegoEnv(tasks=shell_task.path, backend=local_backend, task="no-such-task")
    env = TerminalLegoEnv(tasks=shell_task.path, backend=local_backend, step_timeout=STEP_TIMEOUT)
    try:
        with pytest.raises(TaskNotFoundError, match="no-such-task"):
            env.reset(options={"task": "no-such-task"})
        _assert_works(env, options={"task": shell_task.id})
    finally:
        env.close()


@pytest.mark.parametrize(
    "kwargs, error",
    [
        ({"backend": "podman"}, ValueError),
        ({"backend": 42}, TypeError),
        ({"mode": "vi"}, ValueError),
        ({"tamper_policy": "maybe"}, ValueError),
        ({"render_mode": "human"}, ValueError),
        ({"max_steps": 0}, ValueError),
        ({"step_timeout": 0}, ValueError),
        ({"step_timeout": math.nan}, ValueError),
        ({"max_output_bytes": -1}, ValueError),
        ({"agent_timeout": -3}, ValueError),
        ({"verifier_timeout": 0}, ValueError),
        ({"tasks": 42}, TypeError),
        ({"tasks": "/no/such/dir"}, TerminalGymError),
        ({"tasks": "family:no-such-family"}, TerminalGymError),
        ({"backend_options": {"isolaton": "none"}}, ValueError),
    ],
)
def test_bad_constructor_arguments(kwargs, error):
    kwargs = {"backend": "local", **kwargs}
    with pytest.raises(error) as caught:
        TerminalLegoEnv(**kwargs)
    assert str(caught.value)


def test_bad_action_types(local_backend, shell_task):
    env = TerminalLegoEnv(tasks=shell_task.path, backend=local_backend, step_timeout=STEP_TIMEOUT)
    try:
        with pytest.raises(TerminalGymError, match="before reset"):
            env.step("echo no episode")
        env.reset()
        with pytest.raises(TypeError):
            env.step(42)
        obs, *_ = env.step("echo still fine")
        assert obs["output"] == "still fine\n"
    finally:
        env.close()


def test_reward_parsing_never_raises_anything_but_verifier_error():
    from terminal_gym.errors import VerifierError
    from terminal_gym.verifier import parse_reward

    for name, data in [
        ("reward.json", b"1" + b"0" * 400),
        ("reward.json", b'{"reward": 1' + b"0" * 400 + b"}"),
        ("reward.json", b"[" * 100000 + b"]" * 100000),
        ("reward.json", b'{"reward": true}'),
        ("reward.json", b'{"reward": NaN}'),
        ("reward.json", json.dumps({"reward": "1"}).encode()),
        ("reward.txt", b"\xff\xfe\x00"),
        ("reward.txt", b"1e999"),
    ]:
        with pytest.raises(VerifierError):
            parse_reward(name, data)
