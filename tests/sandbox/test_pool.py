"""The warm pool (``terminal_gym.sandbox.pool``) on real sandboxes, Docker and local.

Timings are asserted only within generous bounds; the figures belong in
``benchmarks/pool_reset.py``.
"""

from __future__ import annotations

import os
import pickle
import shutil
import signal
import statistics
import subprocess
import sys
import textwrap
import threading
import time
import uuid
from pathlib import Path

import docker
import docker.errors
import gymnasium as gym
import pytest
from gymnasium.utils.env_checker import check_env

import terminal_gym  # noqa: F401  (registers TerminalLego-v0)
from terminal_gym import SUBMIT
from terminal_gym.envs import TerminalLegoEnv
from terminal_gym.envs.terminal_lego import ShellStarter
from terminal_gym.errors import BackendUnavailableError, ImageBuildError, UnsupportedTaskError
from terminal_gym.rollout.agents import NullAgent, OracleAgent, run_episode
from terminal_gym.sandbox.base import LABEL_OWNER
from terminal_gym.sandbox.docker import DockerBackend, owned_containers, reap
from terminal_gym.sandbox.local import LOCAL_DIR_PREFIX
from terminal_gym.sandbox.pool import SandboxPool
from terminal_gym.tasks import TaskSet
from tests.conftest import FIXTURES
from tests.test_reward_integrity import ATTACKS, INTEGRITY

TASK = "find-prod-api-key"
STARTER = ShellStarter(timeout=30.0, max_output_bytes=65536, rows=40, cols=160, keys=False)


def _marks(name: str) -> list[pytest.MarkDecorator]:
    return [pytest.mark.docker] if name == "docker" else [pytest.mark.local]


#: Runs a test once per backend, marked for it.
per_backend = pytest.mark.parametrize(
    "backend",
    [pytest.param(name, marks=_marks(name)) for name in ("docker", "local")],
    indirect=True,
)


@pytest.fixture
def backend(request):
    return request.getfixturevalue(f"{request.param}_backend")


@pytest.fixture
def pool(backend):
    pool = SandboxPool(backend, STARTER, size=2)
    yield pool
    pool.close()


def _leftovers(backend) -> set[str]:
    """This process's containers (Docker) or sandbox directories (local)."""
    if backend.name == "docker":
        return set(owned_containers(backend.client))
    tmp = Path(os.environ.get("TMPDIR", "/tmp"))
    return {p.name for p in tmp.glob(f"{LOCAL_DIR_PREFIX}{os.getpid()}-*")}


def _until(condition, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.005)


def _kill(item) -> None:
    """Kill an idle pooled sandbox from outside, as a crash or an OOM kill would."""
    if item.sandbox.backend == "docker":
        subprocess.run(["docker", "kill", item.sandbox.id], check=True, capture_output=True)
    else:
        os.kill(item.prepared._pty.child.pid, signal.SIGKILL)
        shutil.rmtree(item.sandbox.root, ignore_errors=True)


def _task_with(tmp_path: Path, name: str, run: str):
    """The shell task, its Dockerfile ending in ``RUN <run>`` after a fresh nonce: its
    image tag is new."""
    task_dir = tmp_path / name
    shutil.copytree(FIXTURES / "shell-task", task_dir)
    dockerfile = task_dir / "environment" / "Dockerfile"
    dockerfile.write_text(dockerfile.read_text() + f"RUN echo {uuid.uuid4().hex} {run}\n")
    return TaskSet.from_source(task_dir)[0]


def _broken_task(tmp_path: Path):
    """A task whose image cannot be built (Docker) or replayed (local)."""
    return _task_with(tmp_path, "broken-build", "&& exit 3")


def _fresh_image_task(tmp_path: Path):
    """A task whose image is not built yet."""
    return _task_with(tmp_path, "fresh-image", "> /nonce")


def _remove_images(client, task_id: str) -> None:
    for image in client.images.list(filters={"label": f"terminal-gym.task={task_id}"}):
        try:
            client.images.remove(image.id, force=True)
        except docker.errors.APIError:
            pass


