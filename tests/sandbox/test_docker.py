"""The Docker sandbox: labels, limits, teardown, reaping, files, exec, external death."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading
import time

import docker.errors
import pytest

from terminal_gym.errors import SandboxError
from terminal_gym.sandbox.base import LABEL_OWNER, LABEL_TASK, owner_label
from terminal_gym.sandbox.docker import DockerSandbox, reap
from terminal_gym.sandbox.toolchain import MOUNT
from terminal_gym.terminal.shell import ShellSession

pytestmark = pytest.mark.docker


@pytest.fixture(scope="module")
def sandbox(docker_backend, shell_task):
    sb = docker_backend.create(shell_task)
    try:
        yield sb
    finally:
        sb.close()


def _assert_gone(client, container_id: str) -> None:
    with pytest.raises(docker.errors.NotFound):
        client.containers.get(container_id)


def test_labels_network_and_limits(docker_client, sandbox, shell_task):
    attrs = docker_client.api.inspect_container(sandbox.id)
    labels = attrs["Config"]["Labels"]
    assert labels[LABEL_OWNER] == owner_label()
    assert labels[LABEL_TASK] == shell_task.id
    host = attrs["HostConfig"]
    assert shell_task.environment.allow_internet is False
    assert host["NetworkMode"] == "none"
    limits = shell_task.environment.limits
    assert host["Memory"] == limits.memory_mb * 1024 * 1024 == 512 * 1024 * 1024
    assert host["MemorySwap"] == limits.memory_mb * 1024 * 1024
    assert host["NanoCpus"] == int(limits.cpus * 1e9) == 1_000_000_000
    assert host["PidsLimit"] == limits.pids
    # Process 1 is the trusted toolchain's reaper, mounted read-only.
    assert attrs["Path"] == f"{MOUNT}/bin/tg-init"
    mount = next(m for m in attrs["Mounts"] if m["Destination"] == MOUNT)
    assert mount["RW"] is False
    assert attrs["State"]["Running"]
    assert attrs["Config"]["WorkingDir"] == "/app"


def test_no_network_inside(sandbox):
    r = sandbox.exec("cat /sys/class/net/*/operstate; ls /sys/class/net", timeout=10)
    assert r.exit_code == 0
    assert r.output.split()[-1] == "lo"  # only loopback


def test_close_removes_container_and_is_idempotent(docker_client, docker_backend, shell_task):
    sb = docker_backend.create(shell_task)
    assert sb.is_alive()
    assert docker_client.containers.get(sb.id).status == "running"
    sb.close()
    _assert_gone(docker_client, sb.id)
    assert not sb.is_alive()
    sb.close()  # idempotent: no error
    _assert_gone(docker_client, sb.id)


def test_reap_removes_containers_of_dead_owners(docker_client, docker_backend, shell_task):
    image = docker_backend.prepare(shell_task)
    script = textwrap.dedent(
        """
        import sys, time
        from terminal_gym.sandbox.docker import DockerSandbox, connect
        from terminal_gym.tasks import TaskSet

        task = TaskSet.from_source(sys.argv[1])[0]
        sb = DockerSandbox(connect(), task, sys.argv[2])
        print(sb.id, flush=True)
        time.sleep(600)
        """
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", script, str(shell_task.path), image],
        stdout=subprocess.PIPE,
        text=True,
    )
    orphan_id = None
    try:
        orphan_id = proc.stdout.readline().strip()
        assert orphan_id, "the child did not create a sandbox"
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)  # no zombie: its /proc entry must be gone
        container = docker_client.containers.get(orphan_id)  # it outlived its owner
        assert container.status == "running"
        assert container.labels[LABEL_OWNER].split(":")[1] == str(proc.pid)

        mine = DockerSandbox(docker_client, shell_task, image)
        try:
            removed = reap(docker_client)
            assert orphan_id in removed
            _assert_gone(docker_client, orphan_id)
            # a live owner's (this process's) container is left alone
            assert mine.id not in removed
            assert docker_client.containers.get(mine.id).status == "running"
        finally:
            mine.close()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        if orphan_id:
            try:
                docker_client.containers.get(orphan_id).remove(force=True)
            except docker.errors.NotFound:
                pass


def test_upload_dir_and_read_file(sandbox, tmp_path):
    src = tmp_path / "payload"
    (src / "sub").mkdir(parents=True)
    (src / "a.txt").write_text("alpha\n")
    (src / "sub" / "b.bin").write_bytes(bytes(range(256)) * 4)
    script = src / "run.sh"
    script.write_text("#!/bin/sh\necho ran\n")
    script.chmod(0o755)

    sandbox.upload(src, "/opt/payload")
    assert sandbox.read_file("/opt/payload/a.txt") == b"alpha\n"
    assert sandbox.read_file("/opt/payload/sub/b.bin") == bytes(range(256)) * 4
    assert sandbox.read_file("/opt/payload/sub/b.bin", max_bytes=10) == bytes(range(10))
    assert sandbox.read_file("/opt/payload/missing") is None
    assert sandbox.read_file("/opt/payload/sub") is None  # a directory is not a file
    r = sandbox.exec("/opt/payload/run.sh", timeout=10)
    assert (r.exit_code, r.output) == (0, "ran\n")

    # Uploading again replaces what was there.
    (src / "a.txt").unlink()
    (src / "c.txt").write_text("gamma")
    sandbox.upload(src, "/opt/payload")
    assert sandbox.read_file("/opt/payload/a.txt") is None
    assert sandbox.read_file("/opt/payload/c.txt") == b"gamma"

    single = tmp_path / "one.txt"
    single.write_text("single file")
    sandbox.upload(single, "/tmp/renamed.txt")
    assert sandbox.read_file("/tmp/renamed.txt") == b"single file"


def test_exec_output_exit_code_env_workdir(sandbox):
    r = sandbox.exec("echo out; echo err >&2; pwd; echo $FOO; exit 5", env={"FOO": "bar"})
    assert r.exit_code == 5
    # stdout and stderr are separate streams: both arrive, order across them may vary
    assert sorted(r.output.splitlines()) == ["/app", "bar", "err", "out"]
    assert not r.timed_out
    assert sandbox.exec("pwd", workdir="/tmp").output == "/tmp\n"


def test_exec_timeout(sandbox):
    started = time.monotonic()
    r = sandbox.exec("echo begun; sleep 3131", timeout=1)
    assert time.monotonic() - started < 5
    assert r.timed_out
    assert r.exit_code == -1
    assert "begun" in r.output
    # The runaway's children die with it, and the next exec is not held up by them.
    started = time.monotonic()
    r = sandbox.exec("ps -eo args | grep -c '^sleep 3131' || true", timeout=10)
    assert r.output.strip() == "0"
    assert time.monotonic() - started < 2


def test_exec_timeout_never_signals_host_processes(sandbox, monkeypatch):
    """A runaway exec is killed from inside the container: the pid the daemon reports
    names an unrelated local process on a remote daemon or a VM, so nothing local is
    signalled."""

    def refuse(*args):
        raise AssertionError(f"a host process was signalled: {args}")

    monkeypatch.setattr(os, "kill", refuse)
    monkeypatch.setattr(os, "killpg", refuse)
    r = sandbox.exec("sleep 3132", timeout=1)
    assert r.timed_out
    monkeypatch.undo()
    r = sandbox.exec("ps -eo args | grep -c '^sleep 3132' || true", timeout=10)
    assert r.output.strip() == "0"


def test_killed_container_fails_fast(docker_client, docker_backend, shell_task):
    sb = docker_backend.create(shell_task)
    sh = ShellSession(sb, timeout=5, workdir="/app")
    try:
        sh.start()
        assert sh.run("echo up").output == "up\n"
        subprocess.run(["docker", "kill", sb.id], check=True, capture_output=True, timeout=30)

        outcome: dict[str, object] = {}

        def step() -> None:
            try:
                outcome["result"] = sh.run("echo after", timeout=5)
            except BaseException as exc:  # recorded and asserted below
                outcome["error"] = exc

        started = time.monotonic()
        worker = threading.Thread(target=step, daemon=True)
        worker.start()
        worker.join(30)
        assert not worker.is_alive(), "sh.run hung on a killed container"
        assert time.monotonic() - started < 30
        if "error" in outcome:
            assert isinstance(outcome["error"], SandboxError), outcome["error"]
        else:
            assert outcome["result"].restarted
        assert not sb.is_alive()
    finally:
        sh.close()
        sb.close()
    _assert_gone(docker_client, sb.id)
