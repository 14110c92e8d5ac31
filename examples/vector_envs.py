"""Many envs at once: Gymnasium's vector envs, and the Ray vector env with ``send``/``recv``.

* ``gym.make_vec(..., vectorization_mode="sync")``: one process, the sub-envs one after
  another (tests, debugging); ``"async"``: a process per sub-env.
* ``RayVectorEnv`` (the ``ray`` extra; ``gym.make_vec``'s default for this id): sub-envs in
  Ray actors, several per actor, on one machine or a cluster. ``send``/``recv`` step only
  the sub-envs given and return as soon as some answer, so a trainer driving LLM turns of
  different lengths never waits for the slowest env.

Run::

    python examples/vector_envs.py --envs 4
    python examples/vector_envs.py --envs 8 --no-ray --backend local
"""

from __future__ import annotations

import argparse
import importlib.util
import time

import gymnasium as gym

import terminal_gym  # noqa: F401  (registers TerminalLego-v0)

TASK = "find-prod-api-key"


def sync_vector(n: int, backend: str) -> None:
    envs = gym.make_vec("TerminalLego-v0", n, vectorization_mode="sync", task=TASK, backend=backend)
    try:
        envs.reset(seed=0)
        obs, *_ = envs.step([f"echo env {i}" for i in range(n)])
        print("sync outputs:", [text.strip() for text in obs["output"]])
        assert [text.strip() for text in obs["output"]] == [f"env {i}" for i in range(n)]
    finally:
        envs.close()


def ray_vector(n: int, backend: str) -> None:
    from terminal_gym.vector import RayVectorEnv

    envs = RayVectorEnv(
        n,
        envs_per_actor=max(1, n // 2),
        ray_init={"num_cpus": 2, "include_dashboard": False, "log_to_driver": False},
        task=TASK,
        backend=backend,
    )
    try:
        envs.reset(seed=0)
        print("actors:", [(a["envs"], a.get("pid")) for a in envs.actor_info()])
        # Sub-env 0 runs a slow command; the others answer first and go on.
        envs.send(list(range(n)), ["sleep 1; echo slow"] + [f"echo fast {i}" for i in range(1, n)])
        order: list[int] = []
        started = time.monotonic()
        while len(order) < n:
            ready, obs, *_ = envs.recv()
            order += ready.tolist()
            print(
                f"{time.monotonic() - started:5.2f}s ready {ready.tolist()}: "
                f"{[text.strip() for text in obs['output']]}"
            )
        assert order[-1] == 0, "the slow sub-env should answer last"
    finally:
        envs.close()


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--envs", type=int, default=4)
    p.add_argument("--backend", choices=["auto", "docker", "local"], default="auto")
    p.add_argument("--no-ray", action="store_true", help="only the Gymnasium vector env")
    args = p.parse_args(argv)
    sync_vector(args.envs, args.backend)
    if args.no_ray:
        return 0
    if importlib.util.find_spec("ray") is None:
        print("Ray is not installed (pip install 'terminal-gym[ray]'): skipping RayVectorEnv")
        return 0
    ray_vector(args.envs, args.backend)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