# -- the pool -----------------------------------------------------------------------------


@per_backend
def test_pooled_reset_is_fast_and_works(backend):
    """Same run, same task: resets from the pool against cold ones (generous bounds)."""
    cold_env = TerminalLegoEnv(backend=backend, task=TASK)
    env = gym.make("TerminalLego-v0", backend=backend, task=TASK, pool=2)
    try:
        cold = []
        for _ in range(4):
            _, info = cold_env.reset()
            assert info["pooled"] is False
            cold.append(info["reset_duration"])
        env.unwrapped._pool.wait_ready(120)
        pooled = []
        for _ in range(5):
            env.unwrapped._pool.wait_ready(60)  # refills between resets, as in an episode
            obs, info = env.reset()
            assert info["pooled"] is True, env.unwrapped._pool.stats()
            pooled.append(info["reset_duration"])
            assert env.observation_space.contains(obs) and obs["cwd"] == "/app"
            obs, *_ = env.step("echo hi; pwd")
            assert obs["output"] == "hi\n/app\n"
        assert statistics.median(pooled) < 0.25, pooled
        assert statistics.median(pooled) < statistics.median(cold), (pooled, cold)
    finally:
        env.close()
        cold_env.close()


@per_backend
def test_items_are_handed_out_once_and_bounded(backend, shell_task):
    """Never more starts at once than ``refill``, never more waiting than ``size`` per
    task and ``max_total`` in all; an acquire waits for a start under way rather than
    starting a second one; no item is handed out twice."""
    lock = threading.Lock()
    state = {"now": 0, "most": 0}

    class Counting:  # the real backend, with its concurrent creates counted
        name = backend.name

        def create(self, task):
            with lock:
                state["now"] += 1
                state["most"] = max(state["most"], state["now"])
            try:
                return backend.create(task)
            finally:
                with lock:
                    state["now"] -= 1

    other = TaskSet.from_source(INTEGRITY / "answer-check")[0]
    with SandboxPool(Counting(), STARTER, size=2, max_total=3, refill=1) as pool:
        pool.prefetch([shell_task] * 3)  # three hints, two at most per task
        _until(lambda: pool.stats()["starting"] == 1)
        item = pool.acquire(shell_task)  # the first start is under way: wait for it
        stats = pool.stats()
        assert item.pooled and stats["waited"] == 1 and stats["misses"] == 0
        assert pool.wait_ready(120)
        assert pool.stats()["ready"] == 2
        pool.prefetch([other] * 2)  # full (3): the older task's surplus makes room
        assert pool.wait_ready(120)
        stats = pool.stats()
        assert stats["ready"] <= 3 and stats["evicted"] >= 1, stats
        assert state["most"] == 1  # refill=1: one start at a time
        items = [item, *(pool.acquire(t) for t in (shell_task, other, other))]
        assert len({i.sandbox.id for i in items}) == len(items)
        for i in items:
            assert i.prepared.run("echo ok").output == "ok\n"
            pool.retire(i)


@per_backend
def test_a_sandbox_killed_in_the_pool_is_never_handed_out(backend, pool, shell_task):
    pool.prefetch([shell_task])
    assert pool.wait_ready(120)
    with pool._cond:
        idle = next(iter(pool._slots.values())).ready[0]
    _kill(idle)
    time.sleep(0.2)
    item = pool.acquire(shell_task)
    try:
        assert item is not idle and item.sandbox.id != idle.sandbox.id
        assert pool.stats()["dead"] == 1
        assert item.sandbox.is_alive()
        assert item.prepared.run("cat /app/hello.txt").exit_code == 0
    finally:
        pool.retire(item)


