import pytest
from kv import Server


@pytest.fixture(scope="module")
def srv():
    """One server for the module: the tests use keys of their own."""
    with Server() as server:
        yield server


def test_put_get_replace(srv):
    assert srv.request("PUT", "/kv/last-good.main", "9f1c2ab")[:2] == (
        200,
        {"key": "last-good.main", "value": "9f1c2ab"},
    )
    status, body, ctype = srv.request("GET", "/kv/last-good.main")
    assert (status, body) == (200, {"key": "last-good.main", "value": "9f1c2ab"})
    assert ctype.startswith("application/json")
    assert srv.request("PUT", "/kv/last-good.main", "a0b1c2d")[0] == 200
    assert srv.request("GET", "/kv/last-good.main")[:2] == (
        200,
        {"key": "last-good.main", "value": "a0b1c2d"},
    )


def test_values_are_utf8_text(srv):
    value = 'runner-04 "eu" \u00e9t\u00e9 {json: [1, 2]}\nsecond line'
    assert srv.request("PUT", "/kv/note_1", value)[0] == 200
    assert srv.request("GET", "/kv/note_1")[1] == {"key": "note_1", "value": value}
    assert srv.request("PUT", "/kv/empty", "")[:2] == (200, {"key": "empty", "value": ""})
    assert srv.request("GET", "/kv/empty")[1]["value"] == ""


def test_missing_key_is_404(srv):
    status, body, _ = srv.request("GET", "/kv/nope")
    assert status == 404 and isinstance(body, dict) and "error" in body


def test_delete(srv):
    srv.request("PUT", "/kv/lock.release", "runner-04")
    status, body, _ = srv.request("DELETE", "/kv/lock.release")
    assert status == 204 and body is None
    assert srv.request("GET", "/kv/lock.release")[0] == 404
    status, body, _ = srv.request("DELETE", "/kv/lock.release")
    assert status == 404 and "error" in body


def test_list_is_sorted():
    with Server() as srv:
        _check_list(srv)


def _check_list(srv):
    assert srv.request("GET", "/kv")[:2] == (200, {"keys": []})
    for key in ("zeta", "Alpha", "beta-2", "beta.1", "_x"):
        srv.request("PUT", f"/kv/{key}", key.upper())
    srv.request("DELETE", "/kv/zeta")
    want = sorted(["Alpha", "beta-2", "beta.1", "_x"])
    assert srv.request("GET", "/kv")[:2] == (200, {"keys": want})


@pytest.mark.parametrize("key", ["bad%20key", "a/b", "x" * 65, "semi;colon", ""])
def test_invalid_keys_are_400(srv, key):
    for method, body in (("PUT", "v"), ("GET", None), ("DELETE", None)):
        status, answer, _ = srv.request(method, f"/kv/{key}", body)
        assert status == 400, (method, key, status)
        assert isinstance(answer, dict) and "error" in answer
    assert key not in srv.request("GET", "/kv")[1]["keys"]


def test_longest_key_is_fine(srv):
    key = "k" * 64
    assert srv.request("PUT", f"/kv/{key}", "1")[0] == 200
    assert srv.request("GET", f"/kv/{key}")[1] == {"key": key, "value": "1"}


def test_unknown_paths_are_404(srv):
    for path in ("/", "/keys", "/kvx/a"):
        status, body, _ = srv.request("GET", path)
        assert status == 404 and "error" in body


def test_keeps_serving_many_requests(srv):
    for i in range(60):
        assert srv.request("PUT", f"/kv/k{i}", str(i))[0] == 200
    srv.request("GET", "/kv/bad%20key")
    keys = srv.request("GET", "/kv")[1]["keys"]
    assert {f"k{i}" for i in range(60)} <= set(keys)
    assert srv.request("GET", "/kv/k59")[1]["value"] == "59"
