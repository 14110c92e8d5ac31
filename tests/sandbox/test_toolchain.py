"""The trusted grading toolchain: built once, self-contained, deaf to the sandbox's hooks."""

from __future__ import annotations

import io
import subprocess
import tarfile
import warnings

import pytest

from terminal_gym import SUBMIT
from terminal_gym.envs import TerminalLegoEnv
from terminal_gym.errors import ToolchainError
from terminal_gym.sandbox import toolchain as toolchain_module
from terminal_gym.sandbox.docker import DockerBackend
from terminal_gym.sandbox.toolchain import MOUNT, ensure_toolchain
from tests.conftest import FIXTURES

BASH = f"{MOUNT}/bin/bash"
SHADOW_PYTHON3 = (
    "printf '#!/bin/sh\\nexit 0\\n' > /usr/local/bin/python3 && chmod +x /usr/local/bin/python3"
)
PATH = f"{MOUNT}/bin"


@pytest.fixture(scope="module")
def toolchain():
    return ensure_toolchain()


def test_layout(toolchain):
    root = toolchain.root
    assert (root / "manifest.json").is_file()
    for name in ("bash", "sh", "python3", "pytest", "grep", "env", "tg-init", "tg-stop"):
        assert name in toolchain.tools
        assert (root / "bin" / name).exists(), name
    assert (root / "lib" / "ld.so").is_file()
    loader = (root / "lib" / "ld.so").read_bytes()
    assert b"/etc/ld.so.preload\0" not in loader and b"/etc/ld.so.cache\0" not in loader
    assert ensure_toolchain() is toolchain  # cached in the process


def test_disabled_by_environment(monkeypatch):
    monkeypatch.setenv(toolchain_module.DISABLE_VAR, "0")
    ensure_toolchain.cache_clear()
    try:
        with pytest.raises(ToolchainError, match="turned off"):
            ensure_toolchain()
    finally:
        monkeypatch.delenv(toolchain_module.DISABLE_VAR)
        ensure_toolchain.cache_clear()


def _run(docker_client, image, toolchain, script, **kw):
    out = docker_client.containers.run(
        image,
        [BASH, "-c", script],
        entrypoint=[],
        environment={"PATH": PATH, **kw.pop("environment", {})},
        volumes={str(toolchain.root): {"bind": MOUNT, "mode": "ro"}},
        network_mode="none",
        remove=True,
        stderr=True,
        **kw,
    )
    return out.decode()


@pytest.fixture(scope="module")
def empty_image(docker_client):
    """An image with nothing in it but /tmp."""
    data = io.BytesIO()
    with tarfile.open(fileobj=data, mode="w") as tar:
        info = tarfile.TarInfo("tmp")
        info.type, info.mode = tarfile.DIRTYPE, 0o1777
        tar.addfile(info)
    docker_client.api.import_image_from_data(
        data.getvalue(), repository="terminal-gym/test-empty", tag="1"
    )
    return "terminal-gym/test-empty:1"


@pytest.mark.docker
def test_runs_in_an_empty_image(docker_client, toolchain, empty_image):
    out = _run(
        docker_client,
        empty_image,
        toolchain,
        "echo hi | sed s/h/H/ | awk '{print $1}'; python3 -c 'import ssl, sqlite3; print(2)'; "
        "python3 -m pytest --version",
    )
    assert out.split()[:2] == ["Hi", "2"] and "pytest" in out