@per_backend
def test_close_leaves_nothing(backend, shell_task):
    before = _leftovers(backend)
    pool = SandboxPool(backend, STARTER, size=3)
    pool.prefetch([shell_task] * 3)
    assert pool.wait_ready(120)
    used = pool.acquire(shell_task)
    pool.retire(used)  # removed in the background
    pool.prefetch([shell_task])  # a start under way when close() comes
    pool.close()
    assert _leftovers(backend) <= before
    assert not used.sandbox.is_alive()
    # Closed: acquire still works (created here), prefetch does nothing.
    pool.prefetch([shell_task])
    item = pool.acquire(shell_task)
    assert not item.pooled
    pool.retire(item)  # closed pool: removed at once
    assert _leftovers(backend) <= before
    assert pool.stats()["starting"] == 0


@pytest.mark.docker
def test_idle_containers_are_reaped_after_the_owner_is_killed(docker_client, shell_task):
    script = textwrap.dedent(
        """
        import sys, time
        from terminal_gym.sandbox.docker import DockerBackend
        from terminal_gym.sandbox.pool import SandboxPool
        from terminal_gym.tasks import TaskSet

        task = TaskSet.from_source(sys.argv[1])[0]
        pool = SandboxPool(DockerBackend(reap_stale=False), size=2)
        pool.prefetch([task, task])
        assert pool.wait_ready(120)
        with pool._cond:
            for slot in pool._slots.values():
                for item in slot.ready:
                    print(item.sandbox.id, flush=True)
        time.sleep(600)
        """
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", script, str(shell_task.path)],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).parents[2])},
    )
    ids = []
    try:
        ids = [proc.stdout.readline().strip() for _ in range(2)]
        assert all(ids), "the child did not fill its pool"
        os.kill(proc.pid, signal.SIGKILL)  # no atexit, no close(): a crash
        proc.wait(timeout=10)
        for cid in ids:
            assert docker_client.containers.get(cid).status == "running"
        removed = reap(docker_client)
        assert set(ids) <= set(removed)
        for cid in ids:
            with pytest.raises(docker.errors.NotFound):
                docker_client.containers.get(cid)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        for cid in ids:
            try:
                docker_client.api.remove_container(cid, force=True)
            except docker.errors.APIError:
                pass


@per_backend
def test_idle_sandboxes_are_removed_at_exit(backend, shell_task):
    """A pool nobody closed is closed at interpreter exit, with a start under way."""
    script = textwrap.dedent(
        """
        import sys
        from terminal_gym.sandbox import make_backend
        from terminal_gym.sandbox.pool import SandboxPool
        from terminal_gym.tasks import TaskSet

        task = TaskSet.from_source(sys.argv[1])[0]
        options = {"reap_stale": False} if sys.argv[2] == "docker" else {}
        backend = make_backend(sys.argv[2], **options)
        pool = SandboxPool(backend, size=3)
        pool.prefetch([task] * 2)
        assert pool.wait_ready(120)
        with pool._cond:  # the third start may end meanwhile
            ids = [item.sandbox.id for slot in pool._slots.values() for item in slot.ready]
        pool.prefetch([task])  # one more, under way at exit
        print(*ids, flush=True)
        """
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", script, str(shell_task.path), backend.name],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).parents[2])},
    )
    out, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err
    assert len(out.split()) == 2
    # Nothing of that process is left: neither the two waiting nor the one under way.
    if backend.name == "docker":
        owners = [
            c["Labels"][LABEL_OWNER]
            for c in backend.client.api.containers(all=True, filters={"label": LABEL_OWNER})
        ]
        assert not [o for o in owners if o.split(":")[1] == str(proc.pid)]
    else:
        tmp = Path(os.environ.get("TMPDIR", "/tmp"))
        assert not list(tmp.glob(f"{LOCAL_DIR_PREFIX}{proc.pid}-*"))


@per_backend
def test_refill_errors_surface_typed_and_are_not_retried_in_a_loop(backend, tmp_path):
    expected = ImageBuildError if backend.name == "docker" else UnsupportedTaskError
    task = _broken_task(tmp_path)
    with SandboxPool(backend, size=2) as pool:
        pool.prefetch([task, task])
        assert pool.wait_ready(120)
        time.sleep(0.5)
        assert pool.stats()["failed"] == 1  # one attempt, then it waits for an acquire
        with pytest.raises(expected) as raised:
            pool.acquire(task)
        assert "broken-build" in str(raised.value)
        # Reported once; the next acquire tries again (here, in the caller's thread).
        with pytest.raises(expected):
            pool.acquire(task)
    if backend.name == "docker":
        _remove_images(backend.client, task.id)


