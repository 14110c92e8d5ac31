import json
import subprocess

import pytest
from kv import Server, free_port

KVCTL = "/app/kvstore/kvctl.py"


def kvctl(port, *args):
    return subprocess.run(
        ["python3", KVCTL, "--port", str(port), *args],
        capture_output=True,
        text=True,
        timeout=20,
    )


@pytest.fixture
def srv(tmp_path):
    with Server("--data", str(tmp_path / "store.json")) as server:
        yield server


def test_health(srv):
    status, body, ctype = srv.request("GET", "/health")
    assert (status, body) == (200, {"status": "ok", "keys": 0})
    assert ctype.startswith("application/json")
    srv.request("PUT", "/kv/a", "1")
    srv.request("PUT", "/kv/b", "2")
    srv.request("DELETE", "/kv/a")
    assert srv.request("GET", "/health")[1] == {"status": "ok", "keys": 1}


def test_set_get_list_del(srv):
    run = kvctl(srv.port, "set", "last-good.main", "9f1c2ab")
    assert run.returncode == 0 and run.stdout == "", run.stderr
    assert srv.request("GET", "/kv/last-good.main")[1]["value"] == "9f1c2ab"
    run = kvctl(srv.port, "get", "last-good.main")
    assert (run.returncode, run.stdout) == (0, "9f1c2ab\n")
    kvctl(srv.port, "set", "cache-epoch", "17")
    kvctl(srv.port, "set", "Zed", "value with spaces")
    assert kvctl(srv.port, "get", "Zed").stdout == "value with spaces\n"
    run = kvctl(srv.port, "list")
    assert (run.returncode, run.stdout) == (0, "Zed\ncache-epoch\nlast-good.main\n")
    run = kvctl(srv.port, "health")
    assert (run.returncode, run.stdout) == (0, "3\n")
    run = kvctl(srv.port, "del", "Zed")
    assert (run.returncode, run.stdout) == (0, "")
    assert srv.request("GET", "/kv/Zed")[0] == 404


def test_missing_keys_exit_1(srv):
    for args in (("get", "nope"), ("del", "nope")):
        run = kvctl(srv.port, *args)
        assert run.returncode == 1 and run.stdout == "" and run.stderr.strip(), args


def test_rejected_key_exits_1(srv):
    run = kvctl(srv.port, "set", "bad;key", "v")
    assert run.returncode == 1 and run.stderr.strip()
    assert srv.request("GET", "/kv")[1] == {"keys": []}


def test_empty_list(srv):
    run = kvctl(srv.port, "list")
    assert (run.returncode, run.stdout) == (0, "")


def test_unreachable_server_exits_2():
    port = free_port()
    for args in (("get", "a"), ("set", "a", "1"), ("list",), ("health",), ("del", "a")):
        run = kvctl(port, *args)
        assert run.returncode == 2 and run.stderr.strip(), args


def test_default_port_is_8750():
    with Server(port=8750) as srv:
        srv.request("PUT", "/kv/x", "42")
        run = subprocess.run(
            ["python3", KVCTL, "get", "x"], capture_output=True, text=True, timeout=20
        )
        assert (run.returncode, run.stdout) == (0, "42\n")


def test_earlier_tickets_still_hold(tmp_path):
    data = tmp_path / "store.json"
    with Server("--data", str(data)) as srv:
        srv.request("PUT", "/kv/a", "1")
        assert srv.request("GET", "/kv/bad%20key")[0] == 400
        assert srv.request("GET", "/kv")[1] == {"keys": ["a"]}
    assert json.loads(data.read_text()) == {"a": "1"}
    with Server("--data", str(data)) as srv:
        assert srv.request("GET", "/health")[1] == {"status": "ok", "keys": 1}