@pytest.mark.docker
def test_ignores_the_sandbox_hooks(docker_client, toolchain):
    """ld.so.preload, a .pth with code, sitecustomize: the sandbox's programs run them,
    the toolchain's do not."""
    script = (
        "echo /nonexistent/evil.so > /etc/ld.so.preload; "
        "echo 'import os; os._exit(0)' > /usr/lib/python3/dist-packages/zz.pth; "
        "echo 'import os; os._exit(0)' > /etc/python3.11/sitecustomize.py; "
        "/usr/bin/python3 -c 'raise SystemExit(3)' 2>/dev/null; echo system=$?; "
        "python3 -c 'raise SystemExit(3)'; echo trusted=$?; "
        "ls / >/dev/null; "  # the toolchain's ls: no preload complaint on stderr
        "/usr/bin/true 2>&1 | grep -c 'cannot be preloaded'"
    )
    out = _run(docker_client, "terminal-gym/python:3-bookworm", toolchain, script)
    assert "system=0" in out  # the hooks work on the sandbox's own Python...
    assert "trusted=3" in out  # ...not on the toolchain's
    assert out.strip().splitlines()[-1] == "1"  # only the sandbox's true saw the preload


@pytest.mark.docker
def test_python_m_pytest_ignores_a_planted_module(docker_client, toolchain):
    script = (
        "mkdir -p /w/t && cd /w && printf 'print(\"fake\")\\n' > pytest.py && "
        "printf 'def test_x():\\n    assert 0\\n' > /w/t/test_x.py && "
        "printf 'import helper\\n' > /w/t/main.py && echo 'print(\"helper\")' > /w/t/helper.py && "
        "python3 -m pytest -q t/test_x.py | tail -1; python3 t/main.py"
    )
    out = _run(docker_client, "terminal-gym/python:3-bookworm", toolchain, script)
    assert "fake" not in out and "1 failed" in out
    assert out.strip().splitlines()[-1] == "helper"  # a script still imports beside it


@pytest.mark.docker
def test_stop_kills_every_process_but_init(docker_client, toolchain):
    container = docker_client.containers.run(
        "terminal-gym/python:3-bookworm",
        [],
        entrypoint=[f"{MOUNT}/bin/tg-init"],
        volumes={str(toolchain.root): {"bind": MOUNT, "mode": "ro"}},
        network_mode="none",
        detach=True,
    )
    try:
        container.exec_run(
            [
                "bash",
                "-c",
                "(setsid sh -c 'while :; do sleep 1; done' &); nohup sleep 1000 >/dev/null 2>&1 & "
                "(env -i setsid sleep 1001 &); "
                f"(setsid bash -c 'exec -a {MOUNT}/bin/sleep sleep 1002' &); sleep 0.3",
            ]
        )
        assert len(container.top()["Processes"]) >= 6
        result = container.exec_run(
            [BASH, "-c", f"{MOUNT}/bin/tg-stop"], environment={"PATH": PATH}
        )
        assert result.exit_code == 0 and result.output.decode().startswith("stopped ")
        commands = [p[-1] for p in container.top()["Processes"]]
        assert commands[0].endswith("tg-init") and len(commands) == 2, commands
    finally:
        container.remove(force=True)


@pytest.mark.docker
def test_without_the_toolchain_grading_still_flags_tampering(docker_client):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        backend = DockerBackend(docker_client, toolchain=False)
    env = TerminalLegoEnv(tasks=FIXTURES / "integrity" / "answer-check", backend=backend)
    try:
        env.reset()
        env.step("echo 42 > /app/answer.txt")
        env.step(SHADOW_PYTHON3)
        env.step("nohup sh -c 'while :; do sleep 1; done' >/dev/null 2>&1 &")
        _, reward, _, _, info = env.step(SUBMIT)
    finally:
        env.close()
    verdict = info["verifier"]
    assert verdict["toolchain"] == "sandbox"
    assert verdict["processes"]["method"] == "restart" and verdict["processes"]["survivors"] == 0
    assert reward == 0.0 and verdict["withheld"]
    assert [t["path"] for t in verdict["tamper"]] == ["/usr/local/bin/python3"]


def test_host_python_runs_the_toolchain_python(toolchain):
    """The copied interpreter runs through the host's loader too (the build's self-test)."""
    proc = subprocess.run(
        [
            str(toolchain.root / "lib" / "ld.so"),
            "--library-path",
            str(toolchain.root / "lib"),
            str(toolchain.root / "python" / "bin" / f"python{toolchain.python_version}"),
            "-c",
            "import pytest; print(pytest.__version__)",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