@pytest.mark.docker
def test_a_daemon_that_does_not_answer_surfaces_typed(shell_task, tmp_path):
    sock = f"unix://{tmp_path}/no-daemon.sock"
    client = docker.DockerClient(base_url=sock, version="1.41", timeout=5)
    backend = DockerBackend(client, toolchain=False, reap_stale=False)
    with SandboxPool(backend, size=1) as pool:
        pool.prefetch([shell_task])
        assert pool.wait_ready(60)
        assert pool.stats()["failed"] == 1
        with pytest.raises(BackendUnavailableError):
            pool.acquire(shell_task)


# -- the env on a pool ------------------------------------------------------------------


@per_backend
@pytest.mark.parametrize("task", ["find-prod-api-key", "fix-broken-json-config"])
def test_env_on_a_shared_pool_passes_the_episode_checks(backend, task):
    """Oracle 1, do-nothing 0, each from a pooled sandbox, two envs on one pool."""
    with SandboxPool(backend, size=2) as shared:
        oracle_env = gym.make("TerminalLego-v0", pool=shared, task=task)
        null_env = TerminalLegoEnv(pool=shared, task=task)
        try:
            assert oracle_env.unwrapped.backend is backend
            shared.wait_ready(120)
            for env, agent, reward in (
                (oracle_env, OracleAgent(), 1.0),
                (null_env, NullAgent(), 0),
            ):
                result = run_episode(env, agent, task=task)
                assert result.reward == reward and not result.env_error, result.verifier
        finally:
            oracle_env.close()
            null_env.close()
        assert shared.stats()["hits"] == 2  # both resets took a pooled sandbox


@per_backend
def test_seeded_resets_give_the_same_tasks_with_and_without_a_pool(backend):
    tasks = [FIXTURES / "shell-task", *(INTEGRITY / n for n in ("answer-check", "legit-install"))]
    if backend.name == "local":
        tasks = tasks[:2]

    def sequence(**kwargs) -> list[str]:
        env = TerminalLegoEnv(tasks=tasks, backend=backend, **kwargs)
        try:
            ids = [env.reset(seed=11)[1]["task_id"]]
            ids += [env.reset()[1]["task_id"] for _ in range(3)]
            ids.append(env.reset(options={"task": "answer-check"})[1]["task_id"])
            ids.append(env.reset()[1]["task_id"])
            ids.append(env.reset(seed=11)[1]["task_id"])
            ids.append(env.reset()[1]["task_id"])
            env.close()  # the task drawn ahead stays the next one
            ids.append(env.reset()[1]["task_id"])
            return ids
        finally:
            env.close()

    plain = sequence()
    assert len(set(plain)) > 1  # the seed does pick among the tasks
    assert sequence(pool=1) == plain


@per_backend
def test_grading_a_pooled_sandbox_stops_the_agent_with_the_toolchain(backend):
    """A pooled sandbox is created exactly as a cold one: graded the same way."""
    command, kind = ATTACKS["loop-rewrites-reward"]
    env = TerminalLegoEnv(
        tasks=INTEGRITY / "answer-check", task="answer-check", backend=backend, pool=1
    )
    try:
        env._active_pool().wait_ready(120)
        _, info = env.reset()
        assert info["pooled"]
        env.step("echo 42 > /app/answer.txt")
        env.step(command)
        _, reward, terminated, _, info = env.step(SUBMIT)
        verdict = info["verifier"]
        assert terminated and reward == 0.0 and not info["env_error"], info.get("error")
        assert verdict["toolchain"] == "trusted"
        assert verdict["processes"]["survivors"] == 0
        assert verdict["processes"]["method"] in ("kill-all", "pid-namespace")
        assert kind in {t["kind"] for t in verdict["tamper"]}
    finally:
        env.close()


