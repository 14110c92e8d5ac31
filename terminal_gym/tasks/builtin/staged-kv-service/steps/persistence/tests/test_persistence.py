import json
import shutil
from pathlib import Path

import pytest
from kv import Server

SEED = "/app/kvstore/seed.json"
SEED_DATA = {"cache-epoch": "17", "last-good.main": "9f1c2ab", "lock.release": "runner-04"}


@pytest.fixture
def data_file(tmp_path):
    return tmp_path / "store.json"


def test_starts_empty_and_creates_the_file(data_file):
    with Server("--data", str(data_file)) as srv:
        assert srv.request("GET", "/kv")[1] == {"keys": []}
        assert srv.request("PUT", "/kv/alpha", "1")[0] == 200
        assert json.loads(data_file.read_text()) == {"alpha": "1"}


def test_survives_sigkill(data_file):
    with Server("--data", str(data_file)) as srv:
        for key, value in (("a", "1"), ("b", "two"), ("c", "drei \u00e4"), ("a", "one")):
            assert srv.request("PUT", f"/kv/{key}", value)[0] == 200
        assert srv.request("DELETE", "/kv/b")[0] == 204
        # killed right after the last answer
    with Server("--data", str(data_file)) as srv:
        assert srv.request("GET", "/kv")[1] == {"keys": ["a", "c"]}
        assert srv.request("GET", "/kv/a")[1]["value"] == "one"
        assert srv.request("GET", "/kv/c")[1]["value"] == "drei \u00e4"
        assert srv.request("GET", "/kv/b")[0] == 404
    assert json.loads(data_file.read_text()) == {"a": "one", "c": "drei \u00e4"}


def test_every_change_is_on_disk_before_the_answer(data_file):
    with Server("--data", str(data_file)) as srv:
        for i in range(25):
            srv.request("PUT", f"/kv/k{i}", str(i))
            assert json.loads(data_file.read_text())[f"k{i}"] == str(i)
        srv.request("DELETE", "/kv/k3")
        assert "k3" not in json.loads(data_file.read_text())


def test_starts_from_the_seed_export(tmp_path):
    copy = tmp_path / "seed.json"
    shutil.copy(SEED, copy)
    with Server("--data", str(copy)) as srv:
        assert srv.request("GET", "/kv")[1] == {"keys": sorted(SEED_DATA)}
        for key, value in SEED_DATA.items():
            assert srv.request("GET", f"/kv/{key}")[1] == {"key": key, "value": value}
        srv.request("PUT", "/kv/cache-epoch", "18")
    assert json.loads(copy.read_text()) == {**SEED_DATA, "cache-epoch": "18"}


def test_seed_file_was_left_alone():
    assert json.loads(Path(SEED).read_text()) == SEED_DATA


def test_writes_are_atomic_replacements(data_file):
    """The file is replaced, never rewritten in place: a reader that opened it before a
    change still reads the complete old content."""
    with Server("--data", str(data_file)) as srv:
        srv.request("PUT", "/kv/a", "x" * 5000)
        with open(data_file) as before:
            srv.request("PUT", "/kv/a", "y")
            srv.request("PUT", "/kv/b", "z")
            assert json.loads(before.read()) == {"a": "x" * 5000}
        assert json.loads(data_file.read_text()) == {"a": "y", "b": "z"}


def test_without_data_it_is_memory_only(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with Server() as srv:
        assert srv.request("PUT", "/kv/a", "1")[0] == 200
    with Server() as srv:
        assert srv.request("GET", "/kv")[1] == {"keys": []}


def test_ticket_1_still_holds(data_file):
    with Server("--data", str(data_file)) as srv:
        assert srv.request("GET", "/kv/missing")[0] == 404
        assert srv.request("PUT", "/kv/bad%20key", "v")[0] == 400
        assert srv.request("DELETE", "/kv/missing")[0] == 404
        assert srv.request("GET", "/nope")[0] == 404
    assert not data_file.exists() or json.loads(data_file.read_text()) == {}
