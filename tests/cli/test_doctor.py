"""``terminal-gym doctor``: the real checks on this machine, Docker down, JSON, thresholds."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections import namedtuple
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from terminal_gym.cli import doctor
from terminal_gym.cli.doctor import (
    DISK_FAIL_BYTES,
    DISK_WARN_BYTES,
    Check,
    check_bubblewrap,
    check_ca_bundle,
    check_disk,
    check_python,
    disk_level,
    run_checks,
)
from terminal_gym.sandbox.bootstrap import BASE_IMAGES

ROOT = Path(__file__).resolve().parents[2]
GIB = 1024**3
Usage = namedtuple("Usage", "total used free")


@pytest.fixture
def app() -> typer.Typer:
    from terminal_gym.cli.app import app

    return app


def _by_name(checks: list[Check]) -> dict[str, Check]:
    return {check.name: check for check in checks}


def _run_doctor(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "terminal_gym.cli", "doctor", *args],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "200", **env},
    )


@pytest.mark.docker
def test_real_run_on_this_machine(docker_client, app):
    checks = run_checks()
    found = _by_name(checks)
    daemon = found["docker daemon"]
    assert daemon.level == "ok", daemon
    server = docker_client.version()["Version"]
    driver = docker_client.info()["Driver"]
    assert f"server {server}" in daemon.detail and f"storage {driver}" in daemon.detail
    assert found["docker storage"].detail.startswith(driver)
    assert "cgroup v" in found["docker cgroups"].detail
    for image in BASE_IMAGES:  # the machine's base images exist
        assert found[image].level in ("ok", "warn") and "created" in found[image].detail
    assert found["python"].level == "ok"
    expected = {
        "python",
        "terminal-gym",
        "docker sdk",
        "bubblewrap",
        "ca bundle",
        "ray",
        "openai",
        "disk: docker data",
        "disk: temp dir",
        "chromium",
    }
    assert expected <= set(found)
    for check in checks:  # every problem says how to fix it
        assert check.level == "ok" or check.fix or check.detail.startswith("not checked")

    result = CliRunner().invoke(app, ["doctor"])
    assert result.exit_code == (0 if all(check.ok for check in checks) else 1), result.output
    assert "docker daemon" in result.output and "✓" in result.output


def test_docker_down_other_checks_still_run():
    result = _run_doctor("--json", DOCKER_HOST="unix:///nonexistent.sock")
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    rows = {row["name"]: row for row in json.loads(result.stdout)}
    daemon = rows["docker daemon"]
    assert daemon["level"] == "fail" and daemon["ok"] is False
    assert "nonexistent.sock" in daemon["detail"]
    assert "sudo systemctl start docker" in daemon["fix"] and "dockerd &" in daemon["fix"]
    for name in ("python", "terminal-gym", "bubblewrap", "ca bundle", "disk: temp dir", "ray"):
        assert name in rows, name
    for image in BASE_IMAGES:
        assert rows[image]["level"] == "warn" and "not checked" in rows[image]["detail"]

    table = _run_doctor(DOCKER_HOST="unix:///nonexistent.sock")
    assert table.returncode == 1
    assert "Traceback" not in table.stderr + table.stdout
    assert "✗" in table.stdout and "systemctl start docker" in table.stdout
    assert "disk: temp dir" in table.stdout


def test_json_parses(app):
    result = CliRunner().invoke(app, ["doctor", "--json"])
    rows = json.loads(result.stdout)
    assert isinstance(rows, list) and rows
    for row in rows:
        assert set(row) == {"name", "level", "detail", "fix", "ok"}
        assert row["level"] in ("ok", "warn", "fail")
        assert row["ok"] == (row["level"] != "fail")
    assert result.exit_code == (0 if all(row["ok"] for row in rows) else 1)


def test_help_ends_with_an_example(app):
    result = CliRunner().invoke(app, ["doctor", "--help"])
    assert result.exit_code == 0
    assert "Example: terminal-gym doctor" in result.output


def test_disk_thresholds_with_a_fake_disk_beside_the_real_one():
    tmp = tempfile.gettempdir()
    real = check_disk("disk: temp dir", tmp)
    free = shutil.disk_usage(tmp).free
    assert real.level == disk_level(free)
    assert f"{free / GIB:.1f} GiB free" in real.detail

    def fake(free_bytes: int):
        return lambda path: Usage(100 * GIB, 100 * GIB - free_bytes, free_bytes)

    plenty = check_disk("disk: temp dir", tmp, usage=fake(50 * GIB))
    assert plenty.level == "ok" and plenty.fix is None
    low = check_disk("disk: docker data", "/var/lib/docker", usage=fake(5 * GIB))
    assert low.level == "warn" and low.ok
    assert "5.0 GiB free" in low.detail and "docker system prune" in low.fix
    full = check_disk("disk: temp dir", tmp, usage=fake(GIB))
    assert full.level == "fail" and not full.ok and "at least 2 GiB" in full.fix

    def broken(path: str):
        raise PermissionError(13, "Permission denied", path)

    unreadable = check_disk("disk: docker data", "/var/lib/docker", usage=broken)
    assert unreadable.level == "warn" and "cannot measure" in unreadable.detail


def test_disk_level_boundaries():
    assert disk_level(DISK_FAIL_BYTES - 1) == "fail"
    assert disk_level(DISK_FAIL_BYTES) == "warn"
    assert disk_level(DISK_WARN_BYTES - 1) == "warn"
    assert disk_level(DISK_WARN_BYTES) == "ok"


def test_storage_driver_and_cgroups():
    assert doctor.storage_driver_check("overlay2").level == "ok"
    vfs = doctor.storage_driver_check("vfs")
    assert vfs.level == "warn" and "slow" in vfs.detail and "overlay2" in vfs.fix
    full = doctor.cgroup_check(
        {"CgroupVersion": "2", "CgroupDriver": "systemd", "MemoryLimit": True, "PidsLimit": True}
    )
    assert full.level == "ok" and "cgroup v2 (systemd driver)" in full.detail
    partial = doctor.cgroup_check({"CgroupVersion": "1", "MemoryLimit": False, "PidsLimit": True})
    assert partial.level == "warn" and "memory" in partial.detail and partial.fix


def test_python_version():
    assert check_python((3, 10, 0)).level == "ok"
    old = check_python((3, 9, 18))
    assert old.level == "fail" and "3.10" in old.fix


def test_bubblewrap_on_this_machine():
    check = check_bubblewrap()
    if shutil.which("bwrap") is None:
        assert check.level == "warn" and "apt-get install bubblewrap" in check.fix
    else:
        # This machine's bwrap works: the local backend's tests rely on it.
        assert check.level == "ok", check


def test_ca_bundle(monkeypatch, tmp_path):
    from terminal_gym.sandbox.ca import CA_BUNDLE_VARS

    for var in CA_BUNDLE_VARS:
        monkeypatch.delenv(var, raising=False)
    none = check_ca_bundle()
    assert none.level == "ok" and "none named" in none.detail

    garbage = tmp_path / "bundle.crt"
    garbage.write_text("not a certificate\n")
    monkeypatch.setenv("TERMINAL_GYM_CA_BUNDLE", str(garbage))
    bad = check_ca_bundle()
    assert bad.level == "fail" and str(garbage) in bad.detail and bad.fix

    system = Path("/etc/ssl/certs/ca-certificates.crt")
    if system.is_file():
        monkeypatch.setenv("TERMINAL_GYM_CA_BUNDLE", str(system))
        good = check_ca_bundle()
        assert good.level == "ok" and "certificates" in good.detail

    monkeypatch.setenv("TERMINAL_GYM_CA_BUNDLE", str(tmp_path / "missing.crt"))
    missing = check_ca_bundle()
    assert missing.level == "fail" and "missing.crt is not a file" in missing.detail


def test_check_rejects_a_bad_level():
    with pytest.raises(ValueError, match="level"):
        Check("x", "bad", "detail")  # type: ignore[arg-type]


class _FakeAPI:
    """``inspect_image`` over a dict of image attributes (a missing one: Docker's error)."""

    def __init__(self, images: dict[str, dict]):
        self.images = images

    def inspect_image(self, name: str) -> dict:
        if name not in self.images:
            raise RuntimeError(f"404 Client Error: Not Found (No such image: {name})")
        return self.images[name]


class _FakeClient:
    def __init__(self, images: dict[str, dict]):
        self.api = _FakeAPI(images)


def _image(layers: list[str], labels: dict[str, str] | None = None) -> dict:
    return {
        "Id": "sha256:" + "ab" * 32,
        "Created": "2026-11-29T07:20:11.9Z",
        "Config": {"Labels": labels},
        "RootFS": {"Layers": layers},
    }


def test_base_images_missing_stale_or_current(monkeypatch):
    from terminal_gym.sandbox import bootstrap

    debian, python = bootstrap.DEBIAN_IMAGE, bootstrap.PYTHON_IMAGE
    monkeypatch.setattr(bootstrap, "BOOTSTRAP_VERSION", 2, raising=False)
    monkeypatch.setattr(bootstrap, "LABEL_VERSION", "org.terminal-gym.bootstrap", raising=False)
    current = {"org.terminal-gym.bootstrap": "2"}

    checks = doctor.base_image_checks(_FakeClient({}))
    assert [c.level for c in checks] == ["fail", "fail"]
    assert checks[0].detail == "not present" and checks[0].fix == "terminal-gym images bootstrap"

    ok = doctor.base_image_checks(
        _FakeClient({debian: _image(["l1"], current), python: _image(["l1", "l2"], current)})
    )
    assert [c.level for c in ok] == ["ok", "ok"]
    assert "bootstrap version 2" in ok[0].detail and "2026-11-29 07:20:11" in ok[0].detail

    old = doctor.base_image_checks(
        _FakeClient({debian: _image(["l1"]), python: _image(["l1", "l2"], {"x": "y"})})
    )
    assert [c.level for c in old] == ["warn", "warn"]
    assert "older bootstrap (no label)" in old[0].detail and "current is 2" in old[0].detail
    assert old[0].fix.startswith("terminal-gym images bootstrap")

    # The Python flavour no longer extends the Debian base (the base was rebuilt since).
    stale = doctor.base_image_checks(
        _FakeClient({debian: _image(["new"], current), python: _image(["l1", "l2"], current)})
    )
    assert [c.level for c in stale] == ["ok", "warn"]
    assert f"built on an older {debian}" in stale[1].detail and "--force" in stale[1].fix