@pytest.mark.docker
def test_pooled_containers_are_configured_as_cold_ones(docker_client, docker_backend, shell_task):
    def config(sandbox) -> dict:
        attrs = docker_client.api.inspect_container(sandbox.id)
        host = attrs["HostConfig"]
        return {
            "path": attrs["Path"],
            "labels": attrs["Config"]["Labels"],
            "env": sorted(attrs["Config"]["Env"]),
            "workdir": attrs["Config"]["WorkingDir"],
            "image": attrs["Config"]["Image"],
            "host": {
                k: host[k]
                for k in ("Memory", "MemorySwap", "NanoCpus", "PidsLimit", "NetworkMode", "Binds")
            },
        }

    cold = docker_backend.create(shell_task)
    with SandboxPool(docker_backend, STARTER, size=1) as pool:
        pool.prefetch([shell_task])
        assert pool.wait_ready(120)
        item = pool.acquire(shell_task)
        try:
            assert item.pooled and config(item.sandbox) == config(cold)
        finally:
            pool.retire(item)
            cold.close()


@per_backend
def test_envs_in_threads_share_a_pool(backend):
    """Four envs, each in its own thread, on one pool: every sandbox handed out once."""
    seen: list[str] = []
    errors: list[BaseException] = []
    with SandboxPool(backend, size=4, refill=2) as shared:
        envs = [TerminalLegoEnv(pool=shared, task=TASK) for _ in range(4)]

        def play(env: TerminalLegoEnv) -> None:
            try:
                for _ in range(2):
                    env.reset()
                    seen.append(env.sandbox.id)
                    obs, *_ = env.step("echo $HOSTNAME")
                    assert obs["output"] == "sandbox\n"
            except BaseException as exc:
                errors.append(exc)

        threads = [threading.Thread(target=play, args=(env,)) for env in envs]
        try:
            for t in threads:
                t.start()
            for t in threads:
                t.join(300)
        finally:
            for env in envs:
                env.close()
        assert not errors, errors
        assert len(seen) == 8 and len(set(seen)) == 8
        assert shared.stats()["hits"] >= 1


@pytest.mark.docker
def test_check_env_with_a_pool(docker_backend):
    env = gym.make("TerminalLego-v0", backend=docker_backend, pool=1, render_mode="ansi")
    try:
        check_env(env.unwrapped)
        with pytest.raises(TypeError, match="per process"):
            pickle.dumps(env.unwrapped._pool)
    finally:
        env.close()


@pytest.mark.docker
def test_keys_mode_from_the_pool(docker_backend):
    env = TerminalLegoEnv(backend=docker_backend, task=TASK, mode="keys", pool=1)
    try:
        env._active_pool().wait_ready(120)
        obs, info = env.reset()
        assert info["pooled"] and "screen" in obs
        obs, *_ = env.step("echo $((6*7))\r")
        assert "42" in obs["screen"]
    finally:
        env.close()


def test_bad_pool_arguments(docker_backend, local_backend):
    with pytest.raises(ValueError):
        TerminalLegoEnv(backend=docker_backend, pool=0)
    with pytest.raises(ValueError):
        TerminalLegoEnv(backend=docker_backend, pool=True)
    with pytest.raises(TypeError):
        TerminalLegoEnv(backend=docker_backend, pool="big")
    with SandboxPool(local_backend) as shared:
        with pytest.raises(ValueError):
            TerminalLegoEnv(backend="docker", pool=shared)
        with pytest.raises(ValueError):
            TerminalLegoEnv(backend=docker_backend, pool=shared)
        with pytest.raises(ValueError):
            TerminalLegoEnv(pool=shared, backend_options={"isolation": "none"})
        assert TerminalLegoEnv(pool=shared).backend is local_backend
    for bad in ({"size": 0}, {"max_total": -1}, {"refill": 1.5}):
        with pytest.raises(ValueError):
            SandboxPool(local_backend, **bad)


