"""Backend configs (terminal_gym.sandbox.config) and make_backend."""

from __future__ import annotations

import doctest
import inspect
import logging
import shutil
import subprocess
import sys

import pytest

from terminal_gym.errors import BackendUnavailableError, TerminalGymError
from terminal_gym.sandbox import config
from terminal_gym.sandbox.config import (
    BackendConfigError,
    DockerConfig,
    LocalConfig,
    backend_config,
    make_backend,
)

needs_bwrap = pytest.mark.skipif(shutil.which("bwrap") is None, reason="no bubblewrap")


def test_doctests():
    failures, tried = doctest.testmod(config)
    assert tried and not failures


@pytest.mark.parametrize("cls_name", ["DockerBackend", "LocalBackend"])
def test_configs_hold_exactly_their_backends_options(cls_name):
    from terminal_gym.sandbox.docker import DockerBackend
    from terminal_gym.sandbox.local import LocalBackend

    backend = {"DockerBackend": DockerBackend, "LocalBackend": LocalBackend}[cls_name]
    cfg = DockerConfig if backend is DockerBackend else LocalConfig
    params = inspect.signature(backend.__init__).parameters
    assert config._fields(cfg) == set(params) - {"self"}
    for name in config._fields(cfg):
        assert getattr(cfg(), name) == params[name].default, name


def test_a_misspelt_option_names_the_valid_ones():
    with pytest.raises(BackendConfigError) as caught:
        make_backend("local", isolaton="none")
    message = str(caught.value)
    assert "isolaton" in message and "isolation" in message and "toolchain" in message
    assert isinstance(caught.value, TerminalGymError) and isinstance(caught.value, ValueError)


def test_another_backends_option_is_not_dropped():
    with pytest.raises(BackendConfigError, match=r"tmpfs.*local backend.*isolation"):
        make_backend("local", tmpfs={"/logs": "size=1m"})
    with pytest.raises(BackendConfigError, match="isolation"):
        backend_config({"type": "docker", "isolation": "none"})
    with pytest.raises(BackendConfigError, match="reap_stale"):
        make_backend("auto", reap_stal=False)


def test_unknown_backends_and_mismatched_types():
    with pytest.raises(BackendConfigError, match="podman"):
        make_backend("podman")
    with pytest.raises(BackendConfigError, match="'type'"):
        make_backend({"isolation": "none"})
    with pytest.raises(BackendConfigError, match="docker"):
        LocalConfig(type="docker")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        make_backend(42)  # type: ignore[arg-type]


def test_config_dict_and_name_agree():
    by_name = backend_config("local", isolation="none", toolchain=False)
    by_dict = backend_config({"type": "local", "isolation": "none", "toolchain": False})
    assert by_name == by_dict == LocalConfig(isolation="none", toolchain=False)
    assert backend_config(by_name) is by_name
    assert backend_config(by_name, isolation="bwrap").isolation == "bwrap"


@needs_bwrap
def test_a_config_object_and_a_dict_make_backends():
    for spec in (
        LocalConfig(toolchain=False),
        {"type": "local", "toolchain": False},
        "local",
    ):
        options = {"toolchain": False} if spec == "local" else {}
        backend = make_backend(spec, **options)
        assert backend.name == "local" and backend.isolation == "bwrap"
        assert backend.toolchain is None
        assert make_backend(backend) is backend


@needs_bwrap
def test_auto_falls_back_to_local_with_the_local_options(monkeypatch, caplog):
    def no_daemon(self):
        raise BackendUnavailableError("no daemon (test)")

    monkeypatch.setattr(DockerConfig, "make", no_daemon)
    with caplog.at_level(logging.WARNING, logger="terminal_gym.sandbox.config"):
        backend = make_backend("auto", toolchain=False, image_map={"a": "b"})
    assert backend.name == "local" and backend.toolchain is None
    assert "no daemon (test)" in caplog.text
    assert make_backend({"type": "auto", "toolchain": False}).name == "local"


@pytest.mark.docker
def test_auto_and_docker_configs_make_docker_backends(docker_client):
    backend = make_backend("auto", client=docker_client, reap_stale=False, isolation="none")
    assert backend.name == "docker"
    backend = make_backend({"type": "docker", "client": docker_client, "reap_stale": False})
    assert backend.name == "docker" and backend.client is docker_client
    assert make_backend(DockerConfig(client=docker_client, reap_stale=False)).name == "docker"


@needs_bwrap
def test_the_local_backend_does_not_import_docker():
    script = (
        "import sys\n"
        "from terminal_gym.sandbox import LocalConfig, make_backend\n"
        "make_backend(LocalConfig(toolchain=False))\n"
        "assert 'docker' not in sys.modules, 'docker was imported'\n"
    )
    subprocess.run([sys.executable, "-c", script], check=True)


def test_the_env_checks_backend_options():
    from terminal_gym.envs import TerminalLegoEnv

    with pytest.raises(BackendConfigError, match="isolation"):
        TerminalLegoEnv(backend="local", backend_options={"tmpfs": {"/logs": "size=1m"}})
