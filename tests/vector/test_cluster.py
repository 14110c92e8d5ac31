"""``RayVectorEnv`` on a three-node Ray cluster started on this machine: actors land on every
node and each sub-env plays an oracle episode to reward 1 through the vector env.

Every node here shares this machine's Docker daemon; on a real cluster each node has its
own (``docs/scaling.md``). Each node carries a custom resource (``node_0`` .. ``node_2``)
so the test can tell them apart.
"""

from __future__ import annotations

import pytest

from tests.vector.conftest import require_ray
from tests.vector.fake import oracle_plan, ship
from tests.vector.test_gym_vector import TASK

pytestmark = [pytest.mark.docker, pytest.mark.slow]

NODES = 3
NODE_ARGS = {"num_cpus": 1, "object_store_memory": 100 * 2**20}


@pytest.fixture(scope="module")
def cluster():
    require_ray()
    import ray
    from ray.cluster_utils import Cluster

    if ray.is_initialized():
        ray.shutdown()
    cluster = Cluster(
        initialize_head=True,
        head_node_args={**NODE_ARGS, "resources": {"node_0": 1}, "include_dashboard": False},
    )
    try:
        for k in range(1, NODES):
            cluster.add_node(**NODE_ARGS, resources={f"node_{k}": 1})
        cluster.wait_for_nodes()
        yield cluster
    finally:
        ray.shutdown()
        cluster.shutdown()


def _node_names() -> dict[str, str]:
    import ray

    return {
        node["NodeID"]: next(r for r in node["Resources"] if r.startswith("node_"))
        for node in ray.nodes()
        if node["Alive"]
    }


def test_actors_spread_over_nodes_and_oracle_episodes_succeed(docker_client, cluster):
    import ray

    from terminal_gym.vector import RayVectorEnv

    ship()
    assert not ray.is_initialized()
    envs = RayVectorEnv(
        2 * NODES,
        envs_per_actor=2,
        address=cluster.address,  # joins the cluster (RAY_ADDRESS would do the same)
        ray_init={"log_to_driver": False},
        tasks=TASK,
        backend="docker",
    )
    try:
        names = _node_names()
        assert len(names) == NODES
        actors = envs.actor_info()
        node_of = {i: names[actor["node_id"]] for actor in actors for i in actor["envs"]}
        assert sorted({names[a["node_id"]] for a in actors}) == [f"node_{k}" for k in range(NODES)]

        envs.reset(seed=0)
        plans = dict(enumerate(envs.foreach_env(oracle_plan)))
        assert all(len(plan) >= 2 for plan in plans.values())
        envs.send(plans, [plan.pop(0) for plan in plans.values()])
        rewards: dict[int, float] = {}
        while len(rewards) < envs.num_envs:
            ready, _, reward, terminated, truncated, infos = envs.recv()
            for k, i in enumerate(ready.tolist()):
                assert not infos["env_error"][k], infos["error"][k]
                if terminated[k] or truncated[k]:
                    rewards[i] = float(reward[k])
                else:
                    envs.send([i], [plans[i].pop(0)])
        assert rewards == dict.fromkeys(range(envs.num_envs), 1.0)
        assert {node_of[i] for i in rewards} == {f"node_{k}" for k in range(NODES)}
    finally:
        envs.close()


def test_actors_go_only_to_nodes_with_the_resources_they_ask_for(docker_client, cluster):
    """A custom resource (on a real cluster: ``docker`` on the nodes that run Docker) keeps
    actors off the other nodes; they are still dealt over every node that has it."""
    from terminal_gym.vector import RayVectorEnv

    envs = RayVectorEnv(
        4,
        envs_per_actor=1,
        address=cluster.address,
        ray_init={"log_to_driver": False},
        actor_options={"resources": {"node_1": 0.01}},
        tasks=TASK,
        backend="docker",
    )
    try:
        names = _node_names()
        assert {names[a["node_id"]] for a in envs.actor_info()} == {"node_1"}
    finally:
        envs.close()