# -- image builds are shared ---------------------------------------------------------------


@pytest.mark.docker
def test_threads_build_an_image_once(docker_client, tmp_path, monkeypatch):
    import terminal_gym.sandbox.docker as docker_module
    import terminal_gym.sandbox.images as images_module

    task = _fresh_image_task(tmp_path)
    backend = DockerBackend(docker_client, reap_stale=False)
    calls = {"prepare_image": 0, "build": 0}
    prepare_image, build = docker_module.prepare_image, images_module._docker_build

    def counting_prepare_image(*args, **kwargs):
        calls["prepare_image"] += 1
        return prepare_image(*args, **kwargs)

    def counting_build(client, **kwargs):
        calls["build"] += 1
        return build(client, **kwargs)

    monkeypatch.setattr(docker_module, "prepare_image", counting_prepare_image)
    monkeypatch.setattr(images_module, "_docker_build", counting_build)
    barrier = threading.Barrier(8)
    tags: list[str] = []

    def prepare() -> None:
        barrier.wait()
        tags.append(backend.prepare(task))

    try:
        threads = [threading.Thread(target=prepare) for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(300)
        assert len(tags) == 8 and len(set(tags)) == 1
        assert calls == {"prepare_image": 1, "build": 1}
    finally:
        _remove_images(docker_client, task.id)


@pytest.mark.docker
@pytest.mark.slow
def test_processes_started_at_once_build_an_image_once(docker_client, tmp_path):
    task = _fresh_image_task(tmp_path)
    go = tmp_path / "go"
    script = textwrap.dedent(
        """
        import logging, os, sys, time
        from terminal_gym.sandbox.docker import DockerBackend
        from terminal_gym.tasks import TaskSet

        logging.basicConfig(level=logging.INFO, format="%(message)s")
        task = TaskSet.from_source(sys.argv[1])[0]
        backend = DockerBackend(reap_stale=False)
        while not os.path.exists(sys.argv[2]):
            time.sleep(0.01)
        print("TAG", backend.prepare(task), flush=True)
        """
    )
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parents[2])}
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", script, str(task.path), str(go)],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env=env,
        )
        for _ in range(8)
    ]
    try:
        time.sleep(3)  # let them all import and connect; then they start at once
        go.touch()
        outputs = [p.communicate(timeout=300)[0] for p in procs]
        assert all(p.returncode == 0 for p in procs), outputs
        tags = {
            line.split()[1] for out in outputs for line in out.splitlines() if line[:4] == "TAG "
        }
        assert len(tags) == 1
        built = [line for out in outputs for line in out.splitlines() if line.startswith("built ")]
        assert len(built) == 1, outputs
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
        _remove_images(docker_client, task.id)


@pytest.mark.docker
def test_backends_in_one_process_build_an_image_once(docker_client, tmp_path, monkeypatch):
    """Backends that share no lock (as in separate processes) meet at the file lock:
    ``flock`` locks of separate ``open`` calls exclude each other even in one process."""
    import terminal_gym.sandbox.images as images_module

    task = _fresh_image_task(tmp_path)
    backends = [DockerBackend(docker_client, reap_stale=False) for _ in range(4)]
    builds = []
    build = images_module._docker_build

    def counting_build(client, **kwargs):
        builds.append(kwargs.get("tag"))
        return build(client, **kwargs)

    monkeypatch.setattr(images_module, "_docker_build", counting_build)
    barrier = threading.Barrier(len(backends))
    tags: list[str] = []

    def prepare(backend) -> None:
        barrier.wait()
        tags.append(backend.prepare(task))

    try:
        threads = [threading.Thread(target=prepare, args=(b,)) for b in backends]
        for t in threads:
            t.start()
        for t in threads:
            t.join(300)
        assert len(tags) == len(backends) and len(set(tags)) == 1
        assert builds == [tags[0]]
    finally:
        _remove_images(docker_client, task.id)
